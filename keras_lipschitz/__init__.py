"""keras-lipschitz: Lipschitz-constrained GAN training for Keras 3 / TensorFlow."""

from keras_lipschitz import constraints
from keras_lipschitz import layers
from keras_lipschitz import losses
from keras_lipschitz import penalties

__version__ = "0.1.0"

__all__ = ["constraints", "layers", "losses", "penalties", "__version__"]
