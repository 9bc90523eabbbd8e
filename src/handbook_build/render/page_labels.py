"""Page labels (``/PageLabels``): the viewer shows the printed folio ("iii", "12"), not the
physical page number.

WeasyPrint writes none. Both paged editions number the front matter in lower roman from the
title page and restart at 1 in arabic on the page where the first section opens (pdf.css,
print.css: ``counter-reset: page 1`` on the ``body-start`` page), and blank pages keep counting,
so two ranges describe every folio. The page where the body starts is found from the PDF's own
named destination for the first section, so this works on any PDF the editions write, whether
laid out in one pass or merged from chunks.

The labels are appended as an incremental update: the bytes WeasyPrint or the merge wrote stay
as they were, and the same input gives the same output.
"""

from __future__ import annotations

import io

__all__ = ["add_page_labels", "body_start_index"]


def body_start_index(pdf: bytes, first_section_anchor: str) -> int | None:
    """The 0-based index of the page holding ``first_section_anchor``, or None."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf))
    destination = reader.named_destinations.get(first_section_anchor)
    if destination is None:
        return None
    return reader.get_destination_page_number(destination)


def add_page_labels(pdf: bytes, first_section_anchor: str) -> bytes:
    """``pdf`` with roman labels up to the first section's page and arabic labels from 1 there.

    Without that anchor (a book with no sections), every page is labelled in arabic from 1."""
    from pypdf import PdfWriter
    from pypdf.constants import PageLabelStyle

    start = body_start_index(pdf, first_section_anchor)
    writer = PdfWriter(io.BytesIO(pdf), incremental=True)
    last = len(writer.pages) - 1
    if last < 0:
        return pdf
    if start is None or start == 0:
        writer.set_page_label(0, last, PageLabelStyle.DECIMAL, start=1)
    else:
        writer.set_page_label(0, start - 1, PageLabelStyle.LOWERCASE_ROMAN, start=1)
        writer.set_page_label(start, last, PageLabelStyle.DECIMAL, start=1)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()
