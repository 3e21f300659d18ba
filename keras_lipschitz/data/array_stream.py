"""The shuffled batch stream of in-memory arrays, positioned at any batch, without TensorFlow."""

import keras
import numpy as np

from keras_lipschitz import _validation


class PositionedArrayBatches(keras.utils.PyDataset):
    """Endless shuffled batches of arrays held in memory, starting at any position of the stream.

    Element `p` of the stream is example `perm_e[p mod n]`, where `e = p //
    n` is its epoch and `perm_e` a permutation drawn from `(seed, e)` alone.
    Every epoch therefore visits each example once, batches run across epoch
    boundaries (no partial batch), and the stream from batch `k` on costs the
    same for any `k`: a run resumed at step N reads the batches an
    uninterrupted run would. This is the Keras-backend-neutral counterpart
    of the TensorFlow stream (`tf.random.experimental.index_shuffle`), with
    other permutations: the two backends read the same examples in
    different orders.

    Args:
        arrays: an array `(n, ...)` or a tuple of arrays with `n` rows (e.g. `(samples, labels)`).
        batch_size: rows per batch.
        seed: int seed of the permutations.
        start: the first stream position (a multiple of `batch_size` to resume at a batch).
        shard: `(index, count)`: yield only the `index`-th of `count` equal
            row blocks of each batch (each process's share of the global
            batch in a multi-process JAX job); default all rows.

    Example:

    ```python
    import numpy as np
    from keras_lipschitz.data.array_stream import PositionedArrayBatches

    samples = np.arange(10.0)[:, None]
    whole = PositionedArrayBatches(samples, batch_size=4, seed=0)
    tail = PositionedArrayBatches(samples, batch_size=4, seed=0, start=8)
    print(np.array_equal(whole[2], tail[0]), whole.num_batches)  # True None
    ```
    """

    def __init__(self, arrays, batch_size, seed=0, start=0, shard=(0, 1)):
        super().__init__()
        _validation.check_positive_integer("batch_size", batch_size)
        index, count = shard
        if batch_size % count or not 0 <= index < count:
            raise ValueError(f"shard={shard}: the batch of {batch_size} rows must split into {count} equal "
                             "shares and the index must be in [0, count).")
        self.rows = slice(index * batch_size // count, (index + 1) * batch_size // count)
        self.arrays = tuple(np.asarray(a) for a in arrays) if isinstance(arrays, tuple) else np.asarray(arrays)
        self.num_examples = len(self.arrays[0] if isinstance(self.arrays, tuple) else self.arrays)
        self.batch_size = batch_size
        self.seed = int(seed)
        self.start = int(start)
        self._permutations = {}

    @property
    def num_batches(self):
        return None  # endless: `fit` is given steps_per_epoch

    def __getitem__(self, index):
        positions = self.start + index * self.batch_size + np.arange(self.batch_size)[self.rows]
        rows = self.examples(positions)
        if isinstance(self.arrays, tuple):
            return tuple(a[rows] for a in self.arrays)
        return self.arrays[rows]

    def examples(self, positions):
        """The example index at each stream position."""
        positions = np.asarray(positions, np.int64)
        epochs, offsets = np.divmod(positions, self.num_examples)
        rows = np.empty_like(positions)
        for epoch in np.unique(epochs):
            at = epochs == epoch
            rows[at] = self._permutation(int(epoch))[offsets[at]]
        return rows

    def _permutation(self, epoch):
        if epoch not in self._permutations:
            if len(self._permutations) >= 2:  # a batch no larger than the data spans at most two epochs
                self._permutations.pop(min(self._permutations))
            self._permutations[epoch] = np.random.default_rng([self.seed, epoch]).permutation(self.num_examples)
        return self._permutations[epoch]
