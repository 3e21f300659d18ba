"""Whole-state GAN checkpoints: exact resume, rotation, atomic writes, clear errors."""

import os

import keras
import numpy as np
import pytest

from keras_lipschitz.architectures import mlp_discriminator
from keras_lipschitz.architectures import mlp_generator
from keras_lipschitz.trainers import GAN
from keras_lipschitz.trainers import checkpoint
from keras_lipschitz.trainers import presets

DATA = np.random.default_rng(0).normal(size=(8 * 80, 2)).astype("float32")


def _weights():
    keras.utils.set_random_seed(0)
    generator = mlp_generator(latent_dim=2, units=16, depth=2)
    discriminator = mlp_discriminator(units=16, depth=2, spectral_normalization=True)
    return generator.get_weights(), discriminator.get_weights()


def _gan(weights, units=16):
    generator = mlp_generator(latent_dim=2, units=units, depth=2)
    discriminator = mlp_discriminator(units=16, depth=2, spectral_normalization=True)
    if units == 16:
        generator.set_weights(weights[0])
    discriminator.set_weights(weights[1])
    gan = GAN(generator, discriminator, latent_dim=2, seed=3, ema_decay=0.9)
    gan.compile(**presets.wgan_gp())  # 5 critic steps, gradient penalty: every random draw matters
    return gan


def _state(gan):
    return [v.numpy() for v in checkpoint.state_variables(gan)]


def test_resume_continues_bit_for_bit(tmp_path):
    weights = _weights()
    uninterrupted = _gan(weights)
    uninterrupted.fit(DATA, batch_size=80, shuffle=False, verbose=0)

    first = _gan(weights)
    first.fit(DATA[:320], batch_size=80, shuffle=False, verbose=0)
    path = checkpoint.save(first, tmp_path / "ckpt-00000004.npz")
    resumed = _gan(weights)
    checkpoint.restore(resumed, path)
    resumed.fit(DATA[320:], batch_size=80, shuffle=False, verbose=0)

    for a, b in zip(_state(uninterrupted), _state(resumed)):
        np.testing.assert_array_equal(a, b)
    assert int(resumed.g_optimizer.iterations.numpy()) == 8
    assert int(resumed.d_optimizer.iterations.numpy()) == 40


def test_resume_under_mirrored_strategy_is_exact_on_the_same_replica_count(tmp_path, two_replicas):
    weights = _weights()
    with two_replicas.scope():
        uninterrupted = _gan(weights)
        first = _gan(weights)
        resumed = _gan(weights)
    uninterrupted.fit(DATA[:640], batch_size=160, shuffle=False, verbose=0)
    first.fit(DATA[:320], batch_size=160, shuffle=False, verbose=0)
    path = checkpoint.save(first, tmp_path / "ckpt-00000002.npz")
    checkpoint.restore(resumed, path)
    resumed.fit(DATA[320:640], batch_size=160, shuffle=False, verbose=0)
    for a, b in zip(_state(uninterrupted), _state(resumed)):
        np.testing.assert_array_equal(a, b)
    assert int(resumed.train_steps.numpy()) == 4


def test_callback_saves_rotates_and_resumes(tmp_path):
    weights = _weights()
    gan = _gan(weights)
    gan.fit(DATA[:480], batch_size=80, shuffle=False, verbose=0,
            callbacks=[checkpoint.GANCheckpoint(tmp_path, every_n_steps=1, max_to_keep=2)])
    assert [step for step, _ in checkpoint.checkpoints(tmp_path)] == [5, 6]
    assert not [name for name in os.listdir(tmp_path) if name.startswith(".tmp")]

    fresh = _gan(weights)
    callback = checkpoint.GANCheckpoint(tmp_path, every_n_steps=100)
    fresh.fit(DATA[:80], batch_size=80, epochs=1, verbose=0, callbacks=[callback])
    assert callback.restored_step == 6
    assert int(fresh.g_optimizer.iterations.numpy()) == 7  # continued from step 6


def test_failed_write_leaves_no_file(tmp_path, monkeypatch):
    gan = _gan(_weights())

    def broken_savez(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", broken_savez)
    with pytest.raises(OSError, match="disk full"):
        checkpoint.save(gan, tmp_path / "ckpt-00000001.npz")
    assert os.listdir(tmp_path) == []


def test_restoring_a_different_architecture_is_explained(tmp_path):
    path = checkpoint.save(_gan(_weights()), tmp_path / "ckpt-00000000.npz")
    with pytest.raises(ValueError, match="different architecture"):
        checkpoint.restore(_gan(_weights(), units=8), path)
    uncompiled = GAN(mlp_generator(latent_dim=2), mlp_discriminator(), latent_dim=2)
    with pytest.raises(ValueError, match="Compile the GAN"):
        checkpoint.restore(uncompiled, path)
    with pytest.raises(ValueError, match="every_n_steps must be an integer >= 1"):
        checkpoint.GANCheckpoint(tmp_path, every_n_steps=0)
