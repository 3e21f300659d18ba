"""What the layer, loss, penalty and trainer suites ask of the Keras backend they run on.

These suites run on TensorFlow and on JAX with the same oracles
(`KERAS_BACKEND=jax pytest tests/test_penalties.py`; tests/test_backends.py
runs them so in CI). The few things with no `keras.ops` form, compiling a
step, gradients and Jacobians, are written here once per backend, as the
library keeps its own in `keras_lipschitz/backend/`. TensorFlow itself stays
importable on JAX: TF-GAN's reference functions run on numpy inputs there.
"""

import keras
import numpy as np
import pytest
from keras import ops

from keras_lipschitz import backend

BACKEND = keras.backend.backend()

# tf.distribute has no JAX form; there keras.distribution.DataParallel is compared with one device instead
# (tests/test_backends.py, tests/test_train_command_jax.py).
tensorflow_only = pytest.mark.skipif(
    BACKEND != "tensorflow", reason="tf.distribute; JAX's DataParallel is tested in test_backends.py")


def compiled(fn, jit_compile=False):
    """`fn` compiled as a training step is: `tf.function` on TensorFlow (XLA when `jit_compile`), `jax.jit`
    on JAX when `jit_compile`, else eager (JAX compiles op by op).

    `jax.jit` takes the variables `fn` reads as constants of its trace, so on
    JAX compile only functions that assign no variable; Keras' JAX trainer
    passes the state explicitly instead (`backend.stateful_step`).
    """
    if BACKEND == "tensorflow":
        import tensorflow as tf

        return tf.function(fn, jit_compile=jit_compile)
    if jit_compile:
        import jax

        return jax.jit(fn)
    return fn


def inference(model):
    """`model(inputs, training=False)`: eager on TensorFlow, `jax.jit` on JAX (eager JAX compiles every
    operation of a model on its first run, which takes seconds for a convolutional network)."""
    if BACKEND == "tensorflow":
        return lambda inputs: model(inputs, training=False)
    return compiled(lambda inputs: model(inputs, training=False), jit_compile=True)


def compiled_with_state(fn, variables, jit_compile=False):
    """`fn(*args)`, which reads and assigns `variables`, compiled: `tf.function` on TensorFlow; on JAX `jax.jit`
    with the variables' values passed in and their new values passed out and assigned, as Keras' JAX trainer
    carries its state."""
    if BACKEND == "tensorflow":
        return compiled(fn, jit_compile)
    import jax

    variables = list(variables)

    @jax.jit
    def pure(values, *args):
        with keras.StatelessScope(state_mapping=list(zip(variables, values))) as scope:
            outputs = fn(*args)
        return outputs, [scope.get_current_value(variable) for variable in variables]

    def call(*args):
        outputs, values = pure([variable.value for variable in variables], *args)
        for variable, value in zip(variables, values):
            variable.assign(value)
        return outputs

    return call


def training_call(layer, inputs, jit_compile=False):
    """A compiled function that calls `layer` on `inputs` in training mode, its state updates applied (with
    XLA on TensorFlow when `jit_compile`; JAX always compiles with XLA)."""
    if not layer.built:
        layer.build(np.shape(inputs))
    return compiled_with_state(lambda: layer(inputs, training=True), layer.variables, jit_compile)


def gradients(loss_fn, variables):
    """`(loss, gradients)` of `loss_fn(tape)` for `variables` (zeros where it does not reach); `tape` is the
    recording `tf.GradientTape` on TensorFlow and None on JAX (the penalties' `tape=` argument)."""
    loss, _, grads = backend.value_and_gradients(lambda tape: (loss_fn(tape), None), variables)
    return loss, grads


def input_gradient(fn, x):
    """The gradient of the scalar `fn(x)` in `x`, itself differentiable (an inner tape; `jax.grad`)."""
    if BACKEND == "tensorflow":
        import tensorflow as tf

        x = tf.convert_to_tensor(x)
        with tf.GradientTape() as inner:
            inner.watch(x)
            total = fn(x)
        return inner.gradient(total, x)
    import jax

    return jax.grad(fn)(ops.convert_to_tensor(x))


def jacobian(fn, x):
    """The explicit Jacobian of `fn` at `x`, of shape `fn(x).shape + x.shape`, by the backend's autodiff."""
    x = ops.convert_to_tensor(x)
    if BACKEND == "tensorflow":
        import tensorflow as tf

        with tf.GradientTape() as tape:
            tape.watch(x)
            y = fn(x)
        return tape.jacobian(y, x).numpy()
    import jax

    return np.asarray(jax.jit(jax.jacobian(fn))(x))


class TensorFlowTwin:
    """`model` (Flatten, Dense with tanh or no activation, Reshape) computed by TensorFlow from a copy of its
    weights, for TF-GAN's reference functions, which differentiate a TensorFlow critic, on either backend.

    `variables` are the copies, in the order of `model.trainable_variables`.
    """

    def __init__(self, model):
        import tensorflow as tf

        self.variables, self._steps = [], []
        for layer in model.layers:
            if isinstance(layer, keras.layers.Dense):
                kernel, bias = (tf.Variable(w) for w in layer.get_weights())
                activation = {"tanh": tf.tanh, "linear": tf.identity}[layer.get_config()["activation"]]
                self.variables += [kernel, bias]
                self._steps.append(lambda x, k=kernel, b=bias, a=activation: a(tf.matmul(x, k) + b))
            elif isinstance(layer, keras.layers.Flatten):
                self._steps.append(lambda x: tf.reshape(x, (tf.shape(x)[0], -1)))
            elif isinstance(layer, keras.layers.Reshape):
                self._steps.append(lambda x, shape=layer.target_shape: tf.reshape(x, (-1,) + tuple(shape)))
            else:
                raise TypeError(f"TensorFlowTwin has no rule for {type(layer).__name__}")

    def __call__(self, x):
        for step in self._steps:
            x = step(x)
        return x


def dtype_name(tensor):
    return keras.backend.standardize_dtype(tensor.dtype)
