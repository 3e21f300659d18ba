"""Datasets by name: embedded mixtures and digits, tensorflow-datasets, folders of images.

Every loader returns a `keras_lipschitz.data.DataSource`. The embedded
sources (mixtures, digits) are arrays and need no TensorFlow; tfds and
folder sources are `tf.data` pipelines (TensorFlow reads them on the host
under any Keras backend).
"""

import contextlib
import pathlib

import numpy as np

from keras_lipschitz._host_tensorflow import WITHOUT_TENSORFLOW as _WITHOUT_TENSORFLOW
from keras_lipschitz._host_tensorflow import import_tensorflow
from keras_lipschitz.data import idx
from keras_lipschitz.data import mixtures
from keras_lipschitz.data.digits import digits_arrays
from keras_lipschitz.data.source import DataSource

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif")
# Datasets in IDX files by name: where Debian's packages install them, and their tensorflow-datasets name.
IDX_DATASETS = {
    "fashion_mnist": {"debian": "/usr/share/datasets/fashion-mnist", "package": "dataset-fashion-mnist",
                      "tfds": "fashion_mnist"},
    "mnist": {"debian": "/usr/share/datasets/mnist", "package": "dataset-mnist", "tfds": "mnist"},
}


def load(spec, image_size=None, channels=None, data_dir=None, num_samples=100_000, seed=0):
    """Loads a dataset by spec.

    Args:
        spec: "ring8" or "grid25" (2-D mixtures), "digits" (scikit-learn's
            8x8 digits), "fashion_mnist" or "mnist" (IDX files in `data_dir`,
            else those of Debian's package, else tensorflow-datasets),
            "idx:PATH" (a folder of MNIST-style IDX files: MNIST,
            Fashion-MNIST, KMNIST, EMNIST), "tfds:NAME" (tensorflow-datasets,
            e.g. "tfds:cifar10"), or "folder:PATH" (images; class subfolders
            give labels).
        image_size: the images' square size (IDX, tfds and folders; default:
            32 for IDX files, whose 28x28 images are padded with background,
            and folders, the dataset's own size for tfds).
        channels: 1 or 3 to convert images (default: the dataset's own, 3 for folders).
        data_dir: a folder with the IDX files of "fashion_mnist" or "mnist",
            or tensorflow-datasets' data directory.
        num_samples: samples drawn from a mixture.
        seed: seed of the mixture samples.

    Returns:
        A `DataSource`.

    Example:

    ```python
    from keras_lipschitz import data

    source = data.load("digits")
    print(source.sample_shape, source.num_classes)  # (8, 8, 1) 10
    batch = next(iter(source.batches(64)))
    print(batch[0].shape, float(batch[0].numpy().min()) >= -1.0)  # (64, 8, 8, 1) True
    ```
    """
    if not isinstance(spec, str) or not spec:
        raise ValueError(f"A dataset spec is a non-empty string, got {spec!r}.")
    if spec in mixtures.STANDARD_DEVIATIONS:
        return _mixture(spec, num_samples, seed)
    if spec == "digits":
        return _digits()
    if spec.startswith("idx:"):
        return _idx(spec, spec[len("idx:"):], image_size, channels)
    if spec in IDX_DATASETS:
        return _named_idx(spec, image_size, channels, data_dir)
    if spec.startswith("tfds:"):
        return _tfds(spec, image_size, channels, data_dir)
    if spec.startswith("folder:"):
        return _folder(spec, image_size or 32, channels or 3)
    raise ValueError(
        f"Unknown dataset {spec!r}. Use ring8, grid25, digits, fashion_mnist, mnist, idx:PATH (a folder of "
        "MNIST-style IDX files), tfds:NAME (e.g. tfds:cifar10) or folder:PATH (a folder of images, optionally in "
        "class subfolders)."
    )


def _mixture(name, num_samples, seed):
    samples, components = mixtures.sample_mixture(name, num_samples, seed)
    return DataSource(name=name, kind="points", sample_shape=(2,), num_classes=None, arrays=(samples, components),
                      means=mixtures.mixture_means(name))


def _digits():
    train_x, train_y, test_x, test_y = digits_arrays()
    return DataSource(name="digits", kind="images", sample_shape=(8, 8, 1), num_classes=10, arrays=(train_x, train_y),
                      test_samples=test_x, test_labels=test_y)


def _idx(name, directory, image_size, channels):
    train_x, train_y = idx.load_idx_split(directory, "train")
    try:
        test_x, test_y = idx.load_idx_split(directory, "test")
    except FileNotFoundError:
        test_x, test_y = None, None
    return _gray_images_source(name, (train_x, train_y), (test_x, test_y), image_size, channels)


def _gray_images_source(name, train, test, image_size, channels):
    """A source of uint8 gray images `(n, h, w)` with labels, and a test split when `test` holds one."""
    size, channels = image_size or 32, channels or 1
    convert = lambda images: None if images is None else _idx_images(images, size, channels)  # noqa: E731
    return DataSource(name=name, kind="images", sample_shape=(size, size, channels),
                      num_classes=int(train[1].max()) + 1, arrays=(convert(train[0]), train[1]),
                      test_samples=convert(test[0]), test_labels=test[1])


