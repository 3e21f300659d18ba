"""The GAN trainer against an independent training loop, across strategies; on TensorFlow and JAX."""

import warnings

import keras
import numpy as np
import pytest
import tensorflow as tf  # tf.data inputs and tf.distribute; tf.data feeds Keras' JAX trainer too
from keras import ops

from keras_lipschitz.architectures import mlp_discriminator
from keras_lipschitz.architectures import mlp_generator
from keras_lipschitz.layers import SpectralNormalization
from keras_lipschitz.trainers import GAN
from keras_lipschitz.trainers import gan as trainers_gan
from keras_lipschitz.trainers import presets
from on_backend import gradients
from on_backend import tensorflow_only

DATA = np.random.default_rng(0).normal(size=(256, 2)).astype("float32")


def _initial_weights(spectral_normalization=False):
    keras.utils.set_random_seed(0)
    generator = mlp_generator(latent_dim=2, units=16, depth=2)
    discriminator = mlp_discriminator(units=16, depth=2, spectral_normalization=spectral_normalization)
    return generator.get_weights(), discriminator.get_weights()


def _gan(weights, spectral_normalization=False, seed=3, ema_decay=None, ema_start=0):
    generator = mlp_generator(latent_dim=2, units=16, depth=2)
    discriminator = mlp_discriminator(units=16, depth=2, spectral_normalization=spectral_normalization)
    generator.set_weights(weights[0])
    discriminator.set_weights(weights[1])
    return GAN(generator, discriminator, latent_dim=2, seed=seed, ema_decay=ema_decay, ema_start=ema_start)


def _adam():
    return keras.optimizers.Adam(1e-3, beta_1=0.0, beta_2=0.9)


def _max_difference(weights_a, weights_b):
    return max(float(np.max(np.abs(a - b))) for a, b in zip(weights_a, weights_b))


def test_fit_matches_an_independent_training_loop():
    weights = _initial_weights()
    gan = _gan(weights)
    gan.compile(d_optimizer=_adam(), g_optimizer=_adam(), loss="hinge", d_steps=2)
    gan.fit(DATA, batch_size=64, epochs=1, shuffle=False, verbose=0)

    # The reference: an eager loop, the hinge loss written out, the same
    # latent draws (same seed generator, same order and shapes).
    generator = mlp_generator(latent_dim=2, units=16, depth=2)
    critic = mlp_discriminator(units=16, depth=2)
    generator.set_weights(weights[0])
    critic.set_weights(weights[1])
    d_optimizer, g_optimizer = _adam(), _adam()
    seeds = keras.random.SeedGenerator(3)
    for start in range(0, len(DATA), 64):
        # The trainer's strided split: critic batch k takes rows k, k + 2, ...
        for real in (DATA[start + k : start + 64 : 2] for k in range(2)):
            z = keras.random.normal((32, 2), seed=seeds)
            _, grads = gradients(lambda tape: ops.mean(ops.relu(1.0 - critic(real))) + ops.mean(
                ops.relu(1.0 + critic(generator(z)))), critic.trainable_variables)
            d_optimizer.apply(grads, critic.trainable_variables)
        z = keras.random.normal((32, 2), seed=seeds)
        _, grads = gradients(lambda tape: -ops.mean(critic(generator(z))), generator.trainable_variables)
        g_optimizer.apply(grads, generator.trainable_variables)

    assert _max_difference(gan.generator.get_weights(), generator.get_weights()) < 1e-5
    assert _max_difference(gan.discriminator.get_weights(), critic.get_weights()) < 1e-5
    assert _max_difference(gan.generator.get_weights(), weights[0]) > 1e-3  # it trained


@tensorflow_only
def test_mirrored_strategy_matches_one_device(two_replicas):
    weights = _initial_weights(spectral_normalization=True)
    histories, models = [], []
    for strategy in (tf.distribute.get_strategy(), two_replicas):
        with strategy.scope():
            gan = _gan(weights, spectral_normalization=True, ema_decay=0.9)
            gan.compile(**presets.sngan())
        histories.append(gan.fit(DATA, batch_size=64, epochs=1, shuffle=False, verbose=0).history)
        models.append(gan)
    assert len(models[1].get_weights()) > len(models[1].generator.get_weights()) + len(
        models[1].discriminator.get_weights()
    )  # the EMA weights are compared too
    assert _max_difference(models[0].get_weights(), models[1].get_weights()) < 5e-5
    for name in ("d_loss", "g_loss", "wasserstein_estimate", "max_sigma"):
        assert histories[1][name][0] == pytest.approx(histories[0][name][0], rel=1e-4, abs=1e-5), name


