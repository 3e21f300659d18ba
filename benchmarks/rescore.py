"""Scores finished runs' generators again, the way the command scores them now, and tables old and new scores.

Until 2026-12-01 the command scored a run of seed n in the features of a
dataset classifier trained with seed n, so a mean over seeds averaged one
feature space per seed. This loads each run's saved generator
(`generator.keras`, the EMA weights the command evaluates), draws
`--samples` samples and scores them with `Evaluator` (the classifier of
the fixed seed, cached), so runs of several seeds can be averaged. A run of
seed 0 was already scored in that space: its two FIDs differ only by the
samples drawn (the check of this script).

Usage:
    python benchmarks/rescore.py RUN_DIR [RUN_DIR ...] [--samples 2000] [--output FILE]
"""

import argparse
import json
import os
import pathlib

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

COLUMNS = ("fid", "kid", "precision", "recall", "density", "coverage")


class _SavedGenerator:
    """What `Evaluator` samples from: a loaded generator and the run's latent settings."""

    def __init__(self, generator, config, seed=0):
        import keras

        self.generator = generator
        self.latent_dim = config["latent_dim"]
        self.truncation = config["truncation"] or None
        self.num_classes = None  # conditional runs' class-wise scores need the GAN; the image scores do not
        self.seed_generator = keras.random.SeedGenerator(seed)

    def sample(self, num_samples):
        from keras_lipschitz.latents import normal_latents

        latents = normal_latents((num_samples, self.latent_dim), seed=self.seed_generator, truncation=self.truncation)
        return self.generator(latents, training=False)


def rescore(run_dirs, samples):
    """{run dir: {"recorded": the run's last evaluation, "rescored": the scores now}} for unconditional runs."""
    import keras_lipschitz
    from keras_lipschitz import data
    from keras_lipschitz.trainers.evaluation import Evaluator

    evaluators, results = {}, {}
    for run in map(pathlib.Path, run_dirs):
        config = json.loads((run / "config.json").read_text())
        if config["conditional"]:
            raise SystemExit(f"{run}: a conditional run; this script rescores unconditional ones")
        key = (config["dataset"], config["image_size"], config["channels"], config["data_dir"])
        if key not in evaluators:
            source = data.load(config["dataset"], image_size=config["image_size"], channels=config["channels"],
                               data_dir=config["data_dir"])
            evaluators[key] = Evaluator(source, samples)
        generator = keras_lipschitz.load_model(run / "generator.keras")  # imports the classes it names
        scores = evaluators[key](_SavedGenerator(generator, config))
        recorded = json.loads((run / "metrics.json").read_text())[-1]
        results[str(run)] = {"recorded": recorded, "rescored": scores}
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("runs", nargs="+", help="run directories of keras-lipschitz-train")
    parser.add_argument("--samples", type=int, default=2000)
    parser.add_argument("--output", default=None, help="JSON file of the results (default: none)")
    args = parser.parse_args()
    results = rescore(args.runs, args.samples)
    print("| run | step | recorded FID (real vs real) | " + " | ".join(COLUMNS) + " | real vs real FID |")
    print("|---" * (4 + len(COLUMNS)) + "|")
    for run, result in results.items():
        recorded, now = result["recorded"], result["rescored"]
        cells = " | ".join(f"{now[key]:.3f}" for key in COLUMNS)
        print(f"| {run} | {recorded['step']} | {recorded['fid']:.2f} ({recorded['fid_real_vs_real']:.2f}) | {cells} | "
              f"{now['fid_real_vs_real']:.2f} |")
    if args.output:
        pathlib.Path(args.output).write_text(json.dumps(results, indent=2, default=float))
        print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
