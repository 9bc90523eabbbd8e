"""Laying out a book: every group's chunk taken from the cache or laid out (``layout_book``),
pass after pass until the page numbers the chunks print match the pages they point to."""

from __future__ import annotations

import logging
from collections.abc import Sequence

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
from handbook_build.render.paged.groups import RunJob, book_groups, deferred_runs, run_stop
from handbook_build.render.paged.merge import BookLayout, ChunkStats
from handbook_build.render.paged.renderer import renderer_for
from handbook_build.render.paged.runs import RunResult, layout_blank, layout_front
from handbook_build.render.paged.workers import RunFunction, run_in_workers
from handbook_build.render.pdf_merge import Blank, Chunk

__all__ = ["MAX_PASSES", "layout_book"]

log = logging.getLogger(__name__)

MAX_PASSES = 4  # rounds of "lay out what is stale" before giving up on printed page numbers


def layout_book(paged: Paged, kinds: Sequence[str], cache: ChunkCache, jobs: int = 2,
                run_jobs: RunFunction | None = None) -> BookLayout:
    """Lay out (or take from the cache) every chunk of ``paged`` and return the parts to merge."""
    if not paged.support.supported:
        raise RenderError(f"chunked layout not possible: {paged.support.reason}")
    groups = book_groups(paged, kinds)
    runner = run_jobs or (lambda p, batch: run_in_workers(p, batch, jobs))
    style = paged.support.counter_style
    guess = cache.load_map()
    warnings: list[str] = []
    attempts: list[str] = []
    refused: list[str] = []
    programs: dict[str, bytes] = {}  # font files met in this build
    owners = {anchor: group.index for group in reversed(groups) for anchor in group.ids}
    chunks: list[GroupChunk | None] = [None] * len(groups)
    laid_out, runs, reused = 0, 0, 0
    passes = 0
    final: dict[str, int] = {}
    front: GroupChunk | None = None
    front_reused = False
    for passes in range(1, MAX_PASSES + 1):  # noqa: B007 - reported in the stats
        chunks = [None] * len(groups)
        deferred: list[tuple[int, int]] = []  # (group, start): page count known, lay out later
        folios = dict(guess)
        learned: set[str] = set()
        index, start = 0, 1
        while index < len(groups):
            group = groups[index]
            values = group_values(group, folios, style)
            key = chunk_key(paged, group, start, values)
            hit = cache.load(key)
            if hit is not None:
                chunks[index] = hit
                reused += 1
                learn_anchors(folios, hit.anchors, start, learned)
                start = next_start(start, len(hit.pages), paged.recto_openings)
                index += 1
                continue
            known = cache.info(group.content_key)
            if known is not None:
                deferred.append((index, start))
                learn_anchors(folios, known[1], start, learned)
                start = next_start(start, known[0], paged.recto_openings)
                index += 1
                continue
            # Never laid out: lay it out now, with the following unknown groups as one run.
            stop = run_stop(groups, index, paged.run_chars, owners,
                            lambda g: cache.info(g.content_key) is None)
            run = groups[index:stop]
            job = RunJob(tuple(run), start, outside_values(run, folios, style))
            (result,) = runner(paged, [job])
            runs += 1
            laid_out += len(run)
            _collect(result, warnings, attempts, refused, programs, cache)
            for group_here, chunk in zip(run, result.chunks, strict=True):
                chunks[group_here.index] = chunk
                learn_anchors(folios, chunk.anchors, chunk.start, learned)
                cache.store(chunk_key(paged, group_here, chunk.start, chunk.values), chunk,
                            group_here.content_key)
            last = result.chunks[-1]
            start = next_start(last.start, len(last.pages), paged.recto_openings)
            index = stop
        if deferred:
            pieces = deferred_runs(deferred, groups, jobs, paged.run_chars)
            batch = [RunJob(tuple(groups[i] for i, _ in piece), piece[0][1],
                            outside_values([groups[i] for i, _ in piece], folios, style))
                     for piece in pieces]
            results = runner(paged, batch)
            runs += len(batch)
            laid_out += len(deferred)
            for piece, result in zip(pieces, results, strict=True):
                _collect(result, warnings, attempts, refused, programs, cache)
                for (i, _), chunk in zip(piece, result.chunks, strict=True):
                    chunks[i] = chunk
                    cache.store(chunk_key(paged, groups[i], chunk.start, chunk.values), chunk,
                                groups[i].content_key)
        # The front matter last: its contents print the body's final page numbers. Its own
        # anchors are numbered from 1, like its pages.
        final = final_folios(chunks)
        printed = front_values(paged, final, style)
        front_key = cache_key(paged.salt, paged.edition, paged.head, "front", paged.front,
                              *(f"{k}={v}" for k, v in printed))
        front = cache.load(front_key)
        front_reused = front is not None
        if front is None:
            front = layout_front(paged, printed)
            cache.store(front_key, front)
            warnings.extend(front.warnings)
        for name, offset in front.anchors:
            final.setdefault(name, 1 + offset)
        stale = stale_groups(groups, chunks, final, style, paged.recto_openings)
        if not stale:
            break
        log.info("chunked %s: %d chunks print page numbers that moved; again", paged.edition,
                 len(stale))
        guess = final
        reused = 0
    else:
        raise RenderError(f"chunked layout of the {paged.edition} edition did not settle after "
                          f"{MAX_PASSES} passes (page numbers keep moving)")
    body = [chunk for chunk in chunks if chunk is not None]
    folios = final
    blank_key = cache_key(paged.salt, paged.edition, paged.head, "blank")
    blank = cache.load(blank_key)
    if blank is None:
        blank = layout_blank(paged)
        cache.store(blank_key, blank)
    for sha, program in renderer_for(paged).programs.items() if not front_reused else ():
        if sha not in programs:
            programs[sha] = program
            cache.store_font(sha, program)
    assert front is not None  # the loop ran at least once
    parts: list[Chunk | Blank] = []
    blank_chunk = blank.part()
    sequence = [front, *body]
    for position, chunk in enumerate(sequence):
        parts.append(chunk.part())
        if position < len(sequence) - 1 and len(chunk.pages) % 2 and paged.recto_openings:
            parts.append(blank_chunk)
    for chunk in body:
        warnings.extend(chunk.warnings)
    cache.store_map(folios)
    page_count = sum(len(part.pages) for part in parts if isinstance(part, Chunk))
    stats = ChunkStats(len(groups), reused, laid_out, runs, passes)
    log.info("%s: %d chunks, %d reused, %d laid out in %d documents (%d passes), front %s",
             paged.edition, stats.groups, stats.reused, stats.laid_out, stats.runs, stats.passes,
             "reused" if front_reused else "laid out")
    return BookLayout(tuple(parts), page_count, folios, tuple(dict.fromkeys(warnings)),
                      tuple(attempts), tuple(refused), stats, blank,
                      lambda sha: programs.get(sha) or cache.font(sha))


def _collect(result: RunResult, warnings: list[str], attempts: list[str],
             refused: list[str], programs: dict[str, bytes], cache: ChunkCache) -> None:
    warnings.extend(result.warnings)
    attempts.extend(result.fetch_attempts)
    refused.extend(result.fetch_refused)
    for sha, program in result.programs.items():
        if sha not in programs:
            programs[sha] = program
            cache.store_font(sha, program)
