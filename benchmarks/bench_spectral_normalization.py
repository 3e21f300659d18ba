"""Training-step cost of spectral normalization on a DCGAN-style discriminator.

Compares, side by side in one run, a discriminator training step (32x32x3,
batch 64, hinge loss, Adam) with:

* plain layers (no normalization),
* keras_lipschitz SpectralNormalization, mode="matrix",
* keras_lipschitz SpectralNormalization, mode="operator",
* keras.layers.SpectralNormalization (the Keras built-in reference),
* an ablation: ours (matrix) with the gradient through sigma cut, as in the
  built-in, which shows what that gradient costs,

each with and without `jit_compile`. The variants run in interleaved rounds
so that machine noise hits them alike; the table reports the median step time
and the median of the per-round (paired) ratios against the plain step and
against the Keras built-in.

It also trains each normalized discriminator for a few steps under the
mixed_float16 policy and reports whether its weights stay finite.

Usage:
    python benchmarks/bench_spectral_normalization.py [--rounds 15] [--steps 5]
"""

import argparse
import os
import pathlib

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import _harness  # noqa: E402
from keras_lipschitz.layers import SpectralNormalization  # noqa: E402

BATCH = 64
IMAGE_SHAPE = (32, 32, 3)
VARIANTS = ("plain", "ours_matrix", "ours_operator", "keras_builtin", "ablation_frozen_sigma")


class FrozenSigmaSpectralNormalization(SpectralNormalization):
    """Ablation only: ours with the gradient through sigma cut, as the
    built-in does, to measure what that gradient costs."""

    @staticmethod
    def _spectral_norm(operator, kernel, singular_vector, iterations):
        sigma, next_vector = SpectralNormalization._spectral_norm(
            operator, kernel, singular_vector, iterations
        )
        return tf.stop_gradient(sigma), next_vector


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
        layers += [
            _wrap(variant, keras.layers.Conv2D(filters, 4, strides=2, padding="same")),
            keras.layers.LeakyReLU(0.2),
        ]
    layers += [keras.layers.Flatten(), _wrap(variant, keras.layers.Dense(1))]
    return keras.Sequential(layers)


def make_step(model, jit_compile):
    optimizer = keras.optimizers.Adam(2e-4, beta_1=0.0, beta_2=0.9)
    if keras.config.dtype_policy().name == "mixed_float16":
        optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
    optimizer.build(model.trainable_variables)

    @tf.function(jit_compile=jit_compile)
    def step(real, fake):
        with tf.GradientTape() as tape:
            real_logits = tf.cast(model(real, training=True), "float32")
            fake_logits = tf.cast(model(fake, training=True), "float32")
            # Hinge loss for the discriminator (SNGAN).
            loss = tf.reduce_mean(tf.nn.relu(1.0 - real_logits)) + tf.reduce_mean(
                tf.nn.relu(1.0 + fake_logits)
            )
            scaled = optimizer.scale_loss(loss)
        grads = tape.gradient(scaled, model.trainable_variables)
        optimizer.apply(grads, model.trainable_variables)
        return loss

    return step


def time_variants(jit_compile, rounds, steps, seed):
    rng = np.random.default_rng(seed)
    real = tf.constant(rng.uniform(-1, 1, (BATCH,) + IMAGE_SHAPE).astype("float32"))
    fake = tf.constant(rng.uniform(-1, 1, (BATCH,) + IMAGE_SHAPE).astype("float32"))
    steps_by_variant = {}
    for variant in VARIANTS:
        keras.utils.set_random_seed(seed)
        steps_by_variant[variant] = make_step(discriminator(variant), jit_compile)
    return _harness.interleaved_times(steps_by_variant, (real, fake), rounds, steps, seed)


def summarize(times):
    return {
        variant: {
            "median_ms": _harness.median_ms(samples),
            "vs_plain": _harness.paired_ratio(samples, times["plain"]),
            "vs_keras_builtin": _harness.paired_ratio(samples, times["keras_builtin"]),
        }
        for variant, samples in times.items()
    }


def stays_finite_under_mixed_float16(variant, steps, seed):
    keras.config.set_dtype_policy("mixed_float16")
    try:
        keras.utils.set_random_seed(seed)
        model = discriminator(variant)
        step = make_step(model, jit_compile=False)
        rng = np.random.default_rng(seed)
        for _ in range(steps):
            real = rng.uniform(-1, 1, (BATCH,) + IMAGE_SHAPE).astype("float32")
            fake = rng.uniform(-1, 1, (BATCH,) + IMAGE_SHAPE).astype("float32")
            step(real, fake)
        return all(np.all(np.isfinite(w.numpy())) for w in model.weights)
    finally:
        keras.config.set_dtype_policy("float32")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--steps", type=int, default=5, help="steps per timed block")
    parser.add_argument("--mixed_steps", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--output", default=str(pathlib.Path(__file__).parent / "results" / "spectral_normalization.json")
    )
    args = parser.parse_args()

    results = {
        "benchmark": "spectral_normalization_discriminator_step",
        **_harness.environment(),
        "batch": BATCH,
        "image_shape": IMAGE_SHAPE,
        "rounds": args.rounds,
        "steps_per_block": args.steps,
        "timings": {},
    }
    print(f"DCGAN discriminator step, batch {BATCH}, {IMAGE_SHAPE}; median of {args.rounds} rounds")
    header = f"{'variant':<24}{'jit':>6}{'median ms':>12}{'x plain':>10}{'x keras':>10}"
    print(header)
    print("-" * len(header))
    for jit_compile in (False, True):
        rows = summarize(time_variants(jit_compile, args.rounds, args.steps, args.seed))
        results["timings"]["jit" if jit_compile else "no_jit"] = rows
        for variant, row in rows.items():
            print(
                f"{variant:<24}{str(jit_compile):>6}{row['median_ms']:>12.2f}"
                f"{row['vs_plain']:>10.3f}{row['vs_keras_builtin']:>10.3f}"
            )
    finite = {
        variant: stays_finite_under_mixed_float16(variant, args.mixed_steps, args.seed)
        for variant in ("ours_matrix", "ours_operator", "keras_builtin")
    }
    results["finite_after_mixed_float16_steps"] = {"steps": args.mixed_steps, **finite}
    print(f"\nweights finite after {args.mixed_steps} mixed_float16 steps:")
    for variant, ok in finite.items():
        print(f"  {variant:<16}{ok}")

    _harness.write_json(results, args.output)


if __name__ == "__main__":
    main()
