"""The wraparound cover: spine width from the page count, spine text rule, folds, barcode zone."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
from pathlib import Path

import pypdf
import pypdfium2 as pdfium
import pytest

from handbook_build.model import Metadata, frozen_mapping
from handbook_build.render.cover_pdf import Cover, cover_geometry, render_cover
from handbook_build.render.pod import Paper, PodProfile, get_profile

pytest.importorskip("weasyprint")

STYLES_DIR = Path(__file__).resolve().parent.parent / "styles"
METADATA = Metadata(
    title="The Peeragogy Handbook",
    subtitle="A resource for self-organized learning",
    authors=("Joseph Corneli", "Charles Jeffrey Danoff"),
    edition="3.0",
    publisher="PubDomEd",
    date=dt.date(2016, 1, 15),
    blurb="Peer learning, organised.\n\nA field guide for people who learn together.",
    identifiers=frozen_mapping({"print": "978-0-0000000-0-0"}),
)
TRIM = (6.0, 9.0)


def _render(profile: PodProfile, pages: int, paper: Paper = "white") -> Cover:
    return render_cover(METADATA, profile, paper, TRIM, pages, STYLES_DIR, (STYLES_DIR,))


def _text_rects(pdf: bytes) -> list[tuple[float, float, float, float]]:
    page = pdfium.PdfDocument(pdf)[0]
    text = page.get_textpage()
    return [text.get_rect(i) for i in range(text.count_rects())]


@pytest.mark.parametrize(("pages", "paper"), [(300, "white"), (452, "cream"), (120, "color")])
def test_spine_width_is_pages_times_paper_thickness(pages: int, paper: str) -> None:
    factors = {"white": 0.002252, "cream": 0.0025, "color": 0.002347}
    geometry = cover_geometry(METADATA, get_profile("kdp"), paper, TRIM, pages)  # type: ignore[arg-type]
    assert geometry.spine_width_in == pytest.approx(pages * factors[paper])
    assert geometry.page_in == pytest.approx(
        (2 * 6 + pages * factors[paper] + 0.25, 9 + 0.25)
    )


def test_spine_text_only_from_the_profiles_page_count() -> None:
    kdp = get_profile("kdp")
    assert not cover_geometry(METADATA, kdp, "white", TRIM, 78).has_spine_text
    thin = cover_geometry(METADATA, kdp, "white", TRIM, 79)
    assert not thin.has_spine_text and "under" in thin.spine_text_reason  # 0.178 in: too thin
    assert cover_geometry(METADATA, kdp, "white", TRIM, 200).has_spine_text


def test_cover_pdf_size_spine_text_clear_of_folds_and_empty_barcode_zone() -> None:
    cover = _render(get_profile("kdp"), 300)
    page = pdfium.PdfDocument(cover.pdf)[0]
    x0, y0, x1, y1 = page.get_trimbox()
    assert ((x1 - x0) / 72, (y1 - y0) / 72) == pytest.approx((12 + 300 * 0.002252, 9), abs=0.01)
    media = page.get_mediabox()
    assert (media[2] - media[0]) / 72 == pytest.approx(12.6756 + 0.25, abs=0.01)
    spine_left, spine_right = 6 * 72, (6 + 300 * 0.002252) * 72
    on_spine = [r for r in _text_rects(cover.pdf) if r[2] > spine_left and r[0] < spine_right]
    assert on_spine, "a 300-page book carries its title on the spine"
    clearance = 0.0625 * 72
    for left, _bottom, right, _top in on_spine:
        assert left >= spine_left + clearance - 0.5 and right <= spine_right - clearance + 0.5
    # Barcode zone: 2 x 1.2 in at the bottom right of the back cover, 0.25 in from the edges.
    zone = (6 * 72 - 0.25 * 72 - 2 * 72, 0.25 * 72, 6 * 72 - 0.25 * 72, 0.25 * 72 + 1.2 * 72)
    for left, bottom, right, top in _text_rects(cover.pdf):
        assert right < zone[0] or left > zone[2] or top < zone[1] or bottom > zone[3]


def test_thin_book_has_no_spine_text() -> None:
    cover = _render(get_profile("kdp"), 60)
    spine_left, spine_right = 6 * 72, (6 + 60 * 0.002252) * 72
    assert not [r for r in _text_rects(cover.pdf) if r[2] > spine_left and r[0] < spine_right]


@pytest.mark.parametrize("variant", ["pdf/x-1a", "pdf/x-4"])
def test_pdfx_cover_is_byte_identical(variant: str) -> None:
    profile = dataclasses.replace(get_profile("ingramspark"), pdf_variant=variant)
    first, second = _render(profile, 200, "cream"), _render(profile, 200, "cream")
    assert first.pdf == second.pdf
    reader = pypdf.PdfReader(io.BytesIO(first.pdf))
    assert "/OutputIntents" in reader.trailer["/Root"]
    metadata = reader.trailer["/Root"]["/Metadata"].get_object().get_data()
    if variant == "pdf/x-4":
        assert b"xmp.did:" in metadata  # present, and fixed by pod.fixed_document_id
