"""Cost of the WGAN-GP penalty in a critic training step.

Compares, side by side in one run, a critic step (DCGAN critic, 32x32x3,
batch 64, Wasserstein loss, Adam(1e-4, 0, 0.9)) with:

* no penalty (the plain Wasserstein critic step),
* keras_lipschitz.penalties.gradient_penalty (lambda = 10), given the step's
  tape (which lets it skip backpropagating zeros through the forward pass of
  this piecewise-linear critic), and without it,
* an independent implementation in the style of the keras.io WGAN-GP example
  (separate critic calls, `tf.norm`-style square root without epsilon, the
  interpolation weight drawn from a normal distribution as that example does),

each with and without `jit_compile`, in interleaved rounds. The table reports
median step times and per-round (paired) ratios against the plain step and
against the keras.io-style step.

Usage:
    python benchmarks/bench_gradient_penalty.py [--rounds 20] [--steps 3]
"""

import argparse
import os
import pathlib

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import _harness  # noqa: E402
from keras_lipschitz import losses  # noqa: E402
from keras_lipschitz.penalties import gradient_penalty  # noqa: E402

BATCH = 64
IMAGE_SHAPE = (32, 32, 3)
VARIANTS = ("plain", "ours_gp", "ours_gp_no_tape", "keras_io_gp")


def critic_model():
    """DCGAN critic for 32x32 images without normalization (WGAN-GP)."""
    layers = [keras.Input(IMAGE_SHAPE)]
    for filters in (64, 128, 256):
        layers += [keras.layers.Conv2D(filters, 4, strides=2, padding="same"), keras.layers.LeakyReLU(0.2)]
    layers += [keras.layers.Flatten(), keras.layers.Dense(1)]
    return keras.Sequential(layers)


def keras_io_style_gradient_penalty(critic, real, fake):
    """Written after the keras.io WGAN-GP example's `gradient_penalty`."""
    alpha = tf.random.normal([tf.shape(real)[0], 1, 1, 1], 0.0, 1.0)
    interpolated = real + alpha * (fake - real)
    with tf.GradientTape() as gp_tape:
        gp_tape.watch(interpolated)
        prediction = critic(interpolated, training=True)
    grads = gp_tape.gradient(prediction, [interpolated])[0]
    norm = tf.sqrt(tf.reduce_sum(tf.square(grads), axis=[1, 2, 3]))
    return tf.reduce_mean((norm - 1.0) ** 2)


def make_step(variant, jit_compile, seed):
    keras.utils.set_random_seed(seed)
    critic = critic_model()
    optimizer = keras.optimizers.Adam(1e-4, beta_1=0.0, beta_2=0.9)
    optimizer.build(critic.trainable_variables)
    wasserstein = losses.WassersteinLoss()

    @tf.function(jit_compile=jit_compile)
    def step(real, fake):
        with tf.GradientTape() as tape:
            if variant == "keras_io_gp":
                fake_logits = critic(fake, training=True)
                real_logits = critic(real, training=True)
                cost = tf.reduce_mean(fake_logits) - tf.reduce_mean(real_logits)
                loss = cost + 10.0 * keras_io_style_gradient_penalty(critic, real, fake)
            else:
                loss = wasserstein.discriminator_loss(critic(real, training=True), critic(fake, training=True))
                if variant == "ours_gp":
                    loss += gradient_penalty(critic, real, fake, weight=10.0, tape=tape)
                if variant == "ours_gp_no_tape":
                    loss += gradient_penalty(critic, real, fake, weight=10.0)
        grads = tape.gradient(loss, critic.trainable_variables)
        # The penalty does not depend on the last bias: no gradient from it.
        grads = [tf.zeros_like(v.value) if g is None else g for g, v in zip(grads, critic.trainable_variables)]
        optimizer.apply(grads, critic.trainable_variables)
        return loss

    return step


def time_variants(jit_compile, rounds, steps, seed):
    rng = np.random.default_rng(seed)
    real = tf.constant(rng.uniform(-1, 1, (BATCH,) + IMAGE_SHAPE).astype("float32"))
    fake = tf.constant(rng.uniform(-1, 1, (BATCH,) + IMAGE_SHAPE).astype("float32"))
    steps_by_variant = {variant: make_step(variant, jit_compile, seed) for variant in VARIANTS}
    return _harness.interleaved_times(steps_by_variant, (real, fake), rounds, steps, seed)


def summarize(times):
    return {
        variant: {
            "median_ms": _harness.median_ms(samples),
            "vs_plain": _harness.paired_ratio(samples, times["plain"]),
            "vs_keras_io": _harness.paired_ratio(samples, times["keras_io_gp"]),
            "keras_io_speedup": _harness.paired_ratio(times["keras_io_gp"], samples),
        }
        for variant, samples in times.items()
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", default=str(pathlib.Path(__file__).parent / "results" / "gradient_penalty.json"))
    args = parser.parse_args()

    results = {
        "benchmark": "wgan_gp_critic_step",
        **_harness.environment(),
        "batch": BATCH,
        "image_shape": IMAGE_SHAPE,
        "rounds": args.rounds,
        "steps_per_block": args.steps,
        "timings": {},
    }
    print(f"WGAN-GP critic step, batch {BATCH}, {IMAGE_SHAPE}; median of {args.rounds} rounds")
    header = f"{'variant':<18}{'jit':>6}{'median ms':>12}{'x plain':>10}{'speed vs keras.io':>20}"
    print(header)
    print("-" * len(header))
    for jit_compile in (False, True):
        rows = summarize(time_variants(jit_compile, args.rounds, args.steps, args.seed))
        results["timings"]["jit" if jit_compile else "no_jit"] = rows
        for variant, row in rows.items():
            print(
                f"{variant:<18}{str(jit_compile):>6}{row['median_ms']:>12.2f}"
                f"{row['vs_plain']:>10.3f}{row['keras_io_speedup']:>20.3f}"
            )
    _harness.write_json(results, args.output)


if __name__ == "__main__":
    main()
