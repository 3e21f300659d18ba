"""MRGAN: a GAN whose generator is also trained, with an encoder, to reconstruct real samples."""

import keras
from keras import ops

from keras_lipschitz import _reduction
from keras_lipschitz import _validation
from keras_lipschitz.trainers.gan import GAN


@keras.saving.register_keras_serializable(package="keras_lipschitz")
class ModeRegularizedGAN(GAN):
    """A `GAN` with an encoder E and MRGAN's geometric and mode regularizers in the generator's loss.

    For the step's real samples x (the last critic batch) the generator and
    the encoder, updated together by the generator's optimizer, minimize

        geometric_weight * E_x[d(x, G(E(x)))] + mode_weight * E_x[-log D(G(E(x)))]

    next to the adversarial loss: every real sample must have a latent that
    G maps near it (so no mode can be dropped without a reconstruction
    error), and the reconstructions must look real to the critic. `d` is
    the mean squared error over a sample's values; the mode regularizer is
    taken in the generator's non-saturating form, so it rewards
    reconstructions the critic takes for real (the role sec. 3.2 gives it).
    The critic's own step is the plain GAN's. Logged as `geometric` and
    `mode`.

    Args:
        generator: as `GAN`'s (unconditional).
        discriminator: as `GAN`'s, one logit per sample.
        encoder: a Keras model from samples to `(batch, latent_dim)`
            (`architectures.encoder`).
        latent_dim: size of z.
        geometric_weight: lambda_1 >= 0.
        mode_weight: lambda_2 >= 0.
        **kwargs: `GAN` arguments (seed, EMA, ...); the EMA averages the
            generator only.

    Returns:
        Called on z, the generator's samples.

    Example:

    ```python
    import keras
    import numpy as np
    from keras_lipschitz.architectures import encoder, mlp_discriminator, mlp_generator
    from keras_lipschitz.trainers import ModeRegularizedGAN

    gan = ModeRegularizedGAN(mlp_generator(latent_dim=2, units=32), mlp_discriminator(units=32), encoder((2,), 2, 32),
                             latent_dim=2, geometric_weight=0.2, mode_weight=0.4, seed=0)
    gan.compile(d_optimizer=keras.optimizers.Adam(1e-3), g_optimizer=keras.optimizers.Adam(1e-3), loss="non_saturating")
    history = gan.fit(np.random.default_rng(0).normal(size=(256, 2)).astype("float32"), batch_size=64, verbose=0)
    print(sorted(history.history))  # ['d_loss', 'g_loss', 'geometric', 'mode', 'skipped_steps', 'wasserstein_estimate']
    ```

    Reference:
        Che, Li, Jacob, Bengio, Li, "Mode Regularized Generative
        Adversarial Networks", ICLR 2017, sec. 3.1-3.2 (T_G and T_E).
    """

    def __init__(self, generator, discriminator, encoder, latent_dim, geometric_weight=0.2, mode_weight=0.4,
                 **kwargs):
        super().__init__(generator, discriminator, latent_dim, **kwargs)
        if self.num_classes is not None:
            raise ValueError("ModeRegularizedGAN is unconditional: give num_classes=None.")
        if not isinstance(encoder, keras.Model) or tuple(encoder.output_shape[1:]) != (latent_dim,) \
                or tuple(encoder.input_shape[1:]) != tuple(generator.output_shape[1:]):
            raise ValueError(f"The encoder must be a built Keras model from samples of shape "
                             f"{tuple(generator.output_shape[1:])} to latents ({latent_dim},); got {encoder!r}.")
        self.encoder = encoder
        self.geometric_weight = _validation.check_finite_number("geometric_weight", geometric_weight, positive=False,
                                                                owner="ModeRegularizedGAN")
        self.mode_weight = _validation.check_finite_number("mode_weight", mode_weight, positive=False,
                                                           owner="ModeRegularizedGAN")

    def _generator_trainable_variables(self):
        return self.generator.trainable_variables + self.encoder.trainable_variables

    def _generator_term_names(self):
        return super()._generator_term_names() + ["geometric", "mode"]

    def _generator_terms(self, fake, real, labels):
        reconstructions = self.generator(self.encoder(real, training=True), training=True)
        squared = ops.square(ops.cast(reconstructions, "float32") - ops.cast(real, "float32"))
        distances = ops.mean(ops.reshape(squared, (ops.shape(real)[0], -1)), axis=1)
        logits, _ = self._scores(reconstructions, None, training=True)
        # -log sigmoid(D) per sample, the mean of its logits.
        realness = ops.mean(ops.softplus(-_reduction.per_logit(logits, "logits")), axis=1)
        return {
            **super()._generator_terms(fake, real, labels),
            "geometric": self.geometric_weight * _reduction.reduce_per_sample(distances, "mean"),
            "mode": self.mode_weight * _reduction.reduce_per_sample(realness, "mean"),
        }

    def get_config(self):
        return {**super().get_config(), "encoder": keras.saving.serialize_keras_object(self.encoder),
                "geometric_weight": self.geometric_weight, "mode_weight": self.mode_weight}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        config["encoder"] = keras.saving.deserialize_keras_object(config["encoder"], custom_objects=custom_objects)
        return super().from_config(config, custom_objects)
