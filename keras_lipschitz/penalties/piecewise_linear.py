"""Which critics are piecewise linear in their input, layer by layer.

For a piecewise-linear critic (linear layers, ReLU-family activations,
pooling, reshaping) the input gradient `grad_x D(x)` depends on the weights
only through the backward pass: the forward activations enter only as
constant masks, whose derivative is zero almost everywhere. The gradient of a
gradient penalty then needs no backpropagation through the forward pass,
which TensorFlow would otherwise run on all-zero cotangents. The check is
conservative: any layer it does not know makes the critic "not piecewise
linear", and the exact general path is used.
"""

import keras

_LINEAR_LAYERS = (
    keras.layers.Dense,
    keras.layers.EinsumDense,
    keras.layers.Conv1D,
    keras.layers.Conv2D,
    keras.layers.Conv3D,
    keras.layers.Conv1DTranspose,
    keras.layers.Conv2DTranspose,
    keras.layers.Conv3DTranspose,
    keras.layers.DepthwiseConv1D,
    keras.layers.DepthwiseConv2D,
    keras.layers.SeparableConv1D,
    keras.layers.SeparableConv2D,
)
_SHAPE_AND_PIECEWISE_LAYERS = (
    keras.layers.InputLayer,
    keras.layers.Flatten,
    keras.layers.Reshape,
    keras.layers.Permute,
    keras.layers.ZeroPadding1D,
    keras.layers.ZeroPadding2D,
    keras.layers.ZeroPadding3D,
    keras.layers.Cropping1D,
    keras.layers.Cropping2D,
    keras.layers.Cropping3D,
    keras.layers.Dropout,
    keras.layers.LeakyReLU,
    keras.layers.ReLU,
    keras.layers.MaxPooling1D,
    keras.layers.MaxPooling2D,
    keras.layers.MaxPooling3D,
    keras.layers.AveragePooling1D,
    keras.layers.AveragePooling2D,
    keras.layers.AveragePooling3D,
    keras.layers.GlobalAveragePooling1D,
    keras.layers.GlobalAveragePooling2D,
    keras.layers.GlobalAveragePooling3D,
    keras.layers.GlobalMaxPooling1D,
    keras.layers.GlobalMaxPooling2D,
    keras.layers.GlobalMaxPooling3D,
    keras.layers.Add,
    keras.layers.Subtract,
    keras.layers.Average,
    keras.layers.Concatenate,
)
_PIECEWISE_ACTIVATIONS = ("linear", "relu", "leaky_relu", "relu6")


def _piecewise_activation(activation):
    if activation is None:
        return True
    return getattr(activation, "__name__", None) in _PIECEWISE_ACTIVATIONS


def is_piecewise_linear(critic):
    """True when every layer of a Keras `critic` is known piecewise linear.

    Args:
        critic: a Keras model (Sequential or functional), or anything else
            (which returns False).

    Returns:
        bool.
    """
    if not isinstance(critic, keras.Model):
        return False
    return all(_layer_is_piecewise_linear(layer) for layer in critic.layers)


def _layer_is_piecewise_linear(layer):
    if isinstance(layer, keras.Model):
        return is_piecewise_linear(layer)
    if isinstance(layer, keras.layers.Activation):
        return _piecewise_activation(layer.activation)
    if isinstance(layer, _LINEAR_LAYERS):
        # Reparametrized kernels (LoRA, quantization) are not plain variables.
        return _piecewise_activation(getattr(layer, "activation", None)) and not getattr(
            layer, "lora_enabled", False
        )
    return isinstance(layer, _SHAPE_AND_PIECEWISE_LAYERS)
