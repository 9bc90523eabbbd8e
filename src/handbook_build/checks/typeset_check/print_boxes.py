"""For print: the trim and bleed boxes, one trim size, and what a PDF/X claim requires."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from handbook_build.checks.pdf_images import PlacedImage
from handbook_build.checks.typeset_check.findings import THRESHOLDS, Findings
from handbook_build.checks.typeset_check.page_boxes import PageBoxes, PdfXClaim


def check_print_boxes(boxes: Sequence[PageBoxes], claims_pdfx: bool, findings: Findings) -> None:
    no_trim = [i for i, b in enumerate(boxes) if b.trim is None]
    if no_trim:
        findings.add(no_trim[0], "error" if claims_pdfx else "warning", "print-no-trim",
                     f"{len(no_trim)} page(s) have no /TrimBox"
                     + (", which PDF/X requires" if claims_pdfx else ""),
                     "a printer reads the finished size from the trim box: set bleed in @page")
    sizes = Counter(_size(b.page) for b in boxes)
    if len(sizes) > 1:
        usual = sizes.most_common(1)[0][0]
        odd = [i for i, b in enumerate(boxes) if _size(b.page) != usual]
        findings.add(odd[0], "error", "print-trim-size",
                     f"{len(odd)} page(s) differ from the book's trim {usual[0]:.0f}x"
                     f"{usual[1]:.0f} pt", "every interior page must have the same trim")
    bleed_needed = THRESHOLDS["bleed_pt"]
    for index, box in enumerate(boxes):
        if box.trim is None:
            continue
        outer = box.bleed or box.media
        margins = (box.trim[0] - outer[0], box.trim[1] - outer[1], outer[2] - box.trim[2],
                   outer[3] - box.trim[3])
        if max(margins) > 0 and min(margins) < bleed_needed - 0.5:
            findings.add(index, "warning", "print-bleed",
                         f"the bleed is {min(margins):.1f} pt on one edge, less than "
                         f"{bleed_needed:.0f} pt (0.125 in)",
                         "set @page { bleed: 0.125in } for art that runs to the edge")
            break


def check_pdfx(pdfx: PdfXClaim, images: Sequence[PlacedImage], findings: Findings) -> None:
    """A file that claims PDF/X must carry what a press reads: the output intent with its ICC
    profile, and, for PDF/X-1a, no RGB image (X-1a is CMYK and grey only)."""
    if not pdfx.claimed:
        return
    if not pdfx.has_intent or not pdfx.has_profile:
        findings.add(None, "error", "print-pdfx",
                     f"the file claims {pdfx.version or 'PDF/X'} but has no GTS_PDFX output "
                     "intent with an ICC profile", "set @color-profile and the pdf/x variant "
                     "in WeasyPrint (toolchain-facts.md)")
    if pdfx.version.upper().startswith("PDF/X-1"):
        for image in images:
            if image.color_space in ("DeviceRGB", "CalRGB"):
                findings.add(image.page_index, "error", "print-pdfx",
                             f"image {image.name} is {image.color_space} in a "
                             f"{pdfx.version} file, which allows CMYK and grey only",
                             "convert the image to CMYK or choose PDF/X-4")


def _size(box: tuple[float, float, float, float]) -> tuple[float, float]:
    return (round(box[2] - box[0], 1), round(box[3] - box[1], 1))
