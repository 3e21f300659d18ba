"""PGGAN's training: one `fit` that grows the networks from 4x4 to full resolution as images are seen."""

import keras
from keras import ops

from keras_lipschitz.architectures.progressive import ProgressiveDiscriminator
from keras_lipschitz.architectures.progressive import ProgressiveGenerator
from keras_lipschitz.trainers.gan import GAN
from keras_lipschitz.trainers.growth import GrowthSchedule


@keras.saving.register_keras_serializable(package="keras_lipschitz")
class ProgressiveGAN(GAN):
    """A `GAN` whose networks grow by `schedule` during `fit` (progressive growing of GANs).

    The phase (level, fading) of the step about to run is a function of the
    images seen before it, which the schedule counts from the step counter
    and each level's batch, so it survives a checkpoint with the counter: a
    run resumed anywhere, mid-fade included, continues exactly. Each phase
    runs its own compiled step with static shapes (traced once when the
    phase begins; the previous phase's step is dropped), and `alpha` is
    computed inside the step from the counter. All variables exist from the
    start: a level's layers get zero gradients before they are used, so
    their optimizer slots are still fresh (zero) when they start training
    and the other layers keep theirs (Adam's bias correction follows the
    optimizer's step count, as for any variable). During a fade-in the real
    images are blended as the generated ones are: the level's image with
    the previous level's, upsampled, by alpha. Images go in and out at full
    resolution (see `architectures.ProgressiveGenerator`).

    A compiled call of `steps_per_execution` steps never spans two phases:
    `fit` raises if one would (choose a divisor of the phases' steps).

    With the schedule's `batch_sizes` (a minibatch size per resolution),
    `fit`'s batch must be a multiple of every level's: a level of batch `b`
    trains on every (batch / b)-th image of each batch, so the data stream,
    and with it a resumed run's position, is the same at every level.

    Args:
        generator: a `ProgressiveGenerator`.
        discriminator: a `ProgressiveDiscriminator` with the same levels.
        latent_dim: size of z.
        schedule: a `GrowthSchedule` (or its config) with the networks' levels.
        **kwargs: `GAN` arguments (`seed`, `ema_decay`, ...).

    Returns:
        Called on z, full-resolution images of the current phase (EMA weights
        if any).

    Example:

    ```python
    import keras
    import numpy as np
    from keras_lipschitz.architectures import ProgressiveDiscriminator, ProgressiveGenerator
    from keras_lipschitz.trainers import GrowthSchedule, ProgressiveGAN

    gan = ProgressiveGAN(ProgressiveGenerator(8, 8, filters=8), ProgressiveDiscriminator(8, filters=8), latent_dim=8,
                         schedule=GrowthSchedule(levels=2, fade_images=64, stable_images=64), seed=0)
    gan.compile(d_optimizer=keras.optimizers.Adam(1e-3, 0.0, 0.99, 1e-8),
                g_optimizer=keras.optimizers.Adam(1e-3, 0.0, 0.99, 1e-8),
                loss="wasserstein", penalty="gradient_penalty", drift_weight=0.001)
    images = np.random.default_rng(0).uniform(-1, 1, (64, 8, 8, 1)).astype("float32")
    gan.fit(images, batch_size=16, epochs=4, verbose=0)
    print(gan.generator.level, gan.generator.fading)  # 1 False: 8x8, stable from the 128th image on
    ```

    Reference:
        Karras, Aila, Laine, Lehtinen. "Progressive Growing of GANs for
        Improved Quality, Stability, and Variation", ICLR 2018, sec. 3 and
        Appendix A.1.
    """

    def __init__(self, generator, discriminator, latent_dim, schedule, **kwargs):
        if not isinstance(generator, ProgressiveGenerator) or not isinstance(discriminator, ProgressiveDiscriminator):
            raise ValueError("ProgressiveGAN grows a ProgressiveGenerator and a ProgressiveDiscriminator; got "
                             f"{type(generator).__name__} and {type(discriminator).__name__}.")
        self.schedule = schedule if isinstance(schedule, GrowthSchedule) else GrowthSchedule.from_config(schedule)
        if not generator.levels == discriminator.levels == self.schedule.levels:
            raise ValueError(f"The generator has {generator.levels} levels, the discriminator "
                             f"{discriminator.levels} and the schedule {self.schedule.levels}; they must agree.")
        super().__init__(generator, discriminator, latent_dim, **kwargs)
        self._fed_batch = None
        self._steps_done = None
        self._phase = None
        self._phase_function = None

    def fit(self, x=None, y=None, batch_size=None, **kwargs):
        """`GAN.fit`, growing the networks by the schedule (each level's step takes the schedule's batch for it
        from the batch given, or all of it)."""
        self._fed_batch = self._batch_size_of(x, batch_size)
        self.schedule.check_batch(self._fed_batch, self.d_steps)
        self._steps_done = None
        kwargs["callbacks"] = [*(kwargs.get("callbacks") or []), _CountSteps(self)]
        return super().fit(x, y, batch_size=batch_size, **kwargs)

    def _batch_size_of(self, x, batch_size):
        """Samples per step of what `fit` is given: arrays, a batched `tf.data.Dataset` or a `PyDataset`."""
        if hasattr(x, "element_spec"):
            spec = x.element_spec
            size = (spec[0] if isinstance(spec, tuple) else spec).shape[0]
        elif isinstance(x, keras.utils.PyDataset):
            first = x[0]
            size = len(first[0] if isinstance(first, tuple) else first)
        else:
            size = self._array_batch_size(batch_size)
        if size is None:
            raise ValueError("ProgressiveGAN counts images by the batch: give a dataset batched with a static size "
                             "(drop_remainder=True).")
        return int(size)

    def phase_at_step(self, step):
        """`(level, fading, first step, images seen before it, first image)` of the phase of `step` in this fit."""
        return self.schedule.phase_at_step(step, self._fed_batch)

    def make_train_function(self, force=False):
        if self.train_function is not None and not force:
            return self.train_function
        self._phase, self._phase_function = None, None
        self.train_function = self._train_in_phase
        return self.train_function

    def _train_in_phase(self, *args):
        """Keras' train function: enters the phase of the next step (a step compiled for it), runs it."""
        steps = self.steps_per_execution
        phase, last = self.phase_at_step(self._steps_done), self.phase_at_step(self._steps_done + steps - 1)
        if phase != last:
            raise ValueError(f"steps_per_execution={steps} would run steps {self._steps_done}-"
                             f"{self._steps_done + steps - 1} across a growth phase boundary (step {last[2]}); "
                             "choose a steps_per_execution that divides every phase's steps.")
        if phase != self._phase:
            self._enter(phase)
        outputs = self._phase_function(*args)
        self._steps_done += steps
        return outputs

    def _enter(self, phase):
        level, fading = phase[:2]
        self.generator.set_phase(level, fading)
        self.discriminator.set_phase(level, fading)
        self._phase = phase
        # One compiled step per phase; the previous phase's is let go.
        self._phase_function = None
        GAN.make_train_function(self, force=True)
        self._phase_function, self.train_function = self.train_function, self._train_in_phase
        self.test_function = self.predict_function = None

    def _train_step(self, data):
        level, fading, first_step, seen, first_image = self._phase
        batch = self.schedule.batch_size(level, self._fed_batch)
        alpha = ops.ones((), "float32")
        if fading:
            images = ops.cast(self.train_steps - first_step, "float32") * batch + float(seen - first_image)
            alpha = ops.clip(images / self.schedule.fade_images, 0.0, 1.0)
        self.generator.alpha.assign(alpha)
        self.discriminator.alpha.assign(alpha)
        return super()._train_step(_every_nth_row(data, self._fed_batch // batch))

    def _real_samples(self, real):
        """Real images at the level's resolution, blended while fading as the generated ones are, at full size."""
        upsample, downsample = self.generator.upsample, self.discriminator.downsample
        shrink = self.generator.doublings_to_full_size
        for _ in range(shrink):
            real = downsample(real)
        if self.generator.fading:
            real = self.generator.fade_in([upsample(downsample(real)), real], alpha=self.generator.alpha)
        for _ in range(shrink):
            real = upsample(real)
        return real

    def get_config(self):
        return {**super().get_config(), "schedule": self.schedule.get_config()}


class _CountSteps(keras.callbacks.Callback):
    """Reads the step counter at each epoch's start, when every backend has the model's variables current (JAX
    holds them outside the model during an epoch); `_train_in_phase` counts on from there."""

    def __init__(self, gan):
        super().__init__()
        self._gan = gan

    def on_epoch_begin(self, epoch, logs=None):
        self._gan._steps_done = int(ops.convert_to_numpy(self._gan.train_steps))


def _every_nth_row(data, n):
    """Every `n`-th row of this replica's share of the batch: on any number of replicas whose shares are
    multiples of `n`, together the same rows as on one device."""
    if n == 1:
        return data
    rows = keras.tree.flatten(data)[0].shape[0]
    if rows % n:
        raise ValueError(f"Each replica's {rows} images per step cannot give every {n}-th one: make the level's "
                         "batch a multiple of the number of replicas.")
    return keras.tree.map_structure(lambda values: values[::n], data)
