"""Evaluation metrics against independent implementations (scipy, sklearn, numpy) and closed forms."""

import json
import random

import keras
import numpy as np
import pytest
import scipy.linalg
from sklearn.neighbors import NearestNeighbors

from keras_lipschitz import data
from keras_lipschitz import metrics
from stand_ins import GivenSamples

RNG = np.random.default_rng(0)


def test_mixture_quality_counts_modes_quality_and_kl():
    means = data.mixture_means("ring8")
    # 10 samples exactly on mode 0, 10 on mode 3, 5 far away from every mode.
    samples = np.concatenate([np.repeat(means[[0]], 10, 0), np.repeat(means[[3]], 10, 0), np.full((5, 2), 5.0)])
    quality = metrics.mixture_quality(samples, means, 0.01)
    assert quality["modes"] == 2
    assert quality["high_quality"] == pytest.approx(20 / 25)
    assert quality["reverse_kl"] == pytest.approx(np.log(8 / 2))  # half/half on 2 of 8 modes
    # 3 sigma is inside, 3.1 sigma is not.
    edge = metrics.mixture_quality(means[[0, 0]] + np.array([[0.0299, 0], [0.031, 0]]), means, 0.01)
    assert edge["high_quality"] == 0.5
    real, _ = data.sample_mixture("grid25", 2500, seed=3)
    real_quality = metrics.mixture_quality(real, data.mixture_means("grid25"), 0.05)
    assert real_quality["modes"] == 25 and real_quality["high_quality"] > 0.98
    assert real_quality["reverse_kl"] < 0.02
    assert metrics.mixture_quality(np.full((3, 2), 9.0), means, 0.01)["reverse_kl"] == float("inf")


def test_class_coverage():
    coverage = metrics.class_coverage(np.array([0, 0, 1, 1]), 4)
    assert coverage["classes"] == 2 and coverage["class_kl"] == pytest.approx(np.log(2))
    assert metrics.class_coverage(np.arange(40) % 10, 10)["class_kl"] == pytest.approx(0.0, abs=1e-12)


def _numpy_fid(a, b):
    covariance_a, covariance_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    root = scipy.linalg.sqrtm(covariance_a @ covariance_b).real
    return float(((a.mean(0) - b.mean(0)) ** 2).sum() + np.trace(covariance_a + covariance_b - 2 * root))


def test_frechet_distance_matches_scipy():
    a = RNG.normal(size=(400, 6))
    b = RNG.normal(0.5, 1.5, size=(300, 6)) @ RNG.normal(size=(6, 6))
    assert metrics.frechet_distance(a, b) == pytest.approx(_numpy_fid(a, b), rel=1e-4)
    assert metrics.frechet_distance(a, a) == pytest.approx(0.0, abs=1e-3)
    with pytest.raises(ValueError, match="NaN or inf"):
        metrics.frechet_distance(a, np.full_like(a, np.nan))


def test_kernel_distance_matches_the_unbiased_mmd():
    a = RNG.normal(size=(200, 5))
    b = RNG.normal(0.3, 1.0, size=(150, 5))

    def kernel(x, y):
        return (x @ y.T / x.shape[1] + 1.0) ** 3

    kxx, kyy, kxy = kernel(a, a), kernel(b, b), kernel(a, b)
    m, n = len(a), len(b)
    expected = ((kxx.sum() - np.trace(kxx)) / (m * (m - 1)) + (kyy.sum() - np.trace(kyy)) / (n * (n - 1))
                - 2 * kxy.mean())
    kid, _ = metrics.kernel_distance(a, b)
    assert kid == pytest.approx(expected, rel=1e-3, abs=1e-5)


