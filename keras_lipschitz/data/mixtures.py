"""The 2-D Gaussian mixtures of the mode-collapse benchmarks (VEEGAN, PacGAN)."""

import numpy as np

# name -> (standard deviation of each component)
STANDARD_DEVIATIONS = {"ring8": 0.01, "grid25": 0.05}


def mixture_means(name):
    """The component means: ring8 on the unit circle at 8 distinct angles, grid25 on {-4,-2,0,2,4}^2.

    Args:
        name: "ring8" or "grid25".

    Returns:
        A float32 array `(modes, 2)`.

    Reference:
        Srivastava et al., VEEGAN, NeurIPS 2017, Section 5 / Table 1;
        Lin et al., PacGAN, NeurIPS 2018, Table 1.
    """
    if name == "ring8":
        angles = 2.0 * np.pi * np.arange(8) / 8.0  # 8 distinct angles: no endpoint
        return np.stack([np.cos(angles), np.sin(angles)], axis=1).astype("float32")
    if name == "grid25":
        axis = np.array([-4.0, -2.0, 0.0, 2.0, 4.0])
        return np.stack(np.meshgrid(axis, axis, indexing="ij"), axis=-1).reshape(-1, 2).astype("float32")
    raise ValueError(f"Unknown mixture {name!r}; known: {', '.join(STANDARD_DEVIATIONS)}.")


def sample_mixture(name, num_samples, seed=0):
    """Samples of an equal-weight mixture, with the index of each sample's component.

    Args:
        name: "ring8" or "grid25".
        num_samples: how many samples.
        seed: numpy seed.

    Returns:
        `(samples, components)`: float32 `(num_samples, 2)` and int32 `(num_samples,)`.

    Example:

    ```python
    from keras_lipschitz.data.mixtures import sample_mixture

    samples, components = sample_mixture("ring8", 1000, seed=0)
    print(samples.shape, components.max())  # (1000, 2) 7
    ```

    Reference:
        Srivastava et al., VEEGAN, NeurIPS 2017 (ring of 8, sigma 0.01; grid of 25, sigma 0.05).
    """
    means = mixture_means(name)
    rng = np.random.default_rng(seed)
    components = rng.integers(0, len(means), size=num_samples).astype("int32")
    noise = rng.normal(scale=STANDARD_DEVIATIONS[name], size=(num_samples, 2))
    return (means[components] + noise).astype("float32"), components
