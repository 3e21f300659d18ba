"""Conditional GANs: conditional BN, the projection head, truncation, and the conditional trainer; on TensorFlow
and JAX."""

import keras
import numpy as np
import pytest
import scipy.stats
import tensorflow as tf  # tf.data inputs and tf.distribute
from keras import ops

from keras_lipschitz.architectures import dcgan_discriminator
from keras_lipschitz.architectures import dcgan_generator
from keras_lipschitz.architectures import mlp_discriminator
from keras_lipschitz.architectures import mlp_generator
from keras_lipschitz.architectures import resnet_discriminator
from keras_lipschitz.architectures import resnet_generator
from keras_lipschitz.latents import normal_latents
from keras_lipschitz.layers import ClassProjection
from keras_lipschitz.layers import ConditionalBatchNormalization
from keras_lipschitz.trainers import GAN
from keras_lipschitz.trainers import presets
from on_backend import compiled
from on_backend import gradients
from on_backend import inference
from on_backend import input_gradient
from on_backend import tensorflow_only

RNG = np.random.default_rng(0)
CLASSES = 3
DATA = RNG.normal(size=(192, 2)).astype("float32")
LABELS = (np.arange(192) % CLASSES).astype("int32")


def _randomize(layer):
    for variable in layer.trainable_variables:
        variable.assign(RNG.normal(size=variable.shape).astype("float32"))


def test_conditional_batch_normalization_matches_numpy():
    layer = ConditionalBatchNormalization(CLASSES, momentum=0.9, epsilon=1e-3)
    features = RNG.normal(2.0, 3.0, size=(6, 5, 5, 4)).astype("float32")
    labels = np.array([0, 2, 1, 2, 0, 1])
    layer([features, labels])
    _randomize(layer)
    gamma, beta = layer.gamma.embeddings.numpy(), layer.beta.embeddings.numpy()

    mean = features.mean(axis=(0, 1, 2))
    variance = features.var(axis=(0, 1, 2))
    normalized = (features - mean) / np.sqrt(variance + 1e-3)
    expected = gamma[labels][:, None, None, :] * normalized + beta[labels][:, None, None, :]
    np.testing.assert_allclose(layer([features, labels], training=True), expected, atol=1e-4)

    # Inference uses the moving statistics, updated once from (0, 1).
    moving_mean, moving_variance = 0.1 * mean, 0.9 + 0.1 * variance
    expected = (features - moving_mean) / np.sqrt(moving_variance + 1e-3)
    expected = gamma[labels][:, None, None, :] * expected + beta[labels][:, None, None, :]
    np.testing.assert_allclose(layer([features, labels[:, None]], training=False), expected, rtol=1e-4, atol=1e-4)


def test_conditional_batch_normalization_with_equal_rows_is_batch_normalization():
    features = RNG.normal(size=(8, 7)).astype("float32")
    labels = RNG.integers(0, CLASSES, size=8)
    gamma, beta = RNG.normal(size=7).astype("float32"), RNG.normal(size=7).astype("float32")
    conditional = ConditionalBatchNormalization(CLASSES)
    conditional([features, labels])
    conditional.gamma.embeddings.assign(np.tile(gamma, (CLASSES, 1)))
    conditional.beta.embeddings.assign(np.tile(beta, (CLASSES, 1)))
    plain = keras.layers.BatchNormalization(gamma_initializer=keras.initializers.Constant(gamma),
                                            beta_initializer=keras.initializers.Constant(beta))
    for training in (True, False):
        np.testing.assert_allclose(
            conditional([features, labels], training=training), plain(features, training=training), atol=1e-5
        )


def test_class_projection_matches_numpy_and_its_spectral_norm_matches_svd():
    features = RNG.normal(size=(5, 6)).astype("float32")
    labels = np.array([2, 0, 1, 1, 2])
    projection = ClassProjection(CLASSES)
    projection([features, labels])
    embedding = projection.embedding.embeddings.numpy()
    np.testing.assert_allclose(projection([features, labels]), (embedding[labels] * features).sum(-1, keepdims=True),
                               rtol=1e-5, atol=1e-6)

    normalized = ClassProjection(CLASSES, spectral_normalization=True)
    normalized([features, labels])
    for _ in range(60):  # converge the power iteration (one per training call)
        normalized([features, labels], training=True)
    matrix = normalized.embedding.layer.embeddings.numpy()
    expected = (matrix[labels] / np.linalg.svd(matrix, compute_uv=False)[0] * features).sum(-1, keepdims=True)
    np.testing.assert_allclose(normalized([features, labels]), expected, rtol=1e-4, atol=1e-5)


