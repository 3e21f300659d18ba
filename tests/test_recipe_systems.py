"""Each recipe's defining parts on the built models, its losses against TF-GAN, exact resume and export."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_lipschitz import _tfgan
from keras_lipschitz import data
from keras_lipschitz import recipes
from keras_lipschitz.layers import ClassProjection
from keras_lipschitz.layers import ConditionalBatchNormalization
from keras_lipschitz.layers import LatentChunks
from keras_lipschitz.layers import SelfAttention2D
from keras_lipschitz.layers import SpectralNormalization
from keras_lipschitz.layers import VectorConditionalBatchNormalization
from keras_lipschitz.losses import AuxiliaryClassifierLoss
from keras_lipschitz.losses import NonSaturatingLoss
from keras_lipschitz.recipes import build
from keras_lipschitz.trainers import checkpoint

RNG = np.random.default_rng(0)
CLASSES = 10


def _built(name, dataset="digits", shape=(8, 8, 1), **overrides):
    settings = recipes.get(name).settings(dataset, **overrides)
    keras.utils.set_random_seed(0)
    gan, arguments = build.build(settings, shape, num_classes=CLASSES if settings["conditional"] else None, seed=0)
    gan.compile(**arguments)
    return gan, settings


def _layers(model, kind):
    return [layer for layer in model._flatten_layers(include_self=False) if isinstance(layer, kind)]


def _unwrapped(model):
    """The Dense/Conv/Embedding layers of `model`, inside custom layers and SN wrappers too."""
    kinds = (keras.layers.Dense, keras.layers.Conv2D, keras.layers.Conv2DTranspose, keras.layers.Embedding)
    return _layers(model, kinds)


def _images(count=6):
    return RNG.uniform(-1, 1, (count, 8, 8, 1)).astype("float32")


def test_cgan_concatenates_a_label_embedding_to_both_networks_inputs():
    gan, settings = _built("cgan")
    assert settings["conditional"] and settings["conditioning"] == "concat"
    assert not _layers(gan.generator, ConditionalBatchNormalization)
    assert not _layers(gan.discriminator, ClassProjection)
    # G: z (64) and the label's embedding (one value per class) side by side before the first layer.
    dense = _layers(gan.generator, keras.layers.Dense)[0]
    assert dense.kernel.shape[0] == settings["latent_dim"] + CLASSES
    # D: the embedded label is one more input channel of the first convolution.
    first = _layers(gan.discriminator, keras.layers.Conv2D)[0]
    assert first.kernel.shape[2] == 1 + 1
    images, labels = _images(), np.arange(6) % CLASSES
    embedding = [layer for layer in gan.discriminator.layers if isinstance(layer, keras.layers.Embedding)][0]
    # Changing only the label changes D's score by what its channel contributes.
    scores = gan.discriminator([images, labels], training=False)
    other = gan.discriminator([images, (labels + 1) % CLASSES], training=False)
    assert embedding.embeddings.shape == (CLASSES, 64) and not np.allclose(scores, other)


@pytest.mark.parametrize("label_smoothing", [0.0, 0.2])
@pytest.mark.parametrize("on_generated", [True, False])
def test_auxiliary_classifier_loss_equals_tfgans_acgan_losses(on_generated, label_smoothing):
    losses_impl = _tfgan.losses_impl()
    real, fake = RNG.normal(size=(2, 16, CLASSES)).astype("float32")
    labels = RNG.integers(0, CLASSES, 16)
    one_hot = tf.one_hot(labels, CLASSES)
    loss = AuxiliaryClassifierLoss(on_generated=on_generated, label_smoothing=label_smoothing)
    expected_d = losses_impl.acgan_discriminator_loss(real, fake, one_hot, label_smoothing=label_smoothing,
                                                      generated_weights=1.0 if on_generated else 0.0)
    expected_g = losses_impl.acgan_generator_loss(fake, one_hot)
    np.testing.assert_allclose(loss.discriminator_loss(real, fake, labels), expected_d, rtol=1e-6)
    np.testing.assert_allclose(loss.generator_loss(fake, labels), expected_g, rtol=1e-6)


@pytest.mark.parametrize("name, on_generated, loss", [("acgan", True, "non_saturating"),
                                                       ("acgan_mod", False, "hinge")])
def test_acgan_discriminator_has_a_classifier_head_and_no_label_input(name, on_generated, loss):
    gan, settings = _built(name)
    assert settings["conditioning"] == "auxiliary" and settings["loss"] == loss
    assert len(gan.discriminator.inputs) == 1  # it predicts the label, it is not given it
    assert [tuple(output.shape) for output in gan.discriminator.outputs] == [(None, 1), (None, CLASSES)]
    assert gan.classifier_loss.on_generated is on_generated
    assert {"d_classifier_loss", "g_classifier_loss"} <= {metric.name for metric in gan.metrics}


def test_acgan_mod_trains_the_critics_classifier_on_the_real_batch():
    # Zero learning rates: the step changes no weight, so D's classifier loss on the real batch can be recomputed.
    gan, settings = _built("acgan", classifier_loss="acgan_mod", d_learning_rate=1e-30, g_learning_rate=1e-30)
    images, labels = _images(16), RNG.integers(0, CLASSES, 16).astype("int32")
    logs = gan.train_on_batch(images, labels, return_dict=True)
    class_logits = gan.discriminator(images, training=True)[1]
    expected = keras.losses.SparseCategoricalCrossentropy(from_logits=True)(labels, class_logits)
    np.testing.assert_allclose(logs["d_classifier_loss"], expected, rtol=1e-4)


def test_projection_recipe_is_conditional_bn_and_a_spectrally_normalized_projection():
    gan, settings = _built("projection")
    assert settings["conditional"] and settings["loss"] == "hinge"
    assert len(_layers(gan.generator, ConditionalBatchNormalization)) == 2  # one per BN of the DCGAN generator
    projection = _layers(gan.discriminator, ClassProjection)
    assert len(projection) == 1 and isinstance(projection[0].embedding, SpectralNormalization)


@pytest.mark.parametrize("size, attention", [(32, 16), (64, 32)])
def test_sagan_attends_at_half_the_image_size_with_sn_everywhere_and_ttur(size, attention):
    gan, settings = _built("sagan", "tfds:cifar10", (size, size, 3), g_filters=16, d_filters=16)
    for model in (gan.generator, gan.discriminator):
        blocks = _layers(model, SelfAttention2D)
        assert len(blocks) == 1 and blocks[0].spectral_normalization
        assert blocks[0].input.shape[1] == attention
        # Every weight layer, the attention projections included, is spectrally normalized.
        wrapped = {id(layer.layer) for layer in _layers(model, SpectralNormalization)}
        assert all(id(layer) in wrapped for layer in _unwrapped(model))
    d_optimizer, g_optimizer = gan.d_optimizer, gan.g_optimizer
    assert (float(d_optimizer.learning_rate), float(g_optimizer.learning_rate)) == (pytest.approx(4e-4),
                                                                                    pytest.approx(1e-4))
    assert (d_optimizer.beta_1, d_optimizer.beta_2, settings["loss"]) == (0.0, 0.9, "hinge")


def test_biggan_shares_one_embedding_splits_z_and_regularizes_g():
    gan, settings = _built("biggan", "tfds:cifar10", (32, 32, 3), g_filters=16, d_filters=16)
    generator = gan.generator
    (chunks,) = _layers(generator, LatentChunks)
    assert chunks.chunks == 3 + 1  # the dense layer and three blocks (4 -> 8 -> 16 -> 32)
    shared = [layer for layer in generator.layers if isinstance(layer, keras.layers.Embedding)]
    assert len(shared) == 1 and shared[0].name == "shared_embedding"
    normalizations = _layers(generator, VectorConditionalBatchNormalization)
    assert len(normalizations) == 2 * 3
    # Each block's conditional BN sees its own chunk of z and the shared embedding.
    sizes = chunks.sizes(settings["latent_dim"])
    assert sorted({layer.gain.layer.kernel.shape[0] for layer in normalizations}) == sorted(
        {size + settings["shared_embedding_dim"] for size in sizes[1:]})
    assert _layers(generator, SelfAttention2D)[0].input.shape[1] == 16
    # Orthogonal regularization: beta * ||W^T W (1 - I)||^2 over every kernel of G but the shared embedding.
    expected = 0.0
    for layer in _unwrapped(generator):
        if isinstance(layer, keras.layers.Embedding):
            continue
        matrix = layer.kernel.numpy().reshape(-1, layer.kernel.shape[-1]).astype("float64")
        gram = matrix.T @ matrix
        expected += 1e-4 * np.sum((gram * (1 - np.eye(len(gram)))) ** 2)
    np.testing.assert_allclose(sum(float(loss) for loss in generator.losses), expected, rtol=1e-4)
    base = recipes.get("biggan").base
    assert (base["d_steps"], base["d_learning_rate"], base["g_learning_rate"], base["ema_start"]) == (2, 2e-4, 5e-5,
                                                                                                      20000)
    assert (settings["d_steps"], settings["g_learning_rate"], settings["ema_start"]) == (2, 5e-5, 1000)
    assert recipes.get("biggan").settings("digits")["g_learning_rate"] == 2e-4  # measured on digits
    assert (gan.d_optimizer.beta_1, gan.d_optimizer.beta_2) == (0.0, 0.999)
    truncated, _ = _built("biggan", truncation=1.0)
    assert truncated.truncation == 1.0 and gan.truncation is None


def test_biggan_generator_loss_includes_the_orthogonal_regularization():
    gan, _ = _built("biggan", g_learning_rate=1e-30, d_learning_rate=1e-30)
    images, labels = _images(2 * 8), RNG.integers(0, CLASSES, 16).astype("int32")
    regularization = sum(float(loss) for loss in gan.generator.losses)
    logs = gan.train_on_batch(images, labels, return_dict=True)
    np.testing.assert_allclose(logs["g_regularization"], regularization, rtol=1e-4)
    # Its gradient reaches G: the step with the regularizer differs from the step without.
    weights = [variable.numpy() for variable in gan.generator.trainable_variables]
    with tf.GradientTape() as tape:
        total = tf.add_n(gan.generator.losses)
    grads = tape.gradient(total, gan.generator.trainable_variables)
    assert sum(grad is not None and float(tf.reduce_sum(tf.abs(grad))) > 0 for grad in grads) > 5
    assert all(np.array_equal(w, v.numpy()) for w, v in zip(weights, gan.generator.trainable_variables))


def test_gan_recipe_takes_one_sided_label_smoothing():
    gan, settings = _built("gan", label_smoothing=0.1)
    assert isinstance(gan.gan_loss, NonSaturatingLoss) and gan.gan_loss.label_smoothing == 0.1
    with pytest.raises(ValueError, match="label_smoothing applies to the minimax and non_saturating losses"):
        _built("sngan", label_smoothing=0.1)


@pytest.mark.parametrize("name", ["sagan", "biggan", "cgan", "acgan", "projection"])
def test_image_only_recipes_refuse_points_with_a_reason(name):
    with pytest.raises(ValueError, match=f"The {name} recipe .* applies to images, not to ring8"):
        recipes.get(name).settings("ring8")


@pytest.mark.parametrize("name", recipes.names())
def test_every_recipe_resumes_exactly_and_exports_its_generator(name, tmp_path):
    source = data.load("digits")
    settings = recipes.get(name).settings("digits", steps=4, batch_size=8, ema_start=0)
    num_classes = CLASSES if settings["conditional"] else None

    def fresh():
        keras.utils.set_random_seed(0)
        gan, arguments = build.build(settings, source.sample_shape, num_classes=num_classes, seed=0)
        gan.compile(**arguments)
        return gan

    def batches(skip):
        return source.batches(settings["d_steps"] * 8, seed=0, labels=settings["conditional"], skip_batches=skip)

    uninterrupted = fresh()
    uninterrupted.fit(batches(0), steps_per_epoch=4, epochs=1, verbose=0)
    first = fresh()
    first.fit(batches(0), steps_per_epoch=2, epochs=1, verbose=0)
    path = checkpoint.save(first, tmp_path / "ckpt-00000002.npz")
    resumed = fresh()
    checkpoint.restore(resumed, path)
    resumed.fit(batches(2), steps_per_epoch=2, epochs=1, verbose=0)
    for a, b in zip(checkpoint.state_variables(uninterrupted), checkpoint.state_variables(resumed)):
        np.testing.assert_array_equal(a.numpy(), b.numpy())

    from keras_lipschitz.export import export_generator

    report = export_generator(resumed, tmp_path / "export", formats=("saved_model",), quantizations=())
    assert report["max_abs_difference"]["saved_model"] <= 1e-5
    # No power-iteration state: the saved variables are those of the same generator built without SN.
    plain, _ = build.models({**settings, "generator_spectral_normalization": False}, source.sample_shape, num_classes)
    if hasattr(plain, "functional"):  # a progressive generator exports its current phase's layers only
        plain.set_phase(resumed.generator.level, resumed.generator.fading)
        plain = plain.functional()
    variables = tf.train.list_variables(str(tmp_path / "export" / "saved_model" / "variables" / "variables"))
    saved = sorted(tuple(shape) for variable, shape in variables if "model_variables" in variable)
    assert saved == sorted(tuple(weight.shape) for weight in plain.weights)


def test_a_saved_acgan_reloads_compiled_with_its_classifier_loss(tmp_path):
    gan, _ = _built("acgan_mod")
    gan.save(tmp_path / "acgan.keras")
    import keras_lipschitz

    loaded = keras_lipschitz.load_model(tmp_path / "acgan.keras")
    assert loaded.classifier_loss.get_config() == gan.classifier_loss.get_config()
    assert not loaded.classifier_loss.on_generated
    images = _images()
    for expected, actual in zip(gan.discriminator(images), loaded.discriminator(images)):
        np.testing.assert_allclose(actual, expected, atol=1e-6)
