"""DCGAN generator and discriminator (Radford et al. 2016), as in SNGAN's Table 3."""

import keras

from keras_lipschitz.architectures import conditioning as conditional
from keras_lipschitz.architectures.sizes import upsamplings
from keras_lipschitz.layers import RemoveReferenceBatch


def dcgan_generator(
    latent_dim=128,
    image_size=32,
    channels=3,
    base_filters=512,
    num_classes=None,
    spectral_normalization=False,
    kernel_initializer="glorot_uniform",
    conditioning="projection",
    virtual_batch_reference=0,
    num_generators=1,
    name="dcgan_generator",
):
    """z -> dense 4x4 -> stride-2 transposed convolutions with BN and ReLU -> tanh.

    For 32x32 this is the SNGAN "standard CNN" generator: 4x4x512, then
    4x4 stride-2 deconvolutions to 256, 128 and 64 filters, a 3x3
    convolution to `channels` and tanh.

    Args:
        latent_dim: size of z.
        image_size: 32 or 64 (any `4 * 2**k`).
        channels: output channels.
        base_filters: filters at 4x4, halved at each upsampling.
        num_classes: None, or the number of classes of a conditional
            generator: it then takes `[z, labels]` and every batch
            normalization is conditional (`ConditionalBatchNormalization`).
        spectral_normalization: wrap the dense layer and every convolution
            (SN in G, as SAGAN and BigGAN do).
        kernel_initializer: of the dense layer and every convolution (DCGAN:
            `keras.initializers.RandomNormal(0.0, 0.02)`).
        conditioning: `"projection"` (conditional BN), `"concat"` or
            `"auxiliary"` (a label embedding concatenated to z, plain BN).
        virtual_batch_reference: R > 0: virtual batch normalization
            (Salimans et al. 2016) in place of batch normalization, with a
            fixed reference batch of R latents; unconditional only. 0: BN.
        num_generators: k > 1: MAD-GAN's k generators, sharing every layer
            but the first (`layers.MultiGeneratorDense`: row r of a batch
            comes from generator `r % k`); unconditional only. 1: one.
        name: model name.

    Returns:
        A functional model mapping `(batch, latent_dim)` (and labels) to
        images in `[-1, 1]` of shape `(batch, image_size, image_size, channels)`.

    Reference:
        Miyato et al., ICLR 2018, Table 3 (a); Radford et al., ICLR 2016;
        Miyato & Koyama, ICLR 2018 (conditional batch normalization).
    """
    z = keras.Input((latent_dim,), name="latents")
    labels = conditional.label_input(num_classes)
    sn = spectral_normalization
    x, bn_labels = conditional.generator_input(z, labels, num_classes, conditioning)
    x, normalization = conditional.generator_normalization(x, bn_labels, num_classes, virtual_batch_reference)
    dense = conditional.maybe_spectral(conditional.first_dense(0, 4 * 4 * base_filters, num_generators, num_classes,
                                                               kernel_initializer=kernel_initializer), sn)
    x = keras.layers.Reshape((4, 4, base_filters))(dense(x))
    x = keras.layers.ReLU()(normalization(x))
    filters = base_filters
    for _ in range(upsamplings(image_size)):
        filters //= 2
        deconvolution = keras.layers.Conv2DTranspose(filters, 4, strides=2, padding="same",
                                                     kernel_initializer=kernel_initializer)
        x = conditional.maybe_spectral(deconvolution, sn)(x)
        x = keras.layers.ReLU()(normalization(x))
    if virtual_batch_reference:
        x = RemoveReferenceBatch(virtual_batch_reference)(x)
    output = keras.layers.Conv2D(channels, 3, padding="same", activation="tanh", kernel_initializer=kernel_initializer)
    images = conditional.maybe_spectral(output, sn)(x)
    return keras.Model(conditional.model_inputs(z, labels), images, name=name)


