"""Timing helpers shared by the benchmarks: interleaved rounds, paired ratios. Imports no TensorFlow (the
JAX benchmarks run where it is not installed)."""

import importlib.metadata
import json
import os
import pathlib
import platform
import random
import statistics
import time

import keras

WARMUP_STEPS = 5


def interleaved_times(step_by_variant, step_args, rounds, steps, seed):
    """Seconds per step of each variant, one sample per round.

    Each round runs every variant for `steps` steps, in a shuffled order, so
    that machine noise hits all variants alike; ratios taken within a round
    are then paired.
    """
    for step in step_by_variant.values():
        for _ in range(WARMUP_STEPS):  # trace, compile, warm caches
            step(*step_args).numpy()
    times = {variant: [] for variant in step_by_variant}
    order = list(step_by_variant)
    shuffler = random.Random(seed)
    for _ in range(rounds):
        shuffler.shuffle(order)
        for variant in order:
            start = time.perf_counter()
            for _ in range(steps):
                result = step_by_variant[variant](*step_args)
            result.numpy()
            times[variant].append((time.perf_counter() - start) / steps)
    return times


def paired_ratio(samples, reference_samples):
    """Median over rounds of `sample / reference` within each round."""
    return statistics.median(a / b for a, b in zip(samples, reference_samples))


def alternating_times(run_by_name, steps, rounds):
    """Seconds per step of each `run_by_name[name]()` (which runs `steps` steps), one sample per round,
    the order reversed every other round (ABBA) so that drift of the machine hits all alike."""
    seconds = {name: [] for name in run_by_name}
    order = list(run_by_name)
    for round_index in range(rounds):
        for name in order if round_index % 2 == 0 else order[::-1]:
            start = time.perf_counter()
            run_by_name[name]()
            seconds[name].append((time.perf_counter() - start) / steps)
    return seconds


def _version(package):
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def median_ms(samples):
    return 1e3 * statistics.median(samples)


def environment():
    return {
        "device": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "tensorflow": _version("tensorflow"),
        "keras": keras.__version__,
        "keras_backend": keras.backend.backend(),
    }


def write_json(results, path):
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2))
    print(f"\nwrote {path}")
