"""Virtual batch normalization: statistics from a fixed reference batch and the example itself."""

import keras
from keras import ops

from keras_lipschitz import _validation


@keras.saving.register_keras_serializable(package="keras_lipschitz")
class VirtualBatchNormalization(keras.layers.Layer):
    """Normalizes each example by the statistics of a fixed reference batch combined with the example itself.

    The first `reference_size` rows of the input are the reference batch's
    activations (a generator built with `PrependReferenceBatch` puts them
    there); they are normalized by their own mean and variance. Every other
    row `x` is normalized by

        mean = (1 - c) mean_ref + c mean(x),   mean_sq = (1 - c) mean_sq_ref + c mean(x^2),
        var = mean_sq - mean^2,   c = 1 / (reference_size + 1),

    so an example's output does not depend on the other examples of its
    batch (batch normalization's side effect that VBN removes), only on the
    reference batch, which is fixed at the start of training. Statistics are
    per feature (the last axis), over the batch and, for feature maps, the
    spatial axes, as the authors' code. Gradients flow through the
    reference statistics too.

    Args:
        reference_size: R, the number of leading reference rows.
        epsilon: added to the variance.
        **kwargs: base `keras.layers.Layer` arguments.

    Returns:
        The normalized input, scaled by `gamma` and shifted by `beta` (both
        per feature, learned), reference rows included.

    Example:

    ```python
    import numpy as np
    from keras_lipschitz.layers import VirtualBatchNormalization

    rows = np.random.default_rng(0).normal(size=(6, 3)).astype("float32")  # 4 reference rows, 2 examples
    print(VirtualBatchNormalization(reference_size=4)(rows).shape)  # (6, 3)
    ```

    Reference:
        Salimans, Goodfellow, Zaremba, Cheung, Radford, Chen. "Improved
        Techniques for Training GANs", NeurIPS 2016, sec. 3.4.
    """

    def __init__(self, reference_size, epsilon=1e-5, **kwargs):
        super().__init__(**kwargs)
        self.reference_size = _validation.check_positive_integer("reference_size", reference_size,
                                                                 owner="VirtualBatchNormalization", hint="e.g. 64")
        self.epsilon = _validation.check_finite_number("epsilon", epsilon, positive=True,
                                                       owner="VirtualBatchNormalization")

    def build(self, input_shape):
        features = input_shape[-1]
        self.gamma = self.add_weight(shape=(features,), initializer="ones", name="gamma")
        self.beta = self.add_weight(shape=(features,), initializer="zeros", name="beta")

    def call(self, inputs):
        reference, examples = inputs[: self.reference_size], inputs[self.reference_size:]
        spatial = tuple(range(1, len(inputs.shape) - 1))
        reference_mean = ops.mean(reference, axis=(0, *spatial), keepdims=True)
        reference_mean_sq = ops.mean(ops.square(reference), axis=(0, *spatial), keepdims=True)
        c = 1.0 / (self.reference_size + 1.0)
        mean = (1.0 - c) * reference_mean + c * ops.mean(examples, axis=spatial, keepdims=True)
        mean_sq = (1.0 - c) * reference_mean_sq + c * ops.mean(ops.square(examples), axis=spatial, keepdims=True)
        normalized = ops.concatenate([
            self._normalize(reference, reference_mean, reference_mean_sq),
            self._normalize(examples, mean, mean_sq),
        ], axis=0)
        return normalized * ops.cast(self.gamma, inputs.dtype) + ops.cast(self.beta, inputs.dtype)

    def _normalize(self, values, mean, mean_sq):
        variance = ops.maximum(mean_sq - ops.square(mean), 0.0)
        return (values - mean) / ops.sqrt(variance + self.epsilon)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "reference_size": self.reference_size, "epsilon": self.epsilon}


@keras.saving.register_keras_serializable(package="keras_lipschitz")
class PrependReferenceBatch(keras.layers.Layer):
    """Puts a fixed reference batch of inputs (e.g. latents) before the batch, for `VirtualBatchNormalization`.

    The reference rows are drawn once from N(0, 1) with `seed` when the layer
    is built and kept as a non-trainable weight (saved with the model), so
    they are the same in every step, after a reload and in an export.

    Args:
        reference_size: R, the number of reference rows.
        seed: seed of the reference rows.
        **kwargs: base `keras.layers.Layer` arguments.

    Returns:
        `(R + batch, ...)`: the reference rows, then the inputs.

    Example:

    ```python
    import numpy as np
    from keras_lipschitz.layers import PrependReferenceBatch, RemoveReferenceBatch

    z = np.zeros((3, 2), "float32")
    with_reference = PrependReferenceBatch(4, seed=0)(z)
    print(with_reference.shape, RemoveReferenceBatch(4)(with_reference).shape)  # (7, 2) (3, 2)
    ```
    """

    def __init__(self, reference_size, seed=0, **kwargs):
        super().__init__(**kwargs)
        self.reference_size = _validation.check_positive_integer("reference_size", reference_size,
                                                                 owner="PrependReferenceBatch", hint="e.g. 64")
        self.seed = seed

    def build(self, input_shape):
        self.reference = self.add_weight(shape=(self.reference_size, *input_shape[1:]), trainable=False,
                                         initializer=keras.initializers.RandomNormal(seed=self.seed), name="reference")

    def call(self, inputs):
        return ops.concatenate([ops.cast(self.reference, inputs.dtype), inputs], axis=0)

    def compute_output_shape(self, input_shape):
        return (None if input_shape[0] is None else input_shape[0] + self.reference_size, *input_shape[1:])

    def get_config(self):
        return {**super().get_config(), "reference_size": self.reference_size, "seed": self.seed}


@keras.saving.register_keras_serializable(package="keras_lipschitz")
class RemoveReferenceBatch(keras.layers.Layer):
    """Drops the first `reference_size` rows (the reference batch `PrependReferenceBatch` added).

    Args:
        reference_size: R.
        **kwargs: base `keras.layers.Layer` arguments.

    Returns:
        `inputs[R:]`.
    """

    def __init__(self, reference_size, **kwargs):
        super().__init__(**kwargs)
        self.reference_size = _validation.check_positive_integer("reference_size", reference_size,
                                                                 owner="RemoveReferenceBatch", hint="e.g. 64")

    def call(self, inputs):
        return inputs[self.reference_size:]

    def compute_output_shape(self, input_shape):
        return (None if input_shape[0] is None else input_shape[0] - self.reference_size, *input_shape[1:])

    def get_config(self):
        return {**super().get_config(), "reference_size": self.reference_size}
