"""Pictures of a GAN's progress: sample grids, 2-D scatter plots, training curves."""

import math

import numpy as np

from keras_lipschitz import _files


def image_grid(images, columns=None):
    """Tiles a batch of images in [-1, 1] into one uint8 picture.

    Args:
        images: array `(batch, height, width, channels)` with 1 or 3
            channels, values in [-1, 1] (clipped).
        columns: images per row; the default makes the grid about square.

    Returns:
        A uint8 array `(rows * height, columns * width, channels)`; cells
        after the last image are black.

    Example:

    ```python
    import numpy as np
    from keras_lipschitz.visualization import image_grid

    grid = image_grid(np.zeros((10, 8, 8, 1)), columns=5)
    print(grid.shape, grid.dtype)  # (16, 40, 1) uint8
    ```
    """
    images = np.asarray(images, dtype="float32")
    if images.ndim != 4 or images.shape[-1] not in (1, 3):
        raise ValueError(
            f"image_grid takes images of shape (batch, height, width, 1 or 3), got {images.shape}; "
            "use scatter_plot for 2-D samples."
        )
    batch, height, width, channels = images.shape
    columns = columns or math.ceil(math.sqrt(batch))
    rows = math.ceil(batch / columns)
    pixels = to_uint8(images)
    grid = np.zeros((rows * height, columns * width, channels), "uint8")
    for index, image in enumerate(pixels):
        row, column = divmod(index, columns)
        grid[row * height : (row + 1) * height, column * width : (column + 1) * width] = image
    return grid


def to_uint8(images):
    """Maps [-1, 1] to {0, ..., 255}: round((x + 1) * 127.5), clipped."""
    scaled = np.rint((np.clip(np.asarray(images, "float32"), -1.0, 1.0) + 1.0) * 127.5)
    return scaled.astype("uint8")


def save_png(pixels, path):
    """Writes a uint8 `(height, width, 1 or 3)` array as a PNG, atomically."""
    from PIL import Image

    pixels = np.asarray(pixels)
    image = Image.fromarray(pixels[..., 0] if pixels.shape[-1] == 1 else pixels)
    with _files.atomic_write(path) as file:
        image.save(file, format="PNG")
    return path


def scatter_plot(samples, reference=None, title=None):
    """Renders a scatter plot of 2-D samples over reference points (e.g. the mixture's means).

    Args:
        samples: array `(n, 2)`.
        reference: optional array `(m, 2)` drawn as red crosses.
        title: optional title.

    Returns:
        The picture, a uint8 array `(height, width, 3)` (save it with `save_png`).

    Example:

    ```python
    import numpy as np
    from keras_lipschitz.visualization import scatter_plot

    pixels = scatter_plot(np.random.default_rng(0).normal(size=(100, 2)), reference=np.zeros((1, 2)))
    print(pixels.dtype, pixels.shape[-1])  # uint8 3
    ```
    """
    samples = np.asarray(samples)
    if samples.ndim != 2 or samples.shape[1] != 2:
        raise ValueError(f"scatter_plot takes 2-D samples of shape (n, 2), got {samples.shape}.")
    figure, axes = _figure()
    axes.scatter(samples[:, 0], samples[:, 1], s=2, alpha=0.4, label="samples")
    if reference is not None:
        reference = np.asarray(reference)
        axes.scatter(reference[:, 0], reference[:, 1], marker="x", color="red", s=30, label="modes")
    axes.set_aspect("equal")
    axes.legend(loc="upper right")
    if title:
        axes.set_title(title)
    return _pixels(figure)


def plot_curves(history, title="training curves"):
    """Renders one panel per logged metric (e.g. `History.history`).

    Args:
        history: dict of metric name to a list of values (one per step or epoch).
        title: figure title.

    Returns:
        The picture, a uint8 array `(height, width, 3)` (save it with `save_png`).
    """
    names = [name for name, values in history.items() if len(values)]
    if not names:
        raise ValueError("plot_curves got no values to plot.")
    figure, axes = _figure(len(names))
    axes = np.ravel(axes)
    for axis, name in zip(axes, names):
        axis.plot(np.arange(1, len(history[name]) + 1), history[name])
        axis.set_title(name)
        axis.set_xlabel("step")
    for axis in axes[len(names) :]:
        axis.set_visible(False)
    figure.suptitle(title)
    return _pixels(figure)


def _figure(panels=1):
    import matplotlib

    matplotlib.use("Agg")  # no display needed
    from matplotlib import pyplot

    columns = min(panels, 3)
    rows = math.ceil(panels / columns)
    return pyplot.subplots(rows, columns, figsize=(4 * columns, 4 * rows), dpi=80, squeeze=panels == 1)


def _pixels(figure):
    from matplotlib import pyplot

    figure.tight_layout()
    figure.canvas.draw()
    pixels = np.asarray(figure.canvas.buffer_rgba())[..., :3].copy()
    pyplot.close(figure)
    return pixels