def _idx_images(images, size, channels):
    """uint8 (n, h, w) -> float32 (n, size, size, channels) in [-1, 1]: padded with the background (-1) when
    `size` is larger by an even number of pixels (28 -> 32, as is usual for MNIST-style data), else resized."""
    x = images.astype("float32")[..., None] / 127.5 - 1.0
    height, width = images.shape[1:]
    grow_h, grow_w = size - height, size - width
    if grow_h >= 0 and grow_w >= 0 and grow_h % 2 == 0 and grow_w % 2 == 0:
        x = np.pad(x, ((0, 0), (grow_h // 2,) * 2, (grow_w // 2,) * 2, (0, 0)), constant_values=-1.0)
    else:
        from keras import ops

        x = np.concatenate([ops.convert_to_numpy(ops.image.resize(x[i:i + 4096], (size, size), interpolation="area"))
                            for i in range(0, len(x), 4096)])
    return np.repeat(x, channels, axis=-1) if channels == 3 else x


def _named_idx(name, image_size, channels, data_dir):
    """fashion_mnist / mnist: IDX files in `data_dir`, else Debian's package's, else tensorflow-datasets."""
    known = IDX_DATASETS[name]
    for directory in ([data_dir] if data_dir else []) + [known["debian"]]:
        if directory and _has_idx_files(directory):
            return _idx(name, directory, image_size, channels)
    try:
        import tensorflow_datasets  # noqa: F401
    except ImportError:
        tfds_note = "tensorflow-datasets is not installed"
    else:
        try:
            train, test = _tfds_gray_splits(known["tfds"], data_dir)
        except RuntimeError as error:
            tfds_note = str(error)
        else:
            return _gray_images_source(name, train, test, image_size, channels)
    looked = ", ".join(str(d) for d in ([data_dir] if data_dir else []) + [known["debian"]])
    raise FileNotFoundError(
        f"{name}: no IDX files in {looked}, and tensorflow-datasets could not get it ({tfds_note}). Install "
        f"Debian's package (`apt-get install {known['package']}`), or put the four IDX files (train/t10k images "
        f"and labels) in a folder and pass --data_dir=FOLDER, or go online for tensorflow-datasets."
    )


def _has_idx_files(directory):
    try:
        idx.find_split_files(directory, "train")
    except (FileNotFoundError, ValueError):
        return False
    return True


def _to_unit_range(image, image_size, channels):
    """uint8 image -> float32 in [-1, 1], resized and converted to `channels`."""
    tf = import_tensorflow("tfds: and folder: datasets", _WITHOUT_TENSORFLOW)
    image = tf.convert_to_tensor(image)
    if channels == 3 and image.shape[-1] == 1:
        image = tf.image.grayscale_to_rgb(image)
    elif channels == 1 and image.shape[-1] == 3:
        image = tf.image.rgb_to_grayscale(image)
    image = tf.cast(image, tf.float32)
    if image_size is not None and tuple(image.shape[:2]) != (image_size, image_size):
        image = tf.image.resize(image, (image_size, image_size), method="area", antialias=True)
    return image / 127.5 - 1.0


def _prepared_builder(spec, data_dir):
    """The tensorflow-datasets builder of "tfds:NAME", downloaded and prepared (RuntimeError when it cannot be)."""
    import_tensorflow("tfds: datasets", _WITHOUT_TENSORFLOW)
    import tensorflow_datasets as tfds

    with _removing_new_empty_directories(data_dir or _default_tfds_dir()):
        try:
            builder = tfds.builder(spec[len("tfds:") :], data_dir=data_dir)
            if not builder.is_prepared() and _downloads(builder):
                _check_online(spec)
            builder.download_and_prepare()
        except Exception as error:  # tfds raises many kinds; all mean "could not get it"
            raise RuntimeError(
                f"Could not load {spec} with tensorflow-datasets ({type(error).__name__}: {error}). "
                "It needs internet access the first time (or a prepared --data_dir); without it, "
                "use digits, ring8 or grid25."
            ) from None
    return builder


def _tfds_gray_splits(name, data_dir):
    """The train and test splits of a tensorflow-datasets set of gray images as IDX files hold them: uint8 images
    `(n, h, w)` and int32 labels (`(None, None)` for a missing test split), so MNIST-style data is padded and
    evaluated the same whether it came from IDX files or from tfds."""
    import tensorflow_datasets as tfds

    builder = _prepared_builder(f"tfds:{name}", data_dir)

    def split(split_name):
        if split_name not in builder.info.splits:
            return None, None
        arrays = tfds.as_numpy(builder.as_dataset(split=split_name, batch_size=-1))
        return arrays["image"][..., 0], arrays["label"].astype("int32")

    return split("train"), split("test")


def _tfds(spec, image_size, channels, data_dir):
    tf = import_tensorflow("tfds: datasets", _WITHOUT_TENSORFLOW)
    builder = _prepared_builder(spec, data_dir)
    features = builder.info.features
    if "image" not in features:
        raise ValueError(f"{spec} has no 'image' feature (features: {list(features)}).")
    image_shape = features["image"].shape
    channels = channels or image_shape[-1]
    size = image_size or image_shape[0]
    if size is None:
        raise ValueError(f"{spec} has images of varying size: give an image size.")
    num_classes = features["label"].num_classes if "label" in features else None
    split = "train" if "train" in builder.info.splits else list(builder.info.splits)[0]

    def convert(example):
        label = tf.cast(example["label"], tf.int32) if num_classes else tf.constant(0, tf.int32)
        return _to_unit_range(example["image"], size, channels), label

    elements = builder.as_dataset(split=split).map(convert, num_parallel_calls=tf.data.AUTOTUNE)
    return DataSource(
        name=spec,
        kind="images",
        sample_shape=(size, size, channels),
        num_classes=num_classes,
        dataset=elements,
        num_examples=builder.info.splits[split].num_examples,
    )


# Where tensorflow-datasets downloads from, first: its prepared copies on Google Cloud Storage.
_TFDS_HOST = ("storage.googleapis.com", 443)


def _check_online(spec, timeout=5.0):
    """Fails at once when the download host cannot be reached (tfds itself retries for minutes)."""
    import socket

    host = _TFDS_HOST
    try:
        socket.create_connection(host, timeout=timeout).close()
    except OSError as error:
        raise ConnectionError(f"{spec} is not prepared here and {host[0]} cannot be reached ({error})") from None


def _downloads(builder):
    """Whether preparing the builder downloads: tensorflow-datasets' own builders do (a user's may read local files)."""
    return type(builder).__module__.startswith("tensorflow_datasets.")


def _default_tfds_dir():
    import os

    return os.environ.get("TFDS_DATA_DIR") or os.path.join(os.path.expanduser("~"), "tensorflow_datasets")


@contextlib.contextmanager
def _removing_new_empty_directories(root):
    """On an exception, removes the empty directories made under `root` (a failed download's leftovers)."""
    root = pathlib.Path(root).expanduser()
    before = {path for path in root.rglob("*")} if root.exists() else set()
    root_existed = root.exists()
    try:
        yield
    except BaseException:
        made = [path for path in (set(root.rglob("*")) if root.exists() else set()) - before if path.is_dir()]
        for path in sorted(made, key=lambda path: len(path.parts), reverse=True):
            if not any(path.iterdir()):
                path.rmdir()
        if not root_existed and root.exists() and not any(root.iterdir()):
            root.rmdir()
        raise


def _folder(spec, image_size, channels):
    root = pathlib.Path(spec[len("folder:") :]).expanduser()
    if not root.is_dir():
        raise ValueError(f"{spec}: {root} is not a directory.")
    tf = import_tensorflow("folder: datasets", _WITHOUT_TENSORFLOW)
    classes = sorted(path.name for path in root.iterdir() if path.is_dir())
    if classes:
        files = [(path, label) for label, name in enumerate(classes) for path in _images_in(root / name)]
    else:
        files = [(path, 0) for path in _images_in(root)]
    if not files:
        raise ValueError(
            f"{spec}: no images ({', '.join(IMAGE_SUFFIXES)}) in {root} or its class subfolders."
        )
    _check_readable([path for path, _ in files])
    paths = tf.constant([str(path) for path, _ in files])
    labels = tf.constant([label for _, label in files], tf.int32)

    def decode(path, label):
        image = tf.io.decode_image(tf.io.read_file(path), channels=channels, expand_animations=False)
        image.set_shape([None, None, channels])
        return _to_unit_range(image, image_size, channels), label

    elements = tf.data.Dataset.from_tensor_slices((paths, labels)).map(decode, num_parallel_calls=tf.data.AUTOTUNE)
    return DataSource(
        name=spec,
        kind="images",
        sample_shape=(image_size, image_size, channels),
        num_classes=len(classes) if len(classes) > 1 else None,
        dataset=elements,
        num_examples=len(files),
        # Random access by file: decoded when read, never all held in memory.
        lookup=lambda indices: tf.map_fn(
            lambda index: decode(tf.gather(paths, index), tf.gather(labels, index)), indices,
            fn_output_signature=(tf.TensorSpec((image_size, image_size, channels), tf.float32), tf.int32)),
    )


def _images_in(directory):
    return sorted(path for path in directory.iterdir() if path.suffix.lower() in IMAGE_SUFFIXES)


def _check_readable(paths):
    """Opens every image once, so a corrupt file is reported by path before training."""
    from PIL import Image

    bad = []
    for path in paths:
        try:
            with Image.open(path) as image:
                image.verify()
        except Exception as error:  # PIL raises several types for bad files
            bad.append(f"{path} ({type(error).__name__}: {error})")
    if bad:
        listed = "\n  ".join(bad[:10])
        more = f"\n  ... and {len(bad) - 10} more" if len(bad) > 10 else ""
        raise ValueError(f"{len(bad)} image file(s) cannot be read; remove or fix them:\n  {listed}{more}")
