"""Atomic file writes: a crash leaves the old file or the new one, never half of one."""

import contextlib
import os
import pathlib
import tempfile


@contextlib.contextmanager
def atomic_write(path, mode="wb"):
    """Yields a file open for writing; on success it is synced and renamed to `path`.

    On any exception (or a kill before the rename) `path` is untouched and
    the temporary file (a hidden `.tmp-*` sibling) is removed where possible.
    """
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    try:
        with os.fdopen(handle, mode) as file:
            yield file
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        pathlib.Path(temporary).unlink(missing_ok=True)
        raise
