"""Generator export (`keras_lipschitz.export` once installed): SN folded away, SavedModel and TFLite.

Its modules load on first use, so `keras-lipschitz-export --help` imports no TensorFlow.
"""

import importlib

_NAMES = {
    "FORMATS": "exporter",
    "QUANTIZATIONS": "exporter",
    "TOLERANCES": "exporter",
    "export_generator": "exporter",
    "run_tflite": "exporter",
    "fold_spectral_normalization": "folding",
}

__all__ = list(_NAMES)


def __getattr__(name):
    if name in _NAMES:
        return getattr(importlib.import_module(f"{__name__}.{_NAMES[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
