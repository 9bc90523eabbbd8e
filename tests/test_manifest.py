"""Tests for manifest/: book.toml + contents list -> Manifest, every problem at once."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handbook_build.errors import ManifestError
from handbook_build.model import PageGeometry, PdfSettings, PrintSettings
from handbook_build.sources.manifest import (
    SCHEMA,
    load_manifest,
    manifest_from_contents,
    trim_size,
    validate_manifest,
)

BASE = '[book]\ntitle = "A Small Book"\ndate = 2024-01-31\n'


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Diagnostic paths are shown relative to the working directory.
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)


def write_book(
    root: Path,
    toml: str = BASE,
    contents: str = "- [One](one.md)\n",
    chapters: dict[str, str | bytes] | None = None,
) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "book.toml").write_text(toml, encoding="utf-8")
    (root / "contents.md").write_text(contents, encoding="utf-8")
    for name, body in (chapters if chapters is not None else {"one.md": "Text.\n"}).items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(body, bytes):
            path.write_bytes(body)
        else:
            path.write_text(body, encoding="utf-8")
    return root / "book.toml"


def errors(path: Path, source_dir: Path | None = None) -> list[str]:
    manifest, diagnostics = validate_manifest(path, source_dir)
    found = [str(d) for d in diagnostics if d.severity == "error"]
    assert (manifest is None) == bool(found)
    return found


# --- what a good manifest gives ---------------------------------------------------------------


def test_minimal_book_defaults(tmp_path: Path) -> None:
    manifest = load_manifest(write_book(tmp_path))
    assert manifest.manifest_path == tmp_path.resolve() / "book.toml"
    assert manifest.root_dir == manifest.source_dir == tmp_path.resolve()
    assert manifest.allowed_roots == (tmp_path.resolve(),)
    assert manifest.stem == "a-small-book"
    assert manifest.metadata.title == "A Small Book"
    assert manifest.metadata.date == dt.date(2024, 1, 31)
    assert manifest.metadata.language == "en"
    assert manifest.contents_path == tmp_path.resolve() / "contents.md"
    assert [n.source_path for n in manifest.chapters] == [tmp_path.resolve() / "one.md"]
    assert manifest.pdf == PdfSettings()
    assert manifest.print == PrintSettings()
    assert manifest.image_dirs == ()
    assert manifest.styles_dir.is_dir()
    assert not manifest.is_defaulted


def test_full_schema(tmp_path: Path) -> None:
    (tmp_path / "src" / "text").mkdir(parents=True)
    (tmp_path / "src" / "images").mkdir()
    (tmp_path / "cover.png").write_bytes(b"\x89PNG")
    toml = """
[book]
title = "Full"
subtitle = "Sub"
authors = ["A", "B"]
contributors = ["C (editor)"]
edition = "2.0"
language = "en-GB"
license = "CC0-1.0"
license_url = "https://creativecommons.org/publicdomain/zero/1.0/"
publisher = "P"
date = 2020-02-29
description = "D"
keywords = ["k"]
series = "S"
series_position = 2
blurb = '''Back
cover.'''
cover = "cover.png"
stem = "full-book"

[identifiers]
epub = "978-3-16-148410-0"
print = "ISBN 0-306-40615-2"
pdf = "urn:uuid:12345678-1234-5678-1234-567812345678"

[contents]
source = "src"
file = "toc.md"
chapters = "text"
images = ["images"]

[site]
url = "https://example.org/"
aliases = { start = "one.md" }

[pdf]
trim = "a5"
margins = { top = "20mm", outer = "1.5cm" }
font_size = "11pt"
font_family = "Serif"
hyphenate = false

[print]
trim = "170x240mm"
font_size = 10
note_style = "dots"
notes_pages = 2
prompts = ["Why?"]
profile = "lulu"
paper = "cream"

