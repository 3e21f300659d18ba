"""The `keras-lipschitz-train` command: a real run, resume, recipe checks and flag errors."""

import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest
from absl import app
from PIL import Image

from keras_lipschitz.trainers import train

COMMAND = [sys.executable, "-m", "keras_lipschitz.trainers.train"]


def _run(*flags, cwd):
    environment = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "CUDA_VISIBLE_DEVICES": ""}
    return subprocess.run([*COMMAND, *flags], cwd=cwd, env=environment, capture_output=True, text=True, timeout=600)


def test_trains_evaluates_resumes_and_refuses_another_recipe(tmp_path):
    flags = ["--dataset=ring8", "--gan=wgan_gp", "--steps=20", "--log_every=10", "--sample_every=10",
             "--eval_every=20", "--checkpoint_every=10", "--out_dir=run", "--verbose=2"]
    first = _run(*flags, cwd=tmp_path)
    assert first.returncode == 0, first.stderr[-3000:]
    run = tmp_path / "run"
    for name in ("config.json", "history.csv", "curves.png", "metrics.json", "generator.keras",
                 "samples/samples-00000020.png", "checkpoints/ckpt-00000020.npz"):
        assert (run / name).exists(), name
    assert "modes" in first.stdout and str(run.relative_to(tmp_path) / "generator.keras") in first.stdout
    results = json.loads((run / "metrics.json").read_text())
    assert results[-1]["step"] == 20 and 0 <= results[-1]["modes"] <= 8
    assert np.asarray(Image.open(run / "curves.png")).ndim == 3

    resumed = _run(*[flag for flag in flags if not flag.startswith("--steps")], "--steps=30", cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "Resuming from" in resumed.stdout and "(step 20)" in resumed.stdout
    assert [row["step"] for row in json.loads((run / "metrics.json").read_text())] == [20, 30]
    assert len((run / "history.csv").read_text().strip().splitlines()) == 1 + 3  # header + 3 epochs

    other = _run("--dataset=ring8", "--gan=sngan", "--steps=10", "--out_dir=run", cwd=tmp_path)
    assert other.returncode != 0
    assert "holds a run of a different recipe (--gan was 'wgan_gp', now 'sngan', " in other.stderr
    assert "critic_depth was 3, now 2" in other.stderr  # a recipe setting that follows from --gan


def test_conditional_digits_run_is_measured_in_one_feature_space_for_every_seed(tmp_path):
    from keras_lipschitz import data
    from keras_lipschitz.trainers.evaluation import Evaluator

    result = _run("--conditional", "--steps=4", "--log_every=2", "--eval_every=4", "--batch_size=16", "--seed=1",
                  "--out_dir=cond", "--verbose=0", cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    last = json.loads((tmp_path / "cond" / "metrics.json").read_text())[-1]
    assert last["step"] == 4 and {"fid", "kid", "inception_score", "precision", "recall", "classes"} <= set(last)
    assert last["fid_real_vs_real"] < last["fid"]
    # The run's seed is 1; its scores are in the features of the classifier of seed 0, whatever the run's seed.
    digits = data.load("digits")
    fixed, other = Evaluator(digits, 1000).reference, Evaluator(digits, 1000, classifier_seed=1).reference
    assert last["fid_real_vs_real"] == pytest.approx(fixed["fid_real_vs_real"], rel=1e-6)
    assert last["classifier_test_accuracy"] == fixed["classifier_test_accuracy"]
    assert abs(fixed["fid_real_vs_real"] - other["fid_real_vs_real"]) > 1e-3 * fixed["fid_real_vs_real"]
    grid = np.asarray(Image.open(tmp_path / "cond" / "samples" / "samples-00000004.png"))
    # One row per class (6 samples each), 8 px digits enlarged to 32 px, 2 px borders, a label margin.
    assert grid.shape == (2 + 10 * 34, 14 + 2 + 6 * 34)


@pytest.mark.minutes
def test_biggan_trains_resumes_and_exports_from_the_command(tmp_path):
    flags = ["--gan=biggan", "--truncation=1", "--log_every=2", "--eval_every=4", "--sample_every=4", "--checkpoint_every=2",
             "--batch_size=8", "--eval_samples=200", "--out_dir=big", "--verbose=0"]
    first = _run(*flags, "--steps=4", cwd=tmp_path)
    assert first.returncode == 0, first.stderr[-3000:]
    config = json.loads((tmp_path / "big" / "config.json").read_text())
    # The recipe's conditioning with no flag for it; the truncation flag recorded for the export.
    assert (config["architecture"], config["conditional"], config["truncation"], config["d_steps"]) == (
        "biggan", True, 1.0, 2)
    assert "label_accuracy" in json.loads((tmp_path / "big" / "metrics.json").read_text())[-1]
    resumed = _run(*flags, "--steps=6", cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "Resuming from" in resumed.stdout and "(step 4)" in resumed.stdout
    export = subprocess.run([sys.executable, "-m", "keras_lipschitz.export.command", "--model=big",
                             "--output_dir=exported", "--quantizations=float32"], cwd=tmp_path, capture_output=True,
                            text=True, timeout=600, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
    assert export.returncode == 0, export.stderr[-3000:]
    report = json.loads((tmp_path / "exported" / "report.json").read_text())
    assert report["truncation"] == 1.0 and report["conditional"]  # the run's truncation, from its config.json
    assert report["max_abs_difference"]["saved_model"] <= 1e-5
    assert report["max_abs_difference"]["tflite_float32"] <= 1e-4


@pytest.mark.parametrize(
    "flags, message",
    [
        (["--steps=0"], "--steps must be >= 1"),
        (["--channels=2"], "--channels must be 1 or 3"),
        (["--ema_decay=1.5"], "--ema_decay must be in [0, 1)"),
        (["--loss=wasserstien"], "--loss must be one of"),
        (["--penalty=gp"], "--penalty must be none or one of"),
        (["--strategy=tpu"], "--strategy=tpu needs --tpu"),
        (["--d_learning_rate=-1"], "--d_learning_rate must be > 0"),
        (["--truncation=-1"], "--truncation must be >= 0"),
        (["--label_smoothing=1"], "--label_smoothing must be in [0, 1)"),
        (["--gan=sagan", "--dataset=ring8"], "The sagan recipe (SAGAN) applies to images, not to ring8 (points)"),
    ],
)
def test_invalid_flags_get_clear_errors(flags, message):
    train.FLAGS(["keras-lipschitz-train", *flags])
    try:
        with pytest.raises(app.UsageError, match=re.escape(message)):
            train._run_settings(train._checked_settings())
    finally:
        train.FLAGS.unparse_flags()


def test_level_batch_sizes_reach_the_growth_schedule_and_a_wrong_one_is_refused():
    from keras_lipschitz.recipes import build

    for given, want in [("64,64,32,16", (64, 64, 32, 16)), ("", None)]:
        train.FLAGS(["keras-lipschitz-train", "--gan=pggan", "--dataset=fashion_mnist", f"--level_batch_sizes={given}"])
        try:
            settings = train._run_settings(train._checked_settings())
        finally:
            train.FLAGS.unparse_flags()
        gan, _ = build.build(settings, (32, 32, 1), seed=0)
        assert gan.schedule.batch_sizes == want and settings["level_batch_sizes"] == given
    assert "level_batch_sizes" in train.RECIPE_SETTINGS  # a resumed run keeps its batches
    with pytest.raises(ValueError, match=re.escape("Level 0 (4x4) takes 48 images per step from batches of 64")):
        build.build({**settings, "level_batch_sizes": "48,32,32,16"}, (32, 32, 1), seed=0)


def test_unknown_choices_are_refused_by_the_flag_parser(tmp_path):
    result = _run("--gan=bigan", cwd=tmp_path)
    assert result.returncode != 0 and "--gan" in result.stderr and "sngan" in result.stderr
    result = _run("--dataset=ring8", "--conditional", "--steps=1", cwd=tmp_path)
    assert result.returncode != 0 and "is conditional here and needs labels, and ring8 has none" in result.stderr
    # A recipe setting the chosen architecture cannot honour is named before anything trains.
    result = _run("--gan=sagan", "--architecture=dcgan", "--steps=1", cwd=tmp_path)
    assert result.returncode != 0 and "Self-attention (attention_divisor=2) is built into the resnet" in result.stderr
    result = _run("--help", cwd=tmp_path)
    assert result.returncode == 0
    for flag in ("--gan", "--dataset", "--strategy", "--mixed_precision", "jit_compile", "--out_dir"):
        assert flag in result.stdout


def test_resume_forgets_what_a_killed_run_wrote_after_its_checkpoint(tmp_path):
    # Rows of steps 20-80; the kill cut row 60 short and came after the checkpoint of step 65.
    (tmp_path / "history.csv").write_text("step,d_loss,g_loss\n20,1.5,0.5\n40,1.25,0.6\n60,1.0\n80,0.9,0.7\n")
    (tmp_path / "metrics.json").write_text(json.dumps([{"step": 20}, {"step": 40}, {"step": 60}, {"step": 80}]))
    train._forget_after(tmp_path, step=65)
    assert (tmp_path / "history.csv").read_text() == "step,d_loss,g_loss\n20,1.5,0.5\n40,1.25,0.6\n"
    assert json.loads((tmp_path / "metrics.json").read_text()) == [{"step": 20}, {"step": 40}, {"step": 60}]
