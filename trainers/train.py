"""`keras-lipschitz-train`: train a Lipschitz-constrained GAN, with pictures, evaluation and checkpoints.

With no flags it trains an SNGAN on scikit-learn's bundled 8x8 digits (no
download) in a few CPU minutes and writes everything under `runs/`:

    keras-lipschitz-train
    keras-lipschitz-train --dataset=grid25 --gan=wgan_gp --steps=3000
    keras-lipschitz-train --dataset=tfds:cifar10 --architecture=resnet --strategy=mirrored

Run it again with the same `--out_dir` to resume from the newest checkpoint:
the run continues with the data, latents and state an uninterrupted run
would have had. Recipe flags (--gan, --dataset, --batch_size, ...) must stay
the same; other settings (learning rates, --steps, ...) take their new
values and are listed. SIGTERM (pre-emption) finishes the step, writes a
checkpoint and exits with status 0; Ctrl-C does the same with status 130 (a
second Ctrl-C aborts at once); a streak of NaN/inf steps stops the run with
status 1 and names the last good checkpoint.
"""

import json
import math
import os
import pathlib
import signal
import sys
import time

from absl import app
from absl import flags

from keras_lipschitz import _cli
from keras_lipschitz import _files
from keras_lipschitz import recipes

# Data parallelism by backend: tf.distribute strategies on TensorFlow, keras.distribution on JAX.
STRATEGIES = {"tensorflow": ("default", "mirrored", "multi_worker", "tpu"), "jax": ("default", "data_parallel")}
PRECISIONS = ("float32", "mixed_float16", "mixed_bfloat16")
ARCHITECTURES = ("auto", "mlp", "dcgan", "radford", "resnet", "biggan", "progressive")

FLAGS = flags.FLAGS
# The recipe (keras_lipschitz.recipes); every override defaults to the recipe's value for the data.
flags.DEFINE_enum("gan", "sngan", recipes.names(), "Recipe (--list_recipes shows them with their papers and "
                  "settings): sngan, wgan_gp, wgan, dcgan, gan, cgan, acgan, acgan_mod, projection, sagan or biggan.")
flags.DEFINE_bool("list_recipes", False, "Print the recipes with their papers and settings, and exit.")
flags.DEFINE_string("loss", None, "Override the recipe's loss: one of keras_lipschitz.losses.NAMES.")
flags.DEFINE_string("penalty", None, "Override the recipe's penalty: none, gradient_penalty, "
                    "one_sided_gradient_penalty, r1, r2 or dragan.")
flags.DEFINE_float("penalty_weight", None, "Override the penalty weight (lambda, or gamma for R1/R2).")
flags.DEFINE_integer("d_steps", None, "Override the critic steps per generator step.")
flags.DEFINE_float("d_learning_rate", None, "Override the critic's learning rate.")
flags.DEFINE_float("g_learning_rate", None, "Override the generator's learning rate (TTUR when it differs).")
flags.DEFINE_float("ema_decay", None, "Override the EMA of the generator's weights for sampling and export (0: "
                   "off; recipes use 0.999). The decay warms up as min(decay, (1 + t) / (10 + t)) over the t steps "
                   "since --ema_start.")
flags.DEFINE_integer("ema_start", None, "Override the generator step at which the EMA starts averaging: before it "
                     "the EMA is the generator itself, so a shorter run samples its raw generator (recipes: 1000 on "
                     "images; BigGAN starts at 20,000).")
flags.DEFINE_bool("conditional", None, "Override the recipe: train a conditional GAN on the dataset's labels, "
                  "conditioned as the recipe says (cgan, acgan, acgan_mod, projection and biggan are conditional; the "
                  "others condition by projection: conditional BN in G, projection discriminator).")
flags.DEFINE_float("truncation", None, "Sample truncated (BigGAN's truncation trick): latents of the pictures, the "
                   "evaluation and the exported sample signature drawn from the normal truncated to [-t, t] (0: "
                   "none, the recipes' default).")
flags.DEFINE_string("diffaugment", None, "Override the recipe's DiffAugment policies (Zhao et al. 2020): "
                    "comma-separated from color, translation, cutout, applied to real and generated images in every "
                    "step ('' for none). Recommended with --data_fraction below 1.")
flags.DEFINE_integer("packing", None, "PacGAN (Lin et al. 2018): the critic scores packs of this many real or "
                     "generated samples, concatenated (2-4; 1: none). The batch must be a multiple of it.")
