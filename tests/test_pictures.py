"""Sample grids, plots and TensorBoard: exact round trips of the pixels written."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from keras_lipschitz import visualization
from keras_lipschitz.architectures import dcgan_discriminator
from keras_lipschitz.architectures import dcgan_generator
from keras_lipschitz.architectures import mlp_discriminator
from keras_lipschitz.architectures import mlp_generator
from keras_lipschitz.trainers import GAN
from keras_lipschitz.trainers import presets
from keras_lipschitz.trainers.callbacks import SampleImages
from keras_lipschitz.trainers.step_log import StepLogger
from keras_lipschitz.trainers.step_log import read_history

RNG = np.random.default_rng(0)


def test_image_grid_places_each_image_in_its_cell():
    images = RNG.uniform(-1, 1, size=(7, 4, 5, 3)).astype("float32")
    grid = visualization.image_grid(images, columns=3, min_tile=1, border=0)
    assert grid.shape == (12, 15, 3)
    for index in range(7):
        row, column = divmod(index, 3)
        cell = grid[row * 4 : row * 4 + 4, column * 5 : column * 5 + 5]
        np.testing.assert_array_equal(cell, np.rint((images[index] + 1) * 127.5).astype("uint8"))
    assert not grid[8:, 5:].any()  # cells after the last image stay black
    assert visualization.to_uint8(np.array([-2.0, -1.0, 0.0, 1.0, 3.0])).tolist() == [0, 0, 128, 255, 255]
    with pytest.raises(ValueError, match="scatter_plot"):
        visualization.image_grid(np.zeros((5, 2)))


def test_readable_grid_enlarges_tiles_separates_them_and_names_rows():
    images = RNG.uniform(-1, 1, size=(6, 8, 8, 1)).astype("float32")
    grid = visualization.image_grid(images, columns=3)  # 8 px tiles enlarged 4x to 32 px, 2 px borders
    assert grid.shape == (2 + 2 * 34, 2 + 3 * 34, 1)
    expected = visualization.to_uint8(images).repeat(4, axis=1).repeat(4, axis=2)
    for index in range(6):
        row, column = divmod(index, 3)
        y, x = 2 + 34 * row, 2 + 34 * column
        np.testing.assert_array_equal(grid[y : y + 32, x : x + 32], expected[index])
    assert (grid[:2] == 128).all() and (grid[:, 34:36] == 128).all()  # borders around and between tiles
    labelled = visualization.image_grid(images, columns=3, row_labels=["cat", "dog"])
    margin = labelled.shape[1] - grid.shape[1]
    assert margin > 0 and labelled.shape[0] == grid.shape[0]
    np.testing.assert_array_equal(labelled[:, margin:], grid)
    assert labelled[2:34, :margin].any() and labelled[36:68, :margin].any()  # a label drawn left of each row
    with pytest.raises(ValueError, match="row_labels has 3 labels for 2 rows"):
        visualization.image_grid(images, columns=3, row_labels=["a", "b", "c"])


def test_png_round_trip_is_exact(tmp_path):
    for channels in (1, 3):
        pixels = RNG.integers(0, 256, size=(9, 11, channels)).astype("uint8")
        path = visualization.save_png(pixels, tmp_path / f"grid{channels}.png")
        np.testing.assert_array_equal(np.asarray(Image.open(path)).reshape(pixels.shape), pixels)
    assert not list(tmp_path.glob(".tmp-*"))


def test_plots_draw_the_samples():
    empty = visualization.scatter_plot(np.full((1, 2), 100.0))
    dense = visualization.scatter_plot(RNG.normal(size=(3000, 2)))
    assert empty.shape == dense.shape and empty.dtype == np.uint8
    # Thousands of blue points darken the picture; a single point barely does.
    assert dense.mean() < empty.mean() - 5
    assert visualization.plot_curves({"d_loss": [1.0, 0.5], "g_loss": [0.1, 0.2]}).shape[-1] == 3
    with pytest.raises(ValueError, match=r"shape \(n, 2\)"):
        visualization.scatter_plot(np.zeros((4, 3)))


def _event_values(directory):
    """{tag: [(step, value or decoded image)]} from the TensorBoard event files under `directory`."""
    found = {}
    for path in sorted(directory.rglob("events.out.tfevents.*")):
        for event in tf.compat.v1.train.summary_iterator(str(path)):
            for value in event.summary.value:
                tensor = tf.make_ndarray(value.tensor)
                if value.metadata.plugin_data.plugin_name == "images":
                    decoded = tf.io.decode_png(tensor[2]).numpy()
                    found.setdefault(value.tag, []).append((event.step, decoded))
                else:
                    found.setdefault(value.tag, []).append((event.step, float(tensor)))
    return found


def test_sample_images_write_png_and_tensorboard_images_of_the_fixed_latents(tmp_path):
    keras.utils.set_random_seed(0)
    generator = dcgan_generator(latent_dim=8, image_size=8, channels=1, base_filters=16, num_classes=2)
    critic = dcgan_discriminator(image_size=8, channels=1, base_filters=4, num_classes=2)
    gan = GAN(generator, critic, latent_dim=8, num_classes=2, seed=0)
    gan.compile(**presets.sngan())
    callback = SampleImages(tmp_path / "png", log_dir=tmp_path / "logs", every_n_steps=2, num_samples=6)
    images = RNG.uniform(-1, 1, size=(64, 8, 8, 1)).astype("float32")
    history = gan.fit(images, np.arange(64) % 2, batch_size=16, epochs=2, verbose=0,
                      callbacks=[callback, StepLogger(tmp_path / "history.csv", log_dir=tmp_path / "logs")])

    assert [path.name for path in callback.written] == [f"samples-{step:08d}.png" for step in (2, 4, 6, 8)]
    latents, labels = callback.fixed_inputs()
    assert labels.numpy().tolist() == [0, 0, 0, 1, 1, 1]  # one row per class
    expected = visualization.image_grid(gan.generator([latents, labels], training=False), columns=3,
                                        row_labels=["0", "1"])
    np.testing.assert_array_equal(np.asarray(Image.open(callback.written[-1]))[..., None], expected)

    events = _event_values(tmp_path / "logs")
    steps, pictures = zip(*events["samples"])
    assert steps == (2, 4, 6, 8)
    np.testing.assert_array_equal(pictures[-1], expected)
    # StepLogger: the GAN's metrics as scalars and CSV rows at generator steps (4 per epoch), not epochs.
    logged_steps, logged = read_history(tmp_path / "history.csv")
    assert logged_steps == [4, 8]
    for name in ("d_loss", "g_loss", "wasserstein_estimate"):
        assert [step for step, _ in events[name]] == [4, 8]
        assert events[name][-1][1] == pytest.approx(history.history[name][-1], rel=1e-6)
        assert logged[name] == pytest.approx(history.history[name], rel=1e-6)
    assert "penalty" not in events and "max_sigma" not in events
    assert not any(name.startswith(("epoch_", "val_")) for name in events)


def test_sample_images_of_2d_data_are_scatter_plots(tmp_path):
    gan = GAN(mlp_generator(latent_dim=2), mlp_discriminator(), latent_dim=2, seed=0)
    gan.compile(**presets.sngan())
    callback = SampleImages(tmp_path, every_n_steps=100, num_samples=200, reference=np.zeros((1, 2)))
    gan.fit(RNG.normal(size=(128, 2)).astype("float32"), batch_size=64, verbose=0, callbacks=[callback])
    assert [path.name for path in callback.written] == ["samples-00000002.png"]  # at the end of training
    pixels = np.asarray(Image.open(callback.written[0]))
    np.testing.assert_array_equal(pixels, visualization.scatter_plot(callback.samples(), np.zeros((1, 2)),
                                                                     title="step 2"))
    with pytest.raises(ValueError, match="directory for PNG files"):
        SampleImages()
