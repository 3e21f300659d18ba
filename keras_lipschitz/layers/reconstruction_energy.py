"""The energy of an autoencoder critic: each sample's reconstruction error."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="keras_lipschitz")
class ReconstructionEnergy(keras.layers.Layer):
    """`[samples, reconstructions]` -> each sample's mean squared reconstruction error, `(batch, 1)`.

    EBGAN's discriminator is an autoencoder whose energy is how badly it
    reconstructs its input: low on real data, high elsewhere. The mean over
    a sample's values (the authors' code uses the mean squared error) keeps
    energies of images of any size on the same scale.

    Args:
        **kwargs: base `keras.layers.Layer` arguments.

    Returns:
        `(batch, 1)` float energies, >= 0.

    Example:

    ```python
    import numpy as np
    from keras_lipschitz.layers import ReconstructionEnergy

    x = np.array([[1.0, 2.0]], "float32")
    print(ReconstructionEnergy()([x, np.array([[1.0, 0.0]], "float32")]))  # [[2.]]: (0 + 4) / 2
    ```

    Reference:
        Zhao, Mathieu, LeCun, ICLR 2017, sec. 2.3: `D(x) = ||Dec(Enc(x)) - x||`.
    """

    def call(self, inputs):
        samples, reconstructions = inputs
        squared = ops.square(ops.cast(reconstructions, samples.dtype) - samples)
        return ops.mean(ops.reshape(squared, (ops.shape(samples)[0], -1)), axis=1, keepdims=True)

    def compute_output_shape(self, input_shape):
        return (input_shape[0][0], 1)
