"""Images: garbled data, resolution below the profile's, placed off the page or the text block."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from handbook_build.checks.pdf_images import PlacedImage
from handbook_build.checks.pdf_layout import PdfText
from handbook_build.checks.typeset_check.findings import THRESHOLDS, Findings, Profile
from handbook_build.checks.typeset_check.page_boxes import PageBoxes
from handbook_build.model import Severity


def check_images(images: Sequence[PlacedImage], profile: Profile, boxes: Sequence[PageBoxes],
                  text: PdfText | None, findings: Findings,
                  image_files: Mapping[tuple[int, int], str]) -> None:
    warn_below = THRESHOLDS[f"{profile}_ppi_warning"]
    error_below = THRESHOLDS[f"{profile}_ppi_error"]
    slack = THRESHOLDS["image_outside_pt"]
    for image in images:
        source = image_files.get((image.width_px, image.height_px))
        what = f"image {image.name}" if image.name else "an image"
        what += f" ({source})" if source else ""
        size = f"{image.width_px}x{image.height_px} px"
        if not image.decodes:
            findings.add(image.page_index, "error", "image-garbled",
                         f"{what} ({size}, {image.filter or 'raw'}) does not decode as its "
                         f"/ColorSpace says: {image.problem}",
                         "a viewer draws noise or a black box; the renderer relabelled the "
                         "stream: rebuild with a fixed renderer or convert the source image")
        if image.in_pattern:
            continue  # a tile of a background (the note column's ruling), not a figure
        ppi = round(image.ppi)  # 299.97 is the 300 ppi the renderer aimed at
        if ppi < warn_below:
            severity: Severity = "error" if ppi < error_below else "warning"
            limit = error_below if severity == "error" else warn_below
            findings.add(image.page_index, severity, "image-low-resolution",
                         f"{what} ({size}) is printed at {image.ppi:.0f} ppi, below "
                         f"{limit:.0f} for {profile}",
                         f"replace it with a larger original (at least "
                         f"{_pixels_needed(image, warn_below)} px wide) or set it smaller")
        page = boxes[image.page_index].page if image.page_index < len(boxes) else None
        if page is None:
            continue
        left, bottom, right, top = image.bbox_pt
        px0, py0, px1, py1 = page
        if left < px0 - slack or right > px1 + slack or bottom < py0 - slack or top > py1 + slack:
            findings.add(image.page_index, "error", "image-off-page",
                         f"{what} runs off the page (placed at {_pt_box(image.bbox_pt)}, the "
                         f"page is {_pt_box(page)})",
                         "give it max-width: 100% or a smaller size in the style sheet")
            continue
        block = text.block_for(text.pages[image.page_index]) if text else None
        if block is not None and text is not None:
            # pdftotext measures from the top left of the media box; images from the bottom left.
            media_left = boxes[image.page_index].media[0]
            x0, x1 = left - media_left, right - media_left
            if x0 < block.left - slack or x1 > block.right + slack:
                findings.add(image.page_index, "warning", "image-outside-text-block",
                             f"{what} reaches outside the text block (x {x0:.0f}-{x1:.0f} pt; "
                             f"the block is {block.left:.0f}-{block.right:.0f} pt)",
                             "limit figures to the text width (max-width: 100%)")


def _pixels_needed(image: PlacedImage, ppi: float) -> int:
    width_in = (image.bbox_pt[2] - image.bbox_pt[0]) / 72.0
    return max(1, round(width_in * ppi))


def _pt_box(box: tuple[float, float, float, float]) -> str:
    return "[" + " ".join(f"{v:.0f}" for v in box) + "] pt"
