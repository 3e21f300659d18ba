"""Gradient penalties against TF-GAN and closed forms; OrthogonalRegularizer. On TensorFlow and JAX."""

import keras
import numpy as np
import pytest
import scipy.stats
import tensorflow as tf  # TF-GAN's reference, on a TensorFlow twin of the critic on either backend
from keras import ops

from keras_lipschitz import _tfgan
from keras_lipschitz import backend
from keras_lipschitz.penalties import OrthogonalRegularizer
from keras_lipschitz.penalties import critic_input_gradients
from keras_lipschitz.penalties import dragan_penalty
from keras_lipschitz.penalties import gradient_penalty
from keras_lipschitz.penalties import lazy_penalty
from keras_lipschitz.penalties import r1_penalty
from keras_lipschitz.penalties import r2_penalty
from on_backend import TensorFlowTwin
from on_backend import compiled
from on_backend import compiled_with_state
from on_backend import dtype_name
from on_backend import gradients
from on_backend import jacobian
from on_backend import tensorflow_only

RNG = np.random.default_rng(11)


def _conv_critic(dtype=None, conditional=False):
    images = keras.Input((6, 6, 2))
    x = keras.layers.Conv2D(4, 3, strides=2, padding="same", dtype=dtype)(images)
    x = keras.layers.LeakyReLU(0.2, dtype=dtype)(x)
    x = keras.layers.Flatten(dtype=dtype)(x)
    if not conditional:
        return keras.Model(images, keras.layers.Dense(1, dtype=dtype)(x))
    labels = keras.Input((), dtype="int32")
    embedded = keras.layers.Embedding(3, x.shape[-1], dtype=dtype)(labels)
    projection = keras.layers.Dot(axes=1, dtype=dtype)([x, embedded])
    return keras.Model([images, labels], keras.layers.Add(dtype=dtype)([keras.layers.Dense(1, dtype=dtype)(x), projection]))


def _images(batch=8):
    return RNG.normal(size=(batch, 6, 6, 2)).astype("float32")


def _smooth_critic():
    # tanh gives non-zero second derivatives, so double backprop matters.
    return keras.Sequential(
        [keras.Input((6, 6, 2)), keras.layers.Flatten(), keras.layers.Dense(5, activation="tanh"), keras.layers.Dense(1)]
    )


# ---------------------------------------------------------------------------
# TF-GAN parity.


def _interpolates(real, fake, eps):
    eps = eps[:, None, None, None]
    return eps * real + (1 - eps) * fake


def _tfgan_penalty(twin, interpolates, **kwargs):
    """TF-GAN's penalty of a `TensorFlowTwin` at exactly these points (graph mode only).

    real == generated == interpolates makes TF-GAN's own interpolation the
    identity, so both implementations see the same points.
    """
    return _tfgan.losses_impl().wasserstein_gradient_penalty(
        interpolates, interpolates, None, lambda x, _: twin(x), "critic", **kwargs
    )


@pytest.mark.parametrize("one_sided", [False, True])
@pytest.mark.parametrize("target", [1.0, 0.5])
def test_parity_with_tfgan_wasserstein_gradient_penalty(one_sided, target):
    critic = _smooth_critic()
    real, fake = _images(), _images()
    eps = RNG.uniform(size=(8,)).astype("float32")
    interpolates = _interpolates(real, fake, eps)

    twin = TensorFlowTwin(critic)

    @tf.function
    def reference():
        return _tfgan_penalty(twin, interpolates, target=target, one_sided=one_sided)

    @compiled
    def ours():
        return gradient_penalty(
            critic, real, fake, weight=1.0, target=target, one_sided=one_sided, interpolation_weights=eps
        )

    expected = float(reference())
    assert expected > 0
    assert float(ours()) == pytest.approx(expected, rel=1e-5)


def _patch_critic(shape):
    """A smooth critic with several logits per sample: (batch, 4) or (batch, 2, 2)."""
    return keras.Sequential([keras.Input((6, 6, 2)), keras.layers.Flatten(), keras.layers.Dense(5, activation="tanh"),
                             keras.layers.Dense(4), keras.layers.Reshape(shape)])


