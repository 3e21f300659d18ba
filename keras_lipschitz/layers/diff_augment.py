"""DiffAugment: differentiable augmentation of real and generated images for data-efficient GAN training."""

import keras
from keras import ops

# The policies and the transforms each applies, in order (Zhao et al. 2020, Sec. 3 and their code).
POLICIES = {"color": ("brightness", "saturation", "contrast"), "translation": ("translation",),
            "cutout": ("cutout",)}
# Columns of the per-sample uniform noise each transform reads.
NOISE_COLUMNS = {"brightness": 0, "saturation": 1, "contrast": 2, "translation": (3, 4), "cutout": (5, 6)}
NOISE_DIMS = 7


def parse_policy(policy):
    """`"color,translation"` or a list of names -> a tuple of policy names, checked."""
    if policy is None:
        return ()
    names = tuple(name.strip() for name in (policy.split(",") if isinstance(policy, str) else policy) if name.strip())
    unknown = [name for name in names if name not in POLICIES]
    if unknown:
        raise ValueError(f"Unknown DiffAugment policy {unknown[0]!r}; known: {', '.join(POLICIES)} (comma-separated, "
                         "e.g. 'color,translation,cutout').")
    if len(set(names)) != len(names):
        raise ValueError(f"DiffAugment policy {policy!r} names a policy twice.")
    return names


@keras.saving.register_keras_serializable(package="keras_lipschitz")
class DiffAugment(keras.layers.Layer):
    """Differentiable augmentation T of `(batch, height, width, channels)` images in [-1, 1].

    Each sample gets its own random transform; every transform is
    differentiable in the images, so the generator learns through it. The
    GAN trainer applies T to real and generated samples in every critic step
    and to generated samples in the generator step (D(T(x)), D(T(G(z))), Zhao
    et al. 2020 eq. 2-3), and penalties see the augmented samples. The
    transforms, with u ~ U[0, 1) per sample:

    * color: brightness `x + (u - 0.5)`, saturation `(x - mean_c x) * 2u +
      mean_c x` (the mean over channels: no change to grayscale images), and
      contrast `(x - mean x) * (u + 0.5) + mean x` (the mean over the image);
    * translation: a shift by whole pixels in `[-s, s]` on each axis, with
      `s = round(size / 8)`, the vacated pixels zero;
    * cutout: a square of `round(size / 2)` pixels set to zero, at a uniform
      offset (clipped by the image's border).

    Args:
        policy: comma-separated policies from "color", "translation" and
            "cutout", applied in that order; "" is the identity.
        translation_ratio: `s` as a fraction of the image size (1/8).
        cutout_ratio: the cutout's side as a fraction of the image size (1/2).
        seed: int or None, for the layer's own draws when called without `noise`.
        **kwargs: base `Layer` arguments.

    Call arguments:
        images: the batch.
        noise: optional `(batch, 7)` uniform noise in [0, 1) that fixes the
            transforms (the trainer draws it so that every replica of a
            distributed step takes its rows of one global draw).
        training: False returns the images as they are (Keras' convention
            for random augmentation layers).

    Returns:
        The augmented images, in the images' dtype.

    Example:

    ```python
    import numpy as np
    from keras_lipschitz.layers import DiffAugment

    images = np.random.default_rng(0).uniform(-1, 1, (4, 32, 32, 3)).astype("float32")
    augment = DiffAugment("color,translation,cutout", seed=1)
    print(augment(images).shape)  # (4, 32, 32, 3)
    ```

    Reference:
        Zhao, Liu, Lin, Zhu, Han. "Differentiable Augmentation for
        Data-Efficient GAN Training", NeurIPS 2020, Sec. 3, eq. 2-3.
    """

    def __init__(self, policy="color,translation,cutout", translation_ratio=0.125, cutout_ratio=0.5, seed=None,
                 **kwargs):
        super().__init__(**kwargs)
        self.policy = ",".join(parse_policy(policy))
        for name, value in (("translation_ratio", translation_ratio), ("cutout_ratio", cutout_ratio)):
            if not isinstance(value, (int, float)) or not 0 < value <= 1:
                raise ValueError(f"DiffAugment {name} must be in (0, 1], got {value!r}.")
        self.translation_ratio = float(translation_ratio)
        self.cutout_ratio = float(cutout_ratio)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, images, noise=None, training=True):
        if not training:  # as Keras' random augmentation layers: the identity at inference
            return images
        if self.policy and noise is None:
            noise = keras.random.uniform((ops.shape(images)[0], NOISE_DIMS), seed=self.seed_generator)
        return augment(images, noise, self.policy, self.translation_ratio, self.cutout_ratio)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "policy": self.policy, "translation_ratio": self.translation_ratio,
                "cutout_ratio": self.cutout_ratio, "seed": self.seed}


