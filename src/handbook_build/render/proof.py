"""Proof sheet: the first pages of a print PDF as facing-page spreads, then the spreads holding
the first picture and the first footnote -> one PNG (deterministic).

Page 1 is a right-hand page, so the first spread is a blank left and page 1; then 2|3, 4|5...
Seeing spreads is how one checks that the note column sits on the outside of both pages and
that chapters open on the right; the first picture and the first footnote are where a printer's
rejection usually starts (a garbled or tiny image, a note off its page), so they are on the sheet
even when they fall far from the front. Every page is labelled with the folio printed on it
("p. iii", "p. 7"; page_facts.py), the number an editor and a printer use. Pages are rasterised
with pdfium; the PNG is written by Pillow without text chunks or timestamps, so the same PDF
gives the same bytes.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import pypdfium2 as pdfium
from PIL import Image, ImageDraw, ImageFont

from handbook_build.checks.page_facts import first_footnote_page, first_image_page, printed_folios

BACKGROUND = (222, 222, 218)
EDGE = (150, 150, 150)
LABEL = (70, 70, 70)
GAP_PX = 28
LABEL_PX = 18


def spreads_of(page_count: int, spread_count: int) -> list[tuple[int | None, int | None]]:
    """Facing pages (1-based; None = no page) for the first ``spread_count`` spreads."""
    spreads: list[tuple[int | None, int | None]] = [(None, 1 if page_count else None)]
    left = 2
    while len(spreads) < spread_count and left <= page_count:
        spreads.append((left, left + 1 if left + 1 <= page_count else None))
        left += 2
    return spreads


@dataclass(frozen=True)
class ProofSpread:
    """Two facing pages (1-based; None = no page) and, for an added spread, what it shows."""

    left: int | None
    right: int | None
    caption: dict[int, str]  # page number -> "first picture", "first footnote"

    @property
    def pages(self) -> tuple[int, ...]:
        return tuple(number for number in (self.left, self.right) if number is not None)


def proof_spreads(pdf: bytes, spread_count: int = 6) -> list[ProofSpread]:
    """The spreads the proof sheet shows: the first ``spread_count``, then the spread of the
    first picture and of the first footnote, unless one of the first already shows it."""
    document = pdfium.PdfDocument(pdf)
    page_count = len(document)
    document.close()
    firsts = sorted((number, caption) for caption, number in (
        ("first picture", first_image_page(pdf)), ("first footnote", first_footnote_page(pdf)),
    ) if number is not None)
    pairs = spreads_of(page_count, spread_count)
    for number, _ in firsts:
        if not any(number in pair for pair in pairs):
            left = number if number % 2 == 0 else number - 1
            pairs.append((left, left + 1 if left + 1 <= page_count else None))
    captions: dict[int, str] = {}
    for number, caption in firsts:  # one page can be both: "first picture, first footnote"
        captions[number] = f"{captions[number]}, {caption}" if number in captions else caption
    return [ProofSpread(left, right, {n: captions[n] for n in (left, right) if n in captions})
            for left, right in pairs]


def pages_shown(pdf: bytes, spread_count: int = 6) -> set[int]:
    """Every page number the proof sheet of ``pdf`` shows (for the chunk cache's key)."""
    return {number for spread in proof_spreads(pdf, spread_count) for number in spread.pages}


def render_proof(
    pdf: bytes, spread_count: int = 6, columns: int = 3, page_height_px: int = 330
) -> bytes:
    """A PNG of the proof spreads of ``pdf``, ``columns`` spreads to a row."""
    spreads = proof_spreads(pdf, spread_count)
    shown = sorted({number for spread in spreads for number in spread.pages})
    folios = printed_folios(pdf, shown)
    document = pdfium.PdfDocument(pdf)
    try:
        thumbnails = {number: _thumbnail(document, number, page_height_px) for number in shown}
    finally:
        document.close()
    labels = {number: _label(folios[number], number, spread.caption.get(number))
              for spread in spreads for number in spread.pages}
    page_width_px = max((image.width for image in thumbnails.values()), default=page_height_px)
    return _compose(spreads, thumbnails, labels, columns, page_width_px, page_height_px)


def _label(folio: str | None, number: int, caption: str | None) -> str:
    """"p. iii" for a page that prints its folio; a blank or title page, which prints none, is
    named by its place in the file instead, so that no label passes for a printed number."""
    label = f"p. {folio}" if folio else f"(sheet {number}, no folio)"
    return f"{label} - {caption}" if caption else label


def _thumbnail(document: pdfium.PdfDocument, number: int, height_px: int) -> Image.Image:
    page = document[number - 1]
    scale = height_px / page.get_height()
    image: Image.Image = page.render(scale=scale, draw_annots=False).to_pil().convert("RGB")
    page.close()
    return image


def _compose(
    spreads: list[ProofSpread], thumbnails: dict[int, Image.Image], labels: dict[int, str],
    columns: int, page_width: int, page_height: int,
) -> bytes:
    rows = (len(spreads) + columns - 1) // columns
    cell_w, cell_h = 2 * page_width + GAP_PX, page_height + LABEL_PX + GAP_PX
    sheet = Image.new("RGB", (columns * cell_w + GAP_PX, rows * cell_h + GAP_PX), BACKGROUND)
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.load_default()
    for index, spread in enumerate(spreads):
        x = GAP_PX + (index % columns) * cell_w
        y = GAP_PX + (index // columns) * cell_h
        for side, number in enumerate((spread.left, spread.right)):
            if number is None:
                continue
            left = x + side * page_width
            sheet.paste(thumbnails[number], (left, y))
            draw.rectangle(
                (left, y, left + page_width - 1, y + page_height - 1), outline=EDGE
            )
            label = labels[number]
            text_width = draw.textlength(label, font=font)
            label_x = left + 4 if side == 0 else left + page_width - 4 - int(text_width)
            draw.text((label_x, y + page_height + 3), label, fill=LABEL, font=font)
    buffer = io.BytesIO()
    # No pnginfo, no tIME chunk: Pillow adds neither unless asked, so bytes follow pixels.
    sheet.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
