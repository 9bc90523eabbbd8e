"""Fonts joined across chunks.

WeasyPrint embeds in each chunk a subset of every font it uses, cut (by HarfBuzz, keeping glyph
ids) to the glyphs of that chunk: one subset per font per chunk, most of it the same outlines
again. The merge cuts the whole font file once more, to the union of the chunks' glyphs, with
WeasyPrint's own subsetting code, and points every chunk to that one font: widths, Unicode map
and descriptor are the union of the chunks'. Glyph ids do not change, so the pages' text
drawing stays valid. A font that does not fit (a custom encoding for missing glyphs, no
program, an unexpected structure) stays as the chunk wrote it.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from handbook_build.render.pdf_merge.objects import pdf_number
from handbook_build.render.pdf_merge.parts import Chunk, FontPrograms

__all__ = ["merge_fonts", "page_font_tables", "subset_font"]


def page_font_tables(pages: Sequence[Any]) -> list[Any]:
    """The distinct /Font dictionaries the pages (and their form XObjects) use."""
    tables: dict[int, Any] = {}
    for page in pages:
        resources = page.get("/Resources")
        for holder in _resource_dicts(resources):
            table = holder.get("/Font")
            if table is not None:
                tables.setdefault(id(table.get_object()), table.get_object())
    return list(tables.values())


def _resource_dicts(resources: Any) -> Iterable[Any]:
    if resources is None:
        return
    resources = resources.get_object()
    yield resources
    for xobject in (resources.get("/XObject") or {}).values():
        inner = xobject.get_object().get("/Resources")
        if inner is not None:
            yield inner.get_object()


@dataclass
class _FontUse:
    type0: Any  # the chunk's /Type0 font dictionary (an IndirectObject in the writer)
    widths: dict[int, float]
    text: dict[int, str]


def merge_fonts(writer: Any, font_tables: Sequence[tuple[Chunk, list[Any]]],
                 programs: FontPrograms) -> None:
    """Each font that chunks cut from the same file (``Chunk.fonts``) and two or more of them
    use becomes one font, cut to all their glyphs; their /Font tables point to it."""
    from pypdf.generic import NameObject

    uses: dict[tuple[str, str, int], list[tuple[Any, _FontUse]]] = {}
    for chunk, tables in font_tables:
        refs = {key: (sha, index) for key, sha, index in chunk.fonts}
        for table in tables:
            for name, reference in table.items():
                key = str(name).lstrip("/")
                if key not in refs:
                    continue
                use = _font_use(reference)
                if use is not None:
                    uses.setdefault((key, *refs[key]), []).append((table, use))
    for (key, sha, index), found in sorted(uses.items()):
        if len(found) < 2:
            continue
        program = programs(sha)
        if program is None:
            continue
        merged = _merged_font(writer, [use for _, use in found], program, index)
        if merged is None:
            continue
        for table, use in found:
            table[NameObject(f"/{key}")] = merged
            _drop_font(writer, use.type0)


def _font_use(reference: Any) -> _FontUse | None:
    """The widths and Unicode map of a WeasyPrint CID font, if it has the expected form."""
    try:
        type0 = reference.get_object()
        if type0.get("/Subtype") != "/Type0" or type0.get("/Encoding") != "/Identity-H":
            return None
        (descendant,) = type0["/DescendantFonts"]
        cid = descendant.get_object()
        descriptor = cid["/FontDescriptor"].get_object()
        if not any(key in descriptor for key in ("/FontFile2", "/FontFile3")):
            return None
        widths = _parse_widths(cid.get("/W", []))
        text = _parse_to_unicode(type0["/ToUnicode"].get_object().get_data())
    except (KeyError, ValueError, TypeError, AttributeError):
        return None
    if widths is None:
        return None
    return _FontUse(reference, widths, text)


def _parse_widths(array: Any) -> dict[int, float] | None:
    widths: dict[int, float] = {}
    items = list(array)
    position = 0
    while position < len(items):
        first = items[position]
        run = items[position + 1].get_object() if position + 1 < len(items) else None
        if not isinstance(run, list):
            return None  # the c_first c_last w form: WeasyPrint does not write it
        for offset, width in enumerate(run):
            widths[int(first) + offset] = float(width)
        position += 2
    return widths


_BFCHAR = re.compile(rb"<([0-9a-fA-F]{4})>\s*<([0-9a-fA-F]*)>")


def _parse_to_unicode(data: bytes) -> dict[int, str]:
    return {int(glyph, 16): bytes.fromhex(text.decode()).decode("utf-16-be", "replace")
            for glyph, text in _BFCHAR.findall(data)}


def _merged_font(writer: Any, uses: Sequence[_FontUse], program: bytes, index: int) -> Any:
    """One Type0 font for all ``uses``, its file cut to the union of their glyphs."""
    from pypdf.generic import ArrayObject, DictionaryObject, NameObject, NumberObject

    widths: dict[int, float] = {}
    text: dict[int, str] = {}
    for use in uses:
        widths.update(use.widths)
        for glyph, characters in use.text.items():
            text.setdefault(glyph, characters)
    glyphs = sorted(set(widths) | set(text))
    if not glyphs:
        return None
    subset = subset_font(program, index, glyphs)
    if subset is None:
        return None
    first = uses[0].type0.get_object()
    cid = first["/DescendantFonts"][0].get_object()
    descriptor = cid["/FontDescriptor"].get_object()
    file_key = "/FontFile3" if "/FontFile3" in descriptor else "/FontFile2"
    old_file = descriptor[file_key].get_object()
    extra = {NameObject(k): v for k, v in old_file.items()
             if k not in ("/Length", "/Filter", "/DecodeParms", "/Length1")}
    if file_key == "/FontFile2":
        extra[NameObject("/Length1")] = NumberObject(len(subset))
    new_descriptor = DictionaryObject(descriptor)
    new_descriptor[NameObject(file_key)] = writer._add_object(_stream(subset, extra))
    box = list(descriptor["/FontBBox"])
    box[2] = pdf_number(max(widths.values()) if widths else 0)
    new_descriptor[NameObject("/FontBBox")] = ArrayObject(box)
    flags = int(descriptor.get("/Flags", 0)) & ~1
    if len(widths) > 1 and len(set(widths.values())) == 1:
        flags |= 1  # FixedPitch, as WeasyPrint decides it
    new_descriptor[NameObject("/Flags")] = NumberObject(flags)
    if "/CIDSet" in descriptor:
        size = (glyphs[-1] + 8) // 8
        bits = bytearray(size)
        for glyph in widths:
            bits[glyph // 8] |= 0x80 >> (glyph % 8)
        new_descriptor[NameObject("/CIDSet")] = writer._add_object(_stream(bytes(bits), {}))
    new_cid = DictionaryObject(cid)
    new_cid[NameObject("/W")] = _widths_array(widths)
    new_cid[NameObject("/FontDescriptor")] = writer._add_object(new_descriptor)
    new_type0 = DictionaryObject(first)
    new_type0[NameObject("/DescendantFonts")] = ArrayObject([writer._add_object(new_cid)])
    new_type0[NameObject("/ToUnicode")] = writer._add_object(_stream(_to_unicode(text), {}))
    return writer._add_object(new_type0)


def subset_font(program: bytes, index: int, glyphs: Sequence[int]) -> bytes | None:
    """``program`` cut to ``glyphs`` (ids kept) by WeasyPrint's own HarfBuzz subsetting."""
    try:
        from weasyprint.pdf.fonts import Font
        from weasyprint.text.ffi import ffi, harfbuzz, harfbuzz_subset
    except (ImportError, OSError):
        return None
    if not harfbuzz_subset or not hasattr(Font, "_harfbuzz_subset"):
        return None
    _declare_blob_functions(ffi)
    blob = harfbuzz.hb_blob_create(program, len(program), 0, ffi.NULL, ffi.NULL)  # duplicate
    face = ffi.gc(harfbuzz.hb_face_create(blob, index), harfbuzz.hb_face_destroy)
    harfbuzz.hb_blob_destroy(blob)

    class Shim:  # the attributes Font._harfbuzz_subset reads and writes
        def __init__(self) -> None:
            self.hb_face = face
            self.missing: dict[int, int] = {}
            self.file_content = b""
            self.family = "merged"

    shim = Shim()
    try:
        Font._harfbuzz_subset(shim, dict.fromkeys(glyphs, ""), False)
    except Exception:  # a font HarfBuzz cannot cut stays as the chunks wrote it
        return None
    data = shim.file_content
    return bytes(data) if data else None


