"""Proof sheet: spreads of the first pages, deterministic PNG."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from handbook_build.proof import render_proof, spreads_of

weasyprint = pytest.importorskip("weasyprint")


def test_first_spread_is_page_one_alone_on_the_right() -> None:
    assert spreads_of(7, 6) == [(None, 1), (2, 3), (4, 5), (6, 7)]
    assert spreads_of(4, 6) == [(None, 1), (2, 3), (4, None)]
    assert spreads_of(40, 3) == [(None, 1), (2, 3), (4, 5)]
    assert spreads_of(0, 3) == [(None, None)]


def _pdf(pages: int) -> bytes:
    css = "@page { size: 6in 9in; margin: 1in } p { break-after: page }"
    body = "".join(f"<p>Page {n}</p>" for n in range(1, pages + 1))
    html = f"<html><head><style>{css}</style></head><body>{body}</body></html>"
    pdf: bytes = weasyprint.HTML(string=html).write_pdf()
    return pdf


def test_proof_png_is_deterministic_and_shaped_as_spreads() -> None:
    pdf = _pdf(5)
    first = render_proof(pdf, spread_count=3, columns=3, page_height_px=90)
    second = render_proof(pdf, spread_count=3, columns=3, page_height_px=90)
    assert first == second
    image = Image.open(io.BytesIO(first))
    assert image.format == "PNG"
    assert image.size == (3 * (2 * 60 + 28) + 28, 90 + 18 + 28 + 28)
    assert not {"date", "tIME", "Creation Time"} & set(image.info)
    # The first spread's left half is empty background; page 1 sits on the right.
    assert image.getpixel((28 + 30, 28 + 45)) == (222, 222, 218)
    assert image.getpixel((28 + 60 + 30, 28 + 45)) == (255, 255, 255)
