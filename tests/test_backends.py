"""The library on Keras' JAX backend against TensorFlow: the same numbers from the same weights.

`tests/scripts/backend_cases.py` computes spectral normalization (both
modes, mixed precision), the conditional layers, every GAN loss, every
gradient penalty with its gradient in the critic's weights (double
backpropagation), the orthogonal regularizer, a GAN's first training step,
exact resumption and the NaN guard, once per backend in its own process; the
JAX process refuses to import TensorFlow. The TensorFlow values are checked
against their own oracles elsewhere (numpy SVD, explicit Jacobians, TF-GAN);
here JAX must equal them, and the converged sigma must equal numpy's SVD.
The layer, loss, penalty and trainer suites run on JAX with their own
oracles in tests/test_suites_on_jax.py.
"""

import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

import keras_lipschitz
import shared_results

SCRIPT = pathlib.Path(__file__).parent / "scripts" / "backend_cases.py"

pytest.importorskip("jax")

# Every test here reads the two processes' results: one worker computes them while the other runs other modules.
pytestmark = shared_results.on_one_worker("backend_cases")


def _run(backend, out, *extra):
    env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3"}
    result = subprocess.run([sys.executable, "-W", "ignore", str(SCRIPT), backend, str(out), *map(str, extra)],
                            cwd=out, env=env, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-4000:]
    return result.stdout, dict(np.load(out / f"{backend}.npz"))


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    def compute(out):
        _run("tensorflow", out)
        stdout, _ = _run("jax", out, out / "critic_tensorflow.keras")
        (out / "jax_stdout.txt").write_text(stdout)

    out = shared_results.computed_once(tmp_path_factory, "backend_cases", compute)
    tensorflow, jax = (dict(np.load(out / f"{backend}.npz")) for backend in ("tensorflow", "jax"))
    return out, tensorflow, jax, (out / "jax_stdout.txt").read_text()


def test_jax_path_runs_without_tensorflow(results):
    *_, stdout = results
    assert "tensorflow imported: False" in stdout


FLOAT_KEYS = [
    "sn_dense/eval", "sn_dense/u_after_eval", "sn_dense/train", "sn_dense/sigma", "sn_dense/u",
    "sn_dense/kernel_gradient", "sn_dense/converged_sigma", "sn_conv/train", "sn_conv/converged_sigma",
    "conditional/features_True", "conditional/scores_True", "conditional/features_False",
    "conditional/scores_False", "orthogonal", "metrics/fid", "metrics/kid", "metrics/inception_score",
    "metrics/precision_recall", "step/critic", "step/generator_bias", "step/ema_bias",
]


@pytest.mark.parametrize("key", FLOAT_KEYS)
def test_layers_and_training_step_match_tensorflow(results, key):
    _, tensorflow, jax, _ = results
    np.testing.assert_allclose(jax[key], tensorflow[key], rtol=1e-5, atol=1e-5)


def test_every_loss_and_penalty_with_its_weight_gradients_matches_tensorflow(results):
    _, tensorflow, jax, _ = results
    keys = [key for key in tensorflow if key.startswith(("loss/", "penalty/"))]
    assert len([key for key in keys if key.startswith("loss/")]) == 2 * len(keras_lipschitz.losses.NAMES)
    assert {key.split("/")[1] for key in keys if key.startswith("penalty/")} == {
        "gradient_penalty", "one_sided", "r1", "r2", "lazy_on", "lazy_off"}
    for key in keys:
        np.testing.assert_allclose(jax[key], tensorflow[key], rtol=1e-5, atol=1e-6, err_msg=key)
    # The cases are not degenerate: the penalties and their gradients are non-zero where they apply.
    assert float(jax["penalty/gradient_penalty"]) > 0.1 and float(jax["penalty/lazy_on"]) > 0.1
    assert float(jax["penalty/lazy_off"]) == 0.0


def test_spectral_norm_converges_to_the_largest_singular_value(results):
    _, _, jax, _ = results
    sigma = np.linalg.svd(jax["sn_dense/kernel"], compute_uv=False)[0]
    np.testing.assert_allclose(jax["sn_dense/converged_sigma"], sigma, rtol=1e-5)


def test_state_is_updated_in_training_only_and_power_iteration_stays_float32(results):
    _, tensorflow, jax, _ = results
    assert not np.allclose(jax["sn_dense/u_after_eval"], jax["sn_dense/u"])
    assert list(jax["mixed/dtypes"]) == ["float16", "float32", "float32"] == list(tensorflow["mixed/dtypes"])
    assert int(jax["step/d_iterations"]) == 2  # d_steps critic updates in one fit step


def test_resuming_on_jax_is_bit_exact(results):
    _, _, jax, _ = results
    for name in ("resume", "resume_conditional"):
        np.testing.assert_array_equal(jax[f"{name}/resumed"], jax[f"{name}/straight"])
        assert np.isfinite(jax[f"{name}/straight"]).all()


def test_non_finite_step_is_skipped_on_jax(results):
    _, _, jax, _ = results
    assert int(jax["nan/skipped"]) == 1
    # Every critic weight but the power-iteration vector (which follows the unchanged kernel, not the data)
    # keeps its value, as on TensorFlow.
    np.testing.assert_array_equal(jax["nan/unchanged"][1:], True)


def test_keras_files_load_across_backends(results):
    out, tensorflow, jax, _ = results
    np.testing.assert_allclose(jax["loaded/outputs"], tensorflow["saved/outputs"], rtol=1e-6, atol=1e-6)
    loaded = keras_lipschitz.load_model(out / "critic_jax.keras")
    inputs = np.random.default_rng(14).normal(size=(4, 5)).astype("float32")
    np.testing.assert_allclose(loaded(inputs, training=False), jax["saved/outputs"], rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("policy, tolerance", [("mixed_float16", 2e-3), ("mixed_bfloat16", 2e-2)])
def test_mixed_precision_training_matches_tensorflow(results, policy, tolerance):
    _, tensorflow, jax, _ = results
    key = f"mixed_training/{policy}"
    # Variables stay float32; float16 runs under dynamic loss scaling, as Keras' compile does.
    assert str(jax[f"{key}/kernel_dtype"]) == "float32" == str(tensorflow[f"{key}/kernel_dtype"])
    assert bool(jax[f"{key}/loss_scaled"]) == (policy == "mixed_float16") == bool(tensorflow[f"{key}/loss_scaled"])
    assert np.isfinite(jax[f"{key}/critic"]).all()
    # Half-precision arithmetic: the same two steps to its rounding.
    np.testing.assert_allclose(jax[f"{key}/critic"], tensorflow[f"{key}/critic"], rtol=tolerance, atol=tolerance)


@pytest.mark.parametrize("model", ["sngan", "wgan_gp", "conditional"])
def test_data_parallel_over_two_devices_matches_one_device(results, model):
    _, _, jax, _ = results
    assert int(jax["dp/data_parallel/devices"]) == 2 and int(jax["dp/one_device/devices"]) == 1
    one, parallel = jax[f"dp/one_device/{model}"], jax[f"dp/data_parallel/{model}"]
    assert np.isfinite(one).all()
    # The whole state: both networks, EMA, both optimizers, the seed generator.
    np.testing.assert_allclose(parallel, one, rtol=1e-5, atol=2e-5)
    np.testing.assert_allclose(jax["dp/data_parallel/d_loss"], jax["dp/one_device/d_loss"], rtol=1e-4, atol=1e-5)
