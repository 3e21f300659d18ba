"""Full, shuffled batches of in-memory arrays as a `keras.utils.PyDataset` (no TensorFlow needed)."""

import math

import keras
import numpy as np


class ArrayBatches(keras.utils.PyDataset):
    """Batches of `samples` (an array, or a tuple of arrays with one row per sample).

    Each epoch is a fresh seeded permutation when `shuffle` (the same seed
    gives the same batches); with `drop_remainder` every batch is full, as a
    GAN step that splits its batch into critic batches needs.

    Args:
        samples: an array `(n, ...)` or a tuple of such arrays.
        batch_size: rows per batch.
        shuffle: reshuffle each epoch.
        seed: the permutations' seed.
        drop_remainder: leave out the last, partial batch.

    Example:

    ```python
    import numpy as np
    from keras_lipschitz.data.array_batches import ArrayBatches

    batches = ArrayBatches(np.arange(10.0)[:, None], batch_size=4, seed=0)
    print(len(batches), batches[0].shape)  # 2 (4, 1)
    ```
    """

    def __init__(self, samples, batch_size, shuffle=True, seed=None, drop_remainder=True):
        super().__init__()
        self.samples = tuple(np.asarray(a) for a in samples) if isinstance(samples, tuple) else np.asarray(samples)
        self.length = len(self.samples[0] if isinstance(self.samples, tuple) else self.samples)
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.drop_remainder = drop_remainder
        self._rng = np.random.default_rng(seed)
        self._order = self._rng.permutation(self.length) if shuffle else np.arange(self.length)

    def __len__(self):
        batches = self.length / self.batch_size
        return math.floor(batches) if self.drop_remainder else math.ceil(batches)

    def __getitem__(self, index):
        rows = self._order[index * self.batch_size : (index + 1) * self.batch_size]
        if isinstance(self.samples, tuple):
            return tuple(a[rows] for a in self.samples)
        return self.samples[rows]

    def on_epoch_end(self):
        if self.shuffle:
            self._order = self._rng.permutation(self.length)
