"""TF-GAN's still-working modules, imported without its package `__init__`.

`tensorflow-gan` 2.1.0 (its last release) fails on `import tensorflow_gan`:
the package `__init__` imports its Estimator code, which needs
`tf.estimator`, removed in TensorFlow 2.16. Two of its modules still work in
TF 2 on their own: `python/losses/losses_impl.py` (the GAN losses and
`wasserstein_gradient_penalty`) and `python/eval/classifier_metrics.py`
(FID, KID and Inception Score from activations). keras-lipschitz uses them
as reference oracles in tests (the evaluation metrics are NumPy), never copying
their code.

This module loads those files with stand-in parent packages that have the
right `__path__` but run no `__init__`, then removes the stand-ins from
`sys.modules`, so a later `import tensorflow_gan` behaves as before.

Example:

```python
from keras_lipschitz import _tfgan

losses_impl = _tfgan.losses_impl()
print(losses_impl.wasserstein_generator_loss)
```
"""

import functools
import importlib
import importlib.util
import pathlib
import sys
import types

_PARENTS = (
    "tensorflow_gan",
    "tensorflow_gan.python",
    "tensorflow_gan.python.losses",
    "tensorflow_gan.python.eval",
)


def _package_root():
    spec = importlib.util.find_spec("tensorflow_gan")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError(
            "tensorflow-gan is not installed; install it with "
            "`pip install tensorflow-gan==2.1.0` (keras-lipschitz depends on it)."
        )
    return pathlib.Path(list(spec.submodule_search_locations)[0])


def _load(module_name):
    root = _package_root()
    saved = {name: sys.modules.get(name) for name in _PARENTS}
    added = set(sys.modules)
    try:
        for name in _PARENTS:
            stand_in = types.ModuleType(name)
            stand_in.__path__ = [str(root.joinpath(*name.split(".")[1:]))]
            sys.modules[name] = stand_in
        return importlib.import_module(module_name)
    finally:
        for name in set(sys.modules) - added:
            if name.startswith("tensorflow_gan"):
                del sys.modules[name]
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module


@functools.lru_cache(maxsize=None)
def losses_impl():
    """TF-GAN's `tensorflow_gan.python.losses.losses_impl` module."""
    return _load("tensorflow_gan.python.losses.losses_impl")


@functools.lru_cache(maxsize=None)
def classifier_metrics():
    """TF-GAN's `tensorflow_gan.python.eval.classifier_metrics` module."""
    return _load("tensorflow_gan.python.eval.classifier_metrics")


def quiet():
    """A context in which TF-GAN's calls of deprecated TensorFlow arguments (`map_fn(back_prop=False)`)
    print no deprecation notice: they are TF-GAN's, and nothing a user of this library can change."""
    from tensorflow.python.util import deprecation

    return deprecation.silence()
