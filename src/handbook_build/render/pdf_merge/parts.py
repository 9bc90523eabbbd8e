"""The parts a merge joins and the records of their pages: a ``Chunk`` (a PDF written without
its interactive parts, with a ``PageInfo`` per page: links, anchors, bookmarks in PDF user space,
and the fonts the merge may join with other chunks'), a ``Blank`` page; and ``PageInfo`` as the
JSON beside a cached chunk."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, cast

__all__ = ["Blank", "Bookmark", "Chunk", "FontPrograms", "FontRef", "Link", "LinkKind",
           "PageInfo", "Part", "page_info_from_json", "page_info_to_json"]

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
