"""Evaluating a GAN during and after training: mixtures, digits, MNIST-like images, natural images."""

import functools
import json
import math
import pathlib
import time

import numpy as np

from keras_lipschitz import _files
from keras_lipschitz import _validation
from keras_lipschitz import metrics
from keras_lipschitz.data import mixtures
from keras_lipschitz.trainers.periodic import EveryNSteps
from keras_lipschitz.trainers.summaries import SummaryWriter

MIXTURE_SAMPLES = 2500  # the VEEGAN / PacGAN protocol
# Epochs of the classifier of an MNIST-like dataset (60,000 images: minutes on a CPU, then cached).
IDX_CLASSIFIER_EPOCHS = 5
# Epochs of the classification accuracy score's classifiers (trained on num_samples images at each evaluation).
CAS_EPOCHS = 10


def has_own_classifier(source):
    """MNIST-like datasets (IDX files: fashion_mnist, mnist, idx:) are evaluated in their own classifier's
    feature space, as digits are; Inception's describes natural photographs."""
    return source.name in ("fashion_mnist", "mnist") or source.name.startswith("idx:")


class Evaluator:
    """Computes the metrics that fit a data source, from a GAN's samples.

    * 2-D mixtures: modes captured, high-quality fraction, reverse KL (2,500 samples).
    * digits and MNIST-like datasets (IDX files): FID, KID, IS,
      precision/recall and density/coverage in the feature space of a
      classifier trained on the dataset's train split (`DatasetClassifier`;
      cached for the large ones), class coverage and
      class-histogram KL; the real-vs-real FID (train vs test split) is
      reported next to them as the reference. A conditional GAN's samples are
      drawn for the classes in turn: `label_accuracy` is the share the
      classifier assigns to the class they were drawn for, `intra_fid` the
      mean of the class-wise FIDs, and `cas` the classification accuracy
      score (a classifier trained on the samples and their labels, tested on
      the real test split) next to `cas_real` (the same classifier trained on
      as many real images).
    * images with a held-out split: `critic_membership_auc`, how often the
      critic scores one of its training images above a held-out one (0.5: no
      memorization; `metrics.membership_auc`), on up to `num_samples` of each.
    * other images: the same (without classes) with InceptionV3 features,
      when `inception_weights` is given; nothing otherwise.

    Args:
        source: a `keras_lipschitz.data.DataSource`: the real images the
            samples are compared with (the whole dataset).
        training_source: None (`source`), or the `DataSource` the GAN trains
            on when that is a part of `source` (`--data_fraction`): its images
            are the critic's training images for the membership AUC.
        num_samples: generated (and real) samples for image metrics.
        inception_weights: path of InceptionV3 weights, for non-digit images.
        classifier_seed: seed of the dataset's classifier (its feature space).
            Not the training run's seed: runs of every seed are measured in
            one feature space, as with Inception's fixed weights, so their
            scores can be averaged and compared.
        verbose: passed to the dataset's classifier: 0 silent, 1 or 2 show its
            training (minutes, the first time for a dataset; then cached).
    """

    def __init__(self, source, num_samples=1000, inception_weights=None, classifier_seed=0, verbose=0,
                 training_source=None):
        _validation.check_positive_integer("num_samples", num_samples)
        self.source = source
        self.training_source = source if training_source is None else training_source
        self.num_samples = num_samples
        self.extractor = None
        self.reference = {}
        if source.kind == "points":
            return
        if source.name == "digits":
            self.extractor = metrics.DigitsClassifier(seed=classifier_seed)
            self.reference["classifier_test_accuracy"] = self.extractor.accuracy
        elif has_own_classifier(source):
            self.extractor = metrics.DatasetClassifier(*source.arrays, source.test_samples, source.test_labels,
                                                       num_classes=source.num_classes, seed=classifier_seed,
                                                       epochs=IDX_CLASSIFIER_EPOCHS, verbose=verbose)
            self.reference["classifier_test_accuracy"] = self.extractor.accuracy
        elif inception_weights:
            self.extractor = metrics.InceptionFeatures(inception_weights)
        if self.extractor is not None:
            self._real_features = self.extractor(self._real_images())[0]
            if source.test_samples is not None:
                test_features = self.extractor(source.test_samples)[0]
                self.reference["fid_real_vs_real"] = metrics.frechet_distance(self._real_features, test_features)
                self.reference["kid_real_vs_real"] = metrics.kernel_distance(self._real_features, test_features)[0]

    def describe(self):
        """What the numbers are: samples, feature space, scales (for a person reading the results)."""
        if self.source.kind == "points":
            return (f"Evaluated on {MIXTURE_SAMPLES} samples of the (EMA) generator against the mixture's means "
                    "(high quality: the share of samples within 3 standard deviations of their nearest mean; modes: "
                    "the means with at least one such sample; reverse KL of the mode histogram).")
        if isinstance(self.extractor, metrics.DatasetClassifier):
            space = (f"the penultimate layer of a {self.source.name} classifier trained on its train split (test "
                     f"accuracy {self.extractor.accuracy:.3f}); IS and classes from its softmax")
        else:
            space = "InceptionV3's pool3 features (FID, KID) and its logits (IS)"
        return (f"Evaluated on {self.num_samples} samples of the (EMA) generator against as many real ones, in "
                f"{space}. KID is the unbiased MMD^2 with a cubic polynomial kernel, unscaled (papers often "
                "print 1000 x KID). The real-vs-real column compares the train split with the held-out split: "
                "what a second real sample scores (a generator compared with the train split can go below it)."
                + (" critic_membership_auc: how often the critic scores one of the images it trains on above a "
                   "held-out one (0.5: it judges both alike; towards 1: it is memorizing them)."
                   if self.source.test_samples is not None else ""))

    @property
    def available(self):
        return self.source.kind == "points" or self.extractor is not None

    def _real_images(self):
        if self.source.arrays is not None:
            return np.asarray(self.source.arrays[0][: self.num_samples])
        images = []
        for batch, _ in self.source.elements.batch(500).take(math.ceil(self.num_samples / 500)):
            images.append(np.asarray(batch))
        return np.concatenate(images)[: self.num_samples]

    def __call__(self, gan):
        """Returns a dict of metric name to value for `gan`'s samples (EMA weights if any)."""
        if self.source.kind == "points":
            samples = _sample(gan, MIXTURE_SAMPLES)
            name = self.source.name
            quality = metrics.mixture_quality(samples, self.source.means, mixtures.STANDARD_DEVIATIONS[name])
            return {key: value for key, value in quality.items() if key != "mode_histogram"}
        if self.extractor is None:
            return {}
        samples = _sample(gan, self.num_samples)
        features, logits = self.extractor(samples)
        precision, recall = metrics.precision_recall(self._real_features, features)
        density, coverage = metrics.density_coverage(self._real_features, features)
        kid, _ = metrics.kernel_distance(self._real_features, features)
        results = {
            "fid": metrics.frechet_distance(self._real_features, features),
            "kid": kid,
            "inception_score": metrics.inception_score(logits),
            "precision": precision,
            "recall": recall,
            "density": density,
            "coverage": coverage,
        }
        if isinstance(self.extractor, metrics.DatasetClassifier):
            predicted = np.argmax(logits, axis=1)
            classes = metrics.class_coverage(predicted, self.extractor.num_classes)
            results.update(classes=classes["classes"], class_kl=classes["class_kl"])
            if getattr(gan, "num_classes", None) is not None:
                results.update(self._conditional(gan, samples, features, predicted))
        membership = self._membership_auc(gan)
        if membership is not None:
            results["critic_membership_auc"] = membership
        return {**results, **self.reference}

    def _membership_auc(self, gan):
        """None without a held-out split, images in arrays, or a GAN with a critic (`critic_membership_auc`)."""
        if self.source.test_samples is None or self.training_source.arrays is None or not hasattr(gan, "critic_scores"):
            return None
        return critic_membership_auc(gan, self.training_source, self.source, self.num_samples)

    def _conditional(self, gan, samples, features, predicted):
        """A conditional GAN's class-wise scores: label accuracy, intra-class FID, and (with a test split) CAS
        next to the same classifier trained on as many real images."""
        labels = _labels(gan, self.num_samples)
        real_labels = np.asarray(self.source.arrays[1][: self.num_samples]) if self.source.arrays else None
        results = {"label_accuracy": float(np.mean(predicted == labels))}
        if real_labels is not None:
            results["intra_fid"] = metrics.intra_class_frechet_distance(self._real_features, real_labels, features,
                                                                        labels)[0]
        if self.source.test_samples is not None and real_labels is not None:
            score = functools.partial(metrics.classification_accuracy_score, test_images=self.source.test_samples,
                                      test_labels=self.source.test_labels, num_classes=self.extractor.num_classes,
                                      epochs=CAS_EPOCHS)
            if "cas_real" not in self.reference:
                self.reference["cas_real"] = score(self._real_images(), real_labels)
            results["cas"] = score(samples, labels)
        return results


