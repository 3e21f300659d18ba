"""Evaluation: mixture mode coverage, FID / KID / IS / precision-recall, feature extractors."""

from keras_lipschitz.metrics.feature_extractors import DigitsClassifier
from keras_lipschitz.metrics.feature_extractors import InceptionFeatures
from keras_lipschitz.metrics.feature_metrics import frechet_distance
from keras_lipschitz.metrics.feature_metrics import inception_score
from keras_lipschitz.metrics.feature_metrics import kernel_distance
from keras_lipschitz.metrics.feature_metrics import precision_recall
from keras_lipschitz.metrics.mixture_metrics import class_coverage
from keras_lipschitz.metrics.mixture_metrics import mixture_quality

__all__ = [
    "DigitsClassifier",
    "InceptionFeatures",
    "class_coverage",
    "frechet_distance",
    "inception_score",
    "kernel_distance",
    "mixture_quality",
    "precision_recall",
]
