"""SpectralNormalization under tf.distribute, XLA, mixed precision and saving; on TensorFlow and JAX."""

import contextlib

import keras
import numpy as np
import pytest
from sklearn.datasets import load_digits

from keras_lipschitz.layers import SpectralNormalization
from on_backend import dtype_name
from on_backend import tensorflow_only
from on_backend import training_call


def _critic(dtype=None):
    """A small discriminator with SN in both modes and on every layer kind."""
    sn = SpectralNormalization
    return keras.Sequential(
        [
            keras.Input((8, 8, 1)),
            sn(keras.layers.Conv2D(8, 3, strides=2, padding="same", dtype=dtype), dtype=dtype),
            keras.layers.LeakyReLU(0.2, dtype=dtype),
            sn(keras.layers.Conv2D(8, 3, padding="same", dtype=dtype), mode="operator", dtype=dtype),
            keras.layers.LeakyReLU(0.2, dtype=dtype),
            sn(keras.layers.SeparableConv2D(8, 3, padding="same", dtype=dtype), dtype=dtype),
            keras.layers.Flatten(dtype=dtype),
            sn(keras.layers.Dense(1, dtype=dtype), dtype=dtype),
        ]
    )


def _digits_vs_noise(count=64, seed=0):
    """Real 8x8 digits in [-1, 1] (label 1) against uniform noise (label 0)."""
    images = load_digits().images[:count].astype("float32") / 8.0 - 1.0
    noise = np.random.default_rng(seed).uniform(-1, 1, images.shape).astype("float32")
    x = np.concatenate([images, noise])[..., None]
    y = np.concatenate([np.ones(count), np.zeros(count)]).astype("float32")[:, None]
    order = np.random.default_rng(seed + 1).permutation(len(x))
    return x[order], y[order]


def _singular_vectors(model):
    return [w.numpy() for w in model.non_trainable_weights if "singular_vector" in w.name]


def _assert_same_weights(model_a, model_b, rtol, atol):
    for a, b in zip(model_a.weights, model_b.weights):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=rtol, atol=atol, err_msg=a.path)


def _fit_copy(initial_weights, x, y, strategy=None, jit_compile=False, steps=4):
    with strategy.scope() if strategy else contextlib.nullcontext():
        model = _critic()
        model.set_weights(initial_weights)
        model.compile(
            optimizer=keras.optimizers.SGD(0.05),
            loss=keras.losses.BinaryCrossentropy(from_logits=True),
            jit_compile=jit_compile,
        )
    model.fit(x[: 16 * steps], y[: 16 * steps], batch_size=16, shuffle=False, verbose=0)
    return model


@tensorflow_only
def test_mirrored_strategy_matches_one_device(two_replicas):
    x, y = _digits_vs_noise()
    initial = _critic().get_weights()
    single = _fit_copy(initial, x, y)
    mirrored = _fit_copy(initial, x, y, strategy=two_replicas)
    # Each replica sees half the global batch; SN state is the same on both.
    _assert_same_weights(single, mirrored, rtol=1e-4, atol=1e-6)
    assert len(_singular_vectors(mirrored)) == 5
    for a, b in zip(_singular_vectors(single), _singular_vectors(mirrored)):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(
        single.predict(x, verbose=0), mirrored.predict(x, verbose=0), rtol=1e-4, atol=1e-5
    )


@tensorflow_only
def test_training_moves_the_state_identically_on_each_replica(two_replicas):
    import tensorflow as tf

    with two_replicas.scope():
        layer = SpectralNormalization(keras.layers.Dense(3))
        layer.build((None, 5))
    x = tf.ones((4, 5))

    @tf.function
    def replica_step():
        return two_replicas.run(lambda: layer(x, training=True))

    outputs = two_replicas.experimental_local_results(replica_step())
    np.testing.assert_allclose(outputs[0], outputs[1], rtol=1e-6)
    [state] = layer.non_trainable_weights
    per_replica = [v.numpy() for v in two_replicas.experimental_local_results(state.value)]
    assert len(per_replica) == 2
    np.testing.assert_array_equal(per_replica[0], per_replica[1])
    np.testing.assert_allclose(np.linalg.norm(per_replica[0]), 1.0, rtol=1e-5)