@pytest.mark.parametrize("shape", [(4,), (2, 2)])
def test_parity_with_tfgan_on_a_patch_critic(shape):
    # TF-GAN differentiates the sum of the critic's logits (PyTorch: grad_outputs=ones).
    critic = _patch_critic(shape)
    real, fake = _images(), _images()
    eps = RNG.uniform(size=(8,)).astype("float32")
    twin = TensorFlowTwin(critic)
    expected = float(tf.function(lambda: _tfgan_penalty(twin, _interpolates(real, fake, eps)))())
    ours = float(gradient_penalty(critic, real, fake, weight=1.0, interpolation_weights=eps))
    assert ours == pytest.approx(expected, rel=1e-5)
    # ... and R1 is gamma / 2 * ||d sum(logits) / dx||^2, against an explicit Jacobian.
    full = jacobian(lambda x: critic(x), real).reshape(8, 4, 8, -1)
    per_sample = full[np.arange(8), :, np.arange(8)]  # d logits_i / d x_i: (8, 4, 72)
    expected_r1 = np.mean(0.5 * 2.0 * np.sum(per_sample.sum(axis=1) ** 2, axis=1))
    assert float(r1_penalty(critic, real, gamma=2.0)) == pytest.approx(expected_r1, rel=1e-5)


def test_penalty_weight_can_be_a_variable_for_schedules():
    critic = _smooth_critic()
    real, fake = _images(), _images()
    eps = RNG.uniform(size=(8,)).astype("float32")
    weight = keras.Variable(2.0, trainable=False)
    step = compiled(lambda: gradient_penalty(critic, real, fake, weight=weight, interpolation_weights=eps))
    at_two = float(step())
    weight.assign(0.5)  # a schedule lowers it between steps: the same traced step sees the new value
    assert float(step()) == pytest.approx(at_two / 4, rel=1e-6)


@pytest.mark.parametrize("pass_tape", [False, True])
def test_penalty_gradient_matches_tfgan_double_backprop(pass_tape):
    # tanh has a non-zero second derivative: double backprop through the
    # forward pass matters, and passing the tape must not skip it (the fast
    # path is for piecewise-linear critics only).
    critic = _smooth_critic()
    real, fake = _images(), _images()
    eps = RNG.uniform(size=(8,)).astype("float32")
    interpolates = _interpolates(real, fake, eps)

    twin = TensorFlowTwin(critic)

    @tf.function
    def reference():
        with tf.GradientTape() as tape:
            penalty = _tfgan_penalty(twin, interpolates)
        return tape.gradient(penalty, twin.variables)

    _, ours = compiled(lambda: gradients(
        lambda tape: gradient_penalty(critic, real, fake, weight=1.0, interpolation_weights=eps,
                                      tape=tape if pass_tape else None), critic.trainable_variables))()
    expected = reference()
    # The last bias does not move the input gradient: TF-GAN has no gradient for it, ours is zero.
    assert [g is None for g in expected] == [False, False, False, True]
    np.testing.assert_array_equal(ours[3], 0.0)
    for a, b in zip(ours[:3], expected[:3]):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-7)


# ---------------------------------------------------------------------------
# Closed forms.


def _linear_critic(dimension=5, seed=0):
    critic = keras.Sequential([keras.Input((dimension,)), keras.layers.Dense(1)])
    w = np.random.default_rng(seed).normal(size=(dimension, 1)).astype("float32")
    critic.layers[0].kernel.assign(w)
    return critic, w[:, 0]


@pytest.mark.parametrize("weight", [10.0, 2.5])
def test_linear_critic_two_sided_penalty_is_exact_for_every_interpolate(weight):
    critic, w = _linear_critic()
    real, fake = RNG.normal(size=(32, 5)).astype("float32"), RNG.normal(size=(32, 5)).astype("float32")
    per_sample = gradient_penalty(critic, real, fake, weight=weight, reduction="none")
    expected = weight * (np.sqrt(np.sum(w**2) + 1e-10) - 1.0) ** 2
    np.testing.assert_allclose(per_sample, np.full(32, expected), rtol=1e-5)