_DECLARED: list[bool] = []


def _declare_blob_functions(ffi: Any) -> None:
    """The two HarfBuzz calls WeasyPrint does not declare: a face from bytes in memory."""
    if _DECLARED:
        return
    with contextlib.suppress(Exception):  # declared already (by a newer WeasyPrint)
        ffi.cdef("""
            hb_blob_t * hb_blob_create (const char *data, unsigned int length, int mode,
                                        void *user_data, void *destroy);
            hb_face_t * hb_face_create (hb_blob_t *blob, unsigned int index);
        """)
    _DECLARED.append(True)


def _widths_array(widths: dict[int, float]) -> Any:
    from pypdf.generic import ArrayObject

    array = ArrayObject()
    run: Any = None
    for glyph in sorted(widths):
        if glyph - 1 not in widths:
            array.append(pdf_number(glyph))
            run = ArrayObject()
            array.append(run)
        run.append(pdf_number(widths[glyph]))
    return array


def _to_unicode(text: dict[int, str]) -> bytes:
    """A ToUnicode CMap as WeasyPrint writes it, glyphs in order."""
    lines = [b"/CIDInit /ProcSet findresource begin", b"12 dict begin", b"begincmap",
             b"/CIDSystemInfo", b"<< /Registry (Adobe)", b"/Ordering (UCS)", b"/Supplement 0",
             b">> def", b"/CMapName /Adobe-Identity-UCS def", b"/CMapType 2 def",
             b"1 begincodespacerange", b"<0000> <ffff>", b"endcodespacerange"]
    items = sorted(text.items())
    for start in range(0, len(items), 100):
        batch = items[start:start + 100]
        lines.append(f"{len(batch)} beginbfchar".encode())
        for glyph, characters in batch:
            lines.append(f"<{glyph:04x}> <{characters.encode('utf-16-be').hex()}>".encode())
        lines.append(b"endbfchar")
    lines += [b"endcmap", b"CMapName currentdict /CMap defineresource pop", b"end", b"end"]
    return b"\n".join(lines)


