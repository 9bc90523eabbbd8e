"""The pipeline on the sample book: what is written, the report, the no-change fast path."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from handbook_build.errors import HandbookError
from handbook_build.pipeline import BuildRequest, build
from handbook_build.sources.manifest import load_manifest

FORMATS = ("md", "html", "epub")


@pytest.fixture()
def sample_copy(tmp_path: Path, project_dir: Path) -> Path:
    """A private copy of the sample book, so tests may edit it."""
    target = tmp_path / "book"
    shutil.copytree(project_dir / "manuscript", target)
    return target / "book.toml"


def _build(manifest_path: Path, out: Path, formats: tuple[str, ...] = FORMATS):  # type: ignore[no-untyped-def]
    return build(BuildRequest(load_manifest(manifest_path), out, formats, jobs=1))


def test_writes_each_format_and_a_report(sample_copy: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    report = _build(sample_copy, out)
    stem = load_manifest(sample_copy).stem
    names = sorted(p.name for p in out.iterdir() if p.is_file())
    assert names == sorted([f"{stem}.md", f"{stem}.html", f"{stem}.epub", f"{stem}-report.json"])
    written = {w.path.name: w.size for w in report.written}
    assert written[f"{stem}.md"] == (out / f"{stem}.md").stat().st_size
    document = json.loads((out / f"{stem}-report.json").read_text())
    assert {f["name"] for f in document["files"]} == {
        f"{stem}.md", f"{stem}.html", f"{stem}.epub", f"{stem}-files"}
    assert document["book"] == load_manifest(sample_copy).metadata.title


def test_rebuild_with_nothing_changed_writes_nothing(sample_copy: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    _build(sample_copy, out)
    stamps = {p.name: p.stat().st_mtime_ns for p in out.iterdir() if p.is_file()}
    report = _build(sample_copy, out)
    assert report.unchanged
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir() if p.is_file()} == stamps


def test_edit_or_damaged_output_triggers_a_rebuild(sample_copy: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    _build(sample_copy, out)
    stem = load_manifest(sample_copy).stem
    (out / f"{stem}.md").write_text("damaged")
    assert not _build(sample_copy, out).unchanged
    assert (out / f"{stem}.md").read_text() != "damaged"
    chapter = next((sample_copy.parent / "chapters").glob("*.md"))
    chapter.write_text(chapter.read_text() + "\nA new closing sentence.\n")
    assert not _build(sample_copy, out).unchanged
    assert "A new closing sentence." in (out / f"{stem}.md").read_text()


def test_failed_build_leaves_previous_editions(sample_copy: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    _build(sample_copy, out)
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    contents = sample_copy.parent / "contents.md"
    contents.write_text(contents.read_text() + "\n- [Ghost](chapters/ghost.md)\n")
    with pytest.raises(HandbookError, match=r"contents\.md:\d+: .*ghost\.md"):
        _build(sample_copy, out)
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before


def test_strict_turns_warnings_into_errors(sample_copy: Path, tmp_path: Path) -> None:
    chapter = next((sample_copy.parent / "chapters").glob("*.md"))
    # A web image without a local copy is a warning (a missing local file is an error).
    chapter.write_text(chapter.read_text() + "\n![](http://example.org/missing-picture.png)\n")
    manifest = load_manifest(sample_copy)
    with pytest.raises(HandbookError, match="--strict"):
        build(BuildRequest(manifest, tmp_path / "out", ("md",), strict=True, jobs=1))
    assert not (tmp_path / "out" / f"{manifest.stem}.md").exists()