def test_conditional_layers_round_trip_through_keras_files(tmp_path):
    generator = dcgan_generator(latent_dim=8, image_size=8, channels=1, base_filters=16, num_classes=CLASSES)
    discriminator = dcgan_discriminator(image_size=8, channels=1, base_filters=4, spectral_normalization=True,
                                        num_classes=CLASSES)
    z, labels = RNG.normal(size=(4, 8)).astype("float32"), np.array([0, 1, 2, 0])
    for model, inputs in ((generator, [z, labels]), (discriminator, [RNG.normal(size=(4, 8, 8, 1)), labels])):
        _randomize(model)
        path = tmp_path / f"{model.name}.keras"
        model.save(path)
        loaded = keras.saving.load_model(path, safe_mode=True)
        np.testing.assert_array_equal(inference(loaded)(inputs), inference(model)(inputs))


@pytest.mark.parametrize("truncation", [0.5, 1.0, 2.0])
def test_truncated_latents_follow_the_truncated_normal(truncation):
    draws = np.asarray(normal_latents((4000, 5), seed=1, truncation=truncation)).ravel()
    assert np.abs(draws).max() <= truncation
    distribution = scipy.stats.truncnorm(-truncation, truncation)
    assert scipy.stats.kstest(draws, distribution.cdf).pvalue > 1e-3
    # Not the plain normal: its mass outside [-t, t] is missing.
    assert scipy.stats.kstest(draws, scipy.stats.norm.cdf).pvalue < 1e-3


def test_untruncated_latents_are_standard_normal_and_truncation_compiles():
    draws = np.asarray(normal_latents((20000,), seed=2))
    assert scipy.stats.kstest(draws, scipy.stats.norm.cdf).pvalue > 1e-3
    truncated = compiled(lambda: normal_latents((64, 4), seed=3, truncation=1.0), jit_compile=True)
    assert np.abs(np.asarray(truncated())).max() <= 1.0
    for bad in (0.0, -1.0, float("nan")):
        with pytest.raises(ValueError, match="truncation"):
            normal_latents((2, 2), truncation=bad)


def _conditional_models(seed=0):
    keras.utils.set_random_seed(seed)
    return (
        mlp_generator(latent_dim=2, units=16, depth=2, num_classes=CLASSES),
        mlp_discriminator(units=16, depth=2, num_classes=CLASSES),
    )


def _sgd():
    # Not Adam: its first steps are +-lr whatever the gradient's size, which
    # turns float rounding in the near-zero gradients of weights feeding a
    # batch normalization into +-lr differences.
    return keras.optimizers.SGD(0.05)


def test_conditional_fit_matches_an_independent_training_loop():
    generator, critic = _conditional_models()
    weights = generator.get_weights(), critic.get_weights()
    gan = GAN(generator, critic, latent_dim=2, num_classes=CLASSES, seed=5)
    gan.compile(d_optimizer=_sgd(), g_optimizer=_sgd(), loss="hinge", penalty="r1", penalty_weight=1.0, d_steps=2)
    gan.fit(DATA, LABELS, batch_size=64, epochs=1, shuffle=False, verbose=0)

    # An eager loop: hinge loss and R1 (gamma/2 E||grad D(x, y)||^2) on
    # the real batch written out; fakes use the real batch's labels.
    generator, critic = _conditional_models()
    generator.set_weights(weights[0])
    critic.set_weights(weights[1])
    d_optimizer, g_optimizer = _sgd(), _sgd()
    seeds = keras.random.SeedGenerator(5)
    for start in range(0, len(DATA), 64):
        # The trainer's strided split: critic batch k takes rows k, k + 2, ...
        parts = [(DATA[start + k:start + 64:2], LABELS[start + k:start + 64:2]) for k in range(2)]
        for real, labels in parts:
            z = keras.random.normal((32, 2), seed=seeds)
            labels = ops.convert_to_tensor(labels)

            def critic_loss(tape, real=real, labels=labels, z=z):
                real_scores = critic([ops.convert_to_tensor(real), labels], training=True)
                input_gradients = input_gradient(lambda x: ops.sum(critic([x, labels], training=True)), real)
                r1 = 0.5 * ops.mean(ops.sum(ops.square(input_gradients), axis=1))
                fake_scores = critic([generator([z, labels], training=True), labels], training=True)
                return ops.mean(ops.relu(1.0 - real_scores)) + ops.mean(ops.relu(1.0 + fake_scores)) + r1

            d_optimizer.apply(gradients(critic_loss, critic.trainable_variables)[1], critic.trainable_variables)
        z = keras.random.normal((32, 2), seed=seeds)
        _, grads = gradients(lambda tape: -ops.mean(critic([generator([z, labels], training=True), labels],
                                                           training=True)), generator.trainable_variables)
        g_optimizer.apply(grads, generator.trainable_variables)

    for ours, reference in ((gan.generator, generator), (gan.discriminator, critic)):
        for a, b in zip(ours.get_weights(), reference.get_weights()):
            np.testing.assert_allclose(a, b, atol=1e-5)
    assert not np.allclose(gan.generator.get_weights()[0], weights[0][0])  # it trained


