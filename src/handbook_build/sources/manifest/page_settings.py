"""``[pdf]``, ``[print]`` and ``[epub]``: trims, margins, font sizes and each edition's settings.

The default geometry of each paged edition is derived from its trim and font size (below).
"""

from __future__ import annotations

import re
from typing import Literal

from handbook_build.model import (
    EpubSettings,
    NoteStyle,
    PageGeometry,
    PdfLayout,
    PdfSettings,
    PodProfileName,
    PrintSettings,
)
from handbook_build.sources.manifest.toml_reader import Reader, did_you_mean

MARGIN_KEYS = ("top", "bottom", "inner", "outer")
NOTE_STYLES: tuple[NoteStyle, ...] = ("ruled", "dots", "blank")
PROFILES: tuple[PodProfileName, ...] = ("none", "kdp", "lulu", "ingramspark")
PDF_LAYOUTS: tuple[PdfLayout, ...] = ("screen", "book")
Paper = Literal["white", "cream", "color"]
PAPERS: tuple[Paper, ...] = ("white", "cream", "color")

_UNITS_IN = {"in": 1.0, "mm": 1 / 25.4, "cm": 1 / 2.54, "pt": 1 / 72}
_NAMED_TRIMS = {
    "6x9in": (6.0, 9.0), "5.5x8.5in": (5.5, 8.5), "letter": (8.5, 11.0),
    "a5": (148 / 25.4, 210 / 25.4), "a4": (210 / 25.4, 297 / 25.4),
}
_TRIM_RE = re.compile(r"^(\d+(?:\.\d+)?)x(\d+(?:\.\d+)?)(in|mm|cm)$")
_LENGTH_RE = re.compile(r"^(\d+(?:\.\d+)?)\s*(in|mm|cm|pt)$")


def read_pdf(reader: Reader) -> PdfSettings:
    defaults = PdfSettings()
    trim, size = _read_trim(reader, "pdf", defaults.trim)
    font_size = _read_font_size(reader, "pdf") or defaults.geometry.font_size_pt
    geometry = _apply_margins(reader, "pdf", _pdf_geometry(size, font_size))
    hyphenate = reader.raw("pdf", "hyphenate")
    layout = reader.choice("pdf", "layout", PDF_LAYOUTS, defaults.layout)
    return PdfSettings(
        layout=next(value for value in PDF_LAYOUTS if value == layout),
        trim=trim, geometry=geometry,
        font_family=reader.text("pdf", "font_family", defaults.font_family),
        hyphenate=hyphenate if isinstance(hyphenate, bool) else defaults.hyphenate,
    )


def read_print(reader: Reader) -> PrintSettings:
    defaults = PrintSettings()
    trim, size = _read_trim(reader, "print", defaults.trim)
    geometry = _apply_margins(reader, "print", _print_geometry(size, None))
    font_size = _read_font_size(reader, "print")
    if font_size is not None:
        geometry = PageGeometry(geometry.width_in, geometry.height_in, geometry.top_in,
                                geometry.bottom_in, geometry.inner_in, geometry.outer_in,
                                font_size)
    profile = reader.choice("print", "profile", PROFILES, defaults.profile)
    _check_profile(reader, profile, geometry)
    return PrintSettings(
        trim=trim, geometry=geometry,
        note_style=_note_style(reader.choice("print", "note_style", NOTE_STYLES,
                                             defaults.note_style)),
        notes_pages=_read_notes_pages(reader, defaults.notes_pages),
        prompts=reader.texts("print", "prompts"), profile=_profile(profile),
        blank_versos="blank" if reader.choice("print", "blank_versos", ("notes", "blank"),
                                              defaults.blank_versos) == "blank" else "notes",
        paper=_paper(reader.choice("print", "paper", PAPERS, defaults.paper)),
    )


def read_epub(reader: Reader) -> EpubSettings:
    embed = reader.raw("epub", "embed_fonts")
    depth = reader.raw("epub", "nav_depth")
    if depth is not None and not (isinstance(depth, int) and 1 <= depth <= 6):
        reader.error(("epub", "nav_depth"), f"nav_depth must be 1 to 6, not {depth!r}",
                     "1 lists the chapters, 2 adds their sections (the default), up to 6")
        depth = None
    return EpubSettings(embed_fonts=embed if isinstance(embed, bool) else False,
                        nav_depth=depth if isinstance(depth, int) else 2)


def _note_style(value: str) -> NoteStyle:
    return next(style for style in NOTE_STYLES if style == value)


def _profile(value: str) -> PodProfileName:
    return next(profile for profile in PROFILES if profile == value)


def _paper(value: str) -> Paper:
    return next(paper for paper in PAPERS if paper == value)


def _read_notes_pages(reader: Reader, default: int) -> int:
    value = reader.raw("print", "notes_pages")
    if isinstance(value, int) and not isinstance(value, bool):
        if value >= 0:
            return value
        reader.error(("print", "notes_pages"), f"print.notes_pages must be 0 or more, not "
                     f"{value}", "0 turns the notes pages off", code="bad-value")
    return default


def _read_trim(reader: Reader, section: str, default: str) -> tuple[str, tuple[float, float]]:
    """The trim name as written and its (width, height) in inches."""
    trim = reader.text(section, "trim", default)
    size = trim_size(trim)
    if size is None:
        reader.error((section, "trim"), f"{section}.trim {trim!r} is not a page size",
                     'use "6x9in", "5.5x8.5in", "a5", "a4", "letter" or a size such as '
                     '"7x10in" or "170x240mm"', code="bad-value")
        return default, trim_size(default) or (6.0, 9.0)
    return trim, size


