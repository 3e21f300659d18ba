"""SpectralNormalization against independent oracles.

Oracles: numpy SVD of the kernel viewed as a matrix (written here, not taken
from the library), the largest singular value of the explicit Jacobian of
small convolutions, and autodiff through W / sigma_svd(W) with the backend's
SVD. Runs on TensorFlow and JAX (tests/on_backend.py).
"""

import math

import keras
import numpy as np
import pytest
from keras import ops

from keras_lipschitz.layers import SpectralNormalization
from on_backend import gradients
from on_backend import jacobian
from on_backend import training_call

RNG = np.random.default_rng(7)


def _normal(*shape):
    return RNG.normal(size=shape).astype("float32")


def _top_singular_value(matrix):
    return float(np.linalg.svd(np.asarray(matrix, np.float64), compute_uv=False)[0])


# ---------------------------------------------------------------------------
# Matrix mode vs numpy SVD, for every supported layer kind.


def _svd_depthwise(kernel):
    # One block per input channel: (spatial patch) x (depth multiplier).
    channels = kernel.shape[-2]
    return max(
        _top_singular_value(kernel[..., c, :].reshape(-1, kernel.shape[-1]))
        for c in range(channels)
    )


def _svd_last_axis(kernel):
    return _top_singular_value(kernel.reshape(-1, kernel.shape[-1]))


def _svd_einsum_shared_first(kernel):
    # "abc,bcd->abd": kernel axis b is shared by input and output: blocks.
    return max(_top_singular_value(kernel[b]) for b in range(kernel.shape[0]))


def _svd_einsum_split_output(kernel):
    # "abc,cde->abde": c maps to the (d, e) output.
    return _top_singular_value(kernel.reshape(kernel.shape[0], -1))


MATRIX_CASES = [
    # (layer factory, input, {kernel attribute: numpy oracle})
    (lambda: keras.layers.Dense(7), _normal(3, 11), {"kernel": _svd_last_axis}),
    (
        lambda: keras.layers.EinsumDense("abc,cde->abde", output_shape=(None, 4, 5)),
        _normal(2, 3, 6),
        {"kernel": _svd_einsum_split_output},
    ),
    (
        lambda: keras.layers.EinsumDense("abc,bcd->abd", output_shape=(3, 4)),
        _normal(2, 3, 6),
        {"kernel": _svd_einsum_shared_first},
    ),
    (lambda: keras.layers.Embedding(13, 6), RNG.integers(0, 13, (2, 5)), {"embeddings": _svd_last_axis}),
    (lambda: keras.layers.Conv1D(5, 3), _normal(2, 9, 4), {"kernel": _svd_last_axis}),
    (lambda: keras.layers.Conv2D(6, 3), _normal(2, 7, 7, 3), {"kernel": _svd_last_axis}),
    (lambda: keras.layers.Conv3D(4, 2), _normal(1, 4, 4, 4, 2), {"kernel": _svd_last_axis}),
    # Transposed kernels are (*spatial, c_out, c_in): the matrix is
    # (c_in) x (patch * c_out); its transpose has the same singular values.
    (lambda: keras.layers.Conv1DTranspose(5, 3), _normal(2, 6, 4), {"kernel": _svd_last_axis}),
    (lambda: keras.layers.Conv2DTranspose(5, 3, strides=2), _normal(2, 4, 4, 3), {"kernel": _svd_last_axis}),
    (lambda: keras.layers.Conv3DTranspose(3, 2), _normal(1, 3, 3, 3, 2), {"kernel": _svd_last_axis}),
    (lambda: keras.layers.DepthwiseConv1D(3, depth_multiplier=2), _normal(2, 8, 3), {"kernel": _svd_depthwise}),
    (lambda: keras.layers.DepthwiseConv2D(3, depth_multiplier=3), _normal(2, 6, 6, 4), {"kernel": _svd_depthwise}),
    (
        lambda: keras.layers.SeparableConv1D(4, 3, depth_multiplier=2),
        _normal(2, 8, 3),
        {"depthwise_kernel": _svd_depthwise, "pointwise_kernel": _svd_last_axis},
    ),
    (
        lambda: keras.layers.SeparableConv2D(5, 3),
        _normal(2, 6, 6, 3),
        {"depthwise_kernel": _svd_depthwise, "pointwise_kernel": _svd_last_axis},
    ),
]


