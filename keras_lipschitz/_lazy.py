"""Sub-modules loaded on first use (PEP 562), so that importing a package imports no TensorFlow."""

import importlib


def attribute_loader(package, names=None, modules=()):
    """A module-level `__getattr__` for `package`.

    Args:
        package: the package's `__name__`.
        names: {attribute: sub-module that defines it}.
        modules: sub-modules returned as attributes.

    Returns:
        The function to assign to the package's `__getattr__`.
    """
    names = dict(names or {})

    def __getattr__(name):
        if name in modules:
            return importlib.import_module(f"{package}.{name}")
        if name in names:
            return getattr(importlib.import_module(f"{package}.{names[name]}"), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return __getattr__
