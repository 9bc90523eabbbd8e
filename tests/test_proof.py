"""Proof sheet: spreads of the first pages, deterministic PNG."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from handbook_build.render.proof import render_proof, spreads_of

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


# --- what the sheet shows: the first picture, the first footnote, printed folios ----------------


def _book_pdf() -> bytes:
    """Ten pages: two front pages with roman folios, then arabic ones; a PNG on page 6, a
    footnote on page 9 (the numbered line of page 4 is body text, not a note)."""
    import base64

    png = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(png, "PNG")
    src = "data:image/png;base64," + base64.b64encode(png.getvalue()).decode()
    css = """
      @page { size: 6in 9in; margin: 1in; @bottom-center { content: counter(page); } }
      @page front { @bottom-center { content: counter(page, lower-roman); } }
      .front { page: front }
      p { break-after: page; font-size: 11pt } .fn { float: footnote; font-size: 8pt }
    """
    pages = [f'<p class="front">Front {n}</p>' for n in (1, 2)]
    pages += ["<p>Body 1</p>", "<p>1. A numbered line in body type.</p>"]
    pages += ["<p>Body 3</p>", f'<p>A picture <img src="{src}"></p>', "<p>Body 5</p>"]
    pages += ["<p>Body 6</p>", '<p>Noted<span class="fn">The first footnote.</span></p>']
    pages += ["<p>Body 8</p>"]
    html = f"<html><head><style>{css}</style></head><body>{''.join(pages)}</body></html>"
    pdf: bytes = weasyprint.HTML(string=html).write_pdf()
    return pdf


def test_page_facts_find_the_first_picture_footnote_and_printed_folios() -> None:
    from handbook_build.checks.page_facts import (
        first_footnote_page,
        first_image_page,
        printed_folios,
    )

    pdf = _book_pdf()
    assert first_image_page(pdf) == 6
    assert first_footnote_page(pdf) == 9
    folios = printed_folios(pdf)
    assert folios[1] == "i" and folios[2] == "ii"  # as printed: roman, then the page counter
    assert [folios[n] for n in range(3, 11)] == [str(n) for n in range(3, 11)]
    assert printed_folios(_pdf(3)) == {1: None, 2: None, 3: None}  # nothing printed


def test_page_labels_win_over_printed_numbers() -> None:
    from pypdf import PdfWriter
    from pypdf.constants import PageLabelStyle

    from handbook_build.checks.page_facts import printed_folios

    writer = PdfWriter(clone_from=io.BytesIO(_book_pdf()))
    writer.set_page_label(0, 1, style=PageLabelStyle.UPPERCASE_ROMAN)
    writer.set_page_label(2, 9, style=PageLabelStyle.DECIMAL, start=10)
    out = io.BytesIO()
    writer.write(out)
    assert printed_folios(out.getvalue(), [1, 3, 10]) == {1: "I", 3: "10", 10: "17"}


def test_the_sheet_adds_the_spreads_of_the_first_picture_and_footnote() -> None:
    from handbook_build.render.proof import _label, pages_shown, proof_spreads

    pdf = _book_pdf()
    spreads = proof_spreads(pdf, spread_count=2)
    assert [(s.left, s.right) for s in spreads] == [(None, 1), (2, 3), (6, 7), (8, 9)]
    assert spreads[2].caption == {6: "first picture"}
    assert spreads[3].caption == {9: "first footnote"}
    assert pages_shown(pdf, spread_count=2) == {1, 2, 3, 6, 7, 8, 9}
    # Already among the first spreads: captioned there, not shown twice.
    wide = proof_spreads(pdf, spread_count=6)
    assert [(s.left, s.right) for s in wide] == [(None, 1), (2, 3), (4, 5), (6, 7), (8, 9),
                                                  (10, None)]
    assert wide[3].caption == {6: "first picture"}
    assert _label("iii", 3, None) == "p. iii"
    assert _label("4", 8, "first picture") == "p. 4 - first picture"
    assert _label(None, 1, None) == "(sheet 1, no folio)"
    sheet = Image.open(io.BytesIO(render_proof(pdf, spread_count=2, columns=2,
                                               page_height_px=90)))
    assert sheet.size == (2 * (2 * 60 + 28) + 28, 2 * (90 + 18 + 28) + 28)
