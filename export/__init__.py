"""Generator export (`keras_lipschitz.export` once installed): SN folded away, SavedModel and TFLite.

Its modules load on first use, so `keras-lipschitz-export --help` imports no TensorFlow.
"""

from keras_lipschitz import _lazy

_NAMES = {
    "FORMATS": "exporter",
    "QUANTIZATIONS": "exporter",
    "TOLERANCES": "exporter",
    "export_generator": "exporter",
    "run_tflite": "exporter",
    "fold_spectral_normalization": "folding",
}

__all__ = list(_NAMES)

__getattr__ = _lazy.attribute_loader(__name__, _NAMES)
