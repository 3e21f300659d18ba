"""From a recipe's resolved settings to a compiled-ready GAN: models, optimizers, compile arguments."""

import keras

from keras_lipschitz import architectures
from keras_lipschitz.constraints import ClipConstraint


def build(settings, sample_shape, num_classes=None, seed=0):
    """The GAN of `settings` (see `Recipe.settings`) for samples of `sample_shape`.

    Args:
        settings: resolved recipe settings.
        sample_shape: one sample's shape, `(2,)` or `(size, size, channels)`.
        num_classes: None, or the number of classes of a conditional GAN.
        seed: the GAN's seed (latents, penalty draws).

    Returns:
        `(gan, compile_arguments)`: call `gan.compile(**compile_arguments)`.
    """
    from keras_lipschitz.trainers import GAN

    generator, critic = models(settings, sample_shape, num_classes)
    if settings["weight_clipping"]:
        apply_weight_clipping(critic, settings["weight_clipping"])
    gan = GAN(generator, critic, latent_dim=settings["latent_dim"], num_classes=num_classes, seed=seed,
              ema_decay=settings["ema_decay"] or None, ema_start=settings["ema_start"])
    return gan, compile_arguments(settings)


def models(settings, sample_shape, num_classes=None):
    """The generator and the critic of `settings["architecture"]`."""
    architecture, latent_dim = settings["architecture"], settings["latent_dim"]
    spectral = settings["spectral_normalization"]
    if architecture == "mlp":
        generator = architectures.mlp_generator(latent_dim=latent_dim, data_dim=sample_shape[0],
                                                units=settings["units"], num_classes=num_classes)
        critic = architectures.mlp_discriminator(data_dim=sample_shape[0], units=settings["units"],
                                                 depth=settings["critic_depth"], spectral_normalization=spectral,
                                                 num_classes=num_classes)
    elif architecture == "dcgan":
        size, _, channels = sample_shape
        generator = architectures.dcgan_generator(latent_dim, image_size=size, channels=channels,
                                                  base_filters=min(512, 64 * size // 4), num_classes=num_classes)
        critic = architectures.dcgan_discriminator(image_size=size, channels=channels, spectral_normalization=spectral,
                                                   num_classes=num_classes)
    elif architecture == "radford":
        size, _, channels = sample_shape
        generator = architectures.dcgan_generator(latent_dim, image_size=size, channels=channels,
                                                  base_filters=min(512, 64 * size // 4), num_classes=num_classes,
                                                  kernel_initializer=keras.initializers.RandomNormal(0.0, 0.02))
        critic = architectures.radford_discriminator(image_size=size, channels=channels, num_classes=num_classes)
    elif architecture == "resnet":
        channels = sample_shape[-1]
        generator = architectures.resnet_generator(latent_dim, channels=channels, num_classes=num_classes)
        critic = architectures.resnet_discriminator(channels=channels, spectral_normalization=spectral,
                                                    num_classes=num_classes)
    else:
        raise ValueError(f"Unknown architecture {architecture!r}; use mlp, dcgan, radford or resnet.")
    return generator, critic


def compile_arguments(settings):
    """`GAN.compile` arguments: both optimizers (with the learning-rate schedule), loss, penalty, d_steps."""
    return dict(
        d_optimizer=optimizer(settings, settings["d_learning_rate"], settings["steps"] * settings["d_steps"]),
        g_optimizer=optimizer(settings, settings["g_learning_rate"], settings["steps"]),
        loss=settings["loss"],
        penalty=None if settings["penalty"] == "none" else settings["penalty"],
        penalty_weight=settings["penalty_weight"],
        d_steps=settings["d_steps"],
    )


def optimizer(settings, learning_rate, updates):
    """The recipe's optimizer at `learning_rate`, decayed over `updates` updates when the schedule says so."""
    if settings["learning_rate_schedule"] == "cosine":
        learning_rate = keras.optimizers.schedules.CosineDecay(learning_rate, updates)
    elif settings["learning_rate_schedule"] != "constant":
        raise ValueError(f"Unknown learning_rate_schedule {settings['learning_rate_schedule']!r}: constant or cosine.")
    if settings["optimizer"] == "adam":
        return keras.optimizers.Adam(learning_rate, beta_1=settings["beta_1"], beta_2=settings["beta_2"])
    if settings["optimizer"] == "rmsprop":
        return keras.optimizers.RMSprop(learning_rate)
    raise ValueError(f"Unknown optimizer {settings['optimizer']!r}: adam or rmsprop.")


def apply_weight_clipping(critic, clip_value=0.01):
    """Gives every trainable weight of `critic` a `ClipConstraint(clip_value)` (WGAN).

    Returns:
        The number of weights constrained.
    """
    for variable in critic.trainable_variables:
        variable.constraint = ClipConstraint(clip_value)
    return len(critic.trainable_variables)
