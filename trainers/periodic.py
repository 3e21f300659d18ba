"""A callback base for work done every N generator steps and once more at the end."""

import keras

from keras_lipschitz import _validation


class EveryNSteps(keras.callbacks.Callback):
    """Calls `at_step(step)` every `every_n_steps` generator steps and at the end of training.

    The step is the generator optimizer's iteration count, so it continues
    across resumed runs. The final call is skipped when the last step was
    already handled.
    """

    def __init__(self, every_n_steps):
        super().__init__()
        self.every_n_steps = _validation.check_positive_integer("every_n_steps", every_n_steps)
        self.last_step = None

    def generator_step(self):
        return int(self.model.g_optimizer.iterations.numpy())

    def on_train_batch_end(self, batch, logs=None):
        step = self.generator_step()
        if step % self.every_n_steps == 0:
            self.last_step = step
            self.at_step(step)

    def on_train_end(self, logs=None):
        step = self.generator_step()
        if step != self.last_step:
            self.last_step = step
            self.at_step(step)

    def at_step(self, step):
        raise NotImplementedError
