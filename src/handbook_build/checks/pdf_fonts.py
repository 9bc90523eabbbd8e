"""The faces embedded in a built PDF and the characters each one fails to draw (pikepdf, fontTools).

A renderer that finds no glyph for a character still writes the character: as glyph 0
(``.notdef``), as a glyph id past the end of the font (WeasyPrint does this for a character no
installed font has), or as a glyph without an outline. The text layer (``ToUnicode``) still says
which character was meant, so ``pdftotext`` shows the text intact while the page shows a box or
nothing. This module reads each embedded font program and, for every code the ``ToUnicode`` map
lists, checks that the glyph exists and has an outline. WeasyPrint writes Identity-encoded CID
fonts whose codes are glyph ids (its subsets keep the original glyph ids), which is what is read.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pikepdf
from fontTools.ttLib import TTFont

_BFCHAR = re.compile(rb"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>")
_BFRANGE_BLOCK = re.compile(rb"beginbfrange(.*?)endbfrange", re.S)
_BFCHAR_BLOCK = re.compile(rb"beginbfchar(.*?)endbfchar", re.S)
_BFRANGE = re.compile(rb"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>")
_SUBSET_TAG = re.compile(r"^[A-Z]{6}\+")
# Charstring operators that draw: a CFF glyph without any of them has no outline.
_DRAWING = {"rlineto", "hlineto", "vlineto", "rrcurveto", "hhcurveto", "vvcurveto",
            "hvcurveto", "vhcurveto", "rcurveline", "rlinecurve", "flex", "hflex", "hflex1",
            "flex1"}


@dataclass(frozen=True, slots=True)
class EmbeddedFace:
    base_font: str  # PostScript name without the subset tag, e.g. "Linux-Libertine-O-Bold"
    pages: tuple[int, ...]  # 0-based pages whose resources use it
    characters: str  # every character the text layer maps to it, sorted
    missing: str  # characters whose glyph is absent or has no outline, sorted


def embedded_faces(pdf: Path | bytes) -> tuple[EmbeddedFace, ...]:
    """Each font of the file (a path, or the bytes of one) once (by object), in order of first
    use."""
    with pikepdf.open(io.BytesIO(pdf) if isinstance(pdf, bytes) else pdf) as document:
        found: dict[tuple[int, int], tuple[pikepdf.Dictionary, list[int]]] = {}
        for index, page in enumerate(document.pages):
            for font in _page_fonts(page.obj.get("/Resources"), set()):
                key = font.objgen
                if key not in found:
                    found[key] = (font, [])
                if index not in found[key][1]:
                    found[key][1].append(index)
        return tuple(_face(font, tuple(pages)) for font, pages in found.values())


_HEX_STRING = re.compile(rb"<([0-9a-fA-F]+)>")


def pages_holding(pdf: Path | bytes, chars: str, pages: Sequence[int]
                  ) -> list[tuple[int, set[str]]]:
    """(0-based page, which of ``chars`` its text has) for each of ``pages`` that has any, read
    by pdfium (pypdf misreads the custom-encoded CID fonts of WeasyPrint 70)."""
    import pypdfium2 as pdfium

    wanted = set(chars)
    found = []
    document = pdfium.PdfDocument(pdf)
    try:
        for index in pages:
            present = {c for c in document[index].get_textpage().get_text_range() if c in wanted}
            if present:
                found.append((index, present))
    finally:
        document.close()
    return found


def notdef_pages(pdf: Path) -> tuple[int, ...]:
    """0-based pages whose text draws code 0, which in the Identity-H CID fonts WeasyPrint
    writes is glyph 0, ``.notdef`` (a box or nothing on the page)."""
    found = []
    with pikepdf.open(pdf) as document:
        for index, page in enumerate(document.pages):
            contents = page.obj.get("/Contents")
            streams = contents if isinstance(contents, pikepdf.Array) else [contents]
            data = b"".join(s.read_bytes() for s in streams if isinstance(s, pikepdf.Stream))
            if b"<0000" not in data and b"0000>" not in data and b"0000" not in data:
                continue
            for match in _HEX_STRING.finditer(data):
                codes = match.group(1)
                if len(codes) % 4 == 0 and any(codes[i:i + 4] == b"0000"
                                               for i in range(0, len(codes), 4)):
                    found.append(index)
                    break
    return tuple(found)


def _page_fonts(resources: object, visited: set[tuple[int, int]]) -> Iterator[pikepdf.Dictionary]:
    if not isinstance(resources, pikepdf.Dictionary):
        return
    fonts = resources.get("/Font")
    if isinstance(fonts, pikepdf.Dictionary):
        for font in fonts.values():
            if isinstance(font, pikepdf.Dictionary):
                yield font
    xobjects = resources.get("/XObject")
    if isinstance(xobjects, pikepdf.Dictionary):
        for xobject in xobjects.values():
            if (isinstance(xobject, pikepdf.Stream) and xobject.get("/Subtype") == "/Form"
                    and xobject.objgen not in visited):
                visited.add(xobject.objgen)
                yield from _page_fonts(xobject.get("/Resources"), visited)


def _face(font: pikepdf.Dictionary, pages: tuple[int, ...]) -> EmbeddedFace:
    name = _SUBSET_TAG.sub("", str(font.get("/BaseFont", "/(unnamed)")).lstrip("/"))
    codes = _to_unicode(font)
    characters = "".join(sorted(set(codes.values())))
    visible = {code for code, char in codes.items() if not _invisible(char)}
    glyphs = _glyph_outlines(font, visible)
    if glyphs is None:  # a font we cannot read (Type3, simple fonts): trust it
        return EmbeddedFace(name, pages, characters, "")
    missing = {codes[code] for code in visible if not glyphs.get(code, False)}
    return EmbeddedFace(name, pages, characters, "".join(sorted(missing)))


def _invisible(text: str) -> bool:
    """Spaces and format characters have no outline by design."""
    # U+FFFF (a noncharacter, category Cn) is what WeasyPrint maps glyph 0 to in ToUnicode.
    return all(char.isspace() or unicodedata.category(char) in ("Cf", "Zs", "Cc", "Cn")
               for char in text)


def _to_unicode(font: pikepdf.Dictionary) -> dict[int, str]:
    stream = font.get("/ToUnicode")
    if not isinstance(stream, pikepdf.Stream):
        return {}
    data = stream.read_bytes()
    codes: dict[int, str] = {}
    for block in _BFCHAR_BLOCK.findall(data):
        for code, text in _BFCHAR.findall(block):
            codes[int(code, 16)] = _utf16(text)
    for block in _BFRANGE_BLOCK.findall(data):
        for first, last, start in _BFRANGE.findall(block):
            base = int(start, 16)
            for offset, code in enumerate(range(int(first, 16), int(last, 16) + 1)):
                codes[code] = chr(min(base + offset, 0x10FFFF))
    return codes


def _utf16(hex_text: bytes) -> str:
    return bytes.fromhex(hex_text.decode()).decode("utf-16-be", "replace")


def _glyph_outlines(font: pikepdf.Dictionary, wanted: set[int]) -> dict[int, bool] | None:
    """Glyph id -> has an outline, for the ``wanted`` glyph ids of a Type0 font with an
    embedded TrueType or CFF program (an id past the font's end has none)."""
    if font.get("/Subtype") != "/Type0":
        return None
    descendants = font.get("/DescendantFonts")
    if not isinstance(descendants, pikepdf.Array) or len(descendants) == 0:
        return None
    descendant = descendants[0]
    descriptor = descendant.get("/FontDescriptor")
    if not isinstance(descriptor, pikepdf.Dictionary):
        return None
    program = descriptor.get("/FontFile2") or descriptor.get("/FontFile3")
    if not isinstance(program, pikepdf.Stream):
        return None
    try:
        return _outlines(program.read_bytes(), wanted)
    # fontTools raises many types for damaged programs; an unreadable font is not a finding
    # of this check (pdffonts and the structure check see it).
    except Exception:
        return None


def _outlines(data: bytes, wanted: set[int]) -> dict[int, bool] | None:
    if data[:4] not in (b"OTTO", b"\x00\x01\x00\x00", b"true"):
        return None  # a bare CFF program (not what WeasyPrint writes)
    font = TTFont(io.BytesIO(data), lazy=True)
    order = font.getGlyphOrder()
    present = [gid for gid in wanted if 0 < gid < len(order)]  # glyph 0 is .notdef
    if "glyf" in font:
        glyf = font["glyf"]
        return {gid: glyf[order[gid]].numberOfContours != 0 for gid in present}
    if "CFF " in font:
        charstrings = font["CFF "].cff.topDictIndex[0].CharStrings
        return {gid: _draws(charstrings[order[gid]]) for gid in present}
    return None


def _draws(charstring: object) -> bool:
    bytecode = getattr(charstring, "bytecode", None)
    if bytecode is not None and len(bytecode) > 16:
        return True  # an empty glyph is a width and endchar: a few bytes; decompiling is slow
    charstring.decompile()  # type: ignore[attr-defined]
    return any(isinstance(token, str) and token in _DRAWING
               for token in charstring.program)  # type: ignore[attr-defined]
