"""Minibatch discrimination: each sample's features gain how close it is to the other samples of its batch."""

import keras
from keras import ops

from keras_lipschitz import _validation


@keras.saving.register_keras_serializable(package="keras_lipschitz")
class MinibatchDiscrimination(keras.layers.Layer):
    """Appends to each sample's features `o(x_i)`, its closeness to the rest of the minibatch.

    With features `f(x_i)` of size A and a learned tensor `T` of shape
    `(A, B, C)`, each sample gets `B` rows `M_i = f(x_i) T` of size C, and

        c_b(x_i, x_j) = exp(-||M_{i,b} - M_{j,b}||_1),
        o(x_i)_b = sum_{j != i} c_b(x_i, x_j),

    so a critic sees whether a batch's samples are all alike (a collapsed
    generator) rather than judging each sample alone. The sum leaves out
    `j = i`, as the authors' code does (the paper's sum over all `j` adds the
    constant 1). Put it before the critic's last layer. The minibatch is the
    batch the layer sees: under `tf.distribute` each replica's own rows.

    Args:
        num_kernels: B, the number of closeness features appended.
        kernel_dim: C, the size of each projected row.
        kernel_initializer: initializer of `T`.
        **kwargs: base `keras.layers.Layer` arguments.

    Returns:
        `(batch, A + B)`: the input features followed by `o(x_i)`.

    Example:

    ```python
    import numpy as np
    from keras_lipschitz.layers import MinibatchDiscrimination

    features = np.random.default_rng(0).normal(size=(16, 32)).astype("float32")
    print(MinibatchDiscrimination(num_kernels=8, kernel_dim=4)(features).shape)  # (16, 40)
    ```

    Reference:
        Salimans, Goodfellow, Zaremba, Cheung, Radford, Chen. "Improved
        Techniques for Training GANs", NeurIPS 2016, sec. 3.2.
    """

    def __init__(self, num_kernels=100, kernel_dim=5, kernel_initializer="glorot_uniform", **kwargs):
        super().__init__(**kwargs)
        self.num_kernels = _validation.check_positive_integer("num_kernels", num_kernels,
                                                              owner="MinibatchDiscrimination", hint="100 in the paper")
        self.kernel_dim = _validation.check_positive_integer("kernel_dim", kernel_dim,
                                                             owner="MinibatchDiscrimination", hint="5 in the paper")
        self.kernel_initializer = keras.initializers.get(kernel_initializer)

    def build(self, input_shape):
        if len(input_shape) != 2 or input_shape[-1] is None:
            raise ValueError(f"MinibatchDiscrimination takes features of shape (batch, A); got {input_shape}. "
                             "Flatten feature maps first (keras.layers.Flatten).")
        self.kernel = self.add_weight(shape=(input_shape[-1], self.num_kernels * self.kernel_dim),
                                      initializer=self.kernel_initializer, name="kernel")

    def call(self, inputs):
        rows = ops.reshape(ops.matmul(inputs, ops.cast(self.kernel, inputs.dtype)),
                           (-1, self.num_kernels, self.kernel_dim))
        # (batch, 1, B, C) - (1, batch, B, C): the L1 distance of every pair, per kernel.
        distances = ops.sum(ops.abs(ops.expand_dims(rows, 1) - ops.expand_dims(rows, 0)), axis=-1)
        closeness = ops.sum(ops.exp(-distances), axis=1) - 1.0  # j = i contributes exp(0) = 1
        return ops.concatenate([inputs, closeness], axis=-1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[-1] + self.num_kernels)

    def get_config(self):
        return {**super().get_config(), "num_kernels": self.num_kernels, "kernel_dim": self.kernel_dim,
                "kernel_initializer": keras.initializers.serialize(self.kernel_initializer)}
