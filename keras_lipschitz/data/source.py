"""`DataSource`: a dataset and what a trainer and an evaluation need to know about it."""

import dataclasses

import keras
import numpy as np

from keras_lipschitz import _validation
from keras_lipschitz import backend
from keras_lipschitz._host_tensorflow import WITHOUT_TENSORFLOW as _WITHOUT_TENSORFLOW
from keras_lipschitz._host_tensorflow import import_tensorflow
from keras_lipschitz.data import array_stream

# Sources up to this many bytes of decoded samples are held in memory for random access.
RANDOM_ACCESS_BYTES = 4 * 2**30


@dataclasses.dataclass
class DataSource:
    """A dataset and what is known about it.

    Samples are scaled to [-1, 1] (images) or left as they are (2-D points).

    Attributes:
        name: the spec it was loaded from (e.g. "digits", "tfds:mnist").
        kind: "points" (2-D mixtures) or "images".
        sample_shape: shape of one sample.
        num_classes: number of classes, or None when there are no labels.
        arrays: `(samples, labels)` held in memory (the embedded sources),
            or None; these need no TensorFlow.
        dataset: unbatched `tf.data.Dataset` of `(sample, label)` for
            sources read from files (label 0 when unlabelled), or None.
        num_examples: the number of examples, when known.
        means: the mixture's means (points only).
        test_samples, test_labels: a held-out split as arrays, when there is one.
        lookup: None, or a function from an int64 vector of indices in
            `[0, num_examples)` to `(samples, labels)`, usable in `tf.data`
            (random access; sources without it are read into memory by
            `batches` when they fit in `RANDOM_ACCESS_BYTES`).
    """

    name: str
    kind: str
    sample_shape: tuple
    num_classes: int | None
    arrays: tuple | None = None
    dataset: object = None
    num_examples: int | None = None
    means: np.ndarray | None = None
    test_samples: np.ndarray | None = None
    test_labels: np.ndarray | None = None
    lookup: object = None

    def __post_init__(self):
        if (self.arrays is None) == (self.dataset is None):
            raise ValueError("A DataSource holds either arrays or a tf.data dataset (exactly one of them).")
        if self.arrays is not None:
            self.num_examples = len(self.arrays[0])

    def fraction(self, fraction, seed=0):
        """A stratified, seeded `fraction` of the training examples, for data-limited training.

        Each class keeps `round(fraction * its count)` examples (at least
        one), drawn without replacement by a generator seeded with `seed`, in
        their original order; the test split is kept whole.

        Args:
            fraction: in (0, 1]; 1 returns this source.
            seed: the draw's seed.

        Returns:
            A `DataSource` holding the subset.

        Example:

        ```python
        from keras_lipschitz import data

        tenth = data.load("digits").fraction(0.1)
        print(tenth.num_examples)  # 143 of 1437
        ```

        Reference: Zhao et al. 2020, "Differentiable Augmentation for
        Data-Efficient GAN Training" (training on 10% and 20% of CIFAR-10).
        """
        if not isinstance(fraction, (int, float)) or not 0 < fraction <= 1:
            raise ValueError(f"data_fraction must be a number in (0, 1], got {fraction!r}.")
        if fraction == 1:
            return self
        if self.arrays is None:
            raise ValueError(f"data_fraction needs a dataset held in memory; {self.name} is read from files. Use an "
                             "embedded or IDX dataset, or make a smaller folder.")
        samples, labels = self.arrays
        rng = np.random.default_rng(seed)
        keep = []
        for label in np.unique(labels):
            rows = np.flatnonzero(labels == label)
            keep.append(rng.choice(rows, max(1, round(fraction * len(rows))), replace=False))
        keep = np.sort(np.concatenate(keep))
        return dataclasses.replace(self, arrays=(samples[keep], labels[keep]), lookup=None)

    @property
    def elements(self):
        """The unbatched `tf.data.Dataset` of `(sample, label)` pairs (made from the arrays when there are any)."""
        if self.dataset is None:
            self.dataset = import_tensorflow("tf.data pipelines", _WITHOUT_TENSORFLOW).data.Dataset.from_tensor_slices(self.arrays)
        return self.dataset

    def batches(self, batch_size, seed=0, labels=None, cache=True, skip_batches=0):
        """Shuffled, repeated batches with static shapes for training.

        The stream is a function of the position: element `p` of the stream
        is example `shuffle_e(p mod n)` of epoch `e = p // n`, where
        `shuffle_e` is a seeded permutation whose value at any index is
        computed on its own. Starting at batch `k` therefore costs the same
        for any `k`: a run resumed at step 10^6 reads its first batch as fast
        as a new one. Every epoch visits each example once, and batches run
        across epoch boundaries (no partial batch is dropped).

        On the TensorFlow backend the stream is a `tf.data` pipeline
        (`tf.random.experimental.index_shuffle`, one op per batch, see
        `tf_stream.shuffled_indices`). On JAX, sources held in memory stream
        from numpy (`array_stream.PositionedArrayBatches`, no TensorFlow; its
        permutations differ from TensorFlow's), and file sources from
        `tf.data` on the host. In a multi-process JAX job each process reads
        its share of every global batch.

        Args:
            batch_size: global batch size (for the GAN trainer: d_steps times the critic batch).
            seed: shuffling seed.
            labels: include labels (default: when the source has classes).
            cache: for a source too large to hold in memory, cache it anyway
                (it is then read as a stream and shuffled with a buffer).
            skip_batches: start after this many batches of the same stream,
                so a run resumed at step N reads the batches an uninterrupted
                run would.

        Returns:
            Batches of `samples` or `(samples, labels)`, every one full: a
            prefetched `tf.data.Dataset`, or a `keras.utils.PyDataset`.
        """
        _validation.check_positive_integer("batch_size", batch_size)
        if self.num_examples is not None and self.num_examples < batch_size:
            raise ValueError(
                f"{self.name} has {self.num_examples} examples, fewer than one batch of {batch_size}; "
                "use a smaller batch size."
            )
        labels = self.num_classes is not None if labels is None else labels
        start = skip_batches * batch_size
        shard = backend.process_shard()
        if self.arrays is not None and keras.backend.backend() != "tensorflow":
            arrays = self.arrays if labels else self.arrays[0]
            return array_stream.PositionedArrayBatches(arrays, batch_size, seed=seed, start=start, shard=shard)
        if shard[1] > 1:
            raise NotImplementedError(f"{self.name} in a job of {shard[1]} processes: only the embedded datasets "
                                      "are split between processes yet.")
        return self._tf_batches(batch_size, seed, labels, cache, start)

    def _tf_batches(self, batch_size, seed, labels, cache, start):
        from keras_lipschitz.data import tf_stream

        tf = import_tensorflow("tf.data pipelines", _WITHOUT_TENSORFLOW)
        lookup = self.lookup or self._in_memory_lookup()
        if lookup is None:
            dataset = tf_stream.buffered_stream(self.elements, self.num_examples, seed, start, cache)
            dataset = dataset.batch(batch_size, drop_remainder=True)
        else:
            dataset = tf_stream.positioned_stream(lookup, self.num_examples, seed, start, batch_size)
        if not labels:
            dataset = dataset.map(lambda samples, labels: samples)
        return dataset.prefetch(tf.data.AUTOTUNE)

    def _in_memory_lookup(self):
        """Reads the elements into memory (once) when they fit, for random access."""
        from keras_lipschitz.data import tf_stream

        if self.arrays is not None:
            self.lookup = tf_stream.array_lookup(*self.arrays)
            return self.lookup
        if self.num_examples is None:
            return None
        sample_bytes = 4 * int(np.prod(self.sample_shape))
        if self.num_examples * sample_bytes > RANDOM_ACCESS_BYTES:
            return None
        samples, labels = [], []
        for sample_batch, label_batch in self.elements.batch(4096):
            samples.append(sample_batch.numpy())
            labels.append(label_batch.numpy())
        self.lookup = tf_stream.array_lookup(np.concatenate(samples), np.concatenate(labels))
        return self.lookup
