"""The papers' recipes as `GAN.compile` arguments.

Each function returns a dict to pass as `gan.compile(**preset)`: the
compile settings of the recipe of that name in `keras_lipschitz.recipes`,
as its paper gives them (no per-data settings); the architecture stays the
caller's (`keras_lipschitz.architectures`). The batch that `fit` delivers is
split into `d_steps` critic batches.
"""

from keras_lipschitz import recipes
from keras_lipschitz.recipes import build

# WGAN's weight clipping, kept here for the callers of `presets.apply_weight_clipping`.
apply_weight_clipping = build.apply_weight_clipping


def _preset(name):
    return build.compile_arguments(recipes.get(name).settings())


def gan():
    """The standard GAN: non-saturating loss, Adam(2e-4, 0.5, 0.999), 1 critic step, no constraint.

    Reference: Goodfellow et al., NeurIPS 2014 (non-saturating generator
    loss, Section 3); Radford et al., ICLR 2016 (DCGAN's Adam settings).
    """
    return _preset("gan")


def wgan():
    """WGAN: Wasserstein loss, RMSprop(5e-5), 5 critic steps, weight clipping.

    Clip the critic with `apply_weight_clipping(critic, 0.01)`.

    Reference: Arjovsky et al., ICML 2017, Algorithm 1.
    """
    return _preset("wgan")


def wgan_gp():
    """WGAN-GP: Wasserstein loss, gradient penalty lambda = 10, Adam(1e-4, 0, 0.9), 5 critic steps.

    Reference: Gulrajani et al., NeurIPS 2017, Algorithm 1.
    """
    return _preset("wgan_gp")


def sngan():
    """SNGAN: hinge loss, Adam(2e-4, 0, 0.9), 1 critic step; SN in the critic.

    Build the critic with `spectral_normalization=True`.

    Reference: Miyato et al., ICLR 2018, sec. 4 and Table 1 (setting C).
    """
    return _preset("sngan")


def sagan_ttur():
    """SAGAN's TTUR: hinge loss, Adam(beta 0, 0.9), D at 4e-4 and G at 1e-4.

    Reference: Zhang et al., ICML 2019, sec. 5; Heusel et al., NeurIPS 2017.
    """
    return _preset("sagan")


def biggan():
    """BigGAN: hinge loss, Adam(beta 0, 0.999), D at 2e-4 and G at 5e-5, 2 critic steps.

    Build G with `architectures.biggan_generator` (its orthogonal
    regularization is part of `generator.losses`, which the trainer adds).

    Reference: Brock et al., ICLR 2019, Appendix C.
    """
    return _preset("biggan")
