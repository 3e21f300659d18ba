"""Generator export: SN folded exactly, SavedModel and TFLite round trips, a fresh process, bad input."""

import json
import os
import pathlib
import subprocess
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_lipschitz.architectures import biggan_generator
from keras_lipschitz.architectures import dcgan_generator
from keras_lipschitz.architectures import mlp_discriminator
from keras_lipschitz.architectures import mlp_generator
from keras_lipschitz.architectures import resnet_generator
from keras_lipschitz.export import TOLERANCES
from keras_lipschitz.export import export_generator
from keras_lipschitz.export import fold_spectral_normalization
from keras_lipschitz.export import run_tflite
from keras_lipschitz.layers import SelfAttention2D
from keras_lipschitz.layers import SpectralNormalization
from keras_lipschitz.trainers import GAN
from keras_lipschitz.trainers import presets

RNG = np.random.default_rng(0)
LATENT = 16
GENERATORS = ["dcgan", "dcgan_conditional", "resnet", "resnet_conditional", "sagan_conditional", "biggan_conditional"]


def _generators(spectral_normalization=True):
    keras.utils.set_random_seed(0)
    return {
        "dcgan": dcgan_generator(LATENT, image_size=8, channels=3, base_filters=32,
                                 spectral_normalization=spectral_normalization),
        "dcgan_conditional": dcgan_generator(LATENT, image_size=8, channels=1, base_filters=32, num_classes=3,
                                             spectral_normalization=spectral_normalization),
        "resnet": resnet_generator(LATENT, channels=3, filters=8, spectral_normalization=spectral_normalization),
        "resnet_conditional": resnet_generator(LATENT, channels=3, filters=8, num_classes=3,
                                               spectral_normalization=spectral_normalization),
        # SN inside custom layers: the attention projections, BigGAN's conditional BN projections.
        "sagan_conditional": resnet_generator(LATENT, channels=3, filters=16, num_classes=3, image_size=8,
                                              attention_resolution=4,
                                              spectral_normalization=spectral_normalization),
        "biggan_conditional": biggan_generator(LATENT, channels=3, filters=16, num_classes=3, image_size=8,
                                               attention_resolution=4,
                                               spectral_normalization=spectral_normalization),
    }


def _inputs(generator, count=4):
    latents = tf.constant(RNG.normal(size=(count, LATENT)).astype("float32"))
    if len(generator.inputs) == 1:
        return latents
    return [latents, tf.constant(np.arange(count) % 3, tf.int32)]


def _trained(generator):
    """Moves the power-iteration state and BN statistics off their initial values, and opens the attention
    blocks (their gamma starts at 0, which would hide their convolutions)."""
    for layer in generator._flatten_layers():
        if isinstance(layer, SelfAttention2D):
            layer.gamma.assign(0.7)
    for _ in range(3):
        generator(_inputs(generator, 8), training=True)
    return generator


@pytest.mark.parametrize("name", GENERATORS)
def test_folding_matches_the_wrapped_generator_exactly(name):
    generator = _trained(_generators()[name])
    plain = fold_spectral_normalization(generator)
    inputs = _inputs(generator)
    np.testing.assert_allclose(plain(inputs), generator(inputs), atol=1e-6)
    assert not any(isinstance(layer, SpectralNormalization) for layer in plain._flatten_layers())
    assert not any("singular_vector" in weight.path for weight in plain.weights)
    plain_architecture = _generators(spectral_normalization=False)[name]
    assert [w.shape for w in plain.weights] == [w.shape for w in plain_architecture.weights]


