"""Results that several pytest-xdist workers need, computed by one of them.

A module-scoped fixture runs once per worker that runs one of the module's
tests; for a fixture that takes minutes (a subprocess per backend), the
first worker computes into a directory every worker sees, under a file
lock, and the others read it.
"""

import contextlib
import fcntl
import pathlib

import pytest


def on_one_worker(name):
    """The mark that sends every test reading the result `name` to one xdist worker (pytest.ini's
    `--dist loadgroup`): the other worker goes on with other tests instead of waiting on the lock while the
    result is computed. `computed_once` still guards runs that choose another `--dist`."""
    return pytest.mark.xdist_group(name)


def computed_once(tmp_path_factory, name, compute):
    """The directory `name` that `compute(directory)` filled, computed by the first worker to ask.

    Args:
        tmp_path_factory: pytest's fixture.
        name: the directory's name, unique in the session.
        compute: fills the directory it is given; a failure is raised in
            every worker that asks (each tries again).
    """
    # Under xdist every worker's base temp is a child of the session's.
    shared = pathlib.Path(tmp_path_factory.getbasetemp()).parent
    directory = shared / name
    with _locked(shared / f"{name}.lock"):
        done = directory / ".done"
        if not done.exists():
            directory.mkdir(exist_ok=True)
            compute(directory)
            done.touch()
    return directory


@contextlib.contextmanager
def _locked(path):
    with open(path, "w") as file:
        fcntl.flock(file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(file, fcntl.LOCK_UN)
