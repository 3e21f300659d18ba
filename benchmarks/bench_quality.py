"""Sample quality of every recipe: the 2-D mixture tables of VEEGAN / PacGAN, and digits, over seeds.

Trains each unconditional recipe that applies to points on the ring of 8
and the grid of 25 Gaussians (the protocol of VEEGAN Table 1 and PacGAN
Table 1: 2,500 samples, high quality within 3 sigma, modes captured, reverse
KL of the mode histogram) over several seeds, and prints mean +- standard
error next to the published rows and, in the same run, next to an
independent plain-TensorFlow WGAN-GP ("plain_wgan_gp", the reference). A
scatter plot of each run's samples goes to --plots. On digits it trains
every recipe (conditional where the recipe is) and reports class coverage,
class-histogram KL, label accuracy (conditional recipes) and FID in the
digits classifier's feature space next to the real-vs-real FID. Each run's
CPU seconds are measured (the target is <= 5 CPU minutes per run).

Usage:
    python benchmarks/bench_quality.py [--seeds 5] [--mixtures ring8,grid25]
        [--recipes gan,dcgan,wgan,wgan_gp,sngan,plain_wgan_gp] [--digits_seeds 3]
        [--digits_recipes sngan,...]
"""

import argparse
import json
import math
import os
import pathlib
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import _harness  # noqa: E402
import _plain_wgan_gp  # noqa: E402
from keras_lipschitz import data  # noqa: E402
from keras_lipschitz import metrics  # noqa: E402
from keras_lipschitz import recipes  # noqa: E402
from keras_lipschitz import visualization  # noqa: E402
from keras_lipschitz.data import mixtures  # noqa: E402
from keras_lipschitz.recipes import build  # noqa: E402
from keras_lipschitz.trainers.evaluation import MIXTURE_SAMPLES  # noqa: E402
from keras_lipschitz.trainers.evaluation import Evaluator  # noqa: E402

# Published rows (modes, % high quality), from ../shared/REFERENCES.md.
PUBLISHED = {
    "grid25": {"GAN": (17.3, 94.8), "ALI": (24.1, 95.7), "PacGAN4": (24.8, 93.6), "VEEGAN": (24.6, 40.0),
               "Unrolled": (23.6, 16.0), "WGAN-GP": (24.2, 28.7), "GDPP": (24.8, 68.5)},
    "ring8": {"GAN (PacGAN arch)": (6.3, 98.2), "PacGAN2": (7.9, 95.6), "VEEGAN": (8.0, 52.9),
              "Unrolled": (7.6, 35.6)},
}
# Every setting of a run comes from the library's recipe for that dataset
# (keras_lipschitz.recipes: learning rates, steps, architecture, EMA, threads,
# steps per call), the same the command uses: the benchmark knows nothing more.
# The reference, an independent WGAN-GP in plain TensorFlow (_plain_wgan_gp.py),
# takes WGAN-GP's settings, so the two cannot drift apart.
REFERENCE_RECIPE = {"plain_wgan_gp": "wgan_gp"}
# The recipes that apply to the (unlabelled) mixtures.
POINT_RECIPES = tuple(name for name in recipes.names()
                      if "points" in recipes.get(name).kinds and not recipes.get(name).base["conditional"])


def mixture_recipe(name, recipe, **overrides):
    """The settings of `recipe` on mixture `name` (the library's recipe, resolved for that dataset), with a
    probe's `overrides`."""
    return recipes.get(REFERENCE_RECIPE.get(recipe, recipe)).settings(name, **overrides)


def train_mixture(name, recipe, seed, plot_directory, overrides=None):
    """Trains `recipe` on mixture `name`, evaluates 2,500 samples and plots fresh ones."""
    keras.utils.set_random_seed(seed)
    source = data.load(name, seed=seed)
    settings = mixture_recipe(name, recipe, **(overrides or {}))
    if recipe == "plain_wgan_gp":
        sample, timing = _timed(_train_plain_wgan_gp, source, seed, settings)
        quality = metrics.mixture_quality(sample(MIXTURE_SAMPLES), source.means, mixtures.STANDARD_DEVIATIONS[name])
        del quality["mode_histogram"]
    else:
        gan, timing = _timed(_train_ours, source, recipe, seed, settings)
        quality = Evaluator(source)(gan)  # the library's own evaluation path

        def sample(count):
            return np.asarray(gan.sample(count))

    summary = f"{quality['modes']} modes, {100 * quality['high_quality']:.1f}% high quality"
    plot_directory.mkdir(parents=True, exist_ok=True)
    title = f"{recipe}, seed {seed}: {quality['modes']} modes, {100 * quality['high_quality']:.1f}%"
    pixels = visualization.scatter_plot(sample(MIXTURE_SAMPLES), source.means, title)
    visualization.save_png(pixels, plot_directory / f"{name}_{recipe}_{seed}.png")
    print(f"  {name}, {recipe}, seed {seed}: {summary}, KL {quality['reverse_kl']:.3f}, "
          f"{timing['wall_seconds']:.0f} s", flush=True)
    return {**quality, **timing, **settings, "seed": seed}


