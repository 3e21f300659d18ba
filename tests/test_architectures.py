"""Architectures: shapes, output ranges, and residual blocks against tf.nn oracles."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_lipschitz import architectures
from keras_lipschitz.architectures.resnet import discriminator_block
from keras_lipschitz.layers import SpectralNormalization

RNG = np.random.default_rng(2)


@pytest.mark.parametrize(
    "make_generator,make_discriminator,latent,image",
    [
        (lambda: architectures.resnet_generator(), lambda: architectures.resnet_discriminator(), 128, (32, 32, 3)),
        (lambda: architectures.dcgan_generator(base_filters=64), lambda: architectures.dcgan_discriminator(base_filters=8), 128, (32, 32, 3)),
        (
            lambda: architectures.dcgan_generator(image_size=64, channels=1, base_filters=64),
            lambda: architectures.dcgan_discriminator(image_size=64, channels=1, base_filters=8),
            128,
            (64, 64, 1),
        ),
        (lambda: architectures.mlp_generator(), lambda: architectures.mlp_discriminator(), 2, (2,)),
    ],
    ids=["resnet32", "dcgan32", "dcgan64", "mlp"],
)
def test_shapes_and_ranges(make_generator, make_discriminator, latent, image):
    generator, discriminator = make_generator(), make_discriminator()
    samples = generator(RNG.normal(size=(3, latent)).astype("float32"))
    assert tuple(samples.shape) == (3,) + image
    if len(image) == 3:
        assert float(tf.reduce_max(tf.abs(samples))) <= 1.0  # tanh output
    assert tuple(discriminator(samples).shape) == (3, 1)


def test_resnet_discriminator_is_fully_spectrally_normalized():
    discriminator = architectures.resnet_discriminator()
    wrapped = [layer for layer in discriminator.layers if isinstance(layer, SpectralNormalization)]
    convolutions = [layer for layer in discriminator.layers if isinstance(layer, (keras.layers.Conv2D, keras.layers.Dense))]
    assert len(wrapped) == 4 * 2 + 2 + 1  # two 3x3 per block, two 1x1 shortcuts, the dense head
    assert convolutions == []  # none left unwrapped


def _conv(x, layer):
    return tf.nn.conv2d(x, layer.kernel, 1, "SAME") + layer.bias


@pytest.mark.parametrize("first", [False, True])
def test_discriminator_block_matches_tf_nn(first):
    x_in = keras.Input((8, 8, 4))
    model = keras.Model(x_in, discriminator_block(x_in, 6, downsample=True, spectral_normalization=False, first=first))
    conv3_a, conv3_b, conv1 = [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
    x = RNG.normal(size=(2, 8, 8, 4)).astype("float32")

    def pool(t):
        return tf.nn.avg_pool2d(t, 2, 2, "VALID")

    h = x if first else tf.nn.relu(x)
    h = pool(_conv(tf.nn.relu(_conv(h, conv3_a)), conv3_b))
    shortcut = _conv(pool(x), conv1) if first else pool(_conv(x, conv1))
    np.testing.assert_allclose(model(x), h + shortcut, rtol=1e-5, atol=1e-5)


def test_bad_image_size():
    with pytest.raises(ValueError, match=r"image_size must be 4 \* 2\*\*k"):
        architectures.dcgan_generator(image_size=48)


def test_resnet_discriminator_head_is_global_sum_pooling():
    discriminator = architectures.resnet_discriminator(filters=16, spectral_normalization=False)
    features = keras.Model(discriminator.input, [l for l in discriminator.layers if isinstance(l, keras.layers.ReLU)][-1].output)
    dense = discriminator.layers[-1]
    x = RNG.uniform(-1, 1, (2, 32, 32, 3)).astype("float32")
    summed = tf.reduce_sum(features(x), axis=[1, 2])
    np.testing.assert_allclose(discriminator(x), summed @ dense.kernel + dense.bias, rtol=1e-4, atol=1e-4)


def test_nearest_upsampling_equals_keras_upsampling():
    from keras_lipschitz.layers import NearestUpsampling2D

    x = np.random.default_rng(0).normal(size=(3, 5, 4, 2)).astype("float32")
    np.testing.assert_array_equal(NearestUpsampling2D()(x), keras.layers.UpSampling2D()(x))
    symbolic = NearestUpsampling2D()(keras.Input((5, 4, 2)))
    assert tuple(symbolic.shape) == (None, 10, 8, 2)


def test_nearest_upsampling_takes_unknown_spatial_sizes():
    import tensorflow as tf

    from keras_lipschitz.layers import NearestUpsampling2D

    # A fully convolutional generator: height and width known only when it runs.
    model = keras.Sequential([keras.Input((None, None, 2)), NearestUpsampling2D()])
    assert tuple(model.output_shape) == (None, None, None, 2)
    x = np.random.default_rng(1).normal(size=(2, 3, 5, 2)).astype("float32")
    np.testing.assert_array_equal(model(x), x.repeat(2, axis=1).repeat(2, axis=2))
    traced = tf.function(NearestUpsampling2D(), input_signature=[tf.TensorSpec((None, None, None, 2))])
    np.testing.assert_array_equal(traced(x), x.repeat(2, axis=1).repeat(2, axis=2))


def _critic_layers(critic):
    return [type(layer).__name__ for layer in critic.layers if not isinstance(layer, keras.layers.InputLayer)]


@pytest.mark.parametrize("normalization,expected", [
    ("none", ["Conv2D", "LeakyReLU", "Conv2D", "LeakyReLU", "Conv2D", "LeakyReLU", "Flatten", "Dense"]),
    ("layer", ["Conv2D", "LeakyReLU", "Conv2D", "LayerNormalization", "LeakyReLU", "Conv2D", "LayerNormalization",
               "LeakyReLU", "Flatten", "Dense"]),
])
def test_radford_critic_without_batch_statistics_scores_each_sample_alone(normalization, expected):
    """WGAN-GP's critics: a sample's score must not depend on the rest of its batch, in training mode too."""
    critic = architectures.radford_discriminator(image_size=32, channels=1, base_filters=8, normalization=normalization)
    assert _critic_layers(critic) == expected
    images = RNG.normal(size=(6, 32, 32, 1)).astype("float32")
    alone = np.concatenate([critic(images[i:i + 1], training=True).numpy() for i in range(6)])
    np.testing.assert_allclose(critic(images, training=True).numpy(), alone, rtol=1e-4, atol=1e-5)


def test_radford_critic_layer_normalization_matches_numpy():
    critic = architectures.radford_discriminator(image_size=16, channels=1, base_filters=4, normalization="layer")
    normalization = next(layer for layer in critic.layers if isinstance(layer, keras.layers.LayerNormalization))
    features = RNG.normal(2.0, 3.0, size=(3, 4, 4, 8)).astype("float32")
    mean = features.mean(axis=(1, 2, 3), keepdims=True)
    variance = features.var(axis=(1, 2, 3), keepdims=True)
    expected = (features - mean) / np.sqrt(variance + normalization.epsilon)  # gamma 1, beta 0 at initialization
    np.testing.assert_allclose(normalization(features).numpy(), expected, rtol=1e-4, atol=1e-4)


def test_radford_critic_batch_normalization_mixes_samples_and_bad_names_are_refused():
    critic = architectures.radford_discriminator(image_size=32, channels=1, base_filters=8)
    images = RNG.normal(size=(6, 32, 32, 1)).astype("float32")
    alone = np.concatenate([critic(images[i:i + 1], training=True).numpy() for i in range(6)])
    assert np.abs(critic(images, training=True).numpy() - alone).max() > 1e-3  # the contrast the tests above rest on
    with pytest.raises(ValueError, match="normalization must be one of batch, layer, none, got 'group'"):
        architectures.radford_discriminator(normalization="group")
