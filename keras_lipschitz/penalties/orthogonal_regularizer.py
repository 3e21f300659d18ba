"""BigGAN's off-diagonal orthogonal regularization."""

import keras
from keras import ops

from keras_lipschitz import _validation


@keras.saving.register_keras_serializable(package="keras_lipschitz")
class OrthogonalRegularizer(keras.regularizers.Regularizer):
    """`beta * ||W^T W * (1 - I)||_F^2`: decorrelates a layer's filters.

    The kernel is viewed as a matrix with one column per output unit
    (`(-1, kernel.shape[-1])`), so `W^T W` holds the inner products between
    filters; only the off-diagonal ones are penalized, leaving the filters'
    norms free, as in BigGAN. Computed in float32.

    Args:
        beta: non-negative float (1e-4 in BigGAN).

    Returns:
        Called on a kernel, the float32 scalar penalty.

    Example:

    ```python
    import keras
    import numpy as np
    from keras_lipschitz.penalties import OrthogonalRegularizer

    layer = keras.layers.Dense(4, kernel_regularizer=OrthogonalRegularizer(1e-4))
    layer.build((None, 8))
    w = layer.kernel.numpy()
    gram = w.T @ w
    expected = 1e-4 * np.sum((gram * (1 - np.eye(4))) ** 2)
    assert np.isclose(float(layer.losses[0]), expected, rtol=1e-5)
    ```

    Reference:
        Brock, Donahue, Simonyan. "Large Scale GAN Training for High Fidelity
        Natural Image Synthesis", ICLR 2019, sec. 3.1, eq. 3.
    """

    def __init__(self, beta=1e-4):
        self.beta = _validation.check_finite_number(
            "beta", beta, positive=False, owner="OrthogonalRegularizer", hint="BigGAN: 1e-4"
        )

    def __call__(self, kernel):
        if len(kernel.shape) < 2:
            raise ValueError(
                "OrthogonalRegularizer needs a kernel with at least 2 axes "
                f"(inputs x units); got shape {tuple(kernel.shape)}. Do not use "
                "it as a bias regularizer."
            )
        matrix = ops.reshape(ops.cast(kernel, "float32"), (-1, kernel.shape[-1]))
        gram = ops.matmul(ops.transpose(matrix), matrix)
        off_diagonal = gram * (1.0 - ops.eye(kernel.shape[-1], dtype="float32"))
        return self.beta * ops.sum(ops.square(off_diagonal))

    def get_config(self):
        return {"beta": self.beta}
