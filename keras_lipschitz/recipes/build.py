"""From a recipe's resolved settings to a compiled-ready GAN: models, optimizers, compile arguments."""

import keras

from keras_lipschitz import architectures
from keras_lipschitz import losses
from keras_lipschitz.constraints import ClipConstraint

ARCHITECTURES = ("mlp", "dcgan", "radford", "resnet", "biggan", "progressive")


def build(settings, sample_shape, num_classes=None, seed=0):
    """The GAN of `settings` (see `Recipe.settings`) for samples of `sample_shape`.

    Args:
        settings: resolved recipe settings.
        sample_shape: one sample's shape, `(2,)` or `(size, size, channels)`.
        num_classes: None, or the number of classes of a conditional GAN.
        seed: the GAN's seed (latents, penalty draws).

    Returns:
        `(gan, compile_arguments)`: call `gan.compile(**compile_arguments)`.

    Example:

    ```python
    from keras_lipschitz import recipes
    from keras_lipschitz.recipes import build

    settings = recipes.get("acgan").settings("digits")
    gan, compile_arguments = build.build(settings, (8, 8, 1), num_classes=10)
    gan.compile(**compile_arguments)
    print(gan.discriminator.output_shape)  # [(None, 1), (None, 10)]: the logit and the class logits
    ```
    """
    from keras_lipschitz import trainers

    generator, critic = models(settings, sample_shape, num_classes)
    if settings["weight_clipping"]:
        apply_weight_clipping(critic, settings["weight_clipping"])
    options = dict(latent_dim=settings["latent_dim"], num_classes=num_classes, seed=seed,
                   ema_decay=settings["ema_decay"] or None, ema_start=settings["ema_start"],
                   truncation=settings["truncation"] or None)
    if isinstance(generator, architectures.ProgressiveGenerator) and settings["fade_images"]:
        schedule = trainers.GrowthSchedule(generator.levels, settings["fade_images"], settings["stable_images"],
                                           batch_sizes=settings["level_batch_sizes"] or None)
        schedule.check_batch(settings["batch_size"], settings["d_steps"])
        gan = trainers.ProgressiveGAN(generator, critic, schedule=schedule, **options)
    elif settings["geometric_weight"] or settings["mode_weight"]:
        encoder = architectures.encoder(sample_shape, settings["latent_dim"], units=settings["units"])
        gan = trainers.ModeRegularizedGAN(generator, critic, encoder, geometric_weight=settings["geometric_weight"],
                                          mode_weight=settings["mode_weight"], **options)
    else:
        gan = trainers.GAN(generator, critic, **options)
    return gan, compile_arguments(settings, conditional=num_classes is not None)


def models(settings, sample_shape, num_classes=None):
    """The generator and the critic of `settings["architecture"]`, conditioned as `settings["conditioning"]` says
    when `num_classes` is given."""
    architecture = settings["architecture"]
    if architecture not in ARCHITECTURES:
        raise ValueError(f"Unknown architecture {architecture!r}; use one of {', '.join(ARCHITECTURES)}.")
    _check_architecture_options(settings, num_classes)
    generator, critic = _BUILDERS[architecture](settings, sample_shape, num_classes)
    if settings["packing"] > 1:
        critic = _packed_critic(settings, sample_shape)
    if settings["autoencoder_code_dim"]:
        critic = architectures.autoencoder_discriminator(sample_shape, code_dim=settings["autoencoder_code_dim"],
                                                         units=settings["units"])
    if settings["num_generators"] > 1:
        critic = _classifying_critic(critic, settings["num_generators"] + 1)
    return generator, critic


def _classifying_critic(critic, classes):
    """MAD-GAN's critic: the architecture's critic with its logit layer replaced by `classes` logits (k generators
    and real data)."""
    features = critic.layers[-1].input
    return keras.Model(critic.inputs, keras.layers.Dense(classes, name="source_logits")(features), name=critic.name)


def _packed_critic(settings, sample_shape):
    """PacGAN: `Packing(m)`, then the architecture's critic for samples with m times the features or channels."""
    from keras_lipschitz.layers import Packing

    m = settings["packing"]
    packed_shape = (*sample_shape[:-1], m * sample_shape[-1])
    inner = _BUILDERS[settings["architecture"]](settings, packed_shape, None)[1]
    return keras.Sequential([keras.Input(sample_shape), Packing(m), inner], name=f"packed_{inner.name}")


