"""Reliability: crash and resume, pre-emption, NaN/inf steps, safe loading, bad inputs.

Every row of the fault table in docs/reliability.md is produced here for
real, and the table and these tests must list the same faults.
"""

import json
import os
import pathlib
import re
import signal
import subprocess
import sys
import time
import zipfile

import keras
import numpy as np
import pytest
import tensorflow as tf
from absl import app

from keras_lipschitz import data
from keras_lipschitz import losses
from keras_lipschitz.architectures import biggan_generator
from keras_lipschitz.architectures import dcgan_discriminator
from keras_lipschitz.architectures import dcgan_generator
from keras_lipschitz.architectures import mlp_discriminator
from keras_lipschitz.architectures import mlp_generator
from keras_lipschitz.architectures import resnet_generator
from keras_lipschitz.constraints import ClipConstraint
from keras_lipschitz.layers import DiffAugment
from keras_lipschitz.layers import Packing
from keras_lipschitz.layers import SelfAttention2D
from keras_lipschitz.layers import SpectralNormalization
from keras_lipschitz.penalties import OrthogonalRegularizer
from keras_lipschitz.trainers import GAN
from keras_lipschitz.trainers import checkpoint
from keras_lipschitz.trainers import presets
from keras_lipschitz.trainers import train
from keras_lipschitz.trainers.non_finite import NonFiniteTrainingError
from keras_lipschitz.trainers.non_finite import TerminateOnNonFinite

import fault_table  # tests/fault_table.py

ROOT = pathlib.Path(__file__).resolve().parents[1]
COMMAND = [sys.executable, "-m", "keras_lipschitz.trainers.train"]
KILLED_IN_CHECKPOINT = [sys.executable, str(ROOT / "tests" / "scripts" / "train_killed_in_checkpoint.py")]
ENVIRONMENT = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "CUDA_VISIBLE_DEVICES": "", "PYTHONUNBUFFERED": "1",
               # Read by tests/scripts/train_killed_in_checkpoint.py only.
               "KILL_IN_CHECKPOINT": "3"}
RNG = np.random.default_rng(0)


_fault_table = fault_table.fault_table
_documented = fault_table.documented
# Rows produced by the tests of tests/test_command_finish.py (the command's first-hour faults).
COMMAND_FINISH_ROWS = ("ctrl-c", "signal-before-checkpoint", "changed-setting-on-resume", "failed-start",
                       "damaged-run-file", "file-permissions", "offline-tfds")


# --------------------------------------------------------------------------
# Crash and resume, pre-emption: the real command in subprocesses.

RUN_FLAGS = ["--dataset=ring8", "--gan=gan", "--steps=400", "--log_every=20", "--sample_every=100000",
             "--eval_every=100000", "--checkpoint_every=40", "--max_checkpoints=3", "--verbose=0"]
CRASH_ROWS = ("kill-during-checkpoint", "kill-during-training", "sigterm")


