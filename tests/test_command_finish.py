"""What a new user meets first: the command's signals, resume settings, files, messages and help.

Each test here failed on the command as it was before (issue: fit and finish).
"""

import json
import os
import re
import signal
import stat
import subprocess
import sys
import time

import numpy as np
import pytest
import tensorflow as tf
from absl import app

from keras_lipschitz import _files
from keras_lipschitz import data
from keras_lipschitz.data import sources
from keras_lipschitz.data import tf_stream
from keras_lipschitz.trainers import checkpoint
from keras_lipschitz.trainers import train
from keras_lipschitz.trainers.step_log import read_history

from fault_table import documented  # tests/fault_table.py: the rows of docs/reliability.md

COMMAND = [sys.executable, "-m", "keras_lipschitz.trainers.train"]
EXPORT = [sys.executable, "-m", "keras_lipschitz.export.command"]
ENVIRONMENT = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "CUDA_VISIBLE_DEVICES": "", "PYTHONUNBUFFERED": "1"}
QUICK = ["--dataset=ring8", "--gan=gan", "--log_every=10", "--sample_every=100000", "--eval_every=100000",
         "--checkpoint_every=10", "--verbose=0"]


def _run(*flags, cwd, environment=ENVIRONMENT, command=COMMAND):
    return subprocess.run([*command, *flags], cwd=cwd, env=environment, capture_output=True, text=True, timeout=600)


def _parse(*flags):
    train.FLAGS(["keras-lipschitz-train", *flags])
    try:
        return train._checked_settings()
    finally:
        train.FLAGS.unparse_flags()


# 1. Ctrl-C -------------------------------------------------------------------


def test_ctrl_c_finishes_the_step_checkpoints_and_says_how_to_resume(tmp_path):
    process = subprocess.Popen([*COMMAND, *QUICK, "--steps=100000", "--out_dir=run"], cwd=tmp_path,
                               env=ENVIRONMENT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    while process.poll() is None and not checkpoint.checkpoints(tmp_path / "run" / "checkpoints"):
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=300)
    assert process.returncode == 130, stderr[-3000:]
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr
    step = int(re.search(rf"{documented('ctrl-c')} (\d+)", stdout).group(1))
    assert "run the same command to resume" in stdout
    assert checkpoint.checkpoints(tmp_path / "run" / "checkpoints")[-1][0] == step  # the step in flight, saved
    resumed = _run(*QUICK, f"--steps={step + 10}", "--out_dir=run", cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert f"(step {step})" in resumed.stdout


def test_a_signal_before_any_checkpoint_says_so(tmp_path):
    # Learning rates of 1e38 make every step non-finite, and no checkpoint is written during such a streak: the
    # signal stops a run that has none (this raised IndexError once).
    process = subprocess.Popen([*COMMAND, *QUICK, "--steps=100000", "--d_learning_rate=1e38",
                                "--g_learning_rate=1e38", "--nonfinite_patience=100000", "--out_dir=run"],
                               cwd=tmp_path, env=ENVIRONMENT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    history = tmp_path / "run" / "history.csv"
    while process.poll() is None and not (history.exists() and len(history.read_text().splitlines()) > 2):
        time.sleep(0.05)
    process.send_signal(signal.SIGTERM)
    stdout, stderr = process.communicate(timeout=300)
    assert process.returncode == 0, stderr[-3000:]
    assert "Traceback" not in stderr
    assert re.search(rf"{documented('sigterm')} \d+: {documented('signal-before-checkpoint')}", stdout), stdout[-2000:]
    assert not checkpoint.checkpoints(tmp_path / "run" / "checkpoints")


def test_a_second_signal_is_not_waited_for(tmp_path):
    saver = checkpoint.GANCheckpoint(tmp_path, save_on_signals=(signal.SIGINT, signal.SIGTERM))
    before = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM)}
    saver._install_signal_handlers()
    try:
        saver._on_signal(signal.SIGINT, None)
        assert saver.preempted == "SIGINT"
        # The second Ctrl-C raises KeyboardInterrupt at once (the command then exits 130, without a traceback).
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
        saver._on_signal(signal.SIGTERM, None)
        assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL
    finally:
        for number, handler in before.items():
            signal.signal(number, handler)


