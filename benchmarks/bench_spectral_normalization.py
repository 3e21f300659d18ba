"""Training-step cost of spectral normalization on a DCGAN-style discriminator, on TensorFlow and on JAX.

Compares, side by side in one run, a discriminator training step (32x32x3,
batch 64, hinge loss, Adam) with:

* plain layers (no normalization),
* keras_lipschitz SpectralNormalization, mode="matrix",
* keras_lipschitz SpectralNormalization, mode="operator",
* keras.layers.SpectralNormalization (the Keras built-in reference),
* an ablation: ours (matrix) with the gradient through sigma cut, as in the
  built-in, which shows what that gradient costs,

on each Keras backend in its own process: TensorFlow without and with XLA
(`jit_compile`), and JAX (XLA is its only mode). The step is one piece of
code for both backends (benchmarks/_critic_step.py), run by `fit`. In a
process the variants run in interleaved rounds (ABBA), so machine noise hits
them alike, and each backend's processes run in ABBA order too. The tables
give the median step time, the median of the per-round (paired) ratios
against the plain step and against the Keras built-in, and JAX against
TensorFlow with XLA (medians of separate processes, not paired).

It also trains each normalized discriminator for a few steps under the
mixed_float16 policy on each backend and reports whether its weights stay finite.

Usage:
    python benchmarks/bench_spectral_normalization.py [--rounds 10] [--steps 5] [--backends tensorflow,jax]
"""

import argparse
import os
import pathlib
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras import ops  # noqa: E402

import _critic_step  # noqa: E402
import _harness  # noqa: E402
from keras_lipschitz.layers import SpectralNormalization  # noqa: E402

BATCH = 64
IMAGE_SHAPE = (32, 32, 3)
VARIANTS = ("plain", "ours_matrix", "ours_operator", "keras_builtin", "ablation_frozen_sigma")
# A process's configurations: (name, jit_compile).
CONFIGURATIONS = {"tensorflow": (("tensorflow", False), ("tensorflow_xla", True)), "jax": (("jax", True),)}


class FrozenSigmaSpectralNormalization(SpectralNormalization):
    """Ablation only: ours with the gradient through sigma cut, as the
    built-in does, to measure what that gradient costs."""

    @staticmethod
    def _spectral_norm(operator, kernel, singular_vector, iterations):
        sigma, next_vector = SpectralNormalization._spectral_norm(operator, kernel, singular_vector, iterations)
        return ops.stop_gradient(sigma), next_vector


def _wrap(variant, layer):
    if variant == "plain":
        return layer
    if variant == "ours_matrix":
        return SpectralNormalization(layer, mode="matrix")
    if variant == "ours_operator":
        return SpectralNormalization(layer, mode="operator")
    if variant == "ablation_frozen_sigma":
        return FrozenSigmaSpectralNormalization(layer, mode="matrix")
    return keras.layers.SpectralNormalization(layer)


def discriminator(variant):
    """DCGAN discriminator for 32x32 images (Radford et al. 2016, no BN)."""
    layers = [keras.Input(IMAGE_SHAPE)]
    for filters in (64, 128, 256):
        layers += [_wrap(variant, keras.layers.Conv2D(filters, 4, strides=2, padding="same")),
                   keras.layers.LeakyReLU(0.2)]
    layers += [keras.layers.Flatten(), _wrap(variant, keras.layers.Dense(1))]
    return keras.Sequential(layers)


def hinge_loss(critic, real, fake, tape):
    """The discriminator's hinge loss (SNGAN), computed in float32."""
    real_logits = ops.cast(critic(real, training=True), "float32")
    fake_logits = ops.cast(critic(fake, training=True), "float32")
    return ops.mean(ops.relu(1.0 - real_logits)) + ops.mean(ops.relu(1.0 + fake_logits))


def _adam():
    return keras.optimizers.Adam(2e-4, beta_1=0.0, beta_2=0.9)


