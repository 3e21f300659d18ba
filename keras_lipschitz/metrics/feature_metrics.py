"""FID, KID, Inception Score and k-NN precision/recall from features or logits.

FID, KID and IS are computed by TF-GAN's `classifier_metrics` functions
(through `keras_lipschitz._tfgan`); precision and recall by the k-NN
manifold estimate of Kynkaanniemi et al., written here in NumPy.
"""

import numpy as np
import tensorflow as tf

from keras_lipschitz import _tfgan


def _features(name, values):
    values = np.asarray(values, "float64")
    if values.ndim != 2 or len(values) < 2:
        raise ValueError(f"{name} must be a (n >= 2, features) array, got shape {values.shape}.")
    if not np.isfinite(values).all():
        raise ValueError(f"{name} holds NaN or inf: the generator or the feature extractor diverged.")
    return values


def frechet_distance(real_features, generated_features):
    """FID: `||mu_r - mu_g||^2 + Tr(C_r + C_g - 2 (C_r C_g)^(1/2))` of the two feature sets.

    Args:
        real_features, generated_features: arrays `(n, features)`.

    Returns:
        A float.

    Reference:
        Heusel et al., "GANs Trained by a Two Time-Scale Update Rule...", NeurIPS 2017, Section 4.
    """
    real = _features("real_features", real_features)
    generated = _features("generated_features", generated_features)
    metrics = _tfgan.classifier_metrics()
    with _tfgan.quiet():
        return float(metrics.frechet_classifier_distance_from_activations(tf.constant(real), tf.constant(generated)))


def kernel_distance(real_features, generated_features, max_block_size=1024):
    """KID: the unbiased MMD^2 with the cubic polynomial kernel, mean and std over blocks.

    Args:
        real_features, generated_features: arrays `(n, features)`.
        max_block_size: largest block of samples per MMD estimate (TF-GAN's blocks).

    Returns:
        `(kid, kid_std)` floats.

    Reference:
        Binkowski et al., "Demystifying MMD GANs", ICLR 2018, Section 4.
    """
    real = _features("real_features", real_features)
    generated = _features("generated_features", generated_features)
    metrics = _tfgan.classifier_metrics()
    with _tfgan.quiet():
        kid, std = metrics.kernel_classifier_distance_and_std_from_activations(
            tf.constant(real, tf.float32), tf.constant(generated, tf.float32), max_block_size=max_block_size
        )
    return float(kid), float(std)


def inception_score(logits):
    """IS: `exp(E_x KL(p(y|x) || p(y)))` from classifier logits.

    Args:
        logits: array `(n, classes)`.

    Returns:
        A float in [1, classes].

    Reference:
        Salimans et al., "Improved Techniques for Training GANs", NeurIPS 2016, Section 4.
    """
    logits = _features("logits", logits)
    with _tfgan.quiet():
        return float(_tfgan.classifier_metrics().classifier_score_from_logits(tf.constant(logits, tf.float32)))


def precision_recall(real_features, generated_features, k=3, batch_size=1000):
    """k-NN precision and recall of generated against real features.

    Precision: the fraction of generated samples inside the real manifold
    (within the distance from some real sample to its k-th nearest real
    neighbour); recall: the fraction of real samples inside the generated
    manifold.

    Args:
        real_features, generated_features: arrays `(n, features)`.
        k: neighbour rank defining each sample's radius (3 in the paper).
        batch_size: rows of the distance matrix computed at once.

    Returns:
        `(precision, recall)` floats in [0, 1].

    Reference:
        Kynkaanniemi et al., "Improved Precision and Recall Metric for
        Assessing Generative Models", NeurIPS 2019, eq. 1-3.
    """
    real = _features("real_features", real_features)
    generated = _features("generated_features", generated_features)
    if k >= min(len(real), len(generated)):
        raise ValueError(f"k={k} needs more than {k} real and generated samples.")
    return _coverage(real, generated, k, batch_size), _coverage(generated, real, k, batch_size)


def _coverage(manifold, queries, k, batch_size):
    """Fraction of `queries` within the k-NN radius of some point of `manifold`."""
    radii = np.concatenate([
        np.sort(_distances(manifold[start : start + batch_size], manifold), axis=1)[:, k]
        for start in range(0, len(manifold), batch_size)
    ])  # column 0 is the point itself
    inside = [
        (_distances(queries[start : start + batch_size], manifold) <= radii[None, :]).any(axis=1)
        for start in range(0, len(queries), batch_size)
    ]
    return float(np.concatenate(inside).mean())


def _distances(a, b):
    squared = (a * a).sum(1)[:, None] - 2.0 * a @ b.T + (b * b).sum(1)[None, :]
    return np.sqrt(np.maximum(squared, 0.0))
