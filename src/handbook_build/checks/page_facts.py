"""What a finished PDF's pages show, read back from the PDF: printed folios, the first page with
a picture, the first page with a footnote.

The proof sheet labels its thumbnails with these facts: a printer and an editor talk about
"p. iii" and "p. 7", the numbers printed on the pages, not the physical page index a viewer
shows. The facts are read from the PDF itself (pdfium's text and page objects), so they hold
for any book, whatever the stylesheets did.
"""

from __future__ import annotations

import ctypes
import re
import statistics
from collections.abc import Iterable

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from pypdf import PdfReader

# A folio is printed in the head or foot band of the page: the outer 12 % of its height.
FOLIO_BAND = 0.12
_FOLIO = re.compile(r"^(?:\d{1,4}|[ivxlcdm]{1,8})$")
# A note line at a page foot: its number or letter, a full stop, then text ("3. A library...",
# "a. example.org/..."), set smaller than the page's body type, in the lower part of the page.
_NOTE_START = re.compile(r"^(?:\d{1,3}|[a-z]{1,2})\.\s+\S")
NOTE_SIZE_RATIO = 0.92
NOTE_ZONE = 0.45


def printed_folios(pdf: bytes, numbers: Iterable[int] | None = None) -> dict[int, str | None]:
    """The folio of each page asked for (1-based; every page when ``numbers`` is None): the
    PDF's page labels when it has them, else the number printed on the page's outermost line of
    its foot or head band; None for a page that prints none (title, blank pages)."""
    labels = _page_labels(pdf)
    document = pdfium.PdfDocument(pdf)
    try:
        wanted = range(1, len(document) + 1) if numbers is None else numbers
        if labels is not None:
            return {number: labels[number - 1] for number in wanted}
        return {number: _printed_folio(document[number - 1]) for number in wanted}
    finally:
        document.close()


def first_image_page(pdf: bytes) -> int | None:
    """The 1-based number of the first page that draws a raster image, or None."""
    document = pdfium.PdfDocument(pdf)
    try:
        for index in range(len(document)):
            page = document[index]
            found = next(page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_IMAGE,)), None)
            page.close()
            if found is not None:
                return index + 1
        return None
    finally:
        document.close()


def first_footnote_page(pdf: bytes) -> int | None:
    """The 1-based number of the first page with a note set at its foot, or None."""
    document = pdfium.PdfDocument(pdf)
    try:
        for index in range(len(document)):
            page = document[index]
            text_page = page.get_textpage()
            found = _has_foot_note(text_page, page.get_height())
            text_page.close()
            page.close()
            if found:
                return index + 1
        return None
    finally:
        document.close()


def _page_labels(pdf: bytes) -> list[str] | None:
    """The PDF's /PageLabels, when the catalogue has them (pypdf numbers pages itself else)."""
    import io

    reader = PdfReader(io.BytesIO(pdf))
    if "/PageLabels" not in reader.root_object:
        return None
    return list(reader.page_labels)


def _printed_folio(page: pdfium.PdfPage) -> str | None:
    width, height = page.get_size()
    text_page = page.get_textpage()
    try:
        band = height * FOLIO_BAND
        lines = _line_boxes(text_page)
        foot = [box for box in lines if box[1] < band]
        head = [box for box in lines if box[0] > height - band]
        # The outermost line of each band: the lowest in the foot, the highest in the head.
        for candidates, outermost in ((foot, min), (head, max)):
            if not candidates:
                continue
            top, bottom = outermost(candidates, key=lambda box: box[1])
            words = text_page.get_text_bounded(0, bottom - 0.5, width, top + 0.5).split()
            folios = [word for word in words if _FOLIO.match(word)]
            if len(folios) == 1:
                return str(folios[0])
        return None
    finally:
        text_page.close()
        page.close()


def _line_boxes(text_page: pdfium.PdfTextPage) -> list[tuple[float, float]]:
    """(top, bottom) of each text line, from pdfium's text rectangles."""
    return [(rect[3], rect[1]) for rect in
            (text_page.get_rect(index) for index in range(text_page.count_rects()))]


def _has_foot_note(text_page: pdfium.PdfTextPage, page_height: float) -> bool:
    """A line in the lower part of the page that starts like a note, in smaller type."""
    raw = text_page.raw
    count = text_page.count_chars()
    sizes: list[float] = []  # of the characters above the note zone: the body type
    lines: list[tuple[str, float, float]] = []  # text, font size of its first char, its top
    current: list[str] = []
    first_size = first_top = 0.0
    left, right, bottom, top = (ctypes.c_double() for _ in range(4))
    for index in range(count):
        char = chr(pdfium_c.FPDFText_GetUnicode(raw, index))
        if char in "\r\n":
            if current:
                lines.append(("".join(current), first_size, first_top))
            current = []
            continue
        size = float(pdfium_c.FPDFText_GetFontSize(raw, index))
        pdfium_c.FPDFText_GetCharBox(raw, index, left, right, bottom, top)
        if not char.isspace() and top.value >= page_height * NOTE_ZONE:
            sizes.append(size)
        if not current:
            first_size, first_top = size, top.value
        current.append(char)
    if current:
        lines.append(("".join(current), first_size, first_top))
    if not sizes:
        return False
    body = statistics.median(sizes)
    return any(
        _NOTE_START.match(text.strip()) and size <= body * NOTE_SIZE_RATIO
        and line_top < page_height * NOTE_ZONE
        for text, size, line_top in lines
    )
