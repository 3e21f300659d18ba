"""GAN losses against TF-GAN's reference implementation and closed forms, on TensorFlow and JAX."""

import keras
import numpy as np
import pytest
import tensorflow as tf  # TF-GAN's reference functions, on numpy inputs on either backend

from keras_lipschitz import _tfgan
from keras_lipschitz import losses
from on_backend import compiled
from on_backend import dtype_name
from on_backend import tensorflow_only

TFGAN = _tfgan.losses_impl()
RNG = np.random.default_rng(3)
REAL = RNG.normal(scale=2.0, size=(16, 1)).astype("float32")
FAKE = RNG.normal(scale=2.0, size=(16, 1)).astype("float32")


def _in_graph(fn, *args):
    return float(tf.function(fn)(*args))


def _compiled(fn, *args):
    return float(compiled(fn, jit_compile=True)(*args))


# (our loss, our side, TF-GAN reference called on (real, fake))
PARITY_CASES = [
    (losses.WassersteinLoss(), "d", lambda r, f: TFGAN.wasserstein_discriminator_loss(r, f)),
    (losses.WassersteinLoss(), "g", lambda r, f: TFGAN.wasserstein_generator_loss(f)),
    (losses.HingeLoss(), "d", lambda r, f: TFGAN.wasserstein_hinge_discriminator_loss(r, f)),
    (losses.HingeLoss(), "g", lambda r, f: TFGAN.wasserstein_hinge_generator_loss(f)),
    # TF-GAN smooths the real label to 1 - s/2 (towards 0.5); ours to 1 - s.
    (losses.MinimaxLoss(), "d", lambda r, f: TFGAN.minimax_discriminator_loss(r, f, label_smoothing=0.0)),
    (
        losses.MinimaxLoss(label_smoothing=0.1),
        "d",
        lambda r, f: TFGAN.minimax_discriminator_loss(r, f, label_smoothing=0.2),
    ),
    # TF-GAN's minimax generator loss passes ones_like(fake) as *real logits*,
    # adding the constant -softplus(-1) (no effect on gradients); remove it.
    (
        losses.MinimaxLoss(),
        "g",
        lambda r, f: TFGAN.minimax_generator_loss(f) + tf.math.softplus(-1.0),
    ),
    (losses.NonSaturatingLoss(), "d", lambda r, f: TFGAN.modified_discriminator_loss(r, f, label_smoothing=0.0)),
    (losses.NonSaturatingLoss(), "g", lambda r, f: TFGAN.modified_generator_loss(f)),
    (losses.LeastSquaresLoss(), "d", lambda r, f: TFGAN.least_squares_discriminator_loss(r, f)),
    (losses.LeastSquaresLoss(), "g", lambda r, f: TFGAN.least_squares_generator_loss(f)),
    (
        losses.LeastSquaresLoss(real_label=0.7, fake_label=-0.4),
        "d",
        lambda r, f: TFGAN.least_squares_discriminator_loss(r, f, real_label=0.7, fake_label=-0.4),
    ),
    (losses.RelativisticAverageLoss(), "d", lambda r, f: TFGAN.relativistic_discriminator_loss(r, f)),
    (losses.RelativisticAverageLoss(), "g", lambda r, f: TFGAN.relativistic_generator_loss(r, f)),
]


def _ours(loss, side, real, fake):
    if side == "d":
        return loss.discriminator_loss(real, fake)
    return loss.generator_loss(fake, real_logits=real)


@pytest.mark.parametrize("case", PARITY_CASES, ids=lambda c: f"{c[0].name}-{c[1]}-{c[0].get_config()}")
def test_parity_with_tfgan(case):
    loss, side, reference = case
    expected = _in_graph(reference, REAL, FAKE)
    assert _compiled(lambda r, f: _ours(loss, side, r, f), REAL, FAKE) == pytest.approx(expected, rel=1e-5, abs=1e-6)
    assert float(_ours(loss, side, REAL, FAKE)) == pytest.approx(expected, rel=1e-5, abs=1e-6)  # eager


def test_closed_forms_on_hand_values():
    real, fake = np.array([2.0, -1.0], "float32"), np.array([0.5, -3.0], "float32")
    assert float(losses.HingeLoss().discriminator_loss(real, fake)) == pytest.approx(((0 + 2) + (1.5 + 0)) / 2)
    assert float(losses.WassersteinLoss().discriminator_loss(real, fake)) == pytest.approx(((0.5 - 2.0) + (-3.0 + 1.0)) / 2)
    sigmoid = 1 / (1 + np.exp(-fake))
    assert float(losses.NonSaturatingLoss().generator_loss(fake)) == pytest.approx(np.mean(-np.log(sigmoid)), rel=1e-6)
    assert float(losses.MinimaxLoss().generator_loss(fake)) == pytest.approx(np.mean(np.log(1 - sigmoid)), rel=1e-6)


