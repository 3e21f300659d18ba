"""Equalized learning rate: weights drawn from N(0, 1) and scaled by He's constant at run time."""

import math

import keras
from keras import ops

from keras_lipschitz import _validation


class _Equalized(keras.layers.Layer):
    """Shared by the equalized layers: the kernel, its run-time scale and the bias.

    The kernel is stored as drawn from N(0, 1) and multiplied by
    `gain / sqrt(fan_in)` on every call, so every weight has the same dynamic
    range and Adam's per-weight step (about the learning rate) changes every
    layer at the same relative speed, whatever its fan-in.
    """

    def __init__(self, units_or_filters, gain, use_bias, activation, **kwargs):
        super().__init__(**kwargs)
        _validation.check_positive_integer(self._units_name, units_or_filters, owner=type(self).__name__)
        _validation.check_finite_number("gain", gain, positive=True, owner=type(self).__name__)
        self.gain = float(gain)
        self.use_bias = use_bias
        self.activation = keras.activations.get(activation)

    def _build_kernel(self, kernel_shape, fan_in, outputs):
        self.scale = self.gain / math.sqrt(fan_in)
        self.kernel = self.add_weight(name="kernel", shape=kernel_shape,
                                      initializer=keras.initializers.RandomNormal(0.0, 1.0))
        self.bias = self.add_weight(name="bias", shape=(outputs,), initializer="zeros") if self.use_bias else None

    def _finish(self, outputs):
        if self.bias is not None:
            outputs = ops.add(outputs, ops.cast(self.bias, outputs.dtype))
        return self.activation(outputs)

    def scaled_kernel(self):
        """The kernel the layer computes with, `gain / sqrt(fan_in) * W`."""
        return ops.multiply(self.kernel, self.scale)

    def get_config(self):
        return {**super().get_config(), "gain": self.gain, "use_bias": self.use_bias,
                "activation": keras.activations.serialize(self.activation)}


@keras.saving.register_keras_serializable(package="keras_lipschitz")
class EqualizedDense(_Equalized):
    """A dense layer with an equalized learning rate.

    Computes `activation(x @ (c * W) + b)` with `W ~ N(0, 1)`, `b = 0` at
    initialization and `c = gain / sqrt(fan_in)` (He's constant for gain
    sqrt(2)), a constant applied at run time rather than at initialization.

    Args:
        units: output size.
        gain: the numerator of the scale (sqrt(2) before a (leaky) ReLU, 1 for
            a linear output).
        use_bias: whether to add a bias (not scaled).
        activation: a Keras activation, applied after the bias.
        **kwargs: base `keras.layers.Layer` arguments.

    Returns:
        `(..., units)`.

    Example:

    ```python
    import numpy as np
    from keras_lipschitz.layers import EqualizedDense

    layer = EqualizedDense(8)
    y = layer(np.ones((2, 16), "float32"))
    print(y.shape, layer.scale)  # (2, 8) 0.35355... (sqrt(2) / sqrt(16))
    ```

    Reference:
        Karras et al., ICLR 2018, "Progressive Growing of GANs", sec. 4.1:
        `w_hat_i = w_i / c`, with `c` the per-layer constant of He et al.
        (2015).
    """

    _units_name = "units"

    def __init__(self, units, gain=math.sqrt(2.0), use_bias=True, activation=None, **kwargs):
        super().__init__(units, gain, use_bias, activation, **kwargs)
        self.units = units

    def build(self, input_shape):
        fan_in = input_shape[-1]
        self._build_kernel((fan_in, self.units), fan_in, self.units)

    def call(self, inputs):
        return self._finish(ops.matmul(inputs, ops.cast(self.scaled_kernel(), inputs.dtype)))

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.units)

    def get_config(self):
        return {**super().get_config(), "units": self.units}


@keras.saving.register_keras_serializable(package="keras_lipschitz")
class EqualizedConv2D(_Equalized):
    """A 2-D convolution (channels last, stride 1) with an equalized learning rate.

    As `EqualizedDense`, with `fan_in = kernel_size**2 * input channels`.

    Args:
        filters: output channels.
        kernel_size: the square kernel's size.
        padding: `"same"` (default) or `"valid"`.
        gain: as in `EqualizedDense`.
        use_bias: whether to add a bias.
        activation: a Keras activation, applied after the bias.
        **kwargs: base `keras.layers.Layer` arguments.

    Returns:
        `(batch, height', width', filters)`.

    Example:

    ```python
    import numpy as np
    from keras_lipschitz.layers import EqualizedConv2D

    layer = EqualizedConv2D(4, 3)
    print(layer(np.ones((1, 8, 8, 2), "float32")).shape, round(layer.scale, 4))  # (1, 8, 8, 4) 0.3333
    ```

    Reference:
        Karras et al., ICLR 2018, sec. 4.1 and Table 2 (3x3 and 1x1
        convolutions, 4x4 "valid" convolution in D's last block).
    """

    _units_name = "filters"

    def __init__(self, filters, kernel_size, padding="same", gain=math.sqrt(2.0), use_bias=True, activation=None,
                 **kwargs):
        super().__init__(filters, gain, use_bias, activation, **kwargs)
        _validation.check_positive_integer("kernel_size", kernel_size, owner="EqualizedConv2D")
        if padding not in ("same", "valid"):
            raise ValueError(f"EqualizedConv2D: padding must be 'same' or 'valid', got {padding!r}.")
        self.filters, self.kernel_size, self.padding = filters, kernel_size, padding

    def build(self, input_shape):
        channels = input_shape[-1]
        shape = (self.kernel_size, self.kernel_size, channels, self.filters)
        self._build_kernel(shape, self.kernel_size**2 * channels, self.filters)

    def call(self, inputs):
        kernel = ops.cast(self.scaled_kernel(), inputs.dtype)
        return self._finish(ops.conv(inputs, kernel, strides=1, padding=self.padding))

    def compute_output_shape(self, input_shape):
        batch, height, width, _ = input_shape
        shrink = 0 if self.padding == "same" else self.kernel_size - 1
        size = lambda n: None if n is None else n - shrink  # noqa: E731
        return (batch, size(height), size(width), self.filters)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "kernel_size": self.kernel_size,
                "padding": self.padding}