def test_inception_score_matches_its_formula():
    logits = RNG.normal(size=(500, 10)) * 3
    p = np.exp(logits - logits.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    expected = np.exp(np.mean(np.sum(p * (np.log(p) - np.log(p.mean(0))), axis=1)))
    assert metrics.inception_score(logits) == pytest.approx(expected, rel=1e-4)
    confident = np.eye(10)[np.arange(1000) % 10] * 50.0
    assert metrics.inception_score(confident) == pytest.approx(10.0, rel=1e-3)


def _reference_coverage(manifold, queries, k):
    radii = NearestNeighbors(n_neighbors=k + 1).fit(manifold).kneighbors(manifold)[0][:, k]
    return float(np.mean([(np.linalg.norm(manifold - q, axis=1) <= radii).any() for q in queries]))


def test_precision_recall_match_a_nearest_neighbours_implementation():
    real = RNG.normal(size=(300, 4))
    generated = RNG.normal(0.8, 0.5, size=(250, 4))
    precision, recall = metrics.precision_recall(real, generated, k=3, batch_size=64)
    assert precision == pytest.approx(_reference_coverage(real, generated, 3))
    assert recall == pytest.approx(_reference_coverage(generated, real, 3))
    assert 0 < recall < precision < 1  # a narrower generator: precise, low recall
    assert metrics.precision_recall(real, real) == (1.0, 1.0)


def _reference_density_coverage(real, generated, k):
    """Naeem et al. 2020, eq. 3-4, with scikit-learn's neighbours: one generated sample at a time."""
    radii = NearestNeighbors(n_neighbors=k + 1).fit(real).kneighbors(real)[0][:, k]
    inside = np.array([np.linalg.norm(real - y, axis=1) <= radii for y in generated])  # (M, N)
    return inside.sum() / (k * len(generated)), float(inside.any(axis=0).mean())


def test_density_and_coverage_match_a_nearest_neighbours_implementation():
    real = RNG.normal(size=(300, 4))
    for generated in (RNG.normal(0.8, 0.5, size=(250, 4)), RNG.normal(size=(200, 4))):
        density, coverage = metrics.density_coverage(real, generated, k=5, batch_size=64)
        expected_density, expected_coverage = _reference_density_coverage(real, generated, 5)
        assert density == pytest.approx(expected_density) and coverage == pytest.approx(expected_coverage)
    # Generated samples crowding one dense region: density above 1, coverage low (the paper's Fig. 3 case).
    crowded = RNG.normal(0, 0.1, size=(200, 4))
    density, coverage = metrics.density_coverage(real, crowded, k=5)
    assert density > 1.2 and coverage < 0.2
    assert metrics.density_coverage(real, real)[1] == 1.0


def _process_draws():
    """One draw from each process-wide generator: Python's, NumPy's and Keras' global seed generator."""
    return random.random(), float(np.random.rand()), float(keras.random.uniform(()))


def test_digits_classifier_is_accurate_and_deterministic_and_leaves_the_process_random_state():
    keras.utils.set_random_seed(123)
    expected = _process_draws()
    keras.utils.set_random_seed(123)
    first = metrics.DigitsClassifier(seed=0, epochs=15)
    # Training seeded only the classifier: the process's generators draw what they would have drawn.
    assert _process_draws() == expected
    second, other_seed = metrics.DigitsClassifier(seed=0, epochs=15), metrics.DigitsClassifier(seed=1, epochs=15)
    assert first.accuracy > 0.95
    features, logits = first(first.test_images[:20])
    assert features.shape == (20, 128) and logits.shape == (20, 10)
    np.testing.assert_allclose(second(first.test_images[:20])[1], logits, atol=1e-5)
    assert np.abs(other_seed(first.test_images[:20])[1] - logits).max() > 0.1
    with pytest.raises(ValueError, match=r"\(n, 8, 8, 1\)"):
        first(np.zeros((2, 16, 16, 1)))


def test_inception_features_load_a_local_weights_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="InceptionV3 weights not found"):
        metrics.InceptionFeatures(tmp_path / "missing.h5")
    keras.utils.set_random_seed(0)
    inception = keras.applications.InceptionV3(weights=None, classifier_activation=None)
    path = tmp_path / "inception.weights.h5"
    inception.save_weights(path)
    extractor = metrics.InceptionFeatures(path)
    images = RNG.uniform(-1, 1, size=(2, 32, 32, 1)).astype("float32")
    features, logits = extractor(images)
    resized = keras.ops.image.resize(np.repeat(images, 3, -1), (299, 299))
    np.testing.assert_allclose(logits, inception(resized), rtol=1e-4, atol=1e-4)
    assert features.shape == (2, 2048)


def test_digits_evaluator_scores_real_images_at_the_real_floor():
    from keras_lipschitz.trainers.evaluation import Evaluator

    source = data.load("digits")
    evaluator = Evaluator(source, num_samples=360)
    results = evaluator(GivenSamples(source.test_samples))
    assert results["classes"] == 10 and results["class_kl"] < 0.01
    assert results["classifier_test_accuracy"] > 0.95
    # The held-out images are the real-vs-real reference itself.
    assert results["fid"] == pytest.approx(results["fid_real_vs_real"], rel=0.35)
    assert results["precision"] > 0.8 and results["recall"] > 0.8
    noise = GivenSamples(RNG.uniform(-1, 1, size=(360, 8, 8, 1)).astype("float32"))
    assert evaluator(noise)["fid"] > 10 * results["fid"]


