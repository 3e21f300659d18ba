"""A GAN as a `keras.Model` with a custom `train_step`, for `model.fit`."""

import contextlib
import signal
import sys
import threading
import warnings

import keras
import numpy as np
from keras import ops

from keras_lipschitz import _reduction
from keras_lipschitz import backend
from keras_lipschitz import _validation
from keras_lipschitz import losses as gan_losses
from keras_lipschitz.losses import auxiliary_classifier
from keras_lipschitz import penalties as gan_penalties
from keras_lipschitz.layers import Packing
from keras_lipschitz.layers import SpectralNormalization
from keras_lipschitz.layers import diff_augment
from keras_lipschitz.backend.common import InheritingScope
from keras_lipschitz.latents import normal_latents
from keras_lipschitz.trainers import unrolling
from keras_lipschitz.trainers.optimizer_pair import OptimizerPair

# Penalty names for `GAN.compile(penalty=...)`: each gets (critic, real,
# fake, labels, weight, tape, seed, interpolation_weights) and returns the
# float32 mean over the global batch. The trainer draws the interpolation
# weights for the global batch and gives each replica its rows, so a run on
# N replicas penalizes the interpolates of a one-device run. Other random
# draws (DRAGAN's noise) come from the GAN's checkpointed seed generator per
# replica. Real and fake samples share their labels (see `GAN.train_step`),
# so an interpolate has one label.
_PENALTIES = {
    "gradient_penalty": lambda critic, real, fake, labels, weight, tape, seed, alphas: (
        gan_penalties.gradient_penalty(
            critic, real, fake, labels, weight=weight, interpolation_weights=alphas, tape=tape
        )
    ),
    "one_sided_gradient_penalty": lambda critic, real, fake, labels, weight, tape, seed, alphas: (
        gan_penalties.gradient_penalty(
            critic, real, fake, labels, weight=weight, one_sided=True, interpolation_weights=alphas, tape=tape
        )
    ),
    "r1": lambda critic, real, fake, labels, weight, tape, seed, alphas: gan_penalties.r1_penalty(
        critic, real, labels, gamma=weight, tape=tape
    ),
    "r2": lambda critic, real, fake, labels, weight, tape, seed, alphas: gan_penalties.r2_penalty(
        critic, fake, labels, gamma=weight, tape=tape
    ),
    "dragan": lambda critic, real, fake, labels, weight, tape, seed, alphas: gan_penalties.dragan_penalty(
        critic, real, labels, weight=weight, tape=tape, seed=seed
    ),
}
PENALTIES = tuple(_PENALTIES)
# The penalties evaluated at random interpolates of real and fake samples.
_INTERPOLATING = ("gradient_penalty", "one_sided_gradient_penalty")


