"""Laying out a book: every group's chunk taken from the cache or laid out (``layout_book``),
pass after pass until the page numbers the chunks print match the pages they point to.

A pass walks the body in page order from folio 1 (``_walk``): a chunk cached for the group's
first folio and printed numbers is taken; a group laid out before, whose page count is known,
is deferred; groups never seen are laid out at once, as a run. The deferred groups are then
laid out side by side (``_lay_out_deferred``), and the front matter last, with the body's final
page numbers (``_with_front``). Chunks whose numbers or first folio moved make the book stale:
the next pass starts from this one's folios (``_settle``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from handbook_build.errors import RenderError
from handbook_build.render.paged.chunk_cache import ChunkCache, GroupChunk, cache_key, chunk_key
from handbook_build.render.paged.edition import Paged
from handbook_build.render.paged.folios import (
    final_folios,
    front_values,
    group_values,
    learn_anchors,
    next_start,
    outside_values,
    stale_groups,
)
from handbook_build.render.paged.groups import Group, RunJob, book_groups, deferred_runs, run_stop
from handbook_build.render.paged.merge import BookLayout, ChunkStats, book_parts
from handbook_build.render.paged.renderer import renderer_for
from handbook_build.render.paged.runs import RunResult, layout_blank, layout_front
from handbook_build.render.paged.workers import RunFunction, run_in_workers
from handbook_build.render.pdf_merge import Chunk

__all__ = ["MAX_PASSES", "layout_book"]

log = logging.getLogger(__name__)

MAX_PASSES = 4  # rounds of "lay out what is stale" before giving up on printed page numbers


def layout_book(paged: Paged, kinds: Sequence[str], cache: ChunkCache, jobs: int = 2,
                run_jobs: RunFunction | None = None) -> BookLayout:
    """Lay out (or take from the cache) every chunk of ``paged`` and return the parts to merge."""
    if not paged.support.supported:
        raise RenderError(f"chunked layout not possible: {paged.support.reason}")
    book = _book(paged, kinds, cache, jobs, run_jobs)
    found = _Found()
    passes = _settle(book, found)
    blank = _blank(book)
    if not passes[-1].front_reused:  # the fonts of what this process laid out: front, blank
        found.add_fonts(renderer_for(paged).programs, cache)
    return _book_layout(book, passes, blank, found)


# --- the state: what stays fixed, what a pass gives, what the runs report ---------------------

@dataclass(frozen=True, slots=True)
class _Book:
    """What stays fixed while an edition is laid out."""

    paged: Paged
    groups: tuple[Group, ...]
    owners: Mapping[str, int]  # anchor -> the first group holding it
    cache: ChunkCache
    runner: RunFunction
    jobs: int

    @property
    def style(self) -> str:
        return self.paged.support.counter_style


def _book(paged: Paged, kinds: Sequence[str], cache: ChunkCache, jobs: int,
          run_jobs: RunFunction | None) -> _Book:
    groups = tuple(book_groups(paged, kinds))
    runner = run_jobs or (lambda p, batch: run_in_workers(p, batch, jobs))
    owners = {anchor: group.index for group in reversed(groups) for anchor in group.ids}
    return _Book(paged, groups, owners, cache, runner, jobs)


@dataclass(frozen=True, slots=True)
class _Pass:
    """One pass through the book: every group's chunk, the front matter, the book's folios."""

    chunks: tuple[GroupChunk | None, ...]
    front: GroupChunk
    front_reused: bool
    folios: dict[str, int]  # anchor -> page counter value, the front matter's included
    reused: int  # chunks taken from the cache
    laid_out: int  # groups laid out
    runs: int  # documents laid out for them


@dataclass(slots=True)
class _Found:
    """What the runs report, in the order they report it, over every pass."""

    warnings: list[str] = field(default_factory=list)
    attempts: list[str] = field(default_factory=list)  # URLs fetched
    refused: list[str] = field(default_factory=list)
    programs: dict[str, bytes] = field(default_factory=dict)  # font files met in this build

    def add_run(self, result: RunResult, cache: ChunkCache) -> None:
        self.warnings.extend(result.warnings)
        self.attempts.extend(result.fetch_attempts)
        self.refused.extend(result.fetch_refused)
        self.add_fonts(result.programs, cache)

    def add_fonts(self, programs: Mapping[str, bytes], cache: ChunkCache) -> None:
        for sha, program in programs.items():
            if sha not in self.programs:
                self.programs[sha] = program
                cache.store_font(sha, program)


# --- the steps ------------------------------------------------------------------------------

def _settle(book: _Book, found: _Found) -> list[_Pass]:
    """Passes until no chunk prints a page number that moved, each starting from the folios of
    the one before (the first from the last build's page map)."""
    guess = book.cache.load_map()
    passes: list[_Pass] = []
    for _ in range(MAX_PASSES):
        walk = _walk(book, guess, found)
        _lay_out_deferred(book, walk, found)
        current = _with_front(book, walk, found)
        passes.append(current)
        stale = stale_groups(book.groups, current.chunks, current.folios, book.style,
                             book.paged.recto_openings)
        if not stale:
            return passes
        log.info("chunked %s: %d chunks print page numbers that moved; again",
                 book.paged.edition, len(stale))
        guess = current.folios
    raise RenderError(f"chunked layout of the {book.paged.edition} edition did not settle after "
                      f"{MAX_PASSES} passes (page numbers keep moving)")


@dataclass(slots=True)
class _Walk:
    """A pass's walk through the body in page order, as far as it has come."""

    chunks: list[GroupChunk | None]
    folios: dict[str, int]  # the guess, corrected by every chunk placed
    # (group, first folio) of the groups whose page count is known, laid out after the walk
    deferred: list[tuple[int, int]] = field(default_factory=list)
    learned: set[str] = field(default_factory=set)  # anchors this walk has placed
    index: int = 0  # the next group
    start: int = 1  # its first folio
    reused: int = 0
    laid_out: int = 0
    runs: int = 0

    def place(self, anchors: Iterable[tuple[str, int]], pages: int, recto: bool) -> None:
        """The current group's pages placed from ``start``: their anchors learned, and the next
        group's first folio."""
        learn_anchors(self.folios, anchors, self.start, self.learned)
        self.start = next_start(self.start, pages, recto)


def _walk(book: _Book, guess: Mapping[str, int], found: _Found) -> _Walk:
    """The body from folio 1, group after group: taken from the cache, deferred, or laid out
    with the unknown groups after it."""
    walk = _Walk([None] * len(book.groups), dict(guess))
    while walk.index < len(book.groups):
        if not (_take_cached(book, walk) or _defer_known(book, walk)):
            _lay_out_new_run(book, walk, found)
    return walk


def _take_cached(book: _Book, walk: _Walk) -> bool:
    """The group's chunk for this first folio and these printed numbers, from the cache."""
    group = book.groups[walk.index]
    values = group_values(group, walk.folios, book.style)
    hit = book.cache.load(chunk_key(book.paged, group, walk.start, values))
    if hit is None:
        return False
    walk.chunks[walk.index] = hit
    walk.reused += 1
    walk.place(hit.anchors, len(hit.pages), book.paged.recto_openings)
    walk.index += 1
    return True


def _defer_known(book: _Book, walk: _Walk) -> bool:
    """A group laid out before: its pages and anchors are known, its layout waits."""
    known = book.cache.info(book.groups[walk.index].content_key)
    if known is None:
        return False
    walk.deferred.append((walk.index, walk.start))
    walk.place(known[1], known[0], book.paged.recto_openings)
    walk.index += 1
    return True


def _lay_out_new_run(book: _Book, walk: _Walk, found: _Found) -> None:
    """Never laid out: lay it out now, with the following unknown groups as one run."""
    stop = run_stop(book.groups, walk.index, book.paged.run_chars, book.owners,
                    lambda g: book.cache.info(g.content_key) is None)
    run = book.groups[walk.index:stop]
    job = RunJob(run, walk.start, outside_values(run, walk.folios, book.style))
    (result,) = book.runner(book.paged, [job])
    walk.runs += 1
    walk.laid_out += len(run)
    found.add_run(result, book.cache)
    for group, chunk in zip(run, result.chunks, strict=True):
        walk.chunks[group.index] = chunk
        learn_anchors(walk.folios, chunk.anchors, chunk.start, walk.learned)
        book.cache.store(chunk_key(book.paged, group, chunk.start, chunk.values), chunk,
                         group.content_key)
    last = result.chunks[-1]
    walk.start = next_start(last.start, len(last.pages), book.paged.recto_openings)
    walk.index = stop


def _lay_out_deferred(book: _Book, walk: _Walk, found: _Found) -> None:
    """The deferred groups laid out at their first folios, as runs side by side."""
    if not walk.deferred:
        return
    groups = book.groups
    pieces = deferred_runs(walk.deferred, groups, book.jobs, book.paged.run_chars)
    batch = [RunJob(tuple(groups[i] for i, _ in piece), piece[0][1],
                    outside_values([groups[i] for i, _ in piece], walk.folios, book.style))
             for piece in pieces]
    results = book.runner(book.paged, batch)
    walk.runs += len(batch)
    walk.laid_out += len(walk.deferred)
    for piece, result in zip(pieces, results, strict=True):
        found.add_run(result, book.cache)
        for (i, _), chunk in zip(piece, result.chunks, strict=True):
            walk.chunks[i] = chunk
            book.cache.store(chunk_key(book.paged, groups[i], chunk.start, chunk.values), chunk,
                             groups[i].content_key)


def _with_front(book: _Book, walk: _Walk, found: _Found) -> _Pass:
    """The front matter last: its contents print the body's final page numbers. Its own
    anchors are numbered from 1, like its pages."""
    paged = book.paged
    folios = final_folios(walk.chunks)
    printed = front_values(paged, folios, book.style)
    key = cache_key(paged.salt, paged.edition, paged.head, "front", paged.front,
                    *(f"{k}={v}" for k, v in printed))
    front = book.cache.load(key)
    reused = front is not None
    if front is None:
        front = layout_front(paged, printed)
        book.cache.store(key, front)
        found.warnings.extend(front.warnings)
    for name, offset in front.anchors:
        folios.setdefault(name, 1 + offset)
    return _Pass(tuple(walk.chunks), front, reused, folios, walk.reused, walk.laid_out,
                 walk.runs)


def _blank(book: _Book) -> GroupChunk:
    """The edition's blank verso, from the cache or laid out."""
    paged = book.paged
    key = cache_key(paged.salt, paged.edition, paged.head, "blank")
    blank = book.cache.load(key)
    if blank is None:
        blank = layout_blank(paged)
        book.cache.store(key, blank)
    return blank


def _book_layout(book: _Book, passes: Sequence[_Pass], blank: GroupChunk,
                 found: _Found) -> BookLayout:
    """The last pass's chunks as the parts to merge, with what every pass reported."""
    last = passes[-1]
    body = [chunk for chunk in last.chunks if chunk is not None]
    parts = book_parts(last.front, body, blank, book.paged.recto_openings)
    for chunk in body:
        found.warnings.extend(chunk.warnings)
    book.cache.store_map(last.folios)
    page_count = sum(len(part.pages) for part in parts if isinstance(part, Chunk))
    stats = ChunkStats(len(book.groups), last.reused, sum(p.laid_out for p in passes),
                       sum(p.runs for p in passes), len(passes))
    log.info("%s: %d chunks, %d reused, %d laid out in %d documents (%d passes), front %s",
             book.paged.edition, stats.groups, stats.reused, stats.laid_out, stats.runs,
             stats.passes, "reused" if last.front_reused else "laid out")
    cache, programs = book.cache, found.programs
    return BookLayout(tuple(parts), page_count, last.folios, tuple(dict.fromkeys(found.warnings)),
                      tuple(found.attempts), tuple(found.refused), stats, blank,
                      lambda sha: programs.get(sha) or cache.font(sha))
