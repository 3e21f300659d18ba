"""Test setup: two logical CPU devices, so tf.distribute runs on one CPU.

Logical devices must be configured before TensorFlow initializes its
runtime, so this happens at import time, before any test module imports.
"""

import os
import pathlib
import sys
import zlib

# Helpers shared by test modules (tests/fault_table.py); importlib mode puts no test folder on the path.
sys.path.insert(0, str(pathlib.Path(__file__).parent))

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

_CPUS = tf.config.list_physical_devices("CPU")
tf.config.set_logical_device_configuration(
    _CPUS[0],
    [tf.config.LogicalDeviceConfiguration(), tf.config.LogicalDeviceConfiguration()],
)


@pytest.fixture(scope="session")
def two_replicas():
    """A MirroredStrategy over two logical CPU devices, one per process.

    Several strategies in one process can mix up their collective ops'
    instance keys, so tests share one.
    """
    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    assert strategy.num_replicas_in_sync == 2
    return strategy


@pytest.fixture(autouse=True)
def _reset_keras_state(request):
    """Each test starts with float32, fixed seeds and a fresh Keras session.

    A module's `RNG` is reseeded too, so a test draws the same data whatever
    ran before it on its xdist worker.
    """
    keras.config.set_dtype_policy("float32")
    keras.utils.set_random_seed(1234)
    if hasattr(request.module, "RNG"):
        request.module.RNG = np.random.default_rng(zlib.crc32(request.node.name.encode()))
    yield
    keras.config.set_dtype_policy("float32")
    keras.backend.clear_session()


def pytest_collection_modifyitems(items):
    """The tests marked `minutes` run first: with the long ones started early, xdist's workers finish together
    rather than one running a long test alone at the end. (Groups of tests that share a result, pytest.ini's
    `--dist loadgroup`, are handed out before single tests, largest first.)"""
    items.sort(key=lambda item: item.get_closest_marker("minutes") is None)