def side_by_side(paths, path):
    """Writes the PNGs at `paths` (same height) as one picture, left to right."""
    from PIL import Image

    panels = [np.asarray(Image.open(panel).convert("RGB")) for panel in paths]
    return visualization.save_png(np.concatenate(panels, axis=1), path)


def _timed(function, *args):
    """`function(*args)` and its CPU (process) and wall seconds."""
    started, wall = time.process_time(), time.perf_counter()
    result = function(*args)
    return result, {"cpu_seconds": time.process_time() - started, "wall_seconds": time.perf_counter() - wall}


def _train_ours(source, recipe, seed, settings):
    gan, compile_arguments = build.build(settings, source.sample_shape, seed=seed)
    gan.compile(**compile_arguments, steps_per_execution=settings["steps_per_execution"])
    batches = source.batches(settings["d_steps"] * settings["batch_size"], seed=seed)
    gan.fit(batches, steps_per_epoch=settings["steps"], epochs=1, verbose=0)
    return gan


def _train_plain_wgan_gp(source, seed, settings):
    standard_deviation = mixtures.STANDARD_DEVIATIONS[source.name]
    return _plain_wgan_gp.train(source.means, standard_deviation, seed, settings["steps"],
                                settings["d_learning_rate"], settings["penalty_weight"], units=settings["units"])


def train_digits(recipe, seed):
    """Trains `recipe` on digits with the command's settings (conditional when the recipe is) and evaluates it."""
    keras.utils.set_random_seed(seed)
    source = data.load("digits")
    settings = recipes.get(recipe).settings("digits")
    num_classes = source.num_classes if settings["conditional"] else None
    gan, compile_arguments = build.build(settings, source.sample_shape, num_classes=num_classes, seed=seed)
    gan.compile(**compile_arguments, steps_per_execution=settings["steps_per_execution"])
    batches = source.batches(settings["d_steps"] * settings["batch_size"], seed=seed, labels=settings["conditional"])
    _, timing = _timed(lambda: gan.fit(batches, steps_per_epoch=settings["steps"], epochs=1, verbose=0))
    results = {**Evaluator(source)(gan), **timing, "conditional": settings["conditional"], "seed": seed}
    print(f"  digits, {recipe}, seed {seed}: {results['classes']} classes, class KL {results['class_kl']:.3f}, "
          f"FID {results['fid']:.2f}, {timing['cpu_seconds']:.0f} CPU s", flush=True)
    return results


# Digits columns: (result key, header, format).
DIGITS_COLUMNS = (("classes", "classes", ".1f"), ("class_kl", "class KL", ".3f"), ("label_accuracy", "label acc.", ".3f"),
                  ("fid", "FID", ".2f"), ("precision", "precision", ".3f"), ("recall", "recall", ".3f"),
                  ("cpu_seconds", "CPU s", ".0f"))


def print_mixture_header(name, seeds):
    print(f"\n{name}: 2,500 samples; mean +- standard error over {seeds}")
    header = (f"{'recipe':<20}{'modes':>14}{'% high quality':>18}{'reverse KL':>16}{'max CPU s':>11}"
              f"{'max wall s':>11}")
    print(header)
    print("-" * len(header))


def print_mixture_row(recipe, runs):
    modes = _mean_se([run["modes"] for run in runs])
    quality = _mean_se([100 * run["high_quality"] for run in runs])
    kl = _mean_se([run["reverse_kl"] for run in runs])
    cpu = max(run["cpu_seconds"] for run in runs)
    wall = max(run["wall_seconds"] for run in runs)
    label = ("ref. " if recipe == "plain_wgan_gp" else "ours ") + recipe
    print(f"{label:<20}{modes[0]:>8.1f} +-{modes[1]:>4.1f}{quality[0]:>11.1f} +-{quality[1]:>4.1f}"
          f"{kl[0]:>10.3f} +-{kl[1]:>5.3f}{cpu:>11.0f}{wall:>11.0f}")


def print_published_rows(name):
    for row, (modes, quality) in PUBLISHED[name].items():
        print(f"{row + ' (published)':<20}{modes:>14.1f}{quality:>18.1f}{'-':>16}{'-':>11}{'-':>11}")


def print_merged(paths):
    """The tables of several result files (seeds run as separate processes), the runs of every file by seed."""
    by_seed = {}
    for path in paths:
        for key, runs in json.loads(pathlib.Path(path).read_text())["runs"].items():
            for run in runs:
                by_seed.setdefault(key, {})[run["seed"]] = run
    rows = {key: [runs[seed] for seed in sorted(runs)] for key, runs in by_seed.items()}
    for key, runs in rows.items():
        seeds = ", ".join(f"{run['seed']}: {_per_seed(run)}" for run in runs)
        print(f"{key}: {seeds}")
    for name in dict.fromkeys(key.split(":")[0] for key in rows if not key.startswith("digits:")):
        print_mixture_header(name, "the seeds above")
        for key, runs in rows.items():
            if key.startswith(f"{name}:"):
                print_mixture_row(key.split(":", 1)[1], runs)
        print_published_rows(name)
    digits = {key.split(":", 1)[1]: runs for key, runs in rows.items() if key.startswith("digits:")}
    if digits:
        print_digits_table(digits, next(iter(digits.values()))[0]["fid_real_vs_real"])


