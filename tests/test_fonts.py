"""The font check: the families the styles name first must be installed (no silent fallback)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from handbook_build.render import fonts
from handbook_build.render.fonts import (
    declared_families,
    first_families,
    installed_families,
    missing_font_families,
)

STYLES_DIR = Path(__file__).resolve().parent.parent / "styles"
INSTALLED = frozenset({"linux libertine o", "linux biolinum o"})


def test_first_families_in_order_without_generics_or_duplicates() -> None:
    css = """
    /* font-family: "Commented Out"; */
    body { font-family: "Linux Libertine O", serif; }
    h1 { font-family: 'Linux Biolinum O' , sans-serif !important }
    code { font-family: monospace; }
    p { font-family: "Linux Libertine O"; }
    .x { -webkit-font-family: Nope; }
    """
    assert first_families([css]) == ["Linux Libertine O", "Linux Biolinum O"]


def test_a_missing_family_gives_one_warning_naming_it() -> None:
    css = 'body { font-family: "Linux Libertine O"; } h1 { font-family: "No Such Face", serif }'
    warnings = missing_font_families([css], installed=INSTALLED)
    assert len(warnings) == 1
    assert "'No Such Face'" in warnings[0]


def test_case_and_spacing_do_not_matter() -> None:
    css = "body { font-family: linux   LIBERTINE o, serif }"
    assert missing_font_families([css], installed=INSTALLED) == []


def test_font_face_families_are_available_and_not_used_faces() -> None:
    css = """
    @font-face { font-family: "Bundled Face"; src: url(face.woff2); }
    body { font-family: "Bundled Face", serif; }
    """
    assert declared_families([css]) == {"bundled face"}
    assert first_families([css]) == ["Bundled Face"]
    assert missing_font_families([css], installed=INSTALLED) == []


def test_without_fc_list_the_check_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fonts, "installed_families", lambda: None)
    warnings = missing_font_families(["body { font-family: X }"])
    assert len(warnings) == 1 and "fc-list" in warnings[0]


@pytest.mark.skipif(shutil.which("fc-list") is None, reason="fontconfig is not installed")
def test_the_reading_edition_styles_name_only_installed_fonts() -> None:
    texts = [(STYLES_DIR / name).read_text(encoding="utf-8") for name in ("base.css", "pdf.css")]
    assert missing_font_families(texts) == []
    known = installed_families()
    assert known is not None and "linux libertine o" in known
    assert installed_families() is known  # asked once per process


def test_declarations_know_their_selector_even_in_page_margin_boxes() -> None:
    css = """
    html { font-family: "Body Face", serif; }
    @page :left { @top-left { font-family: "Head Face"; content: "x" } }
    h1, h2 { font-family: "Heading Face" }
    """
    assert fonts.family_declarations([css]) == [
        ("html", "Body Face"),
        ("@top-left", "Head Face"),
        ("h1, h2", "Heading Face"),
    ]


def test_an_embedded_family_no_style_names_is_reported() -> None:
    css = 'html { font-family: "Linux Libertine O", serif }'
    warnings = fonts.unnamed_family_warnings(["Linux Libertine O", "DejaVu Sans"], [css])
    assert len(warnings) == 1 and "'DejaVu Sans'" in warnings[0]
