"""Throughput of the GAN trainer: SNGAN and WGAN-GP on the DCGAN-32 models.

Compares, side by side in one run, generator steps per second of
`keras_lipschitz.trainers.GAN` with the SNGAN preset (1 critic step, hinge,
SN critic) and the WGAN-GP preset (5 critic steps, gradient penalty):

* plain `fit`, `jit_compile=True`, `steps_per_execution=2`,
* `MirroredStrategy` over two logical CPU devices (same global batch),

against an independent reference written in the style of the keras.io
WGAN-GP example (a `keras.Model` whose `train_step` runs 5 critic steps on
one real batch with the penalty computed by a nested tape), plain and with
`jit_compile`. Critic batch 64; the DCGAN-32 generator and discriminator of
SNGAN's "standard CNN" (Table 3). Variants run in interleaved rounds; the
table gives the median seconds per generator step, steps per second, and the
paired ratio of throughput against the reference.

Usage:
    python benchmarks/bench_trainers.py [--rounds 3] [--steps 2]
"""

import argparse
import os
import pathlib
import random
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import tensorflow as tf  # noqa: E402

_CPUS = tf.config.list_physical_devices("CPU")
tf.config.set_logical_device_configuration(
    _CPUS[0], [tf.config.LogicalDeviceConfiguration(), tf.config.LogicalDeviceConfiguration()]
)

import keras  # noqa: E402
import numpy as np  # noqa: E402

import _harness  # noqa: E402
from keras_lipschitz.architectures import dcgan_discriminator  # noqa: E402
from keras_lipschitz.architectures import dcgan_generator  # noqa: E402
from keras_lipschitz.trainers import GAN  # noqa: E402
from keras_lipschitz.trainers import presets  # noqa: E402

BATCH = 64
LATENT = 128


class KerasIoStyleWGANGP(keras.Model):
    """Written after the keras.io WGAN-GP example's `WGAN.train_step`."""

    def __init__(self, generator, discriminator, d_steps=5, gp_weight=10.0):
        super().__init__()
        self.generator, self.discriminator = generator, discriminator
        self.d_steps, self.gp_weight = d_steps, gp_weight

    def compile(self, d_optimizer, g_optimizer, **kwargs):
        super().compile(**kwargs)
        self.d_optimizer, self.g_optimizer = d_optimizer, g_optimizer
        self.d_optimizer.build(self.discriminator.trainable_variables)
        self.g_optimizer.build(self.generator.trainable_variables)

    def gradient_penalty(self, batch_size, real_images, fake_images):
        alpha = tf.random.normal([batch_size, 1, 1, 1], 0.0, 1.0)
        interpolated = real_images + alpha * (fake_images - real_images)
        with tf.GradientTape() as gp_tape:
            gp_tape.watch(interpolated)
            pred = self.discriminator(interpolated, training=True)
        grads = gp_tape.gradient(pred, [interpolated])[0]
        norm = tf.sqrt(tf.reduce_sum(tf.square(grads), axis=[1, 2, 3]))
        return tf.reduce_mean((norm - 1.0) ** 2)

    def train_step(self, real_images):
        batch_size = tf.shape(real_images)[0]
        for _ in range(self.d_steps):
            random_latent_vectors = tf.random.normal(shape=(batch_size, LATENT))
            with tf.GradientTape() as tape:
                fake_images = self.generator(random_latent_vectors, training=True)
                fake_logits = self.discriminator(fake_images, training=True)
                real_logits = self.discriminator(real_images, training=True)
                d_cost = tf.reduce_mean(fake_logits) - tf.reduce_mean(real_logits)
                gp = self.gradient_penalty(batch_size, real_images, fake_images)
                d_loss = d_cost + gp * self.gp_weight
            d_gradient = tape.gradient(d_loss, self.discriminator.trainable_variables)
            self.d_optimizer.apply_gradients(zip(d_gradient, self.discriminator.trainable_variables))
        random_latent_vectors = tf.random.normal(shape=(batch_size, LATENT))
        with tf.GradientTape() as tape:
            generated_images = self.generator(random_latent_vectors, training=True)
            g_loss = -tf.reduce_mean(self.discriminator(generated_images, training=True))
        gen_gradient = tape.gradient(g_loss, self.generator.trainable_variables)
        self.g_optimizer.apply_gradients(zip(gen_gradient, self.generator.trainable_variables))
        return {"d_loss": d_loss, "g_loss": g_loss}


_STRATEGIES = {}


def _mirrored():
    # One strategy per process: several mix up their collective ops' keys.
    if "mirrored" not in _STRATEGIES:
        _STRATEGIES["mirrored"] = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    return _STRATEGIES["mirrored"]


def _models(spectral_normalization):
    return dcgan_generator(latent_dim=LATENT), dcgan_discriminator(spectral_normalization=spectral_normalization)


