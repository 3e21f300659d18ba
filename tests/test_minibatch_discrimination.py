"""Minibatch discrimination against a numpy loop over the paper's sums; the critics that take it; TF and JAX."""

import keras
import numpy as np
import pytest

from keras_lipschitz import recipes
from keras_lipschitz.layers import MinibatchDiscrimination
from keras_lipschitz.recipes import build
from on_backend import input_gradient


def _numpy_minibatch_features(features, kernel, num_kernels, kernel_dim):
    """Salimans et al. 2016, sec. 3.2, one sum at a time: o(x_i)_b = sum_{j != i} exp(-||M_ib - M_jb||_1)."""
    tensor = kernel.reshape(features.shape[1], num_kernels, kernel_dim)  # T, (A, B, C)
    rows = np.einsum("na,abc->nbc", features, tensor)  # M_i
    closeness = np.zeros((len(features), num_kernels))
    for i in range(len(features)):
        for j in range(len(features)):
            if j != i:
                for b in range(num_kernels):
                    closeness[i, b] += np.exp(-np.sum(np.abs(rows[i, b] - rows[j, b])))
    return np.concatenate([features, closeness], axis=1)


def test_layer_matches_the_papers_sums():
    rng = np.random.default_rng(0)
    features = rng.normal(size=(7, 6)).astype("float32") * 0.3
    layer = MinibatchDiscrimination(num_kernels=4, kernel_dim=3)
    output = np.array(layer(features))
    expected = _numpy_minibatch_features(features.astype("float64"), np.array(layer.kernel, "float64"), 4, 3)
    np.testing.assert_allclose(output, expected, rtol=1e-5, atol=1e-6)
    assert output.shape == (7, 10) and np.all(output[:, 6:] > 0.0)


def test_identical_samples_score_batch_size_minus_one():
    # A collapsed batch: every pair is at distance 0, so each closeness feature is n - 1.
    layer = MinibatchDiscrimination(num_kernels=3, kernel_dim=2)
    output = np.array(layer(np.ones((5, 4), "float32")))
    np.testing.assert_allclose(output[:, 4:], 4.0)


def test_gradient_matches_finite_differences():
    rng = np.random.default_rng(1)
    features = rng.normal(size=(4, 3)).astype("float32")
    layer = MinibatchDiscrimination(num_kernels=2, kernel_dim=2)
    layer.build((None, 3))
    kernel = np.array(layer.kernel, "float64")
    weights = rng.normal(size=(4, 5))

    def total(x):
        return float(np.sum(_numpy_minibatch_features(x, kernel, 2, 2) * weights))

    ours = np.array(input_gradient(lambda x: keras.ops.sum(layer(x) * weights.astype("float32")), features))
    numeric = np.zeros_like(features, "float64")
    for index in np.ndindex(features.shape):
        shifted = [features.astype("float64").copy() for _ in range(2)]
        shifted[0][index] += 1e-6
        shifted[1][index] -= 1e-6
        numeric[index] = (total(shifted[0]) - total(shifted[1])) / 2e-6
    np.testing.assert_allclose(ours, numeric, rtol=1e-3, atol=1e-4)


def test_round_trip_and_bad_input():
    layer = MinibatchDiscrimination(num_kernels=3, kernel_dim=2, name="mbd")
    clone = MinibatchDiscrimination.from_config(layer.get_config())
    assert (clone.num_kernels, clone.kernel_dim, clone.name) == (3, 2, "mbd")
    with pytest.raises(ValueError, match="Flatten feature maps first"):
        MinibatchDiscrimination()(np.zeros((2, 4, 4, 1), "float32"))
    with pytest.raises(ValueError, match="num_kernels must be an integer >= 1"):
        MinibatchDiscrimination(num_kernels=0)


@pytest.mark.parametrize("recipe, dataset, shape", [("minibatch_discrimination", "grid25", (2,)),
                                                    ("minibatch_discrimination", "digits", (8, 8, 1))])
def test_recipe_critic_has_the_layer_before_its_logit(recipe, dataset, shape):
    settings = recipes.get(recipe).settings(dataset)
    gan, _ = build.build(settings, shape, seed=0)
    layers = [layer for layer in gan.discriminator.layers if isinstance(layer, MinibatchDiscrimination)]
    assert len(layers) == 1 and layers[0].num_kernels == settings["minibatch_kernels"]
    assert gan.discriminator.layers[-1].input.shape[-1] == layers[0].input.shape[-1] + settings["minibatch_kernels"]
    with pytest.raises(ValueError, match="built into the mlp, dcgan and radford critics"):
        build.build(recipes.get("sngan").settings("digits", architecture="resnet", minibatch_kernels=4), (8, 8, 1))