def _start(command, out_dir, cwd):
    return subprocess.Popen([*command, *RUN_FLAGS, f"--out_dir={out_dir}"], cwd=cwd, env=ENVIRONMENT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _finish(process):
    stdout, stderr = process.communicate(timeout=600)
    return process.returncode, stdout + stderr


def _steps(directory):
    return [step for step, _ in checkpoint.checkpoints(directory)]


def _assert_complete(directory):
    """Every ckpt-*.npz reads in full, without pickle; only hidden temporary files may be partial."""
    for _, path in checkpoint.checkpoints(directory):
        with np.load(path, allow_pickle=False) as archive:
            assert all(np.isfinite(archive[key]).all() for key in archive.files), path


def _signal_after_next_checkpoint(process, directory, signal_number, rng):
    """Sends the signal at a random moment after the run writes its next checkpoint."""
    known = set(_steps(directory))
    while process.poll() is None and set(_steps(directory)) <= known:
        time.sleep(0.01)
    time.sleep(rng.uniform(0.0, 0.3))
    if process.poll() is None:
        process.send_signal(signal_number)
    return _finish(process)


def test_killed_and_preempted_run_resumes_to_the_uninterrupted_result(tmp_path):
    reference = subprocess.run([*COMMAND, *RUN_FLAGS, "--out_dir=reference"], cwd=tmp_path, env=ENVIRONMENT,
                               capture_output=True, text=True, timeout=600)
    assert reference.returncode == 0, reference.stderr[-3000:]
    directory = tmp_path / "run" / "checkpoints"
    rng = np.random.default_rng(7)

    # SIGKILL halfway through writing the third checkpoint.
    code, output = _finish(_start(KILLED_IN_CHECKPOINT, "run", tmp_path))
    assert code == -signal.SIGKILL, output[-3000:]
    assert _steps(directory) == [40, 80]
    assert len(list(directory.glob(".tmp-*"))) == 1  # the partial file, never under a checkpoint's name
    _assert_complete(directory)

    # SIGKILL at random moments; each restart resumes from the newest complete checkpoint.
    for _ in range(2):
        newest = _steps(directory)[-1]
        leftovers = set(directory.glob(".tmp-*"))
        code, output = _signal_after_next_checkpoint(_start(COMMAND, "run", tmp_path), directory, signal.SIGKILL, rng)
        assert code == -signal.SIGKILL, output[-3000:]
        assert f"{_documented('kill-during-training')} run/checkpoints/ckpt-{newest:08d}.npz" in output
        # The earlier kill's leftover was removed; this kill may have cut another write short (a new name).
        assert not leftovers & set(directory.glob(".tmp-*"))
        _assert_complete(directory)
        assert len(_steps(directory)) <= 3

    # SIGTERM: a checkpoint at the step in flight (often mid-epoch), status 0.
    code, output = _signal_after_next_checkpoint(_start(COMMAND, "run", tmp_path), directory, signal.SIGTERM, rng)
    assert code == 0, output[-3000:]
    stopped = re.search(rf"{_documented('sigterm')} (\d+)", output)
    assert stopped and _steps(directory)[-1] == int(stopped.group(1)), output[-3000:]
    assert not (tmp_path / "run" / "generator.keras").exists()

    final = subprocess.run([*COMMAND, *RUN_FLAGS, "--out_dir=run"], cwd=tmp_path, env=ENVIRONMENT,
                           capture_output=True, text=True, timeout=600)
    assert final.returncode == 0, final.stderr[-3000:]
    assert _documented("kill-during-checkpoint") in final.stdout
    assert _steps(directory)[-1] == 400
    with np.load(directory / "ckpt-00000400.npz") as resumed, \
            np.load(tmp_path / "reference" / "checkpoints" / "ckpt-00000400.npz") as uninterrupted:
        assert resumed.files == uninterrupted.files
        for key in uninterrupted.files:
            np.testing.assert_array_equal(resumed[key], uninterrupted[key], err_msg=key)
    history = (tmp_path / "run" / "history.csv").read_text().splitlines()
    # A row per 20 steps up to the SIGTERM stop, a row there, then every 20 steps from it: no gap, no repeat.
    steps = [int(row.split(",")[0]) for row in history[1:]]
    stop = int(stopped.group(1))
    assert [step for step in steps if step <= stop] == [*range(20, stop + 1, 20), *([stop] if stop % 20 else [])]
    assert steps == sorted(set(steps)) and steps[-1] == 400
    assert all(0 < later - earlier <= 20 for earlier, later in zip(steps, steps[1:]))


# --------------------------------------------------------------------------
# Bad numbers.

POINTS = RNG.normal(size=(256, 2)).astype("float32")


def _small_gan(**compile_kwargs):
    gan = GAN(mlp_generator(latent_dim=2, units=16), mlp_discriminator(units=16), latent_dim=2, seed=0,
              ema_decay=0.9)
    gan.compile(**{**presets.gan(), **compile_kwargs})
    return gan


class _CriticWeights(keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.after = [[w.copy() for w in self.model.discriminator.get_weights()]]
        self.generator_after = [[w.copy() for w in self.model.generator.get_weights()]]

    def on_train_batch_end(self, batch, logs=None):
        self.after.append([w.copy() for w in self.model.discriminator.get_weights()])
        self.generator_after.append([w.copy() for w in self.model.generator.get_weights()])


def _with_bad_rows(value, rows):
    points = POINTS.copy()
    points[rows] = value
    return points


def _assert_skipped_second_step(gan, record, history):
    unchanged = zip(record.after[1], record.after[2])
    assert all(np.array_equal(before, after) for before, after in unchanged)  # step 2: critic kept
    assert not all(np.array_equal(a, b) for a, b in zip(record.after[2], record.after[3]))  # step 3 trains
    assert not all(np.array_equal(a, b) for a, b in zip(record.generator_after[1], record.generator_after[2]))
    assert int(gan.skipped_steps.numpy()) == 1 and int(gan.consecutive_skipped_steps.numpy()) == 0
    assert int(gan.train_steps.numpy()) == 4
    assert int(gan.d_optimizer.iterations.numpy()) == 3 and int(gan.g_optimizer.iterations.numpy()) == 4
    assert history["skipped_steps"] == [1.0]
    assert all(np.isfinite(history[name][0]) for name in ("d_loss", "g_loss", "wasserstein_estimate"))
    assert all(np.isfinite(w).all() for w in gan.get_weights())


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf], ids=["nan", "inf", "-inf"])
@pytest.mark.parametrize("jit_compile", [False, True], ids=["eager-graph", "xla"])
def test_a_bad_batch_skips_the_critic_update_and_is_counted(value, jit_compile):
    gan = _small_gan(jit_compile=jit_compile)
    record = _CriticWeights()
    history = gan.fit(_with_bad_rows(value, [64 + 5]), batch_size=64, shuffle=False, verbose=0,
                      callbacks=[record]).history
    _assert_skipped_second_step(gan, record, history)


