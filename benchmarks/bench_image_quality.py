"""Image quality on Fashion-MNIST (32x32): recipes against an independent plain-Keras DCGAN, data-limited training
with and without DiffAugment, quality per second of compute, one run.

Each of our rows is `keras-lipschitz-train` itself (the recipe's settings, the
command's evaluation every `--eval_every` steps), so the benchmark knows
nothing the product does not. The reference (benchmarks/_plain_dcgan.py, the
TensorFlow tutorial's DCGAN, sharing no code with the library) trains for the
same steps and is evaluated by the same `Evaluator` at the same steps. Every
row reports FID, KID, precision, recall, density and coverage in the feature
space of the dataset's own classifier, CAS next to the real-data classifier's
and intra-class FID for the conditional row, and the CPU and wall seconds of
each run's whole process (training and evaluations; the FID-vs-seconds curve, in `--clock` seconds, reads
the CPU seconds the command records at each evaluation, or takes the cost of a
step as constant where there are none). The
data-limited rows train `--fraction_recipe` on `--fraction` of the training
examples (stratified), with and without `--diffaugment`.

Targets (issue 16): our best recipe's FID <= 0.7x the reference's at the same
steps; it reaches the reference's final FID in <= 0.5x the reference's CPU
seconds (training seconds of both, evaluations excluded, where the runs
recorded them; read on the "early" row, `--early_recipe`'s first
`--eval_every` steps evaluated every `--early_eval_every`, when that recipe is
the best); DiffAugment lowers FID at 10% data by >= 25%; CAS of the conditional
row >= 0.85x the real-data classifier's.

Usage:
    python benchmarks/bench_image_quality.py [--dataset fashion_mnist] [--steps 3000] [--seeds 2] [--first_seed 0]
        [--recipes dcgan,wgan_gp,sngan,projection] [--parallel N] [--clock cpu|wall] [--rows ROWS]
        [--data_dir DIR] [--quick]
"""

import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys
import time
from concurrent import futures

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

HERE = pathlib.Path(__file__).parent
METRICS = ("fid", "kid", "precision", "recall", "density", "coverage", "cas", "cas_real", "intra_fid",
           "critic_membership_auc")


