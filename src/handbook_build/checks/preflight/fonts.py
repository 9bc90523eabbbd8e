"""Fonts: every font embedded, every character drawn by a glyph of its face."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pypdf
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

from handbook_build.checks.pdf_fonts import embedded_faces, pages_holding
from handbook_build.checks.preflight.drawing import pdf_dict, resource_dicts
from handbook_build.checks.preflight.results import Check, frozen_mapping_any


def check_fonts(reader: pypdf.PdfReader) -> Check:
    fonts: dict[str, bool] = {}
    for font in _fonts(reader):
        name = str(font.get("/BaseFont", "(unnamed)"))
        fonts[name] = fonts.get(name, True) and _is_embedded(font)
    missing = sorted(name for name, embedded in fonts.items() if not embedded)
    return Check(
        "fonts-embedded",
        not missing,
        f"{len(fonts)} font(s), {len(missing)} not embedded" + (f": {missing}" if missing else ""),
        frozen_mapping_any(fonts=sorted(fonts), not_embedded=missing),
    )


def check_glyphs(pdf: bytes) -> Check:
    """A character no embedded face can draw prints as a box or nothing, while the text layer
    (and so every text check) still has it: read from the font programs (pdf_fonts.py). Its
    pages from pdfium's text (pypdf misreads WeasyPrint's custom-encoded fonts)."""
    missing: list[dict[str, Any]] = []
    findings: list[tuple[str, str, str]] = []
    for face in embedded_faces(pdf):
        holding = pages_holding(pdf, face.missing, face.pages) if face.missing else []
        for char in face.missing:
            pages = [index + 1 for index, chars in holding if char in chars]
            pages = pages or [index + 1 for index in face.pages[:1]]
            code = f"U+{ord(char):04X}"
            missing.append({"character": code, "face": face.base_font, "pages": pages[:20]})
            # a warning of the build, as for images: the rule fails, --strict stops the release
            findings.append(("warning", f"{code} has no glyph in {face.base_font} (p. "
                             f"{', '.join(str(p) for p in pages[:5])}): the page shows a box "
                             "or nothing", "replace the character in the source or name a "
                             "face that has it in the style sheet"))
    return Check(
        "glyphs",
        not missing,
        f"{len(missing)} character(s) without a glyph in their face",
        frozen_mapping_any(missing=missing[:50]),
        tuple(findings[:20]),
    )


def _fonts(reader: pypdf.PdfReader) -> Iterator[DictionaryObject]:
    seen: set[int] = set()
    for page in reader.pages:
        for resources in resource_dicts(page):
            for ref in pdf_dict(resources.get("/Font")).values():
                key = ref.idnum if isinstance(ref, IndirectObject) else id(ref)
                if key not in seen:
                    seen.add(key)
                    yield pdf_dict(ref)


def _is_embedded(font: DictionaryObject) -> bool:
    if font.get("/Subtype") == "/Type3":
        return True  # glyphs are drawn by the font's own procedures
    if font.get("/Subtype") == "/Type0":
        descendants = font.get("/DescendantFonts")
        if isinstance(descendants, IndirectObject):
            descendants = descendants.get_object()
        font = pdf_dict(descendants[0]) if isinstance(descendants, ArrayObject) else font
    descriptor = pdf_dict(font.get("/FontDescriptor"))
    return any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3"))
