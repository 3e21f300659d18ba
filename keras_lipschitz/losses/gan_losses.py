"""GAN objectives: the discriminator (critic) and generator sides of each.

Every loss takes the critic's raw outputs (logits, no sigmoid) on real and
generated samples and casts them to float32 whatever the compute dtype. A
critic with several logits per sample (a patch critic) has the loss applied
to each logit, and a sample's value is the mean over its logits (TF-GAN's
and pix2pix's convention). The result is the mean over the global batch
(`reduction="mean"`, distribution-aware) or per-sample values
(`reduction="none"`).
"""

import keras
from keras import ops

from keras_lipschitz import _reduction
from keras_lipschitz import _validation
from keras_lipschitz.layers.multi_generator_dense import generator_indices


class ConfigurableLoss:
    """`from_config` and `repr` from `get_config` (Keras' serialization convention for plain objects)."""

    def get_config(self):
        raise NotImplementedError

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        arguments = ", ".join(f"{key}={value!r}" for key, value in self.get_config().items())
        return f"{type(self).__name__}({arguments})"


class GANLoss(ConfigurableLoss):
    """Base class: a pair of discriminator and generator objectives.

    Subclasses implement `_discriminator_per_sample(real, fake)` and
    `_generator_per_sample(real, fake)` element-wise on float32 logits of
    shape `(batch, k)`.

    Args:
        reduction: `"mean"` (the mean over the global batch; under
            `tf.distribute` each replica returns its share so that replicas
            sum to the global mean) or `"none"` (per-sample values).
    """

    name = None
    # The critic's logits per sample this loss takes (MAD-GAN's: one per generator, and one for real data).
    scores_per_sample = 1

    def __init__(self, reduction="mean"):
        self.reduction = _reduction.check_reduction(reduction)

    def discriminator_loss(self, real_logits, fake_logits):
        """The discriminator's (critic's) loss, to be minimized."""
        real, fake = _check_pair(real_logits, fake_logits)
        values = self._discriminator_per_sample(real, fake)
        return _reduction.reduce_per_sample(ops.mean(values, axis=1), self.reduction)

    def generator_loss(self, fake_logits, real_logits=None):
        """The generator's loss, to be minimized.

        `real_logits` is needed only by relativistic losses.
        """
        if real_logits is None:
            fake = _reduction.per_logit(fake_logits, "fake_logits")
            real = None
        else:
            real, fake = _check_pair(real_logits, fake_logits)
        values = self._generator_per_sample(real, fake)
        return _reduction.reduce_per_sample(ops.mean(values, axis=1), self.reduction)

    def _discriminator_per_sample(self, real, fake):
        raise NotImplementedError

    def _generator_per_sample(self, real, fake):
        raise NotImplementedError

    def get_config(self):
        return {"reduction": self.reduction}


def _check_pair(real_logits, fake_logits):
    real = _reduction.per_logit(real_logits, "real_logits")
    fake = _reduction.per_logit(fake_logits, "fake_logits")
    if real.shape[0] is not None and fake.shape[0] is not None and real.shape[0] != fake.shape[0]:
        raise ValueError(
            "real_logits and fake_logits must have the same batch size (one "
            f"score per sample); got {real.shape[0]} and {fake.shape[0]}. "
            "Score equally many real and generated samples."
        )
    return real, fake


def _softplus(x):
    # -log(sigmoid(x)) = softplus(-x); stable for large |x|.
    return ops.softplus(x)


@keras.saving.register_keras_serializable(package="keras_lipschitz")
class MinimaxLoss(GANLoss):
    """The original GAN objective (Goodfellow et al. 2014, eq. 1).

    Discriminator: `-log D(x) - log(1 - D(G(z)))` with `D = sigmoid(logits)`,
    optionally with one-sided label smoothing (real labels `1 - smoothing`,
    Salimans et al. 2016). Generator: `log(1 - D(G(z)))`, which saturates
    when the discriminator wins; `NonSaturatingLoss` is the usual fix.

    Args:
        label_smoothing: float in [0, 1), subtracted from the real label.
        reduction: `"mean"` or `"none"`.

    Returns:
        `discriminator_loss(real_logits, fake_logits)` and
        `generator_loss(fake_logits, real_logits=None)` return a float32
        scalar (`"mean"`) or per-sample values (`"none"`).

    Example:

    ```python
    from keras_lipschitz.losses import MinimaxLoss

    loss = MinimaxLoss(label_smoothing=0.1)
    print(float(loss.discriminator_loss([2.0, 1.0], [-1.0, 0.5])))
    ```

    Reference:
        Goodfellow et al. "Generative Adversarial Nets", NeurIPS 2014, eq. 1;
        Salimans et al. "Improved Techniques for Training GANs", 2016, sec. 3.4.
    """

    name = "minimax"

    def __init__(self, label_smoothing=0.0, reduction="mean"):
        super().__init__(reduction)
        if not 0.0 <= float(label_smoothing) < 1.0:
            raise ValueError(
                f"label_smoothing must be in [0, 1), got {label_smoothing!r} "
                "(0.1 is a common choice)."
            )
        self.label_smoothing = float(label_smoothing)

    def _discriminator_per_sample(self, real, fake):
        target = 1.0 - self.label_smoothing
        # Binary cross-entropy with logits: t * softplus(-x) + (1-t) * softplus(x).
        on_real = target * _softplus(-real) + (1.0 - target) * _softplus(real)
        on_fake = _softplus(fake)
        return on_real + on_fake

    def _generator_per_sample(self, real, fake):
        return -_softplus(fake)  # log(1 - sigmoid(fake))

    def get_config(self):
        return {**super().get_config(), "label_smoothing": self.label_smoothing}


