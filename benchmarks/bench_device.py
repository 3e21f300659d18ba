"""The accelerator check: spectral normalization, gradient penalty and trainer timings on Keras' JAX backend,
the library against the overhead-free reference, and a short image training run, as one JSON file.

Made for the lent GPU (JAX with CUDA, no TensorFlow; Keras and this library
arrive as wheels, see docs/benchmarks.md), and runs the same on a CPU under
JAX (`--quick` for a minute-long check; tests/test_benchmarks_device.py runs
it so with TensorFlow refused).

1. `critic step`: one training step of a 32x32 DCGAN critic (batch 64) with
   keras-lipschitz's `SpectralNormalization`, with Keras' built-in one, and
   without normalization, and with the gradient penalty (double backprop).
2. `trainer`: benchmarks/bench_jax_overhead.py's case (GAN.fit against
   JAX + optax).
3. `training run`: `keras-lipschitz-train` (sngan on digits) for `--train_steps`
   steps, with its evaluation (FID, KID, IS, class coverage).

Usage: KERAS_BACKEND=jax python benchmarks/bench_device.py --out DIR [--quick]
"""

import argparse
import json
import os
import pathlib
import platform
import subprocess
import sys
import time

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402

import _harness  # noqa: E402
from keras_lipschitz import layers  # noqa: E402

HERE = pathlib.Path(__file__).parent


def critic(normalization, image_size=32, filters=64):
    """A DCGAN-style critic with every Conv2D/Dense wrapped by `normalization` (None: plain)."""
    wrap = normalization or (lambda layer: layer)
    images = keras.Input((image_size, image_size, 3))
    x = images
    for multiple in (1, 2, 4):
        x = keras.layers.LeakyReLU(0.1)(wrap(keras.layers.Conv2D(filters * multiple, 3, padding="same"))(x))
        x = keras.layers.LeakyReLU(0.1)(wrap(keras.layers.Conv2D(filters * multiple, 4, 2, padding="same"))(x))
    logits = wrap(keras.layers.Dense(1))(keras.layers.Flatten()(x))
    return keras.Model(images, logits)


VARIANTS = {
    "keras-lipschitz SpectralNormalization": lambda: critic(layers.SpectralNormalization),
    "keras.layers.SpectralNormalization": lambda: critic(keras.layers.SpectralNormalization),
    "no normalization": lambda: critic(None),
}


def critic_step_times(batch, steps, rounds):
    """ms per critic training step (hinge loss on real/fake halves) for each variant, and with the GP."""
    from keras_lipschitz.trainers import GAN

    rng = np.random.default_rng(0)
    real = rng.uniform(-1, 1, size=(batch * steps, 32, 32, 3)).astype("float32")  # a batch for every step
    timers = {}
    for name, make in VARIANTS.items():
        model = make()
        model.compile(keras.optimizers.Adam(2e-4, beta_1=0.0, beta_2=0.9), "mse", jit_compile=True)
        targets = np.ones((len(real), 1), "float32")
        timers[name] = _fit_timer(lambda model=model: model.fit(real, targets, batch_size=batch, epochs=1,
                                                                   steps_per_epoch=steps, verbose=0),
                                  model.optimizer, steps)
    for penalty in (None, "gradient_penalty"):
        generator = keras.Sequential([keras.Input((64,)), keras.layers.Dense(32 * 32 * 3, activation="tanh"),
                                      keras.layers.Reshape((32, 32, 3))])
        gan = GAN(generator, critic(None), latent_dim=64, seed=0)
        gan.compile(d_optimizer=keras.optimizers.Adam(1e-4, beta_1=0.0, beta_2=0.9),
                    g_optimizer=keras.optimizers.Adam(1e-4, beta_1=0.0, beta_2=0.9),
                    loss="wasserstein", penalty=penalty, d_steps=1, jit_compile=True)
        name = f"WGAN step, {'gradient penalty' if penalty else 'no penalty'}"
        timers[name] = _fit_timer(lambda gan=gan: gan.fit(real, batch_size=batch, epochs=1, steps_per_epoch=steps,
                                                             verbose=0), gan.d_optimizer, steps)
    seconds = _harness.alternating_times(timers, steps, rounds)
    return {name: _harness.median_ms(values) for name, values in seconds.items()}


