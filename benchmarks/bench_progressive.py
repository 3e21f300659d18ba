"""Progressive growing against the same networks trained at full resolution from the start, one run.

Both rows are `keras-lipschitz-train --gan=pggan`: "progressive" with the
recipe's growth schedule, "full_resolution" with `--fade_images=0` (the
final networks from the first step), at the same generator steps (so the
same images seen), evaluated every `--eval_every` steps in the dataset's
classifier features. The FID-vs-CPU-seconds curve reads the CPU seconds the
command records at each evaluation, since a progressive run's early steps
cost less. A memory part trains the recipe's networks through every stage
change in this process and records the resident memory at the end of each
phase, the peak, and the compiled steps made (one per phase).

Target (issue 17): progressive reaches the full-resolution run's final FID in
<= 0.7x its CPU seconds (Karras et al. report 2-6x at high resolution).

Usage:
    python benchmarks/bench_progressive.py [--dataset fashion_mnist] [--steps 4000] [--seeds 2]
        [--eval_every 500] [--parallel N] [--parts quality,memory] [--quick]
"""

import argparse
import json
import os
import pathlib
import resource
import subprocess
import sys
from concurrent import futures

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import bench_image_quality as image_quality  # noqa: E402

HERE = pathlib.Path(__file__).parent
ROWS = {"progressive": ["--gan=pggan"], "full_resolution": ["--gan=pggan", "--fade_images=0"]}


def quality(args, out):
    """Both rows for every seed (a run whose result is kept is not run again); returns the summarized rows."""
    seeds = range(int(args.seeds))
    image_quality._run([sys.executable, str(HERE / "bench_image_quality.py"), "--classifier_worker",
                        *image_quality._data_flags(args), f"--eval_samples={args.eval_samples}"],
                       out / "classifier.log")

    def one(name, seed):
        path = out / f"result-{name}-seed{seed}.json"
        if not path.is_file():
            result = image_quality.run_ours(name, args.flags.split() + ROWS[name], out, args, seed)  # the row's flags win
            path.write_text(json.dumps(result))
            print(f"{name} seed {seed}: FID {result['evaluations'][-1]['fid']:.2f}, "
                  f"{result['cpu_seconds']:.0f} CPU s", flush=True)
        return name, json.loads(path.read_text())

    with futures.ThreadPoolExecutor(args.parallel) as pool:
        done = list(pool.map(lambda job: one(*job), [(name, seed) for seed in seeds for name in ROWS]))
    runs = {name: [result for row, result in done if row == name] for name in ROWS}
    return {name: image_quality.summarize(value, "cpu") for name, value in runs.items()}, runs