def _batches(seed):
    rng = np.random.default_rng(seed)
    return [rng.uniform(-1, 1, (BATCH,) + IMAGE_SHAPE).astype("float32") for _ in range(2)]


def time_variants(jit_compile, rounds, steps, seed):
    real, fake = _batches(seed)
    timers = {}
    for variant in VARIANTS:
        keras.utils.set_random_seed(seed)
        timers[variant], _ = _critic_step.timer(discriminator(variant), hinge_loss, _adam(), real, fake, steps,
                                                jit_compile)
    return _harness.alternating_times(timers, steps, rounds)


def stays_finite_under_mixed_float16(variant, steps, seed):
    keras.config.set_dtype_policy("mixed_float16")
    try:
        keras.utils.set_random_seed(seed)
        real, fake = _batches(seed)
        run, model = _critic_step.timer(discriminator(variant), hinge_loss, _adam(), real, fake, steps, None)
        return all(np.all(np.isfinite(ops.convert_to_numpy(w))) for w in model.weights)
    finally:
        keras.config.set_dtype_policy("float32")


def worker(args):
    seconds = {name: time_variants(jit, args.rounds, args.steps, args.seed)
               for name, jit in CONFIGURATIONS[keras.backend.backend()]}
    finite = {} if not args.mixed else {
        variant: stays_finite_under_mixed_float16(variant, args.mixed_steps, args.seed)
        for variant in ("ours_matrix", "ours_operator", "keras_builtin")}
    _critic_step.print_result({"seconds": seconds, "finite": finite})


def summarize(samples):
    return {variant: {"median_ms": _harness.median_ms(values),
                      "vs_plain": _harness.paired_ratio(values, samples["plain"]),
                      "vs_keras_builtin": _harness.paired_ratio(values, samples["keras_builtin"])}
            for variant, values in samples.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=10, help="rounds per process (two processes per backend)")
    parser.add_argument("--steps", type=int, default=5, help="steps per timed block")
    parser.add_argument("--mixed_steps", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--backends", default="tensorflow,jax")
    parser.add_argument("--output", default=str(pathlib.Path(__file__).parent / "results" /
                                                "spectral_normalization.json"))
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--mixed", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args)

    common = ["--rounds", str(args.rounds), "--steps", str(args.steps), "--seed", str(args.seed),
              "--mixed_steps", str(args.mixed_steps)]
    samples, first_results = _critic_step.collect(__file__, args.backends.split(","), common, first_only=["--mixed"])
    finite = {f"{backend}/{variant}": ok for backend, result in first_results.items()
              for variant, ok in result["finite"].items()}
    results = {"benchmark": "spectral_normalization_discriminator_step", **_harness.environment(),
               "batch": BATCH, "image_shape": IMAGE_SHAPE, "rounds_per_process": args.rounds,
               "steps_per_block": args.steps, "timings": {name: summarize(s) for name, s in samples.items()},
               "finite_after_mixed_float16_steps": {"steps": args.mixed_steps, **finite}}
    print(f"DCGAN discriminator step, batch {BATCH}, {IMAGE_SHAPE}; median of {2 * args.rounds} rounds")
    print("| variant | configuration | median ms | x plain | x keras built-in |\n|---|---|---|---|---|")
    for configuration, rows in results["timings"].items():
        for variant, row in rows.items():
            print(f"| {variant} | {configuration} | {row['median_ms']:.2f} | {row['vs_plain']:.3f} | "
                  f"{row['vs_keras_builtin']:.3f} |")
    results["jax_over_tensorflow_xla"] = _critic_step.jax_over_tensorflow_xla(results["timings"], VARIANTS)
    print(f"\nweights finite after {args.mixed_steps} mixed_float16 steps:")
    for name, ok in finite.items():
        print(f"  {name:<28}{ok}")
    _harness.write_json(results, args.output)


if __name__ == "__main__":
    sys.exit(main())
