"""Pixelwise feature vector normalization (PGGAN's generator)."""

import keras
from keras import ops

from keras_lipschitz import _validation


@keras.saving.register_keras_serializable(package="keras_lipschitz")
class PixelNormalization(keras.layers.Layer):
    """Scales each pixel's feature vector to unit root mean square.

    `b = a / sqrt(mean_c(a_c^2) + epsilon)` over the last axis, at every
    position; no weights. PGGAN puts it after each convolution of the
    generator (and on the latent) in place of batch normalization, to keep
    the magnitudes of G's and D's signals from escalating.

    Args:
        epsilon: added under the square root (1e-8 in the paper).
        **kwargs: base `keras.layers.Layer` arguments.

    Returns:
        A tensor of the input's shape.

    Example:

    ```python
    import numpy as np
    from keras_lipschitz.layers import PixelNormalization

    y = PixelNormalization()(np.array([[3.0, 4.0]], "float32"))
    print(np.mean(np.square(y)))  # 1.0
    ```

    Reference:
        Karras et al., ICLR 2018, sec. 4.2, eq. in "Pixelwise feature vector
        normalization in generator".
    """

    def __init__(self, epsilon=1e-8, **kwargs):
        super().__init__(**kwargs)
        _validation.check_finite_number("epsilon", epsilon, positive=True, owner="PixelNormalization")
        self.epsilon = float(epsilon)

    def call(self, inputs):
        mean_square = ops.mean(ops.square(inputs), axis=-1, keepdims=True)
        return inputs * ops.rsqrt(mean_square + ops.cast(self.epsilon, inputs.dtype))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon}