@pytest.mark.parametrize("shape", [(16, 4), (16, 2, 2)])
@pytest.mark.parametrize("case", PARITY_CASES, ids=lambda c: f"{c[0].name}-{c[1]}-{c[0].get_config()}")
def test_parity_with_tfgan_on_several_logits_per_sample(case, shape):
    # A patch critic: TF-GAN applies the loss to every logit, then averages.
    loss, side, reference = case
    real = RNG.normal(scale=2.0, size=shape).astype("float32")
    fake = RNG.normal(scale=2.0, size=shape).astype("float32")
    expected = _in_graph(reference, real, fake)
    assert float(_ours(loss, side, real, fake)) == pytest.approx(expected, rel=1e-5, abs=1e-6)


def test_least_squares_on_a_patch_is_the_mean_of_the_squares_not_the_square_of_the_mean():
    real, fake = np.array([[[2.0, 2.0]]], "float32"), np.array([[[-1.0, 3.0]]], "float32")
    # 0.5 * mean((real - 1)^2) + 0.5 * mean(fake^2) = 0.5 * 1 + 0.5 * 5
    assert float(losses.LeastSquaresLoss().discriminator_loss(real, fake)) == pytest.approx(3.0)


def test_reduction_none_gives_per_sample_values_and_patch_scores_are_averaged():
    patch_real = RNG.normal(size=(4, 3, 3, 1)).astype("float32")
    patch_fake = RNG.normal(size=(4, 3, 3, 1)).astype("float32")
    per_sample = losses.HingeLoss(reduction="none").discriminator_loss(patch_real, patch_fake)
    expected = (np.maximum(0, 1 - patch_real.reshape(4, -1)).mean(1)
                + np.maximum(0, 1 + patch_fake.reshape(4, -1)).mean(1))
    np.testing.assert_allclose(per_sample, expected, rtol=1e-6)
    assert float(losses.HingeLoss().discriminator_loss(patch_real, patch_fake)) == pytest.approx(expected.mean(), rel=1e-6)


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_low_precision_logits_are_reduced_in_float32(dtype):
    # Large logits overflow float16 when squared; the loss casts first.
    real = keras.ops.convert_to_tensor(np.full((8, 1), 300.0), dtype)
    fake = keras.ops.convert_to_tensor(np.full((8, 1), -300.0), dtype)
    value = losses.LeastSquaresLoss().discriminator_loss(real, fake)
    assert dtype_name(value) == "float32"
    reference = float(keras.ops.cast(real, "float32")[0, 0])
    assert float(value) == pytest.approx(0.5 * ((reference - 1) ** 2 + reference**2), rel=1e-3)
    low = keras.ops.convert_to_tensor([[-3e4]], dtype)
    assert np.isfinite(float(losses.NonSaturatingLoss().generator_loss(low)))


@tensorflow_only
def test_mean_is_over_the_global_batch_under_mirrored_strategy(two_replicas):
    loss = losses.HingeLoss()
    dataset = tf.data.Dataset.from_tensor_slices((REAL, FAKE)).batch(16)
    distributed = two_replicas.experimental_distribute_dataset(dataset)
    real, fake = next(iter(distributed))
    per_replica = two_replicas.run(tf.function(loss.discriminator_loss), args=(real, fake))
    total = two_replicas.reduce(tf.distribute.ReduceOp.SUM, per_replica, axis=None)
    assert float(total) == pytest.approx(float(loss.discriminator_loss(REAL, FAKE)), rel=1e-6)


@pytest.mark.parametrize("name", losses.NAMES)
def test_get_by_name_and_serialization_round_trip(name):
    loss = losses.get(name)
    assert loss.name == name
    config = losses.serialize(loss)
    assert config["registered_name"].startswith("keras_lipschitz>")
    restored = losses.get(config)
    assert type(restored) is type(loss) and restored.get_config() == loss.get_config()
    assert keras.saving.deserialize_keras_object(config).get_config() == loss.get_config()


def test_configured_loss_round_trips():
    loss = losses.MinimaxLoss(label_smoothing=0.2, reduction="none")
    restored = losses.get(losses.serialize(loss))
    assert (restored.label_smoothing, restored.reduction) == (0.2, "none")


def test_bad_inputs():
    with pytest.raises(ValueError, match="Unknown GAN loss 'hinj'. Known losses: minimax, non_saturating"):
        losses.get("hinj")
    with pytest.raises(ValueError, match="same batch size"):
        losses.HingeLoss().discriminator_loss(np.zeros((4, 1)), np.zeros((3, 1)))
    with pytest.raises(ValueError, match="must have a batch axis"):
        losses.HingeLoss().discriminator_loss(np.float32(1.0), np.float32(2.0))
    with pytest.raises(ValueError, match=r"label_smoothing must be in \[0, 1\)"):
        losses.MinimaxLoss(label_smoothing=1.0)
    with pytest.raises(ValueError, match="reduction must be one of"):
        losses.HingeLoss(reduction="sum")
    with pytest.raises(ValueError, match="needs real_logits"):
        losses.RelativisticAverageLoss().generator_loss(np.zeros((2, 1)))
    with pytest.raises(ValueError, match="given by name"):
        losses.get(3)