def trim_size(trim: str) -> tuple[float, float] | None:
    """(width, height) in inches of a trim name or "WxH<unit>", within 3..17 inches, or None."""
    normal = re.sub(r"\s+", "", trim.lower())
    if normal in _NAMED_TRIMS:
        return _NAMED_TRIMS[normal]
    match = _TRIM_RE.match(normal)
    if not match:
        return None
    scale = _UNITS_IN[match.group(3)]
    width, height = float(match.group(1)) * scale, float(match.group(2)) * scale
    if not (3 <= width <= 17 and 3 <= height <= 17):
        return None
    return round(width, 4), round(height, 4)


def parse_length(text: str) -> float | None:
    """A length such as "0.75in", "20mm", "2cm" or "54pt" in inches, or None."""
    match = _LENGTH_RE.match(text.strip().lower())
    return float(match.group(1)) * _UNITS_IN[match.group(2)] if match else None


def _read_font_size(reader: Reader, section: str) -> float | None:
    value = reader.raw(section, "font_size")
    if value is None:
        return None
    points: float | None = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        points = float(value)
    elif isinstance(value, str):
        inches = parse_length(value)
        points = None if inches is None else round(inches * 72, 2)
    if points is None or not 6 <= points <= 24:
        reader.error((section, "font_size"), f"{section}.font_size {value!r} is not a font size "
                     "between 6pt and 24pt", 'write it as font_size = "10.5pt"', code="bad-value")
        return None
    return points


def _pdf_geometry(size: tuple[float, float], font_size: float) -> PageGeometry:
    """Reading PDF: a text block of about 65 characters, inner:outer 4:3, margins scaled to h.

    At 6x9in and 10.5pt this gives the model's default (0.75, 0.8, 0.8, 0.6).
    """
    width, height = size
    text_width = min(width - 1.4, 4.6 * font_size / 10.5)
    side = width - text_width
    return PageGeometry(width, height, round(0.75 * height / 9, 3), round(0.8 * height / 9, 3),
                        round(side * 4 / 7, 3), round(side * 3 / 7, 3), font_size)


def _print_geometry(size: tuple[float, float], font_size: float | None) -> PageGeometry:
    """Annotatable print: a wide outer note column (2.75in at letter, narrower on smaller trims).

    The note column shrinks faster than the page so the text block keeps 60-70 characters; the
    font is fitted to that block (10.5pt at letter, about 9pt at 6x9in) unless given.
    """
    width, height = size
    scale = width / 8.5
    outer = min(3.0, max(1.25, 2.75 * scale**1.5))
    inner = max(0.625, 0.75 * scale)  # print-on-demand gutters need at least 0.5-0.625in
    text_points = (width - inner - outer) * 72
    fitted = min(10.5, max(9.0, text_points / (62 * 0.48)))  # ~0.48em per average character
    return PageGeometry(width, height, round(0.8 * height / 11, 3), round(0.9 * height / 11, 3),
                        round(inner, 3), round(outer, 3), round(font_size or fitted, 1))


def _apply_margins(reader: Reader, section: str, geometry: PageGeometry) -> PageGeometry:
    """Margins given in ``[section] margins`` replace the defaults, one side at a time."""
    table = reader.raw(section, "margins")
    values = {side: getattr(geometry, f"{side}_in") for side in MARGIN_KEYS}
    for side, value in (table.items() if isinstance(table, dict) else ()):
        key = (section, "margins", side)
        inches = parse_length(value) if isinstance(value, str) else None
        if side not in MARGIN_KEYS:
            reader.error(key, f"unknown margin {side!r} in {section}.margins",
                         did_you_mean(side, MARGIN_KEYS), code="unknown-key")
        elif inches is None:
            reader.error(key, f"{section}.margins.{side} {value!r} is not a length",
                         f'write it with a unit, e.g. {side} = "0.75in" or "20mm"',
                         code="bad-value")
        else:
            values[side] = round(inches, 4)
    result = PageGeometry(geometry.width_in, geometry.height_in, values["top"], values["bottom"],
                          values["inner"], values["outer"], geometry.font_size_pt)
    _check_text_block(reader, section, result)
    return result


def _check_text_block(reader: Reader, section: str, geometry: PageGeometry) -> None:
    text_width = geometry.width_in - geometry.inner_in - geometry.outer_in
    text_height = geometry.height_in - geometry.top_in - geometry.bottom_in
    if text_width < 2 or text_height < 3:
        reader.error((section, "margins"), f"{section}.margins leave a text block of only "
                     f"{text_width:.2f}x{text_height:.2f}in", "make the margins smaller or the "
                     "trim larger (at least 2in wide and 3in tall)", code="bad-value")


def _check_profile(reader: Reader, profile: str, geometry: PageGeometry) -> None:
    # KDP rejects interiors whose gutter is under 0.375in or whose other margins are under
    # 0.25in (no bleed), the smallest values it accepts for any page count.
    if profile != "kdp":
        return
    if geometry.inner_in < 0.375 or min(geometry.top_in, geometry.bottom_in,
                                        geometry.outer_in) < 0.25:
        reader.error(("print", "margins"), "print.margins are below KDP's minimum",
                     "KDP needs inner >= 0.375in and top, bottom, outer >= 0.25in",
                     code="pod-profile")
