"""`keras-lipschitz-train` and `keras-lipschitz-export` on Keras' JAX backend, without TensorFlow for training.

The training runs go through `tests/scripts/no_tensorflow.py`, which refuses
every TensorFlow import: the command, its data stream, pictures,
evaluation and checkpoints must run on JAX alone. The oracles: a run
stopped and resumed equals an uninterrupted one bit for bit; two devices
(`--strategy=data_parallel`) equal one; the exported SavedModel and TFLite
files (made on TensorFlow from the JAX run's `.keras` file) equal the JAX
generator's outputs.
"""

import json
import os
import pathlib
import shutil
import subprocess
import sys

import numpy as np
import pytest

import shared_results
from keras_lipschitz import recipes

pytest.importorskip("jax")

SCRIPTS = pathlib.Path(__file__).parent / "scripts"
TRAIN = [sys.executable, str(SCRIPTS / "no_tensorflow.py"), "keras_lipschitz.trainers.train"]


def _environment(backend="jax", devices=1):
    environment = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""}
    if devices > 1:
        environment["XLA_FLAGS"] = f"--xla_force_host_platform_device_count={devices}"
    return environment


def _run(command, cwd, **environment):
    result = subprocess.run(command, cwd=cwd, env=_environment(**environment), capture_output=True, text=True,
                            timeout=900)
    assert result.returncode == 0, result.stderr[-4000:]
    return result


def _state(run, step):
    with np.load(run / "checkpoints" / f"ckpt-{step:08d}.npz") as archive:
        return [archive[key] for key in sorted(archive.files)]


def _assert_same_state(first, second, exact=True):
    assert len(first) == len(second)
    for index, (a, b) in enumerate(zip(first, second)):
        if exact:
            np.testing.assert_array_equal(a, b, err_msg=f"variable {index}")
        else:
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=2e-5, err_msg=f"variable {index}")


CGAN = ["--gan=cgan", "--log_every=10", "--sample_every=10", "--eval_every=20", "--checkpoint_every=10",
        "--eval_samples=200", "--verbose=2"]


@pytest.mark.minutes
def test_command_on_jax_trains_evaluates_resumes_exactly_and_exports(tmp_path):
    straight = _run([*TRAIN, *CGAN, "--steps=20", "--out_dir=straight"], tmp_path)
    # A run killed after its step-10 checkpoint: the same directory without what came later.
    shutil.copytree(tmp_path / "straight", tmp_path / "split")
    (tmp_path / "split" / "checkpoints" / "ckpt-00000020.npz").unlink()
    resumed = _run([*TRAIN, *CGAN, "--steps=20", "--out_dir=split"], tmp_path)
    assert "Resuming from" in resumed.stdout and "(step 10)" in resumed.stdout
    # Data stream, latents, both networks, EMA, optimizers: the resumed run is the uninterrupted one.
    _assert_same_state(_state(tmp_path / "split", 20), _state(tmp_path / "straight", 20))
    run = tmp_path / "straight"
    for name in ("generator.keras", "curves.png", "samples/samples-00000020.png", "history.csv"):
        assert (run / name).exists(), name
    results = json.loads((run / "metrics.json").read_text())[-1]
    assert results["step"] == 20 and results["classifier_test_accuracy"] > 0.9
    assert np.isfinite([results["fid"], results["kid"], results["class_kl"]]).all()
    assert "TensorBoard's event files need TensorFlow" in straight.stderr  # said once, not an error
    config = json.loads((run / "config.json").read_text())
    assert config["strategy"] == "default" and config["keras_backend"] == "jax"

    # The JAX generator's outputs for fixed latents, then the export on TensorFlow from the same file.
    latents = np.random.default_rng(0).normal(size=(6, 64)).astype("float32")
    labels = np.arange(6, dtype="int32") % 10
    np.savez(tmp_path / "inputs.npz", latents=latents, labels=labels)
    script = ("import numpy as np, keras_lipschitz\n"
              "inputs = np.load('inputs.npz')\n"
              "generator = keras_lipschitz.load_model('straight/generator.keras')\n"
              "np.save('jax_outputs.npy', np.asarray(generator([inputs['latents'], inputs['labels']])))\n")
    _run([sys.executable, str(SCRIPTS / "no_tensorflow.py"), "-c", script], tmp_path)
    export = _run([sys.executable, "-m", "keras_lipschitz.export.command", "--model=straight",
                   "--output_dir=exported", "--quantizations=float32"], tmp_path)  # KERAS_BACKEND=jax is set
    assert "Exporting on Keras' TensorFlow backend (KERAS_BACKEND was 'jax')" in export.stderr
    report = json.loads((tmp_path / "exported" / "report.json").read_text())
    assert report["max_abs_difference"]["tflite_float32"] <= 1e-5
    import tensorflow as tf

    served = tf.saved_model.load(str(tmp_path / "exported" / "saved_model")).signatures["serve"](
        z=tf.constant(latents), label=tf.constant(labels))["output_0"].numpy()
    np.testing.assert_allclose(served, np.load(tmp_path / "jax_outputs.npy"), atol=2e-5)