def stage_pictures(out, seed, path):
    """One figure: the progressive run's samples at the end of each phase (upsampled to full size, as the
    command writes them) and at its last step, then the full-resolution run's at its last step, each titled
    with its step, resolution and FID."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from PIL import Image

    panels = []
    for name in ROWS:
        run = out / f"{name}-seed{seed}"
        fids = {row["step"]: row["fid"] for row in json.loads((run / "metrics.json").read_text())}
        config = json.loads((run / "config.json").read_text())
        pictures = sorted((run / "samples").glob("samples-*.png"))
        pictures = pictures if name == "progressive" else pictures[-1:]
        schedule = _growth_schedule(config) if name == "progressive" else None
        for picture in pictures:
            step = int(picture.stem.split("-")[1])
            size = (_resolution_at(schedule, config["batch_size"], step) if schedule
                    else "full resolution from step 0")
            fid = f", FID {fids[step]:.0f}" if step in fids else ""
            panels.append((Image.open(picture), f"{name}, step {step:,}\n{size}{fid}"))
    columns = min(len(panels), 4)
    rows = -(-len(panels) // columns)
    figure, axes = plt.subplots(rows, columns, figsize=(3.2 * columns, 3.7 * rows), squeeze=False)
    for axis in axes.flat:
        axis.axis("off")
    for axis, (image, title) in zip(axes.flat, panels):
        axis.imshow(image, cmap="gray")
        axis.set_title(title, fontsize=10)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def _growth_schedule(config):
    """The growth schedule of a progressive run, from its config.json (the data's size gives the levels)."""
    from keras_lipschitz import data
    from keras_lipschitz.trainers import GrowthSchedule

    source = data.load(config["dataset"], image_size=config["image_size"], data_dir=config["data_dir"])
    levels = source.sample_shape[0].bit_length() - 2  # 4x4 is level 0
    return GrowthSchedule(levels, config["fade_images"], config["stable_images"],
                          batch_sizes=config.get("level_batch_sizes") or None)


def _resolution_at(schedule, batch, step):
    """"8x8", "16x16 fading in", ... for the phase whose last step was `step` - 1."""
    level, fading = schedule.phase_at_step(step - 1, batch)[:2]
    return f"{4 * 2**level}x{4 * 2**level}" + (" fading in" if fading else "")


def quality_verdict(rows):
    full, progressive = rows["full_resolution"], rows["progressive"]
    reach = image_quality.seconds_to_reach(progressive, full["fid"][0])
    ratio = None if reach is None else reach / full["curve"]["seconds"][-1]
    return {"full_resolution_final_fid": full["fid"][0], "progressive_cpu_seconds_to_reach_it": reach,
            "cpu_ratio": ratio, "target_met": ratio is not None and ratio <= 0.7}


def memory_worker(args):
    """Trains the recipe's networks through all their phases in this process; prints JSON."""
    import keras

    from keras_lipschitz import data
    from keras_lipschitz import recipes
    from keras_lipschitz.recipes import build

    source = data.load(args.dataset, data_dir=args.data_dir)
    batch = 64
    phase_images = args.memory_phase_steps * batch
    settings = recipes.get("pggan").settings(args.dataset, fade_images=phase_images, stable_images=phase_images)
    levels = build.models(settings, source.sample_shape)[0].levels
    if args.memory_full_resolution:  # the same networks and steps, no growth: the baseline
        settings["fade_images"] = 0
    gan, arguments = build.build(settings, source.sample_shape, seed=0)
    gan.compile(**arguments)
    phases = 2 * levels - 1
    compiled = []
    if hasattr(gan, "_enter"):
        enter = gan._enter
        gan._enter = lambda phase: (compiled.append(phase[:2]), enter(phase))[-1]
    readings = []

    class PhaseEnds(keras.callbacks.Callback):
        def on_train_batch_end(self, step, logs=None):
            done = int(keras.ops.convert_to_numpy(gan.train_steps))
            if done % args.memory_phase_steps == 0:
                phase = list(gan.phase_at_step(done - 1)[:2]) if compiled else [levels - 1, False]
                readings.append({"step": done, "phase": phase, "rss_mib": _rss_mib()})

    steps = (phases + 2) * args.memory_phase_steps  # every phase, then more of the last
    stream = source.batches(batch, seed=0)
    gan.fit(stream, epochs=1, steps_per_epoch=steps, verbose=0, callbacks=[PhaseEnds()])
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"phases": phases, "compiled_steps": len(compiled), "compiled_phases": compiled,
                      "readings": readings, "peak_rss_mib": peak, "backend": keras.backend.backend(),
                      "steps": int(keras.ops.convert_to_numpy(gan.train_steps))}))


