"""Minibatch standard deviation (PGGAN's discriminator): a feature map of how varied the batch is."""

import keras
from keras import ops

from keras_lipschitz import _validation


@keras.saving.register_keras_serializable(package="keras_lipschitz")
class MinibatchStandardDeviation(keras.layers.Layer):
    """Appends one feature map: the mean standard deviation of the features within a group of samples.

    The batch is cut into groups of `group_size` consecutive samples (the
    authors' code takes every `batch / group_size`-th sample instead;
    consecutive groups stay the same when `tf.distribute` gives each replica
    a contiguous slice of the batch, so N replicas compute what one device
    does when each replica's batch is a multiple of `group_size`); for each
    group, the standard deviation of every feature at every position is
    taken over the group's samples (`sqrt(variance + 1e-8)`), averaged over
    all features and positions, and appended as a constant map to every
    sample of the group. A collapsed generator makes this statistic small,
    which the discriminator can see. When the batch is smaller than
    `group_size` the whole batch is one group; otherwise the batch (per
    replica) must be a multiple of `group_size`.

    Args:
        group_size: samples per group (4 in the paper).
        epsilon: added to the variance before the square root.
        **kwargs: base `keras.layers.Layer` arguments.

    Returns:
        `(batch, height, width, channels + 1)`.

    Example:

    ```python
    import numpy as np
    from keras_lipschitz.layers import MinibatchStandardDeviation

    x = np.random.default_rng(0).normal(size=(8, 4, 4, 3)).astype("float32")
    y = MinibatchStandardDeviation()(x)
    print(y.shape)  # (8, 4, 4, 4)
    ```

    Reference:
        Karras et al., ICLR 2018, sec. 3 ("Increasing variation using
        minibatch standard deviation"), one feature map, before the last
        block of the discriminator.
    """

    def __init__(self, group_size=4, epsilon=1e-8, **kwargs):
        super().__init__(**kwargs)
        _validation.check_positive_integer("group_size", group_size, owner="MinibatchStandardDeviation")
        _validation.check_finite_number("epsilon", epsilon, positive=True, owner="MinibatchStandardDeviation")
        self.group_size, self.epsilon = group_size, float(epsilon)

    def call(self, inputs):
        batch = inputs.shape[0]
        if batch is not None and batch % self.group_size and batch > self.group_size:
            raise ValueError(f"MinibatchStandardDeviation(group_size={self.group_size}) needs a batch (per "
                             f"replica) that is a multiple of {self.group_size}, got {batch}.")
        height, width, channels = inputs.shape[1:]
        group = self.group_size if batch is None else min(self.group_size, batch)
        values = ops.cast(inputs, "float32")
        grouped = ops.reshape(values, (-1, group, height, width, channels))
        variance = ops.mean(ops.square(grouped - ops.mean(grouped, axis=1, keepdims=True)), axis=1)
        deviation = ops.mean(ops.sqrt(variance + self.epsilon), axis=(1, 2, 3))  # one value per group
        per_sample = ops.repeat(deviation, group)  # samples group * g ... group * g + group - 1
        feature = ops.broadcast_to(ops.reshape(per_sample, (-1, 1, 1, 1)), (ops.shape(inputs)[0], height, width, 1))
        return ops.concatenate([inputs, ops.cast(feature, inputs.dtype)], axis=-1)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], input_shape[-1] + 1)

    def get_config(self):
        return {**super().get_config(), "group_size": self.group_size, "epsilon": self.epsilon}
