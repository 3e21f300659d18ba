"""Shared pieces of the conditional architectures: label inputs, conditional BN, projection, concatenation and
auxiliary-classifier heads.

How a model uses the labels (`conditioning`):

* `"projection"`: conditional batch normalization in G, a projection
  discriminator (Miyato & Koyama 2018); the SNGAN, SAGAN and BigGAN way.
* `"concat"`: a label embedding concatenated to G's latents and to D's input
  (an extra channel for images): the conditional GAN of Mirza & Osindero
  (2014).
* `"auxiliary"`: G as for `"concat"`; D takes samples only and has a second
  head of class logits (AC-GAN, Odena et al. 2017).
"""

import keras

from keras_lipschitz.layers import ClassProjection
from keras_lipschitz.layers import ConditionalBatchNormalization
from keras_lipschitz.layers import MinibatchDiscrimination
from keras_lipschitz.layers import MultiGeneratorDense
from keras_lipschitz.layers import PrependReferenceBatch
from keras_lipschitz.layers import VirtualBatchNormalization
from keras_lipschitz.layers import SpectralNormalization

CONDITIONINGS = ("projection", "concat", "auxiliary")
# C, the size of each minibatch-discrimination row (5 in Salimans et al.'s code).
MINIBATCH_KERNEL_DIM = 5


def check_conditioning(conditioning):
    if conditioning not in CONDITIONINGS:
        raise ValueError(f"Unknown conditioning {conditioning!r}; use one of {', '.join(CONDITIONINGS)}.")
    return conditioning


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


def first_dense(index, units, num_generators, num_classes, **options):
    """The generator's `index`-th dense layer: for the first (index 0) of k > 1 generators, MAD-GAN's
    `MultiGeneratorDense` (one kernel per generator); otherwise `keras.layers.Dense`."""
    if index > 0 or num_generators == 1:
        return keras.layers.Dense(units, **options)
    if num_classes is not None:
        raise ValueError("num_generators > 1 (MAD-GAN) applies to unconditional generators.")
    options.pop("use_bias", None)  # each generator has its own bias
    return MultiGeneratorDense(num_generators, units, **options)


def generator_normalization(x, bn_labels, num_classes, virtual_batch_reference=0):
    """`(x, normalize)`: the generator's normalization layer maker, batch normalization (conditional with labels)
    or, with `virtual_batch_reference` R > 0, virtual batch normalization, for which `x` gains the R rows of
    a fixed reference batch in front (remove them with `RemoveReferenceBatch(R)` before the output)."""
    if not virtual_batch_reference:
        return x, lambda features: batch_normalization(features, bn_labels, num_classes)
    if num_classes is not None:
        raise ValueError("virtual_batch_reference applies to unconditional generators (the reference batch has no "
                         "labels).")
    x = PrependReferenceBatch(virtual_batch_reference)(x)
    return x, lambda features: VirtualBatchNormalization(virtual_batch_reference)(features)


def generator_input(z, labels, num_classes, conditioning):
    """G's first tensor and the labels its batch normalizations take.

    Returns:
        `(x, bn_labels)`: for `"concat"` and `"auxiliary"` z with a label
        embedding (one value per class, as a learned one-hot) concatenated
        and no labels for the batch normalizations; otherwise z and the
        labels (conditional BN when not None).
    """
    if labels is None or check_conditioning(conditioning) == "projection":
        return z, labels
    embedded = keras.layers.Embedding(num_classes, num_classes, name="label_embedding")(labels)
    return keras.layers.Concatenate()([z, embedded]), None


def discriminator_labels(num_classes, conditioning):
    """D's labels input: None when unconditional or when D predicts the labels (AC-GAN)."""
    if num_classes is None or check_conditioning(conditioning) == "auxiliary":
        return None
    return label_input(num_classes)


def discriminator_input(samples, labels, num_classes, conditioning):
    """D's first tensor: the samples, with the label embedded and concatenated for `"concat"`.

    Images get one extra channel (the embedding of the label as an h x w
    map), flat samples `num_classes` extra values.
    """
    if labels is None or conditioning != "concat":
        return samples
    shape = tuple(samples.shape[1:])
    size = 1
    for dimension in shape[:-1]:
        size *= dimension
    width = size if len(shape) > 1 else num_classes
    embedded = keras.layers.Embedding(num_classes, width, name="label_embedding")(labels)
    if len(shape) > 1:
        embedded = keras.layers.Reshape(shape[:-1] + (1,))(embedded)
    return keras.layers.Concatenate()([samples, embedded])


def logit_head(features, labels, num_classes, spectral_normalization, conditioning="projection", minibatch_kernels=0):
    """`Dense(1)` on flat features; plus the class projection (Miyato & Koyama eq. 3) for `"projection"`,
    or a second output of class logits for `"auxiliary"` (then a list `[logits, class_logits]`).
    With `minibatch_kernels` > 0 the features first gain that many `MinibatchDiscrimination` features."""
    if minibatch_kernels:
        features = MinibatchDiscrimination(minibatch_kernels, MINIBATCH_KERNEL_DIM)(features)
    logits = maybe_spectral(keras.layers.Dense(1), spectral_normalization)(features)
    if num_classes is not None and conditioning == "auxiliary":
        class_logits = maybe_spectral(keras.layers.Dense(num_classes, name="class_logits"),
                                      spectral_normalization)(features)
        return [logits, class_logits]
    if labels is None or conditioning == "concat":
        return logits
    projection = ClassProjection(num_classes, spectral_normalization=spectral_normalization)([features, labels])
    return keras.layers.Add()([logits, projection])