def build(variant):
    """Returns (model, dataset, steps per fit call multiplier) for a variant name."""
    recipe, mode = variant.split(":")
    images = np.random.default_rng(0).uniform(-1, 1, (5 * BATCH * 4, 32, 32, 3)).astype("float32")
    options = {"jit": dict(jit_compile=True), "spe2": dict(steps_per_execution=2)}.get(mode, {})
    strategy = _mirrored() if mode == "mirrored" else tf.distribute.get_strategy()
    keras.utils.set_random_seed(0)
    with strategy.scope():
        if recipe == "keras_io_wgan_gp":
            model = KerasIoStyleWGANGP(*_models(False))
            model.compile(
                d_optimizer=keras.optimizers.Adam(1e-4, beta_1=0.0, beta_2=0.9),
                g_optimizer=keras.optimizers.Adam(1e-4, beta_1=0.0, beta_2=0.9),
                **options,
            )
            batch = BATCH
        else:
            preset = getattr(presets, recipe)()
            model = GAN(*_models(recipe == "sngan"), latent_dim=LATENT, seed=0)
            model.compile(**preset, **options)
            batch = preset["d_steps"] * BATCH
    dataset = tf.data.Dataset.from_tensor_slices(images).repeat().batch(batch, drop_remainder=True)
    return model, dataset


class _StepClock(keras.callbacks.Callback):
    """Times between consecutive batch ends: the first batch of a fit call,
    which may (re)trace the step, is never part of an interval."""

    def __init__(self):
        super().__init__()
        self.ends = []

    def on_train_batch_end(self, batch, logs=None):
        self.ends.append(time.perf_counter())


def _seconds_per_step(model, dataset, executions):
    spe = model.steps_per_execution if hasattr(model, "steps_per_execution") else 1
    clock = _StepClock()
    model.fit(dataset, steps_per_epoch=(executions + 1) * spe, epochs=1, verbose=0, callbacks=[clock])
    return [(later - earlier) / spe for earlier, later in zip(clock.ends, clock.ends[1:])]


VARIANTS = (
    "sngan:plain",
    "sngan:jit",
    "sngan:spe2",
    "sngan:mirrored",
    "wgan_gp:plain",
    "wgan_gp:jit",
    "wgan_gp:spe2",
    "wgan_gp:mirrored",
    "keras_io_wgan_gp:plain",
    "keras_io_wgan_gp:jit",
)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=2, help="timed executions per fit call (after one untimed)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", default=str(pathlib.Path(__file__).parent / "results" / "trainers.json"))
    parser.add_argument("--variants", default=",".join(VARIANTS),
                        help="comma-separated subset of: " + ", ".join(VARIANTS))
    args = parser.parse_args()
    variants = tuple(args.variants.split(","))
    unknown = sorted(set(variants) - set(VARIANTS))
    if unknown:
        parser.error(f"unknown variants {unknown}; choose from {', '.join(VARIANTS)}")

    runs = {variant: build(variant) for variant in variants}
    times = {variant: [] for variant in variants}
    order = list(variants)
    shuffler = random.Random(args.seed)
    for _ in range(args.rounds):
        shuffler.shuffle(order)
        for variant in order:
            model, dataset = runs[variant]
            times[variant].extend(_seconds_per_step(model, dataset, args.steps))

    reference = {mode: times.get(f"keras_io_wgan_gp:{mode}") for mode in ("plain", "jit")}
    results = {"benchmark": "gan_trainer_throughput", **_harness.environment(), "critic_batch": BATCH,
               "rounds": args.rounds, "steps_per_fit": args.steps, "timings": {}}
    print(f"GAN trainer, DCGAN-32 models, critic batch {BATCH}; median of {args.rounds} rounds")
    header = f"{'variant':<26}{'s / step':>10}{'steps / s':>11}{'x keras.io WGAN-GP':>20}"
    print(header)
    print("-" * len(header))
    for variant in variants:
        samples = times[variant]
        row = {"seconds_per_step": statistics.median(samples), "steps_per_second": 1 / statistics.median(samples)}
        # Throughput ratio against the reference of the same compilation mode.
        ref = reference["jit" if variant.endswith("jit") else "plain"]
        if variant.startswith(("wgan_gp", "keras_io")) and ref:
            row["throughput_vs_keras_io"] = _harness.paired_ratio(ref, samples)
        results["timings"][variant] = row
        ratio = f"{row['throughput_vs_keras_io']:.3f}" if "throughput_vs_keras_io" in row else "-"
        print(f"{variant:<26}{row['seconds_per_step']:>10.3f}{row['steps_per_second']:>11.3f}{ratio:>20}")
    _harness.write_json(results, args.output)


if __name__ == "__main__":
    main()