def _synchronized_generator():
    """z, y -> Dense -> cross-replica conditional BN -> ReLU -> Dense(2)."""
    z, labels = keras.Input((2,)), keras.Input((), dtype="int32")
    x = keras.layers.Dense(16, use_bias=False)(z)
    x = ConditionalBatchNormalization(CLASSES, synchronized=True)([x, labels])
    return keras.Model([z, labels], keras.layers.Dense(2)(keras.layers.ReLU()(x)))


@tensorflow_only
def test_conditional_mirrored_strategy_matches_one_device(two_replicas):
    # Per-replica batch statistics would differ from the one-device ones;
    # cross-replica (synchronized) conditional BN computes the same.
    keras.utils.set_random_seed(0)
    generator, critic = _synchronized_generator(), mlp_discriminator(units=16, depth=2, num_classes=CLASSES)
    weights = generator.get_weights(), critic.get_weights()
    results = []
    for strategy in (tf.distribute.get_strategy(), two_replicas):
        with strategy.scope():
            generator, critic = _synchronized_generator(), mlp_discriminator(units=16, depth=2, num_classes=CLASSES)
            generator.set_weights(weights[0])
            critic.set_weights(weights[1])
            gan = GAN(generator, critic, latent_dim=2, num_classes=CLASSES, seed=5)
            gan.compile(**{**presets.wgan_gp(), "d_optimizer": _sgd(), "g_optimizer": _sgd()})
        keras.utils.set_random_seed(9)
        dataset = tf.data.Dataset.from_tensor_slices((DATA, LABELS)).batch(160, drop_remainder=True)
        gan.fit(dataset, epochs=1, verbose=0)
        results.append(gan.get_weights())
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, atol=5e-5)


def test_conditional_architectures_use_their_labels():
    z = RNG.normal(size=(2, 16)).astype("float32")
    images = RNG.normal(size=(2, 32, 32, 3)).astype("float32")
    for generator, discriminator in (
        (dcgan_generator(latent_dim=16, base_filters=32, num_classes=CLASSES),
         dcgan_discriminator(base_filters=8, spectral_normalization=True, num_classes=CLASSES)),
        (resnet_generator(latent_dim=16, filters=16, num_classes=CLASSES),
         resnet_discriminator(filters=8, num_classes=CLASSES)),
    ):
        _randomize(generator)
        _randomize(discriminator)
        first, second = np.array([0, 1]), np.array([2, 2])
        generate, score = inference(generator), inference(discriminator)
        assert generate([z, first]).shape == (2, 32, 32, 3)
        assert not np.allclose(generate([z, first]), generate([z, second]), atol=1e-4)
        assert not np.allclose(score([images, first]), score([images, second]), atol=1e-4)
        GAN(generator, discriminator, latent_dim=16, num_classes=CLASSES)  # shapes chain


