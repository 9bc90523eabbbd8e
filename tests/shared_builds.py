"""Builds that several test files read, made once per test run instead of once per file.

A clean build of the real handbook costs minutes of CPU; six test files used to make one each
(two for the byte-identical check). Now the first worker that asks builds it into a folder both
pytest-xdist workers see (the run's temporary root, beside their own ``popen-gwN`` folders) under
an exclusive file lock; the other worker waits on the lock and then reads the same files. A
build that failed leaves no ``.done`` mark, so the next test that asks builds it again and
reports its own failure. The consumers only read the outputs; a test that needs to change a
build (a chapter edit laid out from the cache) copies what it changes first.
"""

from __future__ import annotations

import fcntl
import os
import pickle
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from handbook_build.model import Manifest
from handbook_build.pipeline import BuildReport, BuildRequest, build
from handbook_build.sources.manifest import load_manifest

PROJECT_DIR = Path(__file__).resolve().parent.parent
HANDBOOK_MANIFEST = PROJECT_DIR / "editions" / "peeragogy-v3" / "book.toml"
# The editions the byte-identical check compares (test_determinism.EDITIONS) and the editions
# test reads: every edition but the fillable print PDF.
HANDBOOK_FORMATS = ("md", "html", "pdf", "epub", "print")


def run_root(factory: pytest.TempPathFactory) -> Path:
    """The folder every worker of this run shares: the parent of ``popen-gwN`` under xdist,
    the run's own temporary folder without it."""
    base = factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def shared_folder(factory: pytest.TempPathFactory, name: str,
                  make: Callable[[Path], None]) -> Path:
    """``run_root/shared-<name>``, filled by ``make`` exactly once per run (under a lock)."""
    root = run_root(factory)
    folder = root / f"shared-{name}"
    with open(root / f"shared-{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (folder / ".done").is_file():
            shutil.rmtree(folder, ignore_errors=True)  # what a failed attempt left
            folder.mkdir()
            make(folder)
            (folder / ".done").write_text("", encoding="utf-8")
    return folder


@dataclass(frozen=True)
class SharedHandbook:
    """The real handbook built once: ``out`` holds every edition, ``report`` the build's report.
    ``root`` is the folder around ``out`` (nothing else is in it), for path checks."""

    manifest: Manifest
    root: Path
    out: Path
    report: BuildReport

    def output(self, suffix: str) -> Path:
        return self.out / f"{self.manifest.stem}{suffix}"


def shared_handbook(factory: pytest.TempPathFactory, corpus_dir: Path) -> SharedHandbook:
    manifest = load_manifest(HANDBOOK_MANIFEST, corpus_dir)

    def make(folder: Path) -> None:
        report = build(BuildRequest(manifest, folder / "out", HANDBOOK_FORMATS, jobs=2))
        (folder / "report.pickle").write_bytes(pickle.dumps(report))

    folder = shared_folder(factory, "handbook", make)
    report = pickle.loads((folder / "report.pickle").read_bytes())
    assert isinstance(report, BuildReport)
    return SharedHandbook(manifest, folder, folder / "out", report)
