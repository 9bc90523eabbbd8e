"""Merge separately written PDF chunks into one book, as if WeasyPrint had written it in one go.

Chunks are written by WeasyPrint without their interactive parts: a page of a chunk cannot link
to a page of another chunk, and an outline cut in pieces loses its nesting. So each chunk comes
with a ``PageInfo`` per page (links, anchors and bookmarks, in PDF user space) and this module
puts them back for the whole book the way WeasyPrint 70 writes them (pdf/anchors.py):

- anchors become named destinations ``[page /XYZ x y 0]`` in the catalog's ``/Names /Dests``
  tree, sorted by name; when a name repeats, the first one in page order wins;
- an internal link is a ``/Link`` annotation with ``/Dest (name)``, dropped when no anchor has
  that name (WeasyPrint does the same, with an error in its log); an external link has a
  ``/URI`` action; annotations keep their order on the page;
- the outline is built from every page's bookmarks in order with WeasyPrint's own nesting rule
  (a skipped level nests one deeper, not two);
- the document information dictionary, the catalog's ``/Lang`` and other document-level entries
  (output intents, XMP metadata) come from one chosen chunk (the front matter);
- ``Blank`` inserts a truly blank page shaped like the page before it (where WeasyPrint would
  have made a blank page to open the next chunk on a right-hand page);
- tagged chunks (``pdf_tags``) keep their structure: the elements under each chunk's
  ``/Document`` become children of one ``/Document`` of the book, each page's
  ``/StructParents`` key is moved past the keys of the chunks before it and the parent tree is
  rebuilt with those keys (see ``_StructureTree``). A chunk repeated (the blank verso) adds no
  structure: it has no content to tag. Link annotations, which the merge writes, are not tagged.

The output is deterministic: objects are numbered in page order and the trailer's ``/ID`` is a
hash of the inputs, so the same chunks always give the same bytes.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, cast

__all__ = [
    "Blank",
    "Bookmark",
    "Chunk",
    "Link",
    "PageInfo",
    "merge",
    "page_info_from_json",
    "page_info_to_json",
]

LinkKind = Literal["internal", "external"]


@dataclass(frozen=True, slots=True)
class Link:
    kind: LinkKind
    target: str  # an anchor name (internal) or a URI (external)
    rect: tuple[float, float, float, float]  # PDF user space, as WeasyPrint writes /Rect


@dataclass(frozen=True, slots=True)
class Bookmark:
    level: int  # CSS bookmark-level
    label: str
    x: float
    y: float
    closed: bool = False


@dataclass(frozen=True, slots=True)
class PageInfo:
    """The interactive parts of one page, which the merge writes."""

    links: tuple[Link, ...] = ()
    anchors: tuple[tuple[str, float, float], ...] = ()  # (name, x, y)
    bookmarks: tuple[Bookmark, ...] = ()


# A font of a chunk that may be merged with the same font of other chunks: the resource name
# WeasyPrint gives it, the sha256 of the whole font file it was cut from, the face index there.
FontRef = tuple[str, str, int]


@dataclass(frozen=True, slots=True)
class Chunk:
    data: bytes  # a PDF without link annotations, named destinations or outline
    pages: tuple[PageInfo, ...]  # one per page of ``data``
    fonts: tuple[FontRef, ...] = ()


@dataclass(frozen=True, slots=True)
class Blank:
    """A blank page with the size and boxes of the page before it."""


Part = Chunk | Blank


FontPrograms = Callable[[str], "bytes | None"]


def merge(parts: Sequence[Part], *, document_from: int = 0, links: bool = True,
          seed: bytes = b"", font_programs: FontPrograms | None = None) -> bytes:
    """One PDF of ``parts`` in order; document-level entries from chunk ``document_from``.

    ``links=False`` writes no link annotations (a print file), but keeps destinations and the
    outline. ``seed`` goes into the trailer ``/ID`` with the inputs. With ``font_programs``
    (font file sha256 -> the file), each font the chunks cut from the same file becomes one
    font again, cut to the glyphs of the whole book (see ``_merge_fonts``).
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
    structure = _StructureTree()
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
            font_tables.append((part, _font_tables(added)))
        if index == document_from:
            document_source = reader
            header = reader.pdf_header
    if document_source is None:
        raise ValueError("merge needs the chunk that carries the document's metadata")
    if font_programs is not None and font_tables:
        _merge_fonts(writer, font_tables, font_programs)
    references = [page.indirect_reference for page in writer.pages]
    names = _first_anchors(page_infos)
    if links:
        _add_links(writer, page_infos, names)
    _add_dests(writer, names, references)
    _add_outline(writer, page_infos, references)
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


