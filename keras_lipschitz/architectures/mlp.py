"""MLPs for 2-D toy data (the ring and grid mixtures of VEEGAN / PacGAN)."""

import keras

from keras_lipschitz.architectures import conditioning


def mlp_generator(latent_dim=2, data_dim=2, units=128, depth=3, num_classes=None, name="mlp_generator"):
    """`depth` ReLU layers of `units`, then a linear output of `data_dim`.

    Args:
        latent_dim: size of the latent vector z.
        data_dim: size of a sample.
        units: width of the hidden layers.
        depth: number of hidden layers.
        num_classes: None, or the number of classes of a conditional
            generator: it then takes `[z, labels]` and each hidden layer is
            followed by conditional batch normalization.
        name: model name.

    Returns:
        A functional model mapping `(batch, latent_dim)` (and labels) to `(batch, data_dim)`.
    """
    z = keras.Input((latent_dim,), name="latents")
    labels = conditioning.label_input(num_classes)
    x = z
    for _ in range(depth):
        # Conditional BN's per-class beta replaces the bias.
        x = keras.layers.Dense(units, use_bias=labels is None)(x)
        if labels is not None:
            x = conditioning.batch_normalization(x, labels, num_classes)
        x = keras.layers.ReLU()(x)
    samples = keras.layers.Dense(data_dim)(x)
    return keras.Model(conditioning.model_inputs(z, labels), samples, name=name)


def mlp_discriminator(
    data_dim=2, units=128, depth=3, spectral_normalization=False, num_classes=None, name="mlp_discriminator"
):
    """`depth` LeakyReLU(0.2) layers of `units`, then one logit, no sigmoid.

    Args:
        data_dim: size of a sample.
        units: width of the hidden layers.
        depth: number of hidden layers.
        spectral_normalization: wrap every Dense in `SpectralNormalization`.
        num_classes: None, or the number of classes of a projection
            discriminator (takes `[samples, labels]`).
        name: model name.

    Returns:
        A functional model mapping `(batch, data_dim)` (and labels) to `(batch, 1)`.
    """
    samples = keras.Input((data_dim,), name="samples")
    labels = conditioning.label_input(num_classes)
    x = samples
    for _ in range(depth):
        x = conditioning.maybe_spectral(keras.layers.Dense(units), spectral_normalization)(x)
        x = keras.layers.LeakyReLU(0.2)(x)
    logits = conditioning.logit_head(x, labels, num_classes, spectral_normalization)
    return keras.Model(conditioning.model_inputs(samples, labels), logits, name=name)
