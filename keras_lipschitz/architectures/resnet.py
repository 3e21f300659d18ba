"""The SNGAN ResNet generator and discriminator, at 4 * 2**k pixels, with SAGAN's self-attention."""

import keras

from keras_lipschitz.architectures import conditioning as conditional
from keras_lipschitz.architectures.conditioning import maybe_spectral as _maybe_spectral
from keras_lipschitz.architectures.sizes import check_attention_resolution
from keras_lipschitz.architectures.sizes import upsamplings
from keras_lipschitz.layers import NearestUpsampling2D
from keras_lipschitz.layers import SelfAttention2D


def convolution(filters, size, spectral_normalization, kernel_regularizer=None):
    """A same-padded convolution, spectrally normalized when asked (BigGAN regularizes its kernel)."""
    layer = keras.layers.Conv2D(filters, size, padding="same", kernel_regularizer=kernel_regularizer)
    return _maybe_spectral(layer, spectral_normalization)


def generator_block(x, filters, normalize, spectral_normalization=False, kernel_regularizer=None):
    """BN-ReLU-upsample-conv3x3-BN-ReLU-conv3x3, plus upsample-conv1x1 shortcut.

    Args:
        x: the block's input feature map.
        filters: output channels.
        normalize: a function from a feature map to its (conditional) batch
            normalization, called for each of the two.
        spectral_normalization: wrap the three convolutions.
        kernel_regularizer: of the three convolutions.
    """
    sn, regularizer = spectral_normalization, kernel_regularizer
    shortcut = convolution(filters, 1, sn, regularizer)(NearestUpsampling2D()(x))
    h = keras.layers.ReLU()(normalize(x))
    h = convolution(filters, 3, sn, regularizer)(NearestUpsampling2D()(h))
    h = keras.layers.ReLU()(normalize(h))
    h = convolution(filters, 3, sn, regularizer)(h)
    return keras.layers.Add()([h, shortcut])


def discriminator_block(x, filters, downsample, spectral_normalization=True, first=False):
    """(ReLU)-conv3x3-ReLU-conv3x3-(avgpool), plus a conv1x1-(avgpool) shortcut.

    The first block ("optimized block") has no leading ReLU and pools its
    shortcut before the 1x1 convolution. The shortcut is the identity when
    neither the size nor the channels change.
    """
    sn = spectral_normalization
    h = x if first else keras.layers.ReLU()(x)
    h = convolution(filters, 3, sn)(h)
    h = convolution(filters, 3, sn)(keras.layers.ReLU()(h))
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


def attend_at(x, attention_resolution, spectral_normalization, kernel_regularizer=None):
    """Self-attention on `x` when its spatial size is `attention_resolution`, else `x`."""
    if x.shape[1] != attention_resolution:
        return x
    return SelfAttention2D(spectral_normalization=spectral_normalization, kernel_regularizer=kernel_regularizer)(x)


