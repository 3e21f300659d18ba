"""Exporting a generator for serving: SavedModel with named signatures, TFLite, a report."""

import importlib.util
import json
import math
import pathlib
import shutil
import tempfile

import keras
import numpy as np
import tensorflow as tf

from keras_lipschitz import _files
from keras_lipschitz import backend
from keras_lipschitz import visualization
from keras_lipschitz.export.folding import fold_spectral_normalization

FORMATS = ("saved_model", "tflite")
# Opt-in: Keras' ONNX exporter needs the `onnx` extra (tf2onnx, onnxruntime).
OPTIONAL_FORMATS = ("onnx",)
QUANTIZATIONS = ("float32", "float16", "int8")
OUTPUTS = ("float", "uint8")
# Documented agreement of each TFLite quantization with the Keras generator
# (max abs difference on outputs in [-1, 1]); float32 is checked to 1e-5.
TOLERANCES = {"float32": 1e-5, "float16": 2e-2, "int8": 2.5e-1}


def export_generator(
    generator,
    directory,
    formats=FORMATS,
    quantizations=QUANTIZATIONS,
    truncation=None,
    output="float",
    overwrite=False,
    check_samples=8,
    seed=0,
):
    """Exports a generator (or a trained `GAN`'s EMA generator) as SavedModel and TFLite files.

    The exported model is a plain copy with every `SpectralNormalization`
    folded into its layer's kernel (sigma recomputed now from the current
    state): no power iteration and no singular-vector state remain. The
    SavedModel has the signatures

    * `serve(z)` (conditional: `serve(z, label)`): samples for given
      latents, also as `serving_default` (the signature TF Serving and
      `saved_model_cli run` use when none is named). Labels are int32 in the
      signatures; the restored `serve` function also takes int64. A label
      outside `[0, num_classes)` is an error that names the range;
    * `sample(seed, num)`: `num` samples from latents drawn deterministically
      from an int `seed` (truncated to `[-truncation, truncation]` when
      `truncation` is set; conditional: labels `0, 1, ...` in turn);
    * conditional only, `sample_class(seed, num, label)`: `num` samples of
      one class,

    returning float32 in [-1, 1], or uint8 in {0..255} with `output="uint8"`.
    It loads with `tf.saved_model.load` without this library. The TFLite
    files are converted from the SavedModel's `serve` signature in float32,
    float16 and dynamic-range int8, and each is run with the `ai-edge-litert`
    interpreter on fixed latents and compared with the Keras generator.

    The export is written to a temporary directory next to `directory` and
    renamed into place, so a failed export leaves nothing behind.

    Args:
        generator: a built Keras generator, `(batch, latent_dim)` (and
            labels) to samples, or a `keras_lipschitz.trainers.GAN`.
        directory: output directory; must not exist unless `overwrite`.
        formats: any of `"saved_model"`, `"tflite"` (TFLite needs the SavedModel
            step, which is then kept only if asked for), and `"onnx"` (Keras'
            ONNX exporter; `pip install "keras-lipschitz[onnx]"`), checked with
            onnxruntime.
        quantizations: TFLite quantizations among `"float32"`, `"float16"`, `"int8"`.
        truncation: None or a float > 0 for the `sample` signature (None:
            a `GAN`'s own `truncation`, else none).
        output: `"float"` or `"uint8"`.
        overwrite: replace an existing `directory`.
        check_samples: latents used to measure the exports' differences.
        seed: seed of those latents.

    Returns:
        The report (also written to `directory/report.json`): formats, file
        sizes and the max abs difference of each export from the Keras
        generator.

    Example:

    ```python
    import tempfile
    from keras_lipschitz.architectures import dcgan_generator
    from keras_lipschitz.export import export_generator

    generator = dcgan_generator(latent_dim=8, image_size=8, channels=1, base_filters=16,
                                spectral_normalization=True)
    report = export_generator(generator, tempfile.mkdtemp() + "/generator", quantizations=("float32",))
    print(report["max_abs_difference"]["tflite_float32"] < 1e-5)  # True
    ```

    Reference:
        Miyato et al., ICLR 2018, eq. 8 (the folded kernel W / sigma);
        Brock et al., ICLR 2019, Section 3.1 (truncation).
    """
    backend.require("export_generator (SavedModel and TFLite are TensorFlow graphs)", ("tensorflow",),
                    hint="A generator trained on JAX exports from its .keras file: generator.save('generator.keras'), "
                         "then keras-lipschitz-export --model=generator.keras (it loads it on TensorFlow).")
    if truncation is None:
        truncation = getattr(generator, "truncation", None)  # a GAN's own (BigGAN samples truncated)
    generator = _generator_of(generator)
    formats, quantizations = _checked_choices(formats, quantizations, output)
    latent_dim, num_classes = _generator_signature(generator)
    directory = pathlib.Path(directory)
    if directory.exists() and not overwrite:
        raise FileExistsError(f"{directory} exists; choose a new directory or pass overwrite=True (--overwrite).")
    plain = fold_spectral_normalization(generator)
    staging = pathlib.Path(tempfile.mkdtemp(dir=directory.parent if directory.parent.exists() else None,
                                            prefix=f".{directory.name}-"))
    try:
        report = _export(plain, generator, staging, formats, quantizations, latent_dim, num_classes,
                         truncation, output, check_samples, seed)
        _files.make_public(staging)  # mkdtemp made it 0700
        if directory.exists():
            shutil.rmtree(directory)
        directory.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(staging), str(directory))
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return report


