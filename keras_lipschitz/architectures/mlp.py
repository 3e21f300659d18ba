"""MLPs for 2-D toy data (the ring and grid mixtures of VEEGAN / PacGAN)."""

import keras

from keras_lipschitz.architectures import conditioning as conditional
from keras_lipschitz.layers import RemoveReferenceBatch


def mlp_generator(latent_dim=2, data_dim=2, units=128, depth=3, num_classes=None, conditioning="projection",
                  virtual_batch_reference=0, num_generators=1, name="mlp_generator"):
    """`depth` ReLU layers of `units`, then a linear output of `data_dim`.

    Args:
        latent_dim: size of the latent vector z.
        data_dim: size of a sample.
        units: width of the hidden layers.
        depth: number of hidden layers.
        num_classes: None, or the number of classes of a conditional
            generator: it then takes `[z, labels]` and each hidden layer is
            followed by conditional batch normalization.
        conditioning: how labels enter (`architectures.conditioning`):
            `"projection"` (conditional BN), `"concat"` or `"auxiliary"` (a
            label embedding concatenated to z).
        virtual_batch_reference: R > 0: virtual batch normalization
            (Salimans et al. 2016) after each hidden layer, with a fixed
            reference batch of R latents (`PrependReferenceBatch`);
            unconditional generators only. 0: none.
        num_generators: k > 1: MAD-GAN's k generators, sharing every layer
            but the first (`layers.MultiGeneratorDense`: row r of a batch
            comes from generator `r % k`); unconditional only. 1: one.
        name: model name.

    Returns:
        A functional model mapping `(batch, latent_dim)` (and labels) to `(batch, data_dim)`.
    """
    z = keras.Input((latent_dim,), name="latents")
    labels = conditional.label_input(num_classes)
    x, bn_labels = conditional.generator_input(z, labels, num_classes, conditioning)
    x, normalization = conditional.generator_normalization(x, bn_labels, num_classes, virtual_batch_reference)
    normalized = bn_labels is not None or virtual_batch_reference
    for index in range(depth):
        # Conditional BN's per-class beta (VBN's beta) replaces the bias.
        x = conditional.first_dense(index, units, num_generators, num_classes, use_bias=not normalized)(x)
        if normalized:
            x = normalization(x)
        x = keras.layers.ReLU()(x)
    if virtual_batch_reference:
        x = RemoveReferenceBatch(virtual_batch_reference)(x)
    samples = keras.layers.Dense(data_dim)(x)
    return keras.Model(conditional.model_inputs(z, labels), samples, name=name)


def mlp_discriminator(
    data_dim=2, units=128, depth=3, spectral_normalization=False, num_classes=None, conditioning="projection",
    minibatch_kernels=0, name="mlp_discriminator"
):
    """`depth` LeakyReLU(0.2) layers of `units`, then one logit, no sigmoid.

    Args:
        data_dim: size of a sample.
        units: width of the hidden layers.
        depth: number of hidden layers.
        spectral_normalization: wrap every Dense in `SpectralNormalization`.
        num_classes: None, or the number of classes of a conditional
            discriminator.
        conditioning: `"projection"` (takes `[samples, labels]`, adds the
            class projection), `"concat"` (takes `[samples, labels]`, a label
            embedding concatenated to the samples) or `"auxiliary"` (takes
            samples, returns `[logits, class_logits]`).
        minibatch_kernels: B > 0 puts `MinibatchDiscrimination(B)` before
            the logit (Salimans et al. 2016); 0: none.
        name: model name.

    Returns:
        A functional model mapping `(batch, data_dim)` (and labels) to `(batch, 1)` (and class logits).
    """
    samples = keras.Input((data_dim,), name="samples")
    labels = conditional.discriminator_labels(num_classes, conditioning)
    x = conditional.discriminator_input(samples, labels, num_classes, conditioning)
    for _ in range(depth):
        x = conditional.maybe_spectral(keras.layers.Dense(units), spectral_normalization)(x)
        x = keras.layers.LeakyReLU(0.2)(x)
    logits = conditional.logit_head(x, labels, num_classes, spectral_normalization, conditioning, minibatch_kernels)
    return keras.Model(conditional.model_inputs(samples, labels), logits, name=name)