flags.DEFINE_integer("unrolled_steps", None, "Unrolled GAN (Metz et al. 2017): the generator's loss is taken "
                     "through this many differentiable critic updates (5 or 10 in the paper; 0: none). No penalty.")
flags.DEFINE_integer("fade_images", None, "Override the real images per fade-in phase of the progressive "
                     "architecture (pggan); 0 trains the final resolution from the first step (no growth).")
flags.DEFINE_integer("stable_images", None, "Override the real images per stable phase of the progressive "
                     "architecture before the next resolution fades in.")
flags.DEFINE_string("level_batch_sizes", None, "Override the progressive architecture's real images per step at "
                    "each resolution, 4x4 first, e.g. 64,64,32,16 (PGGAN's minibatch per resolution; each must "
                    "divide --batch_size, which is what the data stream gives per step; '' for --batch_size at "
                    "every resolution).")
flags.DEFINE_float("label_smoothing", None, "Override the one-sided label smoothing of the minimax and "
                   "non-saturating losses (e.g. 0.1; Salimans et al. 2016).")
flags.DEFINE_enum("architecture", "auto", ARCHITECTURES, "Models: auto (the recipe's: mlp for 2-D data, a CNN "
                  "for images), mlp, dcgan (SNGAN's standard CNN), radford (DCGAN's own critic), resnet (SNGAN's "
                  "ResNet; SAGAN's with attention), biggan (BigGAN's generator) or progressive (PGGAN's growing "
                  "networks).")
flags.DEFINE_integer("latent_dim", None, "Override the latent size (recipes: 2 for 2-D data, 64 for images).")
# The data.
flags.DEFINE_string("dataset", "digits", "ring8, grid25, digits (embedded, no download), fashion_mnist, mnist, "
                    "idx:PATH (MNIST-style IDX files), tfds:NAME or folder:PATH.")
flags.DEFINE_string("data_dir", None, "The IDX files of fashion_mnist or mnist (default: Debian's package's), or "
                    "tensorflow-datasets' data directory.")
flags.DEFINE_integer("image_size", None, "Resize images to this size (IDX files and folders default to 32; 28x28 "
                     "IDX images are padded).")
flags.DEFINE_float("data_fraction", 1.0, "Train on a stratified, seeded fraction of the training examples "
                   "(data-limited training), in (0, 1].")
flags.DEFINE_integer("channels", None, "Convert images to 1 or 3 channels.")
# The run.
flags.DEFINE_integer("steps", None, "Override the generator steps to train for, in total, counting resumed ones "
                     "(recipes: 2000 on images, more on 2-D data).")
flags.DEFINE_integer("batch_size", None, "Override the critic batch size; each generator step reads d_steps of "
                     "them (recipes: 64 on images, 256 on 2-D data).")
flags.DEFINE_integer("seed", 0, "Seed of initialization, latents and shuffling.")
flags.DEFINE_string("out_dir", None, "Output directory (default runs/<dataset>-<gan>); resumes when it holds "
                    "a checkpoint of the same recipe.")
flags.DEFINE_integer("log_every", 100, "Generator steps per progress-bar epoch (one History row).")
flags.DEFINE_integer("sample_every", 500, "Save a sample picture every N generator steps.")
flags.DEFINE_integer("eval_every", 1000, "Evaluate every N generator steps (and at the end).")
flags.DEFINE_integer("checkpoint_every", 500, "Checkpoint every N generator steps (and at the end, and on SIGTERM).")
flags.DEFINE_integer("max_checkpoints", 3, "Keep the newest N checkpoints.")
flags.DEFINE_integer("nonfinite_patience", 50, "Stop after this many consecutive steps with NaN or inf (each one "
                     "is skipped).")
flags.DEFINE_integer("eval_samples", 1000, "Generated samples for image metrics.")
flags.DEFINE_string("inception_weights", None, "InceptionV3 weights file for FID/KID/IS on natural images.")
# The hardware.
flags.DEFINE_enum("strategy", "default", sorted({name for names in STRATEGIES.values() for name in names}),
                  "Data parallelism: on TensorFlow a tf.distribute strategy (mirrored, multi_worker, tpu); on JAX "
                  "data_parallel (keras.distribution.DataParallel over all devices, every host of a multi-host job).")