def _export(plain, generator, staging, formats, quantizations, latent_dim, num_classes, truncation, output,
            check_samples, seed):
    conditional = num_classes is not None
    saved_model = staging / "saved_model"
    _write_saved_model(plain, saved_model, latent_dim, num_classes, truncation, output)
    inputs = _check_inputs(latent_dim, num_classes, check_samples, seed)
    expected = _postprocess(generator(inputs, training=False), output)
    report = {
        "latent_dim": latent_dim,
        "conditional": conditional,
        "output": output,
        "truncation": truncation,
        "files": {},
        "max_abs_difference": {},
    }
    loaded = tf.saved_model.load(str(saved_model))
    served = loaded.signatures["serve"](**_signature_inputs(inputs, conditional))["output_0"].numpy()
    report["max_abs_difference"]["saved_model"] = _difference(served, expected)
    for quantization in quantizations if "tflite" in formats else ():
        path = staging / f"generator_{quantization}.tflite"
        path.write_bytes(_convert(saved_model, quantization))
        report["files"][f"tflite_{quantization}"] = _size(path)
        report["max_abs_difference"][f"tflite_{quantization}"] = _difference(
            run_tflite(path, inputs, conditional), expected)
    if "onnx" in formats:
        path = staging / "generator.onnx"
        _write_onnx(plain, inputs, path)
        report["files"]["onnx"] = _size(path)
        report["max_abs_difference"]["onnx"] = _difference(_postprocess(_run_onnx(path, inputs), output), expected)
    if "saved_model" in formats:
        report["files"]["saved_model"] = _size(saved_model)
    else:
        shutil.rmtree(saved_model)
    report["keras_weights_bytes"] = int(sum(np.asarray(w).nbytes for w in plain.weights))
    report["tolerances"] = _tolerances(quantizations if "tflite" in formats else (), output)
    with _files.atomic_write(staging / "report.json", "w") as file:
        json.dump(report, file, indent=2)
    return report


def _tolerances(quantizations, output):
    """The documented agreement of each TFLite file written, in the output's units (uint8 levels for
    `output="uint8"`, where rounding can move a value by one level)."""
    if output == "float":
        return {f"tflite_{name}": TOLERANCES[name] for name in quantizations}
    return {f"tflite_{name}": max(1, math.ceil(TOLERANCES[name] * 127.5)) for name in quantizations}


def _write_onnx(plain, inputs, path):
    if importlib.util.find_spec("tf2onnx") is None:  # what Keras' ONNX exporter runs on
        raise ValueError('The onnx format needs tf2onnx and onnxruntime: pip install "keras-lipschitz[onnx]".')
    plain(inputs, training=False)  # Keras' exporter wants a model that has been called
    plain.export(str(path), format="onnx", verbose=False)


