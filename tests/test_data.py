"""Datasets: the mixtures' protocol, digits, image folders and tensorflow-datasets, with exact round trips."""

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_datasets as tfds
from PIL import Image

from keras_lipschitz import data

RNG = np.random.default_rng(0)


def test_mixture_means_follow_the_protocol():
    ring = data.mixture_means("ring8")
    angles = np.sort(np.mod(np.arctan2(ring[:, 1], ring[:, 0]), 2 * np.pi))
    np.testing.assert_allclose(angles, 2 * np.pi * np.arange(8) / 8, atol=1e-6)  # 8 distinct angles
    np.testing.assert_allclose(np.linalg.norm(ring, axis=1), 1.0, rtol=1e-6)
    grid = data.mixture_means("grid25")
    assert sorted(map(tuple, grid.tolist())) == [(x, y) for x in (-4, -2, 0, 2, 4) for y in (-4, -2, 0, 2, 4)]
    samples, components = data.sample_mixture("grid25", 20000, seed=1)
    residuals = samples - grid[components]
    assert residuals.std() == pytest.approx(0.05, rel=0.03)
    assert np.bincount(components).min() > 700  # equal weights (800 expected)
    with pytest.raises(ValueError, match="Unknown mixture"):
        data.mixture_means("ring9")


def test_digits_are_scaled_split_and_labelled():
    train_x, train_y, test_x, test_y = data.digits_arrays()
    assert train_x.shape[1:] == (8, 8, 1) and len(train_x) + len(test_x) == 1797
    assert train_x.min() == -1.0 and train_x.max() == 1.0
    from sklearn.datasets import load_digits

    raw = load_digits()
    # Each scaled image is one of the raw ones: x / 8 - 1.
    lookup = {((image / 8.0) - 1.0).astype("float32").tobytes(): label for image, label in zip(raw.images, raw.target)}
    assert all(lookup[image[..., 0].tobytes()] == label for image, label in zip(test_x, test_y))
    assert np.bincount(test_y).min() >= 35  # stratified 20%
    source = data.load("digits")
    images, labels = next(iter(source.batches(64)))
    assert images.shape == (64, 8, 8, 1) and labels.dtype == tf.int32


def _write_images(directory, count, size=(6, 5), mode="RGB"):
    directory.mkdir(parents=True, exist_ok=True)
    arrays = []
    for index in range(count):
        pixels = RNG.integers(0, 256, size=(*size, 3 if mode == "RGB" else 1)).astype("uint8")
        Image.fromarray(pixels if mode == "RGB" else pixels[..., 0]).save(directory / f"{index}.png")
        arrays.append(pixels)
    return arrays


def test_image_folder_with_class_subfolders_round_trips(tmp_path):
    cats = _write_images(tmp_path / "cat", 3)
    dogs = _write_images(tmp_path / "dog", 2)
    source = data.load(f"folder:{tmp_path}", image_size=6, channels=3)
    # No resize needed along the height only: the 6x5 images are resized to 6x6,
    # so compare against TF's own resize of the same pixels.
    assert source.num_classes == 2 and source.sample_shape == (6, 6, 3) and source.num_examples == 5
    loaded = list(source.elements.as_numpy_iterator())
    assert [label for _, label in loaded] == [0, 0, 0, 1, 1]
    for (image, _), pixels in zip(loaded, cats + dogs):
        expected = tf.image.resize(pixels.astype("float32"), (6, 6), method="area", antialias=True) / 127.5 - 1
        np.testing.assert_allclose(image, expected, atol=1e-6)


def test_image_folder_without_resizing_is_exact(tmp_path):
    pixels = _write_images(tmp_path, 4, size=(8, 8), mode="L")
    source = data.load(f"folder:{tmp_path}", image_size=8, channels=1)
    assert source.num_classes is None
    for (image, _), expected in zip(source.elements.as_numpy_iterator(), pixels):
        np.testing.assert_array_equal(image, expected.astype("float32") / 127.5 - 1.0)