@tensorflow_only
def test_mirrored_wgan_gp_with_critic_steps_matches_one_device(two_replicas):
    # d_steps=5 splits each replica's rows; the strided split and the global
    # draw of interpolation weights make two replicas see the one-device
    # critic batches, latents and interpolates.
    weights = _initial_weights()
    models = []
    for strategy in (tf.distribute.get_strategy(), two_replicas):
        with strategy.scope():
            gan = _gan(weights)
            gan.compile(**presets.wgan_gp())
        gan.fit(DATA[:240], batch_size=5 * 16, epochs=1, shuffle=False, verbose=0)
        models.append(gan)
    assert _max_difference(models[0].get_weights(), models[1].get_weights()) < 1e-5
    assert _max_difference(models[1].generator.get_weights(), weights[0]) > 1e-5  # it trained


def _fit_twice(weights, make_preset, first, second, data):
    results = []
    for options in (first, second):
        gan = _gan(weights)
        preset = make_preset()  # fresh optimizers for each run
        gan.compile(**preset, **options)
        keras.utils.set_random_seed(7)  # the penalty's interpolation draws
        gan.fit(data, batch_size=preset["d_steps"] * 16, epochs=1, shuffle=False, verbose=0)
        results.append(gan.get_weights())
    return results


def test_steps_per_execution_matches_the_plain_step():
    results = _fit_twice(_initial_weights(), presets.wgan_gp, {}, dict(steps_per_execution=2), DATA[:240])
    assert _max_difference(*results) < 1e-5


def test_jit_compile_matches_the_plain_step():
    # XLA draws different random numbers from the same seeds, so the
    # generator's first layer is zeroed: its samples do not depend on z and
    # the two runs must compute the same updates.
    generator_weights, critic_weights = _initial_weights()
    generator_weights = [np.zeros_like(w) if i == 0 else w for i, w in enumerate(generator_weights)]
    results = _fit_twice((generator_weights, critic_weights), presets.sngan, {}, dict(jit_compile=True), DATA)
    assert _max_difference(*results) < 1e-5
    assert _max_difference(results[1][-len(critic_weights):], critic_weights) > 1e-3  # it trained


def test_logged_metrics_and_max_sigma():
    weights = _initial_weights(spectral_normalization=True)
    gan = _gan(weights, spectral_normalization=True)
    gan.compile(**presets.sngan())
    history = gan.fit(DATA[:64], batch_size=64, epochs=1, verbose=0).history
    # Only what means something: no penalty without one, max_sigma only with spectral normalization.
    assert set(history) == {"d_loss", "g_loss", "wasserstein_estimate", "max_sigma", "skipped_steps"}
    sigmas = [float(layer.sigma) for layer in gan.discriminator.layers if isinstance(layer, SpectralNormalization)]
    # One step: the logged value is the sigma of that step's critic; the
    # critic has changed by one small update since.
    assert history["max_sigma"][0] == pytest.approx(max(sigmas), rel=5e-2)
    plain = _gan(_initial_weights())
    plain.compile(**presets.wgan_gp())
    history = plain.fit(DATA[:160], batch_size=160, epochs=1, verbose=0).history
    assert set(history) == {"d_loss", "g_loss", "wasserstein_estimate", "penalty", "skipped_steps"}
    assert history["penalty"][0] > 0.0


def test_wgan_preset_clips_every_critic_weight():
    weights = _initial_weights()
    gan = _gan(weights)
    assert presets.apply_weight_clipping(gan.discriminator, 0.01) == len(gan.discriminator.trainable_variables)
    gan.compile(**presets.wgan())
    gan.fit(DATA[:240], batch_size=5 * 16, epochs=1, verbose=0)
    assert max(float(np.max(np.abs(w))) for w in gan.discriminator.get_weights()) <= 0.01 + 1e-7


