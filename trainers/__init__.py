"""GAN trainers (`keras_lipschitz.trainers` once installed).

Its modules load on first use, so `keras-lipschitz-train --help` imports no TensorFlow.
"""

from keras_lipschitz import _lazy

_MODULES = ("callbacks", "checkpoint", "evaluation", "non_finite", "periodic", "presets", "step_log", "train",
            "unrolling")
_NAMES = {"GAN": "gan", "PENALTIES": "gan", "GrowthSchedule": "growth", "ProgressiveGAN": "progressive_gan",
          "ModeRegularizedGAN": "mode_regularized_gan"}

__all__ = ["GAN", "PENALTIES", "GrowthSchedule", "ModeRegularizedGAN", "ProgressiveGAN", "callbacks", "checkpoint", "non_finite", "presets", "step_log"]

__getattr__ = _lazy.attribute_loader(__name__, _NAMES, modules=_MODULES)
