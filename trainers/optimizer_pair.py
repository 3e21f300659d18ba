"""The discriminator's and the generator's optimizers, seen by Keras' trainer as `model.optimizer`."""

import keras


class OptimizerPair(keras.optimizers.Optimizer):
    """Both optimizers of a GAN as the one `model.optimizer` that Keras' trainers hold.

    Keras' JAX trainer carries `model.optimizer.variables` through its
    stateless step, so both optimizers' slots and step counters must be
    there. The pair applies nothing itself (each network's step applies its
    own optimizer), builds nothing (`GAN.compile` builds both) and saves
    nothing (each optimizer saves its own variables).

    Args:
        d_optimizer: the discriminator's optimizer, built.
        g_optimizer: the generator's optimizer, built.
    """

    def __init__(self, d_optimizer, g_optimizer):
        super().__init__(learning_rate=0.0, name="gan_optimizers")
        self._pair = (d_optimizer, g_optimizer)
        self.built = True

    @property
    def variables(self):
        return [*self._pair[0].variables, *self._pair[1].variables]

    def build(self, variables):
        self.built = True

    def apply(self, grads, trainable_variables=None):
        raise NotImplementedError("A GAN applies d_optimizer and g_optimizer, each to its own network.")

    def save_own_variables(self, store):
        pass

    def load_own_variables(self, store):
        pass
