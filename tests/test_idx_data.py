"""MNIST-style IDX files: the reader against files written here byte by byte, the datasets built on them, the
stratified data fraction, and the command on them. Nothing here needs Debian's package or the internet."""

import gzip
import json
import os
import struct
import subprocess
import sys
import time

import numpy as np
import pytest

from keras_lipschitz import data
from keras_lipschitz import metrics
from keras_lipschitz.data import sources
from keras_lipschitz.trainers import evaluation
from stand_ins import GivenSamples

RNG = np.random.default_rng(16)
TYPE_CODES = {"uint8": 0x08, "int8": 0x09, ">i2": 0x0B, ">i4": 0x0C, ">f4": 0x0D, ">f8": 0x0E}


def write_idx(path, array, dtype="uint8", compress=False):
    """IDX as LeCun's page describes it: 0, 0, type code, rank, big-endian uint32 dimensions, big-endian data."""
    array = np.asarray(array)
    header = bytes([0, 0, TYPE_CODES[dtype], array.ndim]) + b"".join(struct.pack(">I", d) for d in array.shape)
    payload = header + array.astype(dtype).tobytes()
    path.write_bytes(gzip.compress(payload) if compress else payload)
    return path


def write_dataset(directory, train=60, test=20, classes=10, compress=True, prefix="", learnable=False):
    """A small Fashion-MNIST-like folder: 28x28 uint8 images, labels 0..classes-1, each class present; with
    `learnable`, each class is a fixed random pattern plus noise (a classifier can learn it)."""
    directory.mkdir(parents=True, exist_ok=True)
    suffix = ".gz" if compress else ""
    templates = np.random.default_rng(0).integers(0, 2, (classes, 28, 28)) * 160
    arrays = {}
    for split, name, count in (("train", "train", train), ("test", "t10k", test)):
        labels = (np.arange(count) % classes).astype("uint8")
        images = RNG.integers(0, 256, (count, 28, 28)).astype("uint8")
        if learnable:
            images = np.clip(templates[labels] + RNG.integers(0, 96, (count, 28, 28)), 0, 255).astype("uint8")
        write_idx(directory / f"{prefix}{name}-images-idx3-ubyte{suffix}", images, compress=compress)
        write_idx(directory / f"{prefix}{name}-labels-idx1-ubyte{suffix}", labels, compress=compress)
        arrays[split] = images, labels
    return arrays


@pytest.mark.parametrize("dtype", list(TYPE_CODES))
@pytest.mark.parametrize("compress", [False, True])
def test_read_idx_round_trips_every_type(tmp_path, dtype, compress):
    array = (RNG.normal(size=(3, 4, 5)) * 50).astype(dtype)
    read = data.read_idx(write_idx(tmp_path / "a.idx", array, dtype, compress))
    assert read.shape == (3, 4, 5) and read.dtype.kind == np.dtype(dtype).kind
    np.testing.assert_array_equal(read, array)