flags.DEFINE_string("tpu", None, "TPU name or address for --strategy=tpu.")
flags.DEFINE_enum("mixed_precision", "float32", PRECISIONS, "Keras dtype policy.")
flags.DEFINE_bool("jit_compile", None, "Compile the train step with XLA (default: on JAX, whose only fast mode it "
                  "is; off on TensorFlow). --nojit_compile on JAX runs every op eagerly, for debugging.")
flags.DEFINE_integer("verbose", 1, "0: silent, 1: progress bar, 2: one line per epoch.")

# Flags that override a recipe setting of the same name (--architecture=auto: the recipe's).
SETTING_FLAGS = ("loss", "penalty", "penalty_weight", "d_steps", "d_learning_rate", "g_learning_rate", "ema_decay",
                 "ema_start", "architecture", "latent_dim", "steps", "batch_size", "conditional", "truncation",
                 "label_smoothing", "diffaugment", "fade_images", "stable_images", "level_batch_sizes", "packing",
                 "unrolled_steps")
# What a resumed run must not change: it shapes the models, the checkpoint's
# variables or the data stream. Flags, then resolved recipe settings.
RECIPE_FLAGS = ("gan", "dataset", "image_size", "channels", "data_fraction", "mixed_precision", "seed")
RECIPE_SETTINGS = ("architecture", "conditional", "conditioning", "classifier_loss", "spectral_normalization",
                   "critic_normalization",
                   "generator_spectral_normalization", "attention_divisor", "weight_clipping", "loss", "penalty",
                   "d_steps", "optimizer", "learning_rate_schedule", "latent_dim", "shared_embedding_dim", "units",
                   "critic_depth", "g_filters", "d_filters", "batch_size", "ema_decay", "ema_start", "keras_backend",
                   "fade_images", "stable_images", "level_batch_sizes", "packing")
# Everything else is a setting: a resumed run takes its new value and says so.
# Learning rates are restored with the optimizers and set again afterwards.
NOT_RECORDED = ("out_dir", "list_recipes")
# Sources whose samples have a fixed shape (no resizing or channel conversion).
FIXED_SHAPE_DATASETS = {"digits": "8x8 grayscale images", "ring8": "2-D points", "grid25": "2-D points"}
CONFIG = "config.json"


class CommandError(Exception):
    """An expected failure: its message says what was wrong and what to do; no traceback."""


def main(argv):
    del argv
    if FLAGS.list_recipes:
        print(recipes.table())
        return
    flag_values = _checked_settings()
    settings = _run_settings(flag_values)
    out_dir = _process_out_dir(pathlib.Path(flag_values["out_dir"]), settings["strategy"])
    try:
        saved = _saved_config(out_dir)
        _check_recipe(out_dir, settings, saved)
        _train(settings, out_dir, saved)
    except (CommandError, _files.DamagedFileError) as error:
        raise SystemExit(f"Error: {error}") from None
    except KeyboardInterrupt:
        # A second Ctrl-C (the first one stops cleanly at the end of the step), or one before training.
        print(f"\nAborted by Ctrl-C: {_where_to_resume(out_dir / 'checkpoints')}", file=sys.stderr)
        sys.exit(130)


def _where_to_resume(checkpoints_dir):
    """The newest checkpoint in `checkpoints_dir`, in words, or that there is none yet: none is written during a
    streak of non-finite steps, so a signal can stop a run that has no checkpoint."""
    from keras_lipschitz.trainers import checkpoint

    found = checkpoint.checkpoints(checkpoints_dir)
    if not found:
        return "no checkpoint was written yet; the same command starts the run again."
    step, path = found[-1]
    return f"the newest checkpoint is {path} (step {step}); run the same command to resume from it."


def _process_out_dir(out_dir, strategy):
    """`out_dir`, or in a multi-process JAX job (KERAS_DISTRIBUTION_JOB_ADDRESSES set) `out_dir/process-<i>` for
    every process but the first: each keeps its own copy of the same state, and resumes from it."""
    if strategy != "data_parallel" or not os.environ.get("KERAS_DISTRIBUTION_JOB_ADDRESSES"):
        return out_dir
    from keras_lipschitz import backend

    backend.join_processes()  # before any computation
    index, _ = backend.process_shard()
    return out_dir if index == 0 else out_dir / f"process-{index}"


