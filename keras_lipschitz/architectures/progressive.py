"""PGGAN's growing generator and discriminator: every resolution's layers built once, one phase computed.

A network holds the blocks of every resolution from 4x4 to `image_size`
(all variables exist from the start, so optimizers, EMA and checkpoints see
one fixed set) and computes the path of its current phase: `level` (0 for
4x4, 1 for 8x8, ...) and whether that level is still `fading` in. Both are
Python values, so every phase has static shapes (a compiled step per
phase); `alpha` is a non-trainable weight read by the step. Images go in and
out at full resolution, as in the authors' code: the generator upsamples its
image (nearest neighbour) to `image_size`, the discriminator average-pools
its input to its level's resolution, so the data pipeline, the evaluation
and the pictures never change shape.
"""

import math

import keras
from keras import ops

from keras_lipschitz import _validation
from keras_lipschitz.architectures.sizes import upsamplings
from keras_lipschitz.layers.equalized import EqualizedConv2D
from keras_lipschitz.layers.equalized import EqualizedDense
from keras_lipschitz.layers.fade_in import FadeIn
from keras_lipschitz.layers.minibatch_standard_deviation import MinibatchStandardDeviation
from keras_lipschitz.layers.pixel_normalization import PixelNormalization
from keras_lipschitz.layers.upsampling import NearestUpsampling2D

_LEAK = 0.2


class _Progressive(keras.Model):
    """The phase, `alpha`, the level filters and the shape properties `GAN` checks, shared by both networks."""

    def __init__(self, image_size, channels, filters, level=None, fading=False, **kwargs):
        super().__init__(**kwargs)
        self.levels = upsamplings(image_size) + 1
        self.image_size = image_size
        self.channels = _validation.check_positive_integer("channels", channels, owner=type(self).__name__)
        self.filters = _level_filters(filters, self.levels)
        self.alpha = self.add_weight(shape=(), initializer="ones", trainable=False, name="alpha",
                                     aggregation="only_first_replica")
        self.fade_in = FadeIn()
        self.set_phase(self.levels - 1 if level is None else level, fading)

    def build(self, input_shape):
        # Every block is built in __init__ with its own input shape; the weightless layers a phase may not call
        # are marked built, or Keras' JAX trainer would try to build the GAN from a data batch.
        for layer in (self.fade_in, getattr(self, "upsample", None), getattr(self, "downsample", None)):
            if layer is not None:
                layer.built = True
        self.built = True

    def set_phase(self, level, fading):
        """Sets the path computed from now on (a compiled step must be traced again to see it)."""
        if isinstance(level, bool) or not isinstance(level, int) or not 0 <= level < self.levels:
            raise ValueError(f"level must be an integer in [0, {self.levels - 1}] (4x4 ... "
                             f"{self.image_size}x{self.image_size}), got {level!r}.")
        if fading and level == 0:
            raise ValueError("Level 0 (4x4) has no previous resolution to fade in from.")
        self.level, self.fading = level, bool(fading)

    @property
    def resolution(self):
        return 4 * 2**self.level

    @property
    def doublings_to_full_size(self):
        """How many 2x resamplings separate the level's resolution from `image_size`."""
        return self.levels - 1 - self.level

    # The shapes GAN checks, as a functional model has them.
    @property
    def inputs(self):
        return [self.input]

    @property
    def outputs(self):
        return [self.output]

    @property
    def input_shape(self):
        return tuple(self.input.shape)

    @property
    def output_shape(self):
        return tuple(self.output.shape)

    def get_config(self):
        return {**super().get_config(), "image_size": self.image_size, "channels": self.channels,
                "filters": list(self.filters), "level": self.level, "fading": self.fading}