@keras.saving.register_keras_serializable(package="keras_lipschitz")
class NonSaturatingLoss(MinimaxLoss):
    """Minimax discriminator; the generator maximizes `log D(G(z))`.

    The "-log D trick" of Goodfellow et al. (2014, sec. 3): same fixed point,
    strong gradients early in training.

    Args:
        label_smoothing: float in [0, 1), one-sided, for the discriminator.
        reduction: `"mean"` or `"none"`.

    Returns:
        `discriminator_loss(real_logits, fake_logits)` and
        `generator_loss(fake_logits, real_logits=None)` return a float32
        scalar (`"mean"`) or per-sample values (`"none"`).

    Example:

    ```python
    from keras_lipschitz.losses import NonSaturatingLoss

    print(float(NonSaturatingLoss().generator_loss([-3.0, 0.0])))
    ```

    Reference:
        Goodfellow et al. "Generative Adversarial Nets", NeurIPS 2014, sec. 3.
    """

    name = "non_saturating"

    def _generator_per_sample(self, real, fake):
        return _softplus(-fake)  # -log(sigmoid(fake))


@keras.saving.register_keras_serializable(package="keras_lipschitz")
class WassersteinLoss(GANLoss):
    """The WGAN critic and generator objectives (no sigmoid).

    Critic: `D(G(z)) - D(x)` (its negative estimates the Wasserstein-1
    distance when the critic is 1-Lipschitz). Generator: `-D(G(z))`.

    Args:
        reduction: `"mean"` or `"none"`.

    Returns:
        `discriminator_loss(real_logits, fake_logits)` and
        `generator_loss(fake_logits, real_logits=None)` return a float32
        scalar (`"mean"`) or per-sample values (`"none"`).

    Example:

    ```python
    from keras_lipschitz.losses import WassersteinLoss

    print(float(WassersteinLoss().discriminator_loss([1.0, 2.0], [0.0, -1.0])))
    ```

    Reference:
        Arjovsky, Chintala, Bottou. "Wasserstein GAN", ICML 2017, Algorithm 1.
    """

    name = "wasserstein"

    def _discriminator_per_sample(self, real, fake):
        return fake - real

    def _generator_per_sample(self, real, fake):
        return -fake


@keras.saving.register_keras_serializable(package="keras_lipschitz")
class HingeLoss(GANLoss):
    """The hinge objective of SNGAN / SAGAN / BigGAN.

    Discriminator: `relu(1 - D(x)) + relu(1 + D(G(z)))`. Generator: `-D(G(z))`.

    Args:
        reduction: `"mean"` or `"none"`.

    Returns:
        `discriminator_loss(real_logits, fake_logits)` and
        `generator_loss(fake_logits, real_logits=None)` return a float32
        scalar (`"mean"`) or per-sample values (`"none"`).

    Example:

    ```python
    from keras_lipschitz.losses import HingeLoss

    print(float(HingeLoss().discriminator_loss([1.5, 0.2], [-2.0, 0.3])))
    ```

    Reference:
        Lim & Ye, "Geometric GAN", 2017; Miyato et al., ICLR 2018, eq. 17.
    """

    name = "hinge"

    def _discriminator_per_sample(self, real, fake):
        return ops.relu(1.0 - real) + ops.relu(1.0 + fake)

    def _generator_per_sample(self, real, fake):
        return -fake