def _fit_timer(run, optimizer, steps):
    """`run` after a warm-up call (trace and compile) that checks it takes `steps` optimizer steps: a `fit` that
    runs out of data stops early, and its time per step would be wrong."""
    before = int(keras.ops.convert_to_numpy(optimizer.iterations))
    run()
    taken = int(keras.ops.convert_to_numpy(optimizer.iterations)) - before
    if taken != steps:
        raise RuntimeError(f"the timed fit took {taken} steps, not {steps}")
    return run


def _subprocess(command, out):
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, cwd=out,
                            env={**os.environ, "KERAS_BACKEND": "jax"})
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{result.stderr[-3000:]}")
    return result.stdout, time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True, help="directory for device.json and the training run")
    parser.add_argument("--quick", action="store_true", help="tiny sizes: checks that everything runs")
    parser.add_argument("--train_steps", type=int, default=2000)
    parser.add_argument("--parts", default="critic,trainer,training_run", help="which of the three parts to run")
    args = parser.parse_args()
    out = pathlib.Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    quick = args.quick
    device = jax.devices()[0]
    report = {"device": f"{device.platform} {getattr(device, 'device_kind', '')}".strip(),
              "host": platform.processor() or platform.machine(), "jax": jax.__version__,
              "keras": keras.__version__, "quick": quick}
    print(f"Device: {report['device']}; JAX {jax.__version__}, Keras {keras.__version__}", flush=True)

    parts = args.parts.split(",")
    if "critic" in parts:
        critic_part(report, quick)
    if "trainer" in parts:
        trainer_part(report, out, quick)
    if "training_run" in parts:
        training_run_part(report, out, 20 if quick else args.train_steps, quick)
    (out / "device.json").write_text(json.dumps(report, indent=2))
    print(f"Wrote {out / 'device.json'}")


def critic_part(report, quick):
    steps, rounds = (4, 1) if quick else (100, 5)
    report["critic_step_ms"] = critic_step_times(batch=8 if quick else 64, steps=steps, rounds=rounds)
    print("| critic (32x32, DCGAN) | ms per step |\n|---|---|")
    for name, value in report["critic_step_ms"].items():
        print(f"| {name} | {value:.3f} |", flush=True)


def trainer_part(report, out, quick):
    overhead_json = out / "jax_overhead.json"
    stdout, _ = _subprocess([sys.executable, str(HERE / "bench_jax_overhead.py"), "--json", str(overhead_json),
                             "--rounds", "1" if quick else "5", "--steps", "25" if quick else "1000"], out)
    print(stdout, flush=True)
    report["trainer"] = json.loads(overhead_json.read_text())


def training_run_part(report, out, train_steps, quick):
    run_flags = [f"--steps={train_steps}", "--out_dir=digits-sngan", f"--eval_every={train_steps}",
                 f"--log_every={min(100, train_steps)}", "--verbose=2"] + (["--eval_samples=200"] if quick else [])
    _, seconds = _subprocess([sys.executable, "-P", "-m", "keras_lipschitz.trainers.train", *run_flags], out)
    metrics = json.loads((out / "digits-sngan" / "metrics.json").read_text())[-1]
    report["training_run"] = {"recipe": "sngan", "dataset": "digits", "steps": train_steps,
                              "wall_seconds": seconds, "metrics": metrics}
    print(f"Training run: sngan on digits, {train_steps} steps in {seconds:.0f} s (with start-up and "
          f"evaluation): {json.dumps(metrics)}")


if __name__ == "__main__":
    main()