def test_replicas_skip_together_when_only_one_sees_a_bad_value(two_replicas):
    with two_replicas.scope():
        gan = _small_gan()
    record = _CriticWeights()
    # Replica 1 gets rows 32..63 of each batch of 64: only it sees the NaN.
    history = gan.fit(_with_bad_rows(np.nan, [64 + 40]), batch_size=64, shuffle=False, verbose=0,
                      callbacks=[record]).history
    _assert_skipped_second_step(gan, record, history)


def test_a_non_finite_generator_loss_skips_the_generator_update():
    # With a NaN critic weight every score is NaN: both updates are skipped.
    gan = _small_gan()
    gan.discriminator.layers[-1].kernel.assign(np.full((16, 1), np.nan, "float32"))
    before = [w.copy() for w in gan.generator.get_weights()]
    gan.fit(POINTS[:128], batch_size=64, verbose=0)
    assert all(np.array_equal(a, b) for a, b in zip(before, gan.generator.get_weights()))
    assert int(gan.g_optimizer.iterations.numpy()) == 0 and int(gan.consecutive_skipped_steps.numpy()) == 2


def test_a_streak_stops_training_and_names_the_last_good_checkpoint(tmp_path):
    gan = _small_gan()
    points = POINTS.copy()
    points[128:] = np.nan  # steps 3 and 4 of 64 rows each
    callbacks = [checkpoint.GANCheckpoint(tmp_path, every_n_steps=1, max_to_keep=10),
                 TerminateOnNonFinite(patience=2, checkpoint_directory=tmp_path)]
    with pytest.raises(NonFiniteTrainingError) as error:
        gan.fit(points, batch_size=64, shuffle=False, verbose=0, callbacks=callbacks)
    assert _steps(tmp_path) == [1, 2]  # nothing written during the streak
    message = str(error.value)
    assert f"The last good checkpoint is {tmp_path / 'ckpt-00000002.npz'} (step 2)" in message
    assert "Training stopped at step 4: the last 2 steps had NaN or inf" in message
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # fit put the default handler back


# --------------------------------------------------------------------------
# Safe loading: every registered object, from a file, with safe_mode=True.

def _registered():
    return {name for name in keras.saving.get_custom_objects() if name.startswith("keras_lipschitz>")}


def _registered_names_in(config):
    found = set()
    if isinstance(config, dict):
        if str(config.get("registered_name", "")).startswith("keras_lipschitz>"):
            found.add(config["registered_name"])
        for value in config.values():
            found |= _registered_names_in(value)
    elif isinstance(config, list):
        for value in config:
            found |= _registered_names_in(value)
    return found


