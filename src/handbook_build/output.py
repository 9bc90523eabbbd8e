"""The output stage: atomic writes into build/. A failed build leaves the previous editions.

Each file is written to a temporary file in the same folder, flushed to disk, then renamed over
the target, so a reader (or a crash) sees either the old file or the new one, never half of one.
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

from handbook_build.errors import OutputError

TEMP_PREFIX = ".handbook-build-"


def ensure_output_dir(output_dir: Path) -> None:
    try:
        output_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise OutputError(_describe(output_dir, error)) from error
    if not os.access(output_dir, os.W_OK):
        raise OutputError(f"{output_dir}: output folder is not writable; "
                          "choose another with -o or fix its permissions")


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file and an atomic rename."""
    descriptor, temp_name = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=path.parent)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp_name, 0o644)
        os.replace(temp_name, path)
    except BaseException as error:  # KeyboardInterrupt too: never leave a temporary file behind
        with contextlib.suppress(OSError):
            os.unlink(temp_name)
        if isinstance(error, OSError):
            raise OutputError(_describe(path, error)) from error
        raise


def write_all(files: Mapping[Path, bytes]) -> None:
    """Write several outputs; each one atomically, in a stable order."""
    for path in sorted(files):
        write_atomic(path, files[path])


def _describe(path: Path, error: OSError) -> str:
    if error.errno == errno.ENOSPC:
        return f"{path}: the disk is full; free some space and build again (previous editions kept)"
    if error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"{path}: cannot write here ({error.strerror}); choose another folder with -o"
    return f"{path}: cannot write ({error.strerror}); check the folder and build again"
