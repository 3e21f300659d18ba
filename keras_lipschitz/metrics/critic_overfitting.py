"""How far a critic tells its training images from held-out ones: the overfitting DiffAugment and ADA fight.

NumPy only, as the other metrics: it runs on every Keras backend.
"""

import numpy as np


def membership_auc(training_scores, held_out_scores):
    """The probability that the critic scores a training image above a held-out one (ties count one half).

    This is the area under the ROC curve of the critic's score as a test of
    "was this real image trained on?" (the Mann-Whitney U statistic over the
    product of the sample sizes). 0.5: the critic judges both sets alike,
    as a critic that learned the distribution does; towards 1: it has
    memorized its training images, which is when a data-limited GAN's FID
    turns worse and augmentation (DiffAugment, ADA) helps. For a critic whose
    score is higher for fakes (EBGAN's energy), memorization reads below 0.5.
    Free of the score's scale and offset, so it compares losses and recipes.

    Args:
        training_scores: the critic's scores of images it was trained on, `(n,)`.
        held_out_scores: its scores of real images it never saw, `(m,)`.

    Returns:
        A float in [0, 1].

    Example:

    ```python
    from keras_lipschitz import metrics

    print(metrics.membership_auc([0.9, 0.8, 0.7], [0.1, 0.75]))  # 5/6 of the pairs favour training images
    ```

    Reference:
        Zhao et al., "Differentiable Augmentation for Data-Efficient GAN
        Training", NeurIPS 2020, Fig. 1 (the critic's training and validation
        accuracy); Karras et al., "Training Generative Adversarial Networks
        with Limited Data", NeurIPS 2020, Sec. 3 (overfitting heuristics);
        Mann and Whitney, Ann. Math. Statist. 18(1), 1947.
    """
    training = _scores("training_scores", training_scores)
    held_out = _scores("held_out_scores", held_out_scores)
    ranks = _average_ranks(np.concatenate([training, held_out]))
    n = len(training)
    u_statistic = ranks[:n].sum() - n * (n + 1) / 2
    return float(u_statistic / (n * len(held_out)))


def _scores(name, values):
    values = np.asarray(values, "float64")
    if values.ndim == 2 and values.shape[1] == 1:
        values = values[:, 0]
    if values.ndim != 1 or len(values) == 0:
        raise ValueError(f"{name} must hold one score per image, shape (n,) or (n, 1), got {values.shape}.")
    if not np.isfinite(values).all():
        raise ValueError(f"{name} holds NaN or inf: the critic diverged.")
    return values


def _average_ranks(values):
    """Ranks 1..n of `values`, tied values sharing the mean of their ranks."""
    order = np.argsort(values, kind="stable")
    _, first, counts = np.unique(values[order], return_index=True, return_counts=True)
    # Tied values occupy ranks first+1 .. first+count: their mean.
    shared = first + (counts + 1) / 2
    ranks = np.empty(len(values))
    ranks[order] = np.repeat(shared, counts)
    return ranks
