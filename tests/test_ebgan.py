"""EBGAN: the margin loss, the pulling-away term and the autoencoder critic against closed forms; TF and JAX."""

import keras
import numpy as np
import pytest

from keras_lipschitz import losses
from keras_lipschitz import recipes
from keras_lipschitz.architectures import autoencoder_discriminator
from keras_lipschitz.architectures import mlp_generator
from keras_lipschitz.layers import ReconstructionEnergy
from keras_lipschitz.penalties import pulling_away_term
from keras_lipschitz.recipes import build
from keras_lipschitz.trainers import GAN
from on_backend import inference

RNG = np.random.default_rng(0)


def test_margin_loss_is_eq_1_and_2():
    real, fake = RNG.uniform(0, 3, size=(2, 9)).astype("float32")
    loss = losses.EnergyMarginLoss(margin=1.5)
    expected_d = np.mean(real + np.maximum(0.0, 1.5 - fake))
    assert float(loss.discriminator_loss(real, fake)) == pytest.approx(expected_d, rel=1e-6)
    assert float(loss.generator_loss(fake)) == pytest.approx(np.mean(fake), rel=1e-6)
    assert losses.get(losses.serialize(loss)).get_config() == loss.get_config()
    with pytest.raises(ValueError, match="margin must be a finite number > 0"):
        losses.EnergyMarginLoss(margin=0.0)


def test_pulling_away_term_is_eq_7():
    codes = RNG.normal(size=(6, 4)).astype("float32")
    total = 0.0
    for i in range(6):
        for j in range(6):
            if i != j:
                cosine = codes[i] @ codes[j] / (np.linalg.norm(codes[i]) * np.linalg.norm(codes[j]))
                total += cosine ** 2
    assert float(pulling_away_term(codes, weight=0.1)) == pytest.approx(0.1 * total / 30, rel=1e-5)
    # Identical codes: every cosine is 1.
    assert float(pulling_away_term(np.ones((5, 3), "float32"), weight=1.0)) == pytest.approx(1.0, rel=1e-5)
    with pytest.raises(ValueError, match="at least 2"):
        pulling_away_term(np.ones((1, 3), "float32"))


@pytest.mark.parametrize("shape", [(2,), (8, 8, 1)])
def test_autoencoder_critic_returns_its_reconstruction_error(shape):
    critic = autoencoder_discriminator(shape, code_dim=8, units=16, base_filters=8)
    samples = RNG.normal(size=(3, *shape)).astype("float32")
    reconstruction = keras.Model(critic.inputs[0], critic.layers[-1].input[1])
    expected = np.mean(np.square(np.array(reconstruction(samples)) - samples).reshape(3, -1), axis=1, keepdims=True)
    np.testing.assert_allclose(np.array(inference(critic)(samples)), expected, rtol=1e-5, atol=1e-7)
    assert critic.get_layer("codes").output.shape == (None, 8)
    assert np.array(ReconstructionEnergy()([samples, samples])).max() == 0.0


def test_the_generator_step_adds_the_pulling_away_term_of_the_fake_codes():
    keras.utils.set_random_seed(0)
    generator = mlp_generator(latent_dim=2, units=8, depth=1)
    critic = autoencoder_discriminator((2,), code_dim=4, units=8)
    gan = GAN(generator, critic, latent_dim=2, seed=5)
    gan.compile(d_optimizer=keras.optimizers.SGD(0.0), g_optimizer=keras.optimizers.SGD(0.0), loss="energy_margin",
                pulling_away_weight=0.1)
    history = gan.fit(RNG.normal(size=(16, 2)).astype("float32"), batch_size=16, epochs=1, shuffle=False, verbose=0)
    seeds = keras.random.SeedGenerator(5)
    keras.random.normal((16, 2), seed=seeds)  # the critic step's latents
    latents = keras.random.normal((16, 2), seed=seeds)
    codes = np.array(keras.Model(critic.inputs, critic.get_layer("codes").output)(generator(latents)))
    unit = codes / np.linalg.norm(codes, axis=1, keepdims=True)
    cosines = unit @ unit.T
    expected = 0.1 * (np.sum(cosines ** 2) - 16) / (16 * 15)
    assert history.history["pulling_away"][0] == pytest.approx(expected, rel=1e-4)
    energies = np.array(critic(generator(latents)))
    assert history.history["g_loss"][0] == pytest.approx(np.mean(energies) + expected, rel=1e-4)


def test_refusals():
    gan = GAN(mlp_generator(latent_dim=2), keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)]), latent_dim=2)
    with pytest.raises(ValueError, match="layer named 'codes'"):
        gan.compile(d_optimizer=keras.optimizers.Adam(), g_optimizer=keras.optimizers.Adam(), pulling_away_weight=0.1)
    with pytest.raises(ValueError, match="autoencoder critic .* is unconditional"):
        build.build(recipes.get("ebgan").settings("digits", packing=2), (8, 8, 1))
