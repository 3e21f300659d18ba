"""DCGAN generator and discriminator (Radford et al. 2016), as in SNGAN's Table 3."""

import keras

from keras_lipschitz.architectures.mlp import _maybe_spectral


def dcgan_generator(latent_dim=128, image_size=32, channels=3, base_filters=512, name="dcgan_generator"):
    """z -> dense 4x4 -> stride-2 transposed convolutions with BN and ReLU -> tanh.

    For 32x32 this is the SNGAN "standard CNN" generator: 4x4x512, then
    4x4 stride-2 deconvolutions to 256, 128 and 64 filters, a 3x3
    convolution to `channels` and tanh.

    Args:
        latent_dim: size of z.
        image_size: 32 or 64 (any `4 * 2**k`).
        channels: output channels.
        base_filters: filters at 4x4, halved at each upsampling.
        name: model name.

    Returns:
        A `keras.Sequential` mapping `(batch, latent_dim)` to images in
        `[-1, 1]` of shape `(batch, image_size, image_size, channels)`.

    Reference:
        Miyato et al., ICLR 2018, Table 3 (a); Radford et al., ICLR 2016.
    """
    upsamplings = _upsamplings(image_size)
    layers = [
        keras.Input((latent_dim,)),
        keras.layers.Dense(4 * 4 * base_filters),
        keras.layers.Reshape((4, 4, base_filters)),
        keras.layers.BatchNormalization(),
        keras.layers.ReLU(),
    ]
    filters = base_filters
    for _ in range(upsamplings):
        filters //= 2
        layers += [
            keras.layers.Conv2DTranspose(filters, 4, strides=2, padding="same"),
            keras.layers.BatchNormalization(),
            keras.layers.ReLU(),
        ]
    layers += [keras.layers.Conv2D(channels, 3, padding="same", activation="tanh")]
    return keras.Sequential(layers, name=name)


def dcgan_discriminator(
    image_size=32, channels=3, base_filters=64, spectral_normalization=False, name="dcgan_discriminator"
):
    """Pairs of 3x3 and stride-2 4x4 convolutions with LeakyReLU(0.1), one logit.

    The SNGAN "standard CNN" discriminator: (64, 64), (128, 128), (256, 256)
    filters, then 3x3 512 and a dense logit; no batch normalization, so it
    is valid for gradient penalties too.

    Args:
        image_size: 32 or 64 (any `4 * 2**k`).
        channels: input channels.
        base_filters: filters of the first pair, doubled each pair.
        spectral_normalization: wrap every convolution and the dense layer.
        name: model name.

    Returns:
        A `keras.Sequential` mapping images to `(batch, 1)` logits.

    Reference:
        Miyato et al., ICLR 2018, Table 3 (b).
    """
    sn = spectral_normalization
    layers = [keras.Input((image_size, image_size, channels))]
    filters = base_filters
    for _ in range(_upsamplings(image_size)):
        layers += [
            _maybe_spectral(keras.layers.Conv2D(filters, 3, padding="same"), sn),
            keras.layers.LeakyReLU(0.1),
            _maybe_spectral(keras.layers.Conv2D(filters, 4, strides=2, padding="same"), sn),
            keras.layers.LeakyReLU(0.1),
        ]
        filters *= 2
    layers += [
        _maybe_spectral(keras.layers.Conv2D(filters, 3, padding="same"), sn),
        keras.layers.LeakyReLU(0.1),
        keras.layers.Flatten(),
        _maybe_spectral(keras.layers.Dense(1), sn),
    ]
    return keras.Sequential(layers, name=name)


def _upsamplings(image_size):
    steps = 0
    size = image_size
    while size > 4 and size % 2 == 0:
        size //= 2
        steps += 1
    if size != 4:
        raise ValueError(f"image_size must be 4 * 2**k (32, 64, ...), got {image_size}.")
    return steps
