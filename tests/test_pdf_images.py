"""pdf_images: placements, effective resolution and the decode check, on PDFs made here.

WeasyPrint lays out small HTML pages with Pillow-made pictures at known CSS sizes; pikepdf builds
the defects WeasyPrint does not make (colour data under a grey label, a short stream, images in
a scaled form XObject). Figures are cross-checked with poppler's ``pdfimages -list``.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import zlib
from pathlib import Path

import pikepdf
import pytest
from PIL import Image

from handbook_build.checks.pdf_images import (
    PlacedImage,
    iter_problems,
    mislabelled,
    placed_images,
)
from handbook_build.checks.pdf_images.jpeg import jpeg_frame


def _jpeg(width: int, height: int, mode: str = "RGB") -> bytes:
    image = Image.new(mode, (width, height), (200, 40, 40) if mode == "RGB" else 90)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


def _png(width: int, height: int, mode: str) -> bytes:
    colours = {"RGB": (20, 120, 220), "RGBA": (20, 200, 60, 128), "L": 140}
    image = Image.new(mode, (width, height), colours[mode])
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def weasy_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two pages: a 600-px colour JPEG at 2 in and an RGBA PNG at 1 in; a grey PNG at 3 in."""
    from weasyprint import HTML

    folder = tmp_path_factory.mktemp("weasy")
    (folder / "photo.jpg").write_bytes(_jpeg(600, 300))
    (folder / "alpha.png").write_bytes(_png(150, 150, "RGBA"))
    (folder / "grey.png").write_bytes(_png(300, 200, "L"))
    html = """<html><head><style>@page { size: 6in 9in; margin: 1in }
      body { margin: 0 } img { display: block }</style></head><body>
      <img src="photo.jpg" style="width: 2in">
      <img src="alpha.png" style="width: 1in">
      <img src="grey.png" style="width: 3in; break-before: page">
      </body></html>"""
    pdf = folder / "images.pdf"
    HTML(string=html, base_url=folder.as_uri() + "/").write_pdf(pdf)
    return pdf


def test_weasyprint_images_are_placed_where_the_css_put_them(weasy_pdf: Path) -> None:
    images = [image for image in placed_images(weasy_pdf) if not image.in_pattern]
    assert [(i.page_index, i.width_px, i.height_px) for i in images] == [
        (0, 600, 300), (0, 150, 150), (1, 300, 200)
    ]
    photo, alpha, grey = images
    assert photo.size_in == pytest.approx((2.0, 1.0), abs=0.01)
    assert photo.ppi == pytest.approx(300, abs=1)
    assert alpha.ppi == pytest.approx(150, abs=1)
    assert grey.ppi == pytest.approx(100, abs=1)
    # The 1 in page margin: the first image's left edge is 72 pt from the page's left edge.
    assert photo.bbox_pt[0] == pytest.approx(72, abs=0.5)
    assert photo.bbox_pt[3] == pytest.approx(9 * 72 - 72, abs=0.5)  # top, y up


def test_weasyprint_images_decode_as_labelled(weasy_pdf: Path) -> None:
    images = placed_images(weasy_pdf)
    assert images and not mislabelled(images)
    photo, alpha, grey = (image for image in images if not image.in_pattern)
    assert (photo.filter, photo.components, photo.data_components) == ("DCTDecode", 3, 3)
    assert alpha.has_smask and alpha.components == 3
    assert grey.components == 1 and grey.color_space == "DeviceGray"


def _one_image_pdf(image_dict: dict[str, object], data: bytes, path: Path,
                   in_form: bool = False) -> Path:
    """A 4 x 4 in page drawing one image 2 in wide, 1 in high at (1 in, 1 in)."""
    pdf = pikepdf.new()
    stream = pikepdf.Stream(pdf, data)
    for key, value in image_dict.items():
        stream[key if key.startswith("/") else "/" + key] = value
    stream.Type = pikepdf.Name.XObject
    stream.Subtype = pikepdf.Name.Image
    page = pdf.add_blank_page(page_size=(288, 288))
    if in_form:
        # The form scales by 0.5 and its content by 4: the image ends up 2 in wide, 1 in high.
        form = pikepdf.Stream(pdf, b"q 288 0 0 144 0 0 cm /Im0 Do Q")
        form.Type, form.Subtype = pikepdf.Name.XObject, pikepdf.Name.Form
        form.BBox = [0, 0, 288, 288]
        form.Matrix = [0.5, 0, 0, 0.5, 0, 0]
        form.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=stream))
        page.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Fm0=form))
        page.Contents = pikepdf.Stream(pdf, b"q 1 0 0 1 72 72 cm /Fm0 Do Q")
    else:
        page.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=stream))
        page.Contents = pikepdf.Stream(pdf, b"q 144 0 0 72 72 72 cm /Im0 Do Q")
    pdf.save(path)
    return path


