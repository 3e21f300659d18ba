"""benchmarks/bench_device.py, the accelerator check, in its quick mode on the CPU under JAX without TensorFlow.

The GPU it is made for is lent only to some sessions; this keeps the script
working in between: every part runs, and the report holds what
docs/benchmarks.md quotes from it.
"""

import json
import math
import os
import pathlib
import subprocess
import sys

import pytest

pytest.importorskip("jax")
pytest.importorskip("optax")

ROOT = pathlib.Path(__file__).parent.parent


@pytest.mark.minutes
def test_device_script_runs_under_jax_without_tensorflow_and_writes_its_report(tmp_path):
    # As `python benchmarks/bench_device.py` would: the script's folder (its helpers) on the path.
    code = ("import runpy, sys\n"
            f"sys.path.insert(0, {str(ROOT / 'benchmarks')!r})\n"
            f"sys.argv = ['bench_device.py', '--out', {str(tmp_path / 'device')!r}, '--quick']\n"
            f"runpy.run_path({str(ROOT / 'benchmarks' / 'bench_device.py')!r}, run_name='__main__')\n"
            "print('tensorflow imported:', 'tensorflow' in sys.modules)\n")
    environment = {**os.environ, "KERAS_BACKEND": "jax", "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""}
    result = subprocess.run([sys.executable, str(ROOT / "tests" / "scripts" / "no_tensorflow.py"), "-c", code],
                            cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-4000:]
    assert "tensorflow imported: False" in result.stdout
    report = json.loads((tmp_path / "device" / "device.json").read_text())
    assert report["device"].startswith("cpu") and report["quick"]
    times = report["critic_step_ms"]
    assert {"keras-lipschitz SpectralNormalization", "keras.layers.SpectralNormalization", "no normalization",
            "WGAN step, gradient penalty", "WGAN step, no penalty"} == set(times)
    assert all(value > 0 and math.isfinite(value) for value in times.values())
    assert set(report["trainer"]["seconds_per_step"]) == {"keras-lipschitz GAN.fit", "JAX + optax, no Keras"}
    metrics = report["training_run"]["metrics"]
    assert metrics["step"] == 20 and math.isfinite(metrics["fid"]) and metrics["classifier_test_accuracy"] > 0.9
