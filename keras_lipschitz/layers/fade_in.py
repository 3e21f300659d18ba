"""PGGAN's fade-in: a new resolution's output blended into the previous one's."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="keras_lipschitz")
class FadeIn(keras.layers.Layer):
    """`(1 - alpha) * previous + alpha * new`: the previous resolution's path, resized, and the new block's.

    While a resolution fades in, the generator's image is its new block's
    output blended with the upsampled output of the previous resolution, and
    the discriminator's features are its new block's blended with those of
    the downsampled image through the previous resolution's input layer.
    `alpha` rises linearly from 0 to 1 with the images seen during the
    fade-in phase (see `trainers.GrowthSchedule`).

    Args:
        **kwargs: base `keras.layers.Layer` arguments.

    Returns:
        Called on `[previous, new]` (equal shapes) and `alpha` (a scalar), the
        blend, in the inputs' dtype.

    Example:

    ```python
    import numpy as np
    from keras_lipschitz.layers import FadeIn

    previous, new = np.zeros((1, 2), "float32"), np.ones((1, 2), "float32")
    print(FadeIn()([previous, new], alpha=0.25))  # [[0.25 0.25]]
    ```

    Reference:
        Karras et al., ICLR 2018, sec. 3 and Figure 2 (b): "we treat the
        layers that operate on the higher resolution like a residual block,
        whose weight alpha increases linearly from 0 to 1".
    """

    def call(self, inputs, alpha):
        previous, new = inputs
        alpha = ops.cast(alpha, new.dtype)
        return previous + alpha * (new - previous)

    def compute_output_shape(self, inputs_shape):
        return inputs_shape[1]
