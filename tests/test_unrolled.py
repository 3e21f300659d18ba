"""The unrolled GAN (Metz et al. 2017) against finite differences through Keras' own optimizer; TF and JAX.

The oracle unrolls a copy of the critic with a real `keras.optimizers.Adam`
(or SGD) that continues from the trainer's critic optimizer state, K times,
and differentiates the generator's loss by central differences over every
generator weight: nothing of `trainers.unrolling` is used.
"""

import keras
import numpy as np
import pytest
import tensorflow as tf
from keras import ops

from keras_lipschitz.architectures import mlp_discriminator
from keras_lipschitz.architectures import mlp_generator
from keras_lipschitz.trainers import GAN
from keras_lipschitz.trainers import unrolling
from on_backend import gradients
from on_backend import tensorflow_only

# Central differences in float64 where the backend computes in it; JAX (without x64) in float32.
DTYPE, EPSILON, TOLERANCE = (("float64", 1e-6, dict(rtol=1e-5, atol=1e-8)) if keras.backend.backend() == "tensorflow"
                             else ("float32", 1e-3, dict(rtol=2e-3, atol=2e-4)))
BATCH = 8
REAL = np.random.default_rng(1).normal(size=(BATCH, 2))
# Rates at which 3 critic updates change G's loss by more than 1e-3 (plain SGD moves this critic slowly).
CRITIC_LEARNING_RATES = {"adam": 0.05, "sgd": 0.5}


def _networks():
    keras.utils.set_random_seed(0)
    generator = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2)])
    critic = mlp_discriminator(units=6, depth=2)
    return generator, critic


def _critic_optimizer(method):
    if method == "adam":
        return keras.optimizers.Adam(CRITIC_LEARNING_RATES["adam"], beta_1=0.5, beta_2=0.9)
    return keras.optimizers.SGD(CRITIC_LEARNING_RATES["sgd"])


def _critic_loss(critic, real, fake):
    # The non-saturating GAN's critic loss, written out: softplus(-D(x)) + softplus(D(G(z))).
    return ops.mean(ops.softplus(-critic(real))) + ops.mean(ops.softplus(critic(fake)))


def _trained_one_step(steps, method):
    """The trainer after one step (SGD(1) for G, so G's weight change is minus its gradient)."""
    generator, critic = _networks()
    gan = GAN(generator, critic, latent_dim=2, seed=5)
    gan.compile(d_optimizer=_critic_optimizer(method), g_optimizer=keras.optimizers.SGD(1.0), loss="non_saturating",
                unrolled_steps=steps, unrolled_optimizer=method)
    before = [np.array(w) for w in generator.get_weights()]
    gan.fit(REAL, batch_size=BATCH, epochs=1, shuffle=False, verbose=0)
    return gan, before


def _surrogate_loss(generator_weights, critic_weights, optimizer_state, method, steps, latents):
    """f_K: G's loss against a critic copy after K updates by Keras' own optimizer, from the given state."""
    generator, critic = _networks()
    generator.set_weights(generator_weights)
    critic.set_weights(critic_weights)
    optimizer = _critic_optimizer(method)
    optimizer.build(critic.trainable_variables)
    for variable, value in zip(optimizer.variables, optimizer_state):
        variable.assign(value)
    fake = generator(latents)
    for _ in range(steps):
        _, grads = gradients(lambda tape: _critic_loss(critic, REAL, fake), critic.trainable_variables)
        optimizer.apply(grads, critic.trainable_variables)
    return float(ops.mean(ops.softplus(-critic(fake))))


