"""MAD-GAN's generators: k dense layers, one per generator, ahead of the layers they share."""

import keras
from keras import ops

from keras_lipschitz import _validation


def generator_indices(batch, num_generators):
    """Which generator makes each row of a batch: row r comes from generator `r % num_generators`.

    The generator (`MultiGeneratorDense`) and MAD-GAN's loss
    (`losses.MultiGeneratorLoss`) both read it, so a fake sample's class is
    the generator that made it; every batch holds the generators in turn.
    """
    return ops.mod(ops.arange(batch, dtype="int32"), num_generators)


@keras.saving.register_keras_serializable(package="keras_lipschitz")
class MultiGeneratorDense(keras.layers.Layer):
    """The first layer of k generators that share every later layer (MAD-GAN): row r uses generator `r % k`'s.

    Each generator `i` has its own kernel and bias; a batch's rows take the
    generators in turn (`generator_indices`), so one call of the shared
    network makes samples of all k generators. With `selected=i` every row
    goes through generator `i` (to sample or export one generator).

    Args:
        num_generators: k.
        units: output size.
        selected: None (rows take the generators in turn) or a generator
            index in `[0, k)`.
        kernel_initializer: initializer of each generator's kernel.
        **kwargs: base `keras.layers.Layer` arguments.

    Returns:
        `(batch, units)`: `x_r W_{g(r)} + b_{g(r)}`, `g(r) = r % k` or `selected`.

    Example:

    ```python
    import numpy as np
    from keras_lipschitz.layers import MultiGeneratorDense

    layer = MultiGeneratorDense(num_generators=2, units=3)
    z = np.ones((4, 2), "float32")
    out = np.array(layer(z))
    print(np.allclose(out[0], out[2]), np.allclose(out[0], out[1]))  # True False: rows 0, 2 share generator 0
    ```

    Reference:
        Ghosh, Kulharia, Namboodiri, Torr, Dokania, "Multi-Agent Diverse
        Generative Adversarial Networks", CVPR 2018, sec. 3 (generators that
        share all but their first layers, as the issue's variant).
    """

    def __init__(self, num_generators, units, selected=None, kernel_initializer="glorot_uniform", **kwargs):
        super().__init__(**kwargs)
        self.num_generators = _validation.check_positive_integer("num_generators", num_generators,
                                                                 owner="MultiGeneratorDense")
        self.units = _validation.check_positive_integer("units", units, owner="MultiGeneratorDense")
        if selected is not None and not (isinstance(selected, int) and 0 <= selected < num_generators):
            raise ValueError(f"selected must be None or a generator index in [0, {num_generators}), got {selected!r}.")
        self.selected = selected
        self.kernel_initializer = keras.initializers.get(kernel_initializer)

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(self.num_generators, input_shape[-1], self.units),
                                      initializer=self.kernel_initializer, name="kernel")
        self.bias = self.add_weight(shape=(self.num_generators, self.units), initializer="zeros", name="bias")

    def call(self, inputs):
        if self.selected is not None:
            return ops.matmul(inputs, self.kernel[self.selected]) + self.bias[self.selected]
        every = ops.einsum("bi,kiu->bku", inputs, ops.cast(self.kernel, inputs.dtype)) + ops.cast(self.bias,
                                                                                                  inputs.dtype)
        chosen = ops.one_hot(generator_indices(ops.shape(inputs)[0], self.num_generators), self.num_generators,
                             dtype=inputs.dtype)
        return ops.sum(every * ops.expand_dims(chosen, -1), axis=1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.units)

    def get_config(self):
        return {**super().get_config(), "num_generators": self.num_generators, "units": self.units,
                "selected": self.selected, "kernel_initializer": keras.initializers.serialize(self.kernel_initializer)}


def select_generator(generator, index):
    """A copy of a MAD-GAN `generator` (same weights) whose every row comes from generator `index`."""
    def clone(layer):
        config = layer.get_config()
        if isinstance(layer, MultiGeneratorDense):
            config["selected"] = index
        return type(layer).from_config(config)

    heads = [layer for layer in generator._flatten_layers(include_self=False) if isinstance(layer, MultiGeneratorDense)]
    if not heads:
        raise ValueError("select_generator takes a generator with MultiGeneratorDense layers (a MAD-GAN generator).")
    for layer in heads:
        if not 0 <= index < layer.num_generators:
            raise ValueError(f"index must be in [0, {layer.num_generators}), got {index}.")
    copy = keras.models.clone_model(generator, clone_function=clone)
    copy.set_weights(generator.get_weights())
    return copy
