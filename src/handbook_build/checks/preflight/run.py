"""Every rule run on one print PDF."""

from __future__ import annotations

import io

import pypdf
import pypdfium2 as pdfium

from handbook_build.checks.pdf_images import placed_images
from handbook_build.checks.preflight.fonts import check_fonts, check_glyphs
from handbook_build.checks.preflight.geometry import (
    check_gutter,
    check_outside_margins,
    check_page_count,
    check_trim,
    measure_pages,
)
from handbook_build.checks.preflight.images import ImageSources, check_image_data, check_images
from handbook_build.checks.preflight.pdfx_rules import (
    check_annotations,
    check_colour,
    check_transparency,
    check_variant,
)
from handbook_build.checks.preflight.results import Layout, Preflight
from handbook_build.render.pod import PodProfile


def run_preflight(pdf: bytes, profile: PodProfile, layout: Layout,
                  image_sources: ImageSources | None = None) -> Preflight:
    """Check ``pdf`` against ``profile``; never raises for a failed rule (``--strict`` decides).

    ``image_sources`` (pixel size -> source files) lets a finding name the picture to replace.
    """
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    images = placed_images(pdf)
    sources = image_sources or {}
    document = pdfium.PdfDocument(pdf)
    try:
        measured = measure_pages(document)
    finally:
        document.close()
    checks = (
        check_trim(reader, profile, layout),
        check_page_count(len(reader.pages), profile, layout),
        check_gutter(measured, profile, layout),
        check_outside_margins(measured, profile),
        check_fonts(reader),
        check_glyphs(pdf),
        check_image_data(images, sources),
        check_images(images, sources),
        check_transparency(reader, profile),
        check_colour(reader, profile),
        check_annotations(reader),
        check_variant(reader, profile),
    )
    return Preflight(profile=profile.name, checks=checks)