def _case_id(case):
    layer = case[0]()
    return f"{type(layer).__name__}-{getattr(layer, 'equation', '')}"


def _converge(wrapper, inputs, calls=4):
    """Advances the power iteration by `calls` training calls (traced once)."""
    step = training_call(wrapper, inputs)
    for _ in range(calls):
        step()


@pytest.mark.parametrize("case", MATRIX_CASES, ids=_case_id)
def test_matrix_sigma_matches_numpy_svd(case):
    make_layer, inputs, oracles = case
    wrapper = SpectralNormalization(make_layer(), power_iterations=250)
    _converge(wrapper, inputs)
    sigmas = {name: float(value) for name, value in wrapper.sigmas.items()}
    assert set(sigmas) == set(oracles)
    for name, oracle in oracles.items():
        expected = oracle(getattr(wrapper.layer, name).numpy())
        assert sigmas[name] == pytest.approx(expected, rel=1e-4), name
    assert float(wrapper.sigma) == pytest.approx(math.prod(sigmas.values()), rel=1e-6)


@pytest.mark.parametrize("case", MATRIX_CASES, ids=_case_id)
def test_output_equals_layer_with_kernel_divided_by_svd_sigma(case):
    make_layer, inputs, oracles = case
    wrapper = SpectralNormalization(make_layer(), power_iterations=250, lipschitz_constant=1.5)
    _converge(wrapper, inputs)
    # An independent copy of the layer, its kernels replaced by 1.5 W / sigma.
    reference = make_layer()
    reference.build(np.shape(inputs))
    for name, oracle in oracles.items():
        kernel = getattr(wrapper.layer, name).numpy()
        getattr(reference, name).assign(1.5 * kernel / oracle(kernel))
    for variable in wrapper.layer.weights:
        if "kernel" not in variable.path and "embeddings" not in variable.path:
            [twin] = [v for v in reference.weights if v.path.split("/")[-1] == variable.path.split("/")[-1]]
            twin.assign(variable.numpy())
    np.testing.assert_allclose(
        wrapper(inputs, training=False), reference(inputs), rtol=2e-4, atol=2e-5
    )


def test_kernel_is_never_overwritten_and_training_advances_state():
    wrapper = SpectralNormalization(keras.layers.Dense(5))
    x = _normal(4, 6)
    wrapper.build(x.shape)
    kernel_before = wrapper.layer.kernel.numpy().copy()
    vector_before = wrapper.non_trainable_weights[0].numpy().copy()
    wrapper(x, training=False)
    np.testing.assert_array_equal(wrapper.non_trainable_weights[0].numpy(), vector_before)
    for _ in range(3):
        wrapper(x, training=True)
    np.testing.assert_array_equal(wrapper.layer.kernel.numpy(), kernel_before)
    assert not np.allclose(wrapper.non_trainable_weights[0].numpy(), vector_before)


def test_inference_divides_by_the_sigma_a_training_call_would_use():
    wrapper = SpectralNormalization(keras.layers.Conv2D(4, 3), power_iterations=1)
    x = _normal(2, 6, 6, 3)
    wrapper.build(x.shape)
    state = wrapper.non_trainable_weights[0]
    before = state.numpy().copy()
    inferred = wrapper(x, training=False)
    np.testing.assert_array_equal(state.numpy(), before)  # inference never writes
    trained = wrapper(x, training=True)  # same state, one step: same sigma
    np.testing.assert_allclose(inferred, trained, rtol=1e-5, atol=1e-6)
    assert not np.allclose(state.numpy(), before)


def test_state_is_a_non_trainable_float32_weight_named_after_the_kernel():
    wrapper = SpectralNormalization(keras.layers.SeparableConv2D(4, 3))
    wrapper.build((None, 6, 6, 3))
    state = [w for w in wrapper.non_trainable_weights]
    assert [w.name for w in state] == ["depthwise_kernel_singular_vector", "pointwise_kernel_singular_vector"]
    assert all(w.dtype == "float32" for w in state)
    assert {id(w) for w in wrapper.trainable_weights} == {id(w) for w in wrapper.layer.trainable_weights}


# ---------------------------------------------------------------------------
# Operator mode vs the explicit Jacobian of small convolutions.