@pytest.mark.parametrize("steps, method", [(0, "adam"), (3, "adam"), (3, "sgd")])
def test_generator_gradient_is_the_unrolled_surrogates(steps, method):
    keras.config.set_floatx(DTYPE)
    keras.config.set_dtype_policy(DTYPE)
    try:
        gan, before = _trained_one_step(steps, method)
        # The trainer's draws: the critic step's latents, then the generator step's.
        seeds = keras.random.SeedGenerator(5)
        keras.random.normal((BATCH, 2), seed=seeds)
        latents = keras.random.normal((BATCH, 2), seed=seeds)
        critic_weights = gan.discriminator.get_weights()  # after the critic's own update
        state = [np.array(v) for v in gan.d_optimizer.variables]
        trainer_gradient = [b - np.array(a) for b, a in zip(before, gan.generator.get_weights())]

        epsilon = EPSILON
        numeric = []
        for index, weight in enumerate(before):
            gradient = np.zeros_like(weight)
            for position in np.ndindex(weight.shape):
                losses = []
                for sign in (1.0, -1.0):
                    shifted = [w.copy() for w in before]
                    shifted[index][position] += sign * epsilon
                    losses.append(_surrogate_loss(shifted, critic_weights, state, method, steps, latents))
                gradient[position] = (losses[0] - losses[1]) / (2 * epsilon)
            numeric.append(gradient)
        plain = _surrogate_loss(before, critic_weights, state, method, 0, latents)
        unrolled = _surrogate_loss(before, critic_weights, state, method, steps, latents)
    finally:
        keras.config.set_floatx("float32")
        keras.config.set_dtype_policy("float32")
    for ours, reference in zip(trainer_gradient, numeric):
        np.testing.assert_allclose(ours, reference, **TOLERANCE)
    if steps:
        assert abs(unrolled - plain) > 1e-3  # the unrolled critic differs from the current one


def test_unrolled_parameters_match_keras_adam_and_sgd():
    # The unrolled values themselves: K updates by the written-out Adam equal K `optimizer.apply` calls.
    rng = np.random.default_rng(2)
    target = rng.normal(size=(3, 2)).astype("float32")
    for method in ("adam", "sgd"):
        variable = keras.Variable(np.zeros((3, 2), "float32"))
        optimizer = _critic_optimizer(method)
        optimizer.build([variable])
        objective = lambda values: ops.sum(ops.square(values[0] - target) * ops.arange(1.0, 3.0))  # noqa: E731
        values = unrolling.unrolled_parameters(objective, [variable], optimizer, 4, method=method)
        for _ in range(4):
            _, grads = gradients(lambda tape: objective([variable.value]), [variable])
            optimizer.apply(grads, [variable])
        np.testing.assert_allclose(np.array(values[0]), np.array(variable.value), rtol=1e-5, atol=1e-7)


@tensorflow_only
def test_mirrored_strategy_matches_one_device(two_replicas):
    data = np.random.default_rng(0).normal(size=(64, 2)).astype("float32")
    results = []
    for strategy in (tf.distribute.get_strategy(), two_replicas):
        with strategy.scope():
            keras.utils.set_random_seed(0)
            gan = GAN(mlp_generator(latent_dim=2, units=8, depth=1), mlp_discriminator(units=8, depth=2),
                      latent_dim=2, seed=3)
            gan.compile(d_optimizer=keras.optimizers.Adam(1e-2), g_optimizer=keras.optimizers.Adam(1e-2),
                        loss="non_saturating", unrolled_steps=2)
        gan.fit(data, batch_size=16, epochs=1, shuffle=False, verbose=0)
        results.append(gan.get_weights())
    assert max(float(np.max(np.abs(a - b))) for a, b in zip(*results)) < 1e-5


def test_bad_settings_are_refused():
    generator, critic = _networks()
    gan = GAN(generator, critic, latent_dim=2)
    adam = keras.optimizers.Adam
    with pytest.raises(ValueError, match="unrolled_steps must be an integer >= 0"):
        gan.compile(d_optimizer=adam(), g_optimizer=adam(), unrolled_steps=-1)
    with pytest.raises(ValueError, match="without a penalty"):
        gan.compile(d_optimizer=adam(), g_optimizer=adam(), penalty="gradient_penalty", unrolled_steps=5)
    with pytest.raises(ValueError, match="use unrolled_optimizer='sgd'"):
        gan.compile(d_optimizer=keras.optimizers.RMSprop(), g_optimizer=adam(), unrolled_steps=5)
    with pytest.raises(ValueError, match="unrolled_optimizer must be one of adam, sgd"):
        gan.compile(d_optimizer=adam(), g_optimizer=adam(), unrolled_steps=5, unrolled_optimizer="lbfgs")


def test_a_saved_unrolled_gan_reloads_compiled_unrolled(tmp_path):
    generator, critic = _networks()
    gan = GAN(generator, critic, latent_dim=2, seed=0)
    gan.compile(d_optimizer=keras.optimizers.SGD(0.1), g_optimizer=keras.optimizers.Adam(), unrolled_steps=4,
                unrolled_optimizer="sgd")
    gan.save(tmp_path / "unrolled.keras")
    loaded = keras.saving.load_model(tmp_path / "unrolled.keras")
    assert (loaded.unrolled_steps, loaded.unrolled_optimizer) == (4, "sgd")
