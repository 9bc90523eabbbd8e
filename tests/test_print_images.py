"""Print pictures: converted copies with their own names, decoded pixels equal to the sources,
sized as in the reading PDF, low resolution reported with the file to replace.

A small book with a colour JPEG, a PNG with transparency, a grey PNG and a 300-px web picture
is built in both paged editions; the print PDF's images are decoded by poppler (``pdfimages
-png`` draws by the PDF's own colour space, as a viewer does) and compared with the sources.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageDraw, ImageOps, ImageStat

from bookmaker import make_book
from handbook_build.checks.pdf_images import PlacedImage, mislabelled, placed_images
from handbook_build.model import ImageAsset
from handbook_build.render.print_images import copies_fetcher, prepare_print_images
from handbook_build.sources.manifest import load_manifest

pytestmark = pytest.mark.slow
MEAN_DIFFERENCE_LIMIT = 4.0  # of 255, on 64 x 64 grey thumbnails: re-encoding, not garbage


def _photo() -> bytes:
    image = Image.new("RGB", (800, 500))
    draw = ImageDraw.Draw(image)
    for x in range(800):
        draw.line((x, 0, x, 499), fill=(x * 255 // 800, 80, 255 - x * 255 // 800))
    draw.ellipse((250, 100, 550, 400), fill=(250, 220, 30))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


def _transparent() -> bytes:
    image = Image.new("RGBA", (400, 300), (0, 0, 0, 0))
    ImageDraw.Draw(image).ellipse((50, 30, 350, 270), fill=(30, 140, 60, 255))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _grey() -> bytes:
    image = Image.linear_gradient("L").resize((500, 200))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _small() -> bytes:
    image = Image.new("RGB", (300, 200), (240, 240, 240))
    draw = ImageDraw.Draw(image)
    for y in range(0, 200, 20):
        draw.rectangle((0, y, 299, y + 9), fill=(200, 30, 30))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


PICTURES = {"photo.jpg": _photo, "transparent.png": _transparent, "grey.png": _grey,
            "small.png": _small}
CHAPTER = "# Pictures\n\n" + "".join(
    f"Text before the picture.\n\n![{name}](../images/{name})\n\nText after it.\n\n"
    for name in PICTURES
)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    from handbook_build.pipeline import BuildRequest, build

    root = tmp_path_factory.mktemp("pictures")
    book = make_book(root / "book", chapters={"pics.md": CHAPTER},
                     images={name: make() for name, make in PICTURES.items()})
    out = root / "out"
    build(BuildRequest(load_manifest(book.manifest), out, ("pdf", "print"), jobs=1))
    return book.root, out


def _figures(pdf: Path) -> list[PlacedImage]:
    return [image for image in placed_images(pdf) if not image.in_pattern]


def _by_source(images: list[PlacedImage]) -> dict[str, PlacedImage]:
    sizes = {(800, 500): "photo.jpg", (400, 300): "transparent.png", (500, 200): "grey.png",
             (300, 200): "small.png"}
    return {sizes[(image.width_px, image.height_px)]: image for image in images}


def test_every_image_decodes_as_labelled_in_both_editions(built: tuple[Path, Path]) -> None:
    _, out = built
    for name in ("book.pdf", "book-print.pdf"):
        images = placed_images(out / name)
        assert len([i for i in images if not i.in_pattern]) == 4, name
        assert not mislabelled(images), [i.problem for i in mislabelled(images)]


def test_print_is_grey_and_the_reading_pdf_keeps_colour(built: tuple[Path, Path]) -> None:
    _, out = built
    reading = _by_source(_figures(out / "book.pdf"))
    printed = _by_source(_figures(out / "book-print.pdf"))
    assert reading["photo.jpg"].components == 3 and reading["transparent.png"].has_smask
    assert {image.color_space for image in printed.values()} == {"DeviceGray"}
    assert not any(image.has_smask for image in printed.values())  # alpha flattened on white
    assert printed["photo.jpg"].filter == "DCTDecode"  # a photo stays a JPEG


@pytest.mark.skipif(shutil.which("pdfimages") is None, reason="poppler's pdfimages not installed")
def test_decoded_print_images_match_their_sources(built: tuple[Path, Path],
                                                 tmp_path: Path) -> None:
    root, out = built
    subprocess.run(["pdfimages", "-png", str(out / "book-print.pdf"), str(tmp_path / "i")],
                   check=True)
    rows = subprocess.run(["pdfimages", "-list", str(out / "book-print.pdf")],
                          capture_output=True, text=True, check=True).stdout.splitlines()[2:]
    files = sorted(tmp_path.glob("i-*.png"))
    assert len(rows) == len(files)
    compared = {}
    for row, decoded in zip(rows, files, strict=True):
        cells = row.split()
        name = _by_size(int(cells[3]), int(cells[4]))
        if cells[2] != "image" or name is None:
            continue  # the note column's ruling tile
        with Image.open(decoded) as drawn:
            got = drawn.convert("L").resize((64, 64), Image.Resampling.LANCZOS)
        compared[name] = _mean_difference(got, _flat_grey(root / "images" / name))
    assert set(compared) == set(PICTURES)
    assert max(compared.values()) < MEAN_DIFFERENCE_LIMIT, compared


def _by_size(width: int, height: int) -> str | None:
    for name, make in PICTURES.items():
        with Image.open(io.BytesIO(make())) as image:
            if image.size == (width, height):
                return name
    return None


def _flat_grey(path: Path) -> Image.Image:
    with Image.open(path) as source:
        rgba = ImageOps.exif_transpose(source).convert("RGBA")
    white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    grey = Image.alpha_composite(white, rgba).convert("L")
    return grey.resize((64, 64), Image.Resampling.LANCZOS)


def _mean_difference(a: Image.Image, b: Image.Image) -> float:
    return float(ImageStat.Stat(ImageChops.difference(a, b)).mean[0])


def _text_blocks(out: Path) -> tuple[float, float]:
    """Reading and print text-block widths in inches, from the manifest defaults and the
    gutter the print edition was laid out with."""
    report = json.loads((out / "book-report.json").read_text())
    gutter = report["editions"]["book-print.pdf"]["gutter_in"]
    return 6.0 - 0.8 - 0.6, 8.5 - max(0.75, gutter) - 2.75


def test_print_images_are_as_large_relative_to_the_text_block(built: tuple[Path, Path]) -> None:
    _, out = built
    reading_block, print_block = _text_blocks(out)
    reading = _by_source(_figures(out / "book.pdf"))
    printed = _by_source(_figures(out / "book-print.pdf"))
    for name in PICTURES:
        share_reading = reading[name].size_in[0] / reading_block
        share_print = printed[name].size_in[0] / print_block
        assert share_print >= share_reading - 0.005, (name, share_reading, share_print)
    # The 300-px picture: 3.125 in in the reading PDF (96 px to the inch), not 1 in at 300 ppi.
    assert reading["small.png"].size_in[0] == pytest.approx(300 / 96, abs=0.02)
    assert printed["small.png"].size_in[0] > 3.0
    assert printed["small.png"].ppi < 100


def test_preflight_reports_the_low_resolution_picture_with_its_file(
    built: tuple[Path, Path],
) -> None:
    _, out = built
    preflight = json.loads((out / "book-print-preflight.json").read_text())
    checks = {check["rule"]: check for check in preflight["checks"]}
    assert checks["image-data"]["passed"] is True
    resolution = checks["image-resolution"]
    below = {entry["source"]: entry for entry in resolution["figures"]["below_minimum"]}
    assert "images/small.png" in below and below["images/small.png"]["ppi"] < 100
    assert resolution["passed"] is False  # an error below 150 ppi
    messages = [finding["message"] for finding in resolution["findings"]]
    assert any("images/small.png (300x200 px)" in m and "error: below 150" in m
               for m in messages)
    report = json.loads((out / "book-report.json").read_text())
    assert any("images/small.png" in warning and "[preflight-image-resolution]" in warning
               for warning in report["warnings"])


def test_grey_copies_are_new_files_and_colour_paper_keeps_the_sources(tmp_path: Path) -> None:
    assets = []
    for name, make in PICTURES.items():
        (tmp_path / name).write_bytes(make())
        media = "image/jpeg" if name.endswith(".jpg") else "image/png"
        assets.append(ImageAsset(f"../images/{name}", tmp_path / name, media))
    grey = prepare_print_images(assets, True, tmp_path / "copies", (tmp_path,))
    copies = {image.name: image for image in grey.images}
    assert copies["grey.png"].path == tmp_path / "grey.png"  # already plain grey: no copy
    for name in ("photo.jpg", "transparent.png", "small.png"):
        image = copies[name]
        assert image.converted == "grey" and image.path.parent == tmp_path / "copies"
        assert image.path.name != name and image.url == f"print-image:{image.path.name}"
        with Image.open(image.path) as copy:
            assert copy.mode == "L"
    assert copies["photo.jpg"].path.suffix == ".jpg"
    assert set(grey.urls()) == {"../images/photo.jpg", "../images/transparent.png",
                                "../images/small.png"}
    assert {url for url, _ in grey.copies()} == set(grey.urls().values())
    assert all(Path(path).parent == tmp_path / "copies" for _, path in grey.copies())
    assert "copies" not in "".join(grey.urls().values())  # no folder in the URL: see below
    assert grey.sources_by_pixels()[(300, 200)] == ("small.png",)
    before = {path.name: path.read_bytes() for path in (tmp_path / "copies").iterdir()}
    again = prepare_print_images(assets, True, tmp_path / "copies", (tmp_path,))
    assert again == grey  # same names, same bytes: deterministic
    assert {p.name: p.read_bytes() for p in (tmp_path / "copies").iterdir()} == before
    colour = prepare_print_images(assets, False, tmp_path / "colour", (tmp_path,))
    assert not colour.urls() and colour.copies() == ()
    assert not (tmp_path / "colour").exists()


def test_pictures_of_one_size_are_told_apart_by_their_data(tmp_path: Path) -> None:
    from weasyprint import HTML

    from handbook_build.checks.preflight import Layout, run_preflight
    from handbook_build.render.pod import get_profile

    assets = []
    for name, colour in (("ann.jpg", (200, 30, 30)), ("bob.jpg", (30, 30, 200)),
                         ("cat.png", (30, 200, 30))):
        Image.new("RGB", (100, 100), colour).save(tmp_path / name)
        assets.append(ImageAsset(name, tmp_path / name, "image/jpeg"))
    pictures = prepare_print_images(assets, True, tmp_path / "copies", (tmp_path,))
    sources = pictures.image_sources()
    assert sources[(100, 100)] == ("ann.jpg", "bob.jpg", "cat.png")  # ambiguous by size
    urls = pictures.urls()
    body = "".join(f'<img src="{urls[name]}" style="width: 1in">' for name in
                   ("bob.jpg", "cat.png", "ann.jpg"))
    fetcher = copies_fetcher((tmp_path,), pictures.copies())
    pdf = HTML(string=f"<html><body>{body}</body></html>", url_fetcher=fetcher).write_pdf()
    report = run_preflight(pdf, get_profile("none"), Layout((8.5, 11), 1, 0, 1.0), sources)
    check = next(c for c in report.checks if c.rule == "image-resolution")
    assert [entry["source"] for entry in check.figures["images"]] == [
        "bob.jpg", "cat.png", "ann.jpg"
    ]


def test_the_print_pdf_does_not_depend_on_the_output_folder(built: tuple[Path, Path],
                                                             tmp_path: Path) -> None:
    """WeasyPrint names an image in the PDF after the md5 of its URL: the grey copies' URLs
    name the copy by its content, never the output folder the copies are written in."""
    from handbook_build.pipeline import BuildRequest, build

    root, out = built
    elsewhere = tmp_path / "deeper" / "out"
    build(BuildRequest(load_manifest(root / "book.toml"), elsewhere, ("print",), jobs=1))
    assert (elsewhere / "book-print.pdf").read_bytes() == (out / "book-print.pdf").read_bytes()


def test_copies_of_pictures_no_longer_used_are_removed(tmp_path: Path) -> None:
    (tmp_path / "a.png").write_bytes(_small())
    (tmp_path / "b.png").write_bytes(_transparent())
    both = [ImageAsset("a.png", tmp_path / "a.png", "image/png"),
            ImageAsset("b.png", tmp_path / "b.png", "image/png")]
    first = prepare_print_images(both, True, tmp_path / "copies")
    assert len(list((tmp_path / "copies").iterdir())) == 2
    prepare_print_images(both[:1], True, tmp_path / "copies")
    kept = [Path(path) for _, path in first.copies() if "a-" in Path(path).name]
    assert list((tmp_path / "copies").iterdir()) == kept
