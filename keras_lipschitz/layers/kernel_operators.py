"""The linear maps that a layer's kernels define, as spectral normalization sees them.

Each supported Keras layer stores one or two kernels. For every kernel this
module answers two questions:

* which `keras.Variable` holds it (`layer_kernels`), and
* which linear operator A it applies: `to_operand(kernel)` turns the float32
  kernel into what `apply(operand, x)` and `apply_adjoint(operand, y)` use
  on vectors of the operator's input and output spaces.

Two views exist:

* `"matrix"`: the kernel viewed as a batch of matrices of shape
  `(blocks, rows, cols)` acting as `x -> x @ M` on vectors of shape
  `(blocks, 1, rows)`. `blocks > 1` where the layer is block-diagonal
  (depthwise convolutions, EinsumDense axes shared by input and output); the
  norm of a block-diagonal operator is the largest block norm, which power
  iteration on the whole operator finds. For a plain convolution this is the
  reshaped `(kh*kw*c_in, c_out)` kernel of Miyato et al. (2018).
* `"operator"`: convolutions applied as convolutions, with the layer's own
  strides, padding and dilation, at the layer's input shape. Its norm is the
  layer's true operator norm, which the reshaped kernel can under-estimate by
  up to `sqrt(kh*kw)` (Tsuzuku et al. 2018; Singla & Feizi 2021).

Layers without a spatial structure (Dense, EinsumDense, Embedding, and the
1x1 pointwise kernel of a separable convolution) are exactly their matrix, so
both views coincide for them.
"""

import dataclasses
import math
from typing import Callable, Optional

import keras
from keras import ops

MODES = ("matrix", "operator")

# Layer classes, in lookup order, with the attributes that hold their kernels.
_KERNEL_ATTRIBUTES = (
    (keras.layers.Dense, ("kernel",)),
    (keras.layers.EinsumDense, ("kernel",)),
    (keras.layers.Embedding, ("embeddings",)),
    (keras.layers.SeparableConv1D, ("depthwise_kernel", "pointwise_kernel")),
    (keras.layers.SeparableConv2D, ("depthwise_kernel", "pointwise_kernel")),
    (keras.layers.DepthwiseConv1D, ("kernel",)),
    (keras.layers.DepthwiseConv2D, ("kernel",)),
    (keras.layers.Conv1DTranspose, ("kernel",)),
    (keras.layers.Conv2DTranspose, ("kernel",)),
    (keras.layers.Conv3DTranspose, ("kernel",)),
    (keras.layers.Conv1D, ("kernel",)),
    (keras.layers.Conv2D, ("kernel",)),
    (keras.layers.Conv3D, ("kernel",)),
)

SUPPORTED_LAYERS = tuple(cls.__name__ for cls, _ in _KERNEL_ATTRIBUTES)

_CONVOLUTIONS = (
    keras.layers.Conv1D,
    keras.layers.Conv2D,
    keras.layers.Conv3D,
)
_TRANSPOSED_CONVOLUTIONS = (
    keras.layers.Conv1DTranspose,
    keras.layers.Conv2DTranspose,
    keras.layers.Conv3DTranspose,
)
_DEPTHWISE_CONVOLUTIONS = (
    keras.layers.DepthwiseConv1D,
    keras.layers.DepthwiseConv2D,
)
_SEPARABLE_CONVOLUTIONS = (
    keras.layers.SeparableConv1D,
    keras.layers.SeparableConv2D,
)


@dataclasses.dataclass(frozen=True)
class KernelOperator:
    """One kernel of a layer and the linear operator it defines.

    Attributes:
        name: the layer attribute that holds the kernel, e.g. `"kernel"`.
        variable: the `keras.Variable` holding the kernel.
        input_shape: shape of the vectors `x` that `apply` takes.
        output_shape: shape of `apply(operand, x)`.
        to_operand: `to_operand(kernel)`, the float32 kernel in the form that
            `apply` uses (differentiable).
        apply: `apply(operand, x)`, the linear operator applied to `x`.
        apply_adjoint: `apply_adjoint(operand, y)`, the adjoint operator, or
            None to obtain it by automatic differentiation of `apply`.
    """

    name: str
    variable: keras.Variable
    input_shape: tuple
    output_shape: tuple
    to_operand: Callable
    apply: Callable
    apply_adjoint: Optional[Callable] = None


