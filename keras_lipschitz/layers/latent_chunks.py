"""BigGAN's hierarchical latent: z split into chunks, one per generator stage."""

import keras

from keras_lipschitz import _validation


@keras.saving.register_keras_serializable(package="keras_lipschitz")
class LatentChunks(keras.layers.Layer):
    """Splits `(batch, d)` latents into `chunks` consecutive slices along the last axis.

    The sizes differ by at most one (the first `d % chunks` slices are one
    longer), so any latent size works; BigGAN-PyTorch instead drops the
    remainder of z.

    Args:
        chunks: the number of slices (BigGAN: one for the first linear layer
            plus one per residual block).
        **kwargs: base `keras.layers.Layer` arguments.

    Returns:
        A list of `chunks` tensors.

    Example:

    ```python
    import numpy as np
    from keras_lipschitz.layers import LatentChunks

    parts = LatentChunks(3)(np.arange(8, dtype="float32")[None])
    print([p.shape[-1] for p in parts])  # [3, 3, 2]
    ```

    Reference:
        Brock, Donahue, Simonyan, ICLR 2019, sec. 4 and Figure 15 (a)
        (hierarchical latent spaces).
    """

    def __init__(self, chunks, **kwargs):
        super().__init__(**kwargs)
        _validation.check_positive_integer("chunks", chunks, owner="LatentChunks")
        self.chunks = chunks

    def sizes(self, dimension):
        if dimension is None or dimension < self.chunks:
            raise ValueError(f"LatentChunks({self.chunks}) needs latents of at least {self.chunks} values, "
                             f"got {dimension}.")
        base, extra = divmod(dimension, self.chunks)
        return [base + (index < extra) for index in range(self.chunks)]

    def call(self, inputs):
        parts, start = [], 0
        for size in self.sizes(inputs.shape[-1]):
            parts.append(inputs[:, start:start + size])
            start += size
        return parts

    def compute_output_shape(self, input_shape):
        return [tuple(input_shape[:-1]) + (size,) for size in self.sizes(input_shape[-1])]

    def get_config(self):
        return {**super().get_config(), "chunks": self.chunks}