def critic_membership_auc(gan, training, held_out, num_samples):
    """`metrics.membership_auc` of `gan`'s critic on the first `num_samples` images of `training` (the data it trains
    on) against as many of `held_out`'s test split (None when the critic gives no single score per sample)."""
    count = min(num_samples, len(held_out.test_samples), training.num_examples)
    conditional = getattr(gan, "num_classes", None) is not None
    training_scores = gan.critic_scores(training.arrays[0][:count], training.arrays[1][:count] if conditional else None)
    if training_scores is None:
        return None
    held_out_scores = gan.critic_scores(held_out.test_samples[:count],
                                        held_out.test_labels[:count] if conditional else None)
    return metrics.membership_auc(training_scores, held_out_scores)


def _labels(gan, count):
    """The classes a conditional GAN's evaluation samples are drawn for: 0, 1, ..., num_classes - 1, 0, ..."""
    return np.arange(count) % gan.num_classes


def _sample(gan, count):
    labels = None if getattr(gan, "num_classes", None) is None else _labels(gan, count)
    batches = []
    for start in range(0, count, 500):
        stop = min(count, start + 500)
        extra = {} if labels is None else {"labels": labels[start:stop]}
        batches.append(np.asarray(gan.sample(stop - start, **extra), "float32"))
    return np.concatenate(batches)


