"""The few operations Keras has no backend-agnostic form for, one module per backend.

As Keras keeps `keras/src/backend/<name>/`, everything backend-specific in
keras-lipschitz sits here: gradients (a training step's, a penalty's input
gradient, the vector-Jacobian product of spectral normalization's operator
mode), the global-batch mean and replica helpers of data parallelism, and the
conditional, stateful update. The rest of the library uses `keras.ops`.
Keras has no backend-agnostic gradient op (keras-team/keras#19220), which is
why this package exists.

Supported: TensorFlow and JAX. The PyTorch backend is refused at import with
a message: the layers' power iteration and the penalties need its autograd,
which is not written yet.
"""

import keras

SUPPORTED = ("tensorflow", "jax")

NAME = keras.backend.backend()

if NAME == "tensorflow":
    from keras_lipschitz.backend.tensorflow import *  # noqa: F401,F403
elif NAME == "jax":
    from keras_lipschitz.backend.jax import *  # noqa: F401,F403
else:
    raise ImportError(
        f"keras-lipschitz runs on the Keras backends {', '.join(SUPPORTED)}; KERAS_BACKEND is {NAME!r}. "
        "Set KERAS_BACKEND=jax or KERAS_BACKEND=tensorflow before importing keras (the PyTorch backend "
        "is not supported yet: its gradients of penalties and power iteration are not written)."
    )


def require(what, backends=("tensorflow",), hint=""):
    """Raises a clear error when `what` is used on a backend that does not support it.

    Args:
        what: the feature, as the message names it.
        backends: the Keras backends that run it.
        hint: what to do instead, appended to the message.
    """
    if NAME not in backends:
        raise NotImplementedError(
            f"{what} needs the Keras backend {' or '.join(backends)}; this process runs Keras on {NAME!r}. "
            f"Set KERAS_BACKEND={backends[0]} before importing keras.{' ' + hint if hint else ''}"
        )