def _linear_copy(layer):
    """The layer's linear part: same config without bias and activation."""
    config = layer.get_config()
    config.update(use_bias=False, activation=None, name=None)
    return type(layer).from_config(config)


def _jacobian_matrix(layer, input_shape):
    x = np.zeros((1,) + tuple(input_shape[1:]), "float32")
    matrix = jacobian(lambda x: layer(x, training=False), x)
    return matrix.reshape(-1, x.size)


def _true_operator_norm(layer, kernel_name, input_shape):
    linear = _linear_copy(layer)
    linear.build(input_shape)
    getattr(linear, kernel_name).assign(getattr(layer, kernel_name).numpy())
    if kernel_name == "depthwise_kernel":  # isolate the depthwise part
        linear.pointwise_kernel.assign(np.eye(linear.pointwise_kernel.shape[-2], linear.pointwise_kernel.shape[-1])[None, None])
    return _top_singular_value(_jacobian_matrix(linear, input_shape))


OPERATOR_CASES = [
    (lambda: keras.layers.Conv2D(3, 3, strides=1, padding="same"), (1, 6, 6, 2)),
    (lambda: keras.layers.Conv2D(3, 3, strides=1, padding="valid"), (1, 6, 6, 2)),
    (lambda: keras.layers.Conv2D(3, 3, strides=2, padding="same"), (1, 7, 7, 2)),
    (lambda: keras.layers.Conv2D(3, 4, strides=2, padding="valid"), (1, 8, 8, 2)),
    (lambda: keras.layers.Conv2D(3, 3, dilation_rate=2, padding="same"), (1, 7, 7, 2)),
    (lambda: keras.layers.Conv2DTranspose(3, 3, strides=2, padding="same"), (1, 4, 4, 2)),
    (lambda: keras.layers.Conv2DTranspose(3, 4, strides=2, padding="valid"), (1, 3, 3, 2)),
    (lambda: keras.layers.Conv2DTranspose(2, 3, strides=1, padding="same"), (1, 5, 5, 3)),
    (lambda: keras.layers.Conv1D(3, 3, padding="causal"), (1, 9, 2)),
    (lambda: keras.layers.Conv1D(4, 5, strides=2), (1, 12, 3)),
    (lambda: keras.layers.Conv1DTranspose(2, 3, strides=2), (1, 5, 3)),
    (lambda: keras.layers.Conv3D(2, 2, padding="same"), (1, 3, 3, 3, 2)),
    (lambda: keras.layers.DepthwiseConv2D(3, strides=2, depth_multiplier=2, padding="same"), (1, 6, 6, 2)),
    (lambda: keras.layers.SeparableConv2D(3, 3, padding="same"), (1, 5, 5, 2)),
]


@pytest.mark.parametrize("case", OPERATOR_CASES, ids=lambda c: type(c[0]()).__name__ + str(c[1]))
def test_operator_sigma_matches_explicit_jacobian(case):
    make_layer, input_shape = case
    wrapper = SpectralNormalization(make_layer(), mode="operator", power_iterations=100)
    x = _normal(*input_shape)
    _converge(wrapper, x, calls=3)
    layer = wrapper.layer
    name = "depthwise_kernel" if isinstance(layer, keras.layers.SeparableConv2D) else "kernel"
    expected = _true_operator_norm(layer, name, input_shape)
    assert float(wrapper.sigmas[name]) == pytest.approx(expected, rel=1e-4)


@pytest.mark.parametrize("lipschitz_constant", [1.0, 2.5])
def test_operator_mode_makes_the_layer_exactly_k_lipschitz(lipschitz_constant):
    layer = keras.layers.Conv2D(4, 3, strides=2, padding="same", use_bias=False)
    wrapper = SpectralNormalization(
        layer, mode="operator", power_iterations=100, lipschitz_constant=lipschitz_constant
    )
    input_shape = (1, 6, 6, 3)
    _converge(wrapper, _normal(*input_shape), calls=3)
    assert _top_singular_value(_jacobian_matrix(wrapper, input_shape)) == pytest.approx(lipschitz_constant, rel=1e-4)