def _per_seed(run):
    if "modes" in run:
        return f"{run['modes']} modes / {100 * run['high_quality']:.1f}%"
    return f"class KL {run['class_kl']:.3f} / FID {run['fid']:.2f}"


def print_digits_table(rows, floor):
    """One row per recipe: mean +- standard error of each column; the real-vs-real FID floor below."""
    header = f"{'recipe':<12}" + "".join(f"{title:>18}" for _, title, _ in DIGITS_COLUMNS)
    print(header)
    print("-" * len(header))
    for recipe, runs in rows.items():
        cells = []
        for key, _, number in DIGITS_COLUMNS:
            if key not in runs[0]:
                cells.append(f"{'-':>18}")
                continue
            mean, se = _mean_se([run[key] for run in runs])
            cells.append(f"{format(mean, number):>10} +-{format(se, number):>6}")
        print(f"{recipe:<12}" + "".join(cells))
    print(f"{'real vs real':<12}{'-':>18}{'-':>18}{'-':>18}{floor:>10.2f}")


def _mean_se(values):
    values = [float(value) for value in values]
    if not all(math.isfinite(value) for value in values):  # e.g. KL = inf when no sample is high quality
        return float("inf"), float("nan")
    mean = statistics.fmean(values)
    se = statistics.stdev(values) / len(values) ** 0.5 if len(values) > 1 else 0.0
    return mean, se


def main():
    # The mixture recipes' thread count (tiny MLPs); it must be set before TensorFlow starts.
    threads = mixture_recipe("ring8", "sngan")["threads"]
    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(threads)
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--first_seed", type=int, default=0, help="seeds first_seed, ..., first_seed + seeds - 1")
    parser.add_argument("--mixtures", default="ring8,grid25")
    parser.add_argument("--recipes", default=",".join(POINT_RECIPES + ("plain_wgan_gp",)),
                        help="recipes on the mixtures (unconditional ones that apply to points)")
    parser.add_argument("--digits_seeds", type=int, default=3)
    parser.add_argument("--digits_first_seed", type=int, default=0)
    parser.add_argument("--digits_recipes", default=",".join(recipes.names()))
    parser.add_argument("--output", default=str(pathlib.Path(__file__).parent / "results" / "quality.json"))
    parser.add_argument("--plots", default=str(pathlib.Path(__file__).parent / "results" / "quality_plots"),
                        help="folder for a scatter plot of each mixture run's samples")
    parser.add_argument("--overrides", type=json.loads, default={},
                        help='a probe: recipe settings changed for the mixture runs, as JSON (e.g. \'{"steps": '
                             '48000}\'); what it finds goes into the recipe, never only into the benchmark')
    parser.add_argument("--merge", nargs="+", default=None,
                        help="print the tables of these result files together (seeds run as separate processes) "
                             "instead of training; a later file's runs of a recipe and seed win")
    args = parser.parse_args()
    if args.merge:
        print_merged(args.merge)
        return

    results = {"benchmark": "sample_quality", **_harness.environment(), "runs": {}}
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    plots = pathlib.Path(args.plots)
    for name in filter(None, args.mixtures.split(",")):
        print_mixture_header(name, f"{args.seeds} seeds")
        names = list(filter(None, args.recipes.split(",")))
        for recipe in names:
            runs = [train_mixture(name, recipe, seed, plots, args.overrides) for seed in seeds]
            results["runs"][f"{name}:{recipe}"] = runs
            _harness.write_json(results, args.output)  # keep what is done if a later run fails
            print_mixture_row(recipe, runs)
        print_published_rows(name)
        if names and seeds:
            panels = [plots / f"{name}_{recipe}_{seeds[0]}.png" for recipe in names]
            print(f"plots: {side_by_side(panels, plots / f'{name}.png')}")

    if args.digits_seeds:
        print(f"\ndigits: 1,000 samples, {args.digits_seeds} seeds, the command's settings; features of the digits "
              "classifier; conditional recipes draw the classes in turn")
        rows = {}
        for recipe in filter(None, args.digits_recipes.split(",")):
            rows[recipe] = [train_digits(recipe, seed)
                            for seed in range(args.digits_first_seed, args.digits_first_seed + args.digits_seeds)]
            results["runs"][f"digits:{recipe}"] = rows[recipe]
            _harness.write_json(results, args.output)
        print_digits_table(rows, next(iter(rows.values()))[0]["fid_real_vs_real"])
    _harness.write_json(results, args.output)


if __name__ == "__main__":
    main()
