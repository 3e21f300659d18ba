"""Cost of the WGAN-GP penalty in a critic training step, on TensorFlow and on JAX.

Compares, side by side in one run, a critic step (DCGAN critic, 32x32x3,
batch 64, Wasserstein loss, Adam(1e-4, 0, 0.9)) with:

* no penalty (the plain Wasserstein critic step),
* keras_lipschitz.penalties.gradient_penalty (lambda = 10), given the step's
  tape (on TensorFlow this lets it skip backpropagating zeros through the
  forward pass of this piecewise-linear critic; JAX has no tape, and there
  the two rows are the same computation), and without it,
* an independent implementation in the style of the keras.io WGAN-GP example
  (separate critic calls, `tf.norm`-style square root without epsilon, the
  interpolation weight drawn from a normal distribution as that example does;
  its input gradient is a plain inner tape on TensorFlow and `jax.grad` on JAX),

on each Keras backend in its own process: TensorFlow without and with XLA, and
JAX. The step is one piece of code for both backends
(benchmarks/_critic_step.py), run by `fit`; variants run in interleaved
rounds, backends' processes in ABBA order. The tables give median step times,
per-round (paired) ratios against the plain step and the keras.io-style step,
and JAX against TensorFlow with XLA.

Usage:
    python benchmarks/bench_gradient_penalty.py [--rounds 10] [--steps 3] [--backends tensorflow,jax]
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
from keras_lipschitz import backend  # noqa: E402
from keras_lipschitz import losses  # noqa: E402
from keras_lipschitz.penalties import gradient_penalty  # noqa: E402

BATCH = 64
IMAGE_SHAPE = (32, 32, 3)
VARIANTS = ("plain", "ours_gp", "ours_gp_no_tape", "keras_io_gp")
CONFIGURATIONS = {"tensorflow": (("tensorflow", False), ("tensorflow_xla", True)), "jax": (("jax", True),)}
WASSERSTEIN = losses.WassersteinLoss()


def critic_model():
    """DCGAN critic for 32x32 images without normalization (WGAN-GP)."""
    layers = [keras.Input(IMAGE_SHAPE)]
    for filters in (64, 128, 256):
        layers += [keras.layers.Conv2D(filters, 4, strides=2, padding="same"), keras.layers.LeakyReLU(0.2)]
    layers += [keras.layers.Flatten(), keras.layers.Dense(1)]
    return keras.Sequential(layers)


def keras_io_style_gradient_penalty(critic, real, fake, seed):
    """Written after the keras.io WGAN-GP example's `gradient_penalty`."""
    alpha = keras.random.normal((ops.shape(real)[0], 1, 1, 1), 0.0, 1.0, seed=seed)
    interpolated = real + alpha * (fake - real)
    grads = backend.input_gradients(lambda x: ops.sum(critic(x, training=True)), interpolated)
    norm = ops.sqrt(ops.sum(ops.square(grads), axis=[1, 2, 3]))
    return ops.mean((norm - 1.0) ** 2)


def loss_function(variant, seed):
    """The critic loss of `variant`; `seed` (a SeedGenerator) draws the interpolation weights."""
    def loss(critic, real, fake, tape):
        if variant == "keras_io_gp":
            fake_logits = critic(fake, training=True)
            real_logits = critic(real, training=True)
            cost = ops.mean(fake_logits) - ops.mean(real_logits)
            return cost + 10.0 * keras_io_style_gradient_penalty(critic, real, fake, seed)
        value = WASSERSTEIN.discriminator_loss(critic(real, training=True), critic(fake, training=True))
        if variant == "ours_gp":
            value += gradient_penalty(critic, real, fake, weight=10.0, tape=tape, seed=seed)
        if variant == "ours_gp_no_tape":
            value += gradient_penalty(critic, real, fake, weight=10.0, seed=seed)
        return value

    return loss


def time_variants(jit_compile, rounds, steps, seed):
    rng = np.random.default_rng(seed)
    real, fake = (rng.uniform(-1, 1, (BATCH,) + IMAGE_SHAPE).astype("float32") for _ in range(2))
    timers = {}
    for variant in VARIANTS:
        keras.utils.set_random_seed(seed)
        critic = critic_model()
        critic.interpolation_seed = keras.random.SeedGenerator(seed)  # tracked by the critic: part of the state
        timers[variant], _ = _critic_step.timer(
            critic, loss_function(variant, critic.interpolation_seed),
            keras.optimizers.Adam(1e-4, beta_1=0.0, beta_2=0.9), real, fake, steps, jit_compile)
    return _harness.alternating_times(timers, steps, rounds)


def worker(args):
    seconds = {name: time_variants(jit, args.rounds, args.steps, args.seed)
               for name, jit in CONFIGURATIONS[keras.backend.backend()]}
    _critic_step.print_result({"seconds": seconds})


def summarize(samples):
    return {variant: {"median_ms": _harness.median_ms(values),
                      "vs_plain": _harness.paired_ratio(values, samples["plain"]),
                      "keras_io_speedup": _harness.paired_ratio(samples["keras_io_gp"], values)}
            for variant, values in samples.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=10, help="rounds per process (two processes per backend)")
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--backends", default="tensorflow,jax")
    parser.add_argument("--output", default=str(pathlib.Path(__file__).parent / "results" / "gradient_penalty.json"))
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args)

    common = ["--rounds", str(args.rounds), "--steps", str(args.steps), "--seed", str(args.seed)]
    samples, _ = _critic_step.collect(__file__, args.backends.split(","), common)

    results = {"benchmark": "wgan_gp_critic_step", **_harness.environment(), "batch": BATCH,
               "image_shape": IMAGE_SHAPE, "rounds_per_process": args.rounds, "steps_per_block": args.steps,
               "timings": {name: summarize(s) for name, s in samples.items()}}
    print(f"WGAN-GP critic step, batch {BATCH}, {IMAGE_SHAPE}; median of {2 * args.rounds} rounds")
    print("| variant | configuration | median ms | x plain | speed vs keras.io |\n|---|---|---|---|---|")
    for configuration, rows in results["timings"].items():
        for variant, row in rows.items():
            print(f"| {variant} | {configuration} | {row['median_ms']:.2f} | {row['vs_plain']:.3f} | "
                  f"{row['keras_io_speedup']:.3f} |")
    results["jax_over_tensorflow_xla"] = _critic_step.jax_over_tensorflow_xla(results["timings"], VARIANTS)
    _harness.write_json(results, args.output)


if __name__ == "__main__":
    sys.exit(main())
