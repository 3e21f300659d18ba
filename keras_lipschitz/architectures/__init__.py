"""Small, paper-faithful generator and discriminator architectures."""

from keras_lipschitz.architectures.autoencoder import autoencoder_discriminator
from keras_lipschitz.architectures.autoencoder import encoder
from keras_lipschitz.architectures.biggan import biggan_generator
from keras_lipschitz.architectures.dcgan import dcgan_discriminator
from keras_lipschitz.architectures.dcgan import dcgan_generator
from keras_lipschitz.architectures.dcgan import radford_discriminator
from keras_lipschitz.architectures.mlp import mlp_discriminator
from keras_lipschitz.architectures.mlp import mlp_generator
from keras_lipschitz.architectures.progressive import ProgressiveDiscriminator
from keras_lipschitz.architectures.progressive import ProgressiveGenerator
from keras_lipschitz.architectures.resnet import resnet_discriminator
from keras_lipschitz.architectures.resnet import resnet_generator

__all__ = [
    "ProgressiveDiscriminator",
    "ProgressiveGenerator",
    "autoencoder_discriminator",
    "biggan_generator",
    "dcgan_discriminator",
    "dcgan_generator",
    "encoder",
    "mlp_discriminator",
    "mlp_generator",
    "radford_discriminator",
    "resnet_discriminator",
    "resnet_generator",
]