class _StructureTree:
    """The book's structure tree, made of its tagged chunks' trees as they are added."""

    def __init__(self) -> None:
        self.kids: list[Any] = []  # cloned elements under the chunks' /Document elements
        self.nums: list[tuple[int, Any]] = []  # (new parent-tree key, cloned value)
        self.next_key = 0
        self.namespace: Any = None

    def add_chunk(self, writer: Any, reader: Any, added: Sequence[Any]) -> None:
        from pypdf.generic import NameObject, NumberObject

        root = reader.trailer["/Root"].get_object().get("/StructTreeRoot")
        if root is None:
            return
        root = root.get_object()
        offset = self.next_key
        keys: list[int] = []
        for source, page in zip(reader.pages, added, strict=True):
            if "/StructParents" in source:
                key = int(source["/StructParents"])
                page[NameObject("/StructParents")] = NumberObject(offset + key)
                keys.append(key)
        documents = root.get("/K")
        documents = documents.get_object() if documents is not None else []
        documents = documents if isinstance(documents, list) else [documents]
        for document in documents:
            element = document.get_object()
            if self.namespace is None and "/NS" in element:
                self.namespace = element["/NS"].clone(writer, ignore_fields=("/P",))
            kids = element.get("/K")
            kids = kids.get_object() if kids is not None else []
            for kid in kids if isinstance(kids, list) else [kids]:
                # /P is set again in write(): cloning it would copy the chunk's whole tree.
                self.kids.append(kid.clone(writer, ignore_fields=("/P",)))
        tree = root.get("/ParentTree")
        nums = tree.get_object().get("/Nums", []) if tree is not None else []
        for index in range(0, len(nums) - 1, 2):
            key = int(nums[index])
            self.nums.append((offset + key, nums[index + 1].clone(writer, ignore_fields=("/P",))))
            keys.append(key)
        next_key = root.get("/ParentTreeNextKey")
        top = max([*keys, int(next_key) - 1 if next_key is not None else -1], default=-1)
        self.next_key = offset + top + 1

    def write(self, writer: Any) -> None:
        from pypdf.generic import ArrayObject, DictionaryObject, NameObject, NumberObject

        if not self.kids and not self.nums:
            return
        root = writer._add_object(DictionaryObject({
            NameObject("/Type"): NameObject("/StructTreeRoot")}))
        document = DictionaryObject({
            NameObject("/Type"): NameObject("/StructElem"), NameObject("/S"): NameObject(
                "/Document"), NameObject("/P"): root,
            NameObject("/K"): ArrayObject(self.kids)})
        if self.namespace is not None:
            document[NameObject("/NS")] = self.namespace
        document_ref = writer._add_object(document)
        for kid in self.kids:
            _set_parents(kid, document_ref)
        nums = ArrayObject()
        for key, value in sorted(self.nums, key=lambda item: item[0]):
            nums.extend([NumberObject(key), value])
        entries = root.get_object()
        entries[NameObject("/K")] = ArrayObject([document_ref])
        entries[NameObject("/ParentTree")] = writer._add_object(
            DictionaryObject({NameObject("/Nums"): nums}))
        entries[NameObject("/ParentTreeNextKey")] = NumberObject(self.next_key)
        if self.namespace is not None:
            entries[NameObject("/Namespaces")] = ArrayObject([self.namespace])
        writer.root_object[NameObject("/StructTreeRoot")] = root


def _set_parents(reference: Any, parent: Any) -> None:
    """``/P`` of the structure element at ``reference`` and of every element under it."""
    from pypdf.generic import IndirectObject, NameObject

    stack = [(reference, parent)]
    while stack:
        current, owner = stack.pop()
        element = current.get_object()
        if not hasattr(element, "get") or "/S" not in element:
            continue  # a marked-content or object reference, or an MCID number
        element[NameObject("/P")] = owner
        kids = element.get("/K")
        if kids is None:
            continue
        resolved = kids.get_object()
        items = resolved if isinstance(resolved, list) else [kids]
        # /P must be an indirect reference: a direct kid's children point past it.
        owner_here = current if isinstance(current, IndirectObject) else owner
        stack.extend((kid, owner_here) for kid in items if hasattr(kid, "get_object"))