[epub]
embed_fonts = true
"""
    (tmp_path / "book.toml").write_text(toml, encoding="utf-8")
    (tmp_path / "src" / "toc.md").write_text("- [One](one.md)\n", encoding="utf-8")
    (tmp_path / "src" / "text" / "one.md").write_text("x\n", encoding="utf-8")
    manifest = load_manifest(tmp_path)  # the folder holding book.toml works too
    meta = manifest.metadata
    assert (meta.title, meta.subtitle, meta.authors, meta.contributors) == (
        "Full", "Sub", ("A", "B"), ("C (editor)",),
    )
    assert (meta.edition, meta.language, meta.series_position, meta.blurb) == (
        "2.0", "en-GB", "2", "Back\ncover.",
    )
    assert meta.site_url == "https://example.org/"
    assert meta.cover_image == tmp_path.resolve() / "cover.png"
    assert dict(meta.identifiers) == {
        "epub": "978-3-16-148410-0", "print": "ISBN 0-306-40615-2",
        "pdf": "urn:uuid:12345678-1234-5678-1234-567812345678",
    }
    assert manifest.stem == "full-book"
    src = tmp_path.resolve() / "src"
    assert manifest.source_dir == src
    assert manifest.allowed_roots == (tmp_path.resolve(), src)
    assert manifest.contents_path == src / "toc.md"
    assert manifest.chapters[0].source_path == src / "text" / "one.md"
    assert manifest.image_dirs == (src / "images",)
    assert dict(manifest.site_aliases) == {"start": "one.md"}
    pdf = manifest.pdf
    assert (pdf.trim, pdf.font_family, pdf.hyphenate) == ("a5", "Serif", False)
    assert pdf.geometry.width_in == pytest.approx(5.8268, abs=1e-3)
    assert pdf.geometry.top_in == pytest.approx(20 / 25.4, abs=1e-3)
    assert pdf.geometry.outer_in == pytest.approx(1.5 / 2.54, abs=1e-3)
    assert pdf.geometry.font_size_pt == 11
    printed = manifest.print
    assert (printed.note_style, printed.notes_pages, printed.prompts) == ("dots", 2, ("Why?",))
    assert (printed.profile, printed.paper, printed.geometry.font_size_pt) == ("lulu", "cream", 10)
    assert manifest.epub.embed_fonts is True


def test_sample_book(project_dir: Path) -> None:
    manifest = load_manifest(project_dir / "manuscript" / "book.toml")
    assert manifest.metadata.title == "Making Open Books: A Working Specimen"
    assert manifest.metadata.site_url == "https://openbooks.example.org"
    assert manifest.metadata.identifiers["epub"] != manifest.metadata.identifiers["print"]
    kinds = [(n.kind, n.depth) for n in manifest.nodes]
    assert kinds.count(("part", 1)) == 2
    assert ("chapter", 2) in kinds
    assert len(manifest.chapters) == 9  # the specimen: a welcome, two parts of four chapters
    assert manifest.chapters[0].slug == "welcome"
    assert ("chapter", 3) in kinds  # a sub-chapter
    chapter_names = {n.source_path.name for n in manifest.chapters if n.source_path}
    assert set(manifest.site_aliases.values()) <= chapter_names
    assert all(folder.is_dir() for folder in manifest.image_dirs)


@pytest.mark.parametrize(
    ("trim", "size"),
    [("6x9in", (6, 9)), ("5.5x8.5in", (5.5, 8.5)), ("Letter", (8.5, 11)), ("A4", (8.2677, 11.6929)),
     ("7 x 10 in", (7, 10)), ("170x240mm", (6.6929, 9.4488)), ("20x25cm", (7.874, 9.8425)),
     ("b5", None), ("1x2in", None), ("6x9", None)],
)
def test_trim_sizes(trim: str, size: tuple[float, float] | None) -> None:
    found = trim_size(trim)
    if size is None:
        assert found is None
    else:
        assert found == pytest.approx(size, abs=1e-3)


@pytest.mark.parametrize("trim", ["letter", "a4", "6x9in", "5.5x8.5in", "a5"])
def test_print_geometry_keeps_a_readable_text_block(tmp_path: Path, trim: str) -> None:
    manifest = load_manifest(write_book(tmp_path, BASE + f'[print]\ntrim = "{trim}"\n'))
    geometry = manifest.print.geometry
    text_points = (geometry.width_in - geometry.inner_in - geometry.outer_in) * 72
    characters = text_points / (0.48 * geometry.font_size_pt)
    assert 55 <= characters <= 75
    assert geometry.outer_in > geometry.inner_in  # the note column
    assert geometry.inner_in >= 0.625


def test_print_geometry_at_letter_is_the_documented_default(tmp_path: Path) -> None:
    manifest = load_manifest(write_book(tmp_path, BASE + '[print]\ntrim = "letter"\n'))
    assert manifest.print.geometry == PageGeometry(8.5, 11.0, 0.8, 0.9, 0.75, 2.75, 10.5)


# --- every problem at once, at its line -------------------------------------------------------


def test_not_toml_reports_tomllib_line(tmp_path: Path) -> None:
    path = write_book(tmp_path, BASE + "\n[pdf]\ntrim = 6x9in\n")
    assert errors(path) == [
        "book.toml:6:9: not valid TOML: Expected newline or end of document after a "
        "statement; see https://toml.io; strings need quotes, dates do not"
    ]
    with pytest.raises(ManifestError) as raised:
        load_manifest(path)
    assert raised.value.exit_code == 1
    assert raised.value.diagnostics[0].column == 9


def test_manifest_not_utf8_and_missing(tmp_path: Path) -> None:
    (tmp_path / "book.toml").write_bytes(b'[book]\ntitle = "caf\xe9"\n')
    assert errors(tmp_path / "book.toml") == [
        "book.toml:2:13: the file is not valid UTF-8 (byte 0xe9); save the file as UTF-8"
    ]
    assert errors(tmp_path / "nope.toml") == [
        "nope.toml: no such file; give the path of a book.toml or a contents file"
    ]


def test_unknown_sections_and_keys(tmp_path: Path) -> None:
    toml = (
        'title = "outside"\n'          # 1
        '[book]\n'                     # 2
        'title = "T"\n'                # 3
        'date = 2024-01-31\n'          # 4
        'autors = ["x"]\n'             # 5
        '[contnets]\n'                 # 6
        'file = "contents.md"\n'       # 7
        '[pdf]\n'                      # 8
        'zzz = 1\n'                    # 9
    )
    assert errors(write_book(tmp_path, toml)) == [
        "book.toml:1: key 'title' is outside any section; move it under [book]",
        "book.toml:5: unknown key 'autors' in [book]; did you mean 'authors'?",
        "book.toml:6: unknown section [contnets]; did you mean [contents]?",
        "book.toml:9: unknown key 'zzz' in [pdf]; expected one of 'trim', 'margins', "
        "'font_size', 'font_family', 'hyphenate', 'layout'",
    ]


def test_wrong_types(tmp_path: Path) -> None:
    toml = (
        "[book]\n"                            # 1
        "title = 3\n"                         # 2
        'date = "2024-01-31"\n'               # 3
        'authors = "Me"\n'                    # 4
        "edition = 3.0\n"                     # 5
        "[print]\n"                           # 6
        'notes_pages = "2"\n'                 # 7
        "[epub]\n"                            # 8
        'embed_fonts = "yes"\n'               # 9
    )
    assert errors(write_book(tmp_path, toml)) == [
        "book.toml:2: book.title must be a string, not an integer; write it as title = \"text\"",
        "book.toml:3: book.date must be a date, not a string; write it as date = 2024-01-31",
        "book.toml:4: book.authors must be a list of strings, not a string; write it as "
        'authors = ["one", "two"]',
        "book.toml:5: book.edition must be a string, not a number; write it as "
        'edition = "text"',
        "book.toml:7: print.notes_pages must be an integer, not a string; write it as "
        "notes_pages = 1",
        "book.toml:9: epub.embed_fonts must be true or false, not a string; write it as "
        "embed_fonts = true",
    ]


def test_title_and_date_are_required(tmp_path: Path) -> None:
    path = write_book(tmp_path, "[book]\nsubtitle = 'x'\n")
    assert errors(path) == [
        "book.toml:1: book.title is missing; add title = \"...\" under [book]",
        "book.toml:1: book.date is missing; add 'date = 2024-01-31' under [book]: every date "
        "in every output comes from it",
    ]
    write_book(tmp_path, '[book]\ntitle = "T"\ndate = 2024-01-31T10:00:00Z\n')
    assert errors(path) == [
        "book.toml:3: book.date must be a date, not a date-time; write it as date = 2024-01-31"
    ]


def test_identifiers(tmp_path: Path) -> None:
    toml = BASE + (
        "[identifiers]\n"                                                   # 4
        'epub = "urn:uuid:5ccd9373-14d4-447f-8b45-3fe12d679d89"\n'          # 5
        'print = "URN:UUID:5CCD9373-14D4-447F-8B45-3FE12D679D89"\n'          # 6
        'pdf = "978-3-16-148410-1"\n'                                       # 7
    )
    assert errors(write_book(tmp_path, toml)) == [
        "book.toml:6: identifiers.print is the same as identifiers.epub "
        "(URN:UUID:5CCD9373-14D4-447F-8B45-3FE12D679D89); each edition needs its own ISBN or "
        "UUID",
        "book.toml:7: identifiers.pdf '978-3-16-148410-1' is neither an ISBN nor a urn:uuid; "
        'write "978-..." (with a valid check digit) or "urn:uuid:" followed by a UUID',
    ]
    same_isbn = BASE + '[identifiers]\nepub = "9783161484100"\nprint = "978-3-16-148410-0"\n'
    assert errors(write_book(tmp_path, same_isbn)) == [
        "book.toml:6: identifiers.print is the same as identifiers.epub (978-3-16-148410-0); "
        "each edition needs its own ISBN or UUID",
    ]


def test_bad_values(tmp_path: Path) -> None:
    toml = (
        '[book]\ntitle = "T"\ndate = 2024-01-31\nlanguage = "english!"\nstem = "../x"\n'  # 1-5
        'site_url = "peeragogy.org"\n'                                                     # 6
        '[pdf]\ntrim = "b5"\nfont_size = "40pt"\n'                                         # 7-9
        '[print]\nmargins = { top = "1in", botom = "2in", inner = 3 }\n'                  # 10-11
        'profile = "kpd"\nnote_style = "lines"\nnotes_pages = -1\n'                        # 12-14
    )
    assert errors(write_book(tmp_path, toml)) == [
        "book.toml:4: book.language 'english!' is not a language tag; use a BCP 47 tag such as "
        '"en", "en-GB" or "es"',
        "book.toml:5: book.stem '../x' is not a safe file name; use letters, digits, '.', '_' "
        "and '-' only",
        "book.toml:6: book.site_url 'peeragogy.org' is not an http(s) address; write it as "
        '"https://example.org"',
        "book.toml:8: pdf.trim 'b5' is not a page size; use \"6x9in\", \"5.5x8.5in\", \"a5\", "
        '"a4", "letter" or a size such as "7x10in" or "170x240mm"',
        "book.toml:9: pdf.font_size '40pt' is not a font size between 6pt and 24pt; write it as "
        'font_size = "10.5pt"',
        "book.toml:11: unknown margin 'botom' in print.margins; did you mean 'bottom'?",
        "book.toml:11: print.margins.inner 3 is not a length; write it with a unit, e.g. "
        'inner = "0.75in" or "20mm"',
        "book.toml:12: print.profile must be one of none, kdp, lulu, ingramspark, not 'kpd'; "
        "did you mean 'kdp'?",
        "book.toml:13: print.note_style must be one of ruled, dots, blank, not 'lines'; "
        "expected one of 'ruled', 'dots', 'blank'",
        "book.toml:14: print.notes_pages must be 0 or more, not -1; 0 turns the notes pages off",
    ]


def test_margins_and_profiles(tmp_path: Path) -> None:
    toml = BASE + '[pdf]\nmargins = { inner = "3in", outer = "2in" }\n'
    assert errors(write_book(tmp_path, toml)) == [
        "book.toml:5: pdf.margins leave a text block of only 1.00x7.45in; make the margins "
        "smaller or the trim larger (at least 2in wide and 3in tall)"
    ]
    kdp = BASE + '[print]\nprofile = "kdp"\nmargins = { inner = "0.25in" }\n'
    assert errors(write_book(tmp_path, kdp)) == [
        "book.toml:6: print.margins are below KDP's minimum; KDP needs inner >= 0.375in and "
        "top, bottom, outer >= 0.25in"
    ]


def test_site_url_and_aliases(tmp_path: Path) -> None:
    toml = BASE.replace("[book]\n", '[book]\nsite_url = "https://a.org"\n') + (
        '[site]\nurl = "https://b.org"\n'          # 5-6
        "[site.aliases]\n"                         # 7
        'start = "one.md"\n'                       # 8
        'other = "onr.md"\n'                       # 9
        "number = 3\n"                             # 10
    )
    assert errors(write_book(tmp_path, toml)) == [
        "book.toml:6: site.url 'https://b.org' differs from book.site_url 'https://a.org'; "
        "give the site's address once",
        "book.toml:9: site.aliases.other names 'onr.md', which is not a chapter of the contents "
        "list; did you mean 'one.md'?",
        "book.toml:10: site.aliases.number must be a chapter file name, not an integer; write "
        'number = "chapter.md"',
    ]


def test_chapter_problems_at_contents_lines(tmp_path: Path) -> None:
    contents = (
        "# Book\n"                       # 1
        "- [One](one.md)\n"              # 2
        "- [Two](tow.md)\n"              # 3: missing, two.md exists
        "- [One again](one.md)\n"        # 4: twice
        "- [Bad](bad.md)\n"              # 5: not UTF-8
        "- [Pic](pic.png)\n"             # 6
    )
    chapters: dict[str, str | bytes] = {
        "one.md": "x\n", "two.md": "y\n", "bad.md": b"fine\nstill fine\nnot \xff fine\n",
    }
    path = write_book(tmp_path, BASE, contents, chapters)
    assert errors(path) == [
        "contents.md:3: chapter file tow.md does not exist; did you mean two.md?",
        "contents.md:4: chapter one.md is listed twice (first on line 2); list each chapter "
        "file once",
        "contents.md:6: contents link 'pic.png' is not a Markdown (.md) chapter file; link each "
        "chapter to its .md file, e.g. '- [Title](chapters/intro.md)'",
        "bad.md:3:5: the file is not valid UTF-8 (byte 0xff); save the file as UTF-8",
    ]
    with pytest.raises(ManifestError) as raised:
        load_manifest(path)
    message = raised.value.format_message()
    assert message.splitlines()[-1] == "4 problems found; nothing was built."
    assert len(raised.value.diagnostics) == 4


def test_empty_contents(tmp_path: Path) -> None:
    path = write_book(tmp_path, BASE, "# Nothing here yet\n", {})
    assert errors(path) == [
        "contents.md:1: the contents file has no list items; list the chapters as "
        "'- [Title](chapter.md)', one per line"
    ]
    write_book(tmp_path, BASE, "- Part only\n", {})
    assert errors(path) == [
        "contents.md:1: the contents list links to no chapter; list the chapters as "
        "'- [Title](chapter.md)', one per line"
    ]


def test_missing_contents_file_and_folders(tmp_path: Path) -> None:
    toml = BASE + '[contents]\nfile = "toc.md"\nchapters = "text"\nimages = ["img"]\n'
    assert errors(write_book(tmp_path, toml)) == [
        "book.toml:5: contents file 'toc.md' does not exist; looked for toc.md; set [contents] "
        "file",
        "book.toml:6: contents.chapters folder 'text' does not exist; looked for text",
        "book.toml:7: contents.images folder 'img' does not exist; looked for img",
    ]


def test_paths_may_not_leave_the_roots(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.md").write_text("s\n", encoding="utf-8")
    (outside / "other.md").write_text("o\n", encoding="utf-8")
    book = tmp_path / "book"
    toml = BASE + '[contents]\nimages = ["../outside"]\n[book.x]\n'
    contents = "- [One](one.md)\n- [Up](../outside/secret.md)\n- [Link](link.md)\n"
    path = write_book(book, toml.replace("[book.x]\n", ""), contents)
    (book / "link.md").symlink_to(outside / "other.md")
    # Relative to the book (the folder of book.toml), wherever the build runs from.
    under = "keep the book's files under the folder of book.toml"
    assert errors(path) == [
        f"book.toml:5: contents.images '../outside' leaves the book's folders; {under}",
        f"contents.md:2: chapter secret.md leaves the book's folders (it is "
        f"{outside.resolve() / 'secret.md'}); {under}",
        f"contents.md:3: chapter other.md leaves the book's folders (it is "
        f"{outside.resolve() / 'other.md'}); {under}",
    ]
    escaping_file = BASE + '[contents]\nfile = "../outside/secret.md"\n'
    write_book(book, escaping_file)
    assert errors(path) == [
        f"book.toml:5: contents.file '../outside/secret.md' leaves the book's folders; {under}"
    ]


def test_source_outside_the_manifest_folder_is_a_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "checkout"
    source.mkdir()
    (source / "contents.md").write_text("- [One](https://x.org/a/one.md)\n", encoding="utf-8")
    (source / "one.md").write_text("x\n", encoding="utf-8")
    edition = tmp_path / "editions" / "e1"
    edition.mkdir(parents=True)
    toml = BASE + '[contents]\nsource = "${MY_SOURCE:-../../checkout}"\n'
    (edition / "book.toml").write_text(toml, encoding="utf-8")
    monkeypatch.delenv("MY_SOURCE", raising=False)
    manifest = load_manifest(edition / "book.toml")
    assert manifest.source_dir == source.resolve()
    assert manifest.allowed_roots == (edition.resolve(), source.resolve())
    assert manifest.chapters[0].source_path == source.resolve() / "one.md"
    # The variable wins over the default; the argument wins over both.
    other = tmp_path / "other"
    other.mkdir()
    (other / "contents.md").write_text("- [Two](two.md)\n", encoding="utf-8")
    (other / "two.md").write_text("x\n", encoding="utf-8")
    monkeypatch.setenv("MY_SOURCE", str(other))
    assert load_manifest(edition / "book.toml").source_dir == other.resolve()
    monkeypatch.delenv("MY_SOURCE")
    assert load_manifest(edition / "book.toml", source_dir=other).source_dir == other.resolve()


def test_source_problems(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOT_SET_ANYWHERE", raising=False)
    path = write_book(tmp_path, BASE + '[contents]\nsource = "${NOT_SET_ANYWHERE}/x"\n')
    assert errors(path) == [
        "book.toml:5: contents.source uses ${NOT_SET_ANYWHERE}, which is not set; set "
        "NOT_SET_ANYWHERE or give a default: ${NOT_SET_ANYWHERE:-../folder}"
    ]
    write_book(tmp_path, BASE + '[contents]\nsource = "missing"\n')
    assert errors(path) == [
        "book.toml:5: contents.source folder 'missing' does not exist; looked for missing; fix "
        "the path or set the variable it names"
    ]
    assert errors(path, source_dir=tmp_path / "nowhere") == [
        "nowhere: the source folder does not exist"
    ]


def test_cover(tmp_path: Path) -> None:
    (tmp_path / "cover.txt").write_text("x", encoding="utf-8")
    path = write_book(tmp_path, BASE.replace("[book]\n", '[book]\ncover = "cover.txt"\n'))
    assert errors(path) == [
        "book.toml:2: book.cover 'cover.txt' is not an image; use one of .png, .jpg, .jpeg, "
        ".gif, .svg, .webp"
    ]
    write_book(tmp_path, BASE.replace("[book]\n", '[book]\ncover = "nope.png"\n'))
    assert errors(path) == [
        "book.toml:2: book.cover 'nope.png' does not exist; looked for nope.png"
    ]


def test_warnings_are_kept_not_fatal(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Kept on the manifest for the build to list with its own (not logged mid-progress)."""
    path = write_book(tmp_path, BASE, "- [One](https://x.org/one.mdn Online Class)\n")
    with caplog.at_level(logging.WARNING, logger="handbook_build"):
        manifest = load_manifest(path)
    assert manifest.chapters[0].slug == "one"
    assert [str(d).split(" target")[0] for d in manifest.warnings] == [
        "contents.md:1: malformed link"]
    assert caplog.text == ""