def test_sampling_labels_and_truncation():
    generator, critic = _conditional_models()
    gan = GAN(generator, critic, latent_dim=2, num_classes=CLASSES, seed=1)
    assert gan.sample(7, truncation=0.5).shape == (7, 2)
    # The same latents and labels through the generator give the same samples.
    samples = gan.sample(4, labels=[2, 2, 1, 0], truncation=1.0)
    twin = GAN(generator, critic, latent_dim=2, num_classes=CLASSES, seed=1)
    twin._sampling_seed()  # the seed of the 7 samples above
    z = normal_latents((4, 2), seed=twin._sampling_seed(), truncation=1.0)
    np.testing.assert_allclose(samples, generator([z, ops.convert_to_tensor([2, 2, 1, 0])]), atol=1e-6)
    with pytest.raises(ValueError, match="outside"):
        gan.sample(2, labels=[0, 3])
    with pytest.raises(ValueError, match="2 samples but 3 labels"):
        gan.sample(2, labels=[0, 1, 2])
    unconditional = GAN(mlp_generator(), mlp_discriminator(), latent_dim=2)
    with pytest.raises(ValueError, match="unconditional"):
        unconditional.sample(2, labels=[0, 1])


def test_critic_scores_are_the_conditional_critics_logits_in_batches():
    generator, critic = _conditional_models()
    gan = GAN(generator, critic, latent_dim=2, num_classes=CLASSES, seed=1)
    gan.compile(**presets.sngan())
    points = np.random.default_rng(3).normal(size=(7, 2)).astype("float32")
    labels = np.arange(7) % CLASSES
    expected = critic([ops.convert_to_tensor(points), ops.convert_to_tensor(labels)], training=False)
    np.testing.assert_allclose(gan.critic_scores(points, labels, batch_size=3), np.ravel(expected), atol=1e-6)
    with pytest.raises(ValueError, match="labels exactly when the GAN is conditional"):
        gan.critic_scores(points)


def test_conditional_bad_inputs_are_caught_before_training():
    generator, critic = _conditional_models()
    with pytest.raises(ValueError, match="must take two inputs"):
        GAN(mlp_generator(), critic, latent_dim=2, num_classes=CLASSES)
    with pytest.raises(ValueError, match="must take one input"):
        GAN(generator, critic, latent_dim=2)
    gan = GAN(generator, critic, latent_dim=2, num_classes=CLASSES)
    gan.compile(**presets.sngan())
    with pytest.raises(ValueError, match="give labels"):
        gan.fit(DATA, batch_size=64, verbose=0)
    with pytest.raises(ValueError, match="192 samples but 191 labels"):
        gan.fit(DATA, LABELS[:-1], batch_size=64, verbose=0)
    with pytest.raises(ValueError, match=r"Label 3 \(index 2\) is outside \[0, 3\)"):
        gan.fit(DATA, LABELS + 1, batch_size=64, verbose=0)
    with pytest.raises(ValueError, match="integer class indices"):
        gan.fit(DATA, LABELS.astype("float32"), batch_size=64, verbose=0)
    unlabeled = tf.data.Dataset.from_tensor_slices(DATA).batch(64, drop_remainder=True)
    with pytest.raises(ValueError, match=r"\(samples, labels\) pairs"):
        gan.fit(unlabeled, verbose=0)
    pairs = tf.data.Dataset.from_tensor_slices((DATA, np.stack([LABELS, LABELS], 1))).batch(64, drop_remainder=True)
    with pytest.raises(ValueError, match="one label per sample"):
        gan.fit(pairs, verbose=0)
    # Out-of-range labels in a dataset are caught by the input pipeline.
    wrong = tf.data.Dataset.from_tensor_slices((DATA, LABELS + 1)).batch(64, drop_remainder=True)
    with pytest.raises(tf.errors.InvalidArgumentError, match="labels must be in"):
        gan.fit(wrong, verbose=0)


def test_max_sigma_counts_the_projection_embedding():
    critic = mlp_discriminator(units=8, depth=1, spectral_normalization=True, num_classes=CLASSES)
    gan = GAN(mlp_generator(latent_dim=2, units=8, depth=1, num_classes=CLASSES), critic, latent_dim=2,
              num_classes=CLASSES)
    projection = next(layer for layer in critic.layers if isinstance(layer, ClassProjection))
    embedding = projection.embedding.layer.embeddings
    embedding.assign(embedding.numpy() * 100.0)  # by far the largest spectral norm
    sigmas = [float(np.linalg.svd(w.numpy(), compute_uv=False)[0])
              for w in critic.trainable_weights if len(w.shape) == 2]
    for _ in range(50):  # converge every power iteration
        critic([DATA[:8], LABELS[:8]], training=True)
    assert float(gan._max_sigma()) == pytest.approx(max(sigmas), rel=1e-3)