def _check_architecture_options(settings, num_classes):
    """Refuses settings the chosen architecture cannot honour, naming the setting."""
    architecture = settings["architecture"]
    residual = architecture in ("resnet", "biggan")
    if settings["attention_divisor"] and not residual:
        raise ValueError(f"Self-attention (attention_divisor={settings['attention_divisor']}) is built into the "
                         f"resnet and biggan architectures, not {architecture}.")
    if num_classes is not None and residual and settings["conditioning"] != "projection":
        raise ValueError(f"The {architecture} architecture conditions by projection (conditional BN and a projection "
                         f"discriminator), not {settings['conditioning']!r}; use dcgan, radford or mlp.")
    if not isinstance(settings["packing"], int) or settings["packing"] < 1:
        raise ValueError(f"packing must be an integer >= 1 (1: none; PacGAN uses 2-4), got {settings['packing']!r}.")
    if settings["packing"] > 1 and (num_classes is not None or architecture == "progressive"):
        raise ValueError("packing applies to unconditional critics with a fixed input (not conditional GANs, whose "
                         "packs would mix labels, nor the progressive architecture).")
    if num_classes is not None and architecture == "progressive":
        raise ValueError("The progressive architecture is unconditional (PGGAN); drop --conditional.")
    if settings["level_batch_sizes"] and (architecture != "progressive" or not settings["fade_images"]):
        raise ValueError(f"level_batch_sizes={settings['level_batch_sizes']!r} sets the batch of each resolution of a "
                         "growing network: it needs the progressive architecture and fade_images > 0.")
    if not isinstance(settings["minibatch_kernels"], int) or settings["minibatch_kernels"] < 0:
        raise ValueError(f"minibatch_kernels must be an integer >= 0 (0: none), got {settings['minibatch_kernels']!r}.")
    if settings["minibatch_kernels"] and architecture not in ("mlp", "dcgan", "radford"):
        raise ValueError(f"Minibatch discrimination (minibatch_kernels) is built into the mlp, dcgan and radford "
                         f"critics, not {architecture}.")
    if settings["autoencoder_code_dim"] and (num_classes is not None or settings["packing"] > 1
                                             or settings["minibatch_kernels"] or architecture == "progressive"):
        raise ValueError("The autoencoder critic (autoencoder_code_dim) is unconditional and takes single samples: "
                         "not with --conditional, packing, minibatch_kernels or the progressive architecture.")
    if (settings["geometric_weight"] or settings["mode_weight"]) and (num_classes is not None
                                                                      or architecture == "progressive"):
        raise ValueError("MRGAN's regularizers (geometric_weight, mode_weight) apply to unconditional GANs, not with "
                         "--conditional or the progressive architecture.")
    if not isinstance(settings["num_generators"], int) or settings["num_generators"] < 1:
        raise ValueError(f"num_generators must be an integer >= 1, got {settings['num_generators']!r}.")
    if settings["num_generators"] > 1 and (architecture not in ("mlp", "dcgan", "radford") or num_classes is not None
                                           or settings["packing"] > 1 or settings["autoencoder_code_dim"]):
        raise ValueError("MAD-GAN (num_generators > 1) is built into the unconditional mlp, dcgan and radford "
                         "networks, without packing or an autoencoder critic.")
    if settings["virtual_batch_reference"] and architecture not in ("mlp", "dcgan", "radford"):
        raise ValueError(f"Virtual batch normalization (virtual_batch_reference) is built into the mlp and dcgan "
                         f"generators, not {architecture}'s.")
    if settings["orthogonal_regularization"] and architecture != "biggan":
        raise ValueError("orthogonal_regularization is built into the biggan architecture's generator, not "
                         f"{architecture}.")


def _attention_resolution(settings, size):
    return size // settings["attention_divisor"] if settings["attention_divisor"] else None


def _mlp(settings, sample_shape, num_classes):
    conditioning = settings["conditioning"]
    generator = architectures.mlp_generator(latent_dim=settings["latent_dim"], data_dim=sample_shape[0],
                                            units=settings["units"], num_classes=num_classes,
                                            conditioning=conditioning,
                                            virtual_batch_reference=settings["virtual_batch_reference"],
                                            num_generators=settings["num_generators"])
    critic = architectures.mlp_discriminator(data_dim=sample_shape[0], units=settings["units"],
                                             depth=settings["critic_depth"],
                                             spectral_normalization=settings["spectral_normalization"],
                                             num_classes=num_classes, conditioning=conditioning,
                                             minibatch_kernels=settings["minibatch_kernels"])
    return generator, critic


