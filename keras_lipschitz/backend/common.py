"""Backend-independent helpers of the backend modules."""

import keras
from keras.src.backend.common.stateless_scope import get_stateless_scope


class InheritingScope(keras.StatelessScope):
    """A `keras.StatelessScope` that starts from the enclosing scope's values and remembers what was assigned.

    Keras' scopes do not nest: a variable read inside a plain inner scope
    ignores the outer one's values (on JAX, the trainer's state). This one
    copies them, applies `overrides` (`(variable, value)` pairs), and records
    which variables the code inside assigns.
    """

    def __init__(self, overrides=()):
        super().__init__()
        outer = get_stateless_scope()
        if outer is not None:
            self.state_mapping.update(outer.state_mapping)
        for variable, value in overrides:
            self.state_mapping[id(variable)] = keras.ops.convert_to_tensor(value, dtype=variable.dtype)
        self.assigned = {}

    def add_update(self, update):
        variable, value = update
        self.assigned[id(variable)] = variable
        super().add_update(update)

    def updates(self):
        """`{id(variable): new value}` of the variables assigned inside."""
        return {key: self.state_mapping[key] for key in self.assigned}
