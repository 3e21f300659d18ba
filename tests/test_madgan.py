"""MAD-GAN: k generators sharing all but their first layer, the k+1-class loss; against numpy; TF and JAX."""

import keras
import numpy as np
import pytest

from keras_lipschitz import losses
from keras_lipschitz import recipes
from keras_lipschitz.layers import MultiGeneratorDense
from keras_lipschitz.layers import select_generator
from keras_lipschitz.recipes import build
from on_backend import inference
from on_backend import tensorflow_only

RNG = np.random.default_rng(0)


def _log_softmax(x):
    shifted = x - x.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def test_loss_is_the_k_plus_1_class_cross_entropy():
    k = 3
    real, fake = RNG.normal(size=(2, 6, k + 1)).astype("float32")
    loss = losses.MultiGeneratorLoss(num_generators=k)
    # Real rows belong to class k; fake row r to the generator that made it, r % k.
    expected_d = np.mean(-_log_softmax(real)[:, k] - _log_softmax(fake)[np.arange(6), np.arange(6) % k])
    assert float(loss.discriminator_loss(real, fake)) == pytest.approx(expected_d, rel=1e-5)
    assert float(loss.generator_loss(fake)) == pytest.approx(np.mean(-_log_softmax(fake)[:, k]), rel=1e-5)
    assert losses.get(losses.serialize(loss)).get_config() == loss.get_config()


def test_rows_take_the_generators_in_turn_and_a_selected_one_everywhere():
    layer = MultiGeneratorDense(num_generators=3, units=4)
    z = RNG.normal(size=(7, 2)).astype("float32")
    output = np.array(layer(z))
    kernel, bias = np.array(layer.kernel), np.array(layer.bias)
    expected = np.stack([z[r] @ kernel[r % 3] + bias[r % 3] for r in range(7)])
    np.testing.assert_allclose(output, expected, rtol=1e-5, atol=1e-6)
    chosen = MultiGeneratorDense.from_config({**layer.get_config(), "selected": 2})
    chosen.build((None, 2))
    chosen.set_weights(layer.get_weights())
    np.testing.assert_allclose(np.array(chosen(z)), z @ kernel[2] + bias[2], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("dataset, shape", [("grid25", (2,)), ("digits", (8, 8, 1))])
def test_recipe_builds_k_generators_and_a_k_plus_1_class_critic(dataset, shape):
    settings = recipes.get("madgan").settings(dataset, units=16)
    gan, arguments = build.build(settings, shape, seed=0)
    gan.compile(**arguments)
    k = settings["num_generators"]
    assert gan.discriminator.output_shape == (None, k + 1)
    z = RNG.normal(size=(2 * k, settings["latent_dim"])).astype("float32")
    together = np.array(inference(gan.generator)(z))
    for index in range(k):
        alone = np.array(inference(select_generator(gan.generator, index))(z))
        # Generator i made rows i, i + k of the batch (in inference the shared layers treat each row alone).
        np.testing.assert_allclose(alone[index::k], together[index::k], rtol=1e-4, atol=1e-5)
    history = gan.fit(RNG.normal(size=(4 * 64, *shape)).astype("float32"), batch_size=64, epochs=1, verbose=0)
    assert np.isfinite(history.history["d_loss"][0])
    # k + 1 source logits are no realness score: no membership AUC.
    assert gan.critic_scores(RNG.normal(size=(3, *shape)).astype("float32")) is None


def test_refusals():
    settings = recipes.get("madgan").settings("grid25")
    gan, arguments = build.build(settings, (2,), seed=0)
    with pytest.raises(ValueError, match="several logits; the penalties take a critic with one"):
        gan.compile(**{**arguments, "penalty": "r1"})
    with pytest.raises(ValueError, match="num_generators > 1"):
        build.build(recipes.get("madgan").settings("digits", packing=2), (8, 8, 1))
    with pytest.raises(ValueError, match="index must be in"):
        select_generator(gan.generator, 7)


@tensorflow_only
def test_one_generator_exports_alone(tmp_path):
    from keras_lipschitz.export import export_generator

    gan, _ = build.build(recipes.get("madgan").settings("grid25", units=16), (2,), seed=0)
    chosen = select_generator(gan.generator, 1)
    report = export_generator(chosen, tmp_path / "one", formats=("saved_model", "tflite"), quantizations=("float32",))
    assert report["max_abs_difference"]["saved_model"] <= 1e-5
    assert max(report["max_abs_difference"].values()) <= 1e-4


@tensorflow_only
def test_export_command_exports_the_chosen_generator(tmp_path):
    import os
    import subprocess
    import sys

    import tensorflow as tf

    gan, _ = build.build(recipes.get("madgan").settings("grid25", units=16), (2,), seed=0)
    gan.generator.save(tmp_path / "generator.keras")
    command = [sys.executable, "-m", "keras_lipschitz.export.command", f"--model={tmp_path}",
               f"--output_dir={tmp_path / 'out'}", "--formats=saved_model", "--generator_index=2"]
    environment = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "CUDA_VISIBLE_DEVICES": ""}
    result = subprocess.run(command, cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    z = RNG.normal(size=(5, 2)).astype("float32")
    served = tf.saved_model.load(str(tmp_path / "out" / "saved_model")).signatures["serve"](tf.constant(z))
    np.testing.assert_allclose(next(iter(served.values())).numpy(), np.array(select_generator(gan.generator, 2)(z)),
                               rtol=1e-5, atol=1e-6)
    bad = subprocess.run([*command[:-1], "--generator_index=9", "--overwrite"], cwd=tmp_path, env=environment,
                         capture_output=True, text=True, timeout=300)
    assert bad.returncode != 0 and "--generator_index: index must be in [0, 4)" in bad.stderr
