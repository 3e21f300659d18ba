"""Datasets: embedded 2-D mixtures and digits (no download), tensorflow-datasets, image folders.

Its modules load on first use: the mixtures' definitions need no TensorFlow.
"""

from keras_lipschitz import _lazy

_NAMES = {
    "DataSource": "sources",
    "digits_arrays": "digits",
    "load": "sources",
    "mixture_means": "mixtures",
    "sample_mixture": "mixtures",
}

__all__ = list(_NAMES)

__getattr__ = _lazy.attribute_loader(__name__, _NAMES, modules=("array_batches", "digits", "mixtures", "sources"))