@keras.saving.register_keras_serializable(package="keras_lipschitz")
class GAN(keras.Model):
    """A GAN trained by `fit` with k critic steps per generator step.

    Each batch that `fit` delivers is split into `d_steps` equal parts (part
    k takes every `d_steps`-th sample from the k-th): one fresh real batch
    for each critic step, as in Algorithm 1 of WGAN and WGAN-GP, followed by
    one generator step. Batch `d_steps * B` thus gives
    critic batches of `B`. Shapes are static, so the step
    compiles with XLA and runs under every `tf.distribute` strategy; losses
    and penalties are means over the global batch (each replica returns its
    share, and gradients are summed across replicas).

    A step whose loss or gradients hold NaN or inf does not update that
    network: its optimizer and weights stay as they were (under
    mixed_float16, `keras.optimizers.LossScaleOptimizer` skips overflowing
    gradients itself and lowers the loss scale). `skipped_steps` counts the
    steps with a skipped update (logged), `consecutive_skipped_steps` the
    current streak, which `callbacks.TerminateOnNonFinite` watches.

    Conditional GANs (`num_classes` set) train on `(samples, labels)`: the
    generator takes `[z, labels]` and the discriminator `[samples, labels]`
    (e.g. conditional batch normalization in G and a projection
    discriminator, see `keras_lipschitz.architectures`). Fake samples are
    generated for the labels of the real batch, so they follow the data's
    class frequencies and a penalty's interpolate has a single label. An
    AC-GAN discriminator takes samples only and returns two outputs, the
    logit and class logits `(batch, num_classes)`; `compile(classifier_loss=
    ...)` then adds the auxiliary classifier's loss to both networks'.

    Regularization losses of either network's layers (`model.losses`, e.g.
    BigGAN's orthogonal regularization as a `kernel_regularizer` of G) are
    added to that network's loss, as `keras.Model.fit` does.

    Args:
        generator: Keras model from `(batch, latent_dim)` (and labels, when
            conditional) to samples.
        discriminator: Keras model from samples (and labels) to one logit per
            sample.
        latent_dim: size of the latent vector z ~ N(0, I).
        num_classes: None (unconditional) or the number of classes; labels
            are integers in `[0, num_classes)`.
        seed: int seed for the latent draws (a `keras.random.SeedGenerator`
            whose state is saved with the model).
        ema_decay: None, or a float in (0, 1): keep an exponential moving
            average of the generator's trainable weights, updated after each
            generator step (`ema = d_t * ema + (1 - d_t) * w`), and use it
            in `call`, `sample` and `ema_generator()`. The decay warms up as
            `d_t = min(ema_decay, (1 + t) / (10 + t))` over the `t` steps since
            `ema_start` (the num_updates rule of TensorFlow's
            `ExponentialMovingAverage`), so a short run's average does not
            keep the initial weights.
        ema_start: generator step from which the EMA averages; before it the
            EMA is the generator itself (BigGAN starts at 20,000 steps,
            StudioGAN's `g_ema_start`).
        truncation: None, or a float > 0: `sample` (and so the evaluation and
            the pictures) draws latents from the normal truncated to
            `[-truncation, truncation]` (BigGAN's truncation trick) unless
            told otherwise.
        **kwargs: base `keras.Model` arguments.

    Returns:
        Called on z, the generator's samples.

    Example:

    ```python
    import keras
    import numpy as np
    from keras_lipschitz.architectures import mlp_discriminator, mlp_generator
    from keras_lipschitz.trainers import GAN

    gan = GAN(mlp_generator(latent_dim=2), mlp_discriminator(), latent_dim=2, seed=0)
    gan.compile(
        d_optimizer=keras.optimizers.Adam(1e-4, beta_1=0.0, beta_2=0.9),
        g_optimizer=keras.optimizers.Adam(1e-4, beta_1=0.0, beta_2=0.9),
        loss="wasserstein",
        penalty="gradient_penalty",
        d_steps=5,
    )
    data = np.random.default_rng(0).normal(size=(640, 2)).astype("float32")
    history = gan.fit(data, batch_size=5 * 64, epochs=1, verbose=0)
    print(sorted(history.history))
    ```

    Reference:
        Goodfellow et al. 2014, Algorithm 1 (k critic steps);
        Gulrajani et al. 2017, Algorithm 1 (a new real batch per critic step);
        Heusel et al. 2017 (TTUR: separate optimizers and learning rates);
        Miyato & Koyama 2018 (conditional GANs with a projection discriminator).
    """

    def __init__(
        self, generator, discriminator, latent_dim, num_classes=None, seed=None, ema_decay=None, ema_start=0,
        truncation=None, **kwargs
    ):
        super().__init__(**kwargs)
        _validation.check_positive_integer("latent_dim", latent_dim)
        if num_classes is not None:
            _validation.check_positive_integer("num_classes", num_classes)
        if ema_decay is not None and not 0.0 < float(ema_decay) < 1.0:
            raise ValueError(f"ema_decay must be None or in (0, 1) (0.999 is common), got {ema_decay!r}.")
        if isinstance(ema_start, bool) or not isinstance(ema_start, int) or ema_start < 0:
            raise ValueError(f"ema_start must be an integer >= 0 (a generator step), got {ema_start!r}.")
        if truncation is not None and not float(truncation) > 0.0:
            raise ValueError(f"truncation must be None or > 0 (BigGAN samples at 0.5-2), got {truncation!r}.")
        _check_models(generator, discriminator, latent_dim, num_classes)
        self.truncation = None if truncation is None else float(truncation)
        self.generator = generator
        self.discriminator = discriminator
        self.latent_dim = latent_dim
        self.num_classes = num_classes
        self.seed = seed
        self.ema_decay = None if ema_decay is None else float(ema_decay)
        self.ema_start = ema_start
        self.seed_generator = keras.random.SeedGenerator(seed)
        # `sample` draws from its own stream, keyed by the step (see `_sampling_seed`), never from training's.
        self._sampling_key = int(np.random.SeedSequence(seed).entropy)
        self._sampling_step, self._sampling_calls = -1, 0
        self._ema_weights = []
        if self.ema_decay is not None:
            self._ema_weights = [
                self.add_weight(
                    shape=variable.shape,
                    dtype=variable.dtype,
                    initializer="zeros",
                    trainable=False,
                    # Every replica computes the same average.
                    aggregation="only_first_replica",
                    name=f"ema_{variable.path.replace('/', '_')}",
                )
                for variable in generator.trainable_variables
            ]
            for average, variable in zip(self._ema_weights, generator.trainable_variables):
                average.assign(ops.copy(variable.value))  # a buffer of its own (JAX donates state buffers)
        # Counters saved with the state. `train_steps` counts every step,
        # skipped updates included, so it is the data position a resumed run
        # continues from (the optimizers' iteration counts stop on skips).
        self.train_steps = self._counter("train_steps")
        self.skipped_steps = self._counter("skipped_steps")
        self.consecutive_skipped_steps = self._counter("consecutive_skipped_steps")
        # Both networks are built: nothing for Keras to build by calling the
        # GAN on a data batch (its input is latents, not data).
        self.built = True

    def _counter(self, name):
        return self.add_weight(
            shape=(), dtype=backend.COUNTER_DTYPE, initializer="zeros", trainable=False, aggregation="only_first_replica", name=name
        )

    def compile(
        self,
        d_optimizer,
        g_optimizer,
        loss="hinge",
        penalty=None,
        penalty_weight=10.0,
        d_steps=1,
        classifier_loss=None,
        augment=None,
        drift_weight=0.0,
        unrolled_steps=0,
        unrolled_optimizer="adam",
        pulling_away_weight=0.0,
        **kwargs,
    ):
        """Configures training.

        Args:
            d_optimizer: the discriminator's optimizer.
            g_optimizer: the generator's optimizer (a different learning rate
                gives TTUR).
            loss: a `keras_lipschitz.losses` name, config or `GANLoss`.
            penalty: None or one of `PENALTIES` (`"gradient_penalty"`,
                `"one_sided_gradient_penalty"`, `"r1"`, `"r2"`, `"dragan"`).
            penalty_weight: lambda (or gamma for R1/R2).
            d_steps: critic steps per generator step, an integer >= 1.
            classifier_loss: for an AC-GAN discriminator (two outputs), an
                `AuxiliaryClassifierLoss` or its name, `"acgan"` (D's
                classifier trained on real and generated samples) or
                `"acgan_mod"` (on real samples only); None otherwise.
            augment: None, or DiffAugment policies (e.g.
                `"color,translation,cutout"`, see `layers.DiffAugment`): the
                discriminator, and the penalty, see augmented real and
                generated samples in every step (images only).
            drift_weight: epsilon_drift >= 0: adds `drift_weight *
                E[D(x_real)^2]` to the critic's loss (PGGAN: 0.001; see
                `penalties.drift_penalty`).
            unrolled_steps: K >= 0: the unrolled GAN (Metz et al. 2017).
                The generator's loss is taken against the critic after K
                more updates on the step's last critic batch and the
                generator's fake samples, differentiated through those
                updates; the critic's own update stays the ordinary one.
                The unrolled updates use the critic's loss without a
                penalty or DiffAugment (both are refused with K > 0).
                0: no unrolling.
            unrolled_optimizer: `"adam"` (continue the critic's Adam from its
                moments, as the authors' code does) or `"sgd"` (gradient
                steps at the critic's learning rate); see
                `trainers.unrolling`.
            pulling_away_weight: lambda_PT >= 0: adds EBGAN's pulling-away
                term of the generated samples' codes (the output of the
                discriminator's layer named `"codes"`, which
                `architectures.autoencoder_discriminator` has) to the
                generator's loss (`penalties.pulling_away_term`; 0.1 in the
                paper).
            **kwargs: `keras.Model.compile` arguments (`jit_compile`,
                `steps_per_execution`, ...).
        """
        _validation.check_positive_integer("d_steps", d_steps, hint="5 for WGAN and WGAN-GP")
        if penalty is not None and penalty not in _PENALTIES:
            raise ValueError(f"Unknown penalty {penalty!r}. Known penalties: {', '.join(PENALTIES)}, or None.")
        auxiliary = _has_classifier_head(self.discriminator)
        if auxiliary != (classifier_loss is not None):
            raise ValueError(
                "The discriminator has an auxiliary classifier head (two outputs): give classifier_loss=\"acgan\" "
                "or \"acgan_mod\"." if auxiliary else
                "classifier_loss needs an AC-GAN discriminator with two outputs, [logits, class logits]."
            )
        self.classifier_loss = auxiliary_classifier.get(classifier_loss)
        self.d_optimizer = _with_loss_scaling(d_optimizer)
        self.g_optimizer = _with_loss_scaling(g_optimizer)
        self.gan_loss = gan_losses.get(loss)
        _check_scores(self.discriminator, self.gan_loss)
        if self.gan_loss.scores_per_sample > 1 and penalty is not None:
            raise ValueError(f"The {self.gan_loss.name} loss scores each sample with several logits; the penalties "
                             "take a critic with one. Drop the penalty.")
        self.penalty = penalty
        # A float, or a tensor or variable (a schedule can assign to it between steps).
        self.penalty_weight = penalty_weight if _is_tensor(penalty_weight) else float(penalty_weight)
        self.d_steps = d_steps
        self.drift_weight = _validation.check_finite_number("drift_weight", drift_weight, positive=False,
                                                            hint="0.001 in PGGAN")
        self.augment = _augment_policy(augment, self.generator)
        self.unrolled_steps, self.unrolled_optimizer = _unrolling(unrolled_steps, unrolled_optimizer, penalty,
                                                                  self.augment, d_optimizer)
        self.pulling_away_weight = _validation.check_finite_number("pulling_away_weight", pulling_away_weight,
                                                                   positive=False, hint="0.1 in EBGAN")
        self._codes = _codes_model(self.discriminator) if self.pulling_away_weight else None
        self._compile_arguments = dict(loss=loss, penalty=penalty, penalty_weight=penalty_weight, d_steps=d_steps,
                                       augment=augment, drift_weight=drift_weight, unrolled_steps=unrolled_steps,
                                       unrolled_optimizer=unrolled_optimizer, pulling_away_weight=pulling_away_weight,
                                       **kwargs)
        # The penalties see the critic's logit only.
        self._adversarial_critic = (keras.Model(self.discriminator.inputs, self.discriminator.outputs[0])
                                    if auxiliary else self.discriminator)
        if penalty is not None:
            _warn_about_batch_normalization(self.discriminator, penalty)
        # Both optimizers own their slots before fit traces the step, as
        # tf.distribute needs (see docs/trainers.md).
        self.d_optimizer.build(self.discriminator.trainable_variables)
        self.g_optimizer.build(self._generator_trainable_variables())
        super().compile(optimizer=OptimizerPair(self.d_optimizer, self.g_optimizer), **kwargs)
        # Only the metrics that mean something for this GAN.
        names = ["d_loss", "g_loss", "wasserstein_estimate"]
        if penalty is not None:
            names.append("penalty")
        if self.drift_weight:
            names.append("drift")
        names += self._generator_term_names()
        if auxiliary:
            names += ["d_classifier_loss", "g_classifier_loss"]
        if self.generator.losses:
            names.append("g_regularization")
        if _spectral_normalization_layers(self.discriminator):
            names.append("max_sigma")
        self._trackers = {name: keras.metrics.Mean(name=name) for name in names}

    def get_compile_config(self):
        """The `compile` arguments, serialized (Keras' convention, so a saved GAN reloads compiled)."""
        if not hasattr(self, "_compile_arguments"):
            return None
        arguments = dict(self._compile_arguments)
        if _is_tensor(arguments["penalty_weight"]):
            arguments["penalty_weight"] = float(ops.convert_to_numpy(arguments["penalty_weight"]))
        return {
            **arguments,
            "loss": keras.saving.serialize_keras_object(self.gan_loss),
            "classifier_loss": keras.saving.serialize_keras_object(self.classifier_loss),
            "d_optimizer": keras.saving.serialize_keras_object(self.d_optimizer),
            "g_optimizer": keras.saving.serialize_keras_object(self.g_optimizer),
        }

    def compile_from_config(self, config):
        """Compiles from `get_compile_config()`'s output (called by `keras.saving.load_model`)."""
        config = dict(config)
        for key in ("d_optimizer", "g_optimizer", "loss", "classifier_loss"):
            config[key] = keras.saving.deserialize_keras_object(config.get(key))
        self.compile(**config)

    @property
    def metrics(self):
        return list(getattr(self, "_trackers", {}).values())

    def fit(self, x=None, y=None, batch_size=None, shuffle=True, **kwargs):
        """`keras.Model.fit`, with static batches and checks before training.

        Arrays become a `tf.data` pipeline batched with `drop_remainder=True`
        (shuffled each epoch when `shuffle`), so every step has the static
        batch that `d_steps` splits. Datasets must already be batched that
        way; an unbatched, ragged or remainder-keeping dataset is refused
        here with an explanation rather than failing inside the step.
        """
        if not hasattr(self, "d_steps"):
            raise ValueError("Call compile() before fit().")
        validation_split = kwargs.pop("validation_split", 0.0)
        if validation_split:
            x, y, kwargs["validation_data"] = self._split_validation(x, y, validation_split, batch_size)
        if kwargs.get("verbose", "auto") != 0:
            kwargs["callbacks"] = _with_progress_bar(kwargs.get("callbacks"))
        if _is_array(x):
            samples = x if self.num_classes is None else (x, _check_label_array(x, y, self.num_classes))
            x, y = self._array_dataset(samples, batch_size, shuffle), None
            batch_size = None
        if _is_tf_dataset(x):
            x = self._check_dataset(x)
        if _is_tf_dataset(x) or isinstance(x, keras.utils.PyDataset):
            shuffle = False  # arrays were shuffled above; datasets shuffle themselves
        with _signal_handlers_kept():
            return super().fit(x, y, batch_size=batch_size, shuffle=shuffle, **kwargs)

    def _split_validation(self, x, y, fraction, batch_size):
        """Keras' `validation_split` for arrays: the last `fraction` of the samples (and labels) is held out."""
        if not _is_array(x):
            raise ValueError("validation_split needs arrays; for a dataset, give validation_data instead.")
        if not 0.0 < fraction < 1.0:
            raise ValueError(f"validation_split must be in (0, 1), got {fraction}.")
        x = np.asarray(x)
        first = len(x) - int(len(x) * fraction)
        if first == len(x):
            raise ValueError(f"validation_split={fraction} holds out no sample of {len(x)}.")
        held_out = x[first:] if y is None else (x[first:], np.asarray(y)[first:])
        critic_batch = self._array_batch_size(batch_size) // self.d_steps
        validation = backend.batched_arrays(held_out, critic_batch, shuffle=False, drop_remainder=False)
        return x[:first], None if y is None else np.asarray(y)[:first], validation

    def _array_batch_size(self, batch_size):
        """The samples per step `fit` takes from arrays: `batch_size`, or Keras' 32 per critic step."""
        return batch_size or 32 * self.d_steps

    def _array_dataset(self, samples, batch_size, shuffle):
        batch_size = self._array_batch_size(batch_size)
        length = len(samples[0]) if isinstance(samples, tuple) else len(samples)
        if batch_size % self.d_steps:
            raise ValueError(
                f"batch_size={batch_size} cannot be split into d_steps={self.d_steps} equal "
                f"critic batches: use a multiple of {self.d_steps} (e.g. {self.d_steps * 64})."
            )
        if length < batch_size:
            raise ValueError(f"{length} samples are fewer than one batch of {batch_size}.")
        return backend.batched_arrays(samples, batch_size, shuffle=shuffle, seed=self.seed)

    def _check_dataset(self, dataset):
        """Checks the dataset's element spec; returns it, with a label range check when conditional."""
        import tensorflow as tf

        spec = dataset.element_spec
        label_spec = None
        if isinstance(spec, (tuple, list)):
            spec, label_spec = spec[0], (spec[1] if len(spec) > 1 else None)
        sample_shape = _sample_shape(self.discriminator, None if _has_classifier_head(self.discriminator)
                                     else self.num_classes)
        if not isinstance(spec, tf.TensorSpec):
            raise ValueError(
                f"The dataset yields {type(spec).__name__}, not dense tensors; convert ragged or "
                "sparse samples to a fixed shape (e.g. resize images) before batching."
            )
        if tuple(spec.shape[1:]) != sample_shape:
            raise ValueError(
                f"The dataset yields elements of shape {tuple(spec.shape)}; the discriminator takes "
                f"batches of {sample_shape}. Batch the dataset (dataset.batch(n, drop_remainder=True)) "
                "and make its samples match the generator's output."
            )
        if spec.shape[0] is None:
            raise ValueError(
                "The dataset's batch size is not static: batch it with drop_remainder=True, so "
                "every step has a full batch to split into critic batches."
            )
        _split_sizes(spec.shape[0], self.d_steps)
        if self.num_classes is None:
            return dataset
        _check_label_spec(label_spec, spec.shape[0])
        return dataset.map(lambda samples, labels: (samples, _assert_label_range(labels, self.num_classes)))

    def call(self, inputs, training=False):
        """The generator's samples (inputs: z, or `[z, labels]` when conditional), with EMA weights if any."""
        mapping = list(zip(self.generator.trainable_variables, self._ema_weights))
        with InheritingScope([(v, a.value) for v, a in mapping]):
            return self.generator(inputs, training=training)

    def sample(self, num_samples, labels=None, truncation=None):
        """`num_samples` generated samples from fresh latents (EMA weights if any).

        The latents come from a stream of their own, keyed by the GAN's seed,
        its step and the call's rank at that step: sampling between training
        steps leaves the training run unchanged, and equal seeds sample alike.

        Args:
            num_samples: how many samples.
            labels: for a conditional GAN, the class of each sample (default:
                the classes in turn, `0, 1, ..., num_classes - 1, 0, ...`).
            truncation: None for the GAN's own `truncation`, or a float > 0:
                draw latents from the normal truncated to `[-truncation,
                truncation]` (the truncation trick).

        Returns:
            A tensor of `num_samples` samples.
        """
        truncation = self.truncation if truncation is None else truncation
        latents = normal_latents((num_samples, self.latent_dim), seed=self._sampling_seed(), truncation=truncation)
        if self.num_classes is None:
            if labels is not None:
                raise ValueError("This GAN is unconditional (num_classes=None): sample() takes no labels.")
            return self(latents, training=False)
        if labels is None:
            labels = np.arange(num_samples) % self.num_classes
        labels = _check_label_array(np.zeros(num_samples), labels, self.num_classes)
        return self([latents, ops.convert_to_tensor(labels)], training=False)

    def critic_scores(self, samples, labels=None, batch_size=500):
        """The critic's score of each real or generated sample, in inference mode, as NumPy.

        The samples go through what training does to real ones (PGGAN's
        fade-in at the current level), not through DiffAugment.

        Args:
            samples: an array `(n, ...)` of samples.
            labels: their classes, for a conditional critic.
            batch_size: samples per call of the critic (rounded down to a
                multiple of PacGAN's m).

        Returns:
            An array `(n,)` (higher: judged more real, for every loss but
            EBGAN's energy; `n // m` scores of consecutive packs for PacGAN's
            critic, the last `n % m` samples left out), or None when the
            critic gives several logits per sample (MAD-GAN's).
        """
        if (labels is None) != (self.num_classes is None):
            raise ValueError("critic_scores takes labels exactly when the GAN is conditional "
                             f"(num_classes={self.num_classes}).")
        pack = _pack_size(self.discriminator)
        batch_size = max(pack, batch_size - batch_size % pack)
        usable = len(samples) - len(samples) % pack
        scores = []
        for start in range(0, usable, batch_size):
            stop = min(start + batch_size, usable)
            batch = self._real_samples(ops.convert_to_tensor(np.asarray(samples[start:stop])))
            batch_labels = None if labels is None else ops.convert_to_tensor(labels[start:stop])
            logits, _ = self._scores(batch, batch_labels, training=False)
            scores.append(ops.convert_to_numpy(logits))
        scores = np.concatenate(scores)
        if scores.ndim == 2 and scores.shape[1] != 1:
            return None
        return scores.reshape(len(scores))

    def _sampling_seed(self):
        """An int seed for `sample`'s latents, drawn from (the GAN's seed, the step, the call at that step).

        Not training's seed generator: evaluating or sampling between steps
        would move its state and change the run. Keyed by the step (which
        checkpoints restore), so a resumed run samples as an uninterrupted one.
        """
        step = int(ops.convert_to_numpy(self.train_steps))
        self._sampling_calls = self._sampling_calls + 1 if step == self._sampling_step else 0
        self._sampling_step = step
        words = np.random.SeedSequence([self._sampling_key, step, self._sampling_calls]).generate_state(1)
        return int(words[0] >> 1)  # a non-negative int32

    def ema_generator(self):
        """A copy of the generator holding the EMA weights (the generator itself without EMA)."""
        if not self._ema_weights:
            return self.generator
        copy = keras.models.clone_model(self.generator)
        copy.set_weights(self.generator.get_weights())
        for target, average in zip(copy.trainable_variables, self._ema_weights):
            target.assign(average.value)
        return copy

    def train_step(self, *args):
        """One generator step after `d_steps` critic steps (on JAX, Keras' stateless `(state, data)` form)."""
        return backend.stateful_step(self, self._train_step, *args)

    def _train_step(self, data):
        real, labels = _samples_and_labels(data, self.num_classes)
        chunks = _split(self._real_samples(real), self.d_steps)
        label_chunks = _split(labels, self.d_steps) if labels is not None else [None] * self.d_steps
        critic_finite = []
        for chunk, chunk_labels in zip(chunks, label_chunks):
            d_logs, finite = self._critic_step(chunk, chunk_labels)
            critic_finite.append(finite)
        g_logs, generator_finite = self._generator_step(chunk, chunk_labels)
        self._update_ema()
        all_finite = ops.all(ops.stack([*critic_finite, generator_finite]))
        self._count_step(all_finite)
        # Losses are each replica's share of a global mean; the trackers
        # average over replicas, so log the share times the replica count.
        # Non-finite values are left out, so one bad step does not turn the
        # epoch's averages into NaN.
        replicas = backend.num_replicas()
        for name, value in {**d_logs, **g_logs}.items():
            if name not in self._trackers:
                continue
            finite = generator_finite if name in g_logs else critic_finite[-1]
            self._trackers[name].update_state(
                ops.where(finite, value * replicas, 0.0), sample_weight=ops.cast(finite, "float32")
            )
        if "max_sigma" in self._trackers:
            self._trackers["max_sigma"].update_state(self._max_sigma())
        logs = {name: tracker.result() for name, tracker in self._trackers.items()}
        logs["skipped_steps"] = ops.cast(self.skipped_steps, "float32")
        return backend.logs_for_keras(logs)

    def test_step(self, *args):
        """Losses and the Wasserstein estimate on held-out real data; nothing is updated.

        `evaluate` and `fit(validation_data=...)` call it: fake samples come
        from fixed latents (a constant seed, so the GAN's seed generator and
        therefore training stay as they were), both networks run in
        inference mode, and no penalty is computed (it is a training
        regularizer, not a loss).
        """
        return backend.stateful_step(self, self._test_step, *args)

    def _test_step(self, data):
        real, labels = _samples_and_labels(data, self.num_classes)
        real = ops.cast(real, "float32")
        latents = keras.random.normal((ops.shape(real)[0], self.latent_dim), seed=_EVALUATION_SEED)
        fake = ops.cast(self.generator(_inputs(latents, labels), training=False), real.dtype)
        real_logits, _ = self._scores(real, labels, training=False)
        fake_logits, _ = self._scores(fake, labels, training=False)
        values = {
            "d_loss": self.gan_loss.discriminator_loss(real_logits, fake_logits),
            "g_loss": self.gan_loss.generator_loss(fake_logits),
            "wasserstein_estimate": _wasserstein_estimate(real_logits, fake_logits),
        }
        replicas = backend.num_replicas()
        for name, value in values.items():
            self._trackers[name].update_state(value * replicas)
        return backend.logs_for_keras({name: self._trackers[name].result() for name in values})

    def _real_samples(self, real):
        """The real batch as the critic sees it (a subclass may transform it, e.g. PGGAN's fade-in of reals)."""
        return real

    def _count_step(self, all_finite):
        skipped = ops.cast(ops.logical_not(all_finite), backend.COUNTER_DTYPE)
        self.train_steps.assign_add(ops.ones((), backend.COUNTER_DTYPE))
        self.skipped_steps.assign_add(skipped)
        self.consecutive_skipped_steps.assign((self.consecutive_skipped_steps + skipped) * skipped)

    def _latents(self, batch):
        return self._replica_rows(keras.random.normal, (batch, self.latent_dim))

    def _replica_rows(self, draw, shape):
        """This replica's rows of one draw for the global batch.

        Every replica draws the same global batch (same seed state) and
        keeps its own rows, so replicas get distinct values and a run on N
        replicas sees exactly the draws of a one-device run.
        """
        values = draw((shape[0] * backend.num_replicas(), *shape[1:]), seed=self.seed_generator)
        return backend.replica_rows(values, shape[0])

    def _augmented(self, samples):
        """DiffAugment's transform of the samples when compiled with `augment`, drawn as `_replica_rows` draws."""
        if not self.augment:
            return samples
        noise = self._replica_rows(keras.random.uniform, (ops.shape(samples)[0], diff_augment.NOISE_DIMS))
        return diff_augment.augment(samples, noise, self.augment)

    def _critic_step(self, real_batch, labels):
        latents = self._latents(ops.shape(real_batch)[0])
        critic_variables = self.discriminator.trainable_variables

        def critic_loss(tape):
            # Samples in the data's dtype (float32 under mixed precision), so
            # penalties interpolate in full precision.
            fake = self._augmented(ops.cast(self.generator(_inputs(latents, labels), training=True),
                                            real_batch.dtype))
            real = self._augmented(real_batch)
            d_loss, logs, (real_logits, fake_logits) = self._critic_objective(real, fake, labels)
            penalty = ops.zeros((), "float32")
            if self.penalty is not None:
                alphas = None
                if self.penalty in _INTERPOLATING:
                    alphas = self._replica_rows(keras.random.uniform, (ops.shape(real)[0],))
                penalty = _PENALTIES[self.penalty](
                    self._adversarial_critic, real, fake, self._critic_labels(labels), self.penalty_weight, tape,
                    self.seed_generator, alphas
                )
            total = d_loss + penalty
            logs.update(d_loss=d_loss, penalty=penalty,
                        wasserstein_estimate=_wasserstein_estimate(real_logits, fake_logits))
            return self.d_optimizer.scale_loss(total), (total, logs)

        _, (total, logs), grads = backend.value_and_gradients(critic_loss, critic_variables)
        finite = _all_finite(total, grads, self.d_optimizer)
        _apply_if(finite, self.d_optimizer, grads, critic_variables)
        return logs, finite

    def _critic_objective(self, real, fake, labels):
        """The critic's loss without its penalty: `(loss, logs, (real_logits, fake_logits))`."""
        real_logits, real_classes = self._scores(real, labels, training=True)
        fake_logits, fake_classes = self._scores(fake, labels, training=True)
        d_loss = self.gan_loss.discriminator_loss(real_logits, fake_logits)
        logs = {}
        if self.classifier_loss is not None:
            logs["d_classifier_loss"] = self.classifier_loss.discriminator_loss(real_classes, fake_classes, labels)
            d_loss += logs["d_classifier_loss"]
        d_loss += _regularization(self.discriminator.losses)
        if self.drift_weight:
            logs["drift"] = gan_penalties.drift_penalty(real_logits, weight=self.drift_weight)
            d_loss += logs["drift"]
        return d_loss, logs, (real_logits, fake_logits)

    def _generator_scores(self, fake, real, labels):
        """The critic's `(logits, class_logits)` of the fake samples in a generator step: the current critic's,
        or, unrolled, those of the critic after `unrolled_steps` updates on `real` and `fake`."""
        if not self.unrolled_steps:
            return self._scores(fake, labels, training=True)
        critic_variables = self.discriminator.trainable_variables

        def objective(values):
            with InheritingScope(zip(critic_variables, values)):
                return self._critic_objective(real, fake, labels)[0]

        # A scope of its own: what the unrolled critic assigns (power iteration, batch statistics) is dropped.
        with InheritingScope():
            values = unrolling.unrolled_parameters(objective, critic_variables, self.d_optimizer,
                                                   self.unrolled_steps, self.unrolled_optimizer)
            with InheritingScope(zip(critic_variables, values)):
                return self._scores(fake, labels, training=True)

    def _generator_trainable_variables(self):
        """What the generator step updates (a subclass may add its own networks, e.g. MRGAN's encoder)."""
        return self.generator.trainable_variables

    def _generator_term_names(self):
        """The names of `_generator_terms`, logged."""
        return ["pulling_away"] if self.pulling_away_weight else []

    def _generator_terms(self, fake, real, labels):
        """Named terms added to the generator's loss: EBGAN's pulling-away term when compiled with one."""
        if self._codes is None:
            return {}
        return {"pulling_away": gan_penalties.pulling_away_term(self._codes(fake, training=True),
                                                                weight=self.pulling_away_weight)}

    def _generator_step(self, real, labels):
        latents = self._latents(ops.shape(real)[0])
        generator_variables = self._generator_trainable_variables()

        def generator_loss(tape):
            fake = self._augmented(self.generator(_inputs(latents, labels), training=True))
            fake_logits, fake_classes = self._generator_scores(fake, real, labels)
            g_loss = self.gan_loss.generator_loss(fake_logits)
            logs = {}
            if self.classifier_loss is not None:
                logs["g_classifier_loss"] = self.classifier_loss.generator_loss(fake_classes, labels)
                g_loss += logs["g_classifier_loss"]
            for name, value in self._generator_terms(fake, real, labels).items():
                logs[name] = value
                g_loss += value
            regularization_losses = self.generator.losses
            if regularization_losses:
                logs["g_regularization"] = _regularization(regularization_losses)
                g_loss += logs["g_regularization"]
            logs["g_loss"] = g_loss
            return self.g_optimizer.scale_loss(g_loss), logs

        _, logs, grads = backend.value_and_gradients(generator_loss, generator_variables)
        finite = _all_finite(logs["g_loss"], grads, self.g_optimizer)
        _apply_if(finite, self.g_optimizer, grads, generator_variables)
        return logs, finite

    def _critic_labels(self, labels):
        """The labels the discriminator takes: none for an AC-GAN discriminator, which predicts them."""
        return None if self.classifier_loss is not None else labels

    def _scores(self, samples, labels, training):
        """`(logits, class_logits)` of the discriminator; class_logits is None without a classifier head."""
        outputs = self.discriminator(_inputs(samples, self._critic_labels(labels)), training=training)
        if self.classifier_loss is None:
            return outputs, None
        return outputs[0], outputs[1]

    def _update_ema(self):
        if not self._ema_weights:
            return
        decay = ema_decay_at(self.train_steps, self.ema_decay, self.ema_start)
        for average, variable in zip(self._ema_weights, self.generator.trainable_variables):
            average.assign(ops.cast(decay, average.dtype) * average + ops.cast(1.0 - decay, average.dtype) * variable)

    def _max_sigma(self):
        sigmas = [ops.cast(layer.sigma, "float32") for layer in _spectral_normalization_layers(self.discriminator)]
        return ops.max(ops.stack(sigmas))

    def get_config(self):
        return {
            **super().get_config(),
            "generator": keras.saving.serialize_keras_object(self.generator),
            "discriminator": keras.saving.serialize_keras_object(self.discriminator),
            "latent_dim": self.latent_dim,
            "num_classes": self.num_classes,
            "seed": self.seed,
            "ema_decay": self.ema_decay,
            "ema_start": self.ema_start,
            "truncation": self.truncation,
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        for key in ("generator", "discriminator"):
            config[key] = keras.saving.deserialize_keras_object(config[key], custom_objects=custom_objects)
        return cls(**config)


# Latents of `test_step`: the same for every evaluation, drawn without touching the seed generator.
_EVALUATION_SEED = 1234


def _is_tensor(value):
    return isinstance(value, keras.Variable) or backend.is_tensor(value)


def _is_array(value):
    return isinstance(value, np.ndarray) or backend.is_tensor(value)


def _is_tf_dataset(value):
    # Only a process that imported TensorFlow can hold a tf.data dataset.
    tf = sys.modules.get("tensorflow")
    return tf is not None and isinstance(value, tf.data.Dataset)


def _wasserstein_estimate(real_logits, fake_logits):
    """Mean real minus mean fake score, per sample as the losses see them."""
    return _reduction.reduce_per_sample(
        _reduction.per_sample(real_logits) - _reduction.per_sample(fake_logits), "mean"
    )


def _regularization(losses):
    """The sum of a model's regularization losses (`model.losses`) in float32, 0 without any.

    Each replica adds its share (the sum over replicas of gradients is then
    the regularizer's gradient once).
    """
    if not losses:
        return ops.zeros((), "float32")
    total = ops.sum(ops.stack([ops.cast(loss, "float32") for loss in losses]))
    return total / backend.num_replicas()


def _has_classifier_head(discriminator):
    """An AC-GAN discriminator: two outputs, the logit and the class logits."""
    return len(getattr(discriminator, "outputs", None) or ()) == 2


def _pack_size(critic):
    """PacGAN's m: the samples a critic scores at once (1 without a `Packing` layer)."""
    return next((layer.m for layer in critic.layers if isinstance(layer, Packing)), 1)


def _spectral_normalization_layers(model):
    # Every layer, also inside custom layers (ClassProjection, SelfAttention2D).
    return [layer for layer in model._flatten_layers(include_self=False) if isinstance(layer, SpectralNormalization)]


def _augment_policy(augment, generator):
    """The checked DiffAugment policies ("" for none); they apply to images only."""
    policy = ",".join(diff_augment.parse_policy(augment))
    if policy and len(generator.outputs[0].shape) != 4:
        raise ValueError(f"augment={augment!r} needs a generator of images (batch, height, width, channels); this one "
                         f"makes samples of shape {generator.outputs[0].shape[1:]}.")
    return policy


def _codes_model(discriminator):
    """The discriminator up to its layer `"codes"` (EBGAN's encoder), for the pulling-away term."""
    from keras_lipschitz.architectures.autoencoder import CODES_LAYER

    names = [layer.name for layer in discriminator.layers]
    if CODES_LAYER not in names:
        raise ValueError(f"pulling_away_weight needs a discriminator with a layer named {CODES_LAYER!r} (its codes), "
                         "e.g. architectures.autoencoder_discriminator; this one has none.")
    return keras.Model(discriminator.inputs, discriminator.get_layer(CODES_LAYER).output)


def _unrolling(steps, optimizer_name, penalty, augment, d_optimizer):
    """The checked `(unrolled_steps, unrolled_optimizer)` of `compile`."""
    _validation.check_non_negative_integer("unrolled_steps", steps, hint="5 or 10 in Metz et al. 2017; 0: none")
    unrolling.check_unrollable(optimizer_name, d_optimizer if steps else None, argument="unrolled_optimizer")
    if steps and (penalty is not None or augment):
        raise ValueError("unrolled_steps > 0 unrolls the critic's loss without a penalty or DiffAugment (their "
                         "unrolled gradients would need third derivatives); drop penalty/augment or set "
                         "unrolled_steps=0.")
    return steps, optimizer_name


def _warn_about_batch_normalization(discriminator, penalty):
    """The WGAN-GP paper (sec. 4): a gradient penalty is per sample, and batch normalization mixes samples."""
    found = [layer.name for layer in discriminator._flatten_layers(include_self=False)
             if isinstance(layer, keras.layers.BatchNormalization)]
    if found:
        warnings.warn(
            f"The discriminator has BatchNormalization ({', '.join(found[:3])}) and is trained with the "
            f"{penalty!r} penalty, which penalizes each sample's gradient; batch normalization makes each "
            "output depend on the whole batch, so the penalty no longer constrains the critic per sample "
            "(Gulrajani et al. 2017, sec. 4). Use keras.layers.LayerNormalization (or no normalization).",
            stacklevel=3,
        )


class _ProgressBar(keras.callbacks.ProgbarLogger):
    """Keras' progress bar, without `skipped_steps` while no step was skipped."""

    def _update_progbar(self, batch, logs=None):
        super()._update_progbar(batch, _shown(logs))

    def _finalize_progbar(self, logs):
        super()._finalize_progbar(_shown(logs))


def _shown(logs):
    logs = dict(logs or {})
    if "skipped_steps" in logs and not float(logs["skipped_steps"]):
        del logs["skipped_steps"]
    return logs


def _with_progress_bar(callbacks):
    callbacks = list(callbacks or [])
    if not any(isinstance(callback, keras.callbacks.ProgbarLogger) for callback in callbacks):
        callbacks.append(_ProgressBar())
    return callbacks


def ema_decay_at(step, decay, start=0):
    """The EMA decay used at generator step `step` (counted from 0): 0 before `start`, then
    `min(decay, (1 + t) / (10 + t))` with `t = step - start`.

    Reference: TensorFlow's `tf.train.ExponentialMovingAverage(num_updates=...)`;
    Brock et al. 2019, Appendix C (an EMA of G that starts after 20k iterations).
    """
    t = ops.cast(step, "float32") - float(start)
    warmed = ops.minimum(decay, (1.0 + t) / (10.0 + t))
    return ops.where(t < 0.0, 0.0, warmed)


def _with_loss_scaling(optimizer):
    """Wraps the optimizer for dynamic loss scaling under mixed_float16, as Keras' compile does."""
    float16 = keras.config.dtype_policy().name == "mixed_float16"
    if float16 and not isinstance(optimizer, keras.optimizers.LossScaleOptimizer):
        return keras.optimizers.LossScaleOptimizer(optimizer)
    return optimizer


@contextlib.contextmanager
def _signal_handlers_kept():
    """Puts back the signal handlers that callbacks (`GANCheckpoint`'s SIGTERM)
    installed, also when fit ends by an exception and skips `on_train_end`."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    before = {number: signal.getsignal(number) for number in signal.valid_signals()}
    try:
        yield
    finally:
        for number, handler in before.items():
            if signal.getsignal(number) is not handler and handler is not None:
                signal.signal(number, handler)


def _all_finite(loss, grads, optimizer):
    """Whether the loss (and gradients) hold no NaN or inf, on every replica.

    The answer is the same on every replica (an all-reduce), so all of them
    skip or apply the same update. Under a `LossScaleOptimizer` gradients
    overflow by design while it searches for a loss scale; it skips those
    steps itself, so only the loss is checked.
    """
    tensors = [loss] if isinstance(optimizer, keras.optimizers.LossScaleOptimizer) else [loss, *grads]
    finite = ops.all(ops.stack([ops.all(ops.isfinite(tensor)) for tensor in tensors]))
    return backend.all_replicas(finite)


def _apply_if(finite, optimizer, grads, variables):
    """`optimizer.apply(grads, variables)` when `finite`; otherwise nothing changes (see `backend.apply_if`)."""
    if isinstance(optimizer, keras.optimizers.LossScaleOptimizer):
        backend.apply(optimizer, grads, variables)  # skips non-finite gradients itself
        return
    backend.apply_if(finite, optimizer, grads, variables)


def _split_sizes(batch, parts):
    if batch is not None and batch % parts != 0:
        raise ValueError(
            f"A batch of {batch} cannot be split into d_steps={parts} equal critic "
            f"batches; batch the dataset by a multiple of {parts} with "
            "drop_remainder=True (e.g. batch_size = d_steps * 64)."
        )


def _split(values, parts):
    """Strided split: part k holds rows k, k + parts, k + 2 * parts, ...

    Under a strategy each replica splits its own rows, and the union of the
    replicas' part k is then exactly part k of the one-device split of the
    global batch (a contiguous split would mix different rows).
    """
    _split_sizes(values.shape[0], parts)
    if parts == 1:
        return [values]
    grouped = ops.reshape(values, (values.shape[0] // parts, parts, *values.shape[1:]))
    return ops.unstack(grouped, axis=1)


def _samples_and_labels(data, num_classes):
    """`fit` delivers samples, or (samples, labels, ...); labels only matter when conditional."""
    if not isinstance(data, (tuple, list)):
        return data, None
    return data[0], (data[1] if num_classes is not None else None)


def _inputs(values, labels):
    return values if labels is None else [values, labels]


def _input_shapes(model, num_classes, name):
    """The model's input shapes without the batch axis: [main] or [main, labels]."""
    shapes = model.input_shape
    shapes = [shapes] if isinstance(shapes, tuple) and not isinstance(shapes[0], (tuple, list)) else list(shapes)
    shapes = [tuple(shape[1:]) for shape in shapes]
    expected = 1 if num_classes is None else 2
    if len(shapes) != expected:
        what = "one input" if num_classes is None else "two inputs, [values, labels]"
        raise ValueError(
            f"With num_classes={num_classes} the {name} must take {what}; it takes {len(shapes)} "
            f"({shapes}). Conditional models take labels of shape (batch,) or (batch, 1) as their "
            "second input; unconditional ones take no labels."
        )
    if num_classes is not None and shapes[1] not in ((), (1,)):
        raise ValueError(f"The {name}'s labels input must have shape (batch,) or (batch, 1), not {shapes[1]}.")
    return shapes


def _sample_shape(discriminator, num_classes):
    return _input_shapes(discriminator, num_classes, "discriminator")[0]


def _check_models(generator, discriminator, latent_dim, num_classes=None):
    """Clear errors before training: shapes must chain G -> D -> one logit."""
    for name, model in (("generator", generator), ("discriminator", discriminator)):
        if not isinstance(model, keras.Model) or not model.built:
            raise ValueError(
                f"The {name} must be a built Keras model with a known input shape "
                f"(e.g. keras.Sequential([keras.Input(shape), ...])); got {model!r}."
            )
    z_shape = _input_shapes(generator, num_classes, "generator")[0]
    if z_shape != (latent_dim,):
        raise ValueError(
            f"The generator takes latents of shape {z_shape}, but latent_dim={latent_dim}: "
            f"give the generator keras.Input(({latent_dim},)) or set latent_dim={z_shape[-1]}."
        )
    sample_shape = tuple(generator.output_shape[1:])
    auxiliary = _has_classifier_head(discriminator)
    if auxiliary and num_classes is None:
        raise ValueError("The discriminator has two outputs (an AC-GAN classifier head), which needs num_classes.")
    data_shape = _sample_shape(discriminator, None if auxiliary else num_classes)
    if sample_shape != data_shape:
        raise ValueError(
            f"The generator produces samples of shape {sample_shape} but the "
            f"discriminator takes {data_shape}; they must match the data's shape."
        )
    if auxiliary and tuple(discriminator.outputs[1].shape[1:]) != (num_classes,):
        raise ValueError(f"An AC-GAN discriminator's second output must be class logits (batch, {num_classes}); it "
                         f"returns {tuple(discriminator.outputs[1].shape)}.")


def _check_scores(discriminator, gan_loss):
    """The critic returns the scores per sample that the loss takes: one logit, or (MAD-GAN) k + 1 logits."""
    auxiliary = _has_classifier_head(discriminator)
    score_shape = tuple((discriminator.outputs[0].shape if auxiliary else discriminator.output_shape)[1:])
    expected = gan_loss.scores_per_sample
    if expected == 1 and score_shape not in ((), (1,)):
        raise ValueError(
            f"The discriminator must return one logit per sample, shape (batch,) or "
            f"(batch, 1); it returns (batch, {', '.join(map(str, score_shape))}). "
            "End it with keras.layers.Dense(1) and no sigmoid."
        )
    if expected > 1 and score_shape != (expected,):
        raise ValueError(f"The {gan_loss.name} loss takes {expected} logits per sample, (batch, {expected}); the "
                         f"discriminator returns (batch, {', '.join(map(str, score_shape))}).")


def _check_label_array(samples, labels, num_classes):
    """Labels given as an array next to `len(samples)` samples: integers in range, one per sample."""
    if labels is None:
        raise ValueError(
            f"This GAN is conditional (num_classes={num_classes}): give labels, "
            "fit(samples, labels) or a dataset of (samples, labels)."
        )
    labels = np.asarray(labels)
    if labels.ndim == 2 and labels.shape[1] == 1:
        labels = labels[:, 0]
    if labels.ndim != 1 or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(
            f"Labels must be integer class indices of shape (n,), got dtype {labels.dtype} and "
            f"shape {labels.shape}; convert one-hot labels with argmax(axis=-1)."
        )
    if len(labels) != len(samples):
        raise ValueError(f"{len(samples)} samples but {len(labels)} labels: give one label per sample.")
    out_of_range = (labels < 0) | (labels >= num_classes)
    if out_of_range.any():
        first = int(np.flatnonzero(out_of_range)[0])
        raise ValueError(
            f"Label {int(labels[first])} (index {first}) is outside [0, {num_classes}); "
            f"{int(out_of_range.sum())} labels are out of range. Set num_classes to the number of classes."
        )
    return labels.astype("int32")


def _check_label_spec(label_spec, batch):
    import tensorflow as tf

    if label_spec is None:
        raise ValueError(
            "This GAN is conditional: the dataset must yield (samples, labels) pairs, "
            "e.g. tf.data.Dataset.from_tensor_slices((images, labels)).batch(...)."
        )
    if not isinstance(label_spec, tf.TensorSpec) or not label_spec.dtype.is_integer:
        raise ValueError(f"Labels must be integer class indices, the dataset yields {label_spec}.")
    if tuple(label_spec.shape) not in ((batch,), (batch, 1)):
        raise ValueError(
            f"The dataset yields labels of shape {tuple(label_spec.shape)} for batches of {batch} "
            f"samples; give one label per sample, shape ({batch},)."
        )


def _assert_label_range(labels, num_classes):
    import tensorflow as tf

    # In the input pipeline (host side): an out-of-range label would otherwise
    # read a wrong embedding row on GPU and TPU without any error.
    check = tf.debugging.assert_less(
        tf.cast(labels, tf.int64),
        tf.cast(num_classes, tf.int64),
        message=f"a label is >= num_classes={num_classes}; labels must be in [0, num_classes)",
    )
    check_low = tf.debugging.assert_non_negative(labels, message="a label is negative")
    with tf.control_dependencies([check, check_low]):
        return tf.identity(labels)