def kernel_attributes(layer):
    """The names of the attributes holding `layer`'s kernels.

    Raises:
        TypeError: when spectral normalization does not support the layer.
    """
    for layer_class, attributes in _KERNEL_ATTRIBUTES:
        if isinstance(layer, layer_class):
            return attributes
    raise TypeError(
        f"SpectralNormalization cannot wrap layer '{layer.name}' of type "
        f"{type(layer).__name__}: it has no kernel that spectral "
        "normalization knows how to normalize. Supported layers: "
        f"{', '.join(SUPPORTED_LAYERS)} (and their subclasses)."
    )


def layer_kernels(layer, mode, input_shape):
    """The `KernelOperator`s of a built `layer`, in the given `mode`.

    Args:
        layer: a built, supported Keras layer.
        mode: `"matrix"` or `"operator"`.
        input_shape: the layer's input shape (batch axis first); its
            non-batch axes must be known in `"operator"` mode for
            convolutions.

    Returns:
        A list of `KernelOperator`, one per kernel.
    """
    operators = []
    for name in kernel_attributes(layer):
        variable = getattr(layer, name)
        if not isinstance(variable, keras.Variable):
            raise TypeError(
                f"SpectralNormalization cannot wrap layer '{layer.name}': its "
                f"`{name}` is a computed tensor, not a variable (LoRA or "
                "quantization is enabled). Wrap the layer before enabling "
                "LoRA or quantization."
            )
        if mode == "operator" and _has_spatial_operator(layer, name):
            operators.append(_convolution_operator(layer, name, variable, input_shape))
        else:
            operators.append(_matrix_operator(layer, name, variable))
    return operators


def _has_spatial_operator(layer, name):
    if isinstance(layer, _SEPARABLE_CONVOLUTIONS):
        # The pointwise kernel is a 1x1, stride-1 convolution: its operator
        # norm is exactly the norm of its matrix.
        return name == "depthwise_kernel"
    return isinstance(
        layer,
        _CONVOLUTIONS + _TRANSPOSED_CONVOLUTIONS + _DEPTHWISE_CONVOLUTIONS,
    )


# ---------------------------------------------------------------------------
# Matrix view


def _matrix_operator(layer, name, variable):
    to_blocks, (blocks, rows, cols) = _matrix_view(layer, name, tuple(variable.shape))

    # One batched matmul each way; vectors are (blocks, 1, rows or cols).
    def apply(matrix, x):
        return ops.matmul(x, matrix)

    def apply_adjoint(matrix, y):
        return ops.matmul(y, ops.swapaxes(matrix, -1, -2))

    return KernelOperator(
        name,
        variable,
        (blocks, 1, rows),
        (blocks, 1, cols),
        to_blocks,
        apply,
        apply_adjoint,
    )


def _matrix_view(layer, name, shape):
    """Returns `(to_blocks, (blocks, rows, cols))` for a kernel of `shape`.

    `to_blocks(kernel)` reshapes the kernel to `(blocks, rows, cols)` so that
    the layer's linear map is `x -> x @ M` block by block.
    """
    if isinstance(layer, keras.layers.EinsumDense):
        return _einsum_view(layer.equation, shape)
    if isinstance(layer, _DEPTHWISE_CONVOLUTIONS) or name == "depthwise_kernel":
        # (*spatial, c_in, multiplier): each input channel is its own block
        # mapping its spatial patch to `multiplier` outputs.
        *spatial, channels, multiplier = shape
        patch = math.prod(spatial)

        def to_blocks(kernel):
            blocks = ops.reshape(kernel, (patch, channels, multiplier))
            return ops.transpose(blocks, (1, 0, 2))

        return to_blocks, (channels, patch, multiplier)
    if isinstance(layer, _TRANSPOSED_CONVOLUTIONS):
        # (*spatial, c_out, c_in): the map goes from c_in to the output patch.
        c_in = shape[-1]
        patch = math.prod(shape[:-1])

        def to_blocks(kernel):
            return ops.transpose(ops.reshape(kernel, (1, patch, c_in)), (0, 2, 1))

        return to_blocks, (1, c_in, patch)
    # Dense (in, out), Embedding (vocabulary, dim), convolutions
    # (*spatial, c_in / groups, c_out): rows are everything but the last axis.
    rows = math.prod(shape[:-1])
    cols = shape[-1]

    def to_blocks(kernel):
        return ops.reshape(kernel, (1, rows, cols))

    return to_blocks, (1, rows, cols)


