"""Conditional batch normalization: a per-class scale and offset."""

import keras
from keras import ops

from keras_lipschitz import _validation


@keras.saving.register_keras_serializable(package="keras_lipschitz")
class ConditionalBatchNormalization(keras.layers.Layer):
    """Batch normalization whose gamma and beta are looked up by class label.

    `y = gamma[label] * (x - mean) / sqrt(var + epsilon) + beta[label]`:
    the statistics are shared by all classes (an affine-free
    `keras.layers.BatchNormalization`), the affine parameters are one row
    per class of two embeddings (gamma starts at 1, beta at 0, so at
    initialization the layer is plain batch normalization).

    Args:
        num_classes: number of classes; labels are integers in
            `[0, num_classes)`.
        axis: the feature axis (the last one by default).
        momentum: momentum of the moving statistics.
        epsilon: added to the variance.
        synchronized: compute the batch statistics over all replicas of a
            `tf.distribute` strategy (BigGAN's cross-replica batch
            normalization) instead of per replica.
        **kwargs: base `keras.layers.Layer` arguments.

    Returns:
        Called on `[inputs, labels]` (labels of shape `(batch,)` or
        `(batch, 1)`), a tensor of the inputs' shape.

    Example:

    ```python
    import numpy as np
    from keras_lipschitz.layers import ConditionalBatchNormalization

    layer = ConditionalBatchNormalization(num_classes=10)
    features = np.random.default_rng(0).normal(size=(8, 4, 4, 16)).astype("float32")
    labels = np.arange(8) % 10
    print(layer([features, labels], training=True).shape)  # (8, 4, 4, 16)
    ```

    Reference:
        de Vries et al., "Modulating early visual processing by language",
        NeurIPS 2017 (eq. 2-3); Miyato & Koyama, "cGANs with Projection
        Discriminator", ICLR 2018 (the generator's conditional BN).
    """

    def __init__(self, num_classes, axis=-1, momentum=0.99, epsilon=1e-3, synchronized=False, **kwargs):
        super().__init__(**kwargs)
        _validation.check_positive_integer("num_classes", num_classes)
        self.num_classes = num_classes
        self.axis = axis
        self.momentum = momentum
        self.epsilon = epsilon
        self.synchronized = bool(synchronized)
        self.normalization = keras.layers.BatchNormalization(
            axis=axis,
            momentum=momentum,
            epsilon=epsilon,
            center=False,
            scale=False,
            synchronized=self.synchronized,
            dtype=self.dtype_policy,
        )

    def build(self, input_shape):
        features_shape, _ = input_shape
        features = features_shape[self.axis]
        if features is None:
            raise ValueError(f"ConditionalBatchNormalization needs a known feature axis, got shape {features_shape}.")
        self.normalization.build(features_shape)
        # One row of `features` scales (and offsets) per class.
        self.gamma = keras.layers.Embedding(
            self.num_classes, features, embeddings_initializer="ones", dtype=self.dtype_policy, name="gamma"
        )
        self.beta = keras.layers.Embedding(
            self.num_classes, features, embeddings_initializer="zeros", dtype=self.dtype_policy, name="beta"
        )
        self.gamma.build((None,))
        self.beta.build((None,))

    def call(self, inputs, training=None):
        features, labels = inputs
        labels = _labels_vector(labels)
        normalized = self.normalization(features, training=training)
        rank = len(features.shape)
        axis = self.axis % rank
        # (batch, features) -> broadcastable against the inputs.
        shape = [-1] + [1] * (rank - 1)
        shape[axis] = features.shape[axis]
        gamma = ops.reshape(self.gamma(labels), shape)
        beta = ops.reshape(self.beta(labels), shape)
        return normalized * ops.cast(gamma, normalized.dtype) + ops.cast(beta, normalized.dtype)

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def get_config(self):
        return {
            **super().get_config(),
            "num_classes": self.num_classes,
            "axis": self.axis,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "synchronized": self.synchronized,
        }


def _labels_vector(labels):
    """Labels of shape (batch,) or (batch, 1) as an int32 vector."""
    labels = ops.convert_to_tensor(labels)
    if len(labels.shape) == 2 and labels.shape[1] == 1:
        labels = ops.squeeze(labels, axis=1)
    if len(labels.shape) != 1:
        raise ValueError(f"Labels must have shape (batch,) or (batch, 1), got {tuple(labels.shape)}.")
    return ops.cast(labels, "int32")