def test_one_sided_penalty_is_zero_below_target():
    critic, w = _linear_critic()
    critic.layers[0].kernel.assign(0.5 * w[:, None] / np.linalg.norm(w))  # norm 0.5
    real = RNG.normal(size=(4, 5)).astype("float32")
    assert float(gradient_penalty(critic, real, real * 0, one_sided=True)) == 0.0
    assert float(gradient_penalty(critic, real, real * 0)) == pytest.approx(10 * 0.25, rel=1e-5)


class _Quadratic(keras.layers.Layer):
    """f(x) = x^T A x / 2 per sample, A symmetric: grad f = A x."""

    def __init__(self, matrix):
        super().__init__()
        self.matrix = matrix

    def call(self, x, training=None):
        return 0.5 * ops.sum(x * ops.matmul(x, self.matrix), axis=1, keepdims=True)


def test_r1_and_r2_of_a_quadratic_critic_in_closed_form():
    a = RNG.normal(size=(4, 4))
    matrix = (a + a.T).astype("float32")
    critic = _Quadratic(matrix)
    real, fake = RNG.normal(size=(6, 4)).astype("float32"), RNG.normal(size=(6, 4)).astype("float32")
    for penalty, data in ((r1_penalty, real), (r2_penalty, fake)):
        per_sample = penalty(critic, data, gamma=3.0, reduction="none")
        expected = 1.5 * np.sum((data @ matrix) ** 2, axis=1)
        np.testing.assert_allclose(per_sample, expected, rtol=1e-5)


def test_norms_are_per_sample_not_per_batch():
    # f(x) = |x|^2 / 2: grad = x, so each sample's norm is its own |x_hat|.
    critic = _Quadratic(np.eye(3, dtype="float32"))
    real = np.array([[3.0, 0, 0], [0, 0.1, 0]], "float32")
    per_sample = gradient_penalty(critic, real, real, weight=1.0, reduction="none")
    norms = np.linalg.norm(real, axis=1)
    np.testing.assert_allclose(per_sample, (np.sqrt(norms**2 + 1e-10) - 1) ** 2, rtol=1e-5)
    batch_norm = np.linalg.norm(real)  # the torchgan-style batch-wide norm
    assert abs(float(np.mean(per_sample)) - (batch_norm - 1) ** 2) > 0.5


def test_interpolation_weights_are_uniform_on_the_unit_interval():
    # With real = 1 and fake = 0 the interpolate is eps itself, and the
    # quadratic critic's gradient norm returns it.
    critic = _Quadratic(np.eye(1, dtype="float32"))
    keras.utils.set_random_seed(0)
    per_sample = gradient_penalty(
        critic, np.ones((4000, 1), "float32"), np.zeros((4000, 1), "float32"), weight=1.0, epsilon=0.0, reduction="none"
    )
    eps = 1.0 - np.sqrt(np.asarray(per_sample))  # |eps - 1| with eps in [0, 1]
    assert eps.min() >= 0.0 and eps.max() <= 1.0
    assert scipy.stats.kstest(eps, "uniform").pvalue > 1e-3
    assert scipy.stats.kstest(np.clip(eps * 4 - 2, -5, 5), "norm").pvalue < 1e-6  # not a normal


def test_dragan_interpolates_stay_near_real_data():
    critic = _Quadratic(np.eye(2, dtype="float32"))
    real = RNG.normal(size=(256, 2)).astype("float32")
    per_sample = dragan_penalty(critic, real, weight=1.0, seed=3, reduction="none")
    # grad = x_hat, x_hat = real + t * 0.5 * std(real) * u with t, u in [0, 1].
    distance = np.sqrt(np.asarray(per_sample)) + 1 - np.linalg.norm(real, axis=1)  # |x_hat| - |real| when |x_hat| > 1
    assert np.all(np.abs(distance[np.linalg.norm(real, axis=1) > 1.5]) <= 0.5 * real.std() * np.sqrt(2) + 1e-4)
    assert float(dragan_penalty(critic, real, seed=3)) == pytest.approx(10 * float(np.mean(per_sample)), rel=1e-5)