def _models_with_every_layer():
    attention_input = keras.Input((4, 4, 8))
    attention = keras.Model(attention_input, SelfAttention2D(spectral_normalization=True)(attention_input))
    dense_input = keras.Input((3,))
    dense = keras.layers.Dense(4, kernel_constraint=ClipConstraint(0.01), kernel_regularizer=OrthogonalRegularizer())
    constrained = keras.Model(dense_input, SpectralNormalization(dense)(dense_input))
    gan = GAN(dcgan_generator(8, image_size=8, channels=1, base_filters=16, num_classes=3),
              dcgan_discriminator(image_size=8, channels=1, base_filters=8, spectral_normalization=True,
                                  num_classes=3), latent_dim=8, num_classes=3, seed=0, ema_decay=0.99)
    acgan = GAN(dcgan_generator(8, image_size=8, channels=1, base_filters=16, num_classes=3, conditioning="auxiliary"),
                dcgan_discriminator(image_size=8, channels=1, base_filters=8, num_classes=3, conditioning="auxiliary"),
                latent_dim=8, num_classes=3, seed=0)
    acgan.compile(**presets.gan(), classifier_loss="acgan_mod")  # the classifier loss is in the compile config
    return {
        "attention": (attention, RNG.normal(size=(2, 4, 4, 8))),
        "biggan_generator": (biggan_generator(16, channels=1, filters=8, num_classes=2, image_size=8),
                             [RNG.normal(size=(2, 16)), np.array([0, 1])]),
        "acgan": (acgan, [RNG.normal(size=(2, 8)), np.array([0, 2])]),
        "constrained": (constrained, RNG.normal(size=(2, 3))),
        "resnet_generator": (resnet_generator(16, channels=3, filters=8, num_classes=2),
                             [RNG.normal(size=(2, 16)), np.array([0, 1])]),
        "conditional_gan": (gan, [RNG.normal(size=(2, 8)), np.array([0, 2])]),
        "augmented_critic": (keras.Sequential([keras.Input((8, 8, 1)), DiffAugment("translation", seed=1),
                                               keras.layers.Flatten(), keras.layers.Dense(1)]),
                             RNG.normal(size=(2, 8, 8, 1))),
        "progressive_gan": (_progressive_gan(), RNG.normal(size=(4, 8))),
        "pggan_layers": (_pggan_layers(), [RNG.normal(size=(4, 4, 4, 2)), RNG.normal(size=(4, 1))]),
        "packed_critic": (keras.Sequential([keras.Input((3,)), Packing(2), keras.layers.Dense(1)]),
                          RNG.normal(size=(4, 3))),
        "mode_collapse_remedies": (_remedies_gan("virtual_batch_normalization", minibatch_kernels=3, unrolled_steps=2,
                                                 virtual_batch_reference=4), RNG.normal(size=(4, 2))),
        "ebgan": (_remedies_gan("ebgan", autoencoder_code_dim=3), RNG.normal(size=(4, 2))),
        "madgan": (_remedies_gan("madgan", num_generators=2), RNG.normal(size=(4, 2))),
        "mrgan": (_remedies_gan("mrgan"), RNG.normal(size=(4, 2))),
    }


def _remedies_gan(recipe, **overrides):
    """A mode-collapse remedy's GAN on points, compiled (the compile config holds K, lambda_PT, the margin)."""
    from keras_lipschitz import recipes
    from keras_lipschitz.recipes import build

    settings = recipes.get(recipe).settings("grid25", units=8, **overrides)
    gan, arguments = build.build(settings, (2,), seed=0)
    gan.compile(**arguments)
    return gan


def _pggan_layers():
    """PGGAN's layers in a functional model (the growing networks build them in their constructors)."""
    from keras_lipschitz import layers

    images, other = keras.Input((4, 4, 2)), keras.Input((1,))
    features = layers.MinibatchStandardDeviation(2)(layers.PixelNormalization()(layers.EqualizedConv2D(3, 3)(images)))
    score = layers.EqualizedDense(1)(keras.layers.Flatten()(features))
    return keras.Model([images, other], layers.FadeIn()([other, score], alpha=0.25))


