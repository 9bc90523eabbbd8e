"""Folios: where each chunk starts, the page numbers a group or a run prints from elsewhere in
the book, where the anchors land, and which chunks no longer match the book's pages (stale)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from handbook_build.render.paged.chunk_cache import GroupChunk
from handbook_build.render.paged.edition import Paged
from handbook_build.render.paged.groups import Group
from handbook_build.render.paged.page_links import format_counter, marked_targets

__all__ = ["PLACEHOLDER", "final_folios", "front_values", "group_values", "learn_anchors",
           "next_start", "outside_values", "stale_groups"]

PLACEHOLDER = "0"  # printed for a target whose page is not known yet


def next_start(start: int, pages: int, recto: bool = True) -> int:
    """The folio where the next chunk opens: on a right-hand page, after a blank if needed
    (``recto``, the book layout); else on the next page."""
    return start + pages + (pages % 2 if recto else 0)


def group_values(group: Group, folios: Mapping[str, int], style: str
                 ) -> tuple[tuple[str, str], ...]:
    """The page numbers ``group`` prints for targets placed in ``folios``."""
    return tuple((t, format_counter(folios[t], style)) for t in group.targets if t in folios)


def outside_values(run: Sequence[Group], folios: Mapping[str, int], style: str
                   ) -> tuple[tuple[str, str], ...]:
    """The numbers a run prints for targets outside it; a target not placed yet gets a
    placeholder (the chunk is then stale and laid out again once the target has a page)."""
    inside = frozenset().union(*(group.ids for group in run))
    wanted = sorted({t for group in run for t in group.targets if t not in inside})
    return tuple((t, format_counter(folios[t], style) if t in folios else PLACEHOLDER)
                 for t in wanted)


def learn_anchors(folios: dict[str, int], anchors: Iterable[tuple[str, int]], start: int,
                  learned: set[str]) -> None:
    """Place a chunk's anchors: over a guess, but a name placed earlier in the book wins (a
    split element has an anchor on each of its pages; WeasyPrint keeps the first)."""
    for name, offset in anchors:
        if name not in learned:
            folios[name] = start + offset
            learned.add(name)


def final_folios(chunks: Sequence[GroupChunk | None]) -> dict[str, int]:
    """Every anchor of the body's chunks at its folio (the first page it is on wins)."""
    folios: dict[str, int] = {}
    for chunk in chunks:
        if chunk is not None:
            for name, offset in chunk.anchors:
                folios.setdefault(name, chunk.start + offset)
    return folios


def stale_groups(groups: Sequence[Group], chunks: Sequence[GroupChunk | None],
                 folios: Mapping[str, int], style: str, recto: bool = True) -> list[int]:
    """Groups whose printed page numbers or first folio no longer match the book."""
    stale = []
    start = 1
    for group, chunk in zip(groups, chunks, strict=True):
        if chunk is None:
            stale.append(group.index)
            continue
        expected = group_values(group, folios, style)
        if chunk.start != start or tuple(sorted(chunk.values)) != tuple(sorted(expected)):
            stale.append(group.index)
        start = next_start(start, len(chunk.pages), recto)
    return stale


def front_values(paged: Paged, folios: Mapping[str, int], style: str
                 ) -> tuple[tuple[str, str], ...]:
    """The page numbers the front matter (the contents) prints."""
    targets = sorted({t for t in marked_targets(paged, paged.front)})
    return tuple((t, format_counter(folios[t], style)) for t in targets if t in folios)
