"""The merge itself (``merge``): one pypdf writer for the book, the chunks' pages added in order
(a ``Blank`` shaped like the page before it), their fonts joined (fonts.py), links,
destinations and outline put back (navigation.py), the structure tree joined (structure.py),
the document-level entries of one chosen chunk (the front matter: the information dictionary,
``/Lang``, output intents, XMP), and a trailer ``/ID`` that hashes the inputs."""

from __future__ import annotations

import hashlib
import io
from collections import Counter
from collections.abc import Sequence
from typing import Any, cast

from handbook_build.render.pdf_merge.fonts import merge_fonts, page_font_tables
from handbook_build.render.pdf_merge.navigation import (
    add_dests,
    add_links,
    add_outline,
    first_anchors,
)
from handbook_build.render.pdf_merge.parts import Blank, Chunk, FontPrograms, PageInfo, Part
from handbook_build.render.pdf_merge.structure import StructureTree

__all__ = ["merge"]


def merge(parts: Sequence[Part], *, document_from: int = 0, links: bool = True,
          seed: bytes = b"", font_programs: FontPrograms | None = None) -> bytes:
    """One PDF of ``parts`` in order; document-level entries from chunk ``document_from``.

    ``links=False`` writes no link annotations (a print file), but keeps destinations and the
    outline. ``seed`` goes into the trailer ``/ID`` with the inputs. With ``font_programs``
    (font file sha256 -> the file), each font the chunks cut from the same file becomes one
    font again, cut to the glyphs of the whole book (see ``fonts.merge_fonts``).
    """
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import ArrayObject, ByteStringObject

    writer = PdfWriter()
    page_infos: list[PageInfo] = []
    document_source: Any = None
    header = "%PDF-1.7"
    font_tables: list[tuple[Chunk, list[Any]]] = []
    readers: dict[int, Any] = {}
    repeats = Counter(id(part.data) for part in parts if isinstance(part, Chunk))
    structure = StructureTree()
    for index, part in enumerate(parts):
        if isinstance(part, Blank):
            _add_blank(writer)
            page_infos.append(PageInfo())
            continue
        reader = readers.get(id(part.data))
        if reader is None:
            reader = PdfReader(io.BytesIO(part.data))
            if repeats[id(part.data)] > 1:  # a repeated part (the blank verso) is read once
                readers[id(part.data)] = reader
        if len(reader.pages) != len(part.pages):
            raise ValueError(f"chunk {index}: {len(reader.pages)} pages but "
                             f"{len(part.pages)} page records")
        added = [writer.add_page(page) for page in reader.pages]
        if repeats[id(part.data)] == 1:
            structure.add_chunk(writer, reader, added)
        page_infos.extend(part.pages)
        if part.fonts:
            font_tables.append((part, page_font_tables(added)))
        if index == document_from:
            document_source = reader
            header = reader.pdf_header
    if document_source is None:
        raise ValueError("merge needs the chunk that carries the document's metadata")
    if font_programs is not None and font_tables:
        merge_fonts(writer, font_tables, font_programs)
    references = [page.indirect_reference for page in writer.pages]
    names = first_anchors(page_infos)
    if links:
        add_links(writer, page_infos, names)
    add_dests(writer, names, references)
    add_outline(writer, page_infos, references)
    _copy_document_entries(writer, document_source)
    structure.write(writer)
    writer.pdf_header = header
    digest = hashlib.sha256(seed)
    for part in parts:
        digest.update(hashlib.sha256(part.data).digest() if isinstance(part, Chunk) else b"blank")
    identifier = ByteStringObject(digest.digest()[:16])
    writer._ID = ArrayObject([identifier, identifier])
    buffer = io.BytesIO()
    writer.write(buffer)
    if structure.kids:
        return _with_object_streams(buffer.getvalue())
    return buffer.getvalue()


def _with_object_streams(data: bytes) -> bytes:
    """``data`` with its objects packed in compressed object streams (qpdf, through pikepdf).

    A tagged book has one small object per structure element (21,000 for the handbook): pypdf
    writes each uncompressed, which made the tagged reading PDF half as large again (7.4 MB
    against 4.7 MB). qpdf keeps the first element of the /ID the merge computed and derives the
    second from the content, so the bytes stay the same for the same chunks. Only tagged
    files: PDF/X-1a (the print edition) does not allow object streams.
    """
    import pikepdf

    with pikepdf.open(io.BytesIO(data)) as pdf:
        out = io.BytesIO()
        pdf.save(out, object_stream_mode=pikepdf.ObjectStreamMode.generate,
                 deterministic_id=True)
    return out.getvalue()


def _add_blank(writer: Any) -> None:
    from pypdf.generic import NameObject

    if not writer.pages:
        raise ValueError("a blank page needs a page before it to take its size from")
    previous = writer.pages[-1]
    blank = writer.add_blank_page(float(previous.mediabox.width), float(previous.mediabox.height))
    for key in ("/MediaBox", "/TrimBox", "/BleedBox", "/CropBox", "/ArtBox"):
        if key in previous:
            blank[NameObject(key)] = previous[key].clone(writer)


_SKIPPED_CATALOG_KEYS = frozenset({"/Type", "/Pages", "/Outlines", "/Names", "/AcroForm",
                                   "/PageLabels", "/StructTreeRoot"})


def _copy_document_entries(writer: Any, reader: Any) -> None:
    """Info dictionary and document-level catalog entries (/Lang, output intents, XMP)."""
    from pypdf.generic import DictionaryObject, NameObject

    info = reader.trailer.get("/Info")
    if info is not None:
        source = cast(DictionaryObject, info.get_object())
        writer._info = DictionaryObject({NameObject(k): v.clone(writer) for k, v in source.items()})
    else:
        writer._info = None
    catalog = reader.trailer["/Root"].get_object()
    for key, value in catalog.items():
        if key not in _SKIPPED_CATALOG_KEYS:
            writer.root_object[NameObject(key)] = value.clone(writer)