def _train(settings, out_dir, saved):
    import keras

    from keras_lipschitz import backend
    from keras_lipschitz import visualization
    from keras_lipschitz.trainers import callbacks
    from keras_lipschitz.trainers import checkpoint
    from keras_lipschitz.trainers import evaluation
    from keras_lipschitz.trainers import non_finite
    from keras_lipschitz.trainers import periodic
    from keras_lipschitz.trainers import step_log

    if settings["threads"]:  # before the runtime starts
        backend.set_threads(settings["threads"])
    _warn_if_slow_precision(settings["mixed_precision"], backend.has_accelerator())
    keras.config.set_dtype_policy(settings["mixed_precision"])
    # The evaluation measures against the whole dataset (its classifier, its real images), also when training
    # sees a fraction of it: rows of different fractions are then compared in one feature space.
    whole = _load_source(settings)
    source = _training_fraction(whole, settings)
    if settings["conditional"] and source.num_classes is None:
        raise app.UsageError(f"The {settings['gan']} recipe is conditional here and needs labels, and {source.name} "
                             "has none: use a labelled dataset (digits, tfds:mnist, ...) or --noconditional.")
    # A classifier trained here seeds only itself (one feature space for runs of every seed).
    evaluator = evaluation.Evaluator(whole, settings["eval_samples"], settings["inception_weights"],
                                     verbose=settings["verbose"], training_source=source)
    keras.utils.set_random_seed(settings["seed"])
    scope = _distribution_scope(settings)
    checkpoints_dir = out_dir / "checkpoints"
    found = checkpoint.checkpoints(checkpoints_dir)
    done = found[-1][0] if found else 0
    log_every = min(settings["log_every"], settings["steps"])
    with scope:
        gan, compile_arguments = _build(settings, source)
        gan.compile(**compile_arguments, jit_compile=_jit_compile(settings),
                    steps_per_execution=_steps_per_execution(settings, log_every, done))
    _resume(gan, found, saved, settings)
    _forget_after(out_dir, done)
    # Written once training starts: a run that fails before leaves nothing that blocks the next try.
    _write_config(out_dir, settings)
    global_batch = gan.d_steps * settings["batch_size"]
    # The batches from step `done` on, as an uninterrupted run reads them.
    dataset = source.batches(global_batch, seed=settings["seed"], labels=settings["conditional"], skip_batches=done)
    epochs = -(-settings["steps"] // log_every)
    saver = checkpoint.GANCheckpoint(checkpoints_dir, every_n_steps=settings["checkpoint_every"],
                                     max_to_keep=settings["max_checkpoints"],
                                     # Restored above already (the step count sets the first epoch).
                                     restore=False, save_on_signals=(signal.SIGTERM, signal.SIGINT))
    run_callbacks = [
        saver,
        periodic.StopAtStep(settings["steps"]),
        non_finite.TerminateOnNonFinite(settings["nonfinite_patience"], checkpoints_dir),
        callbacks.SampleImages(out_dir / "samples", log_dir=out_dir / "logs", every_n_steps=settings["sample_every"],
                               num_samples=2500 if source.kind == "points" else 64, seed=settings["seed"],
                               reference=source.means),
        step_log.StepLogger(out_dir / "history.csv", log_dir=out_dir / "logs"),
    ]
    evaluation_callback = None
    if evaluator.available:
        evaluation_callback = evaluation.EvaluationCallback(
            evaluator, settings["eval_every"], path=out_dir / "metrics.json", log_dir=out_dir / "logs" / "eval")
        run_callbacks.append(evaluation_callback)
    else:
        print(f"No evaluation for {source.name}: give --inception_weights for FID/KID/IS on natural images.")
    started = time.time()
    if done < settings["steps"]:
        try:
            gan.fit(dataset, steps_per_epoch=log_every, epochs=epochs, initial_epoch=done // log_every,
                    callbacks=run_callbacks, verbose=settings["verbose"])
        except non_finite.NonFiniteTrainingError as error:
            raise CommandError(str(error)) from None
    minutes = (time.time() - started) / 60
    if saver.preempted:
        print(f"\nStopped by {saver.preempted} at step {saver.generator_step()}: {_where_to_resume(checkpoints_dir)}")
        if saver.preempted == "SIGINT":
            sys.exit(130)  # the shell's convention for a run stopped by Ctrl-C
        return

    steps, history = step_log.read_history(out_dir / "history.csv")
    if history:
        visualization.save_png(visualization.plot_curves(history, steps=steps), out_dir / "curves.png")
    gan.ema_generator().save(out_dir / "generator.keras")
    results = evaluation_callback.results[-1] if evaluation_callback and evaluation_callback.results else {}
    _summary(settings, source, out_dir, results, minutes, evaluator)


def _resume(gan, found, saved, settings):
    """Restores the newest checkpoint of `found`, if any, and announces the settings that changed.

    A constant learning rate is a variable of the optimizer, which the
    checkpoint restores: it is set again from the settings. A schedule is
    built from the settings at compile time already.
    """
    from keras_lipschitz.trainers import checkpoint

    if not found:
        return
    step, path = found[-1]
    try:
        checkpoint.restore(gan, path)
    except ValueError as error:
        raise CommandError(str(error)) from None
    print(f"Resuming from {path} (step {step}).")
    _announce_changes(saved, settings)
    for optimizer, name in ((gan.d_optimizer, "d_learning_rate"), (gan.g_optimizer, "g_learning_rate")):
        try:
            optimizer.learning_rate = settings[name]
        except TypeError:
            pass  # a schedule, not settable: already built from the settings


def _jit_compile(settings):
    import keras

    return keras.backend.backend() == "jax" if settings["jit_compile"] is None else settings["jit_compile"]


def _steps_per_execution(settings, log_every, done):
    """The recipe's steps per compiled call, cut down so that every step a callback acts on (logs, samples,
    evaluations, checkpoints, the last step) ends a call, counted from the step the run starts at."""
    boundaries = (log_every, settings["steps"], settings["sample_every"], settings["eval_every"],
                  settings["checkpoint_every"], done)
    return math.gcd(settings["steps_per_execution"], *boundaries)


def _run_settings(flag_values):
    """The run's settings: the recipe's for the dataset, overridden by the flags given, and the other flags."""
    overrides = {name: flag_values[name] for name in SETTING_FLAGS}
    if overrides["architecture"] == "auto":
        overrides["architecture"] = None
    try:
        resolved = recipes.get(flag_values["gan"]).settings(flag_values["dataset"], **overrides)
    except ValueError as error:
        raise app.UsageError(str(error)) from None
    others = {name: value for name, value in flag_values.items()
              if name not in NOT_RECORDED and name not in SETTING_FLAGS}
    import keras

    # The data stream (tf.data on TensorFlow, numpy on JAX) depends on it: a run resumes on its own backend.
    return {**others, **resolved, "keras_backend": keras.backend.backend()}


def _checked_settings():
    """The flags as a dict, with every value checked and a clear message for a wrong one."""
    # The flags this module defines (absl also holds its own, e.g. --verbosity).
    settings = {flag.name: flag.value for flag in FLAGS.get_flags_for_module(__name__)}
    positive = ("steps", "batch_size", "log_every", "sample_every", "eval_every", "checkpoint_every", "eval_samples",
                "max_checkpoints", "nonfinite_patience")
    for name in positive + ("d_steps", "latent_dim", "image_size"):
        value = settings[name]
        if value is not None and value < 1:
            raise app.UsageError(f"--{name} must be >= 1, got {value}.")
    if settings["ema_start"] is not None and settings["ema_start"] < 0:
        raise app.UsageError(f"--ema_start must be >= 0, got {settings['ema_start']}.")
    if not 0.0 < settings["data_fraction"] <= 1.0:
        raise app.UsageError(f"--data_fraction must be in (0, 1], got {settings['data_fraction']}.")
    if settings["channels"] not in (None, 1, 3):
        raise app.UsageError(f"--channels must be 1 or 3, got {settings['channels']}.")
    if settings["truncation"] is not None and not settings["truncation"] >= 0.0:
        raise app.UsageError(f"--truncation must be >= 0 (0: none), got {settings['truncation']}.")
    if settings["label_smoothing"] is not None and not 0.0 <= settings["label_smoothing"] < 1.0:
        raise app.UsageError(f"--label_smoothing must be in [0, 1), got {settings['label_smoothing']}.")
    if settings["ema_decay"] is not None and not 0.0 <= settings["ema_decay"] < 1.0:
        raise app.UsageError(f"--ema_decay must be in [0, 1) (0 turns EMA off), got {settings['ema_decay']}.")
    for name in ("d_learning_rate", "g_learning_rate", "penalty_weight"):
        if settings[name] is not None and not settings[name] > 0:
            raise app.UsageError(f"--{name} must be > 0, got {settings[name]}.")
    _check_shape_flags(settings)
    from keras_lipschitz import losses
    from keras_lipschitz.trainers import PENALTIES

    if settings["loss"] is not None and settings["loss"] not in losses.NAMES:
        raise app.UsageError(f"--loss must be one of {', '.join(losses.NAMES)}, got {settings['loss']!r}.")
    if settings["penalty"] is not None and settings["penalty"] not in ("none",) + PENALTIES:
        raise app.UsageError(f"--penalty must be none or one of {', '.join(PENALTIES)}, got {settings['penalty']!r}.")
    _check_strategy(settings["strategy"])
    if settings["strategy"] == "tpu" and not settings["tpu"]:
        raise app.UsageError("--strategy=tpu needs --tpu (the TPU's name or grpc:// address; 'local' on a TPU VM).")
    if settings["out_dir"] is None:
        settings["out_dir"] = str(pathlib.Path("runs") / f"{settings['dataset'].replace(':', '_').replace('/', '_')}"
                                  f"-{settings['gan']}")
    return settings


def _check_strategy(name):
    """Refuses a data-parallel strategy of the other Keras backend, naming what this one supports."""
    import keras

    current = keras.backend.backend()
    supported = STRATEGIES.get(current, ("default",))
    if name in supported:
        return
    owner = next(backend_name for backend_name, names in STRATEGIES.items() if name in names)
    raise app.UsageError(
        f"--strategy={name} needs the Keras backend {owner}; this process runs Keras on {current!r}, where "
        f"--strategy can be {', '.join(supported)}. Set KERAS_BACKEND={owner} to use it."
    )


def _check_shape_flags(settings):
    """--image_size and --channels: refused where the data or the architecture cannot honour them."""
    fixed = FIXED_SHAPE_DATASETS.get(settings["dataset"])
    for name in ("image_size", "channels"):
        if fixed and settings[name] is not None:
            raise app.UsageError(
                f"--{name} does not apply to --dataset={settings['dataset']} ({fixed}, used as they are); "
                "it applies to image datasets read from files (fashion_mnist, mnist, idx:, tfds:, folder:). Drop "
                "the flag.")
    size = settings["image_size"]
    if size is not None:
        _check_image_size(size, settings["architecture"], f"--image_size={size}")


def _check_image_size(size, architecture, what):
    """Raises a UsageError naming `what` if the image architecture cannot make `size`-pixel images."""
    power_of_two = size >= 8 and size % 4 == 0 and (size // 4).bit_count() == 1
    if architecture != "mlp" and not power_of_two:
        raise app.UsageError(f"{what} does not fit the convolutional architectures, which make 4 * 2**k pixel "
                             "images: use --image_size=8, 16, 32 or 64.")


def _saved_config(out_dir):
    """The recorded flags of the run in out_dir, or None for a new run."""
    path = out_dir / CONFIG
    if not path.exists():
        return None
    saved = _files.read_json(path, "the run's flags; without it the run resumes with the flags you give now")
    if not isinstance(saved, dict):
        raise CommandError(f"{path} is damaged: it holds a JSON {type(saved).__name__}, not the run's flags. "
                           "Delete it to resume with the flags you give now (the checkpoints are kept).")
    return saved


def _check_recipe(out_dir, settings, saved):
    """Refuses to resume a run of another recipe (before anything is built)."""
    if saved is None:
        return
    changed = {name: (saved[name], settings[name]) for name in RECIPE_FLAGS + RECIPE_SETTINGS
               if name in saved and saved[name] != settings[name]}
    if changed:
        # Flags by their flag name; settings that come from the recipe by their name in config.json.
        details = ", ".join(f"{'--' if name in FLAGS else ''}{name} was {old!r}, now {new!r}"
                            for name, (old, new) in changed.items())
        raise app.UsageError(
            f"{out_dir} holds a run of a different recipe ({details}). Use another --out_dir, "
            "or the same flags to resume it."
        )


def _announce_changes(saved, run_settings):
    """Prints each setting that differs from the run being resumed (`name: old -> new`)."""
    for name, value in run_settings.items() if saved is not None else ():
        if name in saved and name not in RECIPE_FLAGS + RECIPE_SETTINGS and saved[name] != value:
            print(f"{name}: {saved[name]} -> {value}")


def _write_config(out_dir, run_settings):
    with _files.atomic_write(out_dir / CONFIG, "w") as file:
        json.dump(run_settings, file, indent=2)


def _warn_if_slow_precision(policy, has_accelerator):
    if policy == "mixed_float16" and not has_accelerator:
        print("Warning: --mixed_precision=mixed_float16 without a GPU runs about 60x slower than float32 "
              "(CPUs emulate float16 arithmetic). Use --mixed_precision=float32, or mixed_bfloat16 on a CPU "
              "with bfloat16 support.", file=sys.stderr)


def _load_source(settings):
    from keras_lipschitz import data

    try:
        return data.load(settings["dataset"], image_size=settings["image_size"], channels=settings["channels"],
                         data_dir=settings["data_dir"], seed=settings["seed"])
    except (ValueError, RuntimeError, FileNotFoundError) as error:
        raise CommandError(str(error)) from None


def _training_fraction(source, settings):
    try:
        return source.fraction(settings["data_fraction"], seed=settings["seed"])
    except ValueError as error:
        raise CommandError(str(error)) from None


def _distribution_scope(settings):
    """The scope the models are built in: a tf.distribute strategy's on TensorFlow; on JAX, data parallelism is
    set for the whole process (keras.distribution), and the scope is empty."""
    import contextlib

    import keras

    name = settings["strategy"]
    if name == "data_parallel":
        # The data stream gives each process its share of the global batch (DataSource.batches).
        keras.distribution.set_distribution(keras.distribution.DataParallel(auto_shard_dataset=False))
        return contextlib.nullcontext()
    if name == "default" and keras.backend.backend() != "tensorflow":
        return contextlib.nullcontext()
    return _tf_strategy(name, settings["tpu"]).scope()


def _tf_strategy(name, tpu):
    import tensorflow as tf

    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if name == "multi_worker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    if name == "tpu":
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver(tpu=tpu)
        tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
        return tf.distribute.TPUStrategy(resolver)
    return tf.distribute.get_strategy()


def _build(settings, source):
    """The recipe's GAN for the data and its compile arguments, or a clear error if the architecture does not fit."""
    from keras_lipschitz.recipes import build

    architecture = settings["architecture"]
    if (architecture == "mlp") != (source.kind == "points"):
        raise app.UsageError(f"--architecture={architecture} does not fit {source.kind} data ({source.name}).")
    if architecture != "mlp":
        size = source.sample_shape[0]
        _check_image_size(size, architecture, f"{source.name} has {size}x{size} images, which")
    num_classes = source.num_classes if settings["conditional"] else None
    try:
        return build.build(settings, source.sample_shape, num_classes=num_classes, seed=settings["seed"])
    except ValueError as error:
        raise app.UsageError(str(error)) from None


def _forget_after(out_dir, step):
    """Drops the history rows and evaluations that a killed run wrote after its last checkpoint
    (the resumed run writes them again)."""
    from keras_lipschitz.trainers import step_log

    step_log.forget_after(out_dir / "history.csv", step)
    metrics = out_dir / "metrics.json"
    if metrics.exists():
        kept = [row for row in _files.read_json(metrics, "the run's evaluations") if row["step"] <= step]
        with _files.atomic_write(metrics, "w") as file:
            json.dump(kept, file, indent=2)


def _summary(settings, source, out_dir, results, minutes, evaluator):
    from keras_lipschitz.trainers.evaluation import TIMES

    print()
    conditional = "conditional" if settings["conditional"] else "unconditional"
    print(f"Trained {settings['gan']} ({conditional}) on {source.name} for {settings['steps']} generator steps "
          f"({minutes:.1f} min this session).")
    if results:
        print(evaluator.describe())
        print(f"{'metric':<22}{'value':>12}{'real vs real':>14}")
        print("-" * 48)
        for name, value in results.items():
            if name.endswith("_real_vs_real") or name in TIMES:
                continue
            floor = results.get(f"{name}_real_vs_real")
            print(f"{name:<22}{_number(value):>12}{_number(floor) if floor is not None else '':>14}")
    print("Written:")
    for name in (CONFIG, "checkpoints", "samples", "logs", "history.csv", "curves.png", "metrics.json",
                 "generator.keras"):
        if (out_dir / name).exists():
            print(f"  {out_dir / name}")
    print("Next:")
    print(f"  keras-lipschitz-export --model={out_dir} --output_dir={out_dir / 'export'}")
    if (out_dir / "logs").exists():
        print(f"  tensorboard --logdir={out_dir / 'logs'}")
    sys.stdout.flush()


def _number(value):
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def run():
    """Console-script entry point."""
    _cli.run(main, __name__)


if __name__ == "__main__":
    run()