def test_jit_compile_fit_matches_plain_fit():
    x, y = _digits_vs_noise()
    initial = _critic().get_weights()
    plain = _fit_copy(initial, x, y)
    compiled = _fit_copy(initial, x, y, jit_compile=True)
    _assert_same_weights(plain, compiled, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("mode", ["matrix", "operator"])
def test_xla_call_matches_eager_call(mode):
    def make():
        keras.utils.set_random_seed(3)
        return SpectralNormalization(keras.layers.Conv2D(4, 3, strides=2), mode=mode)

    x = np.random.default_rng(12).normal(size=(2, 9, 9, 3)).astype("float32")
    eager, compiled = make(), make()
    eager.build(x.shape)
    compiled.build(x.shape)
    compiled.set_weights(eager.get_weights())
    xla_step = training_call(compiled, x, jit_compile=True)
    for _ in range(3):
        np.testing.assert_allclose(xla_step(), eager(x, training=True), rtol=1e-4, atol=1e-5)
    _assert_same_weights(eager, compiled, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("policy", ["mixed_float16", "mixed_bfloat16"])
def test_mixed_precision_sigma_in_float32_output_in_compute_dtype(policy):
    x = np.random.default_rng(0).normal(size=(2, 6, 6, 3)).astype("float32")
    full = SpectralNormalization(keras.layers.Conv2D(4, 3), mode="operator")
    full.build(x.shape)
    mixed = SpectralNormalization(keras.layers.Conv2D(4, 3, dtype=policy), mode="operator", dtype=policy)
    mixed.build(x.shape)
    mixed.set_weights(full.get_weights())
    kernel_before = mixed.layer.kernel.numpy().copy()

    output = mixed(x, training=True)
    full_output = full(x, training=True)
    compute_dtype = policy.split("_")[1]
    assert dtype_name(output) == compute_dtype
    assert mixed.layer.kernel.dtype == "float32"
    assert all(w.dtype == "float32" for w in mixed.non_trainable_weights)
    # The power iteration ran in float32: the same state as the float32 layer.
    np.testing.assert_allclose(
        mixed.non_trainable_weights[0].numpy(), full.non_trainable_weights[0].numpy(), rtol=1e-6, atol=1e-7
    )
    assert float(mixed.sigma) == pytest.approx(float(full.sigma), rel=1e-6)
    np.testing.assert_array_equal(mixed.layer.kernel.numpy(), kernel_before)
    tolerance = 1e-2 if policy == "mixed_float16" else 5e-2
    np.testing.assert_allclose(
        np.asarray(output, np.float32), full_output, rtol=tolerance, atol=tolerance
    )


def test_discriminator_stays_finite_under_mixed_float16():
    # keras.layers.SpectralNormalization writes the float16 W/sigma into the
    # float32 kernel and turns such a critic to NaN; ours never writes it.
    keras.config.set_dtype_policy("mixed_float16")
    x, y = _digits_vs_noise(count=256)
    model = _critic()
    model.compile(
        optimizer=keras.optimizers.Adam(2e-4, beta_1=0.0, beta_2=0.9),
        loss=keras.losses.BinaryCrossentropy(from_logits=True),
    )
    assert isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer)
    history = model.fit(x, y, batch_size=32, epochs=4, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))
    assert history.history["loss"][-1] < history.history["loss"][0]
    for weight in model.weights:
        assert np.all(np.isfinite(weight.numpy())), weight.path
    assert dtype_name(model(x[:4])) == "float16"


def test_keras_file_round_trip_restores_state_and_outputs(tmp_path):
    x, y = _digits_vs_noise()
    model = _fit_copy(_critic().get_weights(), x, y)
    path = tmp_path / "critic.keras"
    model.save(path)
    restored = keras.saving.load_model(path)  # safe_mode=True by default

    assert [type(layer).__name__ for layer in restored.layers] == [type(layer).__name__ for layer in model.layers]
    sn_layers = [layer for layer in restored.layers if isinstance(layer, SpectralNormalization)]
    assert [layer.mode for layer in sn_layers] == ["matrix", "operator", "matrix", "matrix"]
    for a, b in zip(_singular_vectors(model), _singular_vectors(restored)):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(model.predict(x, verbose=0), restored.predict(x, verbose=0))
    # Training continues identically from the restored state.
    np.testing.assert_array_equal(model(x[:8], training=True), restored(x[:8], training=True))
    for a, b in zip(_singular_vectors(model), _singular_vectors(restored)):
        np.testing.assert_array_equal(a, b)


def test_config_round_trip():
    wrapper = SpectralNormalization(
        keras.layers.Conv2D(4, 3, name="conv"),
        power_iterations=3,
        mode="operator",
        lipschitz_constant=0.5,
        epsilon=1e-8,
        name="sn",
    )
    config = keras.saving.serialize_keras_object(wrapper)
    assert config["registered_name"] == "keras_lipschitz>SpectralNormalization"
    clone = keras.saving.deserialize_keras_object(config)
    assert clone.get_config() == wrapper.get_config()
    assert (clone.power_iterations, clone.mode, clone.lipschitz_constant, clone.epsilon) == (3, "operator", 0.5, 1e-8)
    assert clone.layer.get_config() == wrapper.layer.get_config()


# ---------------------------------------------------------------------------
# Degenerate kernels.


def test_all_zero_kernel_gives_finite_output_and_keeps_state():
    wrapper = SpectralNormalization(keras.layers.Dense(3, kernel_initializer="zeros", bias_initializer="ones"))
    wrapper.build((None, 4))
    state_before = wrapper.non_trainable_weights[0].numpy().copy()
    output = wrapper(np.ones((2, 4), "float32"), training=True)
    np.testing.assert_array_equal(output, np.ones((2, 3)))
    # The state is kept, not collapsed to zero.
    np.testing.assert_array_equal(wrapper.non_trainable_weights[0].numpy(), state_before)


@pytest.mark.parametrize("scale", [1e-9, 1e18])
def test_tiny_and_huge_kernels_normalize_like_the_unit_kernel(scale):
    # W_SN is invariant to scaling W: any c * W gives the same output.
    x = np.random.default_rng(0).normal(size=(3, 5)).astype("float32")
    reference = SpectralNormalization(keras.layers.Dense(4, use_bias=False), power_iterations=50)
    reference.build(x.shape)
    scaled = SpectralNormalization(keras.layers.Dense(4, use_bias=False), power_iterations=50)
    scaled.build(x.shape)
    scaled.set_weights(reference.get_weights())
    scaled.layer.kernel.assign(reference.layer.kernel.numpy() * np.float32(scale))
    expected = reference(x, training=True)
    output = scaled(x, training=True)
    assert np.all(np.isfinite(output))
    np.testing.assert_allclose(output, expected, rtol=1e-4, atol=1e-6)