def augment(images, noise, policy="color,translation,cutout", translation_ratio=0.125, cutout_ratio=0.5):
    """`DiffAugment`'s transform as a function: `images` transformed as `noise` (`(batch, 7)`, uniform in
    [0, 1)) says, under `policy` ("" or None: the images as they are)."""
    policy = parse_policy(policy)
    if not policy:
        return images
    if len(images.shape) != 4:
        raise ValueError(f"DiffAugment takes (batch, height, width, channels) images, got shape {images.shape}.")
    x, noise = ops.cast(images, "float32"), ops.cast(noise, "float32")
    for name in policy:
        for transform in POLICIES[name]:
            x = _TRANSFORMS[transform](x, noise, translation_ratio, cutout_ratio)
    return ops.cast(x, images.dtype)


def _per_sample(noise, column):
    return ops.reshape(noise[:, column], (-1, 1, 1, 1))


def _brightness(x, noise, *ratios):
    return x + (_per_sample(noise, NOISE_COLUMNS["brightness"]) - 0.5)


def _saturation(x, noise, *ratios):
    mean = ops.mean(x, axis=3, keepdims=True)
    return (x - mean) * (2.0 * _per_sample(noise, NOISE_COLUMNS["saturation"])) + mean


def _contrast(x, noise, *ratios):
    mean = ops.mean(x, axis=(1, 2, 3), keepdims=True)
    return (x - mean) * (_per_sample(noise, NOISE_COLUMNS["contrast"]) + 0.5) + mean


def _translation(x, noise, translation_ratio, cutout_ratio):
    for axis, column in ((1, NOISE_COLUMNS["translation"][0]), (2, NOISE_COLUMNS["translation"][1])):
        size = x.shape[axis]
        reach = int(size * translation_ratio + 0.5)
        shift = _uniform_integers(noise[:, column], 2 * reach + 1) - reach  # in [-reach, reach]
        # Output pixel p reads input pixel p - shift; outside the image it is zero.
        source = ops.arange(size, dtype="int32")[None, :] - shift[:, None]
        index_shape = (-1, size, 1, 1) if axis == 1 else (-1, 1, size, 1)
        inside = ops.reshape(ops.cast((source >= 0) & (source < size), x.dtype), index_shape)
        source = ops.reshape(ops.clip(source, 0, size - 1), index_shape)
        x = ops.take_along_axis(x, ops.broadcast_to(source, ops.shape(x)), axis=axis) * inside
    return x


def _cutout(x, noise, translation_ratio, cutout_ratio):
    masks = []
    for axis, column in ((1, NOISE_COLUMNS["cutout"][0]), (2, NOISE_COLUMNS["cutout"][1])):
        size = x.shape[axis]
        side = int(size * cutout_ratio + 0.5)
        # The square's centre: uniform in [0, size + (1 - side % 2)), as the authors' code draws it.
        start = _uniform_integers(noise[:, column], size + (1 - side % 2)) - side // 2
        positions = ops.arange(size, dtype="int32")[None, :]
        masks.append((positions >= start[:, None]) & (positions < start[:, None] + side))
    cut = ops.logical_and(masks[0][:, :, None], masks[1][:, None, :])
    return x * (1.0 - ops.cast(cut, x.dtype)[..., None])


_TRANSFORMS = {"brightness": _brightness, "saturation": _saturation, "contrast": _contrast,
               "translation": _translation, "cutout": _cutout}


def _uniform_integers(uniform, count):
    """Integers in [0, count) from uniform noise in [0, 1): floor(u * count)."""
    return ops.minimum(ops.cast(ops.floor(uniform * count), "int32"), count - 1)
