"""Shared pieces of the conditional architectures: label inputs, conditional BN, projection heads."""

import keras

from keras_lipschitz.layers import ClassProjection
from keras_lipschitz.layers import ConditionalBatchNormalization
from keras_lipschitz.layers import SpectralNormalization


def maybe_spectral(layer, spectral_normalization):
    return SpectralNormalization(layer) if spectral_normalization else layer


def label_input(num_classes):
    """None for an unconditional model, else a `(batch,)` int32 labels input."""
    return None if num_classes is None else keras.Input((), dtype="int32", name="labels")


def model_inputs(main, labels):
    return main if labels is None else [main, labels]


def batch_normalization(x, labels, num_classes):
    """Batch normalization, conditional on the labels when there are any."""
    if labels is None:
        return keras.layers.BatchNormalization()(x)
    return ConditionalBatchNormalization(num_classes)([x, labels])


def logit_head(features, labels, num_classes, spectral_normalization):
    """`Dense(1)` on flat features, plus the class projection when conditional (Miyato & Koyama eq. 3)."""
    logits = maybe_spectral(keras.layers.Dense(1), spectral_normalization)(features)
    if labels is None:
        return logits
    projection = ClassProjection(num_classes, spectral_normalization=spectral_normalization)([features, labels])
    return keras.layers.Add()([logits, projection])