# --- without a book.toml ----------------------------------------------------------------------


def test_manifest_from_contents_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "my-notes"
    folder.mkdir()
    (folder / "SUMMARY.md").write_text("# Field Notes\n\n- [One](one.md)\n", encoding="utf-8")
    (folder / "one.md").write_text("x\n", encoding="utf-8")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    manifest = manifest_from_contents(folder)
    assert manifest.is_defaulted
    assert manifest.metadata.title == "Field Notes"
    assert manifest.metadata.date == dt.date(2023, 11, 14)
    assert manifest.stem == "field-notes"
    assert manifest.contents_path == folder.resolve() / "SUMMARY.md"
    assert manifest.allowed_roots == (folder.resolve(),)
    (folder / "SUMMARY.md").write_text("- [One](one.md)\n", encoding="utf-8")
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    untitled = manifest_from_contents(folder / "SUMMARY.md")
    assert untitled.metadata.title == "my-notes"
    assert untitled.metadata.date == dt.date(2000, 1, 1)


def test_manifest_from_contents_errors(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match=r"no contents file; add one of README\.md"):
        manifest_from_contents(tmp_path)
    (tmp_path / "README.md").write_text("- [One](one.md)\n", encoding="utf-8")
    with pytest.raises(ManifestError) as raised:
        manifest_from_contents(tmp_path)
    assert [str(d) for d in raised.value.diagnostics] == [
        "README.md:1: chapter file one.md does not exist; no similar .md file in ."
    ]


