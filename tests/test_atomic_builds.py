"""Nothing half-written: a build that fails or is interrupted leaves the previous editions exactly
as they were and no temporary file; two builds into one folder at once both leave whole editions.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import signal
import subprocess
import time
import zipfile
from pathlib import Path

import pytest

from bookmaker import (
    CLI,
    PROJECT_DIR,
    build_args,
    cli_env,
    edition_hashes,
    make_book,
    run_cli,
    temp_leftovers,
)
from handbook_build import editions, output
from handbook_build.errors import RenderError

FORMATS = ("md", "html", "epub")
PAGED = ("md", "html", "pdf", "epub", "print")


@pytest.fixture
def sample_copy(tmp_path: Path) -> Path:
    """A private copy of the sample book (its chapters get edited) with the manifest's path."""
    target = tmp_path / "sample"
    shutil.copytree(PROJECT_DIR / "manuscript", target)
    return target / "book.toml"


def _edit(manifest: Path) -> None:
    chapter = manifest.parent / "chapters" / "welcome.md"
    chapter.write_text(chapter.read_text(encoding="utf-8") + "\nA new closing line.\n",
                       encoding="utf-8")


def test_a_failing_source_leaves_the_previous_editions(tmp_path: Path) -> None:
    book = make_book(tmp_path / "b")
    out = tmp_path / "out"
    assert run_cli(build_args(book, out, FORMATS)).exit_code == 0
    before = edition_hashes(out)
    book.chapter("intro.md").write_bytes(b"# Intro\n\n\xff broken\n")
    run = run_cli(build_args(book, out, FORMATS))
    assert run.exit_code == 1 and not run.has_traceback, run.output
    assert edition_hashes(out) == before
    assert temp_leftovers(out) == []


def test_a_failing_renderer_leaves_the_previous_editions(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    book = make_book(tmp_path / "b")
    out = tmp_path / "out"
    assert run_cli(build_args(book, out, FORMATS)).exit_code == 0
    before = edition_hashes(out)
    book.chapter("intro.md").write_text("# Intro\n\nChanged.\n")
    real = editions.render_edition

    def epub_fails(name: str, *args: object, **kwargs: object) -> editions.EditionResult:
        if name == "epub":
            raise RenderError("book.epub: the EPUB renderer failed; this is a test")
        return real(name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(editions, "render_edition", epub_fails)
    run = run_cli(build_args(book, out, FORMATS))
    assert run.exit_code == 1 and not run.has_traceback, run.output
    assert "the EPUB renderer failed" in run.output
    assert edition_hashes(out) == before
    assert temp_leftovers(out) == []


def test_strict_warnings_leave_the_previous_editions(tmp_path: Path) -> None:
    book = make_book(tmp_path / "b")
    out = tmp_path / "out"
    assert run_cli(build_args(book, out, FORMATS)).exit_code == 0
    before = edition_hashes(out)
    book.chapter("intro.md").write_text("# Intro\n\n![](../images/missing.png)\n")
    run = run_cli(build_args(book, out, FORMATS, ["--strict"]))
    assert run.exit_code == 1 and not run.has_traceback, run.output
    assert edition_hashes(out) == before


def test_ctrl_c_while_writing_leaves_the_previous_editions(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    book = make_book(tmp_path / "b")
    out = tmp_path / "out"
    assert run_cli(build_args(book, out, FORMATS)).exit_code == 0
    before = edition_hashes(out)
    book.chapter("intro.md").write_text("# Intro\n\nChanged.\n")
    real_stage = output._stage
    staged: list[Path] = []

    def interrupted(path: Path, data: bytes) -> str:
        staged.append(path)
        if len(staged) == 3:  # two editions are staged, then Ctrl-C
            raise KeyboardInterrupt
        return real_stage(path, data)

    monkeypatch.setattr(output, "_stage", interrupted)
    run = run_cli(build_args(book, out, FORMATS))
    assert run.exit_code == 130, run.output
    assert "handbook-build: interrupted (SIGINT); previous editions kept" in run.output
    assert edition_hashes(out) == before
    assert temp_leftovers(out) == []


def _processes_mentioning(text: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if text.encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_ctrl_c_mid_render_exits_130_and_keeps_the_previous_editions(
        sample_copy: Path, tmp_path: Path, jobs: str) -> None:
    out = tmp_path / "out"
    args = [str(CLI), *build_args(sample_copy, out, PAGED)]
    args[args.index("-j") + 1] = jobs
    first = subprocess.run(args, capture_output=True, env=cli_env(), timeout=300, check=False)
    assert first.returncode == 0, first.stderr.decode()
    before = edition_hashes(out)
    _edit(sample_copy)
    # A session of its own, and the signal to the whole group: what Ctrl-C in a terminal does.
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               env=cli_env(), start_new_session=True)
    assert process.stderr is not None
    seen = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        line = process.stderr.readline().decode()
        seen.append(line)
        if not line or re.search(r"\brendering\b", line):
            break
    assert any("rendering" in line for line in seen), "".join(seen)
    time.sleep(0.3)  # into the layout
    os.killpg(process.pid, signal.SIGINT)
    try:
        _, rest = process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        pytest.fail("the build did not stop within 60 s of Ctrl-C")
    stderr = "".join(seen) + rest.decode()
    assert process.returncode == 130, stderr
    assert "handbook-build: interrupted (SIGINT); previous editions kept" in stderr
    assert "Traceback" not in stderr
    assert edition_hashes(out) == before
    assert temp_leftovers(out) == []
    time.sleep(0.2)
    assert _processes_mentioning(str(out)) == [], "worker processes outlived the build"


def _check_complete(folder: Path, reference_md: bytes) -> None:
    from pypdf import PdfReader

    assert (folder / "specimen.md").read_bytes() == reference_md
    for name in ("specimen.pdf", "specimen-print.pdf"):
        reader = PdfReader(io.BytesIO((folder / name).read_bytes()), strict=True)
        assert len(reader.pages) > 4
    with zipfile.ZipFile(folder / "specimen.epub") as archive:
        assert archive.testzip() is None
        assert archive.namelist()[0] == "mimetype"
    html = (folder / "specimen.html").read_text(encoding="utf-8")
    assert html.rstrip().endswith("</html>")
    assert temp_leftovers(folder) == []


def test_two_builds_into_one_folder_at_once(sample_copy: Path, tmp_path: Path) -> None:
    clean = tmp_path / "clean"
    shared = tmp_path / "shared"
    reference = subprocess.run([str(CLI), *build_args(sample_copy, clean, ("md",))],
                               capture_output=True, env=cli_env(), timeout=120, check=False)
    assert reference.returncode == 0, reference.stderr.decode()
    args = [str(CLI), *build_args(sample_copy, shared, PAGED)]
    processes = [subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  env=cli_env()) for _ in range(2)]
    results = [process.communicate(timeout=300) for process in processes]
    for process, (_, stderr) in zip(processes, results, strict=True):
        assert process.returncode == 0, stderr.decode()
        assert b"Traceback" not in stderr
    _check_complete(shared, (clean / "specimen.md").read_bytes())