# What `timed_evaluation` adds to an evaluation's metrics.
TIMES = ("step", "process_cpu_seconds", "evaluation_cpu_seconds")


def timed_evaluation(evaluator, model, step):
    """`evaluator(model)`'s metrics with the step, the process's CPU seconds when it began and the CPU seconds it
    took: the training's CPU seconds at an evaluation are the first less the earlier evaluations' seconds, whatever
    the evaluation schedule (quality per unit of compute, issue 16)."""
    cpu_seconds = time.process_time()
    values = evaluator(model)
    return {"step": step, **values, "process_cpu_seconds": cpu_seconds,
            "evaluation_cpu_seconds": time.process_time() - cpu_seconds}


class EvaluationCallback(EveryNSteps):
    """Runs an `Evaluator` every N generator steps and at the end; keeps every result in a JSON file.

    Each result is a `timed_evaluation`: the step, the metrics,
    `process_cpu_seconds` and `evaluation_cpu_seconds`.

    Args:
        evaluator: an `Evaluator`.
        every_n_steps: int >= 1.
        path: None, or a JSON file rewritten (atomically) after each evaluation.
        log_dir: None, or a TensorBoard log directory for `eval/<metric>` scalars.
    """

    def __init__(self, evaluator, every_n_steps, path=None, log_dir=None):
        super().__init__(every_n_steps)
        self.evaluator = evaluator
        self.path = path
        self.log_dir = log_dir
        self.results = _read_results(path)
        self._writer = None

    def at_step(self, step):
        if not self.results or self.results[-1]["step"] != step:
            self.evaluate(step)

    def evaluate(self, step):
        # A resumed run's CPU seconds count from its own start.
        result = timed_evaluation(self.evaluator, self.model, step)
        values = {name: value for name, value in result.items() if name not in TIMES}
        self.results = [row for row in self.results if row["step"] != step] + [result]
        if self.path is not None:
            with _files.atomic_write(self.path, "w") as file:
                json.dump(self.results, file, indent=2)
        if self.log_dir is not None:
            self._scalars(step, values)
        return values

    def _scalars(self, step, values):
        if self._writer is None:
            self._writer = SummaryWriter(self.log_dir)
        self._writer.scalars(step, values, prefix="eval/")


def _read_results(path):
    if path is None or not pathlib.Path(path).exists():
        return []
    return _files.read_json(path, "the run's evaluations")
