"""The output stage: atomic writes into build/. A failed build leaves the previous editions.

Each file is written to a temporary file in the same folder, flushed to disk, then renamed over
the target, so a reader (or a crash) sees either the old file or the new one, never half of one.
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import tempfile
import threading
from collections.abc import Mapping
from pathlib import Path

from handbook_build.errors import OutputError

TEMP_PREFIX = ".handbook-build-"
_staged: set[str] = set()  # temporary files of this process not renamed yet


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
    write_all({path: data})


def write_all(files: Mapping[Path, bytes]) -> None:
    """Write several outputs as one change: every file is staged (written and flushed to disk
    under a temporary name) before the first is renamed over its target.

    A full disk, a permission problem or Ctrl-C while staging leaves every previous edition as
    it was and no temporary file behind; only the renames, which need no space, remain.
    """
    staged: list[tuple[str, Path]] = []
    current = next(iter(sorted(files)), None)
    try:
        for path in sorted(files):
            current = path
            staged.append((_stage(path, files[path]), path))
        _rename_all(staged)
    except BaseException as error:  # KeyboardInterrupt too: never leave a temporary file behind
        for temp_name, _ in staged:
            with contextlib.suppress(OSError):
                os.unlink(temp_name)
        if isinstance(error, OSError) and current is not None:
            raise OutputError(_describe(current, error)) from error
        raise


def remove_staged() -> None:
    """Remove the temporary files this process staged and has not renamed yet (a stop that
    ends the process before ``write_all`` unwinds)."""
    for temp_name in list(_staged):
        with contextlib.suppress(OSError):
            os.unlink(temp_name)
        _staged.discard(temp_name)


def _stage(path: Path, data: bytes) -> str:
    """``data`` in a flushed temporary file next to ``path``; its name."""
    descriptor, temp_name = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=path.parent)
    _staged.add(temp_name)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp_name, 0o644)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp_name)
        raise
    return temp_name


def _rename_all(staged: list[tuple[str, Path]]) -> None:
    """Rename every staged file over its target, with Ctrl-C, SIGTERM and SIGHUP held back
    until all are done."""
    blockable = threading.current_thread() is threading.main_thread()
    held = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}
    if blockable:
        signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        for temp_name, path in staged:
            os.replace(temp_name, path)
            _staged.discard(temp_name)
    finally:
        if blockable:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, held)


def _describe(path: Path, error: OSError) -> str:
    if error.errno == errno.ENOSPC:
        return f"{path}: the disk is full; free some space and build again (previous editions kept)"
    if error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"{path}: cannot write here ({error.strerror}); choose another folder with -o"
    return f"{path}: cannot write ({error.strerror}); check the folder and build again"
