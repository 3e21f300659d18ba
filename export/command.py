"""`keras-lipschitz-export`: export a trained generator to SavedModel and TFLite.

    keras-lipschitz-export --model=runs/digits-sngan --output_dir=exported/digits
    keras-lipschitz-export --model=generator.keras --output_dir=out --quantizations=float32,int8 --output=uint8

`--model` is a `.keras` generator file or a training run's out dir (its
`generator.keras`, the EMA generator that `keras-lipschitz-train` saves).
"""

import json
import os
import pathlib
import sys

from absl import app
from absl import flags

from keras_lipschitz import _cli

FLAGS = flags.FLAGS
flags.DEFINE_string("model", None, "A .keras generator file, or a keras-lipschitz-train out dir.")
flags.DEFINE_string("output_dir", None, "Where to write the export (must not exist unless --overwrite).")
flags.DEFINE_list("formats", ["saved_model", "tflite"], "Formats: saved_model, tflite.")
flags.DEFINE_list("quantizations", ["float32", "float16", "int8"], "TFLite quantizations: float32, float16, int8.")
flags.DEFINE_float("truncation", None, "Truncation of the latents drawn by the `sample(seed, num)` signature "
                   "(default: the training run's, from its config.json next to generator.keras).")
flags.DEFINE_enum("output", "float", ["float", "uint8"], "Serve floats in [-1, 1] or uint8 images.")
flags.DEFINE_bool("overwrite", False, "Replace an existing --output_dir.")
flags.DEFINE_integer("generator_index", None, "MAD-GAN (--gan=madgan): export generator i alone (default: the "
                     "generators in turn, row r of a batch from generator r % k).")


def main(argv):
    del argv
    if not FLAGS.model or not FLAGS.output_dir:
        raise app.UsageError("Give --model (a .keras file or a training run's directory) and --output_dir.")
    path = pathlib.Path(FLAGS.model)
    if path.is_dir():
        path = path / "generator.keras"
    if not path.is_file():
        raise app.UsageError(f"No generator at {path}: give a .keras file or a keras-lipschitz-train out dir.")
    if FLAGS.truncation is not None and not FLAGS.truncation > 0:
        raise app.UsageError(f"--truncation must be > 0, got {FLAGS.truncation}.")

    import keras_lipschitz
    from keras_lipschitz.export import export_generator

    generator = keras_lipschitz.load_model(path, safe_mode=True)
    if FLAGS.generator_index is not None:
        from keras_lipschitz.layers import select_generator

        try:
            generator = select_generator(generator, FLAGS.generator_index)
        except ValueError as error:
            raise app.UsageError(f"--generator_index: {error}") from error
    truncation = FLAGS.truncation if FLAGS.truncation is not None else _run_truncation(path.parent)
    try:
        report = export_generator(generator, FLAGS.output_dir, formats=FLAGS.formats,
                                  quantizations=FLAGS.quantizations, truncation=truncation,
                                  output=FLAGS.output, overwrite=FLAGS.overwrite)
    except (ValueError, FileExistsError) as error:
        raise app.UsageError(str(error)) from error
    print(json.dumps(report, indent=2))
    print(f"Exported to {FLAGS.output_dir}")


def _run_truncation(run_dir):
    """The sampling truncation recorded in a training run's config.json (BigGAN's recipe), or None."""
    from keras_lipschitz import _files

    config = run_dir / "config.json"
    if not config.is_file():
        return None
    truncation = _files.read_json(config, "the run's settings").get("truncation")
    return truncation or None


def run():
    """Console-script entry point: always on Keras' TensorFlow backend (see `use_tensorflow_backend`)."""
    use_tensorflow_backend()
    _cli.run(main, __name__)


def use_tensorflow_backend():
    """SavedModel and TFLite are TensorFlow graphs: the export loads the `.keras` file, which any backend
    wrote, on Keras' TensorFlow backend (a generator trained on JAX exports the same way)."""
    backend = os.environ.get("KERAS_BACKEND", "tensorflow")
    if "keras" in sys.modules and sys.modules["keras"].backend.backend() != "tensorflow":
        raise SystemExit("keras-lipschitz-export must start before Keras is imported on another backend.")
    if backend != "tensorflow":
        print(f"Exporting on Keras' TensorFlow backend (KERAS_BACKEND was {backend!r}): SavedModel and TFLite "
              "are TensorFlow formats, and the .keras file loads on any backend.", file=sys.stderr)
    os.environ["KERAS_BACKEND"] = "tensorflow"


if __name__ == "__main__":
    run()