@keras.saving.register_keras_serializable(package="keras_lipschitz")
class ProgressiveGenerator(_Progressive):
    """PGGAN's generator: latent -> 4x4 -> ... -> `image_size`, equalized layers, pixel norm, linear output.

    Level 0: pixel norm of z, a dense layer to 4x4 maps (gain sqrt(2)/4, as
    the authors' code), a 3x3 convolution; each later level: nearest 2x
    upsampling and two 3x3 convolutions; LeakyReLU 0.2 and pixel norm after
    every layer; each level's `to_rgb`, a 1x1 convolution with gain 1. While
    `fading`, the image is `FadeIn` of the previous level's image (upsampled)
    and the new level's.

    Args:
        latent_dim: size of z.
        image_size: the final resolution, 4 * 2**k.
        channels: image channels.
        filters: an int (every level) or one int per level, 4x4 first.
        level, fading: the phase (default: the final level, not fading).
        **kwargs: base `keras.Model` arguments.

    Returns:
        Called on z `(batch, latent_dim)`, images `(batch, image_size,
        image_size, channels)` (the level's image upsampled).

    Example:

    ```python
    import numpy as np
    from keras_lipschitz.architectures import ProgressiveGenerator

    generator = ProgressiveGenerator(latent_dim=16, image_size=16, channels=1, filters=8, level=1)
    print(generator(np.zeros((2, 16), "float32")).shape)  # (2, 16, 16, 1): an 8x8 image, upsampled
    ```

    Reference:
        Karras et al., ICLR 2018, Table 2 (generator) and sec. 4.
    """

    def __init__(self, latent_dim, image_size, channels=1, filters=128, level=None, fading=False, **kwargs):
        super().__init__(image_size, channels, filters, level, fading, **kwargs)
        self.latent_dim = _validation.check_positive_integer("latent_dim", latent_dim, owner="ProgressiveGenerator")
        first = self.filters[0]
        self.blocks = [keras.Sequential([
            keras.Input((latent_dim,)), PixelNormalization(), EqualizedDense(16 * first, gain=math.sqrt(2.0) / 4),
            keras.layers.Reshape((4, 4, first)), keras.layers.LeakyReLU(_LEAK), PixelNormalization(),
            *_convolutions(first, 1, PixelNormalization),
        ], name="block_4")]
        for level in range(1, self.levels):
            size, width = 4 * 2**level, self.filters[level]
            self.blocks.append(keras.Sequential([
                keras.Input((size // 2, size // 2, self.filters[level - 1])), NearestUpsampling2D(),
                *_convolutions(width, 2, PixelNormalization)], name=f"block_{size}"))
        self.to_rgb = [EqualizedConv2D(channels, 1, gain=1.0, name=f"to_rgb_{4 * 2**level}")
                       for level in range(self.levels)]
        for level, layer in enumerate(self.to_rgb):
            layer.build((None, 4 * 2**level, 4 * 2**level, self.filters[level]))
        self.upsample = NearestUpsampling2D()
        self(keras.Input((latent_dim,)))

    def call(self, latents):
        return self._phase_output(latents, self.alpha)

    def _phase_output(self, latents, alpha):
        features = self.blocks[0](latents)
        previous = features
        for block in self.blocks[1:self.level + 1]:
            previous, features = features, block(features)
        image = self.to_rgb[self.level](features)
        if self.fading:
            image = self.fade_in([self.upsample(self.to_rgb[self.level - 1](previous)), image], alpha=alpha)
        for _ in range(self.doublings_to_full_size):
            image = self.upsample(image)
        return image

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.image_size, self.image_size, self.channels)

    def functional(self):
        """The current phase as a functional model sharing this one's layers: only the layers the phase uses
        (at the final level, not fading, no lower-resolution branch), a fade-in's alpha as a constant. The
        exporter saves this form."""
        latents = keras.Input((self.latent_dim,), name="latents")
        alpha = float(keras.ops.convert_to_numpy(self.alpha))
        return keras.Model(latents, self._phase_output(latents, alpha), name=f"{self.name}_{self.resolution}px")

    def get_config(self):
        return {**super().get_config(), "latent_dim": self.latent_dim}


@keras.saving.register_keras_serializable(package="keras_lipschitz")
class ProgressiveDiscriminator(_Progressive):
    """PGGAN's discriminator: `image_size` -> ... -> 4x4 -> one logit, equalized layers, minibatch stddev.

    Each level's `from_rgb` (1x1 convolution, LeakyReLU 0.2); each level above
    0: two 3x3 convolutions and 2x average pooling; level 0: minibatch
    standard deviation (group 4), a 3x3 convolution, a 4x4 "valid" one and a
    dense logit (gain 1). No normalization (the WGAN-GP penalty is per
    sample). The input is average-pooled to the level's resolution; while
    `fading`, the features entering the level below are `FadeIn` of the
    previous level's `from_rgb` of the input pooled once more and the new
    level's block output.

    Args:
        image_size: the final resolution, 4 * 2**k.
        channels: image channels.
        filters: an int (every level) or one int per level, 4x4 first.
        group_size: the minibatch standard deviation's group.
        level, fading: the phase (default: the final level, not fading).
        **kwargs: base `keras.Model` arguments.

    Returns:
        Called on images `(batch, image_size, image_size, channels)`, logits
        `(batch, 1)`.

    Example:

    ```python
    import numpy as np
    from keras_lipschitz.architectures import ProgressiveDiscriminator

    critic = ProgressiveDiscriminator(image_size=16, channels=1, filters=8, level=2, fading=True)
    print(critic(np.zeros((4, 16, 16, 1), "float32")).shape)  # (4, 1)
    ```

    Reference:
        Karras et al., ICLR 2018, Table 2 (discriminator), sec. 3 and 4.
    """

    def __init__(self, image_size, channels=1, filters=128, group_size=4, level=None, fading=False, **kwargs):
        super().__init__(image_size, channels, filters, level, fading, **kwargs)
        self.group_size = _validation.check_positive_integer("group_size", group_size,
                                                             owner="ProgressiveDiscriminator")
        first = self.filters[0]
        self.blocks = [keras.Sequential([
            keras.Input((4, 4, first)), MinibatchStandardDeviation(group_size), *_convolutions(first, 1),
            EqualizedConv2D(first, 4, padding="valid"), keras.layers.LeakyReLU(_LEAK), keras.layers.Flatten(),
            EqualizedDense(1, gain=1.0)], name="block_4")]
        for level in range(1, self.levels):
            size = 4 * 2**level
            self.blocks.append(keras.Sequential([
                keras.Input((size, size, self.filters[level])), *_convolutions(self.filters[level], 1),
                *_convolutions(self.filters[level - 1], 1), keras.layers.AveragePooling2D(2)], name=f"block_{size}"))
        self.from_rgb = [keras.Sequential([keras.Input((4 * 2**level, 4 * 2**level, channels)),
                                           EqualizedConv2D(self.filters[level], 1), keras.layers.LeakyReLU(_LEAK)],
                                          name=f"from_rgb_{4 * 2**level}") for level in range(self.levels)]
        self.downsample = keras.layers.AveragePooling2D(2)
        self(keras.Input((image_size, image_size, channels)))

    def call(self, images):
        for _ in range(self.doublings_to_full_size):
            images = self.downsample(images)
        features = self.from_rgb[self.level](images)
        if self.level > 0:
            features = self.blocks[self.level](features)
        if self.fading:
            previous = self.from_rgb[self.level - 1](self.downsample(images))
            features = self.fade_in([previous, features], alpha=self.alpha)
        for block in reversed(self.blocks[1:self.level]):
            features = block(features)
        return self.blocks[0](features)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], 1)

    def get_config(self):
        return {**super().get_config(), "group_size": self.group_size}


def _convolutions(filters, count, normalization=None):
    """`count` x (3x3 equalized convolution, LeakyReLU 0.2[, normalization])."""
    layers = []
    for _ in range(count):
        layers += [EqualizedConv2D(filters, 3), keras.layers.LeakyReLU(_LEAK)]
        layers += [normalization()] if normalization else []
    return layers


def _level_filters(filters, levels):
    values = [filters] * levels if isinstance(filters, int) and not isinstance(filters, bool) else list(filters)
    if len(values) != levels:
        raise ValueError(f"filters must be an int or one int per level ({levels} levels, 4x4 first), got {filters!r}.")
    for value in values:
        _validation.check_positive_integer("filters", value, hint="one per level")
    return tuple(int(value) for value in values)