def test_intra_class_fid_is_the_mean_of_the_class_wise_fids():
    real, generated = RNG.normal(size=(300, 4)), RNG.normal(0.2, 1.1, size=(240, 4))
    real_labels, generated_labels = np.arange(300) % 3, np.arange(240) % 4  # class 3: generated only
    mean, per_class = metrics.intra_class_frechet_distance(real, real_labels, generated, generated_labels)
    expected = {c: _numpy_fid(real[real_labels == c], generated[generated_labels == c]) for c in range(3)}
    assert set(per_class) == {0, 1, 2}
    for c in range(3):
        assert per_class[c] == pytest.approx(expected[c], rel=1e-4)
    assert mean == pytest.approx(np.mean(list(expected.values())), rel=1e-4)


class _ConditionalRealImages:
    """Stands in for a conditional GAN whose samples are held-out digits of the asked classes."""

    num_classes = 10

    def __init__(self, images, labels, wrong=False):
        self.by_class = [images[labels == c] for c in range(10)]
        self.wrong = wrong

    def sample(self, count, labels):
        drawn = [(label + 1) % 10 if self.wrong else label for label in np.asarray(labels)]
        return np.stack([self.by_class[c][i % len(self.by_class[c])] for i, c in enumerate(drawn)])


def test_conditional_scores_cas_intra_fid_and_label_accuracy():
    from keras_lipschitz.trainers.evaluation import Evaluator

    source = data.load("digits")
    evaluator = Evaluator(source, num_samples=360)
    right = evaluator(_ConditionalRealImages(source.test_samples, source.test_labels))
    wrong = evaluator(_ConditionalRealImages(source.test_samples, source.test_labels, wrong=True))
    assert right["label_accuracy"] > 0.95 and wrong["label_accuracy"] < 0.05
    # Real images with the right labels teach a classifier as real data does; with shifted labels, nothing.
    assert right["cas"] > 0.85 and right["cas"] == pytest.approx(right["cas_real"], abs=0.1)
    assert wrong["cas"] < 0.1
    assert right["intra_fid"] < 0.5 * wrong["intra_fid"]
    assert metrics.classification_accuracy_score(*source.arrays, source.test_samples, source.test_labels,
                                                 epochs=10) > 0.9


@pytest.mark.parametrize("real_count, generated_count, block", [(300, 250, 1024), (500, 730, 200)])
def test_fid_kid_and_inception_score_match_tf_gan(real_count, generated_count, block):
    """Our NumPy metrics (which run on every backend) against TF-GAN's classifier_metrics, KID's blocks included."""
    import tensorflow as tf

    from keras_lipschitz import _tfgan

    real = RNG.normal(size=(real_count, 12))
    generated = RNG.normal(0.3, 1.2, size=(generated_count, 12))
    logits = RNG.normal(size=(real_count, 10)) * 3
    reference = _tfgan.classifier_metrics()
    with _tfgan.quiet():
        fid = float(reference.frechet_classifier_distance_from_activations(tf.constant(real), tf.constant(generated)))
        kid, kid_std = reference.kernel_classifier_distance_and_std_from_activations(
            tf.constant(real, tf.float32), tf.constant(generated, tf.float32), max_block_size=block)
        score = float(reference.classifier_score_from_logits(tf.constant(logits, tf.float32)))
    assert metrics.frechet_distance(real, generated) == pytest.approx(fid, rel=1e-9)
    ours, ours_std = metrics.kernel_distance(real, generated, max_block_size=block)
    assert ours == pytest.approx(float(kid), rel=1e-5)
    if np.isnan(float(kid_std)):  # one block: no spread to estimate
        assert np.isnan(ours_std)
    else:
        assert ours_std == pytest.approx(float(kid_std), rel=1e-4)
    assert metrics.inception_score(logits) == pytest.approx(score, rel=1e-6)