def _run(command, log):
    """Runs `command` with its output in `log`; returns (CPU seconds of that process, wall seconds)."""
    started = time.perf_counter()
    with open(log, "w") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(process.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{' '.join(command)} failed; the end of {log}:\n{pathlib.Path(log).read_text()[-3000:]}")
    return usage.ru_utime + usage.ru_stime, time.perf_counter() - started


def _data_flags(args):
    return [f"--dataset={args.dataset}"] + ([f"--data_dir={args.data_dir}"] if args.data_dir else [])


def run_ours(name, flags, out, args, seed):
    """One `keras-lipschitz-train` run; returns its evaluations, CPU and wall seconds."""
    run_dir = out / f"{name}-seed{seed}"
    command = [sys.executable, "-P", "-m", "keras_lipschitz.trainers.train", *_data_flags(args),
               f"--steps={args.steps}", f"--seed={seed}", f"--eval_every={args.eval_every}",
               f"--eval_samples={args.eval_samples}", f"--sample_every={args.steps}", f"--out_dir={run_dir}",
               f"--log_every={min(100, args.eval_every)}", "--verbose=0", *flags]
    # A run stopped part way resumes from its checkpoint; its seconds are then the last process's only.
    resumed = any((run_dir / "checkpoints").glob("ckpt-*"))
    cpu, wall = _run(command, out / f"{name}-seed{seed}.log")
    evaluations = json.loads((run_dir / "metrics.json").read_text())
    steps = json.loads((run_dir / "config.json").read_text())["steps"]
    if evaluations[-1]["step"] != steps:  # a signal stops the command with status 0 and a checkpoint
        raise RuntimeError(f"{name} seed {seed} stopped at step {evaluations[-1]['step']} of {steps}; nothing is kept "
                           "for it but its checkpoints: run the benchmark again to resume it.")
    return {"evaluations": evaluations, "cpu_seconds": cpu, "wall_seconds": wall, "resumed": resumed,
            "samples": str(sorted((run_dir / "samples").glob("*.png"))[-1])}


def run_reference(out, args, seed):
    """The plain DCGAN in its own process: its seconds are the whole process's, start-up and evaluations
    included, as for our rows."""
    result_path = out / f"plain_dcgan-seed{seed}.json"
    command = [sys.executable, __file__, "--reference_worker", str(result_path), *_data_flags(args),
               f"--steps={args.steps}", f"--eval_every={args.eval_every}", f"--eval_samples={args.eval_samples}",
               f"--seeds={seed}"]
    cpu, wall = _run(command, out / f"plain_dcgan-seed{seed}.log")
    return {**json.loads(result_path.read_text()), "cpu_seconds": cpu, "wall_seconds": wall}


def _evaluator(args):
    from keras_lipschitz import data
    from keras_lipschitz.trainers.evaluation import Evaluator

    source = data.load(args.dataset, data_dir=args.data_dir)
    return source, Evaluator(source, num_samples=args.eval_samples)


def classifier_worker(args):
    """Trains (or finds) the dataset's cached classifier once, before runs in parallel would each train it."""
    _, evaluator = _evaluator(args)
    print(f"dataset classifier: test accuracy {evaluator.extractor.accuracy:.4f}")


def reference_worker(args):
    import keras

    from _plain_dcgan import PlainDCGAN
    from keras_lipschitz import visualization
    from keras_lipschitz.trainers.evaluation import timed_evaluation

    seed = int(args.seeds)
    keras.utils.set_random_seed(seed)
    source, evaluator = _evaluator(args)
    gan = PlainDCGAN(source.sample_shape, seed)
    evaluations = []
    for step in range(args.eval_every, args.steps + 1, args.eval_every):
        gan.train(source.arrays[0], args.eval_every)
        evaluations.append(timed_evaluation(evaluator, gan, step))
    picture = pathlib.Path(args.reference_worker).with_suffix(".png")
    visualization.save_png(visualization.image_grid(gan.sample(64)), picture)
    pathlib.Path(args.reference_worker).write_text(json.dumps(
        {"evaluations": evaluations, "samples": str(picture)}))


def summarize(runs, clock):
    """Mean and standard error over seeds of the final evaluation's metrics, and the mean seconds of `clock`."""
    row = {"seeds": len(runs), "cpu_seconds": statistics.mean(run["cpu_seconds"] for run in runs),
           "wall_seconds": statistics.mean(run["wall_seconds"] for run in runs)}
    seconds = row[f"{clock}_seconds"]
    for key in METRICS + ("fid_real_vs_real",):
        values = [run["evaluations"][-1][key] for run in runs if key in run["evaluations"][-1]]
        if values:
            error = statistics.stdev(values) / len(values) ** 0.5 if len(values) > 1 else 0.0
            row[key] = (statistics.mean(values), error)
    steps = [evaluation["step"] for evaluation in runs[0]["evaluations"]]
    curve_seconds = [seconds * s / steps[-1] for s in steps]  # a step's cost taken as constant
    if clock == "cpu" and all("process_cpu_seconds" in e for run in runs for e in run["evaluations"]):
        # Where the command recorded them: the CPU seconds at each evaluation (steps that differ in cost).
        curve_seconds = [statistics.mean(run["evaluations"][i]["process_cpu_seconds"] for run in runs)
                         for i in range(len(steps))]
    row["curve"] = {"steps": steps, "seconds": curve_seconds,
                    "fid": [statistics.mean(run["evaluations"][i]["fid"] for run in runs) for i in range(len(steps))]}
    if all("evaluation_cpu_seconds" in e for run in runs for e in run["evaluations"]):
        row["training_cpu_seconds"] = statistics.mean(
            run["cpu_seconds"] - sum(e["evaluation_cpu_seconds"] for e in run["evaluations"]) for run in runs)
        row["training_curve"] = dict(row["curve"], seconds=[
            statistics.mean(_training_cpu_seconds(run["evaluations"], i) for run in runs) for i in range(len(steps))])
    return row


def _training_cpu_seconds(evaluations, index):
    """The process's CPU seconds at evaluation `index` less the earlier evaluations': start-up and training."""
    return (evaluations[index]["process_cpu_seconds"]
            - sum(evaluation["evaluation_cpu_seconds"] for evaluation in evaluations[:index]))


def seconds_to_reach(curve, fid):
    """Seconds at the first evaluation of `curve` whose FID is <= `fid` (None if never)."""
    for seconds, value in zip(curve["seconds"], curve["fid"]):
        if value <= fid:
            return seconds
    return None


def targets(rows, args):
    verdicts = {}
    reference = rows.get("plain_dcgan")
    ours = {name: row for name, row in rows.items() if name in args.recipes.split(",")}
    if reference and ours:
        best = min(ours, key=lambda name: ours[name]["fid"][0])
        verdicts = {"best_recipe": best, "fid_ratio_to_reference": ours[best]["fid"][0] / reference["fid"][0]}
        verdicts["fid_target_met"] = verdicts["fid_ratio_to_reference"] <= 0.7
        reach, budget, verdicts["time_basis"] = _time_to_reach(rows, best, reference, args)
        verdicts[f"{args.clock}_ratio_to_reach_reference_fid"] = None if reach is None else reach / budget
        verdicts["time_target_met"] = reach is not None and reach <= 0.5 * budget
        if args.clock == "wall" and args.parallel > 1:
            verdicts["time_note"] = f"wall seconds of {args.parallel} runs sharing the machine"
    limited, augmented = rows.get("limited"), rows.get("limited_diffaugment")
    if limited and augmented:
        verdicts["diffaugment_fid_reduction"] = 1 - augmented["fid"][0] / limited["fid"][0]
        verdicts["diffaugment_target_met"] = verdicts["diffaugment_fid_reduction"] >= 0.25
    for name, row in ours.items():
        if "cas" in row:
            verdicts["cas_ratio"] = row["cas"][0] / row["cas_real"][0]
            verdicts["cas_target_met"] = verdicts["cas_ratio"] >= 0.85
    return verdicts


def _time_to_reach(rows, best, reference, args):
    """(seconds `best` took to reach the reference's final FID, the reference's seconds, what they count).

    Training CPU seconds of both (evaluations excluded, so a finer schedule costs nothing) where the runs recorded
    their evaluations' seconds, on the early row's finer curve first when it trains `best`; else the whole
    processes' seconds at the evaluations of `best`'s own curve."""
    fid = reference["fid"][0]
    candidates = [rows[best]]
    if "early" in rows and args.early_recipe == best:
        candidates.insert(0, rows["early"])
    if args.clock == "cpu" and "training_curve" in reference:
        for row in candidates:
            seconds = seconds_to_reach(row["training_curve"], fid) if "training_curve" in row else None
            if seconds is not None:
                return seconds, reference["training_cpu_seconds"], "training CPU seconds (evaluations excluded)"
    return seconds_to_reach(rows[best]["curve"], fid), reference[f"{args.clock}_seconds"], "whole processes' seconds"


def plot(rows, path, clock):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(7, 4.5))
    for name, row in rows.items():
        axes.plot(row["curve"]["seconds"], row["curve"]["fid"], marker="o", label=name)
    label = {"cpu": "CPU seconds of the run's process", "wall": "wall seconds of the run"}[clock]
    axes.set(xlabel=label, ylabel="FID (dataset classifier features)", yscale="log",
             title="Quality per unit of compute")
    axes.grid(alpha=0.3)
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=120)


