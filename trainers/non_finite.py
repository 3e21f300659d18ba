"""Stopping a run that keeps producing NaN or inf, with a pointer to the last good checkpoint."""

import keras

from keras_lipschitz import _validation
from keras_lipschitz.trainers import checkpoint


class NonFiniteTrainingError(RuntimeError):
    """Raised by `TerminateOnNonFinite` when too many steps in a row had NaN or inf."""


class TerminateOnNonFinite(keras.callbacks.Callback):
    """Stops training after `patience` consecutive steps with NaN or inf losses or gradients.

    The GAN skips each such update (see `GAN`), so a single bad batch costs
    one step. A streak means training itself has diverged (a learning rate
    too high, a missing Lipschitz constraint, data with NaN); continuing
    would only burn compute. The error names the newest checkpoint in
    `checkpoint_directory`: `GANCheckpoint` does not write during a streak,
    so that checkpoint predates it.

    Args:
        patience: int >= 1, consecutive skipped steps that stop training.
        checkpoint_directory: None, or the `GANCheckpoint` directory to name
            in the message.

    Raises:
        NonFiniteTrainingError: from `fit`, with what happened and what to do.

    Example:

    ```python
    import numpy as np
    from keras_lipschitz.architectures import mlp_discriminator, mlp_generator
    from keras_lipschitz.trainers import GAN, presets
    from keras_lipschitz.trainers.non_finite import NonFiniteTrainingError, TerminateOnNonFinite

    gan = GAN(mlp_generator(latent_dim=2), mlp_discriminator(), latent_dim=2, seed=0)
    gan.compile(**presets.sngan())
    data = np.full((256, 2), np.nan, "float32")  # every batch is bad
    try:
        gan.fit(data, batch_size=64, verbose=0, callbacks=[TerminateOnNonFinite(patience=3)])
    except NonFiniteTrainingError as error:
        print(error)
    print(int(gan.skipped_steps.numpy()))  # 3
    ```
    """

    def __init__(self, patience=50, checkpoint_directory=None):
        super().__init__()
        self.patience = _validation.check_positive_integer("patience", patience)
        self.checkpoint_directory = checkpoint_directory

    def on_train_batch_end(self, batch, logs=None):
        streak = int(self.model.consecutive_skipped_steps.numpy())
        if streak >= self.patience:
            raise NonFiniteTrainingError(self._message(streak))

    def _message(self, streak):
        step = int(self.model.train_steps.numpy())
        found = checkpoint.checkpoints(self.checkpoint_directory) if self.checkpoint_directory else []
        if found:
            last = f"The last good checkpoint is {found[-1][1]} (step {found[-1][0]}); resuming starts from it."
        else:
            last = "No checkpoint was written before the streak (add a GANCheckpoint callback to keep one)."
        return (
            f"Training stopped at step {step}: the last {streak} steps had NaN or inf losses or gradients "
            f"and were skipped ({int(self.model.skipped_steps.numpy())} skipped in all). {last} "
            "Check the data for NaN/inf, lower the learning rates, or constrain the critic "
            "(--gan=sngan or a gradient penalty)."
        )
