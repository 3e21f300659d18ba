"""Serving latency and size of an exported generator: Keras vs SavedModel vs TFLite.

Exports SNGAN's DCGAN-32 generator (spectral normalization in G, so the
folding is exercised) with `keras_lipschitz.export.export_generator`, then
times, side by side in interleaved rounds, batch-1 and batch-64 generation
by the Keras generator (a compiled `tf.function`), the SavedModel's `serve`
signature and the TFLite files (float32, float16, dynamic-range int8) run by
the `ai-edge-litert` interpreter. Prints the table with file sizes and the
max abs difference from the Keras generator, and writes JSON.

Targets: TFLite float32 batch-1 latency <= the SavedModel's; SavedModel no
larger than the plain generator's weights plus 10%.

Usage:
    python benchmarks/bench_export.py [--rounds 20] [--steps 10] [--base_filters 256]
"""

import argparse
import os
import pathlib
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import _harness  # noqa: E402
from keras_lipschitz.architectures import dcgan_generator  # noqa: E402
from keras_lipschitz.export import export_generator  # noqa: E402


class _Result:
    """Gives numpy results the `.numpy()` the timing harness calls."""

    def __init__(self, value):
        self.value = value

    def numpy(self):
        return self.value


def _tflite_runner(path):
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=str(path))
    runner = interpreter.get_signature_runner("serve")
    return lambda z: _Result(runner(z=z)["output_0"])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--base_filters", type=int, default=256)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", default=str(pathlib.Path(__file__).parent / "results" / "export.json"))
    args = parser.parse_args()

    keras.utils.set_random_seed(args.seed)
    generator = dcgan_generator(128, image_size=32, channels=3, base_filters=args.base_filters,
                                spectral_normalization=True)
    directory = pathlib.Path(tempfile.mkdtemp()) / "export"
    report = export_generator(generator, directory)
    saved = tf.saved_model.load(str(directory / "saved_model")).signatures["serve"]
    keras_call = tf.function(lambda z: generator(z, training=False))
    variants = {
        "keras": lambda z: keras_call(z),
        "saved_model": lambda z: saved(z=z)["output_0"],
        **{f"tflite_{q}": _tflite_runner(directory / f"generator_{q}.tflite") for q in ("float32", "float16", "int8")},
    }
    results = {"benchmark": "export_latency", **_harness.environment(), "parameters": generator.count_params(),
               "report": report, "latency_ms": {}}
    for batch in (1, 64):
        latents = np.random.default_rng(args.seed).normal(size=(batch, 128)).astype("float32")
        feeds = {name: (tf.constant(latents) if not name.startswith("tflite") else latents) for name in variants}
        steps = {name: (lambda name=name: variants[name](feeds[name])) for name in variants}
        times = _harness.interleaved_times(steps, (), args.rounds, args.steps, args.seed)
        results["latency_ms"][batch] = {name: _harness.median_ms(samples) for name, samples in times.items()}
        results.setdefault("ratio_vs_saved_model", {})[batch] = {
            name: _harness.paired_ratio(samples, times["saved_model"]) for name, samples in times.items()
        }

    files = {"keras": report["keras_weights_bytes"], **report["files"]}
    print(f"DCGAN-32 generator with SN in G ({results['parameters']:,} parameters); median of {args.rounds} rounds")
    header = f"{'variant':<18}{'batch 1 ms':>12}{'x SavedModel':>14}{'batch 64 ms':>13}{'x SavedModel':>14}" \
             f"{'size MB':>10}{'max |diff|':>12}"
    print(header)
    print("-" * len(header))
    for name in variants:
        difference = report["max_abs_difference"].get(name, 0.0)
        print(f"{name:<18}{results['latency_ms'][1][name]:>12.3f}{results['ratio_vs_saved_model'][1][name]:>14.3f}"
              f"{results['latency_ms'][64][name]:>13.2f}{results['ratio_vs_saved_model'][64][name]:>14.3f}"
              f"{files[name] / 1e6:>10.2f}{difference:>12.2e}")
    print(f"(keras size = the plain generator's weights; SavedModel / weights = "
          f"{files['saved_model'] / files['keras']:.3f})")
    _harness.write_json(results, args.output)


if __name__ == "__main__":
    main()
