"""Pictures of a GAN's progress: sample grids, 2-D scatter plots, training curves."""

import math

import numpy as np

from keras_lipschitz import _files


def image_grid(images, columns=None, min_tile=32, border=2, row_labels=None):
    """Tiles a batch of images in [-1, 1] into one uint8 picture a person can read.

    Each image is enlarged by an integer factor (nearest neighbour, so pixels
    stay sharp) until it is at least `min_tile` pixels high, and tiles are
    separated by a `border` of mid-grey pixels, so that small images (8x8
    digits) stay apart rather than merging into columns.

    Args:
        images: array `(batch, height, width, channels)` with 1 or 3
            channels, values in [-1, 1] (clipped).
        columns: images per row; the default makes the grid about square.
        min_tile: smallest tile height in pixels (1 keeps the images' size).
        border: pixels of grey between tiles and around the grid.
        row_labels: None, or one string per row (e.g. the class of a
            conditional grid's row), written left of the row.

    Returns:
        A uint8 array `(rows * (h + border) + border, label_width + columns *
        (w + border) + border, channels)`, with `h, w` the enlarged tile size;
        cells after the last image are black.

    Example:

    ```python
    import numpy as np
    from keras_lipschitz.visualization import image_grid

    grid = image_grid(np.zeros((10, 8, 8, 1)), columns=5)  # tiles of 32 x 32, 2-pixel borders
    print(grid.shape, grid.dtype)  # (70, 172, 1) uint8
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
    if row_labels is not None and len(row_labels) != rows:
        raise ValueError(f"row_labels has {len(row_labels)} labels for {rows} rows.")
    scale = max(1, math.ceil(min_tile / height))
    pixels = to_uint8(images).repeat(scale, axis=1).repeat(scale, axis=2)
    height, width = height * scale, width * scale
    step_y, step_x = height + border, width + border
    grid = np.full((rows * step_y + border, columns * step_x + border, channels), _BORDER_GREY, "uint8")
    for index in range(rows * columns):
        row, column = divmod(index, columns)
        y, x = border + row * step_y, border + column * step_x
        grid[y : y + height, x : x + width] = pixels[index] if index < batch else 0
    if row_labels is not None:
        grid = _with_row_labels(grid, row_labels, step_y, border)
    return grid


_BORDER_GREY = 128


def _with_row_labels(grid, labels, row_height, border):
    """The grid with a black margin on its left holding one label per row."""
    from PIL import Image
    from PIL import ImageDraw

    font_width = 6  # PIL's built-in bitmap font
    margin = font_width * max(len(label) for label in labels) + 8
    padded = np.concatenate([np.zeros((grid.shape[0], margin, grid.shape[2]), "uint8"), grid], axis=1)
    grey = grid.shape[2] == 1
    image = Image.fromarray(padded[..., 0] if grey else padded)
    draw = ImageDraw.Draw(image)
    white = 255 if grey else (255, 255, 255)
    for row, label in enumerate(labels):
        draw.text((4, border + row * row_height + (row_height - border) // 2 - 5), label, fill=white)
    labelled = np.asarray(image)
    return labelled[..., None] if labelled.ndim == 2 else labelled


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


def plot_curves(history, steps=None, title="training curves"):
    """Renders one panel per logged metric that changes (e.g. `History.history`).

    Args:
        history: dict of metric name to a list of values.
        steps: None, or the generator step of each value (the x-axis);
            default: 1, 2, ... (labelled "epoch").
        title: figure title.

    Returns:
        The picture, a uint8 array `(height, width, 3)` (save it with `save_png`).
        Metrics whose values never change (a penalty of 0, no skipped step)
        carry no information and get no panel.

    Example:

    ```python
    from keras_lipschitz.visualization import plot_curves

    pixels = plot_curves({"d_loss": [1.5, 1.2, 1.0], "skipped_steps": [0, 0, 0]}, steps=[100, 200, 300])
    print(pixels.dtype, pixels.shape[-1])  # uint8 3
    ```
    """
    names = [name for name, values in history.items() if len(values) and len(set(values)) > 1]
    if not names:
        names = [name for name, values in history.items() if len(values)][:1]
    if not names:
        raise ValueError("plot_curves got no values to plot.")
    figure, axes = _figure(len(names))
    axes = np.ravel(axes)
    for axis, name in zip(axes, names):
        x = np.arange(1, len(history[name]) + 1) if steps is None else np.asarray(steps)
        axis.plot(x, history[name])
        axis.set_title(name)
        axis.set_xlabel("epoch" if steps is None else "generator step")
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
