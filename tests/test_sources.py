"""Tests of the sources stage (sources.py): confined UTF-8 reading and the chapter transforms."""

from __future__ import annotations

import dataclasses
import os
import shutil
from pathlib import Path

import pytest

from handbook_build.errors import SourceError
from handbook_build.model import Book, Manifest
from handbook_build.sources.chapters import EMPTY_CHAPTER_NOTE, read_book
from handbook_build.sources.manifest import load_manifest

MINI = Path(__file__).resolve().parent / "fixtures" / "mini"


@pytest.fixture()
def mini(tmp_path: Path) -> Path:
    """A private copy of the mini book, free to break."""
    shutil.copytree(MINI, tmp_path / "mini")
    return tmp_path / "mini"


def load(book_dir: Path) -> Manifest:
    return load_manifest(book_dir / "book.toml")


def by_code(book: Book) -> dict[str, list[tuple[str, int | None]]]:
    found: dict[str, list[tuple[str, int | None]]] = {}
    for diagnostic in book.diagnostics:
        found.setdefault(diagnostic.code, []).append(
            (Path(diagnostic.path).name, diagnostic.line))
    return found


def test_mini_book_reads_with_original_line_numbers(tmp_path: Path) -> None:
    book = read_book(load(MINI), tmp_path / "out")
    assert [chapter.node.slug for chapter in book.chapters] == ["one", "two", "three"]
    assert book.output_dir.is_absolute()
    # two.md line 1: a U+009D and a heading glued to the end of the line.
    assert by_code(book) == {
        "control-character": [("two.md", 1)],
        "glued-heading": [("two.md", 1)],
        "heading-jump": [("three.md", 5)],
    }
    assert all(d.severity == "warning" for d in book.diagnostics)
    one, two, three = (chapter.markdown for chapter in book.chapters)
    assert one.startswith("Learning with others")  # the repeated "# Getting started" is gone
    assert "[^one--1]" in one and "[^two--1]" in two and "[^three--1]" in three
    assert "(https://example.org/guide \"The guide\")" in one
    assert "(https://example.org/pairing-notes)" in two
    assert "[the next part](#two--how-to-pair)" in one
    assert "## How to pair {#two--how-to-pair}" in two
    assert "\u009d" not in two
    assert "## not a heading [1]\n---\n" in one  # code is untouched
    assert "\n* * *\n" in one


def test_images_are_collected_once(tmp_path: Path) -> None:
    book = read_book(load(MINI), tmp_path / "out")
    [asset] = book.images
    assert asset.path == (MINI / "images" / "diagram.svg").resolve()
    assert asset.media_type == "image/svg+xml"
    assert f"]({asset.src})" in book.chapters[0].markdown
    assert (book.output_dir / asset.src).resolve() == asset.path


def test_chapter_keeps_the_text_as_read(tmp_path: Path) -> None:
    book = read_book(load(MINI), tmp_path)
    source = (MINI / "chapters" / "two.md").read_text(encoding="utf-8")
    assert book.chapters[1].source_text == source


def test_every_error_is_listed_at_once(mini: Path) -> None:
    manifest = load(mini)
    (mini / "chapters" / "one.md").write_bytes(b"fine\nstill fine\nbad \xff byte\n")
    (mini / "chapters" / "two.md").write_bytes(b"text\n\x00binary")
    with pytest.raises(SourceError) as raised:
        read_book(manifest, mini / "out")
    found = [(Path(d.path).name, d.line, d.code) for d in raised.value.diagnostics]
    assert found == [("one.md", 3, "not-utf8"), ("two.md", 2, "binary-file")]
    assert raised.value.diagnostics[0].column == 5
    assert "2 problems found" in raised.value.format_message()


def test_symlink_out_of_the_book_is_refused(mini: Path, tmp_path: Path) -> None:
    manifest = load(mini)
    secret = tmp_path / "secret.md"
    secret.write_text("# Secret\n", encoding="utf-8")
    chapter = mini / "chapters" / "three.md"
    chapter.unlink()
    os.symlink(secret, chapter)
    with pytest.raises(SourceError) as raised:
        read_book(manifest, mini / "out")
    assert [d.code for d in raised.value.diagnostics] == ["outside-root"]


def test_missing_chapter_file_is_an_error(mini: Path) -> None:
    manifest = load(mini)
    (mini / "chapters" / "three.md").unlink()
    with pytest.raises(SourceError) as raised:
        read_book(manifest, mini / "out")
    assert [d.code for d in raised.value.diagnostics] == ["missing-chapter"]


def test_empty_chapter_is_a_warning_with_a_note(mini: Path) -> None:
    manifest = load(mini)
    (mini / "chapters" / "three.md").write_text("\ufeff \n\n\t\n", encoding="utf-8")
    book = read_book(manifest, mini / "out")
    assert book.chapters[2].markdown == EMPTY_CHAPTER_NOTE + "\n"
    assert ("three.md", 1) in by_code(book)["empty-chapter"]


def test_crlf_and_bom_do_not_move_line_numbers(mini: Path) -> None:
    manifest = load(mini)
    text = "\ufeffFirst line.\r\n\r\nSecond.\x07\r\n"
    (mini / "chapters" / "three.md").write_text(text, encoding="utf-8", newline="")
    book = read_book(manifest, mini / "out")
    assert book.chapters[2].markdown == "First line.\n\nSecond.\n"
    assert ("three.md", 3) in by_code(book)["control-character"]


def test_relative_output_dir_becomes_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                              ) -> None:
    monkeypatch.chdir(tmp_path)
    book = read_book(load(MINI), Path("out"))
    assert book.output_dir == tmp_path / "out"


def test_manifest_is_not_changed(tmp_path: Path) -> None:
    manifest = load(MINI)
    book = read_book(manifest, tmp_path)
    assert book.manifest is manifest
    assert dataclasses.replace(manifest) == manifest
