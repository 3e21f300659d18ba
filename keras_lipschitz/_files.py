"""Atomic file writes: a crash leaves the old file or the new one, never half of one.

Files and directories made here get the permissions `open()` and `mkdir`
would give (0666 / 0777 less the process umask, so 0644 / 0755 under umask
022): `tempfile` makes them private (0600 / 0700), which would hide a run's
files and exports from a model server running as another user.
"""

import contextlib
import json
import os
import pathlib
import tempfile


def umask():
    """The process umask (read by setting it and putting it back: there is no getter)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def make_public(path):
    """Gives `path` (a file, or a directory and everything in it) the umask's default permissions."""
    path = pathlib.Path(path)
    mask = umask()
    if not path.is_dir():
        os.chmod(path, 0o666 & ~mask)
        return
    os.chmod(path, 0o777 & ~mask)
    for root, directories, files in os.walk(path):
        for name in directories:
            os.chmod(os.path.join(root, name), 0o777 & ~mask)
        for name in files:
            os.chmod(os.path.join(root, name), 0o666 & ~mask)


@contextlib.contextmanager
def atomic_write(path, mode="wb"):
    """Yields a file open for writing; on success it is synced and renamed to `path`.

    On any exception (or a kill before the rename) `path` is untouched and
    the temporary file (a hidden `.tmp-*` sibling) is removed where possible.
    The file gets the permissions `open(path, "w")` would give it.
    """
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    try:
        os.fchmod(handle, 0o666 & ~umask())
        with os.fdopen(handle, mode) as file:
            yield file
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        pathlib.Path(temporary).unlink(missing_ok=True)
        raise


class DamagedFileError(ValueError):
    """A file the library wrote earlier cannot be read back; the message names it and what to do."""


def read_json(path, what):
    """The JSON in `path` (`what` it holds, for the message), or a `DamagedFileError` that says what to do."""
    try:
        with open(path) as file:
            return json.load(file)
    except ValueError as error:  # JSONDecodeError and UnicodeDecodeError
        raise DamagedFileError(
            f"{path} is damaged and cannot be read ({error}); it holds {what}. Restore it from a backup, "
            "or delete it (it is written again from what the run does next)."
        ) from None
