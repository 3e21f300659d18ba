"""DiffAugment against a numpy reimplementation written here, its gradient, and the trainer with it; on
TensorFlow and JAX."""

import keras
import numpy as np
import pytest
from keras import ops

from keras_lipschitz.architectures import dcgan_discriminator
from keras_lipschitz.architectures import dcgan_generator
from keras_lipschitz.architectures import mlp_discriminator
from keras_lipschitz.architectures import mlp_generator
from keras_lipschitz.layers import DiffAugment
from keras_lipschitz.layers import diff_augment
from keras_lipschitz.trainers import GAN
from keras_lipschitz.trainers import presets
from on_backend import gradients
from on_backend import jacobian

RNG = np.random.default_rng(20)


def numpy_diff_augment(images, noise, policy):
    """Zhao et al. 2020's transforms, one sample at a time, from the same uniform noise (columns: brightness,
    saturation, contrast, translation y, x, cutout y, x)."""
    out = images.astype("float64").copy()
    for index, (x, u) in enumerate(zip(out, noise.astype("float64"))):
        size_y, size_x = x.shape[:2]
        if "color" in policy:
            x = x + (u[0] - 0.5)
            x = (x - x.mean(axis=2, keepdims=True)) * (2 * u[1]) + x.mean(axis=2, keepdims=True)
            x = (x - x.mean()) * (u[2] + 0.5) + x.mean()
        if "translation" in policy:
            shifted = np.zeros_like(x)
            reach_y, reach_x = int(size_y / 8 + 0.5), int(size_x / 8 + 0.5)
            dy = min(int(u[3] * (2 * reach_y + 1)), 2 * reach_y) - reach_y
            dx = min(int(u[4] * (2 * reach_x + 1)), 2 * reach_x) - reach_x
            for row in range(size_y):
                for column in range(size_x):
                    if 0 <= row - dy < size_y and 0 <= column - dx < size_x:
                        shifted[row, column] = x[row - dy, column - dx]
            x = shifted
        if "cutout" in policy:
            side_y, side_x = int(size_y / 2 + 0.5), int(size_x / 2 + 0.5)
            centre_y = min(int(u[5] * (size_y + 1 - side_y % 2)), size_y - side_y % 2)
            centre_x = min(int(u[6] * (size_x + 1 - side_x % 2)), size_x - side_x % 2)
            top, left = centre_y - side_y // 2, centre_x - side_x // 2
            x = x.copy()
            x[max(top, 0):max(top + side_y, 0), max(left, 0):max(left + side_x, 0)] = 0.0
        out[index] = x
    return out


POLICIES = ["color", "translation", "cutout", "color,translation,cutout"]


@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize("shape", [(6, 8, 8, 3), (5, 9, 12, 1)])
def test_each_policy_matches_numpy(policy, shape):
    images = RNG.uniform(-1, 1, shape).astype("float32")
    noise = RNG.uniform(0, 1, (shape[0], diff_augment.NOISE_DIMS)).astype("float32")
    noise[0, 3:] = [0.0, 0.9999, 0.0, 0.9999]  # the extreme shifts and cutout positions
    ours = diff_augment.augment(images, noise, policy)
    np.testing.assert_allclose(ours, numpy_diff_augment(images, noise, policy), rtol=1e-5, atol=1e-5)


def test_the_layer_draws_per_sample_transforms_and_is_identity_without_policies():
    images = RNG.uniform(-1, 1, (64, 8, 8, 1)).astype("float32")
    augmented = np.asarray(DiffAugment("translation,cutout", seed=3)(images))
    # Per-sample draws: the fraction of zeroed pixels (cutout 4x4 of 8x8, plus the translation's border) varies.
    zeros = (augmented == 0).mean(axis=(1, 2, 3))
    assert 0.2 < zeros.mean() < 0.6 and zeros.std() > 0.01
    np.testing.assert_array_equal(DiffAugment("")(images), images)
    np.testing.assert_array_equal(diff_augment.augment(images, None, None), images)
    with pytest.raises(ValueError, match="Unknown DiffAugment policy 'colour'; known: color, translation, cutout"):
        DiffAugment("colour,cutout")
    with pytest.raises(ValueError, match=r"\(batch, height, width, channels\) images"):
        DiffAugment("color")(np.zeros((4, 2), "float32"))


def test_config_round_trip():
    layer = DiffAugment("translation", translation_ratio=0.25, seed=5)
    clone = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(layer))
    assert clone.get_config() == layer.get_config() and clone.policy == "translation"


def test_the_gradient_is_the_transpose_of_the_affine_map():
    # For fixed noise T is affine in the images, T(x) = A x + b: the input gradient of sum(w * T(x)) is A^T w,
    # with A's columns read off the numpy transform of basis images.
    shape = (1, 8, 8, 1)
    x = RNG.uniform(-1, 1, shape).astype("float32")
    noise = RNG.uniform(0, 1, (1, diff_augment.NOISE_DIMS)).astype("float32")
    policy = "color,translation,cutout"
    offset = numpy_diff_augment(np.zeros(shape), noise, policy).ravel()
    basis = np.eye(64).reshape(64, *shape[1:])
    columns = np.stack([numpy_diff_augment(b[None], noise, policy).ravel() - offset for b in basis], axis=1)
    ours = jacobian(lambda images: diff_augment.augment(images, noise, policy), x).reshape(64, 64)
    np.testing.assert_allclose(ours, columns, rtol=1e-5, atol=1e-5)
    assert np.abs(columns).sum() > 1.0  # the cutout does not hide everything


def _image_gan(augment, seed=0):
    keras.utils.set_random_seed(seed)
    generator = dcgan_generator(latent_dim=8, image_size=8, channels=1, base_filters=16)
    critic = dcgan_discriminator(image_size=8, channels=1, base_filters=8, spectral_normalization=True)
    gan = GAN(generator, critic, latent_dim=8, seed=seed)
    gan.compile(**presets.sngan(), augment=augment)
    return gan


def test_the_generator_learns_through_the_augmentation():
    gan = _image_gan("color,translation,cutout")
    latents = keras.random.normal((16, 8), seed=1)
    noise = RNG.uniform(0, 1, (16, diff_augment.NOISE_DIMS)).astype("float32")

    def generator_loss(tape):
        fake = diff_augment.augment(gan.generator(latents, training=True), noise, gan.augment)
        return -ops.mean(gan.discriminator(fake, training=True))

    _, grads = gradients(generator_loss, gan.generator.trainable_variables)
    assert all(np.isfinite(np.asarray(g)).all() for g in grads)
    assert max(float(np.abs(np.asarray(g)).max()) for g in grads) > 1e-4


def test_training_with_augmentation_differs_and_an_empty_policy_is_no_augmentation():
    images = RNG.uniform(-1, 1, (128, 8, 8, 1)).astype("float32")
    weights = {}
    for augment in (None, "", "translation,cutout"):
        gan = _image_gan(augment)
        history = gan.fit(images, batch_size=32, epochs=1, shuffle=False, verbose=0).history
        assert np.isfinite(history["d_loss"]).all()
        weights[augment] = gan.get_weights()
    for a, b in zip(weights[None], weights[""]):
        np.testing.assert_array_equal(a, b)
    assert any(not np.allclose(a, b) for a, b in zip(weights[None], weights["translation,cutout"]))
    assert gan.get_compile_config()["augment"] == "translation,cutout"
    with pytest.raises(ValueError, match="needs a generator of images"):
        GAN(mlp_generator(latent_dim=2), mlp_discriminator(), latent_dim=2).compile(**presets.sngan(),
                                                                                 augment="color")