def test_reshaped_kernel_underestimates_the_convolution_within_sqrt_kh_kw():
    # Tsuzuku et al. 2018 / Singla & Feizi 2021: for stride 1,
    # ||R|| <= ||conv|| <= sqrt(kh*kw) ||R||, and random kernels sit well
    # above the lower end, which is why operator mode exists.
    input_shape = (1, 8, 8, 8)
    x = _normal(*input_shape)
    matrix = SpectralNormalization(keras.layers.Conv2D(8, 3, padding="same"), power_iterations=100)
    matrix(x, training=True)
    operator = SpectralNormalization(keras.layers.Conv2D(8, 3, padding="same"), mode="operator", power_iterations=100)
    operator(x, training=True)
    operator.layer.kernel.assign(matrix.layer.kernel.numpy())
    _converge(operator, x, calls=2)
    reshaped = float(matrix.sigma)
    true = float(operator.sigma)
    assert reshaped * 1.2 < true <= 3.0 * reshaped * (1 + 1e-5)


# ---------------------------------------------------------------------------
# Gradients: through W / sigma(W) with sigma differentiated (eq. 12).


def _svd_sigma(matrix):
    return ops.svd(matrix, compute_uv=False)[0]


def _dense_oracle_output(kernel, bias, x, sigma=None):
    sigma = _svd_sigma(kernel) if sigma is None else sigma
    return ops.matmul(x, kernel / sigma) + bias


def _conv_oracle_output(kernel, bias, x, sigma=None):
    sigma = _svd_sigma(ops.reshape(kernel, (-1, kernel.shape[-1]))) if sigma is None else sigma
    return ops.conv(x, kernel / sigma, strides=1, padding="valid") + bias


def _conv_operator_oracle_output(kernel, bias, x, sigma=None):
    # The convolution as an explicit matrix (one basis image per row), so
    # the SVD gives its exact norm, differentiable in the kernel.
    if sigma is None:
        size = int(np.prod(x.shape[1:]))
        basis = ops.reshape(ops.eye(size), (size,) + tuple(x.shape[1:]))
        sigma = _svd_sigma(ops.reshape(ops.conv(basis, kernel, strides=1, padding="same"), (size, -1)))
    return ops.conv(x, kernel / sigma, strides=1, padding="same") + bias


GRADIENT_CASES = [
    ("dense", lambda: keras.layers.Dense(4), "matrix", _normal(5, 6), _dense_oracle_output),
    ("conv", lambda: keras.layers.Conv2D(3, 3), "matrix", _normal(2, 5, 5, 2), _conv_oracle_output),
    (
        "conv-operator",
        lambda: keras.layers.Conv2D(3, 3, padding="same"),
        "operator",
        _normal(2, 4, 4, 2),
        _conv_operator_oracle_output,
    ),
]


@pytest.mark.parametrize("case", GRADIENT_CASES, ids=lambda c: c[0])
def test_gradient_flows_through_sigma_like_svd_autodiff(case):
    _, make_layer, mode, x, oracle = case
    wrapper = SpectralNormalization(make_layer(), mode=mode, power_iterations=200)
    _converge(wrapper, x, calls=2)
    weights = RNG.normal(size=wrapper(x).shape).astype("float32")
    kernel, bias = wrapper.layer.kernel, wrapper.layer.bias
    ours, grads = gradients(lambda tape: ops.sum(wrapper(x, training=True) * weights), [kernel, bias])

    # The oracle differentiates its own copies of the weights.
    kernel_copy, bias_copy = keras.Variable(kernel.numpy()), keras.Variable(bias.numpy())
    expected, expected_grads = gradients(
        lambda tape: ops.sum(oracle(ops.convert_to_tensor(kernel_copy), ops.convert_to_tensor(bias_copy), x) * weights), [kernel_copy, bias_copy])

    assert float(ours) == pytest.approx(float(expected), rel=1e-4)
    np.testing.assert_allclose(grads[0], expected_grads[0], rtol=2e-3, atol=2e-5)
    np.testing.assert_allclose(grads[1], expected_grads[1], rtol=1e-5, atol=1e-6)
    # The sigma term matters: with sigma frozen (the 'assign W / sigma back' variants), the kernel gradient differs.
    sigma = float(wrapper.sigmas["kernel"])
    _, frozen = gradients(lambda tape: ops.sum(oracle(ops.convert_to_tensor(kernel_copy), ops.convert_to_tensor(bias_copy), x, sigma) * weights),
                          [kernel_copy])
    assert np.abs(np.asarray(grads[0]) - np.asarray(frozen[0])).max() > 1e-3
