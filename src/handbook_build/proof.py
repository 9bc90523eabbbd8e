"""Proof sheet: the first pages of a print PDF as facing-page spreads -> one PNG (deterministic).

Page 1 is a right-hand page, so the first spread is a blank left and page 1; then 2|3, 4|5...
Seeing spreads is how one checks that the note column sits on the outside of both pages and
that chapters open on the right. Pages are rasterised with pdfium; the PNG is written by Pillow
without text chunks or timestamps, so the same PDF gives the same bytes.
"""

from __future__ import annotations

import io

import pypdfium2 as pdfium
from PIL import Image, ImageDraw, ImageFont

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


def render_proof(
    pdf: bytes, spread_count: int = 6, columns: int = 3, page_height_px: int = 330
) -> bytes:
    """A PNG of the first spreads of ``pdf``, ``columns`` spreads to a row."""
    document = pdfium.PdfDocument(pdf)
    try:
        spreads = spreads_of(len(document), spread_count)
        thumbnails = {
            number: _thumbnail(document, number, page_height_px)
            for spread in spreads
            for number in spread
            if number is not None
        }
    finally:
        document.close()
    page_width_px = max((image.width for image in thumbnails.values()), default=page_height_px)
    return _compose(spreads, thumbnails, columns, page_width_px, page_height_px)


def _thumbnail(document: pdfium.PdfDocument, number: int, height_px: int) -> Image.Image:
    page = document[number - 1]
    scale = height_px / page.get_height()
    image: Image.Image = page.render(scale=scale, draw_annots=False).to_pil().convert("RGB")
    page.close()
    return image


def _compose(
    spreads: list[tuple[int | None, int | None]], thumbnails: dict[int, Image.Image],
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
        for side, number in enumerate(spread):
            if number is None:
                continue
            left = x + side * page_width
            sheet.paste(thumbnails[number], (left, y))
            draw.rectangle(
                (left, y, left + page_width - 1, y + page_height - 1), outline=EDGE
            )
            label = f"p. {number}"
            label_x = left + 4 if side == 0 else left + page_width - 4 - 7 * len(label)
            draw.text((label_x, y + page_height + 3), label, fill=LABEL, font=font)
    buffer = io.BytesIO()
    # No pnginfo, no tIME chunk: Pillow adds neither unless asked, so bytes follow pixels.
    sheet.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