@pytest.mark.parametrize("name", GENERATORS)
def test_saved_model_and_tflite_round_trips(name, tmp_path):
    generator = _trained(_generators()[name])
    report = export_generator(generator, tmp_path / "export")
    assert report["max_abs_difference"]["saved_model"] <= 1e-5
    for quantization, tolerance in TOLERANCES.items():
        assert report["max_abs_difference"][f"tflite_{quantization}"] <= tolerance, quantization
    assert json.loads((tmp_path / "export" / "report.json").read_text()) == report
    # Our own check of the files, on other latents.
    inputs = _inputs(generator, 5)
    expected = np.asarray(generator(inputs, training=False))
    loaded = tf.saved_model.load(str(tmp_path / "export" / "saved_model"))
    feed = {"z": inputs} if len(generator.inputs) == 1 else {"z": inputs[0], "label": inputs[1]}
    np.testing.assert_allclose(loaded.signatures["serve"](**feed)["output_0"], expected, atol=1e-5)
    np.testing.assert_allclose(run_tflite(tmp_path / "export" / "generator_float32.tflite", inputs), expected,
                               atol=1e-5)
    assert report["files"]["tflite_int8"] < report["files"]["tflite_float32"]


def _op_types(saved_model_dir):
    loaded = tf.saved_model.load(str(saved_model_dir))
    graph = loaded.signatures["serve"].graph
    types = {op.type for op in graph.get_operations()}
    for function in graph.as_graph_def().library.function:
        types |= {node.op for node in function.node_def}
    return types, loaded


def test_exported_graph_has_no_power_iteration(tmp_path):
    # The oracle: the same architecture built without SN, exported the same way.
    with_sn = _trained(_generators()["dcgan"])
    without_sn = _generators(spectral_normalization=False)["dcgan"]
    export_generator(with_sn, tmp_path / "sn", formats=("saved_model",))
    export_generator(without_sn, tmp_path / "plain", formats=("saved_model",))
    (sn_ops, _), (plain_ops, _) = _op_types(tmp_path / "sn" / "saved_model"), _op_types(
        tmp_path / "plain" / "saved_model")
    assert sn_ops == plain_ops
    variables = tf.train.list_variables(str(tmp_path / "sn" / "saved_model" / "variables" / "variables"))
    saved = sorted(tuple(shape) for name, shape in variables if "model_variables" in name)
    assert saved == sorted(tuple(w.shape) for w in without_sn.weights)  # no u vectors


def test_sample_signature_is_deterministic_truncated_and_uint8(tmp_path):
    generator = _trained(_generators()["dcgan_conditional"])
    export_generator(generator, tmp_path / "export", formats=("saved_model",), truncation=0.5, output="uint8")
    loaded = tf.saved_model.load(str(tmp_path / "export" / "saved_model"))
    sample = loaded.signatures["sample"]
    first = sample(seed=tf.constant(7, tf.int64), num=tf.constant(6))["output_0"].numpy()
    assert first.dtype == np.uint8 and first.shape == (6, 8, 8, 1)
    np.testing.assert_array_equal(first, sample(seed=tf.constant(7, tf.int64), num=tf.constant(6))["output_0"])
    # Independently: the latents are TF's stateless uniform draws mapped through the inverse normal CDF.
    bound = float(tf.math.erf(0.5 / np.sqrt(2.0)))
    uniform = tf.random.stateless_uniform((6, LATENT), seed=[7, 0], minval=-bound, maxval=bound)
    latents = np.sqrt(2.0) * tf.math.erfinv(uniform)
    assert float(tf.reduce_max(tf.abs(latents))) <= 0.5 + 1e-6
    images = generator([latents, tf.constant(np.arange(6) % 3, tf.int32)], training=False)
    expected = np.round((np.clip(np.asarray(images), -1, 1) + 1) * 127.5).astype("uint8")
    assert np.abs(first.astype(int) - expected.astype(int)).max() <= 1  # rounding at .5 boundaries