def test_bad_inputs_are_caught_before_training():
    generator = mlp_generator(latent_dim=2)
    with pytest.raises(ValueError, match="latent_dim=3"):
        GAN(generator, mlp_discriminator(), latent_dim=3)
    with pytest.raises(ValueError, match="generator produces samples of shape"):
        GAN(generator, mlp_discriminator(data_dim=3), latent_dim=2)
    wide = keras.Sequential([keras.Input((2,)), keras.layers.Dense(4)])
    with pytest.raises(ValueError, match="one logit per sample"):
        GAN(generator, wide, latent_dim=2).compile(d_optimizer=_adam(), g_optimizer=_adam())
    with pytest.raises(ValueError, match="built Keras model"):
        GAN(generator, keras.Sequential([keras.layers.Dense(1)]), latent_dim=2)
    gan = GAN(generator, mlp_discriminator(), latent_dim=2)
    with pytest.raises(ValueError, match="d_steps must be an integer >= 1"):
        gan.compile(d_optimizer=_adam(), g_optimizer=_adam(), d_steps=0)
    with pytest.raises(ValueError, match="Unknown penalty 'gp'"):
        gan.compile(d_optimizer=_adam(), g_optimizer=_adam(), penalty="gp")
    with pytest.raises(ValueError, match=r"Call compile\(\) before fit"):
        gan.fit(DATA)
    gan.compile(d_optimizer=_adam(), g_optimizer=_adam(), d_steps=5)
    samples = tf.data.Dataset.from_tensor_slices(DATA)
    with pytest.raises(ValueError, match="cannot be split into d_steps=5"):
        gan.fit(samples.batch(64, drop_remainder=True), verbose=0)
    with pytest.raises(ValueError, match="batch_size=64 cannot be split into d_steps=5"):
        gan.fit(DATA, batch_size=64, verbose=0)
    with pytest.raises(ValueError, match="Batch the dataset"):
        gan.fit(samples, verbose=0)  # unbatched
    with pytest.raises(ValueError, match="drop_remainder=True"):
        gan.fit(samples.batch(60), verbose=0)
    ragged = tf.data.Dataset.from_tensor_slices(tf.ragged.constant([[1.0, 2.0], [3.0]])).batch(5)
    with pytest.raises(ValueError, match="not dense tensors"):
        gan.fit(ragged, verbose=0)
    with pytest.raises(ValueError, match="fewer than one batch"):
        gan.fit(DATA[:100], batch_size=320, verbose=0)


