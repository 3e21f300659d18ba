"""Callbacks keyed to the GAN's step count: work every N steps, and a stop at step N."""

import keras

from keras_lipschitz import _validation


class EveryNSteps(keras.callbacks.Callback):
    """Calls `at_step(step)` every `every_n_steps` generator steps and at the end of training.

    The step is the GAN's `train_steps` count (saved in checkpoints), so it
    continues across resumed runs. The final call is skipped when the last step was
    already handled.
    """

    def __init__(self, every_n_steps):
        super().__init__()
        self.every_n_steps = _validation.check_positive_integer("every_n_steps", every_n_steps)
        self.last_step = None

    def generator_step(self):
        return int(self.model.train_steps.numpy())

    def on_train_batch_end(self, batch, logs=None):
        step = self.generator_step()
        if step % self.every_n_steps == 0:
            self.handle(step)

    def on_train_end(self, logs=None):
        self.handle(self.generator_step())

    def handle(self, step):
        """`at_step(step)`, unless this step was handled already."""
        if step != self.last_step:
            self.last_step = step
            self.at_step(step)

    def at_step(self, step):
        raise NotImplementedError


class StopAtStep(keras.callbacks.Callback):
    """Ends `fit` once the GAN's `train_steps` reaches `steps`, also mid-epoch.

    A run resumed from a checkpoint written mid-epoch (e.g. on SIGTERM)
    starts mid-epoch; this makes it end at the same step as an
    uninterrupted run.

    Args:
        steps: int >= 1, the step to stop at.
    """

    def __init__(self, steps):
        super().__init__()
        self.steps = _validation.check_positive_integer("steps", steps)

    def on_train_batch_end(self, batch, logs=None):
        if int(self.model.train_steps.numpy()) >= self.steps:
            self.model.stop_training = True
