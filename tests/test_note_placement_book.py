"""A tiny book with every case of issue 14's notes and pictures, built through the CLI: URL notes
in a bold paragraph and in a heading, a word linked letter by letter, a link around a missing
web image, a meaningless "image" caption, a headshot paragraph and a row of headshots; a
footnote call on the last line of a page. Judged by page text (pypdf), the fonts the notes are
set in, the typesetting check's findings and rendered pixels."""

from __future__ import annotations

from pathlib import Path

import pypdf
import pypdfium2 as pdfium
import pytest

from bookmaker import build_args, make_book, png_bytes, run_cli
from handbook_build.checks.typeset_check import check_typesetting

pytest.importorskip("weasyprint")

FILLER = " ".join(["Peers learn together and write the book as they go."] * 12)

CHAPTER = f"""# Notes

**A bold paragraph that links to [the bold site](https://example.org/bold-site) in its text.**

## A heading with [a link](https://example.org/heading-site)

Short memos: [m](https://example.org/memos)[e](https://example.org/memos)[mo](https://example.org/memos)s
are one word.

[![image](http://example.org/pics/guy2-202x300.jpg)](http://example.org/pics/guy2-202x300.jpg)

![image](../images/chart.png)

![Ann](../images/ann.png "Ann Author") **Ann Author, Editor.** Ann writes about learning in
groups and keeps the book's list of tools. {FILLER}

![Ann](../images/ann.png "Ann Author") ![Bob](../images/bob.png "Bob Builder")

{FILLER}

{FILLER}
"""

# Paragraphs whose last lines carry footnote calls: at some length one of them falls on a
# page's last line.
NOTES = "\n\n".join(
    f"{FILLER[: 200 + 37 * index]} with a note.[^n{index}]\n\n[^n{index}]: Note {index} text."
    for index in range(14))


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("notes-book")
    book = make_book(root / "book", {"notes.md": CHAPTER, "calls.md": f"# Calls\n\n{NOTES}\n"},
                     images={"ann.png": png_bytes(100, 100, (40, 90, 160)),
                             "bob.png": png_bytes(100, 100, (160, 90, 40)),
                             "chart.png": png_bytes(400, 300, (90, 160, 40))})
    out = root / "out"
    run = run_cli(build_args(book, out, ("html", "pdf", "print")), timeout=600)
    assert run.exit_code == 0, run.output
    return out


def _pages(pdf: Path) -> list[str]:
    return [page.extract_text() or "" for page in pypdf.PdfReader(pdf).pages]


def _fonts_of(pdf: Path, needle: str) -> set[tuple[str, float]]:
    """(font, size in pt) of every text run of a page holding ``needle`` that starts it."""
    found: set[tuple[str, float]] = set()
    for page in pypdf.PdfReader(pdf).pages:
        def visit(text: str, cm: list[float], tm: list[float], font: object, size: float) -> None:
            if text.strip().startswith(needle) and isinstance(font, dict):
                scale = abs(tm[3] * cm[3]) or 1.0
                found.add((str(font.get("/BaseFont")), round(size * scale, 1)))
        page.extract_text(visitor_text=visit)
    return found


def test_url_notes_once_each_in_the_note_style(built: Path) -> None:
    text = "\n".join(_pages(built / "book-print.pdf"))
    for address in ("example.org/bold-site", "example.org/heading-site"):
        assert text.count(address) == 1, address
    assert text.count("example.org/memos") == 1  # one note for the run of three links
    # A link around a (missing) picture gets no note: paper cannot follow it.
    assert "example.org/pics" not in text
    bold, heading = (_fonts_of(built / "book-print.pdf", f"example.org/{name}")
                     for name in ("bold-site", "heading-site"))
    plain = _fonts_of(built / "book-print.pdf", "example.org/memos")
    assert bold and heading and plain
    assert bold == plain == heading  # same face and size whatever the call's context
    assert not any("Bold" in font for font, _ in bold)


def test_every_note_on_its_call_page_and_no_lone_fragment(built: Path) -> None:
    for name in ("book.pdf", "book-print.pdf"):
        result = check_typesetting(built / name, name)
        codes = [diagnostic.code for diagnostic in result.diagnostics]
        assert "note-astray" not in codes, name
        assert "note-twice" not in codes, name
        assert "hyphen-lone-fragment" not in codes, name
        assert "page-placeholder-only" not in codes, name
    text = "\n".join(_pages(built / "book.pdf"))
    for index in range(14):
        assert f"Note {index} text." in text


def test_placeholder_names_the_file_and_meaningless_captions_go(built: Path) -> None:
    pages = _pages(built / "book.pdf")
    text = "\n".join(pages)
    assert "Image not available: guy2-202x300.jpg" in text
    assert "\nimage\n" not in f"\n{text}\n"  # pandoc's caption "image" under chart.png


def test_headshots_float_beside_the_text_and_rows_side_by_side(built: Path) -> None:
    html = (built / "book.html").read_text(encoding="utf-8")
    assert html.count('class="headshot"') == 1
    assert 'class="headshot-row"' in html and html.count('class="headshot-cell"') == 2
    assert '<span class="headshot-name">Bob ' in html
    pdf = pdfium.PdfDocument(str(built / "book.pdf"))
    blue_rows: list[tuple[int, int, int]] = []  # (page, top row, left column) of Ann's blue
    for index in range(len(pdf)):
        image = pdf[index].render(scale=1).to_pil().convert("RGB")
        width, height = image.size
        pixels = image.load()
        hits = [(x, y) for y in range(0, height, 2) for x in range(0, width, 2)
                if pixels[x, y] == (40, 90, 160)]
        if hits:
            blue_rows.append((index, min(y for _, y in hits), min(x for x, _ in hits)))
    assert len(blue_rows) >= 1
    page, _, left = blue_rows[0]
    image = pdf[page].render(scale=1).to_pil().convert("RGB")
    # The float sits at the text's left edge, not centred on a line of its own.
    assert left < image.size[0] * 0.3