def _image_dict(width: int, height: int, space: str, **extra: object) -> dict[str, object]:
    return {"/Width": width, "/Height": height, "/ColorSpace": pikepdf.Name(space),
            "/BitsPerComponent": 8, **extra}


def test_colour_jpeg_under_a_grey_label_is_reported(tmp_path: Path) -> None:
    path = _one_image_pdf(
        _image_dict(200, 100, "/DeviceGray", Filter=pikepdf.Name.DCTDecode),
        _jpeg(200, 100), tmp_path / "jpeg.pdf",
    )
    (image,) = placed_images(path)
    assert not image.decodes
    assert image.problem == "JPEG has 3 components, /ColorSpace says 1 (DeviceGray)"
    assert image.ppi == pytest.approx(100)
    assert image.bbox_pt == (72, 72, 216, 144)
    assert list(iter_problems((image, image))) == [  # one line per distinct image
        "p. 1: /Im0 200x100 px DeviceGray (1) DCTDecode, 2.00x1.00 in, 100 ppi: "
        "JPEG has 3 components, /ColorSpace says 1 (DeviceGray)"
    ]


def test_grey_jpeg_under_a_grey_label_decodes(tmp_path: Path) -> None:
    path = _one_image_pdf(
        _image_dict(200, 100, "/DeviceGray", Filter=pikepdf.Name.DCTDecode),
        _jpeg(200, 100, "L"), tmp_path / "jpeg.pdf",
    )
    (image,) = placed_images(path)
    assert image.decodes and image.problem == "" and image.data_components == 1


def test_rgb_png_rows_under_a_grey_label_are_reported(tmp_path: Path) -> None:
    # What a PNG-predicted RGB stream looks like (filter byte 0 before each row), labelled grey.
    rows = b"".join(b"\x00" + bytes([10, 20, 30]) * 50 for _ in range(40))
    parms = pikepdf.Dictionary(Predictor=15, Colors=3, Columns=50, BitsPerComponent=8)
    path = _one_image_pdf(
        _image_dict(50, 40, "/DeviceGray", Filter=pikepdf.Name.FlateDecode, DecodeParms=parms),
        zlib.compress(rows), tmp_path / "flate.pdf",
    )
    (image,) = placed_images(path)
    assert not image.decodes
    assert image.problem.startswith("data has 3 components, /ColorSpace says 1 (DeviceGray)")
    assert image.data_components == 3


def test_predicted_rgb_png_rows_with_the_right_label_decode(tmp_path: Path) -> None:
    rows = b"".join(b"\x00" + bytes([10, 20, 30]) * 50 for _ in range(40))
    parms = pikepdf.Dictionary(Predictor=15, Colors=3, Columns=50, BitsPerComponent=8)
    path = _one_image_pdf(
        _image_dict(50, 40, "/DeviceRGB", Filter=pikepdf.Name.FlateDecode, DecodeParms=parms),
        zlib.compress(rows), tmp_path / "flate.pdf",
    )
    (image,) = placed_images(path)
    assert image.decodes, image.problem


def test_short_flate_stream_is_reported(tmp_path: Path) -> None:
    path = _one_image_pdf(
        _image_dict(50, 40, "/DeviceRGB", Filter=pikepdf.Name.FlateDecode),
        zlib.compress(bytes(50 * 3 * 20)), tmp_path / "short.pdf",
    )
    (image,) = placed_images(path)
    assert not image.decodes
    assert "3000 bytes of data" in image.problem and "needs 6000" in image.problem


