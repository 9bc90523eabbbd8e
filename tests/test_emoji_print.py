"""Emoji in the PDFs are drawn by a named outline face, never left to the colour bitmap font
WeasyPrint cannot draw (issue 15: "most emoji print as missing-glyph boxes")."""

from __future__ import annotations

import subprocess
import zipfile
from pathlib import Path

import pytest

from bookmaker import build_args, make_book, run_cli
from handbook_build.checks.typeset_check import check_typesetting
from handbook_build.html.emoji_text import TEXT_SELECTOR, text_presentation

EMOJI = "🎉 👍 🚀 ✅ ⛄ ❤️ 😀"


def test_text_presentation_adds_the_text_selector_and_replaces_the_emoji_one() -> None:
    assert text_presentation("a 🚀 b") == f"a 🚀{TEXT_SELECTOR} b"
    assert text_presentation("❤\ufe0f") == f"❤{TEXT_SELECTOR}"
    assert text_presentation(f"🚀{TEXT_SELECTOR}") == f"🚀{TEXT_SELECTOR}"  # not doubled
    assert text_presentation("☃ plain text, <b>é</b>") == "☃ plain text, <b>é</b>"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("emoji")
    book = make_book(root / "book", {"one.md": f"# One\n\nParty time: {EMOJI}, done.\n"})
    out = root / "out"
    run = run_cli(build_args(book, out, ("pdf", "print", "epub")), timeout=300)
    assert run.exit_code == 0, run.output
    return out


@pytest.mark.parametrize("print_edition", [False, True], ids=["reading", "print"])
def test_no_colour_font_and_no_missing_glyph_in_the_pdfs(built: Path, print_edition: bool
                                                         ) -> None:
    stem = next(built.glob("*.epub")).stem
    pdf = built / (f"{stem}-print.pdf" if print_edition else f"{stem}.pdf")
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True,
                           check=True).stdout
    assert "Color-Emoji" not in fonts, fonts
    assert "Symbola" in fonts or "Symbols2" in fonts, fonts
    result = check_typesetting(pdf, pdf.name)
    codes = {diagnostic.code for diagnostic in result.diagnostics}
    assert "glyph-missing" not in codes, result.diagnostics
    assert "face-fallback" not in codes, result.diagnostics
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout.replace(TEXT_SELECTOR, "").replace("\ufe0f", "")
    for emoji in EMOJI.replace("\ufe0f", "").split():
        assert emoji in text, emoji


def test_the_epub_keeps_the_authors_characters(built: Path) -> None:
    epub = next(built.glob("*.epub"))
    with zipfile.ZipFile(epub) as archive:
        chapter = "".join(archive.read(name).decode() for name in archive.namelist()
                          if name.endswith(".xhtml"))
    assert EMOJI in chapter
    assert TEXT_SELECTOR not in chapter