def test_evaluation_callback_records_what_each_evaluation_cost(tmp_path):
    """Training's CPU seconds at an evaluation = process CPU at its start - earlier evaluations' CPU (issue 16)."""
    import time

    from keras_lipschitz.trainers.evaluation import EvaluationCallback

    def evaluator(model):  # burns 0.2 CPU seconds, as a scoring pass does
        started = time.process_time()
        while time.process_time() - started < 0.2:
            pass
        return {"fid": 1.0}

    callback = EvaluationCallback(evaluator, every_n_steps=10, path=tmp_path / "metrics.json")
    first, second = callback.evaluate(10), callback.evaluate(20)
    assert first == second == {"fid": 1.0}
    earlier, later = json.loads((tmp_path / "metrics.json").read_text())
    assert 0.2 <= earlier["evaluation_cpu_seconds"] < 1.0
    # The process spent the first evaluation's seconds (and a little bookkeeping) between the two starts.
    gap = later["process_cpu_seconds"] - earlier["process_cpu_seconds"]
    assert earlier["evaluation_cpu_seconds"] <= gap < earlier["evaluation_cpu_seconds"] + 0.5


def _pairwise_auc(training, held_out):
    """P(training score > held-out score) + P(tie) / 2 over every pair."""
    differences = np.asarray(training)[:, None] - np.asarray(held_out)[None, :]
    return np.mean(differences > 0) + 0.5 * np.mean(differences == 0)


def test_membership_auc_matches_sklearn_and_every_pair():
    from sklearn.metrics import roc_auc_score

    for training, held_out in ((RNG.normal(0.3, 1, 400), RNG.normal(size=300)),
                               (RNG.integers(0, 5, 200), RNG.integers(0, 4, 150))):  # many ties
        expected = roc_auc_score(np.r_[np.ones(len(training)), np.zeros(len(held_out))], np.r_[training, held_out])
        assert metrics.membership_auc(training, held_out) == pytest.approx(expected, abs=1e-12)
        assert metrics.membership_auc(training, held_out) == pytest.approx(_pairwise_auc(training, held_out),
                                                                           abs=1e-12)
        # Free of the score's scale and offset; (n, 1) logits as a critic gives them.
        assert metrics.membership_auc(3 * training[:, None] - 7, 3 * held_out - 7) == pytest.approx(expected)
    assert metrics.membership_auc([1.0, 1.0], [1.0]) == 0.5
    with pytest.raises(ValueError, match="one score per image"):
        metrics.membership_auc(np.zeros((4, 3)), np.zeros(4))
    with pytest.raises(ValueError, match="NaN"):
        metrics.membership_auc([np.nan, 1.0], [0.0])


def _memorizing_gan(memorized):
    """A GAN whose critic scores an image by minus its squared distance to the nearest memorized image."""
    from keras_lipschitz.trainers import GAN
    from keras_lipschitz.trainers import presets

    flat = keras.ops.convert_to_tensor(memorized.reshape(len(memorized), -1))

    def score(images):
        distances = keras.ops.sum((keras.ops.reshape(images, (-1, 1, flat.shape[1])) - flat[None]) ** 2, axis=-1)
        return -keras.ops.min(distances, axis=1, keepdims=True)

    critic = keras.Sequential([keras.Input(memorized.shape[1:]), keras.layers.Lambda(score)])
    generator = keras.Sequential([keras.Input((4,)), keras.layers.Dense(64, activation="tanh"),
                                  keras.layers.Reshape(memorized.shape[1:])])
    gan = GAN(generator, critic, latent_dim=4, seed=0)
    gan.compile(**presets.sngan())
    return gan


def test_the_evaluator_finds_a_critic_that_memorized_the_images_it_trained_on():
    from keras_lipschitz.trainers.evaluation import Evaluator

    source = data.load("digits")
    tenth = source.fraction(0.1, seed=0)
    gan = _memorizing_gan(tenth.arrays[0])
    # Trained on the tenth: each of its images scores 0, every held-out one below.
    assert Evaluator(source, num_samples=360, training_source=tenth)(gan)["critic_membership_auc"] == 1.0
    # Taken as trained on the whole split, a tenth of its first 360 images are memorized: near 0.55.
    whole = Evaluator(source, num_samples=360)(gan)["critic_membership_auc"]
    scores = [-np.min(((images[:360, None] - tenth.arrays[0][None]) ** 2).sum(axis=(2, 3, 4)), axis=1)
              for images in (source.arrays[0], source.test_samples)]
    assert whole == pytest.approx(_pairwise_auc(*scores), abs=1e-9)
    assert 0.5 < whole < 0.65
