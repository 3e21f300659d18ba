"""Whole-state GAN checkpoints: written atomically, restored exactly.

The state is every variable a run needs to continue as if it had never
stopped: both networks (with spectral-normalization vectors and batch-norm
statistics), the EMA weights, both optimizers (step counters, slots), and
the seed generator that draws latents and penalty interpolation weights.
Files are NumPy `.npz` archives (no pickle), written to a temporary file in
the same directory and renamed into place, so a crash never leaves a
half-written checkpoint under a checkpoint's name (a kill mid-write
leaves a hidden `.tmp-*` file, removed when training starts again).
"""

import pathlib
import re
import signal
import threading
import zipfile

import numpy as np

from keras_lipschitz import _files
from keras_lipschitz import _validation
from keras_lipschitz.trainers.periodic import EveryNSteps

_NAME = re.compile(r"^ckpt-(\d+)\.npz$")


def state_variables(gan):
    """The variables of a compiled `GAN`'s training state, in a fixed order."""
    if not hasattr(gan, "d_optimizer"):
        raise ValueError("Compile the GAN (which builds both optimizers) before saving or restoring its state.")
    return (
        list(gan.weights)
        + [gan.seed_generator.state]
        + list(gan.d_optimizer.variables)
        + list(gan.g_optimizer.variables)
    )


def save(gan, path):
    """Writes the state of `gan` to `path` (`.npz`) atomically."""
    path = pathlib.Path(path)
    arrays = {f"v{index:05d}": np.asarray(variable.numpy()) for index, variable in enumerate(state_variables(gan))}
    with _files.atomic_write(path) as file:
        np.savez(file, **arrays)
    return path


def restore(gan, path):
    """Loads a state written by `save` into `gan` (same architecture and recipe)."""
    variables = state_variables(gan)
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = [archive[key] for key in sorted(archive.files)]
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as error:
        # Our writes are atomic; this is a file damaged or copied in from elsewhere.
        raise ValueError(
            f"{path} is not a readable checkpoint ({type(error).__name__}: {error}). Delete it to resume "
            "from the previous checkpoint in that directory."
        ) from error
    if len(arrays) != len(variables):
        raise ValueError(
            f"The checkpoint {path} holds {len(arrays)} variables, this GAN has "
            f"{len(variables)}: it was written by a different architecture or recipe. "
            "Use another output directory, or the same models and compile arguments."
        )
    for variable, array in zip(variables, arrays):
        if tuple(variable.shape) != array.shape:
            raise ValueError(
                f"The checkpoint {path} has shape {array.shape} where this GAN's "
                f"{variable.path} has {tuple(variable.shape)}: it was written by a different architecture."
            )
    for variable, array in zip(variables, arrays):
        variable.assign(array)


def checkpoints(directory):
    """The checkpoint files in `directory`, oldest first, as (step, path)."""
    directory = pathlib.Path(directory)
    if not directory.is_dir():
        return []
    found = [(int(match.group(1)), path) for path in directory.iterdir() if (match := _NAME.match(path.name))]
    return sorted(found)


class GANCheckpoint(EveryNSteps):
    """Saves the whole GAN state every `every_n_steps` steps; resumes from the latest.

    On `fit`'s start, the newest checkpoint in `directory` (if any) is
    restored. Every `every_n_steps` steps and at the end of training a
    checkpoint named after the step is written atomically; only the newest
    `max_to_keep` are kept. No checkpoint is written while the GAN is in a
    streak of skipped (NaN or inf) steps, so the newest one is a good one.

    On a signal in `save_on_signals` (SIGTERM by default: what Cloud TPU,
    spot VMs and Kubernetes send before they stop a machine; the command
    adds SIGINT, Ctrl-C) the step in flight finishes, a checkpoint is written
    and `fit` returns; `preempted` then holds the signal's name. A second
    signal of the same kind is not waited for: a second Ctrl-C raises
    `KeyboardInterrupt` at once, a second SIGTERM ends the process.

    Args:
        directory: where checkpoints live.
        every_n_steps: int >= 1.
        max_to_keep: int >= 1.
        restore: restore the newest checkpoint when `fit` starts (False when
            the caller has restored it already).
        save_on_signals: signals that checkpoint and stop training (handled
            only from the main thread; `GAN.fit` puts the previous handlers
            back when it ends, also by an exception).

    Example:

    ```python
    import numpy as np
    import tempfile
    from keras_lipschitz.architectures import mlp_discriminator, mlp_generator
    from keras_lipschitz.trainers import GAN, presets
    from keras_lipschitz.trainers.checkpoint import GANCheckpoint, checkpoints

    gan = GAN(mlp_generator(latent_dim=2), mlp_discriminator(), latent_dim=2, seed=0)
    gan.compile(**presets.sngan())
    directory = tempfile.mkdtemp()
    data = np.zeros((256, 2), "float32")
    gan.fit(data, batch_size=64, verbose=0, callbacks=[GANCheckpoint(directory, every_n_steps=2)])
    print([step for step, _ in checkpoints(directory)])  # [2, 4]
    ```
    """

    def __init__(self, directory, every_n_steps=1000, max_to_keep=3, restore=True, save_on_signals=(signal.SIGTERM,)):
        super().__init__(every_n_steps)
        _validation.check_positive_integer("max_to_keep", max_to_keep)
        self.directory = pathlib.Path(directory)
        self.max_to_keep = max_to_keep
        self.restore_on_start = restore
        self.save_on_signals = tuple(save_on_signals)
        self.restored_step = None
        self.preempted = None

    def on_train_begin(self, logs=None):
        for stale in self.directory.glob(".tmp-*"):  # left by a kill during a write
            stale.unlink(missing_ok=True)
        found = checkpoints(self.directory) if self.restore_on_start else []
        if found:
            step, path = found[-1]
            restore(self.model, path)
            self.restored_step = step
        self._install_signal_handlers()

    def on_train_batch_end(self, batch, logs=None):
        super().on_train_batch_end(batch, logs)
        if self.preempted is not None and not self.model.stop_training:
            self.handle(self.generator_step())
            self.model.stop_training = True

    def at_step(self, step):
        if int(self.model.consecutive_skipped_steps.numpy()) > 0:
            return  # the state of a NaN streak is not one to resume from
        found = checkpoints(self.directory)
        if found and found[-1][0] == step:
            return  # e.g. the end of a run that had just checkpointed
        save(self.model, self.directory / f"ckpt-{step:08d}.npz")
        for _, old in checkpoints(self.directory)[: -self.max_to_keep]:
            old.unlink(missing_ok=True)

    def _install_signal_handlers(self):
        self.preempted = None
        if threading.current_thread() is not threading.main_thread():
            return  # Python delivers signals to the main thread only
        # `GAN.fit` puts the previous handlers back when it returns or raises.
        for number in self.save_on_signals:
            signal.signal(number, self._on_signal)

    def _on_signal(self, number, frame):
        # Only note it: the step in flight must finish before its state is saved.
        self.preempted = signal.Signals(number).name
        # A second signal of the same kind acts at once (a second Ctrl-C raises KeyboardInterrupt).
        signal.signal(number, signal.default_int_handler if number == signal.SIGINT else signal.SIG_DFL)
