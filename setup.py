"""Installs keras_lipschitz; trainers/ and export/ live in its namespace."""

import pathlib

from setuptools import setup

HERE = pathlib.Path(__file__).parent

setup(
    name="keras-lipschitz",
    version="0.1.0",
    description=(
        "Lipschitz-constrained GAN training for Keras 3 / TensorFlow: "
        "spectral normalization, penalties, trainers and export."
    ),
    long_description=(HERE / "README.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    license="Apache-2.0",
    python_requires=">=3.10",
    packages=[
        "keras_lipschitz",
        "keras_lipschitz.backend",
        "keras_lipschitz.layers",
        "keras_lipschitz.constraints",
        "keras_lipschitz.losses",
        "keras_lipschitz.penalties",
        "keras_lipschitz.architectures",
        "keras_lipschitz.data",
        "keras_lipschitz.metrics",
        "keras_lipschitz.examples",
        "keras_lipschitz.recipes",
        "keras_lipschitz.trainers",
        "keras_lipschitz.export",
    ],
    # The repository keeps trainers/ and export/ at the top level; installed,
    # they are sub-packages so no generic top-level name is ever installed.
    package_dir={
        "keras_lipschitz": "keras_lipschitz",
        "keras_lipschitz.trainers": "trainers",
        "keras_lipschitz.export": "export",
    },
    install_requires=[
        "tensorflow>=2.16",
        "keras>=3.6",
        "tensorflow-datasets",
        # tensorflow-datasets' download_and_prepare imports it (through etils)
        # but does not declare it.
        "importlib_resources",
        "tensorflow-gan==2.1.0",
        "absl-py",
        "scikit-learn",
        "numpy",
        "pillow",
        "matplotlib",
        "tensorboard",
        "ai-edge-litert",
    ],
    extras_require={
        "onnx": ["tf2onnx", "onnxruntime"],
        # Keras on JAX (KERAS_BACKEND=jax); CUDA wheels: pip install "jax[cuda12]". optax: bench_jax_overhead.py.
        "jax": ["jax"],
        # pytest < 9.2: on 9.2 pytest-xdist 3.8's --dist loadgroup stops grouping (pytest-xdist issue 1386), and
        # pytest.ini relies on it.
        "test": ["pytest>=8,<9.2", "pytest-xdist", "tf2onnx", "onnxruntime", "jax", "optax"],
    },
    entry_points={
        "console_scripts": [
            "keras-lipschitz-demo=keras_lipschitz.examples.digits_critic:main",
            "keras-lipschitz-train=keras_lipschitz.trainers.train:run",
            "keras-lipschitz-export=keras_lipschitz.export.command:run",
        ],
    },
    classifiers=[
        "Programming Language :: Python :: 3",
        "Topic :: Scientific/Engineering :: Artificial Intelligence",
    ],
)
