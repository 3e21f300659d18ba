"""GAN training speed on Keras' JAX backend against TensorFlow, same recipe, same machine, one run.

Each case trains a recipe's GAN (built by `keras_lipschitz.recipes.build`,
as the command does) with `fit` on in-memory data, in a fresh process per
backend: a warm-up fit (tracing, XLA compilation), then timed fits of
`--steps` generator steps each. The backends' processes alternate in ABBA
order over `--rounds`, so slow drift of the machine hits both alike; the
table gives the median milliseconds per generator step and the ratio
JAX / TensorFlow (below 1: JAX is faster).

Usage: python benchmarks/bench_backends.py [--rounds 2] [--steps 200] [--json results/backends.json]
"""

import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys
import time

CASES = {
    # name: (recipe, data, batch per critic step)
    "sngan, ring8 (MLP)": ("sngan", "ring8", 256),
    "sngan, digits (DCGAN)": ("sngan", "digits", 64),
    "wgan_gp, digits (DCGAN, 5 critic steps)": ("wgan_gp", "digits", 64),
}


def worker(case, steps, repeats):
    """Runs in a child process whose KERAS_BACKEND is set; prints one JSON line of seconds per step."""
    import keras
    import numpy as np

    from keras_lipschitz import recipes
    from keras_lipschitz.data import digits_arrays, sample_mixture
    from keras_lipschitz.recipes import build

    recipe, data_name, batch = CASES[case]
    if data_name == "digits":
        samples = digits_arrays()[0]
    else:
        samples = sample_mixture(data_name, 20000, seed=0)[0].astype("float32")
    settings = recipes.get(recipe).settings(data_name)
    keras.utils.set_random_seed(0)
    gan, arguments = build.build(settings, samples.shape[1:], seed=0)
    gan.compile(**arguments)
    batch_size = settings["d_steps"] * batch
    repeated = np.concatenate([samples] * max(1, (steps * batch_size) // len(samples) + 1))
    gan.fit(repeated, batch_size=batch_size, epochs=1, steps_per_epoch=20, verbose=0)  # warm-up: trace, compile
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        gan.fit(repeated, batch_size=batch_size, epochs=1, steps_per_epoch=steps, verbose=0)
        seconds.append((time.perf_counter() - start) / steps)
    print("RESULT " + json.dumps({"backend": keras.backend.backend(), "seconds_per_step": seconds}))


def _run_worker(backend, case, steps, repeats):
    env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3"}
    command = [sys.executable, "-W", "ignore", __file__, "--worker", case, "--steps", str(steps),
               "--repeats", str(repeats)]
    output = subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout
    line = next(line for line in output.splitlines() if line.startswith("RESULT "))
    return json.loads(line[len("RESULT "):])["seconds_per_step"]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=2, help="ABBA rounds (each runs both backends twice)")
    parser.add_argument("--steps", type=int, default=200, help="generator steps per timed fit")
    parser.add_argument("--repeats", type=int, default=3, help="timed fits per process")
    parser.add_argument("--json", default="benchmarks/results/backends.json")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args.worker, args.steps, args.repeats)
    results = []
    print(f"| case | TensorFlow ms/step | JAX ms/step | JAX / TensorFlow |\n|---|---|---|---|")
    for case in CASES:
        times = {"tensorflow": [], "jax": []}
        for _ in range(args.rounds):
            for backend in ("tensorflow", "jax", "jax", "tensorflow"):
                times[backend] += _run_worker(backend, case, args.steps, args.repeats)
        tensorflow_ms, jax_ms = (1e3 * statistics.median(times[b]) for b in ("tensorflow", "jax"))
        row = {"case": case, "tensorflow_ms": tensorflow_ms, "jax_ms": jax_ms, "ratio": jax_ms / tensorflow_ms,
               "samples": {b: len(t) for b, t in times.items()}}
        results.append(row)
        print(f"| {case} | {tensorflow_ms:.2f} | {jax_ms:.2f} | {row['ratio']:.2f} |", flush=True)
    path = pathlib.Path(args.json)
    path.parent.mkdir(parents=True, exist_ok=True)
    environment = {"cpu_count": os.cpu_count(), "python": sys.version.split()[0]}
    path.write_text(json.dumps({"environment": environment, "results": results}, indent=2))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
