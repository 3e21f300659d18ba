"""Progressive growing (PGGAN): equalized layers, pixel norm, minibatch stddev, fade-in, the growth schedule,
the drift penalty, and training that grows under fit, resumes mid-fade exactly and matches one device on two.

Runs on TensorFlow and on JAX (tests/test_backends.py); tf.distribute tests on TensorFlow only.
"""

import math

import keras
import numpy as np
import pytest

from keras_lipschitz import layers
from keras_lipschitz.architectures import ProgressiveDiscriminator
from keras_lipschitz.architectures import ProgressiveGenerator
from keras_lipschitz.penalties import drift_penalty
from keras_lipschitz.trainers import GrowthSchedule
from keras_lipschitz.trainers import ProgressiveGAN
from keras_lipschitz.trainers import checkpoint
from on_backend import gradients
from on_backend import tensorflow_only

RNG = np.random.default_rng(0)


@pytest.mark.parametrize("kind", ["dense", "conv"])
def test_equalized_layers_equal_plain_layers_with_scaled_weights_and_scale_their_gradients(kind):
    if kind == "dense":
        x = RNG.normal(size=(3, 6)).astype("float32")
        equalized, plain = layers.EqualizedDense(4, activation="relu"), keras.layers.Dense(4, activation="relu")
        fan_in = 6
    else:
        x = RNG.normal(size=(2, 5, 5, 3)).astype("float32")
        equalized = layers.EqualizedConv2D(4, 3, activation="relu")
        plain = keras.layers.Conv2D(4, 3, padding="same", activation="relu")
        fan_in = 3 * 3 * 3
    equalized.build(x.shape)
    plain.build(x.shape)
    bias = RNG.normal(size=4).astype("float32")
    equalized.bias.assign(bias)
    scale = math.sqrt(2.0) / math.sqrt(fan_in)
    plain.set_weights([equalized.kernel.numpy() * scale, bias])
    assert equalized.scale == pytest.approx(scale)
    kernel = keras.ops.convert_to_numpy(equalized.kernel)
    assert abs(kernel.std() - 1.0) < 0.35 and abs(kernel.mean()) < 0.35  # drawn from N(0, 1)
    np.testing.assert_allclose(equalized(x), plain(x), rtol=1e-5, atol=1e-5)

    weights = RNG.normal(size=plain(x).shape).astype("float32")
    _, (kernel_grad, bias_grad) = gradients(lambda tape: keras.ops.sum(equalized(x) * weights),
                                            [equalized.kernel, equalized.bias])
    _, (plain_kernel_grad, plain_bias_grad) = gradients(lambda tape: keras.ops.sum(plain(x) * weights),
                                                        [plain.kernel, plain.bias])
    # d/dW of f(c W) = c f'(c W): the stored kernel's gradient is the plain one's times c.
    np.testing.assert_allclose(kernel_grad, scale * np.asarray(plain_kernel_grad), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(bias_grad, plain_bias_grad, rtol=1e-5, atol=1e-6)


def test_pixel_normalization_against_numpy():
    x = RNG.normal(size=(2, 3, 3, 5)).astype("float32")
    want = x / np.sqrt(np.mean(x**2, axis=-1, keepdims=True) + 1e-8)
    np.testing.assert_allclose(layers.PixelNormalization()(x), want, rtol=1e-5)


def test_minibatch_standard_deviation_against_a_loop_over_groups():
    x = RNG.normal(size=(8, 3, 3, 2)).astype("float32")
    y = keras.ops.convert_to_numpy(layers.MinibatchStandardDeviation(group_size=4)(x))
    np.testing.assert_array_equal(y[..., :2], x)
    for sample in range(8):
        group = x[4 * (sample // 4):4 * (sample // 4) + 4].astype("float64")
        want = np.mean(np.sqrt(group.var(axis=0) + 1e-8))
        np.testing.assert_allclose(y[sample, ..., 2], want, rtol=1e-5)
    whole = keras.ops.convert_to_numpy(layers.MinibatchStandardDeviation(group_size=4)(x[:2]))
    np.testing.assert_allclose(whole[0, 0, 0, 2], np.mean(np.sqrt(x[:2].var(axis=0) + 1e-8)), rtol=1e-5)
    with pytest.raises(ValueError, match="multiple of 4"):
        layers.MinibatchStandardDeviation(group_size=4)(x[:6])


def test_fade_in_is_the_previous_resolution_at_alpha_0_and_the_new_one_at_1():
    latents = RNG.normal(size=(4, 8)).astype("float32")
    images = RNG.uniform(-1, 1, size=(4, 16, 16, 1)).astype("float32")
    generator = ProgressiveGenerator(8, 16, filters=(8, 6, 4))
    critic = ProgressiveDiscriminator(16, filters=(8, 6, 4))

    def outputs(level, fading, alpha):
        generator.set_phase(level, fading)
        critic.set_phase(level, fading)
        generator.alpha.assign(alpha)
        critic.alpha.assign(alpha)
        return (keras.ops.convert_to_numpy(generator(latents)), keras.ops.convert_to_numpy(critic(images)))

    for level in (1, 2):
        before, after = outputs(level - 1, level > 1, 1.0), outputs(level, False, 1.0)
        for got, want in zip(outputs(level, True, 0.0), before):
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
        for got, want in zip(outputs(level, True, 1.0), after):
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
        half = outputs(level, True, 0.5)[0]
        np.testing.assert_allclose(half, (before[0] + after[0]) / 2, rtol=1e-5, atol=1e-6)
    # Full resolution out at every level: level 0's 4x4 image is upsampled 4x (constant 4x4 blocks).
    image = outputs(0, False, 1.0)[0]
    assert image.shape == (4, 16, 16, 1)
    np.testing.assert_array_equal(image, np.repeat(np.repeat(image[:, ::4, ::4], 4, axis=1), 4, axis=2))


def test_growth_schedule_against_its_formula():
    schedule = GrowthSchedule(levels=3, fade_images=100, stable_images=300)
    assert schedule.phases() == [(0, False, 0), (1, True, 300), (1, False, 400), (2, True, 700), (2, False, 800)]
    for images in range(0, 1200, 7):
        if images < 300:
            want = (0, False, 1.0)
        elif images < 400:
            want = (1, True, (images - 300) / 100)
        elif images < 700:
            want = (1, False, 1.0)
        elif images < 800:
            want = (2, True, (images - 700) / 100)
        else:
            want = (2, False, 1.0)
        assert schedule.phase_at(images) == pytest.approx(want), images
    assert schedule.total_images == 800
    assert GrowthSchedule.from_config(schedule.get_config()).phases() == schedule.phases()
    with pytest.raises(ValueError, match="fade_images must be an integer >= 1"):
        GrowthSchedule(2, 0, 10)


def _phases_by_stepping(schedule, batch, steps):
    """The phase of each step, counted one step at a time: a step belongs to the phase of the images seen before
    it and shows its level's batch."""
    seen, phases = 0, []
    for _ in range(steps):
        level, fading, start = schedule.phase_of(seen)
        phases.append((level, fading, start))
        seen += schedule.batch_sizes[level] if schedule.batch_sizes else batch
    return phases


@pytest.mark.parametrize("batch_sizes", [None, (64, 32, 8), (16, 48, 24)])
def test_growth_schedule_in_steps_against_stepping_through_it(batch_sizes):
    schedule = GrowthSchedule(levels=3, fade_images=100, stable_images=300, batch_sizes=batch_sizes)
    stepped = _phases_by_stepping(schedule, 64, 200)
    for step in range(200):
        level, fading, first_step, seen, first_image = schedule.phase_at_step(step, 64)
        assert (level, fading, first_image) == stepped[step], step
        assert stepped[first_step] == stepped[step] and (first_step == 0 or stepped[first_step - 1] != stepped[step])
        assert seen == sum(schedule.batch_size(phase[0], 64) for phase in stepped[:first_step])
    if batch_sizes is None:  # one batch: a phase starts at the first step after its first image
        assert [phase[2] for phase in schedule.phases_in_steps(64)] == [math.ceil(start / 64) for *_, start in
                                                                        schedule.phases()]
    assert GrowthSchedule.from_config(schedule.get_config()).batch_sizes == batch_sizes
    assert GrowthSchedule(3, 100, 300, batch_sizes="64, 32,8").batch_sizes == (64, 32, 8)
    for wrong in [(64, 32), (64, 0, 8), (64, 2.5, 8), "64,x,8"]:
        with pytest.raises(ValueError, match="one integer >= 1 per level"):
            GrowthSchedule(3, 100, 300, batch_sizes=wrong)


def test_drift_penalty_is_its_closed_form():
    logits = RNG.normal(size=(6, 1)).astype("float32")
    assert float(drift_penalty(logits)) == pytest.approx(0.001 * np.mean(logits**2), rel=1e-6)
    np.testing.assert_allclose(drift_penalty(logits, weight=2.0, reduction="none"), 2.0 * logits[:, 0] ** 2, rtol=1e-6)


# 8x8 images: 4x4 stable for 32 images, fade-in for 32, then 8x8 (batch 8: steps 0-3, 4-7, 8-).
IMAGES = np.random.default_rng(1).uniform(-1, 1, size=(8 * 12, 8, 8, 1)).astype("float32")
SCHEDULE = GrowthSchedule(levels=2, fade_images=32, stable_images=32)


def _progressive_gan(schedule=SCHEDULE):
    keras.utils.set_random_seed(0)
    gan = ProgressiveGAN(ProgressiveGenerator(8, 8, filters=(8, 4)), ProgressiveDiscriminator(8, filters=(8, 4)),
                         latent_dim=8, schedule=schedule, seed=2, ema_decay=0.9)
    gan.compile(d_optimizer=keras.optimizers.Adam(1e-3, beta_1=0.0, beta_2=0.99, epsilon=1e-8),
                g_optimizer=keras.optimizers.Adam(1e-3, beta_1=0.0, beta_2=0.99, epsilon=1e-8),
                loss="wasserstein", penalty="gradient_penalty", drift_weight=0.001)
    return gan


class _Phases(keras.callbacks.Callback):
    def __init__(self, gan):
        super().__init__()
        self.gan, self.seen = gan, []

    def on_train_batch_end(self, batch, logs=None):
        self.seen.append((self.gan.generator.level, self.gan.generator.fading))


def _moved(gan, start):
    now = {v.path: keras.ops.convert_to_numpy(v) for v in gan.generator.trainable_variables}
    return {path.split("/")[0] for path, value in start.items() if not np.array_equal(value, now[path])}


def test_growth_under_fit_follows_the_schedule_and_trains_each_level_from_its_fade_in(tmp_path):
    from keras_lipschitz.trainers.callbacks import SampleImages

    gan = _progressive_gan()
    start = {v.path: keras.ops.convert_to_numpy(v) for v in gan.generator.trainable_variables}
    phases = _Phases(gan)
    pictures = SampleImages(tmp_path, every_n_steps=100, num_samples=16)
    gan.fit(IMAGES[:40], batch_size=8, shuffle=False, verbose=0, callbacks=[phases, pictures])  # steps 0-4
    assert phases.seen == [(0, False)] * 4 + [(1, True)]
    assert float(keras.ops.convert_to_numpy(gan.generator.alpha)) == 0.0  # the fade-in's first step
    # Until alpha > 0 the 8x8 layers get no gradient: they, and their optimizer slots, are as initialized.
    assert _moved(gan, start) == {"block_4", "to_rgb_4"}
    slots = [keras.ops.convert_to_numpy(v) for v in gan.g_optimizer.variables if "block_8" in v.path]
    assert slots and all(not slot.any() for slot in slots)
    gan.fit(IMAGES[40:], batch_size=8, shuffle=False, verbose=0, callbacks=[phases, pictures])  # steps 5-11
    # A picture at the last step of each phase (4, 8) and at the end of each fit (5, 12).
    assert [path.name for path in pictures.written] == [f"samples-{step:08d}.png" for step in (4, 5, 8, 12)]
    assert phases.seen[5:] == [(1, True)] * 3 + [(1, False)] * 4
    assert _moved(gan, start) == {"block_4", "to_rgb_4", "block_8", "to_rgb_8"}
    assert float(keras.ops.convert_to_numpy(gan.discriminator.alpha)) == 1.0
    samples = keras.ops.convert_to_numpy(gan.sample(4))
    assert samples.shape == (4, 8, 8, 1) and np.isfinite(samples).all()
    fresh = _progressive_gan()
    fresh.steps_per_execution = 3
    with pytest.raises(ValueError, match="across a growth phase boundary"):
        fresh.fit(IMAGES[:48], batch_size=8, shuffle=False, verbose=0)


def _alpha(gan):
    return float(keras.ops.convert_to_numpy(gan.generator.alpha))


def test_a_batch_per_level_trains_each_level_on_every_nth_image_and_counts_its_images():
    # 4x4 at 8 images per step (steps 0-3), the fade-in at 4 (steps 4-11), 8x8 at 4 from step 12.
    gan = _progressive_gan(GrowthSchedule(levels=2, fade_images=32, stable_images=32, batch_sizes=(8, 4)))
    phases = _Phases(gan)
    gan.fit(IMAGES[:48], batch_size=8, shuffle=False, verbose=0, callbacks=[phases])  # steps 0-5
    assert _alpha(gan) == 4 / 32  # step 5: 4 images into the fade-in
    gan.fit(IMAGES[48:], batch_size=8, shuffle=False, verbose=0, callbacks=[phases])  # steps 6-11
    assert phases.seen == [(0, False)] * 4 + [(1, True)] * 8
    assert _alpha(gan) == 7 * 4 / 32  # step 11: the fade-in's last
    # Every level at 4 of 8 images is the same training as being given every other image 4 at a time.
    halved = _progressive_gan(GrowthSchedule(levels=2, fade_images=32, stable_images=32, batch_sizes=(4, 4)))
    halved.fit(IMAGES, batch_size=8, shuffle=False, verbose=0)
    given = _progressive_gan()
    given.fit(IMAGES[::2], batch_size=4, shuffle=False, verbose=0)
    for a, b in zip(_state(halved), _state(given)):
        np.testing.assert_array_equal(a, b)
    wrong = _progressive_gan(GrowthSchedule(levels=2, fade_images=32, stable_images=32, batch_sizes=(8, 4)))
    with pytest.raises(ValueError, match="give a batch that every level's batch"):
        wrong.fit(IMAGES, batch_size=6, verbose=0)


def _state(gan):
    return [keras.ops.convert_to_numpy(v) for v in checkpoint.state_variables(gan)]


@pytest.mark.parametrize("batch_sizes", [None, (8, 4)])
def test_resume_mid_fade_is_bit_exact(tmp_path, batch_sizes):
    schedule = GrowthSchedule(levels=2, fade_images=32, stable_images=32, batch_sizes=batch_sizes)
    straight = _progressive_gan(schedule)
    straight.fit(IMAGES, batch_size=8, shuffle=False, verbose=0)
    first = _progressive_gan(schedule)
    first.fit(IMAGES[:48], batch_size=8, shuffle=False, verbose=0)  # 6 steps: mid fade-in
    assert (first.generator.level, first.generator.fading) == (1, True)
    path = checkpoint.save(first, tmp_path / "ckpt-00000006.npz")
    resumed = _progressive_gan(schedule)
    checkpoint.restore(resumed, path)
    resumed.fit(IMAGES[48:], batch_size=8, shuffle=False, verbose=0)
    for a, b in zip(_state(straight), _state(resumed)):
        np.testing.assert_array_equal(a, b)
    assert (resumed.generator.level, resumed.generator.fading) == ((1, False) if batch_sizes is None else (1, True))


def test_saved_progressive_gan_reloads_in_its_phase(tmp_path):
    gan = _progressive_gan()
    gan.fit(IMAGES[:48], batch_size=8, shuffle=False, verbose=0)
    gan.save(tmp_path / "pggan.keras")
    loaded = keras.saving.load_model(tmp_path / "pggan.keras")
    assert (loaded.generator.level, loaded.generator.fading) == (1, True)
    assert loaded.schedule.get_config() == SCHEDULE.get_config()
    latents = RNG.normal(size=(4, 8)).astype("float32")
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(loaded(latents)),
                                  keras.ops.convert_to_numpy(gan(latents)))


@tensorflow_only
@pytest.mark.parametrize("batch_sizes", [None, (16, 8)])
def test_mirrored_strategy_matches_one_device_across_a_stage_change(two_replicas, batch_sizes):
    import tensorflow as tf

    models = []
    for strategy in (tf.distribute.get_strategy(), two_replicas):
        with strategy.scope():
            gan = _progressive_gan(GrowthSchedule(levels=2, fade_images=32, stable_images=32,
                                                  batch_sizes=batch_sizes))
        gan.fit(IMAGES, batch_size=16, shuffle=False, verbose=0)  # steps 0-1 4x4, 2-3 fade (by level: 2-5), 4-5 8x8
        models.append(gan)
    assert (models[1].generator.level, models[1].generator.fading) == (1, batch_sizes is not None)
    for a, b in zip(models[0].get_weights(), models[1].get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=2e-5)


@tensorflow_only
def test_final_generator_exports_without_lower_resolution_branches(tmp_path):
    from keras_lipschitz.export import export_generator

    generator = ProgressiveGenerator(8, 16, filters=(8, 6, 4))  # the final phase: 16x16, not fading
    report = export_generator(generator, tmp_path / "export", formats=("saved_model", "tflite"),
                              quantizations=("float32",))
    assert max(report["max_abs_difference"].values()) <= 1e-5
    import tensorflow as tf

    saved = sorted(tuple(shape) for name, shape in
                   tf.train.list_variables(str(tmp_path / "export" / "saved_model" / "variables" / "variables"))
                   if "model_variables" in name)
    used = [v for v in generator.weights if not v.path.startswith(("to_rgb_4/", "to_rgb_8/")) and not v.path.endswith("alpha")]
    assert saved == sorted(tuple(v.shape) for v in used)  # no to_rgb of 4x4 or 8x8, no alpha
    # A generator still fading exports that phase, alpha fixed at its value.
    generator.set_phase(2, True)
    generator.alpha.assign(0.25)
    latents = RNG.normal(size=(3, 8)).astype("float32")
    np.testing.assert_allclose(generator.functional()(latents), generator(latents), rtol=1e-6, atol=1e-6)


def test_the_recipe_grows_by_its_settings_and_fade_images_0_trains_the_final_resolution_from_the_start():
    from keras_lipschitz import recipes
    from keras_lipschitz.recipes import build

    settings = recipes.get("pggan").settings("fashion_mnist")
    assert (settings["loss"], settings["penalty"], settings["penalty_weight"], settings["drift_weight"],
            settings["d_steps"], settings["beta_1"], settings["beta_2"], settings["adam_epsilon"],
            settings["d_learning_rate"]) == ("wasserstein", "gradient_penalty", 10.0, 0.001, 1, 0.0, 0.99, 1e-8, 1e-3)
    gan, arguments = build.build(settings, (32, 32, 1), seed=0)
    assert isinstance(gan, ProgressiveGAN) and gan.schedule.phases()[-1] == (3, False, 6 * 32000)
    assert arguments["drift_weight"] == 0.001 and arguments["d_optimizer"].epsilon == 1e-8
    by_level, _ = build.build({**settings, "level_batch_sizes": "64,64,32,16"}, (32, 32, 1), seed=0)
    assert by_level.schedule.batch_sizes == (64, 64, 32, 16)
    with pytest.raises(ValueError, match=r"Level 2 \(16x16\) takes 24 images per step from batches of 64"):
        build.build({**settings, "level_batch_sizes": "64,64,24,16"}, (32, 32, 1), seed=0)
    with pytest.raises(ValueError, match="level_batch_sizes='64,32' sets the batch of each resolution"):
        build.build({**settings, "fade_images": 0, "level_batch_sizes": "64,32"}, (32, 32, 1), seed=0)
    flat, _ = build.build({**settings, "fade_images": 0}, (32, 32, 1), seed=0)
    assert not isinstance(flat, ProgressiveGAN)
    assert (flat.generator.level, flat.generator.fading, flat.discriminator.level) == (3, False, 3)
