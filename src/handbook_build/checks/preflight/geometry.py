"""The pages as a printer measures them: trim size, page count, the gutter and the outside
margins, from the page boxes and the text drawn on each page."""

from __future__ import annotations

from dataclasses import dataclass

import pypdf
import pypdfium2 as pdfium

from handbook_build.checks.preflight.results import Check, Layout, frozen_mapping_any
from handbook_build.render.pod import PodProfile

POINTS_PER_INCH = 72.0


# Half a point: WeasyPrint lays text out in CSS pixels, so exact edges come back as x.xxx pt.
TOLERANCE_IN = 0.5 / POINTS_PER_INCH


@dataclass(frozen=True, slots=True)
class PageMeasure:
    number: int
    inner_in: float  # closest text to the spine-side trim edge (inf on a blank page)
    outside_in: float  # closest text to the outside, top or bottom trim edge


def measure_pages(document: pdfium.PdfDocument) -> list[PageMeasure]:
    pages = []
    for index in range(len(document)):
        page = document[index]
        left, bottom, right, top = page.get_trimbox()
        text = page.get_textpage()
        rects = [text.get_rect(i) for i in range(text.count_rects())]
        is_recto = index % 2 == 0  # page 1 is a right-hand page: its spine is on the left
        inner = [(r[0] - left) if is_recto else (right - r[2]) for r in rects]
        outer = [
            min((right - r[2]) if is_recto else (r[0] - left), top - r[3], r[1] - bottom)
            for r in rects
        ]
        pages.append(
            PageMeasure(
                number=index + 1,
                inner_in=min(inner, default=float("inf")) / POINTS_PER_INCH,
                outside_in=min(outer, default=float("inf")) / POINTS_PER_INCH,
            )
        )
    return pages


def check_trim(reader: pypdf.PdfReader, profile: PodProfile, layout: Layout) -> Check:
    width_in, height_in = layout.trim_in
    wrong = []
    for number, page in enumerate(reader.pages, start=1):
        trim = page.trimbox
        size = (float(trim.width) / 72, float(trim.height) / 72)
        if abs(size[0] - width_in) > TOLERANCE_IN or abs(size[1] - height_in) > TOLERANCE_IN:
            wrong.append(number)
    first = reader.pages[0]
    media = (float(first.mediabox.width) / 72, float(first.mediabox.height) / 72)
    bleed_sides = 2 if profile.bleed_spine_side else 1
    expected = (width_in + bleed_sides * profile.bleed_in, height_in + 2 * profile.bleed_in)
    media_ok = all(abs(a - b) <= TOLERANCE_IN for a, b in zip(media, expected, strict=True))
    return Check(
        "trim-size",
        not wrong and media_ok,
        f"trim {width_in:g} x {height_in:g} in, page {media[0]:.3f} x {media[1]:.3f} in "
        f"(bleed {profile.bleed_in:g} in)"
        + (f"; wrong trim on pages {wrong[:10]}" if wrong else ""),
        frozen_mapping_any(
            trim_in=[width_in, height_in], page_in=[round(media[0], 4), round(media[1], 4)],
            expected_page_in=[round(expected[0], 4), round(expected[1], 4)],
            bleed_in=profile.bleed_in, pages_with_wrong_trim=wrong,
        ),
    )


def check_page_count(count: int, profile: PodProfile, layout: Layout) -> Check:
    in_range = profile.min_pages <= count <= profile.max_pages
    multiple_ok = count % profile.page_multiple == 0
    return Check(
        "page-count",
        in_range and multiple_ok and count == layout.page_count,
        f"{count} pages ({layout.padding_pages} blank pages of padding); the service takes "
        f"{profile.min_pages}-{profile.max_pages} pages, a multiple of {profile.page_multiple}",
        frozen_mapping_any(
            page_count=count, padding_pages=layout.padding_pages, min_pages=profile.min_pages,
            max_pages=profile.max_pages, page_multiple=profile.page_multiple,
        ),
    )


def check_gutter(pages: list[PageMeasure], profile: PodProfile, layout: Layout) -> Check:
    required = profile.gutter_for(len(pages))
    closest = min((page.inner_in for page in pages), default=float("inf"))
    offenders = [page.number for page in pages if page.inner_in + TOLERANCE_IN < required]
    return Check(
        "gutter",
        layout.gutter_in + TOLERANCE_IN >= required and not offenders,
        f"inside margin {layout.gutter_in:g} in, {required:g} in required for {len(pages)} "
        f"pages; closest text to the spine {_inches(closest)}",
        frozen_mapping_any(
            gutter_in=layout.gutter_in, required_in=required, page_count=len(pages),
            closest_text_in=_rounded(closest), pages_too_close=offenders[:20],
        ),
    )


def check_outside_margins(pages: list[PageMeasure], profile: PodProfile) -> Check:
    required = profile.min_outside_margin()
    closest = min((page.outside_in for page in pages), default=float("inf"))
    offenders = [page.number for page in pages if page.outside_in + TOLERANCE_IN < required]
    return Check(
        "outside-margins",
        not offenders,
        f"text at least {_inches(closest)} from the outside, top and bottom trim; "
        f"{required:g} in required",
        frozen_mapping_any(
            required_in=required, closest_text_in=_rounded(closest),
            pages_too_close=offenders[:20],
        ),
    )


def _inches(value: float) -> str:
    return "n/a (no text)" if value == float("inf") else f"{value:.3f} in"


def _rounded(value: float) -> float | None:
    return None if value == float("inf") else round(value, 4)