def _add_blank(writer: Any) -> None:
    from pypdf.generic import NameObject

    if not writer.pages:
        raise ValueError("a blank page needs a page before it to take its size from")
    previous = writer.pages[-1]
    blank = writer.add_blank_page(float(previous.mediabox.width), float(previous.mediabox.height))
    for key in ("/MediaBox", "/TrimBox", "/BleedBox", "/CropBox", "/ArtBox"):
        if key in previous:
            blank[NameObject(key)] = previous[key].clone(writer)


def _first_anchors(page_infos: Sequence[PageInfo]) -> dict[str, tuple[int, float, float]]:
    names: dict[str, tuple[int, float, float]] = {}
    for number, info in enumerate(page_infos):
        for name, x, y in info.anchors:
            names.setdefault(name, (number, x, y))
    return names


def _add_links(writer: Any, page_infos: Sequence[PageInfo],
               names: dict[str, tuple[int, float, float]]) -> None:
    from pypdf.generic import ArrayObject, DictionaryObject, NameObject

    for page, info in zip(writer.pages, page_infos, strict=True):
        annotations = []
        for link in info.links:
            if link.kind == "internal" and link.target not in names:
                continue  # WeasyPrint drops a link to a missing anchor too
            annotation = DictionaryObject({
                NameObject("/Type"): NameObject("/Annot"),
                NameObject("/Subtype"): NameObject("/Link"),
                NameObject("/Rect"): _numbers(link.rect),
                NameObject("/BS"): DictionaryObject({NameObject("/W"): _number(0)}),
            })
            if link.kind == "internal":
                annotation[NameObject("/Dest")] = _string(link.target)
            else:
                annotation[NameObject("/A")] = DictionaryObject({
                    NameObject("/Type"): NameObject("/Action"),
                    NameObject("/S"): NameObject("/URI"),
                    NameObject("/URI"): _string(link.target),
                })
            annotations.append(writer._add_object(annotation))
        if annotations:
            page[NameObject("/Annots")] = ArrayObject(annotations)


def _add_dests(writer: Any, names: dict[str, tuple[int, float, float]],
               references: Sequence[Any]) -> None:
    from pypdf.generic import ArrayObject, DictionaryObject, NameObject

    if not names:
        return
    array = ArrayObject()
    for name in sorted(names):
        number, x, y = names[name]
        array.append(_string(name))
        array.append(_destination(references[number], x, y))
    tree = DictionaryObject({NameObject("/Dests"): DictionaryObject({
        NameObject("/Names"): array})})
    writer.root_object[NameObject("/Names")] = tree


def _destination(reference: Any, x: float, y: float) -> Any:
    from pypdf.generic import ArrayObject, NameObject

    return ArrayObject([reference, NameObject("/XYZ"), _number(x), _number(y), _number(0)])


OutlineNode = tuple[Bookmark, int, list[Any]]  # bookmark, page number, children


def outline_tree(page_infos: Iterable[PageInfo]) -> list[OutlineNode]:
    """Nest the bookmarks as WeasyPrint's ``make_page_bookmark_tree`` does, over all pages."""
    root: list[OutlineNode] = []
    skipped_levels: list[int] = []
    last_by_depth: list[list[OutlineNode]] = [root]
    previous_level = 0
    for number, info in enumerate(page_infos):
        for bookmark in info.bookmarks:
            level = bookmark.level
            if level > previous_level:
                skipped_levels.append(level - previous_level - 1)
            else:
                temp = level
                while temp < previous_level:
                    temp += 1 + skipped_levels.pop()
                if temp > previous_level:
                    skipped_levels.append(temp - previous_level - 1)
            previous_level = level
            depth = level - sum(skipped_levels)
            children: list[OutlineNode] = []
            last_by_depth[depth - 1].append((bookmark, number, children))
            del last_by_depth[depth:]
            last_by_depth.append(children)
    return root


