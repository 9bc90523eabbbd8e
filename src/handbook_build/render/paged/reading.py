"""The reading PDF in chunks: the edition of ``pdf.py`` laid out by ``layout_book`` and merged,
or None when its styles cannot be cut (the caller then lays it out in one pass)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from handbook_build.model import HtmlBook, Metadata
from handbook_build.render.paged.chunk_cache import ChunkCache
from handbook_build.render.paged.edition import paged_for
from handbook_build.render.paged.layout import layout_book

__all__ = ["render_reading_pdf"]

log = logging.getLogger(__name__)


def render_reading_pdf(html_book: HtmlBook, cache_dir: Path | None, jobs: int = 2) -> Any:
    """The reading PDF (``RenderedPdf``) through cached chunks; None if its styles do not allow
    cutting (the caller then lays it out in one pass)."""
    from handbook_build.render.pdf import RenderedPdf, font_warnings, pdf_edition

    edition = pdf_edition(html_book.manifest)
    paged = paged_for(html_book, edition, "pdf", repair_notes=True)
    if not paged.support.supported:
        log.info("reading PDF in one pass: %s", paged.support.reason)
        return None
    kinds = [section.node.kind for section in html_book.sections]
    cache = ChunkCache.for_edition(cache_dir, "pdf")
    book = layout_book(paged, kinds, cache, jobs)
    data = book.merge(seed=_seed(html_book.manifest.metadata, "pdf"))
    cache.prune()
    return RenderedPdf(
        data=data, page_count=book.page_count,
        warnings=(*font_warnings(edition), *book.warnings),
        fetch_attempts=book.fetch_attempts, fetch_refused=book.fetch_refused,
    )


def _seed(metadata: Metadata, edition: str) -> bytes:
    return f"{edition}\0{metadata.identifiers.get(edition, '')}\0{metadata.title}".encode()
