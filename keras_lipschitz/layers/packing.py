"""PacGAN's packing: the critic judges m samples at once, concatenated."""

import keras
from keras import ops

from keras_lipschitz import _validation


@keras.saving.register_keras_serializable(package="keras_lipschitz")
class Packing(keras.layers.Layer):
    """Packs each run of `m` consecutive samples into one, concatenated along the last (feature or channel) axis.

    Put first in a discriminator, it makes the critic score packs of `m`
    samples that are all real or all generated (the GAN trainer scores real
    and generated batches separately), so a generator that drops modes is
    easier to tell apart: the PacGAN discriminator. The batch (per replica)
    must be a multiple of `m`; the critic returns one logit per pack.

    Args:
        m: samples per pack (2, 3 or 4 in the paper).
        **kwargs: base `keras.layers.Layer` arguments.

    Returns:
        `(batch / m, ..., m * features)`: pack `k` holds samples
        `m k, ..., m k + m - 1` side by side.

    Example:

    ```python
    import numpy as np
    from keras_lipschitz.layers import Packing

    points = np.arange(8, dtype="float32").reshape(4, 2)
    print(Packing(2)(points))  # [[0. 1. 2. 3.] [4. 5. 6. 7.]]
    ```

    Reference:
        Lin, Khetan, Fanti, Oh. "PacGAN: The power of two samples in
        generative adversarial networks", NeurIPS 2018, sec. 3 (the packed
        discriminator D(x_1, ..., x_m), inputs concatenated).
    """

    def __init__(self, m, **kwargs):
        super().__init__(**kwargs)
        self.m = _validation.check_positive_integer("m", m, owner="Packing", hint="2, 3 or 4")

    def call(self, inputs):
        batch = inputs.shape[0]
        if batch is not None and batch % self.m:
            raise ValueError(f"Packing({self.m}) needs a batch (per replica) that is a multiple of {self.m}, "
                             f"got {batch}.")
        inner = tuple(inputs.shape[1:-1])
        features = inputs.shape[-1]
        packs = ops.reshape(inputs, (-1, self.m, *inner, features))
        # Move the pack axis next to the features, so each position holds the m samples' features side by side.
        order = (0, *range(2, 2 + len(inner)), 1, 2 + len(inner))
        return ops.reshape(ops.transpose(packs, order), (-1, *inner, self.m * features))

    def compute_output_shape(self, input_shape):
        batch = None if input_shape[0] is None else input_shape[0] // self.m
        return (batch, *input_shape[1:-1], self.m * input_shape[-1])

    def get_config(self):
        return {**super().get_config(), "m": self.m}