def test_bad_files_are_explained(tmp_path):
    (tmp_path / "png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(20))
    with pytest.raises(ValueError, match="is not an IDX file: its magic number is 89504e47"):
        data.read_idx(tmp_path / "png")
    full = write_idx(tmp_path / "full", np.zeros((4, 28, 28))).read_bytes()
    (tmp_path / "truncated").write_bytes(full[:-100])
    with pytest.raises(ValueError, match=r"declares shape \(4, 28, 28\) of uint8 \(3152 bytes with the header\) "
                                         "but holds 3052 bytes: the file is truncated"):
        data.read_idx(tmp_path / "truncated")
    folder = tmp_path / "mismatched"
    write_dataset(folder, train=30)
    write_idx(folder / "train-labels-idx1-ubyte.gz", np.zeros(29), compress=True)
    with pytest.raises(ValueError, match="holds 30 images but train-labels-idx1-ubyte.gz 29 labels"):
        data.load_idx_split(folder, "train")
    (folder / "train-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(FileNotFoundError, match=r"No train labels in .*train-labels-idx1-ubyte\[.gz\]"):
        data.load(f"idx:{folder}")


def test_idx_dataset_is_padded_to_32_pixels_with_labels_and_a_test_split(tmp_path):
    arrays = write_dataset(tmp_path / "fashion", compress=False)
    source = data.load(f"idx:{tmp_path / 'fashion'}")
    assert (source.sample_shape, source.num_classes, source.num_examples) == ((32, 32, 1), 10, 60)
    samples, labels = source.arrays
    images, expected_labels = arrays["train"]
    # 28x28 in the middle, scaled to [-1, 1]; a 2-pixel border of background (-1).
    np.testing.assert_allclose(samples[:, 2:30, 2:30, 0], images / 127.5 - 1.0, rtol=1e-6, atol=1e-6)
    border = np.ones((32, 32), bool)
    border[2:30, 2:30] = False
    assert np.all(samples[:, border, 0] == -1.0)
    np.testing.assert_array_equal(labels, expected_labels)
    assert source.test_samples.shape == (20, 32, 32, 1)
    np.testing.assert_array_equal(source.test_labels, arrays["test"][1])
    # Three channels and the images' own size on request; EMNIST's prefixed names are found.
    write_dataset(tmp_path / "emnist", classes=4, prefix="emnist-letters-")
    rgb = data.load(f"idx:{tmp_path / 'emnist'}", image_size=28, channels=3)
    assert rgb.sample_shape == (28, 28, 3) and rgb.num_classes == 4
    np.testing.assert_array_equal(rgb.arrays[0][..., 0], rgb.arrays[0][..., 2])


def test_named_datasets_read_data_dir_and_explain_how_to_get_them(tmp_path, monkeypatch):
    write_dataset(tmp_path / "fashion")
    source = data.load("fashion_mnist", data_dir=str(tmp_path / "fashion"))
    assert source.name == "fashion_mnist" and source.sample_shape == (32, 32, 1)
    # Neither a data_dir nor Debian's package: a message within seconds (tensorflow-datasets is offline here).
    monkeypatch.setitem(sources.IDX_DATASETS["fashion_mnist"], "debian", str(tmp_path / "absent"))
    start = time.monotonic()
    with pytest.raises(FileNotFoundError, match="apt-get install dataset-fashion-mnist.*--data_dir"):
        data.load("fashion_mnist")
    assert time.monotonic() - start < 30


def test_data_fraction_is_stratified_seeded_and_a_subset(tmp_path):
    source = data.load("digits")
    samples, labels = source.arrays
    tenth = source.fraction(0.1, seed=3)
    sub_samples, sub_labels = tenth.arrays
    counts, sub_counts = np.bincount(labels), np.bincount(sub_labels)
    np.testing.assert_array_equal(sub_counts, np.maximum(1, np.round(0.1 * counts)))
    # Rows of the original, in their order, the same for the same seed and others for another.
    rows = [int(np.flatnonzero((samples == row).all(axis=(1, 2, 3)))[0]) for row in sub_samples]
    assert rows == sorted(rows)
    np.testing.assert_array_equal(labels[rows], sub_labels)
    np.testing.assert_array_equal(source.fraction(0.1, seed=3).arrays[0], sub_samples)
    assert not np.array_equal(source.fraction(0.1, seed=4).arrays[0], sub_samples)
    assert source.fraction(1.0) is source and tenth.test_samples is source.test_samples
    for bad in (0, 1.5, "half"):
        with pytest.raises(ValueError, match=r"data_fraction must be a number in \(0, 1\]"):
            source.fraction(bad)


def test_the_datasets_own_classifier_is_cached_and_evaluates_it(tmp_path, monkeypatch, capsys):
    from keras_lipschitz.trainers.evaluation import Evaluator

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    write_dataset(tmp_path / "fashion", train=400, test=100, learnable=True)
    source = data.load(f"idx:{tmp_path / 'fashion'}")
    evaluator = Evaluator(source, num_samples=100)
    classifier = evaluator.extractor
    assert isinstance(classifier, metrics.DatasetClassifier) and classifier.accuracy > 0.9
    # Cached: the model and its description, readable by everyone; a second one is the same network.
    entries = sorted((tmp_path / "cache" / "keras_lipschitz" / "classifiers").iterdir())
    assert [path.suffix for path in entries] == [".json", ".keras"]
    assert all(path.stat().st_mode & 0o044 == 0o044 for path in entries)
    capsys.readouterr()
    again = metrics.DatasetClassifier(*source.arrays, source.test_samples, source.test_labels, num_classes=10,
                                      epochs=evaluation.IDX_CLASSIFIER_EPOCHS, verbose=1)
    assert capsys.readouterr().out == ""  # loaded from the cache: nothing trains, nothing to say
    for a, b in zip(again(source.test_samples), classifier(source.test_samples)):
        np.testing.assert_array_equal(a, b)
    assert again.accuracy == classifier.accuracy
    # Other data, another key: a second entry.
    metrics.DatasetClassifier(source.arrays[0][:200], source.arrays[1][:200], source.test_samples,
                              source.test_labels, num_classes=10, epochs=1, verbose=1)
    said = capsys.readouterr().out
    assert f"200 images, 1 epoch(s), cached in {tmp_path / 'cache' / 'keras_lipschitz' / 'classifiers'}." in said
    assert len(list((tmp_path / "cache" / "keras_lipschitz" / "classifiers").glob("*.keras"))) == 2
    # Real held-out images score like real images: every class, near the real-vs-real floor.
    results = evaluator(GivenSamples(source.test_samples))
    assert results["classes"] == 10 and results["coverage"] > 0.5 and results["density"] > 0.5
    assert results["fid"] == pytest.approx(results["fid_real_vs_real"], rel=0.5)
    noise = evaluator(GivenSamples(RNG.uniform(-1, 1, source.test_samples.shape).astype("float32")))
    assert noise["fid"] > 5 * results["fid"] and noise["coverage"] < results["coverage"]


def test_command_trains_on_idx_files_with_a_data_fraction(tmp_path):
    write_dataset(tmp_path / "fashion", train=80)
    command = [sys.executable, "-m", "keras_lipschitz.trainers.train", f"--dataset=idx:{tmp_path / 'fashion'}",
               "--gan=sngan", "--steps=2", "--batch_size=8", "--data_fraction=0.5", "--out_dir=run",
               "--log_every=1", "--sample_every=2", "--eval_every=2", "--checkpoint_every=2", "--verbose=0"]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "XDG_CACHE_HOME": str(tmp_path / "cache")}
    result = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert config["data_fraction"] == 0.5 and config["dataset"] == f"idx:{tmp_path / 'fashion'}"
    assert (tmp_path / "run" / "generator.keras").exists()
    metrics_written = json.loads((tmp_path / "run" / "metrics.json").read_text())[-1]
    assert {"fid", "density", "coverage", "classes", "classifier_test_accuracy"} <= set(metrics_written)
    # The evaluation's classifier is the whole train split's: rows of every fraction share one feature space.
    cached = (tmp_path / "cache" / "keras_lipschitz" / "classifiers").glob("*.json")
    assert [json.loads(path.read_text())["train_examples"] for path in cached] == [80]
    # Another fraction changes the data stream: resuming with it is refused.
    refused = subprocess.run(command[:-2] + ["--data_fraction=0.25", "--verbose=0"], cwd=tmp_path, env=env,
                             capture_output=True, text=True, timeout=600)
    assert refused.returncode != 0 and "data_fraction" in refused.stderr


def test_named_dataset_from_tensorflow_datasets_is_padded_and_keeps_its_test_split(tmp_path, monkeypatch):
    """Without IDX files, fashion_mnist and mnist come from tensorflow-datasets as the same arrays: 28x28 padded
    to 32 with the background, labels, and the test split (which the dataset's classifier and CAS need)."""
    import tensorflow_datasets as tfds

    rng = np.random.default_rng(3)
    pixels = {"train": rng.integers(0, 256, (12, 28, 28, 1), dtype="uint8"),
              "test": rng.integers(0, 256, (6, 28, 28, 1), dtype="uint8")}

    class TinyFashion(tfds.core.GeneratorBasedBuilder):
        VERSION = tfds.core.Version("1.0.0")

        def _info(self):
            return tfds.core.DatasetInfo(builder=self, features=tfds.features.FeaturesDict({
                "image": tfds.features.Image(shape=(28, 28, 1)), "label": tfds.features.ClassLabel(num_classes=3)}))

        def _split_generators(self, dl_manager):
            return {split: self._generate_examples(split) for split in pixels}

        def _generate_examples(self, split):
            for index, image in enumerate(pixels[split]):
                yield index, {"image": image, "label": index % 3}

    monkeypatch.setitem(sources.IDX_DATASETS, "tiny_fashion",
                        {"debian": str(tmp_path / "absent"), "package": "none", "tfds": "tiny_fashion"})
    source = data.load("tiny_fashion", data_dir=str(tmp_path / "tfds"))
    assert source.sample_shape == (32, 32, 1) and source.num_classes == 3
    for split, samples, labels in (("train", *source.arrays), ("test", source.test_samples, source.test_labels)):
        # tfds shuffles the examples when it prepares them: compare both sides in the order of their pixels.
        order = np.argsort([np.rint((sample[2:30, 2:30] + 1) * 127.5).astype("uint8").tobytes() for sample in samples])
        want_order = np.argsort([image.tobytes() for image in pixels[split]])
        want = np.pad(pixels[split] / 127.5 - 1.0, ((0, 0), (2, 2), (2, 2), (0, 0)), constant_values=-1.0)
        np.testing.assert_allclose(samples[order], want[want_order], atol=1e-6)
        np.testing.assert_array_equal(labels[order], (np.arange(len(want)) % 3)[want_order])
    assert source.fraction(0.5).num_examples == 6
