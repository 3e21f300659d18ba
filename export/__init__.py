"""Generator export (`keras_lipschitz.export` once installed): SN folded away, SavedModel and TFLite."""

from keras_lipschitz.export.exporter import FORMATS
from keras_lipschitz.export.exporter import QUANTIZATIONS
from keras_lipschitz.export.exporter import TOLERANCES
from keras_lipschitz.export.exporter import export_generator
from keras_lipschitz.export.exporter import run_tflite
from keras_lipschitz.export.folding import fold_spectral_normalization

__all__ = ["FORMATS", "QUANTIZATIONS", "TOLERANCES", "export_generator", "fold_spectral_normalization", "run_tflite"]
