"""Does the critic memorize its training images? The membership AUC of finished runs' checkpoints.

For each run directory of `keras-lipschitz-train` and each checkpoint it kept,
this rebuilds the run's GAN from its `config.json` (the recipe's own build),
restores the checkpoint and computes `metrics.membership_auc` of the critic's
scores (`GAN.critic_scores`) on the first `--samples` images the run trained on
(its `--data_fraction`) against as many of the test split: 0.5 when the critic
judges both alike, towards 1 as it memorizes. The command's evaluations report
the same number (`critic_membership_auc`) since 2026-12-02; this script reads
it off runs made before, and off every checkpoint rather than every evaluation.

Reference: the same recipe trained on all the data (`--reference RUN_DIR`),
whose critic sees each image a tenth as often; the table puts every run's AUC
next to the reference's at the same step, as a difference.

Usage:
    python benchmarks/bench_critic_memorization.py RUN_DIR [RUN_DIR ...] --reference RUN_DIR
        [--samples 2000] [--output FILE]
"""

import argparse
import json
import os
import pathlib

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def memorization(run, samples):
    """{step: membership AUC} over the checkpoints `run` kept, and the run's settings."""
    import keras

    from keras_lipschitz import data
    from keras_lipschitz.recipes import build
    from keras_lipschitz.trainers import checkpoint
    from keras_lipschitz.trainers import evaluation

    settings = json.loads((run / "config.json").read_text())
    whole = data.load(settings["dataset"], image_size=settings["image_size"], channels=settings["channels"],
                      data_dir=settings["data_dir"], seed=settings["seed"])
    trained_on = whole.fraction(settings["data_fraction"], seed=settings["seed"])
    conditional = settings["conditional"]
    keras.utils.set_random_seed(settings["seed"])
    gan, compile_arguments = build.build(settings, trained_on.sample_shape,
                                         num_classes=whole.num_classes if conditional else None, seed=settings["seed"])
    gan.compile(**compile_arguments)
    aucs = {}
    for step, path in checkpoint.checkpoints(run / "checkpoints"):
        checkpoint.restore(gan, path)
        aucs[step] = evaluation.critic_membership_auc(gan, trained_on, whole, samples)
    return aucs, settings


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("runs", nargs="+", help="run directories of keras-lipschitz-train, with checkpoints")
    parser.add_argument("--reference", required=True, help="a run of the same recipe on all the data")
    parser.add_argument("--samples", type=int, default=2000, help="training and held-out images each")
    parser.add_argument("--output", default=None, help="JSON file of the results (default: none)")
    args = parser.parse_args()
    reference, _ = memorization(pathlib.Path(args.reference), args.samples)
    results = {"reference": {"run": args.reference, "auc": reference}, "runs": {}}
    print(f"Reference (all the data): {args.reference}: " +
          ", ".join(f"step {step}: {auc:.3f}" for step, auc in reference.items()))
    print("| run | fraction | DiffAugment | step | membership AUC | reference's AUC at the step | difference |")
    print("|---|---|---|---|---|---|---|")
    for run in args.runs:
        aucs, settings = memorization(pathlib.Path(run), args.samples)
        results["runs"][run] = {"auc": aucs, "data_fraction": settings["data_fraction"],
                                "diffaugment": settings["diffaugment"]}
        for step, auc in aucs.items():
            base = reference.get(step)
            versus = f"{base:.3f} | {auc - base:+.3f}" if base is not None else " | "
            print(f"| {run} | {settings['data_fraction']} | {settings['diffaugment'] or 'none'} | {step} | "
                  f"{auc:.3f} | {versus} |")
    if args.output:
        pathlib.Path(args.output).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