def _run_onnx(path, inputs):
    import onnxruntime

    session = onnxruntime.InferenceSession(str(path))
    values = inputs if isinstance(inputs, (list, tuple)) else [inputs]
    feed = {spec.name: np.asarray(value) for spec, value in zip(session.get_inputs(), values)}
    return session.run(None, feed)[0]


def _generator_of(model):
    if hasattr(model, "ema_generator") and hasattr(model, "generator"):
        return model.ema_generator()  # a trained GAN: its EMA weights when it has them
    return model


def _checked_choices(formats, quantizations, output):
    formats, quantizations = tuple(formats), tuple(quantizations)
    for name, values, known in (
        ("format", formats, FORMATS + OPTIONAL_FORMATS),
        ("quantization", quantizations, QUANTIZATIONS),
    ):
        unknown = [value for value in values if value not in known]
        if unknown:
            raise ValueError(f"Unknown {name} {unknown[0]!r}; choose from {', '.join(known)}.")
    if not formats:
        raise ValueError(f"Give at least one format of {', '.join(FORMATS)}.")
    if output not in OUTPUTS:
        raise ValueError(f"output must be one of {', '.join(OUTPUTS)}, got {output!r}.")
    return formats, quantizations


def _generator_signature(generator):
    """(latent_dim, num_classes or None) of a generator, or a clear error if it is not one."""
    if not isinstance(generator, keras.Model) or not generator.built:
        raise ValueError(
            f"export_generator takes a built Keras model (or a trained GAN), got {generator!r}; build it "
            "with keras.Input or call it once."
        )
    inputs = generator.inputs
    latent = inputs[0]
    if len(latent.shape) != 2 or latent.shape[-1] is None or "float" not in str(latent.dtype):
        raise ValueError(
            f"{generator.name} does not look like a generator: its first input must be float latents of "
            f"shape (batch, latent_dim), got {latent.shape} {latent.dtype}."
        )
    if len(inputs) > 2 or (len(inputs) == 2 and "int" not in str(inputs[1].dtype)):
        raise ValueError(
            f"{generator.name} takes {len(inputs)} inputs; a generator takes latents, and integer labels "
            "when conditional."
        )
    return int(latent.shape[-1]), (_num_classes(generator) if len(inputs) == 2 else None)


def _write_saved_model(plain, path, latent_dim, num_classes, truncation, output):
    conditional = num_classes is not None

    def generate(latents, labels=None):
        if conditional:
            labels = _checked_labels(labels, num_classes)
        samples = plain([latents, labels] if conditional else latents, training=False)
        return _postprocess_tensor(tf.cast(samples, tf.float32), output)

    latent_spec = tf.TensorSpec((None, latent_dim), tf.float32, name="z")
    seed_spec, num_spec = tf.TensorSpec((), tf.int64, name="seed"), tf.TensorSpec((), tf.int32, name="num")
    if conditional:
        serve = tf.function(generate)
        # int32 for the signatures (and TFLite); int64 too for callers of loaded.serve, as TF Serving's
        # clients and NumPy's default integers send.
        signature = serve.get_concrete_function(latent_spec, tf.TensorSpec((None,), tf.int32, name="label"))
        serve.get_concrete_function(latent_spec, tf.TensorSpec((None,), tf.int64, name="label"))
    else:
        serve = tf.function(lambda z: generate(z), input_signature=[latent_spec])
        signature = serve.get_concrete_function()

    def sample(seed, num):
        latents = _stateless_latents(seed, num, latent_dim, truncation)
        labels = tf.math.floormod(tf.range(num), num_classes) if conditional else None
        return generate(latents, labels)

    def sample_class(seed, num, label):
        latents = _stateless_latents(seed, num, latent_dim, truncation)
        return generate(latents, tf.fill([num], label))

    sample = tf.function(sample, input_signature=[seed_spec, num_spec])
    signatures = {"serving_default": signature, "serve": signature, "sample": sample.get_concrete_function()}
    # A bare module that tracks each TensorFlow variable once: tracking the
    # Keras model too (as keras.export.ExportArchive does) stores every
    # variable twice and doubles the SavedModel.
    module = tf.Module()
    module.model_variables = [variable.value for variable in plain.weights]
    module.serve, module.sample = serve, sample
    if conditional:
        module.sample_class = tf.function(
            sample_class, input_signature=[seed_spec, num_spec, tf.TensorSpec((), tf.int32, name="label")]
        )
        signatures["sample_class"] = module.sample_class.get_concrete_function()
    tf.saved_model.save(module, str(path), signatures=signatures)