def _dcgan_generator(settings, sample_shape, num_classes, **options):
    size, _, channels = sample_shape
    return architectures.dcgan_generator(settings["latent_dim"], image_size=size, channels=channels,
                                         base_filters=min(512, 64 * size // 4), num_classes=num_classes,
                                         spectral_normalization=settings["generator_spectral_normalization"],
                                         conditioning=settings["conditioning"],
                                         virtual_batch_reference=settings["virtual_batch_reference"],
                                         num_generators=settings["num_generators"], **options)


def _dcgan(settings, sample_shape, num_classes):
    size, _, channels = sample_shape
    critic = architectures.dcgan_discriminator(image_size=size, channels=channels,
                                               spectral_normalization=settings["spectral_normalization"],
                                               num_classes=num_classes, conditioning=settings["conditioning"],
                                               minibatch_kernels=settings["minibatch_kernels"])
    return _dcgan_generator(settings, sample_shape, num_classes), critic


def _radford(settings, sample_shape, num_classes):
    size, _, channels = sample_shape
    generator = _dcgan_generator(settings, sample_shape, num_classes,
                                 kernel_initializer=keras.initializers.RandomNormal(0.0, 0.02))
    critic = architectures.radford_discriminator(image_size=size, channels=channels, num_classes=num_classes,
                                                 conditioning=settings["conditioning"],
                                                 minibatch_kernels=settings["minibatch_kernels"],
                                                 normalization=settings["critic_normalization"])
    return generator, critic


def _resnet_critic(settings, sample_shape, num_classes):
    size, _, channels = sample_shape
    return architectures.resnet_discriminator(channels=channels, filters=settings["d_filters"],
                                              spectral_normalization=settings["spectral_normalization"],
                                              num_classes=num_classes, image_size=size,
                                              attention_resolution=_attention_resolution(settings, size))


def _resnet(settings, sample_shape, num_classes):
    size, _, channels = sample_shape
    generator = architectures.resnet_generator(settings["latent_dim"], channels=channels,
                                               filters=settings["g_filters"], num_classes=num_classes,
                                               spectral_normalization=settings["generator_spectral_normalization"],
                                               image_size=size,
                                               attention_resolution=_attention_resolution(settings, size))
    return generator, _resnet_critic(settings, sample_shape, num_classes)


def _biggan(settings, sample_shape, num_classes):
    size, _, channels = sample_shape
    generator = architectures.biggan_generator(
        settings["latent_dim"], channels=channels, filters=settings["g_filters"], num_classes=num_classes,
        image_size=size, shared_embedding_dim=settings["shared_embedding_dim"],
        attention_resolution=_attention_resolution(settings, size),
        orthogonal_regularization=settings["orthogonal_regularization"],
        spectral_normalization=settings["generator_spectral_normalization"])
    return generator, _resnet_critic(settings, sample_shape, num_classes)


def _progressive(settings, sample_shape, num_classes):
    size, _, channels = sample_shape
    generator = architectures.ProgressiveGenerator(settings["latent_dim"], size, channels, filters=settings["g_filters"])
    return generator, architectures.ProgressiveDiscriminator(size, channels, filters=settings["d_filters"])


_BUILDERS = {"mlp": _mlp, "dcgan": _dcgan, "radford": _radford, "resnet": _resnet, "biggan": _biggan,
             "progressive": _progressive}


def compile_arguments(settings, conditional=None):
    """`GAN.compile` arguments: both optimizers (with the learning-rate schedule), loss (with label smoothing),
    penalty, d_steps, and the auxiliary classifier's loss of a conditional AC-GAN.

    Args:
        settings: resolved recipe settings.
        conditional: whether the GAN is conditional (default: `settings["conditional"]`).
    """
    conditional = settings["conditional"] if conditional is None else conditional
    auxiliary = conditional and settings["conditioning"] == "auxiliary"
    arguments = dict(
        d_optimizer=optimizer(settings, settings["d_learning_rate"], settings["steps"] * settings["d_steps"]),
        g_optimizer=optimizer(settings, settings["g_learning_rate"], settings["steps"]),
        loss=gan_loss(settings),
        penalty=None if settings["penalty"] == "none" else settings["penalty"],
        penalty_weight=settings["penalty_weight"],
        d_steps=settings["d_steps"],
    )
    if settings["pulling_away_weight"]:
        arguments["pulling_away_weight"] = settings["pulling_away_weight"]
    if settings["unrolled_steps"]:
        arguments.update(unrolled_steps=settings["unrolled_steps"], unrolled_optimizer=settings["unrolled_optimizer"])
    if settings["drift_weight"]:
        arguments["drift_weight"] = settings["drift_weight"]
    if settings["diffaugment"]:
        arguments["augment"] = settings["diffaugment"]
    if auxiliary:
        arguments["classifier_loss"] = settings["classifier_loss"]
    return arguments


def gan_loss(settings):
    """The recipe's loss: its name, or a `GANLoss` with one-sided label smoothing when the setting asks for it."""
    loss = losses.get(settings["loss"])
    if isinstance(loss, losses.EnergyMarginLoss):
        return losses.EnergyMarginLoss(margin=settings["energy_margin"])
    if isinstance(loss, losses.MultiGeneratorLoss):
        return losses.MultiGeneratorLoss(num_generators=settings["num_generators"])
    if not settings["label_smoothing"]:
        return settings["loss"]
    if not isinstance(loss, losses.MinimaxLoss):
        raise ValueError(f"label_smoothing applies to the minimax and non_saturating losses, not {settings['loss']!r}.")
    return type(loss)(label_smoothing=settings["label_smoothing"])


def optimizer(settings, learning_rate, updates):
    """The recipe's optimizer at `learning_rate`, decayed over `updates` updates when the schedule says so."""
    if settings["learning_rate_schedule"] == "cosine":
        learning_rate = keras.optimizers.schedules.CosineDecay(learning_rate, updates)
    elif settings["learning_rate_schedule"] != "constant":
        raise ValueError(f"Unknown learning_rate_schedule {settings['learning_rate_schedule']!r}: constant or cosine.")
    if settings["optimizer"] == "adam":
        return keras.optimizers.Adam(learning_rate, beta_1=settings["beta_1"], beta_2=settings["beta_2"],
                                     epsilon=settings["adam_epsilon"])
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