def _rss_mib():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def memory(args, out):
    """The memory worker with growth and, as the baseline, without (each in its own process)."""
    reports = {}
    for name, extra in (("progressive", []), ("full_resolution", ["--memory_full_resolution"])):
        command = [sys.executable, __file__, "--memory_worker", f"--dataset={args.dataset}",
                   f"--memory_phase_steps={args.memory_phase_steps}", *extra] + (
            [f"--data_dir={args.data_dir}"] if args.data_dir else [])
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode:
            raise RuntimeError(result.stderr[-3000:])
        reports[name] = json.loads(result.stdout.strip().splitlines()[-1])
    (out / "memory.json").write_text(json.dumps(reports, indent=2))
    return reports


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", default="fashion_mnist")
    parser.add_argument("--data_dir", default=None)
    parser.add_argument("--seeds", default="2")
    parser.add_argument("--steps", type=int, default=4000, help="generator steps of both rows (the recipe's)")
    parser.add_argument("--eval_every", type=int, default=500)
    parser.add_argument("--eval_samples", type=int, default=2000)
    parser.add_argument("--flags", default="", help="more command flags for both rows (e.g. '--batch_size=32')")
    parser.add_argument("--parallel", type=int, default=1)
    parser.add_argument("--parts", default="quality,memory")
    parser.add_argument("--memory_phase_steps", type=int, default=20, help="steps per phase in the memory part")
    parser.add_argument("--out", default=str(HERE / "results" / "progressive"))
    parser.add_argument("--quick", action="store_true", help="tiny sizes: checks that everything runs")
    parser.add_argument("--memory_worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--memory_full_resolution", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.quick:
        args.steps, args.eval_every, args.eval_samples, args.seeds = 40, 20, 200, "1"
        args.flags += " --fade_images=640 --stable_images=640 --batch_size=32"
        args.memory_phase_steps = 3
    if args.memory_worker:
        return memory_worker(args)
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    results = {"dataset": args.dataset, "steps": args.steps, "seeds": int(args.seeds), "flags": args.flags,
               "cpu_count": os.cpu_count()}
    parts = args.parts.split(",")
    if "quality" in parts:
        rows, runs = quality(args, out)
        results["rows"], results["targets"] = rows, quality_verdict(rows)
        results["samples"] = {name: [run["samples"] for run in value] for name, value in runs.items()}
        print(f"\n{args.dataset}, {args.steps} generator steps, {args.seeds} seed(s), mean +- s.e.")
        print("| row | FID | KID | precision | recall | density | coverage | CPU s |\n" + "|---" * 8 + "|")
        for name, row in rows.items():
            cells = [f"{row[key][0]:.3f} +- {row[key][1]:.3f}" for key in image_quality.METRICS[:6]]
            print(f"| {name} | " + " | ".join(cells) + f" | {row['cpu_seconds']:.0f} |")
        print("\nFID by CPU seconds (mean over seeds):")
        for name, row in rows.items():
            print(f"  {name}: " + ", ".join(f"{s:.0f} s: {f:.1f}" for s, f in
                                           zip(row["curve"]["seconds"], row["curve"]["fid"])))
        print("\n" + "\n".join(f"{key}: {value}" for key, value in results["targets"].items()))
        image_quality.plot(rows, out / "fid_per_cpu_second.png", "cpu")
        print(f"stages: {stage_pictures(out, 0, out / 'stages.png')}")
    if "memory" in parts:
        reports = results["memory"] = memory(args, out)
        growing, flat = reports["progressive"], reports["full_resolution"]
        print(f"\nMemory ({growing['backend']}), {args.memory_phase_steps} steps per phase: progressive through "
              f"{growing['phases']} phases, {growing['compiled_steps']} compiled steps; full resolution the same steps")
        print("| step | phase (level, fading) | progressive RSS MiB | full resolution RSS MiB |\n|---|---|---|---|")
        for reading, baseline in zip(growing["readings"], flat["readings"]):
            print(f"| {reading['step']} | {tuple(reading['phase'])} | {reading['rss_mib']:.0f} | "
                  f"{baseline['rss_mib']:.0f} |")
        print(f"| peak | | {growing['peak_rss_mib']:.0f} | {flat['peak_rss_mib']:.0f} |")
        results["peak_rss_ratio_to_full_resolution"] = growing["peak_rss_mib"] / flat["peak_rss_mib"]
    (out / "progressive.json").write_text(json.dumps(results, indent=2))
    print(f"wrote {out / 'progressive.json'}")


if __name__ == "__main__":
    main()