def samples_picture(runs, path):
    """Each row's final sample grid from its first kept seed, side by side under the row's name."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = [(name, plt.imread(value[0]["samples"])) for name, value in runs.items() if name != "early"]
    figure, axes = plt.subplots(1, len(panels), figsize=(2.4 * len(panels), 2.9), squeeze=False)
    for axis, (name, image) in zip(axes[0], panels):
        axis.imshow(image, cmap="gray")
        axis.set_title(name, fontsize=10)
        axis.axis("off")
    figure.tight_layout()
    figure.savefig(path, dpi=120)


def run_all(jobs, seeds, out, args):
    """Every (row, seed) run of the rows in `args.rows`, `args.parallel` at a time. Each result is kept in its own
    JSON file as it ends; a run whose file exists is not run again (a stopped benchmark resumes), and the other
    rows' files, when there are any, join the table."""
    names = ["plain_dcgan", *jobs]
    selected = names if args.rows == "all" else args.rows.split(",")
    unknown = sorted(set(selected) - set(names))
    if unknown:
        raise SystemExit(f"--rows: unknown rows {unknown}; the rows are {', '.join(names)}")

    def result_path(name, seed):
        return out / f"result-{name}-seed{seed}.json"

    def one(name, seed):
        path = result_path(name, seed)
        if not path.is_file() and name in selected:
            result = run_reference(out, args, seed) if name == "plain_dcgan" else run_ours(
                name, jobs[name], out, args, seed)
            path.write_text(json.dumps(result))
            print(f"{name} seed {seed}: FID {result['evaluations'][-1]['fid']:.2f}, "
                  f"{result['cpu_seconds']:.0f} CPU s, {result['wall_seconds']:.0f} wall s", flush=True)
        return json.loads(path.read_text()) if path.is_file() else None

    # Seeds outermost: a stopped run still holds whole comparisons.
    order = [(name, seed) for seed in seeds for name in names]
    if any(name in selected and not result_path(name, seed).is_file() for name, seed in order):
        _run([sys.executable, __file__, "--classifier_worker", *_data_flags(args),
              f"--eval_samples={args.eval_samples}"], out / "classifier.log")
    with futures.ThreadPoolExecutor(args.parallel) as pool:
        results = list(pool.map(lambda job: one(*job), order))
    kept = {(name, seed): result for (name, seed), result in zip(order, results) if result is not None}
    check_one_feature_space(kept, out)
    runs = {name: [] for name in names}
    for (name, _), result in kept.items():
        runs[name].append(result)
    return {name: value for name, value in runs.items() if value}


