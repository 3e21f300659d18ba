"""Logging a GAN's metrics by generator step: a CSV history and TensorBoard scalars.

Keras' `CSVLogger` and `TensorBoard` callbacks count progress-bar epochs
(and `CSVLogger` adds a column of `NA` for every metric when there is no
validation data); a GAN run is counted in generator steps, as its
checkpoints, sample pictures and evaluations are. `StepLogger` writes one
row per epoch of `fit` (in the command, one per `--log_every` steps) keyed
by the GAN's `train_steps`, which continues across resumed runs. Each row
holds the means over the steps since the previous row; a run stopped
mid-epoch (pre-emption, `--steps`) writes a row at the step it stopped, and
a run resumed there counts its epochs from that step.
"""

import csv
import pathlib

import keras

from keras_lipschitz import _files
from keras_lipschitz.trainers.summaries import SummaryWriter

STEP = "step"


class StepLogger(keras.callbacks.Callback):
    """At the end of each epoch, appends `step, metric...` to a CSV file and writes TensorBoard scalars.

    Args:
        path: None, or the CSV file (appended to; its header is kept when it exists).
        log_dir: None, or a TensorBoard log directory (scalars under `log_dir/train`, tag = metric name).

    Example:

    ```python
    import tempfile
    import numpy as np
    from keras_lipschitz.architectures import mlp_discriminator, mlp_generator
    from keras_lipschitz.trainers import GAN, presets
    from keras_lipschitz.trainers.step_log import StepLogger, read_history

    gan = GAN(mlp_generator(latent_dim=2), mlp_discriminator(), latent_dim=2, seed=0)
    gan.compile(**presets.gan())
    path = tempfile.mkdtemp() + "/history.csv"
    gan.fit(np.zeros((256, 2), "float32"), batch_size=64, epochs=2, verbose=0, callbacks=[StepLogger(path)])
    steps, history = read_history(path)
    print(steps, sorted(history))  # [4, 8] ['d_loss', 'g_loss', 'skipped_steps', 'wasserstein_estimate']
    ```
    """

    def __init__(self, path=None, log_dir=None):
        super().__init__()
        self.path = None if path is None else pathlib.Path(path)
        self.log_dir = log_dir
        self._writer = None

    def on_epoch_end(self, epoch, logs=None):
        step = int(self.model.train_steps.numpy())
        values = {name: float(value) for name, value in (logs or {}).items()}
        if self.path is not None:  # the CSV keeps training metrics; TensorBoard also shows validation ones
            self._append(step, {name: value for name, value in values.items() if not name.startswith("val_")})
        if self.log_dir is not None:
            self._scalars(step, values)

    def _append(self, step, values):
        header = _header(self.path) or [STEP, *values]
        exists = self.path.exists()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a", newline="") as file:
            writer = csv.writer(file, lineterminator="\n")
            if not exists:
                writer.writerow(header)
            writer.writerow([step, *(values.get(name, "") for name in header[1:])])

    def _scalars(self, step, values):
        if self._writer is None:
            self._writer = SummaryWriter(pathlib.Path(self.log_dir) / "train")
        self._writer.scalars(step, values)


def _header(path):
    if path is None or not path.exists():
        return None
    with open(path, newline="") as file:
        return next(csv.reader(file), None)


def read_history(path):
    """`(steps, {metric: values})` from a `StepLogger` CSV file; complete rows only."""
    path = pathlib.Path(path)
    header = _header(path)
    if not header:
        return [], {}
    with open(path, newline="") as file:
        rows = [row for row in csv.reader(file)][1:]
    rows = [row for row in rows if len(row) == len(header) and all(cell != "" for cell in row)]
    steps = [int(row[0]) for row in rows]
    history = {name: [float(row[index]) for row in rows] for index, name in enumerate(header) if index > 0}
    return steps, history


def forget_after(path, step):
    """Keeps the rows of steps <= `step` (and drops a row a kill cut short)."""
    path = pathlib.Path(path)
    header = _header(path)
    if header is None:
        return
    with open(path, newline="") as file:
        rows = list(csv.reader(file))[1:]
    kept = [row for row in rows if len(row) == len(header) and row[0].isdigit() and int(row[0]) <= step]
    with _files.atomic_write(path, "w") as file:
        csv.writer(file, lineterminator="\n").writerows([header, *kept])
