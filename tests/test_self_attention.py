"""SelfAttention2D against an independent numpy implementation of SAGAN eq. 1-3."""

import keras
import numpy as np
import pytest

from keras_lipschitz.layers import SelfAttention2D
from keras_lipschitz.layers import SpectralNormalization

RNG = np.random.default_rng(5)


def _numpy_attention(x, wf, wg, wh, wv, gamma):
    batch, height, width, channels = x.shape
    flat = x.reshape(batch, height * width, channels)
    f, g, h = flat @ wf, flat @ wg, flat @ wh  # 1x1 convolutions
    logits = np.einsum("bjc,bic->bji", g, f)  # s_ij = f(x_i) . g(x_j), for output j
    beta = np.exp(logits - logits.max(-1, keepdims=True))
    beta /= beta.sum(-1, keepdims=True)
    o = (beta @ h) @ wv
    return gamma * o.reshape(x.shape) + x


def test_matches_numpy_attention():
    x = RNG.normal(size=(2, 4, 5, 16)).astype("float32")
    layer = SelfAttention2D(key_ratio=4, value_ratio=2)
    layer.build(x.shape)
    layer.gamma.assign(0.7)
    kernels = [layer.query.kernel, layer.key.kernel, layer.value.kernel, layer.output_projection.kernel]
    for kernel in kernels:
        kernel.assign(RNG.normal(scale=0.3, size=kernel.shape).astype("float32"))
    wf, wg, wh, wv = (k.numpy()[0, 0] for k in kernels)
    np.testing.assert_allclose(layer(x), _numpy_attention(x, wf, wg, wh, wv, 0.7), rtol=1e-4, atol=1e-5)


def test_starts_as_identity_and_round_trips(tmp_path):
    x = RNG.normal(size=(2, 6, 6, 8)).astype("float32")
    model = keras.Sequential([keras.Input((6, 6, 8)), SelfAttention2D(spectral_normalization=True)])
    np.testing.assert_allclose(model(x), x, rtol=1e-6)
    layer = model.layers[0]
    assert isinstance(layer.query, SpectralNormalization)
    layer.gamma.assign(0.5)
    path = tmp_path / "attention.keras"
    model.save(path)
    restored = keras.saving.load_model(path)
    np.testing.assert_array_equal(model.predict(x, verbose=0), restored.predict(x, verbose=0))


def test_bad_arguments():
    with pytest.raises(ValueError, match="key_ratio must be an integer >= 1"):
        SelfAttention2D(key_ratio=0)
    with pytest.raises(ValueError, match="at least key_ratio=8"):
        SelfAttention2D().build((None, 4, 4, 4))
