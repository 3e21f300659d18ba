"""The IDX files of MNIST, Fashion-MNIST, KMNIST and EMNIST, read with numpy (no TensorFlow).

IDX (LeCun et al., "The MNIST database"): two zero bytes, a type code, the
number of dimensions, each dimension as a big-endian uint32, then the values
in C order, big-endian. The datasets ship one images file and one labels file
per split, gzipped or not, named `<split>-images-idx3-ubyte[.gz]` and
`<split>-labels-idx1-ubyte[.gz]` where the split is `train` or `t10k`
(EMNIST prefixes its subset, e.g. `emnist-balanced-train-images-idx3-ubyte`).
"""

import gzip
import pathlib

import numpy as np

# Type code -> numpy dtype (big-endian where it matters).
TYPES = {0x08: np.dtype("u1"), 0x09: np.dtype("i1"), 0x0B: np.dtype(">i2"), 0x0C: np.dtype(">i4"),
         0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}
# A split's names in file names, in the order they are looked for.
SPLIT_NAMES = {"train": ("train",), "test": ("t10k", "test")}


def read_idx(path):
    """Reads one IDX file (gzipped when its content starts with gzip's magic bytes).

    Args:
        path: the file.

    Returns:
        A numpy array of the file's type and shape.

    Raises:
        ValueError: the file is not IDX (its magic number), or its size does
            not match the dimensions it declares.

    Example:

    ```python
    import gzip, pathlib, tempfile
    from keras_lipschitz.data import read_idx

    # Three labels: magic 0, 0, 0x08 (uint8), 1 dimension; the size 3; the values.
    path = pathlib.Path(tempfile.mkdtemp()) / "t10k-labels-idx1-ubyte.gz"
    path.write_bytes(gzip.compress(bytes([0, 0, 8, 1, 0, 0, 0, 3, 7, 2, 1])))
    print(read_idx(path))  # [7 2 1]
    # Debian's Fashion-MNIST (apt-get install dataset-fashion-mnist), when installed:
    # read_idx("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz").shape == (10000, 28, 28)
    ```
    """
    path = pathlib.Path(path)
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    if len(raw) < 4 or raw[:2] != b"\x00\x00" or raw[2] not in TYPES:
        raise ValueError(f"{path} is not an IDX file: its magic number is {raw[:4].hex() or 'missing'}, where IDX "
                         f"files start with 0000 then a type code ({', '.join(f'{c:02x}' for c in TYPES)}) and the "
                         "number of dimensions.")
    dtype, ndim = TYPES[raw[2]], raw[3]
    header = 4 + 4 * ndim
    shape = tuple(int(d) for d in np.frombuffer(raw[4:header], ">u4")) if len(raw) >= header else None
    expected = None if shape is None else header + int(np.prod(shape)) * dtype.itemsize
    if expected != len(raw):
        raise ValueError(f"{path} declares shape {shape} of {dtype.name} ({expected} bytes with the header) but "
                         f"holds {len(raw)} bytes: the file is truncated or not what its header says. Download it "
                         "again.")
    return np.frombuffer(raw, dtype, offset=header).reshape(shape).astype(dtype.newbyteorder("="))


def find_split_files(directory, split):
    """`(images file, labels file)` of a split ("train" or "test") in `directory`.

    Raises:
        FileNotFoundError: naming the files looked for.
    """
    directory = pathlib.Path(directory)
    if not directory.is_dir():
        raise FileNotFoundError(f"IDX dataset folder {directory} does not exist.")
    found = []
    for kind, rank in (("images", 3), ("labels", 1)):
        candidates = sorted(path for name in SPLIT_NAMES[split]
                            for pattern in (f"{name}-{kind}-idx{rank}-ubyte", f"{name}-{kind}-idx{rank}-ubyte.gz",
                                            f"*-{name}-{kind}-idx{rank}-ubyte", f"*-{name}-{kind}-idx{rank}-ubyte.gz")
                            for path in directory.glob(pattern))
        if not candidates:
            names = " or ".join(f"{name}-{kind}-idx{rank}-ubyte[.gz]" for name in SPLIT_NAMES[split])
            raise FileNotFoundError(f"No {split} {kind} in {directory}: looked for {names}. The MNIST-style IDX "
                                    "files come four to a dataset (train/t10k images and labels).")
        if len(candidates) > 1:
            raise ValueError(f"Several {split} {kind} files in {directory}: {[p.name for p in candidates]}; keep one "
                             "dataset per folder.")
        found.append(candidates[0])
    return tuple(found)


def load_idx_split(directory, split):
    """`(images, labels)` of a split: uint8 images `(n, height, width)` and int32 labels `(n,)`.

    Raises:
        FileNotFoundError: a file is missing.
        ValueError: a file is not IDX, or the counts of images and labels differ.
    """
    images_path, labels_path = find_split_files(directory, split)
    images, labels = read_idx(images_path), read_idx(labels_path)
    if images.ndim != 3 or labels.ndim != 1:
        raise ValueError(f"{images_path.name} has shape {images.shape} and {labels_path.name} {labels.shape}; "
                         "expected images (n, height, width) and labels (n,).")
    if len(images) != len(labels):
        raise ValueError(f"{images_path.name} holds {len(images)} images but {labels_path.name} "
                         f"{len(labels)} labels; the files belong to different datasets or one is damaged.")
    return images, labels.astype("int32")
