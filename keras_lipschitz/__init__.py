"""keras-lipschitz: Lipschitz-constrained GAN training for Keras 3 / TensorFlow.

Sub-packages load on first use (`keras_lipschitz.layers`, `from
keras_lipschitz import losses`, ...), as TensorFlow's own modules do, so the
command-line tools answer `--help` without importing TensorFlow. Importing a
sub-package registers its classes with Keras; `keras_lipschitz.load_model`
imports all of them before loading a `.keras` file.
"""

import importlib

from keras_lipschitz import _lazy

__version__ = "0.1.0"

_SUBPACKAGES = ("architectures", "constraints", "data", "layers", "losses", "metrics", "penalties", "recipes",
                "trainers", "export", "latents", "visualization")
# The sub-packages whose classes a `.keras` file can name.
_SERIALIZABLE = ("constraints", "layers", "losses", "penalties", "architectures", "trainers")

__all__ = [*_SUBPACKAGES, "load_model", "__version__"]


__getattr__ = _lazy.attribute_loader(__name__, modules=_SUBPACKAGES)


def register_all():
    """Imports every sub-package that defines serializable classes, registering them with Keras."""
    for name in _SERIALIZABLE:
        importlib.import_module(f"{__name__}.{name}")


def load_model(path, **kwargs):
    """`keras.saving.load_model` with every keras-lipschitz class registered (`safe_mode` stays on).

    Example:

    ```python
    import tempfile

    import keras_lipschitz
    from keras_lipschitz.architectures import dcgan_discriminator

    path = tempfile.mkdtemp() + "/critic.keras"
    dcgan_discriminator(image_size=8, channels=1, spectral_normalization=True).save(path)
    print(keras_lipschitz.load_model(path).name)  # dcgan_discriminator
    ```
    """
    import keras

    register_all()
    return keras.saving.load_model(path, **kwargs)