def test_data_parallel_command_on_two_devices_matches_one_device(tmp_path):
    flags = ["--dataset=ring8", "--steps=20", "--log_every=10", "--eval_every=20", "--sample_every=20",
             "--checkpoint_every=20", "--verbose=0"]
    _run([*TRAIN, *flags, "--out_dir=one"], tmp_path)
    _run([*TRAIN, *flags, "--out_dir=two", "--strategy=data_parallel"], tmp_path, devices=2)
    _assert_same_state(_state(tmp_path / "two", 20), _state(tmp_path / "one", 20), exact=False)


def _free_port():
    import socket

    with socket.socket() as probe:
        probe.bind(("localhost", 0))
        return probe.getsockname()[1]


def test_two_processes_joined_by_jax_distributed_match_one_process_on_two_devices(tmp_path):
    # What a multi-host job does (jax.distributed through keras.distribution.initialize), on localhost:
    # each process reads its share of every global batch; both keep the same state.
    flags = [*TRAIN, "--dataset=ring8", "--steps=20", "--log_every=10", "--eval_every=20", "--sample_every=20",
             "--checkpoint_every=20", "--verbose=0", "--strategy=data_parallel"]
    job = {"KERAS_DISTRIBUTION_JOB_ADDRESSES": f"localhost:{_free_port()}", "KERAS_DISTRIBUTION_NUM_PROCESSES": "2"}
    workers = [subprocess.Popen([*flags, "--out_dir=job"], cwd=tmp_path, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True,
                                env={**_environment(), **job, "KERAS_DISTRIBUTION_PROCESS_ID": str(index)})
               for index in (0, 1)]
    for worker in workers:
        _, stderr = worker.communicate(timeout=600)
        assert worker.returncode == 0, stderr[-4000:]
    _run([*flags, "--out_dir=one_process"], tmp_path, devices=2)
    _assert_same_state(_state(tmp_path / "job", 20), _state(tmp_path / "one_process", 20))
    _assert_same_state(_state(tmp_path / "job" / "process-1", 20), _state(tmp_path / "job", 20))


def test_a_run_resumes_only_on_the_backend_it_started_on(tmp_path):
    # Its data stream is the backend's (tf.data or numpy): resuming elsewhere would read other batches.
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "config.json").write_text(json.dumps({"gan": "sngan", "dataset": "ring8",
                                                              "keras_backend": "tensorflow"}))
    result = subprocess.run([*TRAIN, "--dataset=ring8", "--out_dir=run"], cwd=tmp_path, env=_environment(),
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 1
    assert "keras_backend was 'tensorflow', now 'jax'" in result.stderr


@pytest.mark.parametrize("backend, strategy, owner", [("jax", "mirrored", "tensorflow"),
                                                       ("tensorflow", "data_parallel", "jax")])
def test_a_strategy_of_the_other_backend_is_refused_with_both_named(tmp_path, backend, strategy, owner):
    result = subprocess.run([sys.executable, "-m", "keras_lipschitz.trainers.train", f"--strategy={strategy}",
                             "--out_dir=run"], cwd=tmp_path, env=_environment(backend), capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 1
    assert f"--strategy={strategy} needs the Keras backend {owner}" in result.stderr
    assert f"runs Keras on '{backend}'" in result.stderr
    assert not (tmp_path / "run").exists()


@pytest.fixture(scope="module")
def recipe_runs(tmp_path_factory):
    def compute(out):
        result = _run([sys.executable, str(SCRIPTS / "jax_recipes.py"), str(out)], out)
        assert "tensorflow imported: False" in result.stdout

    out = shared_results.computed_once(tmp_path_factory, "jax_recipes", compute)
    return dict(np.load(out / "recipes.npz"))


# The tests that read every recipe's run: one worker computes it while the other runs other tests.
reads_recipe_runs = shared_results.on_one_worker("jax_recipes")


@reads_recipe_runs
@pytest.mark.parametrize("name", recipes.names())
def test_every_recipe_trains_on_jax_with_its_defining_parts(recipe_runs, name):
    settings = recipes.get(name).settings("digits")
    key = f"{name}@digits"
    logs = {entry.split("/log/")[1]: float(value) for entry, value in recipe_runs.items()
            if entry.startswith(f"{key}/log/")}
    assert np.isfinite(list(logs.values())).all() and logs["skipped_steps"] == 0
    assert int(recipe_runs[f"{key}/d_iterations"]) == 2 * settings["d_steps"]
    assert int(recipe_runs[f"{key}/g_iterations"]) == 2
    for part in ("critic", "generator"):
        assert not np.allclose(recipe_runs[f"{key}/{part}_after"], recipe_runs[f"{key}/{part}_before"]), part
    assert ("penalty" in logs) == (settings["penalty"] != "none")
    assert ("d_classifier_loss" in logs) == (settings["classifier_loss"] != "none")
    assert ("max_sigma" in logs) == settings["spectral_normalization"]
    assert ("g_regularization" in logs) == (settings["orthogonal_regularization"] > 0)
    if settings["weight_clipping"]:
        assert np.abs(recipe_runs[f"{key}/critic_after"]).max() <= settings["weight_clipping"] + 1e-7


@reads_recipe_runs
def test_the_mixture_recipe_trains_on_jax(recipe_runs):
    assert recipe_runs["sngan@ring8/critic_after"].size < recipe_runs["sngan@digits/critic_after"].size  # its MLP
    assert np.isfinite(recipe_runs["sngan@ring8/log/d_loss"]) and int(recipe_runs["sngan@ring8/g_iterations"]) == 2
