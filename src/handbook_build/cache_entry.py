"""One cache entry on disk: written atomically, checked on every read.

Every file a cache keeps under ``<output>/.cache`` goes through here. A build can be killed at
any instant (``kill -9``, a power cut, a full disk), and another build may be writing the same
folder, so an entry is

- written to a temporary file in its own folder and renamed over its name (``os.replace``): a
  reader sees the old entry, the new one or none, never half of one; the temporary file is named
  after the writing process (``.tmp-<pid>-...``) so that one left by a killed build is
  recognised and removed by the next (``sweep_temporaries``);
- stored with a header holding a digest of its name and its bytes: a torn, truncated, edited or
  foreign entry (a file copied or renamed from another key, one from an older format) fails the
  check and reads as missing, so the caller makes it again and rewrites it. A cache can make a
  build faster, never different.

Entries whose name already is the digest of their bytes (font files) skip the header:
``write_raw`` and the caller's own check.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path

__all__ = ["TEMP_PREFIX", "decode", "encode", "read_entry", "sweep_temporaries",
           "write_entry", "write_raw"]

MAGIC = b"handbook-build cache entry 1\n"
DIGEST_BYTES = 64  # hex sha256
TEMP_PREFIX = ".tmp-"


def _digest(name: str, data: bytes) -> bytes:
    return hashlib.sha256(name.encode("utf-8") + b"\0" + data).hexdigest().encode("ascii")


def encode(name: str, data: bytes) -> bytes:
    """The bytes stored for entry ``name``: header, digest of name and data, newline, data."""
    return MAGIC + _digest(name, data) + b"\n" + data


def decode(name: str, stored: bytes) -> bytes | None:
    """The data of a stored entry, or None when it is not an intact entry called ``name``."""
    start = len(MAGIC) + DIGEST_BYTES + 1
    if not stored.startswith(MAGIC) or stored[start - 1:start] != b"\n":
        return None
    data = stored[start:]
    if stored[len(MAGIC):start - 1] != _digest(name, data):
        return None
    return data


def read_entry(path: Path) -> bytes | None:
    """The entry at ``path`` if it is there and intact; None otherwise (build it again)."""
    try:
        if not path.is_file():  # a FIFO or a folder where an entry should be: never block
            return None
        stored = path.read_bytes()
    except OSError:
        return None
    return decode(path.name, stored)


def write_entry(path: Path, data: bytes) -> None:
    """Store ``data`` as entry ``path`` (header and digest included), atomically."""
    write_raw(path, encode(path.name, data))


def write_raw(path: Path, data: bytes) -> None:
    """Atomically replace ``path`` with ``data``. A cache that cannot be written only makes the
    next build slower: OSError is swallowed; anything else (an interruption) still propagates,
    after the temporary file is removed."""
    temp: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f"{TEMP_PREFIX}{os.getpid()}-")
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(temp, path)
        temp = None
    except OSError:
        pass
    finally:
        if temp is not None:
            with contextlib.suppress(OSError):
                os.unlink(temp)


def _writer_pid(name: str) -> int | None:
    number = name[len(TEMP_PREFIX):].split("-", 1)[0]
    return int(number) if number.isdigit() else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_temporaries(folder: Path, ended: Iterable[int] = ()) -> int:
    """Remove the temporary files (and scratch folders) under ``folder`` whose writer is gone
    (or is one of ``ended``, the processes an interrupted build just stopped); those of a build
    still running in the same folder are left alone. Returns how many were removed."""
    ended = frozenset(ended)
    removed = 0
    try:
        candidates = [p for p in folder.rglob(f"{TEMP_PREFIX}*")
                      if p.is_file() or (p.is_dir() and not p.is_symlink())]
    except OSError:
        return 0
    for path in candidates:
        pid = _writer_pid(path.name)
        if pid is not None and pid not in ended and _alive(pid):
            continue
        with contextlib.suppress(OSError):
            if path.is_dir():  # a scratch folder (typeset_check.check_pdf_bytes)
                shutil.rmtree(path)
            else:
                path.unlink()
            removed += 1
    return removed