def test_iccbased_takes_its_component_count_from_n(tmp_path: Path) -> None:
    pdf = pikepdf.new()
    profile = pikepdf.Stream(pdf, b"not a real profile")
    profile.N = 3
    space = pikepdf.Array([pikepdf.Name.ICCBased, profile])
    image = pikepdf.Stream(pdf, zlib.compress(bytes(10 * 10 * 3)))
    image.Type, image.Subtype = pikepdf.Name.XObject, pikepdf.Name.Image
    image.Width = image.Height = 10
    image.ColorSpace, image.BitsPerComponent = space, 8
    image.Filter = pikepdf.Name.FlateDecode
    page = pdf.add_blank_page(page_size=(72, 72))
    page.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=image))
    page.Contents = pikepdf.Stream(pdf, b"q 72 0 0 72 0 0 cm /Im0 Do Q")
    pdf.save(tmp_path / "icc.pdf")
    (placed,) = placed_images(tmp_path / "icc.pdf")
    assert (placed.color_space, placed.components, placed.decodes) == ("ICCBased", 3, True)
    assert placed.ppi == pytest.approx(10)


def test_bad_soft_mask_is_reported(tmp_path: Path) -> None:
    pdf = pikepdf.new()
    mask = pikepdf.Stream(pdf, zlib.compress(bytes(10 * 10 * 3)))  # three times too long
    mask.Type, mask.Subtype = pikepdf.Name.XObject, pikepdf.Name.Image
    mask.Width = mask.Height = 10
    mask.ColorSpace, mask.BitsPerComponent = pikepdf.Name.DeviceGray, 8
    mask.Filter = pikepdf.Name.FlateDecode
    path = _one_image_pdf(
        _image_dict(10, 10, "/DeviceRGB", Filter=pikepdf.Name.FlateDecode),
        zlib.compress(bytes(300)), tmp_path / "mask.pdf",
    )
    with pikepdf.open(path, allow_overwriting_input=True) as document:
        image = document.pages[0].Resources.XObject.Im0
        image.SMask = document.copy_foreign(mask)
        document.save(path)
    (placed,) = placed_images(path)
    assert placed.has_smask and not placed.decodes
    assert placed.problem.startswith("its soft mask: data has 3 components")


def test_image_inside_a_scaled_form_is_placed_through_both_matrices(tmp_path: Path) -> None:
    path = _one_image_pdf(
        _image_dict(200, 100, "/DeviceRGB", Filter=pikepdf.Name.DCTDecode),
        _jpeg(200, 100), tmp_path / "form.pdf", in_form=True,
    )
    (image,) = placed_images(path)
    assert image.bbox_pt == (72, 72, 216, 144)
    assert image.ppi == pytest.approx(100) and image.decodes


def test_jpeg_frame_reads_the_sof_marker() -> None:
    assert jpeg_frame(_jpeg(33, 17)) == (33, 17, 3)
    assert jpeg_frame(_jpeg(33, 17, "L")) == (33, 17, 1)
    assert jpeg_frame(b"not a jpeg") is None


@pytest.mark.skipif(shutil.which("pdfimages") is None, reason="poppler's pdfimages not installed")
def test_figures_agree_with_poppler(weasy_pdf: Path, tmp_path: Path) -> None:
    bad = _one_image_pdf(
        _image_dict(200, 100, "/DeviceGray", Filter=pikepdf.Name.DCTDecode),
        _jpeg(200, 100), tmp_path / "bad.pdf",
    )
    for pdf in (weasy_pdf, bad):
        ours = [image for image in placed_images(pdf) if not image.in_pattern]
        theirs = _pdfimages_list(pdf)
        assert len(ours) == len(theirs)
        for mine, row in zip(ours, theirs, strict=True):
            assert mine.page_index + 1 == row["page"]
            assert (mine.width_px, mine.height_px) == (row["width"], row["height"])
            assert mine.components == row["comp"]
            assert _poppler_colour(mine) == row["color"]
            assert round(mine.ppi_xy[0]) == row["x-ppi"]
            assert round(mine.ppi_xy[1]) == row["y-ppi"]


def _pdfimages_list(pdf: Path) -> list[dict[str, object]]:
    """``pdfimages -list`` rows of type image (smask rows dropped)."""
    output = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True, text=True,
                            check=True).stdout.splitlines()
    rows = []
    for line in output[2:]:
        cells = line.split()
        if cells[2] != "image":
            continue
        rows.append({"page": int(cells[0]), "width": int(cells[3]), "height": int(cells[4]),
                     "color": cells[5], "comp": int(cells[6]), "x-ppi": int(cells[12]),
                     "y-ppi": int(cells[13])})
    return rows


def _poppler_colour(image: PlacedImage) -> str:
    return {"DeviceGray": "gray", "DeviceRGB": "rgb", "DeviceCMYK": "cmyk",
            "ICCBased": "icc", "Indexed": "index"}[image.color_space]
