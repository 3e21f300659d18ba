"""Encoders of samples: EBGAN's autoencoder discriminator (the energy of a sample is its reconstruction error)
and MRGAN's encoder to latents."""

import keras

from keras_lipschitz.architectures.sizes import upsamplings
from keras_lipschitz.layers import ReconstructionEnergy

# The layer whose output is the code of a sample (the pulling-away term reads it, `GAN.compile`).
CODES_LAYER = "codes"


def autoencoder_discriminator(sample_shape, code_dim=32, units=256, base_filters=64, name="autoencoder_discriminator"):
    """An autoencoder returning each sample's reconstruction error, `(batch, 1)`, with its codes in layer `"codes"`.

    For points (`sample_shape` of length 1): Dense(units) -> codes ->
    Dense(units) -> reconstruction, LeakyReLU(0.2). For images: stride-2 4x4
    convolutions from `base_filters` (doubled) down to 4x4, a dense code,
    then transposed convolutions back, as the EBGAN paper's convolutional
    autoencoders.

    Args:
        sample_shape: `(features,)` or `(size, size, channels)`.
        code_dim: size of the code (the encoder's output).
        units: hidden width, for points.
        base_filters: first convolution's filters, for images.
        name: model name.

    Returns:
        A functional model: samples -> energies `(batch, 1)` (use it with
        `losses.EnergyMarginLoss`).

    Example:

    ```python
    from keras_lipschitz.architectures import autoencoder_discriminator

    critic = autoencoder_discriminator((8, 8, 1), code_dim=16)
    print(critic.output_shape, critic.get_layer("codes").output.shape)  # (None, 1) (None, 16)
    ```

    Reference:
        Zhao, Mathieu, LeCun, ICLR 2017, sec. 2.3 and Appendix C.
    """
    samples = keras.Input(sample_shape, name="samples")
    codes = _encoded(samples, code_dim, units, base_filters, name=CODES_LAYER)
    if len(sample_shape) == 1:
        hidden = keras.layers.LeakyReLU(0.2)(keras.layers.Dense(units)(codes))
        reconstructions = keras.layers.Dense(sample_shape[0])(hidden)
    else:
        reconstructions = _convolutional_decoder(codes, sample_shape, base_filters)
    energies = ReconstructionEnergy()([samples, reconstructions])
    return keras.Model(samples, energies, name=name)


def encoder(sample_shape, latent_dim, units=256, base_filters=64, name="encoder"):
    """Samples to latents: for points two LeakyReLU(0.2) layers of `units`, for images stride-2 4x4 convolutions
    from `base_filters` (doubled) down to 4x4; then a linear layer to `latent_dim`.

    Args:
        sample_shape: `(features,)` or `(size, size, channels)`.
        latent_dim: the generator's latent size.
        units: hidden width, for points.
        base_filters: first convolution's filters, for images.
        name: model name.

    Returns:
        A functional model from samples to `(batch, latent_dim)` (MRGAN's E).
    """
    samples = keras.Input(sample_shape, name="samples")
    return keras.Model(samples, _encoded(samples, latent_dim, units, base_filters, hidden_layers=2), name=name)


def _encoded(samples, code_dim, units, base_filters, hidden_layers=1, name=None):
    x = samples
    if len(samples.shape) == 2:
        for _ in range(hidden_layers):
            x = keras.layers.LeakyReLU(0.2)(keras.layers.Dense(units)(x))
    else:
        filters = base_filters
        for _ in range(upsamplings(samples.shape[1])):
            x = keras.layers.LeakyReLU(0.2)(keras.layers.Conv2D(filters, 4, strides=2, padding="same")(x))
            filters *= 2
        x = keras.layers.Flatten()(x)
    return keras.layers.Dense(code_dim, name=name)(x)


def _convolutional_decoder(codes, sample_shape, base_filters):
    size, _, channels = sample_shape
    steps = upsamplings(size)
    filters = base_filters * 2 ** (steps - 1)
    x = keras.layers.Reshape((4, 4, filters))(keras.layers.Dense(4 * 4 * filters)(codes))
    for _ in range(steps):
        filters //= 2
        x = keras.layers.LeakyReLU(0.2)(keras.layers.Conv2DTranspose(max(filters, base_filters // 2), 4, strides=2,
                                                                     padding="same")(x))
    return keras.layers.Conv2D(channels, 3, padding="same")(x)
