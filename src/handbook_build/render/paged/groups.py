"""Groups: how the book's sections are grouped into chunks (``plan_groups``, ``book_groups``),
and how groups are put together into runs, the documents laid out at once: a run of groups
never seen ends where the fewest of them print page numbers across the cut (``run_stop``);
groups laid out again at known folios are split into runs for the processes
(``deferred_runs``)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from handbook_build.render.paged.chunk_cache import cache_key
from handbook_build.render.paged.edition import GROUP_CHARS, Paged
from handbook_build.render.paged.page_links import marked_targets

__all__ = ["Group", "RunJob", "book_groups", "deferred_runs", "plan_groups", "run_stop"]

_ID = re.compile(r'\sid="([^"]+)"')


@dataclass(frozen=True, slots=True)
class Group:
    index: int
    first: int  # index of its first section
    html: str  # its sections joined as in the whole document's body
    slug: str  # id of its first section: where its pages start
    ids: frozenset[str]
    targets: tuple[str, ...]  # ids of other groups whose page number it prints (sorted)
    content_key: str  # without first folio and printed numbers


@dataclass(frozen=True, slots=True)
class RunJob:
    """Groups to lay out in one document, from folio ``start``."""

    groups: tuple[Group, ...]
    start: int  # folio of the first body page
    values: tuple[tuple[str, str], ...]  # printed page numbers of targets outside the run


def plan_groups(sizes: Sequence[int], kinds: Sequence[str], limit: int = GROUP_CHARS
                ) -> list[range]:
    """Consecutive sections, a new group once the current one holds ``limit`` characters or a
    part opens (a part is a natural cut and keeps boundaries where edits do not move them)."""
    groups: list[range] = []
    start, size = 0, 0
    for index, (length, kind) in enumerate(zip(sizes, kinds, strict=True)):
        if index > start and (size >= limit or kind == "part"):
            groups.append(range(start, index))
            start, size = index, 0
        size += length
    if sizes:
        groups.append(range(start, len(sizes)))
    return groups


def book_groups(paged: Paged, kinds: Sequence[str]) -> list[Group]:
    """The book's groups: their HTML, ids, the page numbers they print and content keys."""
    sizes = [len(html) for html in paged.sections]
    groups = []
    for number, span in enumerate(plan_groups(sizes, kinds, paged.group_chars)):
        htmls = list(paged.sections[span.start:span.stop])
        if span.start == 0:
            htmls[0] = f'<div class="body-start">\n{htmls[0]}\n</div>'
        html = "\n".join(htmls)
        ids = frozenset(_ID.findall(html))
        targets = tuple(sorted({t for t in marked_targets(paged, html) if t not in ids}))
        key = cache_key(paged.salt, paged.edition, paged.head, paged.title_page, html)
        groups.append(Group(number, span.start, html, paged.slugs[span.start], ids, targets, key))
    return groups


def deferred_runs(deferred: Sequence[tuple[int, int]], groups: Sequence[Group], jobs: int,
                  limit: int) -> list[list[tuple[int, int]]]:
    """Groups to lay out again at known first folios, as runs: neighbours share a document
    (one title page and style sheet to parse, not one per group), split so that every process
    gets work and no run passes ``limit`` characters."""
    pieces: list[list[tuple[int, int]]] = []
    for item in deferred:
        if pieces and pieces[-1][-1][0] == item[0] - 1:
            pieces[-1].append(item)
        else:
            pieces.append([item])

    def size(piece: list[tuple[int, int]]) -> int:
        return sum(len(groups[i].html) for i, _ in piece)

    while True:
        longest = max(pieces, key=size)
        if len(longest) < 2 or (len(pieces) >= jobs and size(longest) <= limit):
            return pieces
        middle, running, half = 1, 0, size(longest) / 2
        for offset, (i, _) in enumerate(longest):
            running += len(groups[i].html)
            if running >= half:
                middle = max(1, min(offset + 1, len(longest) - 1))
                break
        at = pieces.index(longest)
        pieces[at:at + 1] = [longest[:middle], longest[middle:]]


def run_stop(groups: Sequence[Group], index: int, limit: int, owners: Mapping[str, int],
             unknown: Callable[[Group], bool]) -> int:
    """Where a run of never-seen groups starting at ``index`` ends: at about ``limit``
    characters, at the cut that the fewest of its groups print page numbers across (each such
    group is laid out again once the pages after the cut are known)."""
    stop, size = index + 1, len(groups[index].html)
    while stop < len(groups) and size < limit and unknown(groups[stop]):
        size += len(groups[stop].html)
        stop += 1
    if stop == len(groups) or not unknown(groups[stop]):
        return stop
    best, fewest, size = stop, len(groups), 0
    for candidate in range(index + 1, stop + 1):
        size += len(groups[candidate - 1].html)
        if size < limit * 0.6:
            continue
        across = sum(1 for group in groups[index:candidate]
                     if any(owners.get(target, -1) >= candidate for target in group.targets))
        if across < fewest or (across == fewest and candidate > best):
            best, fewest = candidate, across
    return best
