"""Paged editions in chunks: laid out in pieces, cached per chunk, merged into one PDF.

Takes an ``HtmlBook`` (and the folder of the build's cache); gives the reading PDF
(``render_reading_pdf`` -> ``pdf.RenderedPdf``) and the print edition
(``render_print_edition`` -> ``print_pdf.PrintEdition``) with the same bytes as a single-pass
layout, or None when the edition's styles cannot be cut (the caller then lays it out in one
pass). ``layout_book`` gives the laid-out parts before the merge (``BookLayout``).

Why a book can be cut: every part and chapter opens on a right-hand page (``break-before:
right``), so the layout of a run of sections does not depend on what precedes it except through
three things, each put back here:

- folios: a run document sets its first body page's ``page`` counter (``@page :nth(3)
  { counter-reset: page N }``; a run starts with the book's title page, which sets the running
  heads' strings as in the whole book, then a blank verso, then the sections on page 3);
- page numbers printed from other parts of the book (``target-counter()`` in the contents and in
  the print edition's "see p. N"): the rules using it are copied with ``attr(data-hb-tc)`` in
  its place and the links get the number, so the same glyphs are set without the target;
- the blank verso between two chunks: a blank page of the edition (``@page :blank``), laid out
  once and inserted by the merge where a chunk ends on a right-hand page.

A *group* is a few consecutive sections (``GROUP_CHARS``); its pages, written as their own PDF,
are a *chunk*. Chunks are cached under ``<output>/.cache/chunks/<edition>`` by a hash of
everything that shapes them: the group's HTML, the head with every stylesheet, the files of the
styles folder, the images, the installed fonts, tool versions and the rendering code (the salt,
edition.py), its first folio and the page numbers it prints from elsewhere. A build walks the
groups in order: a cached chunk is reused; a group whose page count is known (it was laid out
before, at another first folio) is laid out again later, side by side with the others; groups
never seen are laid out together, in runs of about ``run_chars`` characters (a clean build is a
few runs, one after the other: each run's first folio follows from the runs before). Every run
is laid out in a forked child, so the edition process does not grow run after run. The front
matter (title, copyright, contents) is laid out last, with the final numbers; printed page
numbers that moved make their chunks stale and the walk runs again (``MAX_PASSES``). Then
``pdf_merge`` joins the chunks, their fonts (one subset per font for the whole book) and puts
back links, named destinations, outline and metadata. A clean build and a rebuild go through
the same chunks, so they give the same bytes; a run and a group laid out alone give the same
chunk (tests/test_chunked.py checks it, and the whole book against a single-pass layout, text,
links, outline and pixels).

When a stylesheet uses something a cut book cannot reproduce (``counter(pages)``, other counters
or ``target-*`` functions, document-wide ``:nth()`` pages), ``analyse_styles`` says why and the
caller renders in one pass as before.

The modules, in the order the work flows: styles (can the styles be cut), edition (``Paged``,
the edition as data, and the salt), page_links (the page numbers links print), groups (sections
into groups, groups into runs), chunk_document (the HTML of a run, the front matter, a blank),
renderer (one process's WeasyPrint), runs (a run laid out and cut into chunks), workers (the
process pool), chunk_cache (keys, entries), folios (first folios, printed numbers, staleness),
layout (``layout_book``), merge (``BookLayout``), reading and print_edition (the editions).
"""

from handbook_build.render.paged.chunk_cache import CHUNK_DIR, ChunkCache, GroupChunk
from handbook_build.render.paged.edition import Paged, paged_for
from handbook_build.render.paged.layout import layout_book
from handbook_build.render.paged.merge import BookLayout, ChunkStats
from handbook_build.render.paged.print_edition import render_print_edition
from handbook_build.render.paged.reading import render_reading_pdf
from handbook_build.render.paged.styles import StyleSupport, analyse_styles

__all__ = [
    "CHUNK_DIR",
    "BookLayout",
    "ChunkCache",
    "ChunkStats",
    "GroupChunk",
    "Paged",
    "StyleSupport",
    "analyse_styles",
    "layout_book",
    "paged_for",
    "render_print_edition",
    "render_reading_pdf",
]