def _progressive_gan():
    """A growing GAN mid-fade (every PGGAN layer, its phase and alpha in the saved model), compiled with drift."""
    from keras_lipschitz.architectures import ProgressiveDiscriminator, ProgressiveGenerator
    from keras_lipschitz.trainers import GrowthSchedule, ProgressiveGAN

    generator = ProgressiveGenerator(8, 8, filters=4, level=1, fading=True)
    generator.alpha.assign(0.5)
    gan = ProgressiveGAN(generator, ProgressiveDiscriminator(8, filters=4, level=1, fading=True), latent_dim=8,
                         schedule=GrowthSchedule(2, 64, 64), seed=0)
    gan.compile(**presets.wgan_gp(), drift_weight=0.001)
    return gan


def test_every_public_object_loads_with_safe_mode(tmp_path):
    seen = set()
    for name, (model, inputs) in _models_with_every_layer().items():
        inputs = [np.asarray(x, "float32" if x.dtype.kind == "f" else "int32") for x in
                  (inputs if isinstance(inputs, list) else [inputs])]
        inputs = inputs if len(inputs) > 1 else inputs[0]
        path = tmp_path / f"{name}.keras"
        model.save(path)
        config = json.loads(zipfile.ZipFile(path).read("config.json"))
        assert "Lambda" not in json.dumps(config) and "__lambda__" not in json.dumps(config)
        loaded = keras.saving.load_model(path, safe_mode=True)
        np.testing.assert_array_equal(keras.ops.convert_to_numpy(loaded(inputs, training=False)),
                                      keras.ops.convert_to_numpy(model(inputs, training=False)), err_msg=name)
        seen |= _registered_names_in(config)
    for loss_name in losses.NAMES:
        loss = losses.get(loss_name)
        real, fake = RNG.normal(size=(2, 8, loss.scores_per_sample)).astype("float32")
        loaded = keras.saving.deserialize_keras_object(losses.serialize(loss), safe_mode=True)
        assert type(loaded) is type(loss) and loaded.get_config() == loss.get_config()
        np.testing.assert_array_equal(loaded.discriminator_loss(real, fake), loss.discriminator_loss(real, fake))
        seen.add(keras.saving.get_registered_name(type(loss)))
    assert seen == _registered()


# --------------------------------------------------------------------------
# The fault table: each row's fault, produced for real; returns what the user sees.

def _message(error_type, action):
    with pytest.raises(error_type) as error:
        action()
    return str(error.value)


def _flag_error(*flags):
    train.FLAGS(["keras-lipschitz-train", *flags])
    try:
        return _message(app.UsageError, train._checked_settings)
    finally:
        train.FLAGS.unparse_flags()


def _nonfinite_batch(tmp_path):
    return str(_small_gan().fit(_with_bad_rows(np.nan, [70]), batch_size=64, shuffle=False, verbose=0).history)


