"""The print edition in chunks (``render_print_edition``), following ``print_pdf.render_print``
step by step: gutter by final page count (laid out again when the count needs a wider one),
padding pages, PDF/X variant and fixed XMP id on every chunk, no links, preflight on the merged
file; its cover and proof sheet are cached by their inputs. Its "see p. N" across runs means
that, on a clean build, groups pointing into a later run are laid out a second time once that
run's pages are known; runs are cut where the fewest groups point across."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import replace as dataclass_replace
from pathlib import Path
from typing import Any

from handbook_build.model import HtmlBook
from handbook_build.render import pdf_merge
from handbook_build.render.paged.chunk_cache import ChunkCache, GroupChunk, cache_key
from handbook_build.render.paged.chunk_document import blank_document
from handbook_build.render.paged.edition import Paged, paged_for
from handbook_build.render.paged.layout import layout_book
from handbook_build.render.paged.renderer import renderer_for
from handbook_build.render.pdf_merge import Blank, Chunk, PageInfo

__all__ = ["PRINT_RUN_CHARS", "render_print_edition"]

log = logging.getLogger(__name__)

# The print edition prints "see p. N" for targets anywhere: while a run is laid out the pages
# of later runs are unknown, and its groups pointing there are laid out again at the end (the
# cut between runs is placed where fewest groups point across). Fewer, longer runs cost less
# time and more memory: for the handbook, one run takes 290 MiB; two take 235 MiB and 15 % more
# time for the print edition.
PRINT_RUN_CHARS = 280_000


def render_print_edition(html_book: HtmlBook, cache_dir: Path | None, jobs: int = 2,
                         profile: Any = None) -> Any:
    """The print edition (``print_pdf.PrintEdition``) through cached chunks, following
    ``print_pdf.render_print`` step by step: gutter for the final page count (laid out again
    when the count needs a wider one), padding pages, a link-free file (PDF/X where the profile
    wants it), preflight, cover, proof. None when the styles do not allow cutting."""
    from handbook_build.checks.preflight import Layout, run_preflight
    from handbook_build.render import print_pdf
    from handbook_build.render.cover_pdf import cover_geometry as cover_geometry_of
    from handbook_build.render.cover_pdf import render_cover
    from handbook_build.render.notes_plan import plan_notes
    from handbook_build.render.pod import get_profile
    from handbook_build.render.print_images import print_images
    from handbook_build.render.proof import render_proof

    manifest = html_book.manifest
    settings = manifest.print
    profile = profile or get_profile(settings.profile)
    gutter = max(settings.geometry.inner_in, profile.gutter_for(profile.min_pages))
    pictures = print_images(html_book)
    kinds = [section.node.kind for section in html_book.sections]
    seed = print_pdf.print_seed(manifest)
    cache = ChunkCache.for_edition(cache_dir, "print")
    passes, extra = 0, frozenset[str]()
    while True:
        passes += 1
        geometry = print_pdf.print_geometry(settings, gutter)
        notes = plan_notes(html_book.sections, settings, extra)
        paged = paged_for(
            html_book, print_pdf.print_edition(manifest, geometry, pictures.urls(), notes),
            "print", extra_head_css=print_pdf.generated_css(
                settings, profile, print_pdf.image_dpi(manifest, geometry),
                print_pdf.text_leading_pt(geometry, manifest.styles_dir)),
            pdf_variant=profile.pdf_variant, document_seed=seed, run_chars=PRINT_RUN_CHARS,
        )
        # Converted pictures are drawn from their own files and URLs (print_images.py).
        paged = dataclass_replace(paged, image_copies=pictures.copies())
        if not paged.support.supported:
            log.info("print edition in one pass: %s", paged.support.reason)
            return None
        book = layout_book(paged, kinds, cache, jobs)
        final_count = profile.padded_count(book.page_count)
        required = max(settings.geometry.inner_in, profile.gutter_for(final_count))
        wanted = extra | print_pdf.notes_for_blanks(html_book, book.folios)  # blank versos
        if (required <= gutter + 1e-9 and wanted == extra) or passes == print_pdf.MAX_LAYOUT_PASSES:
            break
        log.info("%d pages need a %.3f in gutter, laid out with %.3f; %d blank versos to fill: "
                 "again", final_count, required, gutter, len(wanted - extra))  # fmt: skip
        gutter, extra = max(gutter, required), wanted
    padding = final_count - book.page_count
    parts = list(book.parts)
    if padding:
        parts.append(_padding_chunk(paged, geometry, profile, book.page_count, padding, cache))
    pdf = pdf_merge.merge(parts, links=False, seed=seed.encode(), font_programs=book.programs)
    trim = (geometry.width_in, geometry.height_in)
    preflight = run_preflight(pdf, profile, Layout(trim, final_count, padding, gutter),
                              pictures.image_sources())
    # The cover depends on the page count, not on the pages: laid out again only when its
    # inputs change; the proof sheet only when one of the pages it shows changed.
    cover_key = cache_key(paged.salt, "cover", repr(manifest.metadata), repr(profile),
                          settings.paper, repr(trim), str(final_count),
                          _file_digest(manifest.metadata.cover_image))
    cover_geometry = cover_geometry_of(manifest.metadata, profile, settings.paper, trim,
                                       final_count)
    cover_pdf = cache.load_blob(cover_key)
    if cover_pdf is None:
        cover = render_cover(manifest.metadata, profile, settings.paper, trim, final_count,
                             manifest.styles_dir, print_pdf.fetch_roots(manifest))
        cover_pdf, cover_geometry = cover.pdf, cover.geometry
        cache.store_blob(cover_key, cover_pdf)
    proof_key = _proof_key(paged.salt, parts, final_count, pdf)
    proof_png = cache.load_blob(proof_key)
    if proof_png is None:
        proof_png = render_proof(pdf)
        cache.store_blob(proof_key, proof_png)
    cache.prune()
    return print_pdf.PrintEdition(
        pdf=pdf, page_count=final_count, padding_pages=padding, gutter_in=gutter,
        preflight=preflight, cover_pdf=cover_pdf, proof_png=proof_png,
        fillable_pdf=None, spine_width_in=cover_geometry.spine_width_in,
        layout_passes=passes, warnings=book.warnings,
    )


def _file_digest(path: Path | None) -> str:
    if path is None:
        return ""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return "unreadable"


def _proof_key(salt: str, parts: Sequence[Chunk | Blank], page_count: int, pdf: bytes) -> str:
    """The proof sheet's inputs: the chunks holding the pages it shows (the first spreads and
    those of the first picture and the first footnote), and the page count."""
    from handbook_build.render.proof import pages_shown

    shown = pages_shown(pdf)
    digests, number = [], 1
    for part in parts:
        count = len(part.pages) if isinstance(part, Chunk) else 1
        if isinstance(part, Chunk) and any(number <= n < number + count for n in shown):
            digests.append(f"{number}:{hashlib.sha256(part.data).hexdigest()}")
        number += count
    return cache_key(salt, "proof", str(page_count), *sorted(map(str, shown)), *digests)


def _padding_chunk(paged: Paged, geometry: Any, profile: Any, after: int, count: int,
                   cache: ChunkCache) -> Chunk:
    """print_pdf's padding pages (truly blank, right or left as they fall), as a chunk."""
    from handbook_build.render import print_pdf

    key = cache_key(paged.salt, paged.edition, paged.head, "padding", repr(geometry),
                    repr(profile), str(after % 2), str(count))
    chunk = cache.load(key)
    if chunk is None:
        pages = print_pdf.blank_pages(geometry, profile, after, count)
        renderer = renderer_for(paged)
        document, _ = renderer.layout(blank_document(paged))
        data, _ = renderer.write(document, pages)
        chunk = GroupChunk(data, tuple(PageInfo() for _ in pages), 0, ())
        cache.store(key, chunk)
    return chunk.part()