def test_saved_model_loads_in_a_fresh_process_without_the_library(tmp_path):
    generator = _trained(_generators()["dcgan"])
    export_generator(generator, tmp_path / "export", formats=("saved_model",))
    latents = RNG.normal(size=(3, LATENT)).astype("float32")
    np.save(tmp_path / "latents.npy", latents)
    np.save(tmp_path / "expected.npy", np.asarray(generator(latents, training=False)))
    script = (
        "import sys, numpy as np, tensorflow as tf\n"
        f"model = tf.saved_model.load({str(tmp_path / 'export' / 'saved_model')!r})\n"
        f"z = np.load({str(tmp_path / 'latents.npy')!r})\n"
        "out = model.signatures['serve'](z=tf.constant(z))['output_0'].numpy()\n"
        f"expected = np.load({str(tmp_path / 'expected.npy')!r})\n"
        "assert not any(name.startswith('keras_lipschitz') for name in sys.modules)\n"
        "print('max difference', float(np.abs(out - expected).max()))\n"
    )
    environment = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "CUDA_VISIBLE_DEVICES": ""}
    result = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=environment, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert float(result.stdout.split("max difference")[1]) <= 1e-5


def test_a_gan_exports_its_ema_generator(tmp_path):
    gan = GAN(mlp_generator(latent_dim=2), mlp_discriminator(), latent_dim=2, seed=0, ema_decay=0.5)
    gan.compile(**presets.sngan())
    gan.fit(RNG.normal(size=(128, 2)).astype("float32"), batch_size=64, verbose=0)
    export_generator(gan, tmp_path / "export", formats=("saved_model",))
    latents = tf.constant(RNG.normal(size=(4, 2)).astype("float32"))
    served = tf.saved_model.load(str(tmp_path / "export" / "saved_model")).signatures["serve"](z=latents)
    np.testing.assert_allclose(served["output_0"], gan(latents), atol=1e-6)  # the EMA weights
    assert not np.allclose(gan(latents), gan.generator(latents), atol=1e-4)


@pytest.mark.parametrize("name", ["dcgan", "dcgan_conditional"])
def test_onnx_export_matches_the_keras_generator(name, tmp_path):
    import onnxruntime

    generator = _trained(_generators()[name])
    report = export_generator(generator, tmp_path / "export", formats=("onnx",), quantizations=())
    assert report["max_abs_difference"]["onnx"] <= 1e-5
    assert sorted(path.name for path in (tmp_path / "export").iterdir()) == ["generator.onnx", "report.json"]
    session = onnxruntime.InferenceSession(str(tmp_path / "export" / "generator.onnx"))
    inputs = _inputs(generator, 3)
    values = inputs if isinstance(inputs, list) else [inputs]
    feed = {spec.name: np.asarray(value) for spec, value in zip(session.get_inputs(), values)}
    np.testing.assert_allclose(session.run(None, feed)[0], generator(inputs, training=False), atol=1e-5)


def test_bad_exports_are_refused_and_leave_nothing_behind(tmp_path, monkeypatch):
    generator = _generators()["dcgan"]
    critic = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Flatten(), keras.layers.Dense(1)])
    with pytest.raises(ValueError, match="does not look like a generator"):
        export_generator(critic, tmp_path / "x")
    with pytest.raises(ValueError, match="built Keras model"):
        export_generator(keras.Sequential([keras.layers.Dense(2)]), tmp_path / "x")
    with pytest.raises(ValueError, match="Unknown format 'pytorch'"):
        export_generator(generator, tmp_path / "x", formats=("pytorch",))
    (tmp_path / "taken").mkdir()
    with pytest.raises(FileExistsError, match="overwrite"):
        export_generator(generator, tmp_path / "taken")

    import keras_lipschitz.export.exporter as exporter

    def broken(*args):
        raise RuntimeError("converter crashed")

    monkeypatch.setattr(exporter, "_convert", broken)
    with pytest.raises(RuntimeError, match="converter crashed"):
        export_generator(generator, tmp_path / "half")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["taken"]  # no half-written export

    monkeypatch.undo()
    export_generator(generator, tmp_path / "served", formats=("saved_model",))
    serve = tf.saved_model.load(str(tmp_path / "served" / "saved_model")).signatures["serve"]
    with pytest.raises(tf.errors.InvalidArgumentError) as failure:
        serve(z=tf.zeros((2, LATENT + 1)))  # wrong latent size
    # TF reports the signature mismatch first, in the chained error.
    assert "Can not cast TensorSpec(shape=(2, 17)" in str(failure.value.__context__)
    assert "TensorSpec(shape=(None, 16)" in str(failure.value.__context__)


