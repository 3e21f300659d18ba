"""Mode coverage and sample quality on 2-D Gaussian mixtures (the PacGAN protocol)."""

import numpy as np


def mixture_quality(samples, means, standard_deviation):
    """Modes captured, high-quality fraction and reverse KL of the mode histogram.

    A sample is high quality when it lies within 3 standard deviations of
    its nearest mean; a mode is captured when it is the nearest mean of at
    least one high-quality sample. The reverse KL is `KL(p_gen || p_true)`
    between the histogram of the high-quality samples' nearest modes and
    the true (uniform) mode weights, with `0 log 0 = 0`; it is `inf` when no
    sample is high quality.

    Args:
        samples: array `(n, 2)` (the protocol uses n = 2,500).
        means: array `(modes, 2)`.
        standard_deviation: the components' standard deviation.

    Returns:
        A dict with `modes` (int), `high_quality` (fraction in [0, 1]),
        `reverse_kl` (float) and `mode_histogram` (counts per mode).

    Example:

    ```python
    from keras_lipschitz.data import mixture_means, sample_mixture
    from keras_lipschitz.metrics import mixture_quality

    samples, _ = sample_mixture("grid25", 2500, seed=0)
    quality = mixture_quality(samples, mixture_means("grid25"), 0.05)
    print(quality["modes"], quality["high_quality"] > 0.98)  # 25 True
    ```

    Reference:
        Srivastava et al., VEEGAN, NeurIPS 2017, Table 1; Lin et al.,
        PacGAN, NeurIPS 2018, Section 5 and Table 1.
    """
    samples = np.asarray(samples, "float64")
    means = np.asarray(means, "float64")
    if samples.ndim != 2 or samples.shape[1] != means.shape[1]:
        raise ValueError(f"samples must have shape (n, {means.shape[1]}), got {samples.shape}.")
    distances = np.linalg.norm(samples[:, None, :] - means[None, :, :], axis=-1)
    nearest = distances.argmin(axis=1)
    high_quality = distances[np.arange(len(samples)), nearest] <= 3.0 * standard_deviation
    histogram = np.bincount(nearest[high_quality], minlength=len(means))
    return {
        "modes": int((histogram > 0).sum()),
        "high_quality": float(high_quality.mean()),
        "reverse_kl": _reverse_kl(histogram),
        "mode_histogram": histogram.tolist(),
    }


def _reverse_kl(histogram):
    """KL(p || uniform) of a histogram of counts."""
    total = histogram.sum()
    if total == 0:
        return float("inf")
    p = histogram[histogram > 0] / total
    return float(np.sum(p * np.log(p * len(histogram))))


def class_coverage(predicted_labels, num_classes):
    """Classes present among predicted labels and the KL of their histogram from uniform.

    Args:
        predicted_labels: int array `(n,)` (e.g. a classifier's predictions on generated samples).
        num_classes: number of classes.

    Returns:
        A dict with `classes` (int), `class_kl` (KL(p || uniform)) and `class_histogram`.
    """
    histogram = np.bincount(np.asarray(predicted_labels, "int64"), minlength=num_classes)
    return {
        "classes": int((histogram > 0).sum()),
        "class_kl": _reverse_kl(histogram),
        "class_histogram": histogram.tolist(),
    }
