"""GAN trainers (`keras_lipschitz.trainers` once installed).

Its modules load on first use, so `keras-lipschitz-train --help` imports no TensorFlow.
"""

import importlib

_MODULES = ("callbacks", "checkpoint", "evaluation", "non_finite", "periodic", "presets", "step_log", "train")
_NAMES = {"GAN": "gan", "PENALTIES": "gan"}

__all__ = ["GAN", "PENALTIES", "callbacks", "checkpoint", "non_finite", "presets", "step_log"]


def __getattr__(name):
    if name in _MODULES:
        return importlib.import_module(f"{__name__}.{name}")
    if name in _NAMES:
        return getattr(importlib.import_module(f"{__name__}.{_NAMES[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