def _add_outline(writer: Any, page_infos: Sequence[PageInfo], references: Sequence[Any]) -> None:
    from pypdf.generic import DictionaryObject, NameObject

    tree = outline_tree(page_infos)
    if not tree:
        return
    top = writer._add_object(DictionaryObject())
    items, count = _outline_items(writer, tree, references, top)
    top_dict = top.get_object()
    top_dict[NameObject("/Count")] = _number(count)
    top_dict[NameObject("/First")] = items[0]
    top_dict[NameObject("/Last")] = items[-1]
    writer.root_object[NameObject("/Outlines")] = top


def _outline_items(writer: Any, nodes: list[OutlineNode], references: Sequence[Any],
                   parent: Any) -> tuple[list[Any], int]:
    """Outline items for ``nodes`` under ``parent``; and the count WeasyPrint gives them."""
    from pypdf.generic import DictionaryObject, NameObject

    count = len(nodes)
    items: list[Any] = []
    for bookmark, number, children in nodes:
        item = writer._add_object(DictionaryObject({
            NameObject("/Title"): _string(bookmark.label),
            NameObject("/Dest"): _destination(references[number], bookmark.x, bookmark.y),
        }))
        entry = item.get_object()
        child_items, child_count = _outline_items(writer, children, references, item)
        entry[NameObject("/Count")] = _number(-child_count if bookmark.closed else child_count)
        if not bookmark.closed:
            count += child_count
        if items:
            entry[NameObject("/Prev")] = items[-1]
            items[-1].get_object()[NameObject("/Next")] = item
        if child_items:
            entry[NameObject("/First")] = child_items[0]
            entry[NameObject("/Last")] = child_items[-1]
        entry[NameObject("/Parent")] = parent
        items.append(item)
    return items, count


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


def _number(value: float) -> Any:
    from pypdf.generic import FloatObject, NumberObject

    if float(value).is_integer():
        return NumberObject(int(value))
    return FloatObject(round(value, 4))


def _numbers(values: Iterable[float]) -> Any:
    from pypdf.generic import ArrayObject

    return ArrayObject(_number(value) for value in values)


def _string(text: str) -> Any:
    from pypdf.generic import TextStringObject

    return TextStringObject(text)


# --- fonts -------------------------------------------------------------------------------------
#
# WeasyPrint embeds in each chunk a subset of every font it uses, cut (by HarfBuzz, keeping glyph
# ids) to the glyphs of that chunk: one subset per font per chunk, most of it the same outlines
# again. The merge cuts the whole font file once more, to the union of the chunks' glyphs, with
# WeasyPrint's own subsetting code, and points every chunk to that one font: widths, Unicode map
# and descriptor are the union of the chunks'. Glyph ids do not change, so the pages' text
# drawing stays valid. A font that does not fit (a custom encoding for missing glyphs, no
# program, an unexpected structure) stays as the chunk wrote it.

def _font_tables(pages: Sequence[Any]) -> list[Any]:
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


def _merge_fonts(writer: Any, font_tables: Sequence[tuple[Chunk, list[Any]]],
                 programs: FontPrograms) -> None:
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
    subset = _subset(program, index, glyphs)
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
    box[2] = _number(max(widths.values()) if widths else 0)
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


def _subset(program: bytes, index: int, glyphs: Sequence[int]) -> bytes | None:
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
            array.append(_number(glyph))
            run = ArrayObject()
            array.append(run)
        run.append(_number(widths[glyph]))
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


# The sidecar format of cached chunks: plain JSON-friendly lists.

def page_info_to_json(info: PageInfo) -> dict[str, Any]:
    return {
        "links": [[link.kind, link.target, list(link.rect)] for link in info.links],
        "anchors": [[name, x, y] for name, x, y in info.anchors],
        "bookmarks": [[b.level, b.label, b.x, b.y, b.closed] for b in info.bookmarks],
    }


def page_info_from_json(data: dict[str, Any]) -> PageInfo:
    return PageInfo(
        links=tuple(Link(cast(LinkKind, kind), str(target),
                         (float(r[0]), float(r[1]), float(r[2]), float(r[3])))
                    for kind, target, r in data.get("links", ())),
        anchors=tuple((str(name), float(x), float(y)) for name, x, y in data.get("anchors", ())),
        bookmarks=tuple(Bookmark(int(level), str(label), float(x), float(y), bool(closed))
                        for level, label, x, y, closed in data.get("bookmarks", ())),
    )
