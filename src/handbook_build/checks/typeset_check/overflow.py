"""Overflow: text past the text block or cut by the page edge; rules and borders past the block."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from handbook_build.checks.pdf_layout import PdfText, is_margin_line
from handbook_build.checks.typeset_check.findings import THRESHOLDS, Findings, quoted_tail
from handbook_build.checks.typeset_check.page_boxes import PageBoxes


def check_overflow(text: PdfText, boxes: Sequence[PageBoxes], findings: Findings) -> None:
    slack = THRESHOLDS["overflow_pt"]
    for page in text.pages:
        media = boxes[page.index].media
        x0, y0, x1, y1 = boxes[page.index].page
        # pdftotext coordinates run from the media box's top left corner.
        left, right = x0 - media[0], x1 - media[0]
        top, bottom = media[3] - y1, media[3] - y0
        block = text.block_for(page)
        reported_off = False
        for line in page.lines:
            box = line.box
            # poppler drops the glyphs past the page edge, so a line that reaches the edge
            # (within ``page_edge_pt``) is one the page cuts.
            edge = THRESHOLDS["page_edge_pt"]
            if box.right > right - edge or box.left < left + edge or box.top < top - 0.5 \
                    or box.bottom > bottom + 0.5:
                if not reported_off:
                    findings.add(page.index, "error", "text-off-page",
                                 f"text runs off the page and is cut: {quoted_tail(line)}",
                                 "break long lines (overflow-wrap: anywhere for URLs; "
                                 "white-space: pre-wrap for code)")
                    reported_off = True
                continue
            if block is None or is_margin_line(line, page):
                continue
            if box.top < block.top - slack or box.bottom > block.bottom + slack * 4:
                continue  # not in the text block's band: a margin note, a running element
            past = max(box.right - block.right, block.left - box.left)
            if past > slack:
                findings.add(page.index, "warning", "text-overflow",
                             f"a line runs {past:.0f} pt past the text block: {quoted_tail(line)}",
                             "break it: overflow-wrap: anywhere for long URLs, pre-wrap or a "
                             "smaller size for code, a narrower table")


def check_rules(path: Path, text: PdfText, boxes: Sequence[PageBoxes],
                 findings: Findings) -> None:
    """Rules and borders (vector paths) that start in the text block and run past its edge: a
    wide table's frame, a rule set wider than the measure. Paths lying wholly in a margin are
    decoration placed there on purpose (the print edition's note column) and are left alone."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_raw

    slack = THRESHOLDS["overflow_pt"]
    document = pdfium.PdfDocument(str(path))
    try:
        for page in text.pages:
            block = text.block_for(page)
            if block is None:
                continue
            media_left = boxes[page.index].media[0]
            worst = 0.0
            for obj in document[page.index].get_objects(
                    filter=[pdfium_raw.FPDF_PAGEOBJ_PATH], max_depth=4):
                left, _, right, _ = obj.get_bounds()
                left, right = left - media_left, right - media_left
                starts_inside = block.left - slack <= left <= block.right
                ends_inside = block.left <= right <= block.right + slack
                if starts_inside and right > block.right + slack:
                    worst = max(worst, right - block.right)
                elif ends_inside and left < block.left - slack:
                    worst = max(worst, block.left - left)
            if worst:
                findings.add(page.index, "warning", "rule-overflow",
                             f"a rule or border runs {worst:.0f} pt past the text block",
                             "a table or box wider than the measure: set width: 100% and "
                             "table-layout: fixed, or a smaller size")
    finally:
        document.close()
