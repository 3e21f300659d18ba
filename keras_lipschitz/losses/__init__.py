"""GAN losses: discriminator and generator objectives, selectable by name."""

from keras_lipschitz.losses.auxiliary_classifier import AuxiliaryClassifierLoss
from keras_lipschitz.losses.gan_losses import NAMES
from keras_lipschitz.losses.gan_losses import EnergyMarginLoss
from keras_lipschitz.losses.gan_losses import GANLoss
from keras_lipschitz.losses.gan_losses import HingeLoss
from keras_lipschitz.losses.gan_losses import LeastSquaresLoss
from keras_lipschitz.losses.gan_losses import MinimaxLoss
from keras_lipschitz.losses.gan_losses import MultiGeneratorLoss
from keras_lipschitz.losses.gan_losses import NonSaturatingLoss
from keras_lipschitz.losses.gan_losses import RelativisticAverageLoss
from keras_lipschitz.losses.gan_losses import WassersteinLoss
from keras_lipschitz.losses.gan_losses import get
from keras_lipschitz.losses.gan_losses import serialize

__all__ = [
    "AuxiliaryClassifierLoss",
    "NAMES",
    "EnergyMarginLoss",
    "GANLoss",
    "HingeLoss",
    "LeastSquaresLoss",
    "MinimaxLoss",
    "MultiGeneratorLoss",
    "NonSaturatingLoss",
    "RelativisticAverageLoss",
    "WassersteinLoss",
    "get",
    "serialize",
]