# --- the real handbook ------------------------------------------------------------------------


@pytest.mark.corpus
def test_real_handbook_edition(
    corpus_dir: Path, project_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HANDBOOK_SOURCE", str(corpus_dir))
    manifest = load_manifest(project_dir / "editions" / "peeragogy-v3" / "book.toml")
    meta = manifest.metadata
    assert (meta.title, meta.edition, meta.date, meta.license) == (
        "The Peeragogy Handbook", "3.0", dt.date(2016, 1, 15), "CC0-1.0",
    )
    assert meta.publisher == "Pierce Press"
    assert meta.site_url == "http://peeragogy.org"
    assert "Joseph Corneli" in meta.authors
    assert meta.identifiers["epub"] != meta.identifiers["print"]
    assert manifest.print.profile == "kdp"
    assert manifest.source_dir == corpus_dir.resolve()
    assert manifest.image_dirs == (corpus_dir.resolve() / "pictures",)
    assert len(manifest.chapters) == 60
    assert [n.title for n in manifest.nodes if n.kind == "part"] == [
        "Patterns", "Antipatterns", "Resources",  # typed RESOURCES: title-cased
    ]
    chapter_files = {n.source_path.name for n in manifest.chapters if n.source_path}
    assert manifest.site_aliases["convene"] == "convening.md"
    assert set(manifest.site_aliases.values()) <= chapter_files
    assert all(os.path.isfile(n.source_path) for n in manifest.chapters if n.source_path)


@pytest.mark.corpus
def test_real_handbook_without_manifest(corpus_dir: Path) -> None:
    manifest = manifest_from_contents(corpus_dir / "en-md")
    assert manifest.is_defaulted
    assert len(manifest.chapters) == 60
    assert manifest.metadata.title == "en-md"


# --- properties ---------------------------------------------------------------------------------

_KEY_NAMES = st.sampled_from(
    sorted({key for keys in SCHEMA.values() for key in keys} | {"zzz", "a b", "top", "convene"})
)
_SCALARS = st.one_of(
    st.text(max_size=20), st.integers(-5, 50), st.booleans(),
    st.floats(allow_nan=False, allow_infinity=False, width=32), st.dates(),
    st.datetimes(timezones=st.none()),
)
_VALUES = st.one_of(
    _SCALARS, st.lists(_SCALARS, max_size=3),
    st.dictionaries(_KEY_NAMES, _SCALARS, max_size=3),
)


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    if isinstance(value, dict):
        items = ", ".join(f"{json.dumps(k)} = {_toml_value(v)}" for k, v in value.items())
        return "{ " + items + " }"
    return repr(value)


@settings(
    max_examples=150, deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(st.dictionaries(
    st.sampled_from([*SCHEMA, "extra"]), st.dictionaries(_KEY_NAMES, _VALUES, max_size=5),
    max_size=5,
))
def test_validation_never_crashes(tmp_path: Path, data: dict[str, dict[str, object]]) -> None:
    lines: list[str] = []
    for section, table in data.items():
        lines.append(f"[{section}]")
        lines.extend(f"{json.dumps(key)} = {_toml_value(value)}" for key, value in table.items())
    text = "\n".join(lines) + "\n"
    path = write_book(tmp_path, text)
    manifest, diagnostics = validate_manifest(path)
    line_count = text.count("\n") + 1
    assert all(d.line is None or 1 <= d.line <= line_count for d in diagnostics)
    assert (manifest is None) == any(d.severity == "error" for d in diagnostics)


def test_missing_styles_is_a_missing_tool(monkeypatch: pytest.MonkeyPatch) -> None:
    from handbook_build.errors import MissingToolError
    from handbook_build.sources.manifest import styles_dir

    monkeypatch.setattr(styles_dir, "__file__",
                        "/nowhere/src/handbook_build/sources/manifest/styles_dir.py")
    with pytest.raises(MissingToolError, match="the style sheets are missing") as raised:
        styles_dir.find_styles_dir()
    assert raised.value.exit_code == 3
