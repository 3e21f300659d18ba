"""MRGAN: the geometric and mode regularizers against the written-out loss; the encoder trains with G; TF and JAX."""

import keras
import numpy as np
import pytest
from keras import ops

from keras_lipschitz import recipes
from keras_lipschitz.architectures import encoder
from keras_lipschitz.architectures import mlp_discriminator
from keras_lipschitz.architectures import mlp_generator
from keras_lipschitz.recipes import build
from keras_lipschitz.trainers import ModeRegularizedGAN
from on_backend import gradients

REAL = np.random.default_rng(0).normal(size=(16, 2)).astype("float32")


def _networks():
    keras.utils.set_random_seed(0)
    return mlp_generator(latent_dim=2, units=8, depth=1), mlp_discriminator(units=8, depth=1), encoder((2,), 2, 8)


def _regularizers(generator, critic, encoder_model, real):
    """T_E of Che et al. (sec. 3.2), written out: mean squared d(x, G(E(x))) and -log sigmoid(D(G(E(x))))."""
    reconstructions = generator(encoder_model(real))
    geometric = ops.mean(ops.square(reconstructions - real))
    mode = ops.mean(ops.softplus(-critic(reconstructions)))
    return geometric, mode


def test_logged_regularizers_and_the_encoders_update_match_the_written_out_loss():
    generator, critic, encoder_model = _networks()
    initial = [w.copy() for w in encoder_model.get_weights()]
    gan = ModeRegularizedGAN(generator, critic, encoder_model, latent_dim=2, geometric_weight=0.2, mode_weight=0.4,
                             seed=1)
    # No critic update, and SGD(1) for G and E: E's change is minus its gradient.
    gan.compile(d_optimizer=keras.optimizers.SGD(0.0), g_optimizer=keras.optimizers.SGD(1.0), loss="non_saturating")
    reference_generator, reference_critic, reference_encoder = _networks()
    geometric, mode = _regularizers(reference_generator, reference_critic, reference_encoder, REAL)
    _, grads = gradients(lambda tape: sum(w * value for w, value in zip(
        (0.2, 0.4), _regularizers(reference_generator, reference_critic, reference_encoder, REAL))),
        reference_encoder.trainable_variables)

    history = gan.fit(REAL, batch_size=16, epochs=1, shuffle=False, verbose=0).history
    assert history["geometric"][0] == pytest.approx(0.2 * float(geometric), rel=1e-5)
    assert history["mode"][0] == pytest.approx(0.4 * float(mode), rel=1e-5)
    for before, after, gradient in zip(initial, encoder_model.get_weights(), grads):
        np.testing.assert_allclose(before - after, np.array(gradient), rtol=1e-4, atol=1e-6)
    assert max(float(np.abs(np.array(g)).max()) for g in grads) > 1e-3  # the encoder is trained


def test_save_and_load_keep_the_encoder_and_weights(tmp_path):
    gan, arguments = build.build(recipes.get("mrgan").settings("grid25", units=8), (2,), seed=0)
    gan.compile(**arguments)
    gan.save(tmp_path / "mrgan.keras")
    loaded = keras.saving.load_model(tmp_path / "mrgan.keras")
    assert isinstance(loaded, ModeRegularizedGAN) and (loaded.geometric_weight, loaded.mode_weight) == (0.2, 0.4)
    np.testing.assert_array_equal(np.array(loaded.encoder(REAL)), np.array(gan.encoder(REAL)))


def test_refusals():
    generator, critic, _ = _networks()
    with pytest.raises(ValueError, match="encoder must be a built Keras model from samples"):
        ModeRegularizedGAN(generator, critic, encoder((2,), 3, 8), latent_dim=2)
    with pytest.raises(ValueError, match="apply to unconditional GANs"):
        build.build(recipes.get("mrgan").settings("digits", conditional=True), (8, 8, 1), num_classes=10)
