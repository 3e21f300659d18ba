"""TensorBoard summaries, written by TensorFlow's summary writer on any Keras backend.

TensorBoard's event files are TensorFlow's format; under JAX, TensorFlow
writes them on the host when it is installed. Without it, summaries are
skipped with one notice: the PNG pictures, `history.csv` and `metrics.json`
hold the same numbers and pictures.
"""

import contextlib
import math
import pathlib
import sys

from keras_lipschitz._host_tensorflow import import_tensorflow

_noticed = False


class SummaryWriter:
    """Writes scalars and images to a TensorBoard log directory (created on the first write).

    Args:
        log_dir: the directory of the event files.
    """

    def __init__(self, log_dir):
        self.log_dir = pathlib.Path(log_dir)
        self._tf = None
        self._writer = None

    def scalars(self, step, values, prefix=""):
        """Writes each finite number of `values` ({name: number}) as scalar `prefix + name`."""
        numbers = {name: value for name, value in values.items()
                   if isinstance(value, (int, float)) and math.isfinite(value)}
        with self._writing() as tf:
            for name, value in numbers.items() if tf else ():
                tf.summary.scalar(f"{prefix}{name}", value, step=step)

    def image(self, step, tag, pixels):
        """Writes one `(height, width, channels)` uint8 picture."""
        with self._writing() as tf:
            if tf:
                tf.summary.image(tag, pixels[None], step=step)

    @contextlib.contextmanager
    def _writing(self):
        """The summary module inside the writer's default context (None without TensorFlow); flushes after."""
        tf = self._open()
        if tf is None:
            yield None
            return
        with self._writer.as_default():
            yield tf
        self._writer.flush()

    def _open(self):
        if self._writer is None:
            try:
                self._tf = import_tensorflow("TensorBoard's event files")
            except ImportError as error:
                _notice(error)
                return None
            self._writer = self._tf.summary.create_file_writer(str(self.log_dir))
        return self._tf


def _notice(error):
    global _noticed
    if not _noticed:
        _noticed = True
        print(f"{error} The PNG pictures, history.csv and metrics.json are written.",
              file=sys.stderr)
