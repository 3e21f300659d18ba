"""The SNGAN ResNet generator and discriminator for 32x32 images."""

import keras

from keras_lipschitz.architectures import conditioning
from keras_lipschitz.architectures.conditioning import maybe_spectral as _maybe_spectral
from keras_lipschitz.layers import NearestUpsampling2D


def generator_block(x, filters, labels=None, num_classes=None, spectral_normalization=False):
    """BN-ReLU-upsample-conv3x3-BN-ReLU-conv3x3, plus upsample-conv1x1 shortcut.

    With labels, both batch normalizations are conditional.
    """
    sn = spectral_normalization
    shortcut = _maybe_spectral(keras.layers.Conv2D(filters, 1), sn)(NearestUpsampling2D()(x))
    h = keras.layers.ReLU()(conditioning.batch_normalization(x, labels, num_classes))
    h = _maybe_spectral(keras.layers.Conv2D(filters, 3, padding="same"), sn)(NearestUpsampling2D()(h))
    h = keras.layers.ReLU()(conditioning.batch_normalization(h, labels, num_classes))
    h = _maybe_spectral(keras.layers.Conv2D(filters, 3, padding="same"), sn)(h)
    return keras.layers.Add()([h, shortcut])


def discriminator_block(x, filters, downsample, spectral_normalization=True, first=False):
    """(ReLU)-conv3x3-ReLU-conv3x3-(avgpool), plus a conv1x1-(avgpool) shortcut.

    The first block ("optimized block") has no leading ReLU and pools its
    shortcut before the 1x1 convolution. The shortcut is the identity when
    neither the size nor the channels change.
    """
    sn = spectral_normalization
    h = x if first else keras.layers.ReLU()(x)
    h = _maybe_spectral(keras.layers.Conv2D(filters, 3, padding="same"), sn)(h)
    h = _maybe_spectral(keras.layers.Conv2D(filters, 3, padding="same"), sn)(keras.layers.ReLU()(h))
    if downsample:
        h = keras.layers.AveragePooling2D(2)(h)
    shortcut = x
    if first:
        shortcut = _maybe_spectral(keras.layers.Conv2D(filters, 1), sn)(keras.layers.AveragePooling2D(2)(x))
    elif downsample or x.shape[-1] != filters:
        shortcut = _maybe_spectral(keras.layers.Conv2D(filters, 1), sn)(x)
        if downsample:
            shortcut = keras.layers.AveragePooling2D(2)(shortcut)
    return keras.layers.Add()([h, shortcut])


def resnet_generator(
    latent_dim=128,
    channels=3,
    filters=256,
    num_classes=None,
    spectral_normalization=False,
    name="sngan_resnet_generator",
):
    """SNGAN's ResNet generator for 32x32 (Miyato et al. 2018, Table 4 (a)).

    Args:
        latent_dim: size of z.
        channels: output channels.
        filters: channels of every residual block (256).
        num_classes: None, or the number of classes: the generator then takes
            `[z, labels]` with conditional batch normalization (the cGAN of
            Miyato & Koyama).
        spectral_normalization: wrap every convolution and the dense layer
            (SN in G, as SAGAN and BigGAN do).
        name: model name.

    Returns:
        A functional model from `(batch, latent_dim)` (and labels) to `(batch, 32, 32, channels)` in [-1, 1].

    Reference:
        Miyato et al., ICLR 2018, Appendix B.4, Table 4; Gulrajani et al. 2017;
        Miyato & Koyama, ICLR 2018.
    """
    z = keras.Input((latent_dim,), name="latents")
    labels = conditioning.label_input(num_classes)
    sn = spectral_normalization
    x = keras.layers.Reshape((4, 4, filters))(_maybe_spectral(keras.layers.Dense(4 * 4 * filters), sn)(z))
    for _ in range(3):
        x = generator_block(x, filters, labels, num_classes, sn)
    x = keras.layers.ReLU()(conditioning.batch_normalization(x, labels, num_classes))
    images = _maybe_spectral(keras.layers.Conv2D(channels, 3, padding="same", activation="tanh"), sn)(x)
    return keras.Model(conditioning.model_inputs(z, labels), images, name=name)


def resnet_discriminator(
    channels=3, filters=128, spectral_normalization=True, num_classes=None, name="sngan_resnet_discriminator"
):
    """SNGAN's ResNet discriminator for 32x32 (Miyato et al. 2018, Table 4 (b)).

    Two downsampling blocks (the first an "optimized block"), two more at
    8x8, ReLU, global sum pooling and a dense logit.

    Args:
        channels: input channels.
        filters: channels of every residual block (128).
        spectral_normalization: wrap every convolution and the dense layer.
        num_classes: None, or the number of classes of a projection
            discriminator (takes `[images, labels]`).
        name: model name.

    Returns:
        A functional model from `(batch, 32, 32, channels)` (and labels) to `(batch, 1)` logits.

    Reference:
        Miyato et al., ICLR 2018, Appendix B.4, Table 4; Miyato & Koyama, ICLR 2018, eq. 3.
    """
    images = keras.Input((32, 32, channels), name="images")
    labels = conditioning.label_input(num_classes)
    x = discriminator_block(images, filters, downsample=True, spectral_normalization=spectral_normalization, first=True)
    x = discriminator_block(x, filters, downsample=True, spectral_normalization=spectral_normalization)
    x = discriminator_block(x, filters, downsample=False, spectral_normalization=spectral_normalization)
    x = discriminator_block(x, filters, downsample=False, spectral_normalization=spectral_normalization)
    x = keras.layers.ReLU()(x)
    pooled = keras.layers.GlobalAveragePooling2D()(x)
    # Global *sum* pooling = 64 x the average over the 8x8 map.
    pooled = keras.layers.Rescaling(float(x.shape[1] * x.shape[2]))(pooled)
    logits = conditioning.logit_head(pooled, labels, num_classes, spectral_normalization)
    return keras.Model(conditioning.model_inputs(images, labels), logits, name=name)
