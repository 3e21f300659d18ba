"""The layer, loss, penalty and trainer suites, with their own oracles, run on Keras' JAX backend.

The suites in tests/on_backend.py's sense (they write the few backend-specific
steps once per backend) run again here in a pytest process with
KERAS_BACKEND=jax; every test must pass there, and only tf.distribute tests
may skip. The same numbers on both backends from the same weights are
checked in tests/test_backends.py.
"""

import os
import pathlib
import re
import subprocess
import sys

import pytest

pytest.importorskip("jax")

# The suites that run on both backends (tests/on_backend.py), in groups of about equal time on JAX.
SUITES_ON_JAX = [
    ["test_spectral_normalization.py"],
    ["test_penalties.py", "test_losses.py", "test_spectral_normalization_runtime.py", "test_self_attention.py",
     "test_clip_constraint.py", "test_diff_augment.py"],
    ["test_gan_trainer.py", "test_conditional.py"],
    ["test_progressive.py", "test_packing.py"],
    ["test_unrolled.py", "test_minibatch_discrimination.py", "test_virtual_batch_normalization.py", "test_ebgan.py",
     "test_madgan.py", "test_mrgan.py"],
]


@pytest.mark.minutes
@pytest.mark.parametrize("suites", SUITES_ON_JAX, ids=lambda suites: suites[0].removesuffix(".py"))
def test_suites_pass_on_jax(suites):
    tests = pathlib.Path(__file__).parent
    # These small tests spend most of their time compiling (eager JAX compiles every operation once): XLA's
    # optimization passes are skipped here, which changes no result beyond float rounding. The command's JAX tests
    # (tests/test_train_command_jax.py) and the cross-backend cases (tests/test_backends.py) run with them.
    env = {**os.environ, "KERAS_BACKEND": "jax", "TF_CPP_MIN_LOG_LEVEL": "3", "JAX_DISABLE_MOST_OPTIMIZATIONS": "1"}
    # -P: the repository root (the working directory) stays off sys.path, so the installed package is imported,
    # as pytest.ini asks (its trainers/ and export/ exist only once installed).
    command = [sys.executable, "-P", "-m", "pytest", "-q", "-n", "0", "-rs", *(str(tests / suite) for suite in suites)]
    result = subprocess.run(command, cwd=tests.parent, env=env, capture_output=True, text=True, timeout=1200)
    summary = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else result.stderr[-2000:]
    assert result.returncode == 0, result.stdout[-6000:]
    counts = {word: int(number) for number, word in re.findall(r"(\d+) (passed|skipped|failed|error)", summary)}
    assert counts.get("passed", 0) >= 10, summary
    # Only tf.distribute tests are skipped on JAX.
    skip_reasons = re.findall(r"^SKIPPED \[\d+\] (.*)$", result.stdout, re.MULTILINE)
    assert all("tf.distribute" in reason for reason in skip_reasons), skip_reasons