def test_export_command(tmp_path):
    generator = _trained(_generators()["dcgan"])
    generator.save(tmp_path / "generator.keras")
    environment = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "CUDA_VISIBLE_DEVICES": ""}
    command = [sys.executable, "-m", "keras_lipschitz.export.command", f"--model={tmp_path}",
               f"--output_dir={tmp_path / 'out'}", "--quantizations=float32"]
    # Not from the repository root, where ./keras_lipschitz would shadow the installed package.
    result = subprocess.run(command, cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["max_abs_difference"]["tflite_float32"] <= 1e-5
    again = subprocess.run(command, cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=300)
    assert again.returncode != 0 and "overwrite" in again.stderr


def test_serving_signatures_validate_labels_take_int64_and_sample_one_class(tmp_path):
    generator = _trained(_generators()["dcgan_conditional"])
    for variable in generator.trainable_variables:  # classes look alike at initialization
        variable.assign(variable + RNG.normal(0.0, 0.3, variable.shape).astype("float32"))
    report = export_generator(generator, tmp_path / "export", quantizations=("float32",), output="uint8")
    loaded = tf.saved_model.load(str(tmp_path / "export" / "saved_model"))
    assert {"serving_default", "serve", "sample", "sample_class"} <= set(loaded.signatures)
    latents, labels = _inputs(generator, 6)
    expected = loaded.signatures["serve"](z=latents, label=labels)["output_0"].numpy()
    default = loaded.signatures["serving_default"](z=latents, label=labels)["output_0"].numpy()
    np.testing.assert_array_equal(default, expected)
    np.testing.assert_array_equal(loaded.serve(latents, tf.cast(labels, tf.int64)).numpy(), expected)
    for bad in (-1, 3):
        with pytest.raises(tf.errors.InvalidArgumentError, match=r"label must be in \[0, 3\)"):
            loaded.signatures["serve"](z=latents[:1], label=tf.constant([bad], tf.int32))
    # sample_class: every sample of the chosen class, the same as serve on the same latents.
    chosen = loaded.signatures["sample_class"](seed=tf.constant(5, tf.int64), num=tf.constant(4),
                                               label=tf.constant(2))["output_0"].numpy()
    in_turn = loaded.signatures["sample"](seed=tf.constant(5, tf.int64), num=tf.constant(4))["output_0"].numpy()
    assert chosen.shape == in_turn.shape == (4, 8, 8, 1)
    np.testing.assert_array_equal(chosen[2], in_turn[2])  # sample draws label 2 for its third sample
    assert not np.array_equal(chosen[0], in_turn[0])  # ... and label 0 for its first
    # The report: tolerances in uint8 levels, only for the files written.
    assert report["tolerances"] == {"tflite_float32": 1}
    assert sorted(report["files"]) == ["saved_model", "tflite_float32"]


def test_export_is_readable_by_other_users(tmp_path):
    previous = os.umask(0o022)
    try:
        export_generator(_generators()["dcgan"], tmp_path / "export", formats=("saved_model",))
    finally:
        os.umask(previous)
    modes = {path.relative_to(tmp_path): path.stat().st_mode & 0o777 for path in (tmp_path / "export").rglob("*")}
    modes[pathlib.Path("export")] = (tmp_path / "export").stat().st_mode & 0o777
    assert all(mode == (0o755 if (tmp_path / path).is_dir() else 0o644) for path, mode in modes.items()), modes
