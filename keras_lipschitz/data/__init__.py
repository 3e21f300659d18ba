"""Datasets: embedded 2-D mixtures and digits (no download), tensorflow-datasets, image folders."""

from keras_lipschitz.data.mixtures import mixture_means
from keras_lipschitz.data.mixtures import sample_mixture
from keras_lipschitz.data.sources import DataSource
from keras_lipschitz.data.sources import digits_arrays
from keras_lipschitz.data.sources import load

__all__ = ["DataSource", "digits_arrays", "load", "mixture_means", "sample_mixture"]
