"""Spectral normalization as a true reparametrization of a layer's kernel."""

import keras
from keras import ops

from keras_lipschitz import _keras_internals
from keras_lipschitz import _validation
from keras_lipschitz.layers import kernel_operators
from keras_lipschitz.layers import power_iteration


@keras.saving.register_keras_serializable(package="keras_lipschitz")
class SpectralNormalization(keras.layers.Wrapper):
    """Divides a layer's kernel by its largest singular value on every call.

    The wrapped layer computes with `W_SN = lipschitz_constant * W / sigma(W)`,
    where `sigma(W)` is estimated by power iteration inside the graph. Unlike
    `keras.layers.SpectralNormalization`, the trainable kernel `W` is never
    overwritten: the gradient of the loss flows through both `W` and
    `sigma(W)`, with the singular vectors held constant, exactly as in
    Miyato et al. (2018), eq. 12.

    The power-iteration state (one vector per kernel, the paper's `u`, in the
    operator's output space) is a non-trainable float32 weight. It advances by
    `power_iterations` steps on every call with `training=True`; inference
    only reads it. Under `tf.distribute` it is a mirrored variable whose
    update is taken from the first replica (every replica computes the same
    vector from the same kernel). Under mixed precision, sigma is computed
    from the float32 kernel and the layer still outputs its compute dtype.

    Args:
        layer: the layer to wrap: `Dense`, `EinsumDense`, `Embedding`,
            `Conv1D/2D/3D`, `Conv1D/2D/3DTranspose`, `DepthwiseConv1D/2D` or
            `SeparableConv1D/2D` (both kernels are normalized), or a subclass.
        power_iterations: int >= 1, power-iteration steps per training call.
        mode: `"matrix"` (default) normalizes the kernel reshaped to a matrix
            (`(kh*kw*c_in, c_out)` for a convolution, as in the paper);
            `"operator"` runs power iteration on the convolution itself, with
            the layer's strides, padding and dilation at its input shape, so
            the layer's true operator norm becomes `lipschitz_constant`. The
            matrix bound can be up to `sqrt(kh*kw)` too small for a
            convolution. Both modes coincide for Dense, EinsumDense and
            Embedding.
        lipschitz_constant: positive float, the spectral norm that the
            normalized kernel gets (1 in the paper).
        epsilon: positive float, the smallest sigma divided by: an all-zero
            kernel gives an all-zero `W_SN` instead of NaN, and kernels with
            sigma below epsilon are scaled by `1 / epsilon` only.
        **kwargs: base `Layer` arguments (`name`, `dtype`, ...).

    Returns:
        The wrapped layer's output, computed with the normalized kernel.

    Example:

    ```python
    import keras
    import numpy as np
    from keras_lipschitz.layers import SpectralNormalization

    layer = SpectralNormalization(keras.layers.Dense(8), power_iterations=30)
    x = np.random.default_rng(0).normal(size=(4, 16)).astype("float32")
    y = layer(x, training=True)  # updates the power-iteration state
    kernel = layer.layer.kernel.numpy()
    print(float(layer.sigma), np.linalg.norm(kernel, 2))  # nearly equal
    ```

    Reference:
        Miyato, Kataoka, Koyama, Yoshida. "Spectral Normalization for
        Generative Adversarial Networks", ICLR 2018, eq. 8 (W_SN = W /
        sigma(W)), Algorithm 1 (power iteration) and eq. 12 (its gradient).
        Operator mode: Tsuzuku, Sato, Sugiyama, "Lipschitz-Margin Training",
        NeurIPS 2018; Singla & Feizi, "Fantastic Four", ICLR 2021.
    """

    def __init__(
        self,
        layer,
        power_iterations=1,
        mode="matrix",
        lipschitz_constant=1.0,
        epsilon=1e-12,
        **kwargs,
    ):
        if not isinstance(layer, keras.layers.Layer):
            raise TypeError(
                "SpectralNormalization expects a Keras layer to wrap, got "
                f"{type(layer).__name__}: {layer!r}."
            )
        kernel_operators.kernel_attributes(layer)  # Raises if unsupported.
        _validation.check_positive_integer(
            "power_iterations", power_iterations, owner="SpectralNormalization", hint="one is the paper's choice"
        )
        if mode not in kernel_operators.MODES:
            raise ValueError(
                f"SpectralNormalization mode must be one of "
                f"{kernel_operators.MODES}, got mode={mode!r}."
            )
        for name, value in (("lipschitz_constant", lipschitz_constant), ("epsilon", epsilon)):
            _validation.check_finite_number(name, value, positive=True, owner="SpectralNormalization")
        super().__init__(layer, **kwargs)
        self.power_iterations = power_iterations
        self.mode = mode
        self.lipschitz_constant = float(lipschitz_constant)
        self.epsilon = float(epsilon)
        self._operators = []
        self._singular_vectors = []

    def build(self, input_shape):
        super().build(input_shape)
        self._operators = kernel_operators.layer_kernels(
            self.layer, self.mode, input_shape
        )
        self._singular_vectors = [
            self.add_weight(
                name=f"{operator.name}_singular_vector",
                shape=operator.output_shape,
                initializer=keras.initializers.RandomNormal(stddev=1.0),
                dtype="float32",
                trainable=False,
                autocast=False,
                # Every replica computes the same vector from the same kernel;
                # taking the first replica's avoids an all-reduce.
                aggregation="only_first_replica",
            )
            for operator in self._operators
        ]

    def call(self, inputs, training=None):
        mapping = [
            (operator.variable, self._normalized_kernel(operator, vector, training))
            for operator, vector in zip(self._operators, self._singular_vectors)
        ]
        # The wrapped layer reads W_SN in place of its kernel variable: the
        # variable is never assigned, and gradients flow through sigma.
        parent = _keras_internals.get_stateless_scope()
        if parent is not None:
            inherited = [(v, parent.get_current_value(v)) for v in self.layer.variables]
            mapping = [(v, value) for v, value in inherited if value is not None] + mapping
        with keras.StatelessScope(state_mapping=mapping, collect_losses=True) as scope:
            outputs = self.layer(inputs)
        for loss in scope.losses:  # e.g. the wrapped layer's activity regularizer
            self.add_loss(loss)
        return _cast_floats(outputs, self.compute_dtype)

    def _normalized_kernel(self, operator, singular_vector, training):
        kernel = _float32_value(operator.variable)
        # Inference only reads the state: one half-step from the stored u.
        iterations = self.power_iterations if training else 1
        sigma, next_vector = self._spectral_norm(
            operator, kernel, singular_vector, iterations
        )
        if training:
            singular_vector.assign(next_vector)
        scale = self.lipschitz_constant / ops.maximum(sigma, self.epsilon)
        return ops.cast(kernel * scale, operator.variable.dtype)

    @staticmethod
    def _spectral_norm(operator, kernel, singular_vector, iterations):
        return power_iteration.spectral_norm(
            operator.apply,
            operator.to_operand(kernel),
            singular_vector.value,
            operator.input_shape,
            iterations=iterations,
            apply_adjoint=operator.apply_adjoint,
        )

    @property
    def sigmas(self):
        """Current estimate of each kernel's largest singular value.

        A dict from kernel attribute name (`"kernel"`, `"depthwise_kernel"`,
        ...) to a float32 scalar, computed from the stored state and the
        current kernel without advancing the power iteration: the value the
        next inference call divides by.
        """
        if not self.built:
            raise ValueError(
                f"SpectralNormalization layer '{self.name}' is not built yet: "
                "call it on an input (or build it) before reading sigma."
            )
        return {
            operator.name: self._spectral_norm(
                operator, _float32_value(operator.variable), vector, iterations=1
            )[0]
            for operator, vector in zip(self._operators, self._singular_vectors)
        }

    def normalized_kernels(self):
        """The kernels the next inference call computes with, `W_SN = c * W / sigma`.

        A dict from each normalized kernel variable's path to its float32
        normalized value, with sigma from the
        current kernel and stored state (what `sigmas` returns). Used to fold
        the normalization into a plain layer for export.
        """
        sigmas = self.sigmas
        return {
            operator.variable.path: _float32_value(operator.variable)
            * (self.lipschitz_constant / ops.maximum(sigmas[operator.name], self.epsilon))
            for operator in self._operators
        }

    @property
    def sigma(self):
        """The wrapped layer's estimated spectral norm before normalization.

        For one-kernel layers, that kernel's largest singular value; for a
        separable convolution, the product of both kernels' (a bound on the
        composition).
        """
        sigmas = list(self.sigmas.values())
        result = sigmas[0]
        for value in sigmas[1:]:
            result = result * value
        return result

    def compute_output_shape(self, input_shape):
        return self.layer.compute_output_shape(input_shape)

    def get_config(self):
        config = {
            "power_iterations": self.power_iterations,
            "mode": self.mode,
            "lipschitz_constant": self.lipschitz_constant,
            "epsilon": self.epsilon,
        }
        return {**super().get_config(), **config}


def _float32_value(variable):
    """The stored value as float32, never the float16 autocast copy."""
    with _keras_internals.AutocastScope(None):
        return ops.cast(variable.value, "float32")


def _cast_floats(outputs, dtype):
    def cast(x):
        if keras.backend.is_float_dtype(x.dtype):
            return ops.cast(x, dtype)
        return x

    return keras.tree.map_structure(cast, outputs)