def test_lazy_penalty_scales_by_the_interval_and_skips_other_steps():
    critic, w = _linear_critic()
    real = RNG.normal(size=(4, 5)).astype("float32")
    full = float(r1_penalty(critic, real))
    step = keras.Variable(0, dtype=backend.COUNTER_DTYPE, trainable=False)
    lazy = compiled(lambda: lazy_penalty(lambda: r1_penalty(critic, real), step, every=4))
    values = []
    for value in range(9):
        step.assign(value)
        values.append(float(lazy()))
    np.testing.assert_allclose(values, [4 * full if s % 4 == 0 else 0.0 for s in range(9)], rtol=1e-6)


# ---------------------------------------------------------------------------
# Conditioning, compilation, distribution, precision.


def test_conditional_critic_gets_labels_passed_through():
    critic = _conv_critic(conditional=True)
    real, fake = _images(), _images()
    labels = ops.convert_to_tensor(RNG.integers(0, 3, 8).astype("int32"))
    eps = RNG.uniform(size=(8,)).astype("float32")
    ours = gradient_penalty(critic, real, fake, labels, interpolation_weights=eps, reduction="none")
    # Oracle: the same penalty with the labels bound into a one-input critic.
    bound = lambda x, training=True: critic([x, labels], training=training)  # noqa: E731
    expected = gradient_penalty(bound, real, fake, interpolation_weights=eps, reduction="none")
    np.testing.assert_allclose(ours, expected, rtol=1e-6)
    other = gradient_penalty(critic, real, fake, (labels + 1) % 3, interpolation_weights=eps, reduction="none")
    assert not np.allclose(ours, other)


def test_jit_compile_matches_eager():
    critic = _conv_critic()
    real, fake = _images(), _images()
    eps = RNG.uniform(size=(8,)).astype("float32")

    def step():
        return gradients(lambda tape: gradient_penalty(critic, real, fake, interpolation_weights=eps),
                         critic.trainable_variables)

    eager_penalty, eager_grads = step()
    xla_penalty, xla_grads = compiled(step, jit_compile=True)()
    assert float(xla_penalty) == pytest.approx(float(eager_penalty), rel=1e-5)
    for a, b in zip(xla_grads, eager_grads):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


@tensorflow_only
def test_mirrored_strategy_sums_to_the_single_device_value(two_replicas):
    with two_replicas.scope():
        critic = _conv_critic()
    real, fake = _images(16), _images(16)
    eps = RNG.uniform(size=(16,)).astype("float32")
    expected = float(gradient_penalty(critic, real, fake, interpolation_weights=eps))

    dataset = tf.data.Dataset.from_tensor_slices((real, fake, eps)).batch(16)
    batch = next(iter(two_replicas.experimental_distribute_dataset(dataset)))

    @tf.function
    def replica_penalty(real, fake, eps):
        return gradient_penalty(critic, real, fake, interpolation_weights=eps)

    per_replica = two_replicas.run(replica_penalty, args=batch)
    values = two_replicas.experimental_local_results(per_replica)
    assert len(values) == 2 and float(values[0]) != float(values[1])
    total = two_replicas.reduce(tf.distribute.ReduceOp.SUM, per_replica, axis=None)
    assert float(total) == pytest.approx(expected, rel=1e-5)


@pytest.mark.parametrize("policy,tolerance", [("mixed_float16", 5e-3), ("mixed_bfloat16", 3e-2)])
def test_low_precision_critic_agrees_with_float32(policy, tolerance):
    full = _conv_critic()
    low = _conv_critic(dtype=policy)
    low.set_weights(full.get_weights())
    real, fake = _images(), _images()
    eps = RNG.uniform(size=(8,)).astype("float32")
    expected = gradient_penalty(full, real, fake, interpolation_weights=eps, reduction="none")
    value = gradient_penalty(low, real, fake, interpolation_weights=eps, reduction="none")
    assert dtype_name(value) == "float32"
    np.testing.assert_allclose(value, expected, rtol=tolerance, atol=tolerance)
    assert dtype_name(critic_input_gradients(low, real)) == "float32"


# ---------------------------------------------------------------------------
# OrthogonalRegularizer.


def test_orthogonal_regularizer_matches_numpy_for_conv_kernels():
    kernel = RNG.normal(size=(3, 3, 4, 6)).astype("float32")
    matrix = kernel.reshape(-1, 6)
    gram = matrix.T @ matrix
    expected = 1e-4 * np.sum((gram * (1 - np.eye(6))) ** 2)
    assert float(OrthogonalRegularizer()(kernel)) == pytest.approx(expected, rel=1e-5)
    q, _ = np.linalg.qr(RNG.normal(size=(8, 8)))
    assert float(OrthogonalRegularizer(1.0)(q.astype("float32") * 3.0)) == pytest.approx(0.0, abs=1e-4)


