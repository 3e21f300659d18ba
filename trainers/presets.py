"""The papers' recipes as `GAN.compile` arguments.

Each function returns a dict to pass as `gan.compile(**preset)`; the
architecture stays the caller's (`keras_lipschitz.architectures`). The
batch that `fit` delivers is split into `d_steps` critic batches.
"""

import keras

from keras_lipschitz.constraints import ClipConstraint


def gan():
    """The standard GAN: non-saturating loss, Adam(2e-4, 0.5, 0.999), 1 critic step, no constraint.

    Reference: Goodfellow et al., NeurIPS 2014 (non-saturating generator
    loss, Section 3); Radford et al., ICLR 2016 (DCGAN's Adam settings).
    """
    return dict(
        d_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
        g_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
        loss="non_saturating",
        penalty=None,
        d_steps=1,
    )


def wgan():
    """WGAN: Wasserstein loss, RMSprop(5e-5), 5 critic steps, weight clipping.

    Clip the critic with `apply_weight_clipping(critic, 0.01)`.

    Reference: Arjovsky et al., ICML 2017, Algorithm 1.
    """
    return dict(
        d_optimizer=keras.optimizers.RMSprop(5e-5),
        g_optimizer=keras.optimizers.RMSprop(5e-5),
        loss="wasserstein",
        penalty=None,
        d_steps=5,
    )


def wgan_gp():
    """WGAN-GP: Wasserstein loss, gradient penalty lambda = 10, Adam(1e-4, 0, 0.9), 5 critic steps.

    Reference: Gulrajani et al., NeurIPS 2017, Algorithm 1.
    """
    return dict(
        d_optimizer=keras.optimizers.Adam(1e-4, beta_1=0.0, beta_2=0.9),
        g_optimizer=keras.optimizers.Adam(1e-4, beta_1=0.0, beta_2=0.9),
        loss="wasserstein",
        penalty="gradient_penalty",
        penalty_weight=10.0,
        d_steps=5,
    )


def sngan():
    """SNGAN: hinge loss, Adam(2e-4, 0, 0.9), 1 critic step; SN in the critic.

    Build the critic with `spectral_normalization=True`.

    Reference: Miyato et al., ICLR 2018, sec. 4 and Table 1 (setting C).
    """
    return dict(
        d_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.0, beta_2=0.9),
        g_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.0, beta_2=0.9),
        loss="hinge",
        penalty=None,
        d_steps=1,
    )


def sagan_ttur():
    """SAGAN's TTUR: hinge loss, Adam(beta 0, 0.9), D at 4e-4 and G at 1e-4.

    Reference: Zhang et al., ICML 2019, sec. 5; Heusel et al., NeurIPS 2017.
    """
    return dict(
        d_optimizer=keras.optimizers.Adam(4e-4, beta_1=0.0, beta_2=0.9),
        g_optimizer=keras.optimizers.Adam(1e-4, beta_1=0.0, beta_2=0.9),
        loss="hinge",
        penalty=None,
        d_steps=1,
    )


def apply_weight_clipping(critic, clip_value=0.01):
    """Gives every trainable weight of `critic` a `ClipConstraint(clip_value)`.

    Returns:
        The number of weights constrained.
    """
    for variable in critic.trainable_variables:
        variable.constraint = ClipConstraint(clip_value)
    return len(critic.trainable_variables)
