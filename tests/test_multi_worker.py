"""MultiWorkerMirroredStrategy: two worker processes on localhost agree with one."""

import json
import os
import pathlib
import socket
import subprocess
import sys

import numpy as np

SCRIPT = pathlib.Path(__file__).parent / "scripts" / "multi_worker_gan.py"


def _free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def _environment(tf_config=None):
    env = {key: value for key, value in os.environ.items() if key != "TF_CONFIG"}
    env["CUDA_VISIBLE_DEVICES"] = ""
    if tf_config is not None:
        env["TF_CONFIG"] = json.dumps(tf_config)
    return env


def _load(path):
    with np.load(path) as archive:
        return [archive[key] for key in sorted(archive.files)]


def test_two_workers_train_checkpoint_and_match_one_worker(tmp_path):
    single_dir, multi_dir = tmp_path / "single", tmp_path / "multi"
    single_dir.mkdir()
    multi_dir.mkdir()
    subprocess.run([sys.executable, str(SCRIPT), str(single_dir)], env=_environment(), check=True, timeout=300)

    workers = [f"127.0.0.1:{port}" for port in _free_ports(2)]
    processes = [
        subprocess.Popen(
            [sys.executable, str(SCRIPT), str(multi_dir)],
            env=_environment({"cluster": {"worker": workers}, "task": {"type": "worker", "index": index}}),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for index in range(2)
    ]
    outputs = [process.communicate(timeout=300)[0] for process in processes]
    for process, output in zip(processes, outputs):
        assert process.returncode == 0, output[-3000:]

    single = _load(single_dir / "weights-0.npz")
    for task in range(2):
        multi = _load(multi_dir / f"weights-{task}.npz")
        assert len(multi) == len(single)
        for a, b in zip(single, multi):
            np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    checkpointed = _load(multi_dir / "ckpt-00000008.npz")
    for a, b in zip(_load(multi_dir / "weights-0.npz"), checkpointed):
        np.testing.assert_array_equal(a, b)
    history = json.loads((multi_dir / "history.json").read_text())
    assert len(history["d_loss"]) == 2 and all(np.isfinite(history["d_loss"]))
