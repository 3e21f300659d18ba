"""FID, KID, Inception Score and k-NN precision/recall from features or logits, in NumPy (float64).

No TensorFlow: the evaluation runs on every Keras backend. The tests check
FID, KID and IS against TF-GAN's `classifier_metrics`, which splits KID's
samples into blocks the same way.
"""

import math

import numpy as np


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
    covariance_real = np.cov(real, rowvar=False)
    covariance_generated = np.cov(generated, rowvar=False)
    # Tr (C_r C_g)^(1/2) from the symmetric C_r^(1/2) C_g C_r^(1/2), which has the same eigenvalues.
    root = _symmetric_square_root(covariance_real)
    eigenvalues = np.linalg.eigvalsh(root @ covariance_generated @ root)
    trace_root = np.sqrt(np.maximum(eigenvalues, 0.0)).sum()
    mean_difference = real.mean(0) - generated.mean(0)
    return float(mean_difference @ mean_difference + np.trace(covariance_real) + np.trace(covariance_generated)
                 - 2.0 * trace_root)


def intra_class_frechet_distance(real_features, real_labels, generated_features, generated_labels):
    """Intra-class FID: the mean over classes of the FID between a class's real and generated features.

    A conditional generator can score a good FID while drawing the wrong
    class for a label; comparing class by class catches it.

    Args:
        real_features, generated_features: arrays `(n, features)`.
        real_labels, generated_labels: their integer classes.

    Returns:
        `(mean, per_class)`: the mean FID and a dict class -> FID, over the
        classes both sets hold at least two samples of.

    Reference:
        Miyato & Koyama, "cGANs with Projection Discriminator", ICLR 2018,
        Sec. 5.1 (intra-FID).
    """
    real_labels, generated_labels = np.asarray(real_labels), np.asarray(generated_labels)
    per_class = {}
    for label in np.intersect1d(real_labels, generated_labels):
        real, generated = real_features[real_labels == label], generated_features[generated_labels == label]
        if min(len(real), len(generated)) >= 2:
            per_class[int(label)] = frechet_distance(real, generated)
    if not per_class:
        raise ValueError("intra_class_frechet_distance needs two or more samples of some class in both sets.")
    return float(np.mean(list(per_class.values()))), per_class


def _symmetric_square_root(matrix):
    eigenvalues, vectors = np.linalg.eigh(matrix)
    return (vectors * np.sqrt(np.maximum(eigenvalues, 0.0))) @ vectors.T


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
    blocks = math.ceil(max(len(real), len(generated)) / max_block_size)
    estimates = np.array([
        _unbiased_mmd2(real_block, generated_block)
        for real_block, generated_block in zip(_blocks(real, blocks), _blocks(generated, blocks))
    ])
    # The standard error of the mean over blocks (undefined, NaN, for one block).
    std = estimates.std(ddof=1) / math.sqrt(blocks) if blocks > 1 else float("nan")
    return float(estimates.mean()), float(std)


def _blocks(values, count):
    """`count` consecutive blocks whose sizes differ by at most one, the larger ones last."""
    small, larger = divmod(len(values), count)
    sizes = [small] * (count - larger) + [small + 1] * larger
    return np.split(values, np.cumsum(sizes)[:-1])


def _unbiased_mmd2(real, generated):
    """MMD^2 with k(x, y) = (x.y / d + 1)^3, without the kernel's diagonal terms (Binkowski et al., eq. 2)."""
    dimension = real.shape[1]
    kernel = lambda a, b: (a @ b.T / dimension + 1.0) ** 3  # noqa: E731
    m, n = len(real), len(generated)
    k_rr, k_gg, k_rg = kernel(real, real), kernel(generated, generated), kernel(real, generated)
    return ((k_rr.sum() - np.trace(k_rr)) / (m * (m - 1)) + (k_gg.sum() - np.trace(k_gg)) / (n * (n - 1))
            - 2.0 * k_rg.mean())


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
    log_p = logits - logits.max(1, keepdims=True)
    log_p -= np.log(np.exp(log_p).sum(1, keepdims=True))
    p = np.exp(log_p)
    log_marginal = np.log(p.mean(0))
    return float(np.exp((p * (log_p - log_marginal)).sum(1).mean()))


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


def density_coverage(real_features, generated_features, k=5, batch_size=1000):
    """Density and coverage of generated against real features (k-NN balls around the real samples only).

    With B_i the ball around real sample i whose radius is the distance to
    its k-th nearest real neighbour:
    density = 1 / (k M) sum_j sum_i 1[Y_j in B_i] (how many real
    neighbourhoods a generated sample falls in, 1 on average when generated
    matches real; it exceeds 1 for samples crowding dense regions), and
    coverage = 1 / N sum_i 1[some Y_j in B_i] (the fraction of real
    neighbourhoods that hold a generated sample; robust to real outliers,
    unlike recall).

    Args:
        real_features, generated_features: arrays `(n, features)`.
        k: neighbour rank defining each real sample's radius (5 in the paper).
        batch_size: rows of the distance matrix computed at once.

    Returns:
        `(density, coverage)`: density >= 0, coverage in [0, 1].

    Example:

    ```python
    import numpy as np
    from keras_lipschitz import metrics

    rng = np.random.default_rng(0)
    real, generated = rng.normal(size=(500, 8)), rng.normal(size=(500, 8))
    print(metrics.density_coverage(real, generated))  # both near 1
    ```

    Reference:
        Naeem et al., "Reliable Fidelity and Diversity Metrics for Generative
        Models", ICML 2020, eq. 3-4.
    """
    real = _features("real_features", real_features)
    generated = _features("generated_features", generated_features)
    if k >= len(real):
        raise ValueError(f"k={k} needs more than {k} real samples.")
    radii = _radii(real, k, batch_size)
    counts = np.zeros(len(real), "int64")  # generated samples in each real ball
    inside_total = 0
    for start in range(0, len(generated), batch_size):
        inside = _distances(generated[start:start + batch_size], real) <= radii[None, :]
        inside_total += int(inside.sum())
        counts += inside.sum(axis=0)
    return inside_total / (k * len(generated)), float((counts > 0).mean())


def _radii(points, k, batch_size):
    """Each point's distance to its k-th nearest neighbour among `points` (itself excluded)."""
    return np.concatenate([
        np.sort(_distances(points[start : start + batch_size], points), axis=1)[:, k]
        for start in range(0, len(points), batch_size)
    ])  # column 0 is the point itself


def _coverage(manifold, queries, k, batch_size):
    """Fraction of `queries` within the k-NN radius of some point of `manifold`."""
    radii = _radii(manifold, k, batch_size)
    inside = [
        (_distances(queries[start : start + batch_size], manifold) <= radii[None, :]).any(axis=1)
        for start in range(0, len(queries), batch_size)
    ]
    return float(np.concatenate(inside).mean())


def _distances(a, b):
    squared = (a * a).sum(1)[:, None] - 2.0 * a @ b.T + (b * b).sum(1)[None, :]
    return np.sqrt(np.maximum(squared, 0.0))
