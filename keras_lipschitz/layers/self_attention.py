"""The SAGAN self-attention block for feature maps."""

import keras
from keras import ops

from keras_lipschitz import _validation
from keras_lipschitz.layers.spectral_normalization import SpectralNormalization


@keras.saving.register_keras_serializable(package="keras_lipschitz")
class SelfAttention2D(keras.layers.Layer):
    """Self-attention over the positions of a `(batch, h, w, c)` feature map.

    With 1x1 convolutions `f`, `g` (to `c / key_ratio` channels), `h` (to
    `c / value_ratio`) and `v` (back to `c`), and `N = h * w` positions:
    `beta_ji = softmax_i(f(x)_i . g(x)_j)`, `o_j = v(sum_i beta_ji h(x)_i)`,
    and `y = gamma * o + x`, with `gamma` a trainable scalar starting at 0 so
    the block starts as the identity. The attention logits, softmax and
    weighted sum are computed in float32.

    Args:
        key_ratio: channel reduction of the query/key projections (8).
        value_ratio: channel reduction of the value projection (2, as in
            BigGAN; the SAGAN paper uses 1).
        spectral_normalization: wrap the four 1x1 convolutions in
            `SpectralNormalization` (SAGAN uses SN in G and D).
        kernel_regularizer: of the four convolutions (BigGAN's orthogonal
            regularization covers them).
        **kwargs: base `Layer` arguments.

    Returns:
        A tensor of the input's shape.

    Example:

    ```python
    import numpy as np
    from keras_lipschitz.layers import SelfAttention2D

    x = np.random.default_rng(0).normal(size=(2, 8, 8, 32)).astype("float32")
    layer = SelfAttention2D()
    assert np.allclose(layer(x), x)  # gamma starts at 0
    ```

    Reference:
        Zhang, Goodfellow, Metaxas, Odena. "Self-Attention Generative
        Adversarial Networks", ICML 2019, eq. 1-3.
    """

    def __init__(self, key_ratio=8, value_ratio=2, spectral_normalization=False, kernel_regularizer=None, **kwargs):
        super().__init__(**kwargs)
        for name, value in (("key_ratio", key_ratio), ("value_ratio", value_ratio)):
            _validation.check_positive_integer(name, value, owner="SelfAttention2D")
        self.key_ratio = key_ratio
        self.value_ratio = value_ratio
        self.spectral_normalization = bool(spectral_normalization)
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)

    def _projection(self, filters, name):
        conv = keras.layers.Conv2D(filters, 1, use_bias=False, kernel_regularizer=self.kernel_regularizer, name=name,
                                   dtype=self.dtype_policy)
        if self.spectral_normalization:
            return SpectralNormalization(conv, name=f"{name}_sn", dtype=self.dtype_policy)
        return conv

    def build(self, input_shape):
        channels = input_shape[-1]
        if channels is None or channels < self.key_ratio or channels < self.value_ratio:
            raise ValueError(
                f"SelfAttention2D needs a known channel count of at least key_ratio={self.key_ratio} "
                f"and value_ratio={self.value_ratio}; got input shape {tuple(input_shape)}."
            )
        self.query = self._projection(channels // self.key_ratio, "query")
        self.key = self._projection(channels // self.key_ratio, "key")
        self.value = self._projection(channels // self.value_ratio, "value")
        self.output_projection = self._projection(channels, "output")
        for layer in (self.query, self.key, self.value):
            layer.build(input_shape)
        self.output_projection.build(tuple(input_shape[:-1]) + (channels // self.value_ratio,))
        self.gamma = self.add_weight(name="gamma", shape=(), initializer="zeros", trainable=True)

    def call(self, inputs, training=None):
        height, width = ops.shape(inputs)[1], ops.shape(inputs)[2]
        positions = height * width

        def flatten(x):
            return ops.cast(ops.reshape(x, (ops.shape(x)[0], positions, x.shape[-1])), "float32")

        queries = flatten(self.query(inputs, training=training))
        keys = flatten(self.key(inputs, training=training))
        values = flatten(self.value(inputs, training=training))
        # beta[b, j, i]: how much output position j attends to position i.
        attention = ops.softmax(ops.einsum("bjc,bic->bji", keys, queries), axis=-1)
        attended = ops.einsum("bji,bic->bjc", attention, values)
        attended = ops.reshape(ops.cast(attended, inputs.dtype), (ops.shape(inputs)[0], height, width, values.shape[-1]))
        return ops.cast(self.gamma, inputs.dtype) * self.output_projection(attended, training=training) + inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {
            **super().get_config(),
            "key_ratio": self.key_ratio,
            "value_ratio": self.value_ratio,
            "spectral_normalization": self.spectral_normalization,
            "kernel_regularizer": keras.regularizers.serialize(self.kernel_regularizer),
        }
