"""PacGAN's packing: the layer against numpy, the packed critic of any recipe, training with it."""

import keras
import numpy as np
import pytest

from keras_lipschitz import recipes
from keras_lipschitz.layers import Packing
from keras_lipschitz.recipes import build

RNG = np.random.default_rng(0)


@pytest.mark.parametrize("shape", [(6, 2), (6, 3, 3, 2)])
@pytest.mark.parametrize("m", [2, 3])
def test_packing_concatenates_consecutive_samples_along_the_last_axis(shape, m):
    x = RNG.normal(size=shape).astype("float32")
    want = np.stack([np.concatenate([x[k * m + i] for i in range(m)], axis=-1) for k in range(len(x) // m)])
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(Packing(m)(x)), want)
    with pytest.raises(ValueError, match="multiple of 4"):
        Packing(4)(x)


def test_any_recipe_packs_its_critic_and_trains():
    settings = recipes.get("gan").settings("ring8", packing=2, steps=4)
    gan, arguments = build.build(settings, (2,), seed=0)
    gan.compile(**arguments)
    inner = gan.discriminator.layers[-1]
    assert isinstance(gan.discriminator.layers[0], Packing) and inner.input_shape == (None, 4)
    points = RNG.normal(size=(256 * 4, 2)).astype("float32")
    history = gan.fit(points, batch_size=256, epochs=1, verbose=0).history
    assert np.isfinite(history["d_loss"]).all()
    assert gan.discriminator(points[:8]).shape == (4, 1)  # one logit per pack
    images, _ = build.build(recipes.get("sngan").settings("digits", packing=4), (8, 8, 1), seed=0)
    assert images.discriminator.layers[-1].input_shape == (None, 8, 8, 4)
    with pytest.raises(ValueError, match="packing applies to unconditional critics"):
        build.build(recipes.get("projection").settings("digits", packing=2), (8, 8, 1), num_classes=10)


def test_critic_scores_of_a_packed_critic_are_its_logits_per_pack():
    from keras_lipschitz import data
    from keras_lipschitz.trainers.evaluation import Evaluator

    digits = data.load("digits")
    gan, arguments = build.build(recipes.get("sngan").settings("digits", packing=3), (8, 8, 1), seed=0)
    gan.compile(**arguments)
    images = digits.arrays[0][:10]
    expected = np.ravel(gan.discriminator(images[:9], training=False))
    # Batches of 4 round down to packs of 3; the tenth image makes no pack.
    np.testing.assert_allclose(gan.critic_scores(images, batch_size=4), expected, atol=1e-6)
    # The evaluation's AUC over 100 images of each split: 33 packs each, against a count over every pair of packs.
    training, held_out = (np.ravel(gan.discriminator(x[:99], training=False))
                          for x in (digits.arrays[0], digits.test_samples))
    pairs = training[:, None] - held_out[None, :]
    expected_auc = np.mean(pairs > 0) + 0.5 * np.mean(pairs == 0)
    assert Evaluator(digits, num_samples=100)(gan)["critic_membership_auc"] == pytest.approx(expected_auc, abs=1e-9)