def check_one_feature_space(kept, out):
    """Stops when kept results were scored in different feature spaces (another classifier version or seed, kept
    from an earlier run of the benchmark): their rows would not compare. The classifier's test accuracy and the
    real-vs-real FID identify the space."""
    spaces = {}
    for (name, seed), result in kept.items():
        final = result["evaluations"][-1]
        space = (final.get("classifier_test_accuracy"), round(final.get("fid_real_vs_real", float("nan")), 4))
        spaces.setdefault(space, []).append(f"result-{name}-seed{seed}.json")
    if len(spaces) > 1:
        listing = "; ".join(f"classifier accuracy {accuracy}, real-vs-real FID {floor}: {', '.join(files)}"
                            for (accuracy, floor), files in spaces.items())
        raise SystemExit(f"The results kept in {out} were scored in {len(spaces)} feature spaces ({listing}). "
                         "Remove the files of the older space and run again to redo those runs.")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", default="fashion_mnist")
    parser.add_argument("--data_dir", default=None, help="the dataset's IDX files (default: Debian's package's)")
    parser.add_argument("--recipes", default="dcgan,wgan_gp,sngan,projection")
    parser.add_argument("--seeds", default="2", help="number of seeds (0, 1, ...)")
    parser.add_argument("--first_seed", type=int, default=0, help="run seeds --first_seed to --seeds - 1 only "
                        "(e.g. a second seed where the first's results are elsewhere)")
    parser.add_argument("--steps", type=int, default=3000, help="generator steps of every row")
    parser.add_argument("--eval_every", type=int, default=500)
    parser.add_argument("--eval_samples", type=int, default=2000)
    parser.add_argument("--fraction", type=float, default=0.1)
    parser.add_argument("--fraction_recipe", default="sngan")
    parser.add_argument("--diffaugment", default="color,translation,cutout")
    parser.add_argument("--early_recipe", default="sngan", help="the early row's recipe: its first --eval_every "
                        "steps evaluated every --early_eval_every, where the time target is read when it is the best")
    parser.add_argument("--early_eval_every", type=int, default=50)
    parser.add_argument("--rows", default="all", help="rows to run (comma-separated; default all); the others' "
                        "results already in --out join the table")
    parser.add_argument("--parallel", type=int, default=1, help="runs at a time (each its own process)")
    parser.add_argument("--clock", choices=("cpu", "wall"), default="cpu",
                        help="the seconds of the time target and the curve: CPU (default) or wall (accelerators)")
    parser.add_argument("--out", default=str(HERE / "results" / "image_quality"))
    parser.add_argument("--quick", action="store_true", help="tiny sizes: checks that everything runs")
    parser.add_argument("--reference_worker", help=argparse.SUPPRESS)
    parser.add_argument("--classifier_worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.reference_worker:
        return reference_worker(args)
    if args.classifier_worker:
        return classifier_worker(args)
    if args.quick:
        args.steps, args.eval_every, args.early_eval_every, args.eval_samples, args.seeds = 20, 10, 5, 200, "1"
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    seeds = range(args.first_seed, int(args.seeds))
    if not seeds:
        raise SystemExit(f"--first_seed={args.first_seed} leaves no seed below --seeds={args.seeds}")
    jobs = {name: [f"--gan={name}"] for name in args.recipes.split(",")}
    limited = [f"--gan={args.fraction_recipe}", f"--data_fraction={args.fraction}"]
    jobs["limited"] = limited
    jobs["limited_diffaugment"] = limited + [f"--diffaugment={args.diffaugment}"]
    # The command takes the last of a repeated flag: these replace run_ours' --steps and --eval_every.
    jobs["early"] = [f"--gan={args.early_recipe}", f"--steps={args.eval_every}",
                     f"--eval_every={args.early_eval_every}"]
    runs = run_all(jobs, seeds, out, args)
    rows = {name: summarize(value, args.clock) for name, value in runs.items()}
    floor = next(iter(rows.values())).get("fid_real_vs_real", (float("nan"), 0))[0]
    print(f"\n{args.dataset}, {args.steps} generator steps, {len(seeds)} seed(s); real-vs-real FID {floor:.2f}")
    columns = ("row", "seeds", "FID", "KID", "precision", "recall", "density", "coverage", "CAS (real)", "intra-FID",
               "critic AUC", "CPU s", "wall s")
    print("| " + " | ".join(columns) + " |\n" + "|---" * len(columns) + "|")
    for name, row in rows.items():
        cells = [f"{row[key][0]:.3f} +- {row[key][1]:.3f}" if key in row else "" for key in METRICS[:6]]
        cas = f"{row['cas'][0]:.3f} ({row['cas_real'][0]:.3f})" if "cas" in row else ""
        intra_fid = f"{row['intra_fid'][0]:.2f} +- {row['intra_fid'][1]:.2f}" if "intra_fid" in row else ""
        # Runs made before 2026-12-02 do not report it (benchmarks/bench_critic_memorization.py reads it off them).
        auc = f"{row['critic_membership_auc'][0]:.3f}" if "critic_membership_auc" in row else ""
        seconds = f"{row['cpu_seconds']:.0f} | {row['wall_seconds']:.0f}"
        print(f"| {name} | {row['seeds']} | " + " | ".join(cells) + f" | {cas} | {intra_fid} | {auc} | {seconds} |")
    resumed = [name for name, value in runs.items() for run in value if run.get("resumed")]
    if resumed:
        print(f"\nResumed runs (their seconds are the last process's only): {', '.join(resumed)}")
    verdicts = targets(rows, args)
    print("\n" + "\n".join(f"{key}: {value}" for key, value in verdicts.items()))
    plot(rows, out / "fid_per_second.png", args.clock)
    samples_picture(runs, out / "samples.png")
    results = {"dataset": args.dataset, "steps": args.steps, "seeds": len(seeds), "clock": args.clock,
               "parallel": args.parallel, "rows": rows, "targets": verdicts,
               "samples": {name: [run["samples"] for run in value] for name, value in runs.items()},
               "cpu_count": os.cpu_count()}
    (out / "image_quality.json").write_text(json.dumps(results, indent=2))
    print(f"wrote {out / 'image_quality.json'}, {out / 'fid_per_second.png'} and {out / 'samples.png'}")


if __name__ == "__main__":
    main()
