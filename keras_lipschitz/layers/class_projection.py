"""The class projection term of a projection discriminator."""

import keras
from keras import ops

from keras_lipschitz import _validation
from keras_lipschitz.layers.conditional_batch_normalization import _labels_vector
from keras_lipschitz.layers.spectral_normalization import SpectralNormalization


@keras.saving.register_keras_serializable(package="keras_lipschitz")
class ClassProjection(keras.layers.Layer):
    """`<embed(y), phi(x)>`: the inner product of a class embedding with features.

    A projection discriminator's logit is `psi(phi(x)) + <embed(y), phi(x)>`
    (eq. 3 of Miyato & Koyama): add this layer's output to the usual
    `Dense(1)` head on the same features.

    Args:
        num_classes: number of classes; labels are integers in
            `[0, num_classes)`.
        spectral_normalization: wrap the embedding in `SpectralNormalization`
            (as SNGAN's projection discriminator does).
        embeddings_initializer: initializer of the class embedding.
        **kwargs: base `keras.layers.Layer` arguments.

    Returns:
        Called on `[features, labels]` with features `(batch, units)` and
        labels `(batch,)` or `(batch, 1)`, a `(batch, 1)` tensor.

    Example:

    ```python
    import numpy as np
    from keras_lipschitz.layers import ClassProjection

    projection = ClassProjection(num_classes=10)
    features = np.ones((4, 32), "float32")
    print(projection([features, np.array([0, 1, 2, 3])]).shape)  # (4, 1)
    ```

    Reference:
        Miyato & Koyama, "cGANs with Projection Discriminator", ICLR 2018, eq. 3.
    """

    def __init__(self, num_classes, spectral_normalization=False, embeddings_initializer="glorot_uniform", **kwargs):
        super().__init__(**kwargs)
        _validation.check_positive_integer("num_classes", num_classes)
        self.num_classes = num_classes
        self.spectral_normalization = bool(spectral_normalization)
        self.embeddings_initializer = keras.initializers.get(embeddings_initializer)

    def build(self, input_shape):
        features_shape, _ = input_shape
        if len(features_shape) != 2 or features_shape[-1] is None:
            raise ValueError(
                f"ClassProjection takes flat features of shape (batch, units), got {features_shape}; "
                "pool or flatten the feature map first."
            )
        embedding = keras.layers.Embedding(
            self.num_classes,
            features_shape[-1],
            embeddings_initializer=self.embeddings_initializer,
            dtype=self.dtype_policy,
            name="class_embedding",
        )
        if self.spectral_normalization:
            embedding = SpectralNormalization(embedding, dtype=self.dtype_policy)
        self.embedding = embedding
        self.embedding.build((None,))

    def call(self, inputs):
        features, labels = inputs
        class_vectors = ops.cast(self.embedding(_labels_vector(labels)), features.dtype)
        return ops.sum(class_vectors * features, axis=-1, keepdims=True)

    def compute_output_shape(self, input_shape):
        return (input_shape[0][0], 1)

    def get_config(self):
        return {
            **super().get_config(),
            "num_classes": self.num_classes,
            "spectral_normalization": self.spectral_normalization,
            "embeddings_initializer": keras.initializers.serialize(self.embeddings_initializer),
        }