def resnet_generator(
    latent_dim=128,
    channels=3,
    filters=256,
    num_classes=None,
    spectral_normalization=False,
    image_size=32,
    attention_resolution=None,
    name="sngan_resnet_generator",
):
    """SNGAN's ResNet generator (Miyato et al. 2018, Table 4 (a)), with SAGAN's self-attention when asked.

    A dense layer to a 4x4 map, one upsampling residual block per doubling
    up to `image_size` (three for 32x32), BN-ReLU, a 3x3 convolution and
    tanh.

    Args:
        latent_dim: size of z.
        channels: output channels.
        filters: channels of every residual block (256).
        num_classes: None, or the number of classes: the generator then takes
            `[z, labels]` with conditional batch normalization (the cGAN of
            Miyato & Koyama).
        spectral_normalization: wrap every convolution and the dense layer
            (SN in G, as SAGAN and BigGAN do).
        image_size: 4 * 2**k pixels (32 in SNGAN).
        attention_resolution: None, or the feature-map size after which a
            `SelfAttention2D` block is inserted (4 for the dense layer's map).
        name: model name.

    Returns:
        A functional model from `(batch, latent_dim)` (and labels) to
        `(batch, image_size, image_size, channels)` in [-1, 1].

    Example:

    ```python
    from keras_lipschitz.architectures import resnet_generator

    generator = resnet_generator(latent_dim=16, channels=1, filters=16, image_size=16, attention_resolution=8)
    print(generator.output_shape)  # (None, 16, 16, 1)
    ```

    Reference:
        Miyato et al., ICLR 2018, Appendix B.4, Table 4; Gulrajani et al. 2017;
        Miyato & Koyama, ICLR 2018; Zhang et al., ICML 2019 (self-attention).
    """
    check_attention_resolution(attention_resolution, image_size)
    z = keras.Input((latent_dim,), name="latents")
    labels = conditional.label_input(num_classes)
    sn = spectral_normalization

    def normalize(h):
        return conditional.batch_normalization(h, labels, num_classes)

    x = keras.layers.Reshape((4, 4, filters))(_maybe_spectral(keras.layers.Dense(4 * 4 * filters), sn)(z))
    x = attend_at(x, attention_resolution, sn)
    for _ in range(upsamplings(image_size)):
        x = attend_at(generator_block(x, filters, normalize, sn), attention_resolution, sn)
    x = keras.layers.ReLU()(normalize(x))
    images = convolution(channels, 3, sn)(x)
    images = keras.layers.Activation("tanh")(images)
    return keras.Model(conditional.model_inputs(z, labels), images, name=name)


def resnet_discriminator(
    channels=3,
    filters=128,
    spectral_normalization=True,
    num_classes=None,
    image_size=32,
    attention_resolution=None,
    name="sngan_resnet_discriminator",
):
    """SNGAN's ResNet discriminator (Miyato et al. 2018, Table 4 (b)), with SAGAN's self-attention when asked.

    Downsampling blocks (the first an "optimized block") down to an 8x8 map
    (4x4 for 8-pixel images), two more blocks at that size, ReLU, global sum
    pooling and a dense logit; with labels, the class projection.

    Args:
        channels: input channels.
        filters: channels of every residual block (128).
        spectral_normalization: wrap every convolution and the dense layer.
        num_classes: None, or the number of classes of a projection
            discriminator (takes `[images, labels]`).
        image_size: 4 * 2**k pixels (32 in SNGAN).
        attention_resolution: None, or the feature-map size after whose
            first block a `SelfAttention2D` block is inserted.
        name: model name.

    Returns:
        A functional model from `(batch, image_size, image_size, channels)`
        (and labels) to `(batch, 1)` logits.

    Reference:
        Miyato et al., ICLR 2018, Appendix B.4, Table 4; Miyato & Koyama, ICLR 2018, eq. 3;
        Zhang et al., ICML 2019 (self-attention).
    """
    check_attention_resolution(attention_resolution, image_size)
    sn = spectral_normalization
    images = keras.Input((image_size, image_size, channels), name="images")
    labels = conditional.label_input(num_classes)
    downsamplings = max(1, upsamplings(image_size) - 1)  # 32 -> 8x8, as SNGAN; 8 -> 4x4
    kinds = [True] * downsamplings + [False, False]
    x = images
    attended = attention_resolution is None
    for index, downsample in enumerate(kinds):
        x = discriminator_block(x, filters, downsample=downsample, spectral_normalization=sn, first=index == 0)
        if not attended and x.shape[1] == attention_resolution:
            x, attended = SelfAttention2D(spectral_normalization=sn)(x), True
    x = keras.layers.ReLU()(x)
    pooled = keras.layers.GlobalAveragePooling2D()(x)
    # Global *sum* pooling = (h * w) x the average over the final map.
    pooled = keras.layers.Rescaling(float(x.shape[1] * x.shape[2]))(pooled)
    logits = conditional.logit_head(pooled, labels, num_classes, sn)
    return keras.Model(conditional.model_inputs(images, labels), logits, name=name)
