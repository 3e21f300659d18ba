"""Feature extractors for image metrics: classifiers of the dataset trained here (digits, MNIST-like data), and
InceptionV3 from a file."""

import hashlib
import json
import os
import pathlib

import keras
import numpy as np

from keras_lipschitz import _files
from keras_lipschitz.data import digits_arrays
from keras_lipschitz.data.array_batches import ArrayBatches


# Bump when the architecture or training changes: cached classifiers of another version are not reused.
# 2: seeded by the classifier's own initializers and shuffling, no longer by the process-wide seed.
CLASSIFIER_VERSION = 2


class DatasetClassifier:
    """A small CNN trained on a labelled image dataset's train split: the feature space of its image metrics.

    Inception's features describe natural photographs; for MNIST-like data a
    classifier of the dataset itself is the usual feature space. Its
    128-unit penultimate layer gives the features for FID, KID,
    precision/recall and density/coverage, its logits the Inception Score and
    the class of each generated image. Training is deterministic for a seed,
    which seeds only the classifier's initializers and shuffling (the
    process's random state is left as it was); `accuracy` is measured on the
    dataset's test split. Classifiers of large datasets take minutes to
    train, so they are cached: saved under
    `cache_dir`, keyed by a hash of their recipe (architecture version, seed,
    epochs) and of the training data, and loaded when the key matches.

    Args:
        images, labels: the train split, images `(n, h, w, c)` in [-1, 1] and
            integer labels.
        test_images, test_labels: the held-out split the accuracy is measured on.
        num_classes: number of classes (default: the largest label + 1).
        seed: seed of the initialization and the shuffling.
        epochs: training epochs.
        cache_dir: folder of cached classifiers (default
            `~/.cache/keras_lipschitz/classifiers`), or None to train every time.
        verbose: 0 trains silently; 1 or 2 say that it trains (and where it
            will be cached) and show `fit`'s progress in that mode.

    Example:

    ```python
    from keras_lipschitz import data
    from keras_lipschitz.metrics import DatasetClassifier

    digits = data.load("digits")
    classifier = DatasetClassifier(*digits.arrays, digits.test_samples, digits.test_labels, epochs=10,
                                   cache_dir=None)
    features, logits = classifier(digits.test_samples[:5])
    print(features.shape, logits.shape, classifier.accuracy > 0.9)  # (5, 128) (5, 10) True
    ```
    """

    def __init__(self, images, labels, test_images, test_labels, num_classes=None, seed=0, epochs=30,
                 cache_dir="default", verbose=0):
        images, labels = np.asarray(images, "float32"), np.asarray(labels)
        self.input_shape = images.shape[1:]
        self.num_classes = int(num_classes or labels.max() + 1)
        self.test_images, self.test_labels = test_images, test_labels
        key = _classifier_key(images, labels, self.num_classes, seed, epochs)
        cache = None if cache_dir is None else pathlib.Path(
            _default_cache() if cache_dir == "default" else cache_dir).expanduser()
        if cache is not None and (cache / f"{key}.json").is_file() and (cache / f"{key}.keras").is_file():
            self.model = keras.saving.load_model(cache / f"{key}.keras")
            self.accuracy = float(json.loads((cache / f"{key}.json").read_text())["accuracy"])
            return
        network_seeds, shuffle_seeds = np.random.SeedSequence(seed).spawn(2)
        self.model = _classifier_network(self.input_shape, self.num_classes, np.random.default_rng(network_seeds))
        classifier = keras.Model(self.model.inputs, self.model.outputs[1])
        classifier.compile(keras.optimizers.Adam(1e-3),
                           keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
        if verbose:
            where = f", cached in {cache}" if cache is not None else ""
            print(f"Training a classifier of the dataset for the image metrics: {len(images)} images, {epochs} "
                  f"epoch(s){where}.")
        # The batches' own seeded order is the shuffling; fit's shuffle=True would draw from Python's `random`.
        batches = ArrayBatches((images, labels), 64, seed=shuffle_seeds, drop_remainder=False)
        classifier.fit(batches, epochs=epochs, shuffle=False, verbose=verbose)
        self.accuracy = float(classifier.evaluate(test_images, test_labels, verbose=0)[1])
        if cache is not None:
            self._save(cache, key, {"accuracy": self.accuracy, "seed": seed, "epochs": epochs,
                                    "version": CLASSIFIER_VERSION, "input_shape": list(self.input_shape),
                                    "train_examples": len(images)})

    def _save(self, cache, key, description):
        """The model, then its description (the mark of a complete entry), each written atomically."""
        cache.mkdir(parents=True, exist_ok=True)
        temporary = cache / f".tmp-{key}-{os.getpid()}.keras"
        try:
            self.model.save(temporary)
            _files.make_public(temporary)
            os.replace(temporary, cache / f"{key}.keras")
        finally:
            temporary.unlink(missing_ok=True)
        with _files.atomic_write(cache / f"{key}.json", "w") as file:
            json.dump(description, file)

    def __call__(self, images, batch_size=500):
        """Returns `(features, logits)` numpy arrays for images of the training images' shape, in [-1, 1]."""
        images = np.asarray(images, "float32")
        if images.shape[1:] != self.input_shape:
            raise ValueError(f"{type(self).__name__} takes images of shape (n, {', '.join(map(str, self.input_shape))})"
                             f", got {images.shape}.")
        features, logits = self.model.predict(images, batch_size=batch_size, verbose=0)
        return features, logits


def classification_accuracy_score(images, labels, test_images, test_labels, num_classes=None, seed=0, epochs=5):
    """CAS: the test accuracy of a classifier trained on `(images, labels)` (a conditional generator's samples
    and the labels they were drawn for), measured on the real test split.

    Compare it with the same function on as many real training images: a
    generator whose samples teach a classifier as well as real data scores
    the same. Uses `DatasetClassifier`'s network, not cached.

    Args:
        images, labels: the training set, images in [-1, 1].
        test_images, test_labels: the real held-out split.
        num_classes: number of classes (default: the largest label + 1).
        seed: seed of the classifier's initialization and shuffling.
        epochs: training epochs.

    Returns:
        The accuracy, a float in [0, 1].

    Reference:
        Ravuri & Vinyals, "Classification Accuracy Score for Conditional
        Generative Models", NeurIPS 2019, Sec. 3.
    """
    classifier = DatasetClassifier(images, labels, test_images, test_labels, num_classes=num_classes, seed=seed,
                                   epochs=epochs, cache_dir=None)
    return classifier.accuracy


class DigitsClassifier(DatasetClassifier):
    """A `DatasetClassifier` of the embedded 8x8 digits (train split), for digit metrics; trains in seconds.

    Args:
        seed: seed of the initialization and the shuffling.
        epochs: training epochs.

    Example:

    ```python
    from keras_lipschitz.metrics import DigitsClassifier

    classifier = DigitsClassifier(seed=0)
    print(classifier.accuracy > 0.95)  # True
    ```
    """

    def __init__(self, seed=0, epochs=30):
        super().__init__(*digits_arrays(), num_classes=10, seed=seed, epochs=epochs, cache_dir=None)


def _classifier_network(input_shape, num_classes, rng):
    """conv 32, conv 64 stride 2 (and conv 128 stride 2 for images of 16 pixels and more), dense 128, logits; each
    kernel initialized from its own seed drawn from `rng`."""
    def kernel():
        return keras.initializers.GlorotUniform(seed=int(rng.integers(2**31 - 1)))

    images = keras.Input(input_shape)
    x = keras.layers.Conv2D(32, 3, padding="same", activation="relu", kernel_initializer=kernel())(images)
    x = keras.layers.Conv2D(64, 3, strides=2, padding="same", activation="relu", kernel_initializer=kernel())(x)
    if input_shape[0] >= 16:
        x = keras.layers.Conv2D(128, 3, strides=2, padding="same", activation="relu", kernel_initializer=kernel())(x)
    features = keras.layers.Dense(128, activation="relu", kernel_initializer=kernel(),
                                  name="features")(keras.layers.Flatten()(x))
    logits = keras.layers.Dense(num_classes, kernel_initializer=kernel(), name="logits")(features)
    return keras.Model(images, [features, logits])


def _classifier_key(images, labels, num_classes, seed, epochs):
    digest = hashlib.sha256()
    digest.update(json.dumps({"version": CLASSIFIER_VERSION, "classes": num_classes, "seed": seed, "epochs": epochs,
                              "shape": list(images.shape), "keras_backend": keras.backend.backend()}).encode())
    digest.update(np.ascontiguousarray(images).tobytes())
    digest.update(np.ascontiguousarray(labels, "int64").tobytes())
    return digest.hexdigest()[:24]


def _default_cache():
    return pathlib.Path(os.environ.get("XDG_CACHE_HOME", pathlib.Path.home() / ".cache")) / "keras_lipschitz" / \
        "classifiers"


class InceptionFeatures:
    """InceptionV3 pool features (2048) and ImageNet logits, from a local weights file.

    The weights are Keras' ImageNet InceptionV3 weights with the top
    (`inception_v3_weights_tf_dim_ordering_tf_kernels.h5`); this project has
    no internet, so fetch them once where there is:
    `python -c "import keras; keras.applications.InceptionV3(weights='imagenet')"`
    saves them under `~/.keras/models/`; pass that path. Images in [-1, 1]
    are resized to 299x299 (bilinear) and gray images repeated to 3 channels.

    Args:
        weights_path: path of the `.h5` weights file.
    """

    def __init__(self, weights_path):
        path = pathlib.Path(weights_path).expanduser()
        if not path.is_file():
            raise FileNotFoundError(
                f"InceptionV3 weights not found at {path}. Download them once with internet access: "
                "python -c \"import keras; keras.applications.InceptionV3(weights='imagenet')\" "
                "(they land in ~/.keras/models/), or use the digits classifier for digits."
            )
        inception = keras.applications.InceptionV3(weights=str(path), include_top=True)
        pool = inception.get_layer("avg_pool").output
        logits_layer = inception.get_layer("predictions")
        # The top's softmax is removed: IS needs logits.
        logits = keras.layers.Dense(1000, name="logits")(pool)
        self.model = keras.Model(inception.input, [pool, logits])
        self.model.get_layer("logits").set_weights(logits_layer.get_weights())

    def __call__(self, images, batch_size=50):
        """Returns `(features, logits)` numpy arrays for images `(n, h, w, 1 or 3)` in [-1, 1]."""
        images = np.asarray(images, "float32")
        if images.ndim != 4 or images.shape[-1] not in (1, 3):
            raise ValueError(f"InceptionFeatures takes images (n, h, w, 1 or 3), got {images.shape}.")
        if images.shape[-1] == 1:
            images = np.repeat(images, 3, axis=-1)
        features, logits = [], []
        for start in range(0, len(images), batch_size):
            batch = keras.ops.image.resize(images[start : start + batch_size], (299, 299))
            batch_features, batch_logits = self.model(batch, training=False)
            features.append(np.asarray(batch_features))
            logits.append(np.asarray(batch_logits))
        return np.concatenate(features), np.concatenate(logits)
