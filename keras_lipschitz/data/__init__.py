"""Datasets: embedded 2-D mixtures and digits (no download), MNIST-style IDX files, tensorflow-datasets, image
folders.

Its modules load on first use: the embedded datasets and their batch stream need no TensorFlow.
"""

from keras_lipschitz import _lazy

_NAMES = {
    "DataSource": "source",
    "PositionedArrayBatches": "array_stream",
    "digits_arrays": "digits",
    "load": "sources",
    "load_idx_split": "idx",
    "read_idx": "idx",
    "mixture_means": "mixtures",
    "sample_mixture": "mixtures",
}

__all__ = list(_NAMES)

_MODULES = ("array_batches", "array_stream", "digits", "idx", "mixtures", "source", "sources", "tf_stream")

__getattr__ = _lazy.attribute_loader(__name__, _NAMES, modules=_MODULES)
