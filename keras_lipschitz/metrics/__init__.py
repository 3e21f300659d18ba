"""Evaluation: mixture mode coverage, FID / KID / IS / precision-recall / density-coverage, feature extractors,
the critic's membership AUC (overfitting)."""

from keras_lipschitz.metrics.critic_overfitting import membership_auc
from keras_lipschitz.metrics.feature_extractors import DatasetClassifier
from keras_lipschitz.metrics.feature_extractors import DigitsClassifier
from keras_lipschitz.metrics.feature_extractors import classification_accuracy_score
from keras_lipschitz.metrics.feature_extractors import InceptionFeatures
from keras_lipschitz.metrics.feature_metrics import density_coverage
from keras_lipschitz.metrics.feature_metrics import frechet_distance
from keras_lipschitz.metrics.feature_metrics import inception_score
from keras_lipschitz.metrics.feature_metrics import intra_class_frechet_distance
from keras_lipschitz.metrics.feature_metrics import kernel_distance
from keras_lipschitz.metrics.feature_metrics import precision_recall
from keras_lipschitz.metrics.mixture_metrics import class_coverage
from keras_lipschitz.metrics.mixture_metrics import mixture_quality

__all__ = [
    "DatasetClassifier",
    "DigitsClassifier",
    "InceptionFeatures",
    "class_coverage",
    "classification_accuracy_score",
    "density_coverage",
    "frechet_distance",
    "inception_score",
    "intra_class_frechet_distance",
    "kernel_distance",
    "membership_auc",
    "mixture_quality",
    "precision_recall",
]
