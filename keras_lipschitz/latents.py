"""Latent vectors: the standard normal prior and its truncation."""

import math

import keras
from keras import ops

from keras_lipschitz import _validation


def normal_latents(shape, seed=None, truncation=None):
    """Draws z ~ N(0, I), or z from N(0, I) truncated to `[-truncation, truncation]`.

    The truncated draw is exact and static-shaped (no resampling loop, so it
    compiles with XLA): `z = sqrt(2) * erfinv(v)` with
    `v ~ U(-erf(t / sqrt(2)), erf(t / sqrt(2)))` is the inverse CDF of the
    normal restricted to `[-t, t]`, the distribution BigGAN obtains by
    resampling the values whose magnitude exceeds `t`.

    Args:
        shape: shape of the latents, e.g. `(batch, latent_dim)`.
        seed: a `keras.random.SeedGenerator`, an int or None.
        truncation: None (no truncation) or a float > 0. Smaller values trade
            variety for quality (BigGAN's "truncation trick").

    Returns:
        A float32 tensor of `shape`.

    Example:

    ```python
    import numpy as np
    from keras_lipschitz.latents import normal_latents

    z = normal_latents((1000, 8), seed=0, truncation=0.5)
    assert float(np.max(np.abs(z))) <= 0.5
    ```

    Reference:
        Brock et al., "Large Scale GAN Training for High Fidelity Natural
        Image Synthesis", ICLR 2019, Section 3.1 (truncation trick).
    """
    if truncation is None:
        return keras.random.normal(shape, seed=seed, dtype="float32")
    truncation = _validation.check_finite_number("truncation", truncation, positive=True, hint="0.5 to 2.0")
    bound = math.erf(truncation / math.sqrt(2.0))
    uniform = keras.random.uniform(shape, minval=-bound, maxval=bound, seed=seed, dtype="float32")
    return math.sqrt(2.0) * ops.erfinv(uniform)
