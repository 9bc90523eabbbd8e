"""Preflight: rules measured on small PDFs made for the purpose."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from PIL import Image

from handbook_build.checks.preflight import Layout, Preflight, run_preflight
from handbook_build.render.pod import get_profile

weasyprint = pytest.importorskip("weasyprint")

PAGE_CSS = "@page { size: 6in 9in; margin: 1in } body { margin: 0 } a { color: black }"


def _pdf(tmp_path: Path, body: str, css: str = PAGE_CSS) -> bytes:
    head = f'<meta charset="utf-8"><style>{css}</style>'
    html = f"<html><head>{head}</head><body>{body}</body></html>"
    pdf: bytes = weasyprint.HTML(string=html, base_url=str(tmp_path) + "/").write_pdf()
    return pdf


def _check(report: Preflight, rule: str) -> bool:
    return next(check.passed for check in report.checks if check.rule == rule)


def test_a_clean_two_page_file_passes(tmp_path: Path) -> None:
    pdf = _pdf(tmp_path, "<p>One</p><p style='break-before: page'>Two</p>")
    profile = dataclasses.replace(get_profile("kdp"), min_pages=2)
    report = run_preflight(pdf, profile, Layout((6, 9), 2, 0, 1.0))
    assert report.passed, report.to_json()
    assert json.loads(report.to_json())["passed"] is True


def test_low_resolution_image_is_listed_with_its_ppi(tmp_path: Path) -> None:
    Image.new("RGB", (50, 50), (90, 90, 90)).save(tmp_path / "low.png")
    Image.new("L", (1500, 300), 128).save(tmp_path / "good.png")
    body = "<img src='low.png' style='width: 100%'><img src='good.png' style='width: 4in'>"
    sources = {(50, 50): ("pictures/low.png",)}
    report = run_preflight(_pdf(tmp_path, body), get_profile("none"), Layout((6, 9), 1, 0, 1.0),
                           sources)
    check = next(c for c in report.checks if c.rule == "image-resolution")
    assert not check.passed
    assert [image["ppi"] for image in check.figures["images"]] == [12, 375]
    low = {"page": 1, "pixels": [50, 50], "printed_in": [4.0, 4.0], "ppi": 12,
           "source": "pictures/low.png"}
    assert check.figures["below"] == check.figures["below_minimum"] == [low]
    ((severity, text, hint),) = check.findings
    assert severity == "warning"  # the build goes on; the preflight fails, --strict stops
    assert text == ("p. 1: image pictures/low.png (50x50 px) prints 4.00 in wide at 12 ppi "
                    "(error: below 150 ppi)")
    assert hint.startswith("replace pictures/low.png with one at least 1200 px wide")


def test_an_image_between_150_and_300_ppi_is_a_warning_only(tmp_path: Path) -> None:
    Image.new("RGB", (400, 100), (90, 30, 90)).save(tmp_path / "web.png")
    report = run_preflight(_pdf(tmp_path, "<img src='web.png' style='width: 2in'>"),
                           get_profile("none"), Layout((6, 9), 1, 0, 1.0))
    check = next(c for c in report.checks if c.rule == "image-resolution")
    assert check.passed, check.detail
    assert [entry["ppi"] for entry in check.figures["below"]] == [200]
    assert check.figures["below_minimum"] == []
    assert "(warning: below 300 ppi)" in check.findings[0][1]
    assert "replace the picture with one at least 600 px wide" in check.findings[0][2]


def test_a_mislabelled_image_fails_the_preflight(tmp_path: Path) -> None:
    import io

    import pikepdf

    buffer = io.BytesIO()
    Image.new("RGB", (120, 60), (200, 10, 10)).save(buffer, format="JPEG")
    clean = _pdf(tmp_path, "<p>text</p>")
    with pikepdf.open(io.BytesIO(clean)) as document:
        image = pikepdf.Stream(document, buffer.getvalue())
        image.Type, image.Subtype = pikepdf.Name.XObject, pikepdf.Name.Image
        image.Width, image.Height, image.BitsPerComponent = 120, 60, 8
        image.ColorSpace, image.Filter = pikepdf.Name.DeviceGray, pikepdf.Name.DCTDecode
        page = document.pages[0]
        page.Resources.XObject = pikepdf.Dictionary(Bad=image)
        page.contents_add(pikepdf.Stream(document, b"q 120 0 0 60 72 72 cm /Bad Do Q"))
        out = io.BytesIO()
        document.save(out)
    report = run_preflight(out.getvalue(), get_profile("none"), Layout((6, 9), 1, 0, 1.0),
                           {(120, 60): ("pictures/red.jpg",)})
    check = next(c for c in report.checks if c.rule == "image-data")
    assert not check.passed and not report.passed
    (entry,) = check.figures["mislabelled"]
    assert entry["source"] == "pictures/red.jpg" and entry["page"] == 1
    assert entry["problem"] == "JPEG has 3 components, /ColorSpace says 1 (DeviceGray)"
    assert check.findings[0][0] == "error"
    assert json.loads(report.to_json())["passed"] is False
    clean_report = run_preflight(clean, get_profile("none"), Layout((6, 9), 1, 0, 1.0))
    assert next(c for c in clean_report.checks if c.rule == "image-data").passed


def test_links_odd_count_and_narrow_gutter_fail(tmp_path: Path) -> None:
    body = "<p style='margin-left: -0.8in'>close to the spine <a href='https://example.org'>x</a></p>"
    report = run_preflight(_pdf(tmp_path, body), get_profile("kdp"), Layout((6, 9), 1, 0, 1.0))
    assert not _check(report, "no-annotations")
    assert not _check(report, "page-count")  # 1 page: under KDP's 24 and odd
    assert not _check(report, "gutter")  # text 0.2 in from the spine, 0.375 in required
    assert _check(report, "fonts-embedded")


def test_wrong_trim_is_caught(tmp_path: Path) -> None:
    pdf = _pdf(tmp_path, "<p>x</p>", PAGE_CSS.replace("6in 9in", "letter"))
    report = run_preflight(pdf, get_profile("none"), Layout((6, 9), 1, 0, 1.0))
    assert not _check(report, "trim-size")


def test_pdf_x1a_rules_catch_rgb_and_transparency(tmp_path: Path) -> None:
    body = "<p style='color: rgb(200, 0, 0); opacity: 0.5'>red and see-through</p>"
    profile = dataclasses.replace(get_profile("ingramspark"), min_pages=1, bleed_in=0)
    report = run_preflight(_pdf(tmp_path, body), profile, Layout((6, 9), 1, 0, 1.0))
    assert not _check(report, "colour-space")
    assert not _check(report, "transparency")
    assert not _check(report, "pdf-variant")  # a plain PDF, no output intent
