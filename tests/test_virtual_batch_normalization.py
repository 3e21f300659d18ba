"""Virtual batch normalization against numpy, and the generators built with it; TF and JAX."""

import keras
import numpy as np
import pytest

from keras_lipschitz import recipes
from keras_lipschitz.layers import PrependReferenceBatch
from keras_lipschitz.layers import RemoveReferenceBatch
from keras_lipschitz.layers import VirtualBatchNormalization
from keras_lipschitz.recipes import build
from on_backend import inference


def _numpy_vbn(reference, examples, epsilon):
    """Salimans et al. 2016, sec. 3.4, example by example: the reference's statistics with the example's own,
    weighted 1 / (R + 1); the reference by its own statistics."""
    axes = tuple(range(reference.ndim - 1))
    reference_mean, reference_sq = reference.mean(axis=axes), np.square(reference).mean(axis=axes)
    c = 1.0 / (len(reference) + 1.0)
    outputs = [(reference - reference_mean) / np.sqrt(reference_sq - reference_mean ** 2 + epsilon)]
    for x in examples:
        spatial = tuple(range(x.ndim - 1))
        mean = (1 - c) * reference_mean + c * x.mean(axis=spatial)
        mean_sq = (1 - c) * reference_sq + c * np.square(x).mean(axis=spatial)
        outputs.append(((x - mean) / np.sqrt(mean_sq - mean ** 2 + epsilon))[None])
    return np.concatenate(outputs)


@pytest.mark.parametrize("shape", [(9, 4), (7, 3, 3, 2)])
def test_layer_matches_numpy(shape):
    rng = np.random.default_rng(0)
    values = rng.normal(loc=0.5, size=shape).astype("float32")
    layer = VirtualBatchNormalization(reference_size=5, epsilon=1e-3)
    output = np.array(layer(values))
    expected = _numpy_vbn(values[:5].astype("float64"), values[5:].astype("float64"), 1e-3)
    np.testing.assert_allclose(output, expected, rtol=1e-4, atol=1e-5)


def test_an_examples_output_does_not_depend_on_the_rest_of_its_batch():
    # Batch normalization's side effect that VBN removes: G(z_i) is the same in any batch.
    settings = recipes.get("virtual_batch_normalization").settings("grid25", units=16)
    gan, _ = build.build(settings, (2,), seed=0)
    run = inference(gan.generator)
    z = np.random.default_rng(1).normal(size=(6, 2)).astype("float32")
    alone = np.array(run(z[:2]))
    together = np.array(run(z))
    np.testing.assert_allclose(together[:2], alone, rtol=1e-5, atol=1e-6)
    references = [layer for layer in gan.generator.layers if isinstance(layer, PrependReferenceBatch)]
    assert len(references) == 1 and references[0].reference.shape == (256, 2)
    assert not references[0].trainable_weights  # fixed at the start


def test_dcgan_generator_takes_it_in_place_of_batch_normalization():
    settings = recipes.get("virtual_batch_normalization").settings("digits")
    gan, _ = build.build(settings, (8, 8, 1), seed=0)
    layers = gan.generator.layers
    assert any(isinstance(layer, VirtualBatchNormalization) for layer in layers)
    assert not any(isinstance(layer, keras.layers.BatchNormalization) for layer in layers)
    z = np.random.default_rng(2).normal(size=(3, settings["latent_dim"])).astype("float32")
    np.testing.assert_allclose(np.array(inference(gan.generator)(z))[:1],
                               np.array(inference(gan.generator)(z[:1])), rtol=1e-4, atol=1e-5)


def test_round_trips_and_refusals():
    for layer in (VirtualBatchNormalization(4, epsilon=1e-4), PrependReferenceBatch(4, seed=3),
                  RemoveReferenceBatch(4)):
        assert type(layer).from_config(layer.get_config()).get_config() == layer.get_config()
    with pytest.raises(ValueError, match="applies to unconditional generators"):
        build.build(recipes.get("virtual_batch_normalization").settings("digits", conditional=True), (8, 8, 1),
                    num_classes=10)
    with pytest.raises(ValueError, match="built into the mlp and dcgan generators"):
        build.build(recipes.get("virtual_batch_normalization").settings("digits", architecture="resnet"), (8, 8, 1))
