"""The typographic cover: size, determinism, font fallback."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from handbook_build.render.cover_image import (
    COVER_SIZE,
    DEJAVU_DIR,
    LIBERTINE_DIR,
    CoverFonts,
    _author_tokens,
    find_fonts,
    typographic_cover,
)

AUTHORS = ("Joseph Corneli", "Charles Jeffrey Danoff", "Charlotte Pierce")


def test_cover_is_a_1600_by_2560_png() -> None:
    cover = typographic_cover("The Peeragogy Handbook", "A guide", AUTHORS)
    with Image.open(io.BytesIO(cover.data)) as image:
        assert image.format == "PNG"
        assert image.size == COVER_SIZE == (1600, 2560)
        assert image.mode == "RGB"


def test_same_text_gives_same_bytes_and_other_text_other_bytes() -> None:
    first = typographic_cover("A Title", "A subtitle", AUTHORS).data
    assert typographic_cover("A Title", "A subtitle", AUTHORS).data == first
    assert typographic_cover("Another Title", "A subtitle", AUTHORS).data != first


def test_libertine_is_used_without_warning_when_installed() -> None:
    if not (LIBERTINE_DIR / "LinLibertine_RB.otf").is_file():
        pytest.skip("Linux Libertine O is not installed")
    fonts, warnings = find_fonts()
    assert warnings == ()
    assert fonts.title is not None and fonts.title.parent == LIBERTINE_DIR


def test_falls_back_to_dejavu_with_a_warning(tmp_path: Path) -> None:
    if not (DEJAVU_DIR / "DejaVuSans.ttf").is_file():
        pytest.skip("DejaVu is not installed")
    fonts, warnings = find_fonts(libertine_dir=tmp_path)
    assert fonts.authors == DEJAVU_DIR / "DejaVuSans.ttf"
    assert len(warnings) == 1 and "DejaVu" in warnings[0]


def test_without_any_font_pillow_face_still_draws_a_cover(tmp_path: Path) -> None:
    fonts, warnings = find_fonts(libertine_dir=tmp_path, dejavu_dir=tmp_path)
    assert fonts == CoverFonts(None, None, None) and warnings
    cover = typographic_cover("Title", "", ("Someone",), fonts=fonts)
    with Image.open(io.BytesIO(cover.data)) as image:
        assert image.size == COVER_SIZE


def test_long_title_and_many_authors_fit() -> None:
    title = "A Remarkably Long Title That Keeps Going " * 4
    cover = typographic_cover(title, "Subtitle " * 20, [f"Author Number {n}" for n in range(30)])
    assert cover.data.startswith(b"\x89PNG")


def test_author_line_keeps_names_whole_and_shortens_long_lists() -> None:
    assert _author_tokens(["Ann Lee"]) == ["Ann Lee"]
    assert _author_tokens(["Ann Lee", "Bo Ma"]) == ["Ann Lee and", "Bo Ma"]
    assert _author_tokens(["A A", "B B", "C C"]) == ["A A,", "B B and", "C C"]
    tokens = _author_tokens([f"N{n}" for n in range(10)])
    assert tokens[-1] == "2 others" and len(tokens) == 9