class _RecordGeneratorWeights(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.weights = []

    def on_train_batch_end(self, batch, logs=None):
        self.weights.append([v.numpy().copy() for v in self.model.generator.trainable_variables])


def test_ema_generator_is_the_exponential_average_of_the_steps():
    weights = _initial_weights()
    gan = _gan(weights, ema_decay=0.8)
    gan.compile(**presets.sngan())
    recorder = _RecordGeneratorWeights()
    gan.fit(DATA[:192], batch_size=64, epochs=1, shuffle=False, verbose=0, callbacks=[recorder])
    assert len(recorder.weights) == 3
    expected = [w.copy() for w in weights[0]]  # the generator's initial weights
    for t, step_weights in enumerate(recorder.weights):
        decay = min(0.8, (1 + t) / (10 + t))  # warm-up: 0.1, 0.18, 0.25 (TF's num_updates rule)
        expected = [decay * e + (1 - decay) * w for e, w in zip(expected, step_weights)]
    ema = gan.ema_generator()
    for a, b in zip(ema.trainable_variables, expected):
        np.testing.assert_allclose(a.numpy(), b, rtol=1e-5, atol=1e-7)
    z = np.random.default_rng(1).normal(size=(5, 2)).astype("float32")
    np.testing.assert_allclose(gan(z), ema(z), rtol=1e-5, atol=1e-6)  # call uses the EMA
    assert not np.allclose(gan(z), gan.generator(z))


def test_ema_follows_the_generator_until_ema_start_then_averages():
    weights = _initial_weights()
    gan = _gan(weights, ema_decay=0.5, ema_start=2)
    gan.compile(**presets.sngan())
    recorder = _RecordGeneratorWeights()
    gan.fit(DATA[:256], batch_size=64, epochs=1, shuffle=False, verbose=0, callbacks=[recorder])
    # Steps 0 and 1 copy the generator; step 2 (t = 0) averages with decay 0.1, step 3 with 2/11.
    expected = recorder.weights[1]
    for t, step_weights in enumerate(recorder.weights[2:]):
        decay = min(0.5, (1 + t) / (10 + t))
        expected = [decay * e + (1 - decay) * w for e, w in zip(expected, step_weights)]
    for a, b in zip(gan.ema_generator().trainable_variables, expected):
        np.testing.assert_allclose(a.numpy(), b, rtol=1e-5, atol=1e-7)
    assert [float(trainers_gan.ema_decay_at(step, 0.999, 100)) for step in (99, 100, 190, 10**6)] == \
        pytest.approx([0.0, 0.1, 91 / 100, 0.999])
    with pytest.raises(ValueError, match="ema_start must be an integer >= 0"):
        _gan(weights, ema_decay=0.5, ema_start=-1)


@pytest.mark.parametrize("policy", ["mixed_float16", "mixed_bfloat16"])
def test_mixed_precision_training_stays_finite(policy):
    keras.config.set_dtype_policy(policy)
    generator = mlp_generator(latent_dim=2, units=32, depth=2)
    discriminator = keras.Sequential(
        [keras.Input((2,)), keras.layers.Dense(32), keras.layers.LeakyReLU(0.2),
         keras.layers.Dense(32), keras.layers.LeakyReLU(0.2), keras.layers.Dense(1, dtype="float32")]
    )
    gan = GAN(generator, discriminator, latent_dim=2, seed=0)
    gan.compile(**presets.wgan_gp())
    if policy == "mixed_float16":
        assert isinstance(gan.d_optimizer, keras.optimizers.LossScaleOptimizer)
    data = np.random.default_rng(1).normal(size=(1200, 2)).astype("float32")
    history = gan.fit(data, batch_size=5 * 48, epochs=3, verbose=0).history
    for name in ("d_loss", "g_loss", "penalty"):
        assert np.all(np.isfinite(history[name])), name
    assert history["penalty"][0] > 0
    assert all(np.all(np.isfinite(w)) for w in gan.get_weights())
    if policy == "mixed_float16":
        assert float(gan.d_optimizer.dynamic_scale) >= 2.0**10
    assert gan.sample(4).dtype == policy.split("_")[1]


def test_evaluate_and_validation_compute_held_out_losses_without_updating():
    weights = _initial_weights()
    gan = _gan(weights)
    gan.compile(**presets.wgan_gp())
    held_out = DATA[:40]
    seed_state = gan.seed_generator.state.numpy().copy()
    results = gan.evaluate(held_out, batch_size=40, verbose=0, return_dict=True)
    assert set(results) == {"d_loss", "g_loss", "wasserstein_estimate"}
    # The oracle: the Wasserstein losses written out, on fixed latents (seed 1234), inference mode.
    z = keras.random.normal((40, 2), seed=1234)
    real_scores = np.asarray(gan.discriminator(held_out)).ravel()
    fake_scores = np.asarray(gan.discriminator(gan.generator(z))).ravel()
    assert results["d_loss"] == pytest.approx(fake_scores.mean() - real_scores.mean(), rel=1e-5, abs=1e-6)
    assert results["g_loss"] == pytest.approx(-fake_scores.mean(), rel=1e-5, abs=1e-6)
    assert results["wasserstein_estimate"] == pytest.approx(real_scores.mean() - fake_scores.mean(), rel=1e-5,
                                                           abs=1e-6)
    # Nothing moved: weights, optimizers, the seed generator that training draws from.
    assert _max_difference(gan.generator.get_weights(), weights[0]) == 0.0
    assert _max_difference(gan.discriminator.get_weights(), weights[1]) == 0.0
    np.testing.assert_array_equal(gan.seed_generator.state.numpy(), seed_state)
    assert int(gan.d_optimizer.iterations.numpy()) == 0

    history = gan.fit(DATA, batch_size=160, epochs=2, verbose=0, validation_data=held_out).history
    assert {"val_d_loss", "val_g_loss", "val_wasserstein_estimate"} <= set(history)
    assert history["val_d_loss"][-1] == pytest.approx(gan.evaluate(held_out, verbose=0, return_dict=True)["d_loss"],
                                                      rel=1e-5)
    split = gan.fit(DATA, batch_size=160, epochs=1, verbose=0, validation_split=0.25).history
    assert len(split["val_d_loss"]) == 1 and np.isfinite(split["val_d_loss"][0])


def test_a_saved_compiled_gan_reloads_compiled_and_continues_training(tmp_path):
    import keras_lipschitz

    gan = _gan(_initial_weights(), ema_decay=0.9, ema_start=1)
    gan.compile(d_optimizer=keras.optimizers.Adam(3e-4, beta_1=0.0, beta_2=0.9),
                g_optimizer=keras.optimizers.RMSprop(1e-4), loss="least_squares", penalty="r1",
                penalty_weight=2.5, d_steps=2)
    gan.fit(DATA, batch_size=128, epochs=1, verbose=0)
    gan.save(tmp_path / "gan.keras")
    loaded = keras_lipschitz.load_model(tmp_path / "gan.keras")
    assert (loaded.penalty, loaded.penalty_weight, loaded.d_steps, loaded.ema_start) == ("r1", 2.5, 2, 1)
    assert loaded.gan_loss.name == "least_squares" and isinstance(loaded.g_optimizer, keras.optimizers.RMSprop)
    assert float(loaded.d_optimizer.learning_rate.numpy()) == pytest.approx(3e-4)
    # The optimizers' state came back with the weights: training continues where it stopped.
    assert int(loaded.d_optimizer.iterations.numpy()) == int(gan.d_optimizer.iterations.numpy()) == 4
    for a, b in zip(loaded.d_optimizer.variables, gan.d_optimizer.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert _max_difference(loaded.get_weights(), gan.get_weights()) == 0.0
    loaded.fit(DATA, batch_size=128, epochs=1, verbose=0)
    assert int(loaded.d_optimizer.iterations.numpy()) == 8


def test_batch_normalization_in_a_penalized_critic_is_warned_about():
    critic = keras.Sequential([keras.Input((2,)), keras.layers.Dense(8), keras.layers.BatchNormalization(),
                               keras.layers.LeakyReLU(0.2), keras.layers.Dense(1)])
    gan = GAN(mlp_generator(latent_dim=2), critic, latent_dim=2)
    with pytest.warns(UserWarning, match="BatchNormalization.*LayerNormalization"):
        gan.compile(**presets.wgan_gp())
    layer_norm = keras.Sequential([keras.Input((2,)), keras.layers.Dense(8), keras.layers.LayerNormalization(),
                                   keras.layers.Dense(1)])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        GAN(mlp_generator(latent_dim=2), layer_norm, latent_dim=2).compile(**presets.wgan_gp())
        GAN(mlp_generator(latent_dim=2), critic, latent_dim=2).compile(**presets.sngan())  # no penalty


def test_the_penalty_weight_can_be_a_variable_for_schedules():
    weight = keras.Variable(10.0, trainable=False, dtype="float32")
    gan = _gan(_initial_weights())
    gan.compile(**{**presets.wgan_gp(), "penalty_weight": weight})
    first = gan.fit(DATA[:160], batch_size=160, epochs=1, verbose=0).history["penalty"][0]
    weight.assign(0.0)  # the compiled step reads the variable each step
    second = gan.fit(DATA[:160], batch_size=160, epochs=1, verbose=0).history["penalty"][0]
    assert first > 0.0 and second == 0.0


def test_the_commands_default_ema_leaves_a_short_run_equal_to_its_generator():
    # A short run's EMA samples are never worse than the raw generator's: until ema_start they are its samples.
    from keras_lipschitz import recipes

    for name in recipes.names():
        settings = recipes.get(name).settings("digits")  # what the command uses on images
        assert (settings["ema_decay"], settings["ema_start"]) == (0.999, 1000)
    gan = _gan(_initial_weights(), ema_decay=0.999, ema_start=1000)
    gan.compile(**presets.sngan())
    gan.fit(DATA, batch_size=64, epochs=2, verbose=0)
    for average, weight in zip(gan.ema_generator().trainable_variables, gan.generator.trainable_variables):
        np.testing.assert_array_equal(average.numpy(), weight.numpy())
    z = np.random.default_rng(2).normal(size=(6, 2)).astype("float32")
    np.testing.assert_array_equal(gan.sample(6).shape, (6, 2))
    np.testing.assert_array_equal(gan(z), gan.generator(z))


class _SampleEveryStep(keras.callbacks.Callback):
    def on_train_batch_end(self, batch, logs=None):
        self.model.sample(5)


def test_sampling_between_steps_leaves_training_unchanged():
    # An evaluation draws samples between steps; the run must be the one it would be without them.
    runs = []
    for callbacks in ([], [_SampleEveryStep()]):
        gan = _gan(_initial_weights())
        gan.compile(**presets.wgan_gp())
        gan.fit(DATA, batch_size=40, epochs=1, verbose=0, shuffle=False, callbacks=callbacks)
        runs.append(gan.get_weights())
    assert _max_difference(*runs) == 0.0


def test_samples_are_fresh_per_call_and_the_same_at_a_step_for_equal_seeds():
    first, second = _gan(_initial_weights(), seed=5), _gan(_initial_weights(), seed=5)
    draws = [ops.convert_to_numpy(gan.sample(4)) for gan in (first, first, second, second)]
    assert np.abs(draws[0] - draws[1]).max() > 0.1  # fresh latents on each call
    np.testing.assert_array_equal(draws[0], draws[2])
    np.testing.assert_array_equal(draws[1], draws[3])
    first.train_steps.assign(7)  # a later step (as a restored checkpoint sets it): other latents
    assert np.abs(ops.convert_to_numpy(first.sample(4)) - draws[0]).max() > 0.1
