"""The GAN trainer against an independent training loop, across strategies."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_lipschitz.architectures import mlp_discriminator
from keras_lipschitz.architectures import mlp_generator
from keras_lipschitz.layers import SpectralNormalization
from keras_lipschitz.trainers import GAN
from keras_lipschitz.trainers import presets

DATA = np.random.default_rng(0).normal(size=(256, 2)).astype("float32")


def _initial_weights(spectral_normalization=False):
    keras.utils.set_random_seed(0)
    generator = mlp_generator(latent_dim=2, units=16, depth=2)
    discriminator = mlp_discriminator(units=16, depth=2, spectral_normalization=spectral_normalization)
    return generator.get_weights(), discriminator.get_weights()


def _gan(weights, spectral_normalization=False, seed=3, ema_decay=None):
    generator = mlp_generator(latent_dim=2, units=16, depth=2)
    discriminator = mlp_discriminator(units=16, depth=2, spectral_normalization=spectral_normalization)
    generator.set_weights(weights[0])
    discriminator.set_weights(weights[1])
    return GAN(generator, discriminator, latent_dim=2, seed=seed, ema_decay=ema_decay)


def _adam():
    return keras.optimizers.Adam(1e-3, beta_1=0.0, beta_2=0.9)


def _max_difference(weights_a, weights_b):
    return max(float(np.max(np.abs(a - b))) for a, b in zip(weights_a, weights_b))


def test_fit_matches_an_independent_training_loop():
    weights = _initial_weights()
    gan = _gan(weights)
    gan.compile(d_optimizer=_adam(), g_optimizer=_adam(), loss="hinge", d_steps=2)
    gan.fit(DATA, batch_size=64, epochs=1, shuffle=False, verbose=0)

    # The reference: plain TensorFlow, the hinge loss written out, the same
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
            with tf.GradientTape() as tape:
                loss = tf.reduce_mean(tf.nn.relu(1.0 - critic(real))) + tf.reduce_mean(
                    tf.nn.relu(1.0 + critic(generator(z)))
                )
            d_optimizer.apply(tape.gradient(loss, critic.trainable_variables), critic.trainable_variables)
        z = keras.random.normal((32, 2), seed=seeds)
        with tf.GradientTape() as tape:
            loss = -tf.reduce_mean(critic(generator(z)))
        g_optimizer.apply(tape.gradient(loss, generator.trainable_variables), generator.trainable_variables)

    assert _max_difference(gan.generator.get_weights(), generator.get_weights()) < 1e-5
    assert _max_difference(gan.discriminator.get_weights(), critic.get_weights()) < 1e-5
    assert _max_difference(gan.generator.get_weights(), weights[0]) > 1e-3  # it trained


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
    assert set(history) == {"d_loss", "g_loss", "penalty", "wasserstein_estimate", "max_sigma", "skipped_steps"}
    sigmas = [float(layer.sigma) for layer in gan.discriminator.layers if isinstance(layer, SpectralNormalization)]
    # One step: the logged value is the sigma of that step's critic; the
    # critic has changed by one small update since.
    assert history["max_sigma"][0] == pytest.approx(max(sigmas), rel=5e-2)
    assert history["penalty"][0] == 0.0


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
        GAN(generator, wide, latent_dim=2)
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
    for step_weights in recorder.weights:
        expected = [0.8 * e + 0.2 * w for e, w in zip(expected, step_weights)]
    ema = gan.ema_generator()
    for a, b in zip(ema.trainable_variables, expected):
        np.testing.assert_allclose(a.numpy(), b, rtol=1e-5, atol=1e-7)
    z = np.random.default_rng(1).normal(size=(5, 2)).astype("float32")
    np.testing.assert_allclose(gan(z), ema(z), rtol=1e-5, atol=1e-6)  # call uses the EMA
    assert not np.allclose(gan(z), gan.generator(z))


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
