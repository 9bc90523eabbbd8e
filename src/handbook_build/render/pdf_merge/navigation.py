"""What a reader clicks, written for the whole book the way WeasyPrint 70 writes it
(pdf/anchors.py): anchors become named destinations ``[page /XYZ x y 0]`` in the catalog's
``/Names /Dests`` tree, sorted by name, the first in page order winning when a name repeats;
internal links are ``/Link`` annotations with ``/Dest (name)`` (dropped when no anchor has that
name), external ones a ``/URI`` action, in their order on the page; the outline is built from
every page's bookmarks with WeasyPrint's own nesting rule (a skipped level nests one deeper,
not two)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from handbook_build.render.pdf_merge.objects import pdf_number, pdf_numbers, pdf_string
from handbook_build.render.pdf_merge.parts import Bookmark, PageInfo

__all__ = ["OutlineNode", "add_dests", "add_links", "add_outline", "first_anchors",
           "outline_tree"]


def first_anchors(page_infos: Sequence[PageInfo]) -> dict[str, tuple[int, float, float]]:
    names: dict[str, tuple[int, float, float]] = {}
    for number, info in enumerate(page_infos):
        for name, x, y in info.anchors:
            names.setdefault(name, (number, x, y))
    return names


def add_links(writer: Any, page_infos: Sequence[PageInfo],
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
                NameObject("/Rect"): pdf_numbers(link.rect),
                NameObject("/BS"): DictionaryObject({NameObject("/W"): pdf_number(0)}),
            })
            if link.kind == "internal":
                annotation[NameObject("/Dest")] = pdf_string(link.target)
            else:
                annotation[NameObject("/A")] = DictionaryObject({
                    NameObject("/Type"): NameObject("/Action"),
                    NameObject("/S"): NameObject("/URI"),
                    NameObject("/URI"): pdf_string(link.target),
                })
            annotations.append(writer._add_object(annotation))
        if annotations:
            page[NameObject("/Annots")] = ArrayObject(annotations)


def add_dests(writer: Any, names: dict[str, tuple[int, float, float]],
              references: Sequence[Any]) -> None:
    from pypdf.generic import ArrayObject, DictionaryObject, NameObject

    if not names:
        return
    array = ArrayObject()
    for name in sorted(names):
        number, x, y = names[name]
        array.append(pdf_string(name))
        array.append(_destination(references[number], x, y))
    tree = DictionaryObject({NameObject("/Dests"): DictionaryObject({
        NameObject("/Names"): array})})
    writer.root_object[NameObject("/Names")] = tree


def _destination(reference: Any, x: float, y: float) -> Any:
    from pypdf.generic import ArrayObject, NameObject

    return ArrayObject([reference, NameObject("/XYZ"), pdf_number(x), pdf_number(y), pdf_number(0)])


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


def add_outline(writer: Any, page_infos: Sequence[PageInfo], references: Sequence[Any]) -> None:
    from pypdf.generic import DictionaryObject, NameObject

    tree = outline_tree(page_infos)
    if not tree:
        return
    top = writer._add_object(DictionaryObject())
    items, count = _outline_items(writer, tree, references, top)
    top_dict = top.get_object()
    top_dict[NameObject("/Count")] = pdf_number(count)
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
            NameObject("/Title"): pdf_string(bookmark.label),
            NameObject("/Dest"): _destination(references[number], bookmark.x, bookmark.y),
        }))
        entry = item.get_object()
        child_items, child_count = _outline_items(writer, children, references, item)
        entry[NameObject("/Count")] = pdf_number(-child_count if bookmark.closed else child_count)
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
