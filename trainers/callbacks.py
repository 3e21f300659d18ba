"""Callbacks that show a GAN's progress: sample pictures on fixed latents, in PNG and TensorBoard."""

import pathlib

import keras
import numpy as np

from keras_lipschitz import _validation
from keras_lipschitz import visualization
from keras_lipschitz.latents import normal_latents
from keras_lipschitz.trainers.periodic import EveryNSteps
from keras_lipschitz.trainers.summaries import SummaryWriter


class SampleImages(EveryNSteps):
    """Every N generator steps, draws samples from the same latents and saves the picture.

    The latents are drawn once from `seed`, so successive pictures differ
    only by training. Images become a grid (`samples-<step>.png`) of tiles
    enlarged to at least 32 pixels with borders between them; a conditional
    GAN's grid has one row per class, named on its left (`num_samples //
    num_classes` samples of each class). 2-D samples become a scatter plot
    over `reference` points (e.g. the mixture's means). With
    `log_dir` the pictures also go to TensorBoard as image summaries under
    `log_dir/samples` (tag `samples`), next to the scalars that
    `keras.callbacks.TensorBoard(log_dir)` writes. A growing GAN
    (`ProgressiveGAN`) also gets a picture at the last step of each growth
    phase: its images at that phase's resolution, upsampled to the final size.

    Args:
        directory: None, or where the PNG files go.
        log_dir: None, or a TensorBoard log directory.
        every_n_steps: int >= 1, in generator steps; a picture is also made
            at the end of training.
        num_samples: how many samples per picture.
        seed: int seed of the fixed latents.
        truncation: None for the GAN's own truncation, or the truncation of
            the fixed latents.
        reference: optional `(m, 2)` points drawn under 2-D samples.
        class_names: optional names of the classes for a conditional grid's
            rows (default `"0"`, `"1"`, ...).

    Example:

    ```python
    import tempfile
    import numpy as np
    from keras_lipschitz.architectures import mlp_discriminator, mlp_generator
    from keras_lipschitz.trainers import GAN, presets
    from keras_lipschitz.trainers.callbacks import SampleImages

    gan = GAN(mlp_generator(latent_dim=2), mlp_discriminator(), latent_dim=2, seed=0)
    gan.compile(**presets.sngan())
    directory = tempfile.mkdtemp()
    callback = SampleImages(directory, every_n_steps=2, num_samples=256)
    gan.fit(np.zeros((256, 2), "float32"), batch_size=64, verbose=0, callbacks=[callback])
    print([path.name for path in callback.written])  # scatter plots at steps 2 and 4
    ```
    """

    def __init__(
        self,
        directory=None,
        log_dir=None,
        every_n_steps=500,
        num_samples=64,
        seed=0,
        truncation=None,
        reference=None,
        class_names=None,
    ):
        super().__init__(every_n_steps)
        _validation.check_positive_integer("num_samples", num_samples)
        if directory is None and log_dir is None:
            raise ValueError("SampleImages needs a directory for PNG files, a TensorBoard log_dir, or both.")
        self.directory = None if directory is None else pathlib.Path(directory)
        self.log_dir = log_dir
        self.num_samples = num_samples
        self.seed = seed
        self.truncation = truncation
        self.reference = reference
        self.class_names = class_names
        self.written = []
        self._writer = None
        self._inputs = None

    def on_train_batch_end(self, batch, logs=None):
        step = self.generator_step()
        if step % self.every_n_steps == 0 or _ends_growth_phase(self.model, step):
            self.handle(step)

    def fixed_inputs(self):
        """The generator inputs every picture uses: latents, or [latents, labels] (one row per class)."""
        if self._inputs is None:
            classes = self.model.num_classes
            count = self.num_samples if classes is None else max(1, self.num_samples // classes) * classes
            truncation = self.truncation if self.truncation is not None else getattr(self.model, "truncation", None)
            latents = normal_latents((count, self.model.latent_dim), seed=self.seed, truncation=truncation)
            if classes is None:
                self._inputs = latents
            else:
                labels = keras.ops.convert_to_tensor(np.repeat(np.arange(classes), count // classes), "int32")
                self._inputs = [latents, labels]
        return self._inputs

    def samples(self):
        """The GAN's samples (EMA weights if any) on the fixed inputs, as a float32 numpy array."""
        return np.asarray(keras.ops.convert_to_numpy(self.model(self.fixed_inputs(), training=False)), "float32")

    def at_step(self, step):
        samples = self.samples()
        if samples.ndim == 2:
            pixels = visualization.scatter_plot(samples, reference=self.reference, title=f"step {step}")
        elif self.model.num_classes is None:
            pixels = visualization.image_grid(samples)
        else:
            classes = self.model.num_classes
            names = self.class_names or [str(label) for label in range(classes)]
            pixels = visualization.image_grid(samples, columns=len(samples) // classes, row_labels=list(names))
        if self.directory is not None:
            self.written.append(visualization.save_png(pixels, self.directory / f"samples-{step:08d}.png"))
        if self.log_dir is not None:
            if self._writer is None:
                self._writer = SummaryWriter(pathlib.Path(self.log_dir) / "samples")
            self._writer.image(step, "samples", pixels)


def _ends_growth_phase(model, steps_done):
    """Whether the step just run was the last of a `ProgressiveGAN`'s growth phase."""
    if not hasattr(model, "phase_at_step") or steps_done < 1:
        return False
    return model.phase_at_step(steps_done - 1)[:2] != model.phase_at_step(steps_done)[:2]