def test_orthogonal_regularizer_serializes_and_adds_a_layer_loss(tmp_path):
    model = keras.Sequential(
        [keras.Input((4,)), keras.layers.Dense(3, kernel_regularizer=OrthogonalRegularizer(2e-4))]
    )
    assert len(model.losses) == 1
    path = tmp_path / "model.keras"
    model.save(path)
    restored = keras.saving.load_model(path)
    regularizer = restored.layers[0].kernel_regularizer
    assert isinstance(regularizer, OrthogonalRegularizer) and regularizer.beta == 2e-4
    assert float(restored.losses[0]) == pytest.approx(float(model.losses[0]), rel=1e-6)


# ---------------------------------------------------------------------------
# Bad inputs.


def test_bad_inputs_are_explained():
    critic = _conv_critic()
    real = _images()
    with pytest.raises(ValueError, match="same shape"):
        gradient_penalty(critic, real, real[:, :4])
    with pytest.raises(ValueError, match="same dtype"):
        gradient_penalty(critic, real, real.astype("float16"))
    with pytest.raises(ValueError, match="floating-point"):
        gradient_penalty(critic, real.astype("int32"), real.astype("int32"))
    batch_mean = keras.Sequential([keras.Input((6, 6, 2)), keras.layers.Flatten(), keras.layers.Dense(1)])
    with pytest.raises(ValueError, match="one score per sample"):
        gradient_penalty(lambda x, training=True: ops.mean(batch_mean(x)), real, real)
    with pytest.raises(ValueError, match="one score per sample"):
        r1_penalty(lambda x, training=True: batch_mean(x)[:2], real)
    for argument, value in [("weight", -1.0), ("target", 0.0), ("epsilon", float("nan")), ("gradient_scale", 0)]:
        with pytest.raises(ValueError, match=f"{argument} must be a finite number"):
            gradient_penalty(critic, real, real, **{argument: value})
    with pytest.raises(ValueError, match="every must be an integer >= 1"):
        lazy_penalty(lambda: 0.0, 0, every=0)
    with pytest.raises(ValueError, match="at least 2 axes"):
        OrthogonalRegularizer()(np.ones(3, "float32"))
    with pytest.raises(ValueError, match="beta must be a finite number >= 0"):
        OrthogonalRegularizer(-1.0)


# ---------------------------------------------------------------------------
# The piecewise-linear fast path (tape=...).


@pytest.mark.parametrize("jit_compile", [False, True])
@pytest.mark.parametrize("penalty", ["gp", "r1"])
def test_tape_fast_path_gives_the_same_penalty_and_gradients(penalty, jit_compile):
    critic = _conv_critic()
    real, fake = _images(), _images()
    eps = RNG.uniform(size=(8,)).astype("float32")

    # On JAX there is no tape (tape=None): the two steps are the same computation.
    def step(fast):
        def value(tape):
            outer = tape if fast else None
            if penalty == "gp":
                return gradient_penalty(critic, real, fake, interpolation_weights=eps, tape=outer)
            return r1_penalty(critic, real, tape=outer)

        return compiled(lambda: gradients(value, critic.trainable_variables), jit_compile=jit_compile)()

    (slow_value, slow_grads), (fast_value, fast_grads) = step(False), step(True)
    assert float(fast_value) == pytest.approx(float(slow_value), rel=1e-6)
    for a, b in zip(fast_grads, slow_grads):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)
    assert max(float(np.max(np.abs(g))) for g in fast_grads) > 0


def test_piecewise_linear_detection():
    from keras_lipschitz.layers import SpectralNormalization
    from keras_lipschitz.penalties.piecewise_linear import is_piecewise_linear

    assert is_piecewise_linear(_conv_critic())
    assert not is_piecewise_linear(_smooth_critic())
    assert not is_piecewise_linear(_conv_critic(conditional=True))  # Dot is bilinear
    nested = keras.Sequential([keras.Input((6, 6, 2)), _conv_critic(), keras.layers.ReLU()])
    assert is_piecewise_linear(nested)
    sn = keras.Sequential([keras.Input((4,)), SpectralNormalization(keras.layers.Dense(1))])
    assert not is_piecewise_linear(sn)  # its kernel is computed in the forward pass
    assert not is_piecewise_linear(lambda x: x)


