"""The typesetting check: takes a built PDF, gives what a book designer sees on its pages, as
diagnostics.

``pdfcheck`` reads structure (fonts embedded, outline, links); this package reads the pages:
images (garbled, too coarse, misplaced), hyphenation (share, ladders, lone fragments, headings),
overflow (lines past the text block or the page), glyphs and faces (missing glyphs, fallback
faces, a script in a face that lacks it), notes (astray from their call, printed twice), pages
(stray blanks, a page holding only a heading or a placeholder, chapters opening on versos) and,
for print, the trim, bleed and PDF/X boxes. Each finding names its physical page and printed
folio: ``book.pdf: p. 34 (folio 24): error: ...; hint [code]``.

Every threshold is in ``THRESHOLDS`` (findings.py) and in docs/typesetting-check.md. The text
layer comes from poppler (``pdf_layout``), fonts from pikepdf and fontTools (``pdf_fonts``),
images from ``pdf_images``. ``cheap=True`` runs only the checks that need no text layer (images,
glyphs and faces): the build runs those on every PDF it writes, and all of them with --validate.

Modules, one job each:
    run_checks.py   check_typesetting, check_pdf_bytes, build_summary: every check on one PDF
    findings.py     THRESHOLDS, the profiles, the findings collected
    page_boxes.py   media, trim and bleed boxes, page labels, PDF/X claims, the guessed profile
    images.py, faces.py, hyphenation.py, overflow.py, notes.py, pages.py, print_boxes.py:
                    one kind of finding each
"""

from __future__ import annotations

from handbook_build.checks.typeset_check.faces import stylesheet_families
from handbook_build.checks.typeset_check.findings import THRESHOLDS, Profile
from handbook_build.checks.typeset_check.page_boxes import guessed_profile
from handbook_build.checks.typeset_check.run_checks import (
    TypesetResult,
    build_summary,
    check_pdf_bytes,
    check_typesetting,
    image_files_by_size,
)

__all__ = ["THRESHOLDS", "Profile", "TypesetResult", "build_summary", "check_pdf_bytes",
           "check_typesetting", "guessed_profile", "image_files_by_size", "stylesheet_families"]
