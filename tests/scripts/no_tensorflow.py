"""Refuses TensorFlow imports in this process: what runs after `block()` must not need TensorFlow.

Usage as a wrapper: `python no_tensorflow.py MODULE [ARGS...]` runs MODULE's
`run()` (a console script's entry point) with ARGS as its command line;
`python no_tensorflow.py -c CODE` runs CODE.
"""

import importlib
import sys

REFUSED = ("tensorflow", "tensorflow_gan", "tensorflow_datasets", "tf_keras")


class _NoTensorFlow:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in REFUSED:
            raise ImportError(f"No module named {name!r} (refused: the JAX path must run without TensorFlow)")


def block():
    sys.meta_path.insert(0, _NoTensorFlow())


if __name__ == "__main__":
    block()
    if sys.argv[1] == "-c":
        exec(sys.argv[2])
        sys.exit()
    module = importlib.import_module(sys.argv[1])
    sys.argv = [sys.argv[1], *sys.argv[2:]]
    module.run()