@keras.saving.register_keras_serializable(package="keras_lipschitz")
class LeastSquaresLoss(GANLoss):
    """The LSGAN objective.

    Discriminator: `((D(x) - b)^2 + (D(G(z)) - a)^2) / 2`. Generator:
    `(D(G(z)) - c)^2 / 2`, with `a = fake_label`, `b = c = real_label`.

    Args:
        real_label: float, `b` and `c` (1 by default).
        fake_label: float, `a` (0 by default).
        reduction: `"mean"` or `"none"`.

    Returns:
        `discriminator_loss(real_logits, fake_logits)` and
        `generator_loss(fake_logits, real_logits=None)` return a float32
        scalar (`"mean"`) or per-sample values (`"none"`).

    Example:

    ```python
    from keras_lipschitz.losses import LeastSquaresLoss

    print(float(LeastSquaresLoss().generator_loss([0.0, 1.0])))
    ```

    Reference:
        Mao et al. "Least Squares Generative Adversarial Networks", ICCV
        2017, eq. 2 and 9.
    """

    name = "least_squares"

    def __init__(self, real_label=1.0, fake_label=0.0, reduction="mean"):
        super().__init__(reduction)
        self.real_label = float(real_label)
        self.fake_label = float(fake_label)

    def _discriminator_per_sample(self, real, fake):
        return 0.5 * (ops.square(real - self.real_label) + ops.square(fake - self.fake_label))

    def _generator_per_sample(self, real, fake):
        return 0.5 * ops.square(fake - self.real_label)

    def get_config(self):
        return {
            **super().get_config(),
            "real_label": self.real_label,
            "fake_label": self.fake_label,
        }


@keras.saving.register_keras_serializable(package="keras_lipschitz")
class RelativisticAverageLoss(GANLoss):
    """The relativistic average GAN (RaSGAN) objective.

    With `D_ra(x, y) = sigmoid(C(x) - mean C(y))`: discriminator
    `-log D_ra(x_r, x_f) - log(1 - D_ra(x_f, x_r))`, generator the same with
    real and fake swapped. Both sides need real and generated logits. The
    batch means are taken over the local (per-replica) batch.

    Args:
        reduction: `"mean"` or `"none"`.

    Returns:
        `discriminator_loss(real_logits, fake_logits)` and
        `generator_loss(fake_logits, real_logits=None)` return a float32
        scalar (`"mean"`) or per-sample values (`"none"`).

    Example:

    ```python
    from keras_lipschitz.losses import RelativisticAverageLoss

    loss = RelativisticAverageLoss()
    print(float(loss.generator_loss([0.5, -0.5], real_logits=[2.0, 1.0])))
    ```

    Reference:
        Jolicoeur-Martineau, "The relativistic discriminator: a key element
        missing from standard GAN", ICLR 2019, eq. 11-12 (RaSGAN).
    """

    name = "relativistic_average"

    def generator_loss(self, fake_logits, real_logits=None):
        if real_logits is None:
            raise ValueError(
                "RelativisticAverageLoss.generator_loss needs real_logits too: "
                "the generator's objective compares generated with real scores."
            )
        return super().generator_loss(fake_logits, real_logits)

    def _discriminator_per_sample(self, real, fake):
        real_vs_fake = real - ops.mean(fake)
        fake_vs_real = fake - ops.mean(real)
        return _softplus(-real_vs_fake) + _softplus(fake_vs_real)

    def _generator_per_sample(self, real, fake):
        return self._discriminator_per_sample(fake, real)


@keras.saving.register_keras_serializable(package="keras_lipschitz")
class EnergyMarginLoss(GANLoss):
    """EBGAN's margin objective on energies (the critic's outputs are energies, low on real data).

    Discriminator: `D(x) + relu(margin - D(G(z)))`. Generator: `D(G(z))`. With
    an autoencoder critic the energy is the reconstruction error
    (`architectures.autoencoder_discriminator`).

    Args:
        margin: m > 0: generated samples whose energy is above it no longer
            push the critic.
        reduction: `"mean"` or `"none"`.

    Returns:
        `discriminator_loss(real_energies, fake_energies)` and
        `generator_loss(fake_energies)` return a float32 scalar (`"mean"`)
        or per-sample values (`"none"`).

    Example:

    ```python
    from keras_lipschitz.losses import EnergyMarginLoss

    # (0.5 + max(0, 1 - 0.25)) and (0.25 + max(0, 1 - 3)), averaged: 0.75.
    print(float(EnergyMarginLoss(margin=1.0).discriminator_loss([0.5, 0.25], [0.25, 3.0])))
    ```

    Reference:
        Zhao, Mathieu, LeCun, "Energy-based Generative Adversarial Network",
        ICLR 2017, eq. 1-2.
    """

    name = "energy_margin"

    def __init__(self, margin=1.0, reduction="mean"):
        super().__init__(reduction)
        self.margin = _validation.check_finite_number("margin", margin, positive=True, owner="EnergyMarginLoss")

    def _discriminator_per_sample(self, real, fake):
        return real + ops.relu(self.margin - fake)

    def _generator_per_sample(self, real, fake):
        return fake

    def get_config(self):
        return {**super().get_config(), "margin": self.margin}