def dcgan_discriminator(
    image_size=32,
    channels=3,
    base_filters=64,
    spectral_normalization=False,
    num_classes=None,
    conditioning="projection",
    minibatch_kernels=0,
    name="dcgan_discriminator",
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
        num_classes: None, or the number of classes of a conditional
            discriminator: with `conditioning="projection"` it takes
            `[images, labels]` and adds `<embed(label), features>` to the
            logit (`ClassProjection`).
        conditioning: `"projection"`, `"concat"` (the label embedded as an
            extra input channel) or `"auxiliary"` (takes images, returns
            `[logits, class_logits]`); see `architectures.conditioning`.
        minibatch_kernels: B > 0 puts `MinibatchDiscrimination(B)` before
            the logit (Salimans et al. 2016); 0: none.
        name: model name.

    Returns:
        A functional model mapping images (and labels) to `(batch, 1)` logits.

    Reference:
        Miyato et al., ICLR 2018, Table 3 (b); Miyato & Koyama, ICLR 2018, eq. 3.
    """
    sn = spectral_normalization
    images = keras.Input((image_size, image_size, channels), name="images")
    labels = conditional.discriminator_labels(num_classes, conditioning)
    x = conditional.discriminator_input(images, labels, num_classes, conditioning)
    filters = base_filters
    for _ in range(upsamplings(image_size)):
        x = conditional.maybe_spectral(keras.layers.Conv2D(filters, 3, padding="same"), sn)(x)
        x = keras.layers.LeakyReLU(0.1)(x)
        x = conditional.maybe_spectral(keras.layers.Conv2D(filters, 4, strides=2, padding="same"), sn)(x)
        x = keras.layers.LeakyReLU(0.1)(x)
        filters *= 2
    x = conditional.maybe_spectral(keras.layers.Conv2D(filters, 3, padding="same"), sn)(x)
    features = keras.layers.Flatten()(keras.layers.LeakyReLU(0.1)(x))
    logits = conditional.logit_head(features, labels, num_classes, sn, conditioning, minibatch_kernels)
    return keras.Model(conditional.model_inputs(images, labels), logits, name=name)


# The radford critic's normalizations; "layer" normalizes each sample over its whole feature map.
_NORMALIZATIONS = {"batch": keras.layers.BatchNormalization,
                   "layer": lambda: keras.layers.LayerNormalization(axis=(1, 2, 3)),
                   "none": None}


def radford_discriminator(image_size=32, channels=3, base_filters=64, num_classes=None, conditioning="projection",
                          minibatch_kernels=0, normalization="batch", name="radford_discriminator"):
    """DCGAN's own discriminator: stride-2 4x4 convolutions, batch normalization except on the input layer,
    LeakyReLU(0.2), convolution weights drawn from N(0, 0.02), one logit (no sigmoid).

    Args:
        image_size: any `4 * 2**k` >= 8; the convolutions halve it down to 4x4.
        channels: input channels.
        base_filters: filters of the input layer, doubled by each later one.
        num_classes: None, or the number of classes of a conditional
            discriminator.
        conditioning: `"projection"`, `"concat"` (the cGAN's label channel)
            or `"auxiliary"` (AC-GAN: images in, `[logits, class_logits]`
            out); see `architectures.conditioning`.
        minibatch_kernels: B > 0 puts `MinibatchDiscrimination(B)` before
            the logit (Salimans et al. 2016); 0: none.
        normalization: after each convolution but the first: `"batch"`
            (DCGAN), `"layer"` (per sample over height, width and channels,
            WGAN-GP's drop-in replacement) or `"none"` (the WGAN-GP
            authors' DCGAN critics). A gradient penalty needs `"layer"` or
            `"none"`: batch statistics mix the samples it penalizes one by one.
        name: model name.

    Returns:
        A functional model mapping images (and labels) to `(batch, 1)` (and class logits).

    Example:

    ```python
    from keras_lipschitz.architectures import radford_discriminator

    critic = radford_discriminator(image_size=32, channels=1)
    print([layer.__class__.__name__ for layer in critic.layers[1:4]])  # ['Conv2D', 'LeakyReLU', 'Conv2D']
    # WGAN-GP's critic: no batch statistics under a gradient penalty.
    penalized = radford_discriminator(image_size=32, channels=1, normalization="none")
    print([layer.__class__.__name__ for layer in penalized.layers[3:5]])  # ['Conv2D', 'LeakyReLU']
    ```

    Reference:
        Radford, Metz, Chintala, ICLR 2016, sec. 3 and 4 (architecture
        guidelines: no BN on the discriminator's input layer, LeakyReLU 0.2,
        N(0, 0.02) initialization); Gulrajani et al., NeurIPS 2017, sec. 4
        (no batch normalization in a penalized critic).
    """
    if normalization not in _NORMALIZATIONS:
        raise ValueError(f"normalization must be one of {', '.join(_NORMALIZATIONS)}, got {normalization!r}.")
    normalize = _NORMALIZATIONS[normalization]
    initializer = keras.initializers.RandomNormal(0.0, 0.02)
    images = keras.Input((image_size, image_size, channels), name="images")
    labels = conditional.discriminator_labels(num_classes, conditioning)
    x = conditional.discriminator_input(images, labels, num_classes, conditioning)
    filters = base_filters
    for index in range(upsamplings(image_size)):
        x = keras.layers.Conv2D(filters, 4, strides=2, padding="same", kernel_initializer=initializer)(x)
        if index > 0 and normalize is not None:  # not on the input layer
            x = normalize()(x)
        x = keras.layers.LeakyReLU(0.2)(x)
        filters *= 2
    features = keras.layers.Flatten()(x)
    logits = conditional.logit_head(features, labels, num_classes, False, conditioning, minibatch_kernels)
    return keras.Model(conditional.model_inputs(images, labels), logits, name=name)