def test_image_folder_errors_name_the_problem(tmp_path):
    with pytest.raises(ValueError, match="is not a directory"):
        data.load(f"folder:{tmp_path / 'missing'}")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="no images"):
        data.load(f"folder:{tmp_path / 'empty'}")
    _write_images(tmp_path / "bad" / "a", 2)
    corrupt = tmp_path / "bad" / "a" / "broken.png"
    corrupt.write_bytes(b"\x89PNG not really")
    with pytest.raises(ValueError, match=r"(?s)1 image file\(s\) cannot be read.*broken\.png"):
        data.load(f"folder:{tmp_path / 'bad'}")
    with pytest.raises(ValueError, match="Unknown dataset 'cifar10'.*idx:PATH.*tfds:NAME"):
        data.load("cifar10")
    with pytest.raises(ValueError, match="fewer than one batch"):
        data.load("digits").batches(5000)


class TinyImages(tfds.core.GeneratorBasedBuilder):
    """A tensorflow-datasets builder made by the test: 12 gray 4x4 images, 3 classes."""

    VERSION = tfds.core.Version("1.0.0")
    PIXELS = RNG.integers(0, 256, size=(12, 4, 4, 1)).astype("uint8")

    def _info(self):
        return tfds.core.DatasetInfo(
            builder=self,
            features=tfds.features.FeaturesDict({
                "image": tfds.features.Image(shape=(4, 4, 1)),
                "label": tfds.features.ClassLabel(num_classes=3),
            }),
        )

    def _split_generators(self, dl_manager):
        return {"train": self._generate_examples()}

    def _generate_examples(self):
        for index, pixels in enumerate(self.PIXELS):
            yield index, {"image": pixels, "label": index % 3}


def test_tfds_loading_code_on_a_dataset_made_here(tmp_path):
    source = data.load("tfds:tiny_images", data_dir=str(tmp_path))
    assert source.sample_shape == (4, 4, 1) and source.num_classes == 3 and source.num_examples == 12
    loaded = sorted(
        ((image, label) for image, label in source.elements.as_numpy_iterator()), key=lambda pair: pair[0].tobytes()
    )
    expected = sorted(
        ((pixels.astype("float32") / 127.5 - 1.0, index % 3) for index, pixels in enumerate(TinyImages.PIXELS)),
        key=lambda pair: pair[0].tobytes(),
    )
    for (image, label), (want_image, want_label) in zip(loaded, expected):
        np.testing.assert_array_equal(image, want_image)
        assert label == want_label
    rgb = data.load("tfds:tiny_images", data_dir=str(tmp_path), image_size=8, channels=3)
    assert next(iter(rgb.batches(4)))[0].shape == (4, 8, 8, 3)
    with pytest.raises(RuntimeError, match="needs internet access"):
        data.load("tfds:no_such_dataset_here", data_dir=str(tmp_path))


def test_numpy_stream_is_positioned_epoch_by_epoch_and_shards_by_process():
    from keras_lipschitz.data.array_stream import PositionedArrayBatches

    samples, labels = np.arange(70.0)[:, None], np.arange(70) % 7
    whole = PositionedArrayBatches((samples, labels), batch_size=20, seed=5)
    batches = [whole[index] for index in range(14)]  # 280 positions: 4 epochs
    stream = np.concatenate([batch[0] for batch in batches])[:, 0]
    for epoch in range(4):  # every epoch visits each example once, in its own order
        assert sorted(stream[70 * epoch: 70 * (epoch + 1)]) == list(range(70))
    assert not np.array_equal(stream[:70], stream[70:140])
    for batch in batches:
        np.testing.assert_array_equal(batch[1], batch[0][:, 0].astype(int) % 7)  # labels stay with samples
    tail = PositionedArrayBatches((samples, labels), batch_size=20, seed=5, start=9 * 20)
    for index in range(5):
        np.testing.assert_array_equal(tail[index][0], batches[9 + index][0])
    shards = [PositionedArrayBatches(samples, batch_size=20, seed=5, shard=(i, 4)) for i in range(4)]
    np.testing.assert_array_equal(np.concatenate([shard[3] for shard in shards]), batches[3][0])
    with pytest.raises(ValueError, match="equal shares"):
        PositionedArrayBatches(samples, batch_size=20, shard=(0, 3))
