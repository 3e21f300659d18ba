"""GAN trainers (`keras_lipschitz.trainers` once installed)."""

from keras_lipschitz.trainers import callbacks
from keras_lipschitz.trainers import checkpoint
from keras_lipschitz.trainers import non_finite
from keras_lipschitz.trainers import presets
from keras_lipschitz.trainers.gan import GAN
from keras_lipschitz.trainers.gan import PENALTIES

__all__ = ["GAN", "PENALTIES", "callbacks", "checkpoint", "non_finite", "presets"]
