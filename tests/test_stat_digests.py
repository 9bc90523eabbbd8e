"""A rebuild with nothing changed reads no file (issue 17): digests remembered by stat
(stat_digests.py), and the image scan remembered per chapter while no file under the book's
folders changes. Checked with an audit hook recording every file Python opens; and every change
the full reading would notice is still noticed.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from bookmaker import Book, build_args, make_book, png_bytes, run_cli
from handbook_build import stat_digests
from handbook_build.stat_digests import StatDigests, tree_state
from opened_files import recording_opens


@pytest.fixture
def trust_fresh_files(monkeypatch: pytest.MonkeyPatch) -> None:
    """The test's files were all written a moment ago: remember their digests anyway."""
    monkeypatch.setattr(stat_digests, "RACY_NS", 0)


CHAPTER = "# Intro\n\n![p](../images/p.png)\n\n![q](q.png)\n"  # q.png: found by name


def _book(tmp_path: Path) -> tuple[Book, Path]:
    book = make_book(tmp_path / "b", chapters={"intro.md": CHAPTER},
                     images={"p.png": png_bytes(color=(200, 0, 0)),
                             "q.png": png_bytes(color=(0, 0, 200)), "spare.png": png_bytes()})
    return book, tmp_path / "out"


def _build(book: Book, out: Path) -> str:
    run = run_cli(build_args(book, out, ("md", "html")))
    assert run.exit_code == 0, run.output
    return run.output


@pytest.mark.usefixtures("trust_fresh_files")
def test_a_rebuild_with_nothing_changed_opens_no_book_file_and_no_output(tmp_path: Path) -> None:
    book, out = _book(tmp_path)
    _build(book, out)
    _build(book, out)  # learns the outputs' digests (written after the first fingerprint)
    with recording_opens() as opened:
        output = _build(book, out)
    assert "nothing changed" in output
    root = (tmp_path / "b").resolve()
    read = [path for path in opened if path.startswith(str(root))]
    # Loading the manifest reads it (twice: the entry-file detection looks whether it is an
    # mdBook's), the contents and the chapter (titles); the fingerprint reads nothing more: no
    # image, no second read of the contents or a chapter.
    assert sorted(read) == sorted(str(root / name) for name in
                                  ("book.toml", "book.toml", "contents.md",
                                   "chapters/intro.md")), read
    outputs = [path for path in opened if path.startswith(str(out.resolve()))
               and "/.cache/" not in path]
    assert outputs == [], outputs
    styles = [path for path in opened if path.endswith(".css")]
    assert styles == [], styles


@pytest.mark.usefixtures("trust_fresh_files")
def test_same_size_edits_new_files_and_damaged_outputs_are_still_noticed(tmp_path: Path) -> None:
    book, out = _book(tmp_path)
    _build(book, out)
    _build(book, out)
    images = tmp_path / "b" / "images"
    (images / "p.png").write_bytes(png_bytes(color=(0, 200, 0)))  # same size, new pixels
    assert "nothing changed" not in _build(book, out)
    assert "nothing changed" in _build(book, out)
    # A q.png next to the chapter now wins over the one found by name in images/: the
    # chapter's text did not change, the file it shows did.
    (tmp_path / "b" / "chapters" / "q.png").write_bytes(png_bytes(width=6, color=(1, 2, 3)))
    assert "nothing changed" not in _build(book, out)
    assert "nothing changed" in _build(book, out)
    # An unused file changing does not count, though the scan runs again.
    (images / "spare.png").write_bytes(png_bytes(color=(9, 9, 9)))
    assert "nothing changed" in _build(book, out)
    # An output edited in place (same size) is rewritten.
    html = next(out.glob("*.html"))
    data = html.read_bytes()
    html.write_bytes(data.replace(b"<", b">", 1))
    assert "nothing changed" not in _build(book, out)
    assert html.read_bytes() == data


def test_a_file_changed_just_before_it_is_hashed_is_read_again(tmp_path: Path) -> None:
    path = tmp_path / "fresh.md"
    path.write_text("x")
    digests = StatDigests(tmp_path)
    assert digests.digest_of(path) is not None
    assert digests.known(path, path.stat()) is None  # too fresh to trust its stat next time
    old = time.time() - 60
    os.utime(path, (old, old))
    later = StatDigests(tmp_path)
    later.now_ns += 60 * 1_000_000_000  # ctime cannot be set back: move the clock instead
    sha = later.digest_of(path)
    later.save()
    again = StatDigests(tmp_path)
    assert again.known(path, path.stat()) == sha


def test_the_tree_state_sees_additions_and_edits_without_opening_files(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "one.png").write_bytes(b"1")
    excluded = tmp_path / "out"
    excluded.mkdir()
    with recording_opens() as opened:
        first = tree_state([tmp_path], excluded)
    assert first is not None and not opened
    (excluded / "ignored").write_bytes(b"x")
    assert tree_state([tmp_path], excluded) == first
    (tmp_path / "a" / "two.png").write_bytes(b"2")
    second = tree_state([tmp_path], excluded)
    assert second != first
    (tmp_path / "a" / "two.png").write_bytes(b"22")
    assert tree_state([tmp_path], excluded) != second
