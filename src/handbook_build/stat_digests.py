"""Digests of input and output files remembered by their ``stat``, so a rebuild with nothing
changed reads no file: a file whose path, size, mtime, ctime and inode are what they were when it
was hashed has the digest it had then.

Also remembered: which image files a chapter references (the scan that resolves them opens each
image's header), keyed by the chapter's digest and a stat-only fingerprint of the folders the
resolver may look in; any file added, removed or touched there scans again.

A file changed within ``RACY_NS`` of being hashed is not remembered (a file system with coarse
timestamps could show the same stat before and after a same-size edit): it is read again next
time. The entry is a cache entry (cache_entry.py): torn or foreign, it reads as empty.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

from handbook_build import cache_entry

DIGESTS_FILE = "digests.json"
RACY_NS = 2_000_000_000
MAX_TREE_ENTRIES = 20_000  # folders larger than this are scanned each time instead
_SKIPPED = frozenset({".git", ".venv", "__pycache__", ".cache", "node_modules", ".pytest_cache",
                      ".mypy_cache", ".ruff_cache", ".hypothesis"})


def stat_key(path: Path, status: os.stat_result) -> str:
    return (f"{path}\0{status.st_size}\0{status.st_mtime_ns}\0{status.st_ctime_ns}\0"
            f"{status.st_ino}\0{status.st_dev}")


class StatDigests:
    """The remembered digests of one output folder's cache (``<output>/.cache``)."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self.files: dict[str, str] = {}
        self.scans: dict[str, list[str]] = {}
        self.dirty = False
        self.used: set[str] = set()  # paths and scan keys looked up by this build: kept
        self.now_ns = time.time_ns()
        if folder is None:
            return
        data = cache_entry.read_entry(folder / DIGESTS_FILE)
        try:
            raw = json.loads(data.decode("utf-8")) if data is not None else {}
            self.files = {str(k): str(v) for k, v in dict(raw.get("files", {})).items()}
            self.scans = {str(k): [str(p) for p in v]
                          for k, v in dict(raw.get("scans", {})).items()}
        except (ValueError, TypeError, AttributeError):
            self.files, self.scans = {}, {}

    def known(self, path: Path, status: os.stat_result) -> str | None:
        """The sha256 (hex) of ``path`` if its stat is the one it had when it was hashed."""
        self.used.add(str(path))
        return self.files.get(stat_key(path, status))

    def remember(self, path: Path, status: os.stat_result, sha: str) -> None:
        if self.now_ns - status.st_mtime_ns < RACY_NS or self.now_ns - status.st_ctime_ns < RACY_NS:
            return  # changed just now: the same stat might still hide a same-size edit
        self.used.add(str(path))
        key = stat_key(path, status)
        if self.files.get(key) != sha:
            self.files[key] = sha
            self.dirty = True

    def digest_of(self, path: Path) -> str | None:
        """The sha256 of a regular file, from memory when its stat is unchanged, else read
        (None when it cannot be read)."""
        try:
            status = path.stat()
            if not stat.S_ISREG(status.st_mode):
                return None
            sha = self.known(path, status)
            if sha is None:
                sha = hashlib.sha256(path.read_bytes()).hexdigest()
                self.remember(path, status, sha)
            return sha
        except OSError:
            return None

    def scan(self, key: str) -> list[Path] | None:
        self.used.add(key)
        found = self.scans.get(key)
        return None if found is None else [Path(p) for p in found]

    def remember_scan(self, key: str, found: Iterable[Path]) -> None:
        self.used.add(key)
        paths = [str(p) for p in found]
        if self.scans.get(key) != paths:
            self.scans[key] = paths
            self.dirty = True

    def save(self) -> None:
        """Write the entry when something was learned, keeping only what this build used (an
        edited file's old stat, a chapter's old scan, are dropped)."""
        if not self.dirty or self.folder is None:
            return
        files = {k: v for k, v in sorted(self.files.items()) if k.split("\0", 1)[0] in self.used}
        scans = {k: v for k, v in sorted(self.scans.items()) if k in self.used}
        document = {"files": files, "scans": scans}
        text = json.dumps(document, indent=0, sort_keys=True)
        cache_entry.write_entry(self.folder / DIGESTS_FILE, text.encode())
        self.dirty = False


def tree_state(roots: Sequence[Path], excluded: Path) -> str | None:
    """A stat-only fingerprint of every file and folder under ``roots`` (no file opened): any
    file added, removed, replaced or edited changes it. None when the folders hold more than
    ``MAX_TREE_ENTRIES`` entries (the caller then does not trust a remembered scan)."""
    digest = hashlib.sha256()
    count = 0
    pending = sorted({str(root) for root in roots})
    seen: set[str] = set()
    while pending:
        folder = pending.pop()
        if folder in seen:
            continue
        seen.add(folder)
        try:
            status = os.stat(folder)
            entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
        except OSError as error:
            digest.update(f"{folder}:unreadable:{error.errno}\n".encode())
            continue
        digest.update(f"{folder}:{status.st_mtime_ns}:{status.st_ino}\n".encode())
        for entry in entries:
            count += 1
            if count > MAX_TREE_ENTRIES:
                return None
            try:
                info = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            if stat.S_ISDIR(info.st_mode) and (entry.name in _SKIPPED
                                               or os.path.realpath(entry.path) == str(excluded)):
                continue  # the output folder and caches change on every build: not inputs
            digest.update(f"{entry.name}:{info.st_mode}:{info.st_size}:{info.st_mtime_ns}:"
                          f"{info.st_ctime_ns}:{info.st_ino}\n".encode())
            if stat.S_ISDIR(info.st_mode):
                pending.append(entry.path)
            elif stat.S_ISLNK(info.st_mode):
                # A link's target may change without the link changing: include what it leads to.
                try:
                    target = os.stat(entry.path)
                    digest.update(f"->{os.path.realpath(entry.path)}:{target.st_size}:"
                                  f"{target.st_mtime_ns}:{target.st_ino}\n".encode())
                except OSError:
                    digest.update(b"->dangling\n")
    return digest.hexdigest()
