"""Runs `keras-lipschitz-train` and SIGKILLs itself halfway through writing a checkpoint.

The checkpoint number comes from the environment (`KILL_IN_CHECKPOINT=3`:
the third checkpoint this process writes). Half of the file's bytes reach
the disk (synced), then the process dies as an OOM kill or a pre-empted
machine would: no exception handler, no cleanup.
"""

import io
import os
import signal

import numpy as np

from keras_lipschitz.trainers import train

KILL_AT = int(os.environ["KILL_IN_CHECKPOINT"])
_savez = np.savez
_calls = 0


def _savez_then_die(file, **arrays):
    global _calls
    _calls += 1
    if _calls < KILL_AT:
        return _savez(file, **arrays)
    buffer = io.BytesIO()
    _savez(buffer, **arrays)
    data = buffer.getvalue()
    file.write(data[: len(data) // 2])
    file.flush()
    os.fsync(file.fileno())
    os.kill(os.getpid(), signal.SIGKILL)


np.savez = _savez_then_die

if __name__ == "__main__":
    train.run()