@keras.saving.register_keras_serializable(package="keras_lipschitz")
class MultiGeneratorLoss(GANLoss):
    """MAD-GAN's objective: a critic with k + 1 logits tells which of k generators made a sample, or that it is real.

    Discriminator: the cross-entropy of `softmax(D(x))` with class k (real)
    plus that of `softmax(D(G(z)_r))` with class `r % k`, the generator that
    made row r (`layers.generator_indices`). Generator: `-log softmax(D(G(z)))_k`,
    each generator's samples pushed towards the real class (the
    non-saturating form of eq. 2). Class k is the last logit.

    Args:
        num_generators: k (the critic returns k + 1 logits per sample).
        reduction: `"mean"` or `"none"`.

    Returns:
        `discriminator_loss(real_logits, fake_logits)` and
        `generator_loss(fake_logits)`: a float32 scalar (`"mean"`) or
        per-sample values (`"none"`).

    Example:

    ```python
    import numpy as np
    from keras_lipschitz.losses import MultiGeneratorLoss

    uniform = np.zeros((4, 3), "float32")  # k = 2: every class at 1/3
    print(float(MultiGeneratorLoss(num_generators=2).discriminator_loss(uniform, uniform)))  # 2 log 3 = 2.197
    ```

    Reference:
        Ghosh, Kulharia, Namboodiri, Torr, Dokania, CVPR 2018, eq. 1-2.
    """

    name = "multi_generator"

    def __init__(self, num_generators=4, reduction="mean"):
        super().__init__(reduction)
        self.num_generators = _validation.check_positive_integer("num_generators", num_generators,
                                                                 owner="MultiGeneratorLoss")
        self.scores_per_sample = self.num_generators + 1

    def discriminator_loss(self, real_logits, fake_logits):
        real, fake = _check_pair(real_logits, fake_logits)
        real_term = -ops.log_softmax(real, axis=-1)[:, self.num_generators]
        sources = ops.one_hot(generator_indices(ops.shape(fake)[0], self.num_generators), self.scores_per_sample)
        fake_term = -ops.sum(sources * ops.log_softmax(fake, axis=-1), axis=-1)
        return _reduction.reduce_per_sample(real_term + fake_term, self.reduction)

    def generator_loss(self, fake_logits, real_logits=None):
        fake = _reduction.per_logit(fake_logits, "fake_logits")
        return _reduction.reduce_per_sample(-ops.log_softmax(fake, axis=-1)[:, self.num_generators], self.reduction)

    def get_config(self):
        return {**super().get_config(), "num_generators": self.num_generators}


_BY_NAME = {
    cls.name: cls
    for cls in (
        MinimaxLoss,
        NonSaturatingLoss,
        WassersteinLoss,
        HingeLoss,
        LeastSquaresLoss,
        RelativisticAverageLoss,
        EnergyMarginLoss,
        MultiGeneratorLoss,
    )
}
NAMES = tuple(_BY_NAME)


def get(identifier):
    """A `GANLoss` from a name, a serialized config, or a `GANLoss`.

    Args:
        identifier: one of `NAMES` (`"hinge"`, `"wasserstein"`, ...), a dict
            from `serialize`, or a `GANLoss` instance (returned as is).

    Returns:
        A `GANLoss`.

    Example:

    ```python
    from keras_lipschitz import losses

    loss = losses.get("hinge")
    assert losses.get(losses.serialize(loss)).get_config() == loss.get_config()
    ```
    """
    if isinstance(identifier, GANLoss):
        return identifier
    if isinstance(identifier, str):
        if identifier not in _BY_NAME:
            raise ValueError(
                f"Unknown GAN loss {identifier!r}. Known losses: {', '.join(NAMES)}."
            )
        return _BY_NAME[identifier]()
    if isinstance(identifier, dict):
        loss = keras.saving.deserialize_keras_object(identifier)
        if not isinstance(loss, GANLoss):
            raise ValueError(f"{identifier!r} does not describe a GAN loss.")
        return loss
    raise ValueError(
        "A GAN loss is given by name, serialized config or GANLoss instance; "
        f"got {type(identifier).__name__}: {identifier!r}."
    )


def serialize(loss):
    """The JSON-compatible config of a `GANLoss`, for `get`."""
    return keras.saving.serialize_keras_object(get(loss))

