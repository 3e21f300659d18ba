"""Lipschitz layers, and the layers the GAN recipes build with (conditioning, attention, augmentation,
progressive growing)."""

from keras_lipschitz.layers.class_projection import ClassProjection
from keras_lipschitz.layers.conditional_batch_normalization import ConditionalBatchNormalization
from keras_lipschitz.layers.conditional_batch_normalization import VectorConditionalBatchNormalization
from keras_lipschitz.layers.diff_augment import DiffAugment
from keras_lipschitz.layers.equalized import EqualizedConv2D
from keras_lipschitz.layers.equalized import EqualizedDense
from keras_lipschitz.layers.fade_in import FadeIn
from keras_lipschitz.layers.kernel_operators import SUPPORTED_LAYERS
from keras_lipschitz.layers.latent_chunks import LatentChunks
from keras_lipschitz.layers.minibatch_discrimination import MinibatchDiscrimination
from keras_lipschitz.layers.minibatch_standard_deviation import MinibatchStandardDeviation
from keras_lipschitz.layers.multi_generator_dense import MultiGeneratorDense
from keras_lipschitz.layers.multi_generator_dense import generator_indices
from keras_lipschitz.layers.multi_generator_dense import select_generator
from keras_lipschitz.layers.packing import Packing
from keras_lipschitz.layers.pixel_normalization import PixelNormalization
from keras_lipschitz.layers.reconstruction_energy import ReconstructionEnergy
from keras_lipschitz.layers.self_attention import SelfAttention2D
from keras_lipschitz.layers.spectral_normalization import SpectralNormalization
from keras_lipschitz.layers.upsampling import NearestUpsampling2D
from keras_lipschitz.layers.virtual_batch_normalization import PrependReferenceBatch
from keras_lipschitz.layers.virtual_batch_normalization import RemoveReferenceBatch
from keras_lipschitz.layers.virtual_batch_normalization import VirtualBatchNormalization

__all__ = [
    "SUPPORTED_LAYERS",
    "ClassProjection",
    "ConditionalBatchNormalization",
    "DiffAugment",
    "EqualizedConv2D",
    "EqualizedDense",
    "FadeIn",
    "LatentChunks",
    "MinibatchDiscrimination",
    "MinibatchStandardDeviation",
    "NearestUpsampling2D",
    "MultiGeneratorDense",
    "Packing",
    "PrependReferenceBatch",
    "RemoveReferenceBatch",
    "PixelNormalization",
    "ReconstructionEnergy",
    "SelfAttention2D",
    "SpectralNormalization",
    "VectorConditionalBatchNormalization",
    "VirtualBatchNormalization",
    "generator_indices",
    "select_generator",
]
