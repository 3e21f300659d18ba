"""Nearest-neighbour 2x upsampling with static shapes (exports to TFLite)."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="keras_lipschitz")
class NearestUpsampling2D(keras.layers.Layer):
    """Repeats every pixel 2x2 (channels last), as `UpSampling2D(2)` with nearest interpolation.

    Built from stack and reshape ops whose shapes stay static when only the
    batch is unknown. Keras' `UpSampling2D` uses `ops.repeat`, which loses the
    static height in TensorFlow graphs, and the TFLite converter then cannot
    lower the convolutions that follow without TF Select ops.

    Returns:
        Called on `(batch, height, width, channels)`, a tensor
        `(batch, 2 * height, 2 * width, channels)`.

    Example:

    ```python
    import numpy as np
    from keras_lipschitz.layers import NearestUpsampling2D

    x = np.arange(4, dtype="float32").reshape(1, 2, 2, 1)
    print(NearestUpsampling2D()(x)[0, :, :, 0])  # each value in a 2x2 block
    ```
    """

    def call(self, inputs):
        # Static sizes where known (for TFLite), the run-time ones where not (fully convolutional use).
        static, dynamic = inputs.shape, ops.shape(inputs)
        height, width, channels = (static[i] if static[i] is not None else dynamic[i] for i in (1, 2, 3))
        rows = ops.stack([inputs, inputs], axis=2)  # (batch, height, 2, width, channels)
        pixels = ops.stack([rows, rows], axis=4)  # (batch, height, 2, width, 2, channels)
        return ops.reshape(pixels, (-1, 2 * height, 2 * width, channels))

    def compute_output_shape(self, input_shape):
        batch, height, width, channels = input_shape
        return (batch, None if height is None else 2 * height, None if width is None else 2 * width, channels)
