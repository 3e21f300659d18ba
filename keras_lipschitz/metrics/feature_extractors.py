"""Feature extractors for image metrics: a digits classifier trained here, and InceptionV3 from a file."""

import pathlib

import keras
import numpy as np

from keras_lipschitz.data import digits_arrays


class DigitsClassifier:
    """A small CNN trained on the embedded 8x8 digits (train split), for digit metrics.

    Its 128-unit penultimate layer gives the features for FID, KID and
    precision/recall, its logits the Inception Score and the class of each
    generated digit (class coverage). Training takes seconds on a CPU and is
    deterministic for a seed. `accuracy` is measured on the held-out split.

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
        keras.utils.set_random_seed(seed)
        train_x, train_y, self.test_images, self.test_labels = digits_arrays()
        images = keras.Input((8, 8, 1))
        x = keras.layers.Conv2D(32, 3, padding="same", activation="relu")(images)
        x = keras.layers.Conv2D(64, 3, strides=2, padding="same", activation="relu")(x)
        features = keras.layers.Dense(128, activation="relu", name="features")(keras.layers.Flatten()(x))
        logits = keras.layers.Dense(10, name="logits")(features)
        self.model = keras.Model(images, [features, logits])
        classifier = keras.Model(images, logits)
        classifier.compile(
            keras.optimizers.Adam(1e-3),
            keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            metrics=["accuracy"],
        )
        classifier.fit(train_x, train_y, batch_size=64, epochs=epochs, verbose=0, shuffle=True)
        self.accuracy = float(classifier.evaluate(self.test_images, self.test_labels, verbose=0)[1])

    def __call__(self, images, batch_size=500):
        """Returns `(features, logits)` numpy arrays for images `(n, 8, 8, 1)` in [-1, 1]."""
        images = np.asarray(images, "float32")
        if images.shape[1:] != (8, 8, 1):
            raise ValueError(f"DigitsClassifier takes images of shape (n, 8, 8, 1), got {images.shape}.")
        features, logits = self.model.predict(images, batch_size=batch_size, verbose=0)
        return features, logits


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