# 2, 3. Resume settings, failed starts -----------------------------------------


def test_resume_applies_and_announces_settings_and_refuses_recipe_changes(tmp_path):
    quick = [*QUICK, "--gan=wgan"]  # a constant learning rate: a variable that the checkpoint holds
    first = _run(*quick, "--steps=10", "--out_dir=run", cwd=tmp_path)
    assert first.returncode == 0, first.stderr[-3000:]
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert config["d_learning_rate"] == 5e-5 and config["ema_decay"] == 0.999 and config["penalty_weight"] == 10.0
    resumed = _run(*quick, "--steps=20", "--d_learning_rate=0.5", "--out_dir=run", cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert documented("changed-setting-on-resume") in resumed.stdout and "steps: 10 -> 20" in resumed.stdout
    assert json.loads((tmp_path / "run" / "config.json").read_text())["d_learning_rate"] == 0.5
    # The optimizer trained with it: the checkpoint of step 20 holds the critic's learning rate 0.5.
    with np.load(checkpoint.checkpoints(tmp_path / "run" / "checkpoints")[-1][1]) as archive:
        values = [archive[key] for key in sorted(archive.files)]
    assert any(value.shape == () and value.dtype == np.float32 and value == np.float32(0.5) for value in values)
    refused = _run(*quick, "--steps=30", "--ema_decay=0", "--out_dir=run", cwd=tmp_path)
    assert refused.returncode != 0
    assert "holds a run of a different recipe (--ema_decay was 0.999, now 0.0)" in refused.stderr
    assert "Traceback" not in refused.stderr


def test_a_failed_start_leaves_nothing_that_blocks_the_corrected_command(tmp_path):
    failed = _run(*QUICK, "--dataset=folder:/nonexistent", "--steps=2", "--out_dir=run", cwd=tmp_path)
    assert failed.returncode != 0 and documented("failed-start") in failed.stderr
    assert "Traceback" not in failed.stderr
    assert not (tmp_path / "run" / "config.json").exists()
    corrected = _run(*QUICK, "--steps=2", "--out_dir=run", cwd=tmp_path)
    assert corrected.returncode == 0, corrected.stderr[-3000:]


# 4. Damaged files ----------------------------------------------------------------


@pytest.mark.parametrize("name, content", [("config.json", "{not json"), ("metrics.json", "[{\"step\": 1"),
                                           ("config.json", "[1, 2]")])
def test_damaged_files_get_a_message_naming_them(tmp_path, name, content):
    first = _run(*QUICK, "--steps=10", "--eval_every=10", "--out_dir=run", cwd=tmp_path)
    assert first.returncode == 0, first.stderr[-3000:]
    (tmp_path / "run" / name).write_text(content)
    result = _run(*QUICK, "--steps=20", "--eval_every=10", "--out_dir=run", cwd=tmp_path)
    assert result.returncode != 0
    assert f"run/{name} {documented('damaged-run-file')}" in result.stderr and "delete it" in result.stderr.lower()
    assert "Traceback" not in result.stderr


def test_a_damaged_checkpoint_is_reported_without_a_traceback(tmp_path):
    first = _run(*QUICK, "--steps=10", "--out_dir=run", cwd=tmp_path)
    assert first.returncode == 0, first.stderr[-3000:]
    checkpoint.checkpoints(tmp_path / "run" / "checkpoints")[-1][1].write_bytes(b"not a zip file")
    result = _run(*QUICK, "--steps=20", "--out_dir=run", cwd=tmp_path)
    assert result.returncode == 1
    assert "is not a readable checkpoint" in result.stderr and "Traceback" not in result.stderr


# 5. Permissions ------------------------------------------------------------------


def test_written_files_get_the_umask_permissions(tmp_path):
    def umask_022():
        os.umask(0o022)

    result = subprocess.run([*COMMAND, *QUICK, "--steps=10", "--eval_every=10", "--sample_every=10",
                             "--out_dir=run"], cwd=tmp_path, env=ENVIRONMENT, capture_output=True, text=True,
                            timeout=600, preexec_fn=umask_022)
    assert result.returncode == 0, result.stderr[-3000:]
    run = tmp_path / "run"
    for name in ("config.json", "metrics.json", "curves.png", "history.csv", "generator.keras",
                 "samples/samples-00000010.png", "checkpoints/ckpt-00000010.npz"):
        assert stat.filemode((run / name).stat().st_mode) == documented("file-permissions"), name
    for name in ("", "samples", "checkpoints", "logs"):
        assert (run / name).stat().st_mode & 0o777 == 0o755, name
    previous = os.umask(0o027)
    try:
        with _files.atomic_write(tmp_path / "private.json", "w") as file:
            file.write("{}")
    finally:
        os.umask(previous)
    assert (tmp_path / "private.json").stat().st_mode & 0o777 == 0o640


# 6. Help -------------------------------------------------------------------------


@pytest.mark.parametrize("module, flags", [("keras_lipschitz.trainers.train", ("--gan", "--dataset", "--ema_start")),
                                           ("keras_lipschitz.export.command", ("--model", "--output_dir"))])
def test_help_lists_the_commands_own_flags_without_importing_tensorflow(module, flags, tmp_path):
    script = (f"import sys; sys.argv = ['command', '--help']\n"
              f"from {module} import run\nrun()\n"
              "print('tensorflow imported:', 'tensorflow' in sys.modules)\n")
    result = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=ENVIRONMENT, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Try --helpfull" not in result.stdout and "tensorflow imported: False" in result.stdout
    for flag in flags:
        assert flag in result.stdout
    assert "--verbosity" not in result.stdout and "--alsologtostderr" not in result.stdout  # absl's own


# 7. Flags a source cannot honour ---------------------------------------------------


@pytest.mark.parametrize("flags, message", [
    (["--image_size=3"], "--image_size does not apply to --dataset=digits"),
    (["--channels=3"], "--channels does not apply to --dataset=digits"),
    (["--dataset=ring8", "--image_size=16"], "--image_size does not apply to --dataset=ring8"),
    (["--dataset=folder:/tmp", "--image_size=3"], "--image_size=3 does not fit the convolutional architectures"),
    (["--dataset=folder:/tmp", "--image_size=48", "--architecture=resnet"], "--image_size=48 does not fit the "
                                                                             "convolutional architectures"),
])
def test_flags_a_source_cannot_honour_are_refused_up_front(flags, message):
    with pytest.raises(app.UsageError, match=re.escape(message)):
        _parse(*flags)


# 8. Offline tensorflow-datasets -----------------------------------------------------


def test_offline_tfds_fails_in_seconds_and_leaves_nothing(tmp_path, monkeypatch):
    # A closed port on this machine stands for "no internet" (CI has none either way).
    monkeypatch.setattr(sources, "_TFDS_HOST", ("127.0.0.1", 9))
    started = time.time()
    with pytest.raises(RuntimeError, match=documented("offline-tfds")):
        data.load("tfds:mnist", data_dir=str(tmp_path / "tfds"))
    assert time.time() - started < 30
    assert not (tmp_path / "tfds").exists()


# 9, 10, 11. Precision warning, a quiet run, the summary --------------------------------


def test_float16_on_a_cpu_warns_once(capsys):
    train._warn_if_slow_precision("mixed_float16", has_accelerator=False)
    train._warn_if_slow_precision("mixed_bfloat16", has_accelerator=False)
    train._warn_if_slow_precision("mixed_float16", has_accelerator=True)
    assert capsys.readouterr().err.count("without a GPU runs about 60x slower") == 1


def test_a_successful_run_is_quiet_and_its_summary_says_what_the_numbers_are(tmp_path):
    environment = {key: value for key, value in ENVIRONMENT.items() if key != "TF_CPP_MIN_LOG_LEVEL"}
    result = _run("--gan=sngan", "--conditional", "--steps=4", "--log_every=2", "--eval_every=4",
                  "--batch_size=16", "--eval_samples=200", "--out_dir=run", "--verbose=1", cwd=tmp_path,
                  environment=environment)
    assert result.returncode == 0, result.stderr[-3000:]
    output = result.stdout + result.stderr
    assert not re.search(r"^E\d{4} ", output, re.MULTILINE)  # no error-level TensorFlow lines
    assert "deprecat" not in output.lower() and "Traceback" not in output
    # The progress bar: no penalty without one, no skipped_steps while none was skipped.
    assert "max_sigma" in result.stdout and "penalty:" not in result.stdout and "skipped_steps" not in result.stdout
    header = (tmp_path / "run" / "history.csv").read_text().splitlines()[0].split(",")
    assert header[0] == "step" and not any(name.startswith("val_") for name in header)
    assert "NA" not in (tmp_path / "run" / "history.csv").read_text()
    for text in ("(conditional)", "digits classifier", "KID is the unbiased MMD^2", "real vs real",
                 "keras-lipschitz-export --model=run", "tensorboard --logdir=run/logs"):
        assert text in result.stdout, text
    last = json.loads((tmp_path / "run" / "metrics.json").read_text())[-1]
    assert "kid_real_vs_real" in last and last["kid_real_vs_real"] < last["kid"]


# 13. Steps everywhere -------------------------------------------------------------------


def test_history_and_curves_are_in_generator_steps(tmp_path):
    result = _run(*QUICK, "--steps=30", "--out_dir=run", cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    steps, history = read_history(tmp_path / "run" / "history.csv")
    assert steps == [10, 20, 30] and "skipped_steps" in history
    events = {}
    for path in (tmp_path / "run" / "logs").rglob("events.out.tfevents.*"):
        for event in tf.compat.v1.train.summary_iterator(str(path)):
            for value in event.summary.value:
                events.setdefault(value.tag, []).append(event.step)
    assert sorted(events["d_loss"]) == [10, 20, 30]
    assert not any(tag.startswith("epoch_") for tag in events)


# 21. Positioning the data stream ------------------------------------------------------------


def test_the_stream_at_any_position_is_the_tail_of_the_whole_stream():
    source = data.load("digits")
    whole = list(source.batches(100, seed=3).take(40).as_numpy_iterator())
    tail = list(source.batches(100, seed=3, skip_batches=25).take(15).as_numpy_iterator())
    for (samples, labels), (want_samples, want_labels) in zip(tail, whole[25:]):
        np.testing.assert_array_equal(samples, want_samples)
        np.testing.assert_array_equal(labels, want_labels)
    # Each epoch visits every example once: positions 0..n-1 are a permutation of the train split.
    n = source.num_examples
    train_images = np.asarray(list(source.elements.map(lambda image, label: image).as_numpy_iterator()))
    first_epoch = np.concatenate([samples for samples, _ in whole])[:n]
    assert sorted(map(bytes, first_epoch)) == sorted(map(bytes, train_images))


def test_a_batch_of_positions_is_shuffled_as_tensorflows_index_shuffle_does_one_by_one():
    positions = np.arange(99_990, 100_010)  # across the boundary of epochs 0 and 1 of 100,000 examples
    ours = tf_stream.shuffled_indices(positions, 100_000, seed=3).numpy()
    expected = [int(tf.random.experimental.index_shuffle(tf.constant(p % 100_000, tf.int64),
                                                         seed=tf.constant([3, p // 100_000], tf.int64),
                                                         max_index=tf.constant(99_999, tf.int64)))
                for p in positions]
    np.testing.assert_array_equal(ours, expected)


def test_positioning_does_not_read_the_skipped_batches(tmp_path):
    # 10^12 batches of replay would never finish; the positioned stream starts there at once.
    script = ("from keras_lipschitz import data\n"
              "batch = next(iter(data.load('digits').batches(64, skip_batches=10**12)))\n"
              "print(tuple(batch[0].shape))\n")
    result = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=ENVIRONMENT, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0 and "(64, 8, 8, 1)" in result.stdout, result.stderr[-2000:]