def _einsum_view(equation, shape):
    """Block-matrix view of an EinsumDense kernel from its equation.

    Kernel axes that also appear in both the input and the output are block
    (batch-like) axes, axes shared with the input only are contracted (rows),
    axes shared with the output only are output axes (columns).
    """
    inputs, rest = equation.replace(" ", "").split(",")
    kernel_axes, outputs = rest.split("->")
    groups = {"block": [], "row": [], "col": []}
    for position, axis in enumerate(kernel_axes):
        in_input, in_output = axis in inputs, axis in outputs
        if in_input and in_output:
            groups["block"].append(position)
        elif in_input:
            groups["row"].append(position)
        elif in_output:
            groups["col"].append(position)
        else:
            raise ValueError(
                f"EinsumDense equation '{equation}' sums kernel axis "
                f"'{axis}' away; SpectralNormalization needs every kernel "
                "axis to appear in the input or the output."
            )
    sizes = {key: math.prod(shape[p] for p in positions) for key, positions in groups.items()}
    permutation = groups["block"] + groups["row"] + groups["col"]

    def to_blocks(kernel):
        kernel = ops.transpose(kernel, permutation)
        return ops.reshape(kernel, (sizes["block"], sizes["row"], sizes["col"]))

    return to_blocks, (sizes["block"], sizes["row"], sizes["col"])


# ---------------------------------------------------------------------------
# Operator view


def _convolution_operator(layer, name, variable, input_shape):
    spatial_input = tuple(input_shape[1:])
    if any(size is None for size in spatial_input):
        raise ValueError(
            f"SpectralNormalization(mode='operator') on layer '{layer.name}' "
            "needs a fully known input shape (except the batch axis) to run "
            f"power iteration on the convolution; got {tuple(input_shape)}. "
            "Give the model a static input shape, or use mode='matrix'."
        )
    input_shape = (1,) + spatial_input
    common = dict(
        strides=layer.strides,
        padding=layer.padding,
        dilation_rate=layer.dilation_rate,
        data_format=layer.data_format,
    )

    if isinstance(layer, _TRANSPOSED_CONVOLUTIONS):

        def apply(kernel, x):
            return ops.conv_transpose(
                x, kernel, output_padding=layer.output_padding, **common
            )

    elif isinstance(layer, _DEPTHWISE_CONVOLUTIONS + _SEPARABLE_CONVOLUTIONS):

        def apply(kernel, x):
            return ops.depthwise_conv(x, kernel, **common)

    else:
        padding = common.pop("padding")
        causal = _causal_padding(layer) if padding == "causal" else None

        def apply(kernel, x):
            if causal is not None:
                # Causal padding is a zero pad (an isometry) before a
                # 'valid' convolution, as in keras.layers.Conv1D.
                x = ops.pad(x, causal)
                return ops.conv(x, kernel, padding="valid", **common)
            return ops.conv(x, kernel, padding=padding, **common)

    # Static shape inference, also inside a graph.
    output_shape = tuple(
        apply(ops.zeros(variable.shape), ops.zeros(input_shape)).shape
    )
    return KernelOperator(
        name, variable, input_shape, output_shape, _identity, apply
    )


def _identity(kernel):
    return kernel


def _causal_padding(layer):
    left = layer.dilation_rate[0] * (layer.kernel_size[0] - 1)
    if layer.data_format == "channels_first":
        return ((0, 0), (0, 0), (left, 0))
    return ((0, 0), (left, 0), (0, 0))