def _checked_labels(labels, num_classes):
    """int32 labels, with an error naming the valid range for one outside it (an embedding would read
    another row silently on some devices)."""
    labels = tf.cast(labels, tf.int32)
    in_range = tf.reduce_all((labels >= 0) & (labels < num_classes))
    check = tf.debugging.Assert(in_range, [f"label must be in [0, {num_classes}), got", labels])
    with tf.control_dependencies([check]):
        return tf.identity(labels)


def _num_classes(model):
    from keras_lipschitz.layers import ConditionalBatchNormalization

    for layer in model._flatten_layers(include_self=False):
        if isinstance(layer, ConditionalBatchNormalization):
            return layer.num_classes
        if isinstance(layer, keras.layers.Embedding):
            return layer.input_dim
    raise ValueError(f"Cannot tell the number of classes of {model.name}: no conditional layer found.")


def _stateless_latents(seed, num, latent_dim, truncation):
    shape = tf.stack([num, latent_dim])
    seeds = tf.stack([seed, tf.constant(0, tf.int64)])
    if truncation is None:
        return tf.random.stateless_normal(shape, seed=seeds)
    bound = math.erf(float(truncation) / math.sqrt(2.0))
    uniform = tf.random.stateless_uniform(shape, seed=seeds, minval=-bound, maxval=bound)
    return math.sqrt(2.0) * tf.math.erfinv(uniform)


def _postprocess_tensor(samples, output):
    if output == "float":
        return samples
    return tf.cast(tf.round((tf.clip_by_value(samples, -1.0, 1.0) + 1.0) * 127.5), tf.uint8)


def _postprocess(samples, output):
    """The Keras side of the comparison, in NumPy: the same mapping as `_postprocess_tensor`."""
    samples = np.asarray(samples, "float32")
    return samples if output == "float" else visualization.to_uint8(samples)


def _check_inputs(latent_dim, num_classes, count, seed):
    rng = np.random.default_rng(seed)
    latents = rng.normal(size=(count, latent_dim)).astype("float32")
    if num_classes is None:
        return tf.constant(latents)
    return [tf.constant(latents), tf.constant(np.arange(count) % num_classes, tf.int32)]


def _signature_inputs(inputs, conditional):
    if conditional:
        return {"z": inputs[0], "label": inputs[1]}
    return {"z": inputs}


def _convert(saved_model, quantization):
    converter = tf.lite.TFLiteConverter.from_saved_model(str(saved_model), signature_keys=["serve"])
    if quantization in ("float16", "int8"):
        converter.optimizations = [tf.lite.Optimize.DEFAULT]  # int8: dynamic-range weights
    if quantization == "float16":
        converter.target_spec.supported_types = [tf.float16]
    return converter.convert()


def run_tflite(path, inputs, conditional=None):
    """Runs a TFLite generator file with the `ai-edge-litert` interpreter.

    Args:
        path: the `.tflite` file.
        inputs: latents `(n, latent_dim)`, or `[latents, labels]`.
        conditional: whether inputs hold labels (default: inputs is a list).

    Returns:
        The outputs as a numpy array.
    """
    from ai_edge_litert.interpreter import Interpreter

    conditional = isinstance(inputs, (list, tuple)) if conditional is None else conditional
    interpreter = Interpreter(model_path=str(path))
    runner = interpreter.get_signature_runner("serve")
    feed = {name: np.asarray(value) for name, value in _signature_inputs(inputs, conditional).items()}
    return np.asarray(runner(**feed)["output_0"])


def _difference(actual, expected):
    return float(np.max(np.abs(np.asarray(actual, "float64") - np.asarray(expected, "float64"))))


def _size(path):
    path = pathlib.Path(path)
    if path.is_file():
        return path.stat().st_size
    return sum(file.stat().st_size for file in path.rglob("*") if file.is_file())
