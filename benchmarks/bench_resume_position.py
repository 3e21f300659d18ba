"""Time to the first batch of a resumed run: the positioned stream against replaying it.

A run resumed at generator step N must read the batches an uninterrupted run
would have read from step N on. `DataSource.batches(skip_batches=N)` now
computes each example's place in the stream (a seeded permutation per epoch,
`tf.random.experimental.index_shuffle`); the reference is the way the command
did it before, and the way a plain `tf.data` pipeline does: a shuffle buffer
and `dataset.skip(N)`, which reads every skipped element. Both run here, side
by side, on two sources:

* digits: scikit-learn's 8x8 digits (1,437 train images), batch 64;
* image_source: a tensorflow-datasets-style source (60,000 28x28 uint8
  images decoded and resized to 32x32 in the pipeline, as `tfds:mnist` or
  `tfds:fashion_mnist` are), batch 5 x 64 = 320 (WGAN-GP's d_steps 5).

Each cell is the median of `--repeats` cold starts (a new pipeline each time)
to the first batch. The "(load)" row is the one-time read of a source without
random access into memory (decoded, as the old pipeline's `cache()` held it),
paid once per process whatever the step. Replay is measured while it reads at most
`--max_replay_elements` elements and marked "skipped" beyond: at 10^6 steps it
takes minutes to hours.

Target: the positioned stream reaches its first batch in <= 1 s at step 10^6.

Usage:
    python benchmarks/bench_resume_position.py [--repeats 3] [--max_replay_elements 7000000]
"""

import argparse
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import _harness  # noqa: E402
from keras_lipschitz import data  # noqa: E402
from keras_lipschitz.data import sources  # noqa: E402

STEPS = (0, 10**4, 10**5, 10**6)


def image_source():
    """60,000 uint8 28x28 images decoded to [-1, 1] at 32x32 in the pipeline, like `tfds:mnist`."""
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(60_000, 28, 28, 1), dtype=np.uint8)
    labels = rng.integers(0, 10, size=60_000).astype("int32")
    elements = tf.data.Dataset.from_tensor_slices((images, labels)).map(
        lambda image, label: (sources._to_unit_range(image, 32, 1), label), num_parallel_calls=tf.data.AUTOTUNE)
    return data.DataSource(name="image_source", kind="images", sample_shape=(32, 32, 1), num_classes=10,
                           dataset=elements, num_examples=60_000)


def first_batch_seconds(make_dataset):
    started = time.perf_counter()
    next(iter(make_dataset()))
    return time.perf_counter() - started


def positioned(source, batch, step):
    return lambda: source.batches(batch, seed=0, skip_batches=step)


def replayed(source, batch, step):
    """The reference: shuffle buffer, repeat, then skip every batch before `step` (as before)."""
    return lambda: source._streamed(True, 0, step, batch).batch(batch, drop_remainder=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--max_replay_elements", type=int, default=7_000_000)
    parser.add_argument("--json", default="benchmarks/results/resume_position.json")
    args = parser.parse_args()

    results = {"environment": _harness.environment(), "rows": []}
    print(f"{'source':<13}{'step':>9}{'positioned s':>14}{'replayed s':>12}{'replay/positioned':>19}")
    for name, source, batch in (("digits", data.load("digits"), 64), ("image_source", image_source(), 320)):
        started = time.perf_counter()
        source.batches(batch)  # reads the source into memory once per process, at any step
        load = time.perf_counter() - started
        print(f"{name:<13}{'(load)':>9}{load:>14.3f}{'-':>12}{'-':>19}")
        results["rows"].append({"source": name, "batch": batch, "step": None, "load_s": load})
        for step in STEPS:
            ours = statistics.median(first_batch_seconds(positioned(source, batch, step))
                                     for _ in range(args.repeats))
            reference = None
            if step * batch <= args.max_replay_elements:
                reference = statistics.median(first_batch_seconds(replayed(source, batch, step))
                                              for _ in range(args.repeats))
            ratio = f"{reference / ours:.1f}x" if reference is not None else "-"
            shown = f"{reference:.3f}" if reference is not None else "skipped"
            print(f"{name:<13}{step:>9}{ours:>14.3f}{shown:>12}{ratio:>19}")
            results["rows"].append({"source": name, "batch": batch, "step": step, "positioned_s": ours,
                                    "replayed_s": reference})
    worst = max(row["positioned_s"] for row in results["rows"] if row["step"] == 10**6)
    results["target_met"] = worst <= 1.0
    print(f"\ntarget (positioned <= 1 s at step 10^6): {'met' if results['target_met'] else 'not met'} "
          f"(worst {worst:.3f} s)")
    _harness.write_json(results, args.json)


if __name__ == "__main__":
    main()
