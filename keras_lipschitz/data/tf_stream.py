"""The shuffled batch stream as a `tf.data` pipeline, positioned at any batch (TensorFlow's index shuffle)."""

import numpy as np

from keras_lipschitz._host_tensorflow import WITHOUT_TENSORFLOW as _WITHOUT_TENSORFLOW
from keras_lipschitz._host_tensorflow import import_tensorflow

# The first seed word that `tf.random.experimental.index_shuffle` puts before a
# two-word seed; the batched op below takes one three-word seed per position.
_INDEX_SHUFFLE_SEED_WORD = 498247692


def _tf():
    return import_tensorflow("tf.data input pipelines", _WITHOUT_TENSORFLOW)


def array_lookup(samples, labels):
    """A `DataSource.lookup` over arrays held in memory."""
    tf = _tf()
    samples = tf.constant(samples)
    labels = tf.constant(labels, tf.int32)
    return lambda indices: (tf.gather(samples, indices), tf.gather(labels, indices))


def shuffled_indices(positions, num_examples, seed):
    """The example at each stream position: `index_shuffle(p mod n, seed=[seed, p // n])`, for a batch of positions.

    One op for the whole batch (a per-element `tf.data` map costs more CPU
    time than a small model's step). Equal, position by position, to
    `tf.random.experimental.index_shuffle(p % n, [seed, p // n], n - 1)`.
    """
    tf = _tf()
    positions = tf.convert_to_tensor(positions, tf.int64)
    epochs, offsets = positions // num_examples, positions % num_examples
    words = tf.stack([tf.fill(tf.shape(positions), tf.constant(_INDEX_SHUFFLE_SEED_WORD, tf.int64)),
                      tf.fill(tf.shape(positions), tf.constant(seed, tf.int64)), epochs], axis=1)
    last = tf.fill(tf.shape(positions), tf.constant(num_examples - 1, tf.int64))
    return tf.raw_ops.RandomIndexShuffle(index=offsets, seed=words, max_index=last, rounds=4)


def positioned_stream(lookup, num_examples, seed, start, batch_size):
    """The endless stream of shuffled batches from stream position `start` on.

    Args:
        lookup: a batch of indices -> (samples, labels), see `DataSource.lookup`.
        num_examples: n, the number of examples.
        seed: int seed of the permutations.
        start: the first stream position (positions `p` run over epochs `p // n`).
        batch_size: examples per batch.

    Returns:
        A `tf.data.Dataset` of `(samples, labels)` batches.
    """
    tf = _tf()
    positions = tf.data.Dataset.range(start, np.iinfo(np.int64).max).batch(batch_size, drop_remainder=True)
    return positions.map(lambda batch: lookup(shuffled_indices(batch, num_examples, seed)),
                         num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)


def buffered_stream(elements, num_examples, seed, start, cache):
    """A source too large for memory: a shuffle buffer, and a resume that replays the stream to `start`."""
    dataset = elements.cache() if cache else elements
    buffer = min(num_examples or 10_000, 10_000)
    dataset = dataset.shuffle(buffer, seed=seed, reshuffle_each_iteration=True).repeat()
    return dataset.skip(start)
