"""Laying out a run: one chunk document of a few groups laid out by this process's renderer,
its pages cut into one chunk per group (with their first folios, the page numbers each prints
and the fonts the merge may join); and the front matter and the edition's blank verso, laid
out the same way."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from handbook_build.errors import RenderError
from handbook_build.render.paged.chunk_cache import GroupChunk
from handbook_build.render.paged.chunk_document import (
    TITLE_PAGES,
    blank_document,
    front_document,
    run_document,
)
from handbook_build.render.paged.edition import Paged
from handbook_build.render.paged.folios import next_start
from handbook_build.render.paged.groups import RunJob
from handbook_build.render.paged.page_links import format_counter
from handbook_build.render.paged.renderer import page_info, renderer_for
from handbook_build.render.pdf_merge import PageInfo

__all__ = ["RunResult", "layout_blank", "layout_front", "layout_run"]


@dataclass(frozen=True, slots=True)
class RunResult:
    """A run laid out: one chunk per group, and what happened on the way (picklable)."""

    chunks: tuple[GroupChunk, ...]
    warnings: tuple[str, ...]
    fetch_attempts: tuple[str, ...]
    fetch_refused: tuple[str, ...]
    seconds: float
    programs: dict[str, bytes] = field(default_factory=dict)  # font files, by sha256


def layout_run(paged: Paged, job: RunJob) -> RunResult:
    """Lay out ``job``'s groups in one document and cut its pages into one chunk per group."""
    started = time.perf_counter()
    renderer = renderer_for(paged)
    attempts = len(renderer.fetcher.attempts)
    refused = len(renderer.fetcher.refused)
    title_pages = TITLE_PAGES
    document, warnings = renderer.layout(run_document(paged, job, title_pages))
    firsts = _first_pages(document.pages, [group.slug for group in job.groups])
    if firsts[0] != title_pages and job.groups[0].first != 0:
        # The title page took more (or fewer) pages than expected: put the folio reset on the
        # page where the first section really starts.
        title_pages = firsts[0]
        document, warnings = renderer.layout(run_document(paged, job, title_pages))
        firsts = _first_pages(document.pages, [group.slug for group in job.groups])
    pages = document.pages
    ends = [*firsts[1:], len(pages)]
    chunks = []
    start = job.start
    values = dict(job.values)
    spans = []
    for first, end in zip(firsts, ends, strict=True):
        while end - 1 > first and pages[end - 1]._page_box.page_type.blank:
            end -= 1
        spans.append((first, end, start))
        start = next_start(start, end - first, paged.recto_openings)
    folios: dict[str, int] = {}
    for first, end, group_start in spans:
        for offset, page in enumerate(pages[first:end]):
            for name in page.anchors:
                folios.setdefault(name, group_start + offset)
    style = paged.support.counter_style
    notes = _misplaced_notes(paged, document)
    for group, (first, end, group_start) in zip(job.groups, spans, strict=True):
        used = []
        for target in group.targets:
            if target in values:
                used.append((target, values[target]))
            elif target in folios:
                used.append((target, format_counter(folios[target], style)))
        chunk_pages = pages[first:end]
        data, fonts = renderer.write(document, chunk_pages)
        chunks.append(GroupChunk(
            data=data, pages=tuple(page_info(page) for page in chunk_pages),
            start=group_start, values=tuple(used), warnings=(*warnings, *notes), fonts=fonts,
        ))
    shas = {sha for chunk in chunks for _, sha, _ in chunk.fonts}
    return RunResult(tuple(chunks), (*warnings, *notes),
                     tuple(renderer.fetcher.attempts[attempts:]),
                     tuple(renderer.fetcher.refused[refused:]), time.perf_counter() - started,
                     {sha: renderer.programs[sha] for sha in shas})


def _misplaced_notes(paged: Paged, document: Any) -> tuple[str, ...]:
    if not paged.repair_notes:
        return ()
    from handbook_build.render.pdf import misplaced_footnotes, note_label

    return tuple(f"footnote {note_label(element)} is not on the page of its call"
                 for _, element in misplaced_footnotes(document))


def _first_pages(pages: Sequence[Any], slugs: Sequence[str]) -> list[int]:
    wanted = {slug: None for slug in slugs}
    found: dict[str, int] = {}
    for index, page in enumerate(pages):
        for name in page.anchors:
            if name in wanted and name not in found:
                found[name] = index
    missing = [slug for slug in slugs if slug not in found]
    if missing:
        raise RenderError(f"chunked layout: section '{missing[0]}' has no page; "
                          "this is a bug, please report it")
    firsts = [found[slug] for slug in slugs]
    if firsts != sorted(firsts):
        raise RenderError("chunked layout: sections out of order; this is a bug, please report it")
    return firsts


def layout_front(paged: Paged, values: tuple[tuple[str, str], ...]) -> GroupChunk:
    renderer = renderer_for(paged)
    document, warnings = renderer.layout(front_document(paged, dict(values)))
    data, fonts = renderer.write(document, document.pages)
    return GroupChunk(data, tuple(page_info(page) for page in document.pages), 1, values,
                      warnings, fonts)


def layout_blank(paged: Paged) -> GroupChunk:
    renderer = renderer_for(paged)
    document, _ = renderer.layout(blank_document(paged))
    if len(document.pages) != 3 or not document.pages[1]._page_box.page_type.blank:
        raise RenderError("chunked layout: the edition's blank page could not be made")
    data, _ = renderer.write(document, document.pages[1:2])
    return GroupChunk(data, (PageInfo(),), 0, ())
