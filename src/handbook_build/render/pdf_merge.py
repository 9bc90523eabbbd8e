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
  have made a blank page to open the next chunk on a right-hand page).

The output is deterministic: objects are numbered in page order and the trailer's ``/ID`` is a
hash of the inputs, so the same chunks always give the same bytes.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterable, Sequence
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


@dataclass(frozen=True, slots=True)
class Chunk:
    data: bytes  # a PDF without link annotations, named destinations or outline
    pages: tuple[PageInfo, ...]  # one per page of ``data``


@dataclass(frozen=True, slots=True)
class Blank:
    """A blank page with the size and boxes of the page before it."""


Part = Chunk | Blank


def merge(parts: Sequence[Part], *, document_from: int = 0, links: bool = True,
          seed: bytes = b"") -> bytes:
    """One PDF of ``parts`` in order; document-level entries from chunk ``document_from``.

    ``links=False`` writes no link annotations (a print file), but keeps destinations and the
    outline. ``seed`` goes into the trailer ``/ID`` with the inputs.
    """
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import ArrayObject, ByteStringObject

    writer = PdfWriter()
    page_infos: list[PageInfo] = []
    document_source: Any = None
    header = "%PDF-1.7"
    for index, part in enumerate(parts):
        if isinstance(part, Blank):
            _add_blank(writer)
            page_infos.append(PageInfo())
            continue
        reader = PdfReader(io.BytesIO(part.data))
        if len(reader.pages) != len(part.pages):
            raise ValueError(f"chunk {index}: {len(reader.pages)} pages but "
                             f"{len(part.pages)} page records")
        for page in reader.pages:
            writer.add_page(page)
        page_infos.extend(part.pages)
        if index == document_from:
            document_source = reader
            header = reader.pdf_header
    if document_source is None:
        raise ValueError("merge needs the chunk that carries the document's metadata")
    references = [page.indirect_reference for page in writer.pages]
    names = _first_anchors(page_infos)
    if links:
        _add_links(writer, page_infos, names)
    _add_dests(writer, names, references)
    _add_outline(writer, page_infos, references)
    _copy_document_entries(writer, document_source)
    writer.pdf_header = header
    digest = hashlib.sha256(seed)
    for part in parts:
        digest.update(hashlib.sha256(part.data).digest() if isinstance(part, Chunk) else b"blank")
    identifier = ByteStringObject(digest.digest()[:16])
    writer._ID = ArrayObject([identifier, identifier])
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


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
