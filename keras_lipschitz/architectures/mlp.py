"""MLPs for 2-D toy data (the ring and grid mixtures of VEEGAN / PacGAN)."""

import keras

from keras_lipschitz.layers import SpectralNormalization


def _maybe_spectral(layer, spectral_normalization):
    return SpectralNormalization(layer) if spectral_normalization else layer


def mlp_generator(latent_dim=2, data_dim=2, units=128, depth=3, name="mlp_generator"):
    """`depth` ReLU layers of `units`, then a linear output of `data_dim`.

    Args:
        latent_dim: size of the latent vector z.
        data_dim: size of a sample.
        units: width of the hidden layers.
        depth: number of hidden layers.
        name: model name.

    Returns:
        A `keras.Sequential` mapping `(batch, latent_dim)` to `(batch, data_dim)`.
    """
    layers = [keras.Input((latent_dim,))]
    layers += [keras.layers.Dense(units, activation="relu") for _ in range(depth)]
    layers.append(keras.layers.Dense(data_dim))
    return keras.Sequential(layers, name=name)


def mlp_discriminator(data_dim=2, units=128, depth=3, spectral_normalization=False, name="mlp_discriminator"):
    """`depth` LeakyReLU(0.2) layers of `units`, then one logit, no sigmoid.

    Args:
        data_dim: size of a sample.
        units: width of the hidden layers.
        depth: number of hidden layers.
        spectral_normalization: wrap every Dense in `SpectralNormalization`.
        name: model name.

    Returns:
        A `keras.Sequential` mapping `(batch, data_dim)` to `(batch, 1)`.
    """
    layers = [keras.Input((data_dim,))]
    for _ in range(depth):
        layers += [_maybe_spectral(keras.layers.Dense(units), spectral_normalization), keras.layers.LeakyReLU(0.2)]
    layers.append(_maybe_spectral(keras.layers.Dense(1), spectral_normalization))
    return keras.Sequential(layers, name=name)
