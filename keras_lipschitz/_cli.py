"""What the command-line tools share: `--help` without TensorFlow, and a quiet TensorFlow log."""

import os
import sys

from absl import app
from absl import flags

HELP_FLAGS = ("--help", "-help", "-h", "--helpshort", "-?")


def run(main, module_name):
    """Runs an absl `main`; `--help` prints the module's docstring and its own flags (not absl's).

    absl's `--help` lists the flags of the `__main__` module, which for a
    console script is the wrapper pip wrote (so it printed only `Try
    --helpfull`); answering here also spares `--help` the import of
    TensorFlow.
    """
    if any(argument in HELP_FLAGS for argument in sys.argv[1:]):
        module = sys.modules[module_name]
        print(f"{module.__doc__}\nFlags:\n{flags.FLAGS.module_help(module)}\n")
        return
    quiet_tensorflow()
    app.run(main)


def quiet_tensorflow():
    """Keeps TensorFlow's C++ log to what a user can act on (an explicit TF_CPP_MIN_LOG_LEVEL wins).

    Without an NVIDIA driver, TensorFlow's CUDA probe logs `failed call to cuInit` as an error, and
    grappler's `remapper failed` (a fusion it skips) is an error-level line about an optimization
    that did not apply: both are noise on a CPU machine, so only fatal lines are shown there.
    """
    has_nvidia_driver = os.path.exists("/proc/driver/nvidia") or os.path.exists("/dev/nvidiactl")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2" if has_nvidia_driver else "3")
