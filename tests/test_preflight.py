"""Preflight: rules measured on small PDFs made for the purpose."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from PIL import Image

from handbook_build.pod import get_profile
from handbook_build.preflight import Layout, Preflight, run_preflight

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
    report = run_preflight(_pdf(tmp_path, body), get_profile("none"), Layout((6, 9), 1, 0, 1.0))
    check = next(c for c in report.checks if c.rule == "image-resolution")
    assert not check.passed
    assert [image["ppi"] for image in check.figures["images"]] == [12, 375]
    assert check.figures["below"] == [
        {"page": 1, "pixels": [50, 50], "printed_in": [4.0, 4.0], "ppi": 12}
    ]


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