# ---------------------------------------------------------------------------
# Mixed precision recipe (docs/penalties.md).


def test_gradient_scale_prevents_float16_underflow_of_the_inner_gradient():
    # A float16 critic with representable weights (1e-4) whose input
    # gradient (their product, 1e-8) is below float16's smallest subnormal
    # (6e-8): unscaled, the backward pass flushes it to zero.
    critic = keras.Sequential(
        [
            keras.Input((4,)),
            keras.layers.Dense(1, use_bias=False, dtype="mixed_float16"),
            keras.layers.Dense(1, use_bias=False, dtype="mixed_float16"),
        ]
    )
    critic.layers[0].kernel.assign(np.full((4, 1), 1e-4, "float32"))
    critic.layers[1].kernel.assign(np.full((1, 1), 1e-4, "float32"))
    x = np.ones((2, 4), "float32")
    exact = np.full((2, 4), 1e-8)
    np.testing.assert_array_equal(critic_input_gradients(critic, x), np.zeros((2, 4)))
    np.testing.assert_allclose(critic_input_gradients(critic, x, gradient_scale=2.0**12), exact, rtol=1e-2)


def test_mixed_float16_critic_step_keeps_a_healthy_loss_scale():
    keras.config.set_dtype_policy("mixed_float16")
    layers = [keras.Input((16, 16, 3))]
    for filters in (32, 64):
        layers += [keras.layers.Conv2D(filters, 4, strides=2, padding="same"), keras.layers.LeakyReLU(0.2)]
    critic = keras.Sequential(layers + [keras.layers.Flatten(), keras.layers.Dense(1, dtype="float32")])
    optimizer = keras.optimizers.LossScaleOptimizer(keras.optimizers.Adam(1e-4, beta_1=0.0, beta_2=0.9))
    optimizer.build(critic.trainable_variables)

    seeds = keras.random.SeedGenerator(0)  # the interpolation weights' draws, part of the compiled step's state

    def losses(real, fake, tape):
        penalty = gradient_penalty(critic, real, fake, tape=tape, seed=seeds)
        scores = ops.cast(critic(real), "float32") - ops.cast(critic(fake), "float32")
        return -ops.mean(scores) + penalty, penalty

    def step(real, fake):
        def scaled_loss(tape):
            loss, penalty = losses(real, fake, tape)
            return optimizer.scale_loss(loss), (loss, penalty)

        _, (loss, penalty), grads = backend.value_and_gradients(scaled_loss, critic.trainable_variables)
        backend.apply(optimizer, grads, critic.trainable_variables)
        return loss, penalty

    step = compiled_with_state(step, critic.variables + optimizer.variables + [seeds.state])
    rng = np.random.default_rng(0)
    for _ in range(20):
        real = rng.uniform(-1, 1, (32, 16, 16, 3)).astype("float32")
        fake = rng.normal(0, 0.3, (32, 16, 16, 3)).astype("float32")
        loss, penalty = step(real, fake)
        assert np.isfinite(float(loss)) and np.isfinite(float(penalty))
    assert float(optimizer.dynamic_scale) >= 2.0**10  # no collapse
    assert all(np.all(np.isfinite(w.numpy())) for w in critic.weights)
    # The float16 penalty agrees with a float32 critic holding the same weights.
    keras.config.set_dtype_policy("float32")
    twin = keras.Sequential(
        [keras.Input((16, 16, 3))]
        + [type(layer).from_config({**layer.get_config(), "dtype": "float32"}) for layer in critic.layers]
    )
    twin.set_weights(critic.get_weights())
    eps = rng.uniform(size=(32,)).astype("float32")
    np.testing.assert_allclose(
        gradient_penalty(critic, real, fake, interpolation_weights=eps),
        gradient_penalty(twin, real, fake, interpolation_weights=eps),
        rtol=2e-2,
    )