def _stream(data: bytes, extra: dict[Any, Any]) -> Any:
    from pypdf.generic import DecodedStreamObject, NameObject

    stream = DecodedStreamObject()
    stream.set_data(data)
    encoded = stream.flate_encode()
    for key, value in extra.items():
        encoded[NameObject(str(key))] = value
    return encoded


def _drop_font(writer: Any, type0: Any) -> None:
    """Free the objects of a font no page uses any more (they are not written)."""
    dropped = [type0]
    font = type0.get_object()
    dropped.append(_raw(font, "/ToUnicode"))
    for descendant in _raw(font, "/DescendantFonts").get_object():
        dropped.append(descendant)
        cid = descendant.get_object()
        descriptor = _raw(cid, "/FontDescriptor")
        dropped.append(descriptor)
        for key in ("/FontFile2", "/FontFile3", "/CIDSet"):
            dropped.append(_raw(descriptor.get_object(), key))
    objects = writer._objects
    for reference in dropped:
        owner = getattr(reference, "pdf", None)
        if owner is not None and id(owner) == id(writer) and 0 < reference.idnum <= len(objects):
            objects[reference.idnum - 1] = None


def _raw(dictionary: Any, key: str) -> Any:
    """The entry itself (an IndirectObject if it is one), not the object it points to."""
    return dictionary.raw_get(key) if key in dictionary else None
