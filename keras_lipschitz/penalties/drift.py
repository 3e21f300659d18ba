"""PGGAN's drift penalty: keeps the critic's scores on real data near zero."""

from keras import ops

from keras_lipschitz import _reduction
from keras_lipschitz import _validation


def drift_penalty(real_logits, *, weight=0.001, reduction="mean"):
    """`weight * E[D(x_real)^2]`, added to the critic's loss.

    A Wasserstein critic's loss only sees differences of scores, so both
    scores can drift together; this small term anchors them at zero.

    Args:
        real_logits: the critic's scores on real samples, `(batch,)`,
            `(batch, 1)` or `(batch, k)` (each sample's mean square).
        weight: epsilon_drift, >= 0 (0.001 in the paper).
        reduction: `"mean"` (over the global batch) or `"none"`.

    Returns:
        A float32 scalar, or `(batch,)` values with `reduction="none"`.

    Example:

    ```python
    import numpy as np
    from keras_lipschitz.penalties import drift_penalty

    print(float(drift_penalty(np.array([[1.0], [3.0]], "float32"), weight=0.5)))  # 0.5 * (1 + 9) / 2 = 2.5
    ```

    Reference:
        Karras et al., ICLR 2018, Appendix A.1: `epsilon_drift * E_x[D(x)^2]`
        with `epsilon_drift = 0.001`, on real data.
    """
    weight = _validation.check_finite_number("weight", weight, positive=False, owner="drift_penalty")
    _reduction.check_reduction(reduction)
    per_sample = ops.mean(ops.square(_reduction.per_logit(real_logits, "real_logits")), axis=-1)
    return _reduction.reduce_per_sample(weight * per_sample, reduction)
