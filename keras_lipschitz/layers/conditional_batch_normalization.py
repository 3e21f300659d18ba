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


@keras.saving.register_keras_serializable(package="keras_lipschitz")
class VectorConditionalBatchNormalization(keras.layers.Layer):
    """Batch normalization whose gain and bias are linear functions of a conditioning vector (BigGAN).

    `y = (1 + W_g c + b_g) * (x - mean) / sqrt(var + epsilon) + (W_b c + b_b)`
    for a conditioning vector `c` per sample: in BigGAN the concatenation of a
    shared class embedding and this block's chunk of z. The statistics are
    those of an affine-free `keras.layers.BatchNormalization`.

    Args:
        spectral_normalization: wrap the gain and bias projections in
            `SpectralNormalization` (BigGAN-PyTorch does).
        kernel_regularizer: of both projections (BigGAN's orthogonal
            regularization covers every weight of G but the shared
            embedding).
        momentum: momentum of the moving statistics.
        epsilon: added to the variance.
        **kwargs: base `keras.layers.Layer` arguments.

    Returns:
        Called on `[inputs, conditions]` with conditions `(batch, d)`, a
        tensor of the inputs' shape.

    Example:

    ```python
    import numpy as np
    from keras_lipschitz.layers import VectorConditionalBatchNormalization

    layer = VectorConditionalBatchNormalization()
    features = np.random.default_rng(0).normal(size=(8, 4, 4, 16)).astype("float32")
    conditions = np.random.default_rng(1).normal(size=(8, 20)).astype("float32")
    print(layer([features, conditions], training=True).shape)  # (8, 4, 4, 16)
    ```

    Reference:
        Brock, Donahue, Simonyan, "Large Scale GAN Training for High
        Fidelity Natural Image Synthesis", ICLR 2019, sec. 3 and Appendix B
        (shared embedding, hierarchical latent, conditional BN).
    """

    def __init__(self, spectral_normalization=False, kernel_regularizer=None, momentum=0.99, epsilon=1e-3,
                 **kwargs):
        super().__init__(**kwargs)
        self.spectral_normalization = bool(spectral_normalization)
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)
        self.momentum = momentum
        self.epsilon = epsilon
        self.normalization = keras.layers.BatchNormalization(
            momentum=momentum, epsilon=epsilon, center=False, scale=False, dtype=self.dtype_policy)

    def _projection(self, units, name):
        from keras_lipschitz.layers.spectral_normalization import SpectralNormalization

        # Zeros start it as plain batch normalization; a spectrally normalized kernel cannot be zero.
        initializer = "glorot_uniform" if self.spectral_normalization else "zeros"
        dense = keras.layers.Dense(units, kernel_initializer=initializer, kernel_regularizer=self.kernel_regularizer,
                                   dtype=self.dtype_policy, name=name)
        return SpectralNormalization(dense, dtype=self.dtype_policy) if self.spectral_normalization else dense

    def build(self, input_shape):
        features_shape, conditions_shape = input_shape
        if features_shape[-1] is None or len(conditions_shape) != 2 or conditions_shape[-1] is None:
            raise ValueError("VectorConditionalBatchNormalization takes [features with a known last axis, "
                             f"conditions of shape (batch, d)], got {features_shape} and {conditions_shape}.")
        self.normalization.build(features_shape)
        self.gain = self._projection(features_shape[-1], "gain")
        self.bias = self._projection(features_shape[-1], "bias")
        self.gain.build(conditions_shape)
        self.bias.build(conditions_shape)

    def call(self, inputs, training=None):
        features, conditions = inputs
        normalized = self.normalization(features, training=training)
        shape = [-1] + [1] * (len(features.shape) - 2) + [features.shape[-1]]
        gain = ops.reshape(ops.cast(self.gain(conditions), normalized.dtype), shape)
        bias = ops.reshape(ops.cast(self.bias(conditions), normalized.dtype), shape)
        return normalized * (1.0 + gain) + bias

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def get_config(self):
        return {
            **super().get_config(),
            "spectral_normalization": self.spectral_normalization,
            "kernel_regularizer": keras.regularizers.serialize(self.kernel_regularizer),
            "momentum": self.momentum,
            "epsilon": self.epsilon,
        }
