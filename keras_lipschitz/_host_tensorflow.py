"""TensorFlow as a host-side tool (tf.data input pipelines, TensorBoard summaries) on any Keras backend."""

import keras

# What data needs no TensorFlow, for the messages of the data pipelines.
WITHOUT_TENSORFLOW = ", or use the embedded datasets digits, ring8 and grid25, which need no TensorFlow"


def import_tensorflow(purpose, alternative=""):
    """Imports TensorFlow for `purpose`, or raises an ImportError that says what needs it.

    Under another Keras backend (JAX), TensorFlow only reads data and writes
    summaries on the host: its GPUs and TPUs are hidden from it, so that it
    does not reserve the accelerator memory the model needs.

    Args:
        purpose: what needs TensorFlow, for the message (e.g. "tfds: datasets").
        alternative: what to use without TensorFlow, for the message.
    """
    try:
        import tensorflow as tf
    except ImportError:
        raise ImportError(
            f"{purpose} need TensorFlow, which is not installed here (Keras runs on "
            f"{keras.backend.backend()!r}). Install it (pip install tensorflow){alternative}."
        ) from None
    if keras.backend.backend() != "tensorflow":
        for kind in ("GPU", "TPU"):
            try:
                tf.config.set_visible_devices([], kind)
            except (RuntimeError, ValueError):
                pass  # TensorFlow's devices are initialized already, or there are none of this kind
    return tf
