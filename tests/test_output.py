"""Atomic writes: the old file or the new one, never half of one, and no temporary files left."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from handbook_build import output
from handbook_build.errors import OutputError


def test_write_atomic_replaces_content(tmp_path: Path) -> None:
    target = tmp_path / "book.pdf"
    target.write_bytes(b"old")
    output.write_atomic(target, b"new")
    assert target.read_bytes() == b"new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["book.pdf"]


def test_full_disk_keeps_previous_file_and_no_temporaries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "book.pdf"
    target.write_bytes(b"previous good edition")

    def full_disk(descriptor: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(OutputError, match=r"book\.pdf: the disk is full; free some space"):
        output.write_atomic(target, b"x" * 1000)
    assert target.read_bytes() == b"previous good edition"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["book.pdf"]


def test_interrupt_during_write_leaves_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "book.epub"
    target.write_bytes(b"old")

    def interrupted(source: str, destination: str) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        output.write_atomic(target, b"new")
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["book.epub"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write into read-only folders")
def test_unwritable_folder_is_a_clear_error(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(OutputError, match="not writable"):
            output.ensure_output_dir(folder)
    finally:
        folder.chmod(0o700)


def test_output_folder_under_a_file_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(OutputError, match="file/out"):
        output.ensure_output_dir(blocker / "out")