def _nonfinite_streak(tmp_path):
    # Learning rates of 1e38 blow the weights up to inf at once: every later step is NaN.
    result = subprocess.run([*COMMAND, "--dataset=ring8", "--gan=gan", "--steps=50", "--checkpoint_every=1",
                             "--d_learning_rate=1e38", "--g_learning_rate=1e38", "--nonfinite_patience=3",
                             "--out_dir=diverged", "--verbose=0"], cwd=tmp_path, env=ENVIRONMENT,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 1, result.stderr[-3000:]
    assert "No checkpoint was written before the streak" in result.stderr  # step 1 blew the critic up
    assert not (tmp_path / "diverged" / "checkpoints").exists()
    return result.stderr


def _sn_zero_kernel(tmp_path):
    layer = SpectralNormalization(keras.layers.Dense(3, kernel_initializer="zeros"))
    outputs = [layer(np.ones((2, 4), "float32"), training=training) for training in (True, False)]
    return f"outputs finite: {all(bool(np.isfinite(output).all()) for output in outputs)}"


def _corrupt_checkpoint(tmp_path):
    gan = _small_gan()
    path = checkpoint.save(gan, tmp_path / "ckpt-00000001.npz")
    path.write_bytes(path.read_bytes()[:100])
    return _message(ValueError, lambda: checkpoint.restore(gan, path))


def _checkpoint_other_architecture(tmp_path):
    path = checkpoint.save(_small_gan(), tmp_path / "ckpt-00000001.npz")
    wider = GAN(mlp_generator(latent_dim=2, units=32), mlp_discriminator(units=16), latent_dim=2, seed=0, ema_decay=0.9)
    wider.compile(**presets.gan())
    return _message(ValueError, lambda: checkpoint.restore(wider, path))


def _unsafe_file(tmp_path):
    inputs = keras.Input((2,))
    model = keras.Model(inputs, keras.layers.Lambda(lambda x: x * 2)(inputs))
    model.save(tmp_path / "lambda.keras")
    return _message(ValueError, lambda: keras.saving.load_model(tmp_path / "lambda.keras", safe_mode=True))


def _wrong_image_shape(tmp_path):
    gan = GAN(dcgan_generator(8, image_size=8, channels=1, base_filters=16),
              dcgan_discriminator(image_size=8, channels=1, base_filters=8), latent_dim=8)
    gan.compile(**presets.gan())
    rgb = tf.data.Dataset.from_tensor_slices(np.zeros((64, 8, 8, 3), "float32")).batch(32, drop_remainder=True)
    return _message(ValueError, lambda: gan.fit(rgb, verbose=0))


def _empty_folder(tmp_path):
    (tmp_path / "empty").mkdir()
    return _message(ValueError, lambda: data.load(f"folder:{tmp_path / 'empty'}"))


def _corrupt_image(tmp_path):
    folder = tmp_path / "images" / "cats"
    folder.mkdir(parents=True)
    keras.utils.save_img(folder / "good.png", np.zeros((4, 4, 3), "uint8"), scale=False)
    (folder / "broken.png").write_bytes(b"\x89PNG not really")
    message = _message(ValueError, lambda: data.load(f"folder:{tmp_path / 'images'}"))
    assert "broken.png" in message
    return message


def _label_out_of_range(tmp_path):
    gan = GAN(mlp_generator(latent_dim=2, num_classes=3), mlp_discriminator(num_classes=3), latent_dim=2,
              num_classes=3)
    gan.compile(**presets.gan())
    labels = np.arange(64) % 4  # class 3 does not exist
    return _message(ValueError, lambda: gan.fit(POINTS[:64], labels, batch_size=32, verbose=0))


def _latent_mismatch(tmp_path):
    return _message(ValueError, lambda: GAN(mlp_generator(latent_dim=4), mlp_discriminator(), latent_dim=2))


def _unsupported_layer(tmp_path):
    return _message(TypeError, lambda: SpectralNormalization(keras.layers.BatchNormalization()))


def _other_recipe_out_dir(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.json").write_text(json.dumps({"gan": "wgan_gp"}))
    train.FLAGS(["keras-lipschitz-train", "--gan=sngan", f"--out_dir={run}"])
    try:
        settings = train._checked_settings()
        return _message(app.UsageError, lambda: train._check_recipe(run, settings, train._saved_config(run)))
    finally:
        train.FLAGS.unparse_flags()


FAULTS = {
    "nonfinite-batch": _nonfinite_batch,
    "nonfinite-streak": _nonfinite_streak,
    "sn-zero-kernel": _sn_zero_kernel,
    "corrupt-checkpoint": _corrupt_checkpoint,
    "checkpoint-other-architecture": _checkpoint_other_architecture,
    "unsafe-file": _unsafe_file,
    "wrong-image-shape": _wrong_image_shape,
    "wrong-channels-flag": lambda tmp_path: _flag_error("--channels=2"),
    "empty-folder": _empty_folder,
    "corrupt-image": _corrupt_image,
    "label-out-of-range": _label_out_of_range,
    "latent-mismatch": _latent_mismatch,
    "unsupported-layer": _unsupported_layer,
    "invalid-flag": lambda tmp_path: _flag_error("--steps=0"),
    "other-recipe-out-dir": _other_recipe_out_dir,
}


def test_the_fault_table_and_the_tests_list_the_same_faults():
    assert set(_fault_table()) == set(FAULTS) | set(CRASH_ROWS) | set(COMMAND_FINISH_ROWS)
    source = pathlib.Path(__file__).read_text()
    for fault in CRASH_ROWS:  # checked in the subprocess test above
        assert f'_documented("{fault}")' in source or f"_documented('{fault}')" in source
    source = (ROOT / "tests" / "test_command_finish.py").read_text()
    for fault in COMMAND_FINISH_ROWS:
        assert f'documented("{fault}")' in source or f"documented('{fault}')" in source, fault


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_fault_table_row(fault, tmp_path):
    assert _documented(fault) in FAULTS[fault](tmp_path)
