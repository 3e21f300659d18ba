"""EBGAN's pulling-away term: pushes a batch's codes towards orthogonal directions."""

from keras import ops

from keras_lipschitz import backend

# Keeps the cosine finite for a code of zeros.
_EPSILON = 1e-8


def pulling_away_term(codes, *, weight=0.1):
    """`weight / (N (N - 1)) * sum_{i != j} cos(S_i, S_j)^2` over the batch's codes `S`.

    Added to the generator's loss with the encoder's codes of generated
    samples: a batch whose samples all look alike has codes that point the
    same way (cosines near 1), so the term discourages mode collapse without
    the quadratic cost in the feature size of minibatch discrimination.

    Args:
        codes: `(batch, ...)`, one code per sample (flattened), N >= 2.
        weight: lambda_PT >= 0 (0.1 in the paper).

    Returns:
        A float32 scalar: this batch's term (under `tf.distribute`, each
        replica's batch, divided by the number of replicas, so the replicas'
        values add up to their mean).

    Example:

    ```python
    import numpy as np
    from keras_lipschitz.penalties import pulling_away_term

    # Two orthogonal codes and their negatives: cosines 0, 0, 1 (each pair counted twice), ... -> 1/3.
    codes = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.0, -1.0]], "float32")
    print(float(pulling_away_term(codes, weight=1.0)))  # 0.333...
    ```

    Reference:
        Zhao, Mathieu, LeCun, ICLR 2017, eq. 7 (the repelling regularizer),
        lambda_PT = 0.1.
    """
    codes = ops.cast(ops.reshape(codes, (ops.shape(codes)[0], -1)), "float32")
    count = codes.shape[0]
    if count is not None and count < 2:
        raise ValueError(f"The pulling-away term compares codes of different samples: it needs a batch of at least 2, "
                         f"got {count}.")
    unit = codes / (ops.sqrt(ops.sum(ops.square(codes), axis=1, keepdims=True)) + _EPSILON)
    cosines = ops.matmul(unit, ops.transpose(unit))
    n = ops.cast(ops.shape(codes)[0], "float32")
    # The diagonal holds each code's cosine with itself, 1 (0 for a zero code): left out.
    off_diagonal = ops.sum(ops.square(cosines)) - ops.sum(ops.square(ops.diagonal(cosines)))
    return float(weight) * off_diagonal / (n * (n - 1.0)) / backend.num_replicas()
