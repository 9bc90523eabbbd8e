"""Page-image regression tests: a few pages of the specimen book, in each paged edition, compared
pixel by pixel with reviewed golden images in tests/golden/.

Structure tests (text, fonts, outline) all passed while the print edition shipped its pictures as
garbage; a picture of the page does not. Each page is found by what it contains (a phrase of its
text, through pdfium), not by its number, so the set survives edits that move pages. Pages are
rendered with pdfium (anti-aliased; the fonts are the ones embedded in the PDF, so the machine's
fonts do not enter the picture) at a low resolution, and compared with a tolerance: a pixel
differs when one of its channels moves by more than PIXEL_THRESHOLD, and a page fails when more
than SHARE_ALLOWED of its pixels differ. A moved margin or a garbled picture changes several
per cent of a page; anti-aliasing noise between pdfium builds changes a few pixels.

On failure a diff image is written to build/golden-diff/<name>.png (golden | new | differing
pixels in red) and named in the message. After a reviewed, intended change, `make golden`
(GOLDEN_UPDATE=1) rewrites the golden images; review them (git diff shows them) and commit.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from PIL import Image, ImageChops

from handbook_build.checks.page_facts import printed_folios

PROJECT_DIR = Path(__file__).resolve().parent.parent
SAMPLE_MANIFEST = PROJECT_DIR / "manuscript" / "book.toml"
GOLDEN_DIR = PROJECT_DIR / "tests" / "golden"
DIFF_DIR = PROJECT_DIR / "build" / "golden-diff"
UPDATE = os.environ.get("GOLDEN_UPDATE") == "1"
DPI = 40
PIXEL_THRESHOLD = 48  # of 255, on any channel
SHARE_ALLOWED = 0.004  # of the page's pixels


@dataclass(frozen=True)
class GoldenPage:
    name: str  # the golden file's stem: <edition>-<what>
    pdf: str  # the built file's suffix after the stem: ".pdf", "-print.pdf", "-cover.pdf"
    phrases: tuple[str, ...]  # the page is the first whose text holds all of them ...
    pick: str = "first"  # ... or "only": exactly one page may hold them


PAGES = (
    GoldenPage("reading-title", ".pdf", ("Making Open Books:", "The handbook-build team")),
    GoldenPage("reading-contents", ".pdf", ("Contents", "Checking the pages")),
    GoldenPage("reading-part", ".pdf", ("Part I", "Writing the Book"), "only"),
    GoldenPage("reading-chapter-opening", ".pdf", ("A type foundry prints a specimen",)),
    GoldenPage("reading-image", ".pdf", ("A reading room at dusk",)),
    GoldenPage("reading-footnotes", ".pdf", ("The marker is any word in square brackets",)),
    GoldenPage("print-title", "-print.pdf", ("Making Open Books:", "The handbook-build team")),
    GoldenPage("print-contents", "-print.pdf", ("Contents", "Checking the pages")),
    GoldenPage("print-chapter-opening", "-print.pdf", ("A type foundry prints a specimen",)),
    GoldenPage("print-image", "-print.pdf", ("A reading room at dusk",)),
    GoldenPage("print-transparency", "-print.pdf", ("The press mark of this book: a red ring",)),
    GoldenPage("print-footnotes", "-print.pdf", ("The marker is any word in square brackets",)),
    GoldenPage("print-notes-page", "-print.pdf", ("Notes", "What will you try first?")),
    GoldenPage("cover", "-cover.pdf", ("A short guide to making an open handbook",)),
)


@pytest.fixture(scope="module")
def specimen(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The specimen's paged editions, built once for this module from the sources."""
    from handbook_build.pipeline import BuildRequest, build
    from handbook_build.sources.manifest import load_manifest

    manifest = load_manifest(SAMPLE_MANIFEST)
    out = tmp_path_factory.mktemp("specimen")
    build(BuildRequest(manifest, out, formats=("pdf", "print"), jobs=2))
    return out / manifest.stem


def _normal(text: str) -> str:
    """Page text with line-end hyphens joined and whitespace collapsed, for phrase search."""
    text = re.sub(r"[\u2010\u00ad-]\s*[\r\n]+\s*", "", text)
    return " ".join(text.split())


def page_texts(pdf: Path) -> list[str]:
    document = pdfium.PdfDocument(pdf)
    try:
        texts = []
        for index in range(len(document)):
            text_page = document[index].get_textpage()
            texts.append(_normal(text_page.get_text_range()))
            text_page.close()
        return texts
    finally:
        document.close()


def find_page(spec: GoldenPage, texts: list[str]) -> int:
    """The 1-based page ``spec`` names; fails with the phrases when none (or, for "only",
    not exactly one) page holds them."""
    matches = [number for number, text in enumerate(texts, 1)
               if all(_normal(phrase) in text for phrase in spec.phrases)]
    if spec.pick == "only":
        # A part page holds its title and its folio, and nothing else.
        matches = [number for number in matches
                   if len(texts[number - 1].split()) <= len(" ".join(spec.phrases).split()) + 1]
        assert len(matches) == 1, f"{spec.name}: {len(matches)} pages hold only {spec.phrases}"
    assert matches, f"{spec.name}: no page of {spec.pdf} holds {spec.phrases}"
    return matches[0]


def render_page(pdf: Path, number: int, dpi: int = DPI) -> Image.Image:
    document = pdfium.PdfDocument(pdf)
    try:
        page = document[number - 1]
        bitmap = page.render(scale=dpi / 72, draw_annots=False, may_draw_forms=False)
        image: Image.Image = bitmap.to_pil().convert("RGB")
        page.close()
        return image
    finally:
        document.close()


@dataclass(frozen=True)
class Comparison:
    differing: int
    total: int
    mask: Image.Image | None  # "L": 255 where a pixel differs; None when the sizes differ

    @property
    def share(self) -> float:
        return self.differing / self.total if self.total else 1.0


def compare(golden: Image.Image, new: Image.Image,
            threshold: int = PIXEL_THRESHOLD) -> Comparison:
    if golden.size != new.size:
        return Comparison(new.width * new.height, new.width * new.height, None)
    difference = ImageChops.difference(golden.convert("RGB"), new.convert("RGB"))
    # The largest channel difference of each pixel, then the pixels past the threshold.
    largest = ImageChops.lighter(ImageChops.lighter(*difference.split()[:2]),
                                 difference.split()[2])
    mask = largest.point(lambda value: 255 if value > threshold else 0)
    differing = mask.histogram()[255]
    return Comparison(differing, golden.width * golden.height, mask)


def diff_image(golden: Image.Image, new: Image.Image, mask: Image.Image | None) -> Image.Image:
    """golden | new | new faded with differing pixels in red, side by side."""
    width, height = max(golden.width, new.width), max(golden.height, new.height)
    sheet = Image.new("RGB", (3 * width + 20, height), (128, 128, 128))
    sheet.paste(golden.convert("RGB"), (0, 0))
    sheet.paste(new.convert("RGB"), (width + 10, 0))
    faded = Image.blend(new.convert("RGB"), Image.new("RGB", new.size, (255, 255, 255)), 0.7)
    if mask is not None:
        faded.paste(Image.new("RGB", new.size, (220, 0, 0)), (0, 0), mask)
    sheet.paste(faded, (2 * width + 20, 0))
    return sheet


def save_png(image: Image.Image, path: Path) -> None:
    """Small, stable PNGs: a palette of 64 colours is plenty at 40 dpi, and no metadata."""
    path.parent.mkdir(parents=True, exist_ok=True)
    _quantized(image).save(path, format="PNG", optimize=True)


def _quantized(image: Image.Image) -> Image.Image:
    return image.convert("RGB").quantize(64, method=Image.Quantize.MEDIANCUT,
                                         dither=Image.Dither.NONE).convert("RGB")


@pytest.fixture(scope="module")
def texts_of(specimen: Path) -> Callable[[str], list[str]]:
    cache: dict[str, list[str]] = {}

    def texts(suffix: str) -> list[str]:
        if suffix not in cache:
            cache[suffix] = page_texts(specimen.with_name(specimen.name + suffix))
        return cache[suffix]
    return texts


@pytest.mark.slow
@pytest.mark.parametrize("spec", PAGES, ids=[spec.name for spec in PAGES])
def test_page_matches_its_golden_image(spec: GoldenPage, specimen: Path,
                                       texts_of: Callable[[str], list[str]]) -> None:
    pdf = specimen.with_name(specimen.name + spec.pdf)
    number = find_page(spec, texts_of(spec.pdf))
    new = render_page(pdf, number)
    golden_path = GOLDEN_DIR / f"{spec.name}.png"
    if UPDATE:
        save_png(new, golden_path)
        return
    assert golden_path.is_file(), (
        f"{golden_path.relative_to(PROJECT_DIR)} is missing; run `make golden`, look at the "
        "new images and commit them")
    golden = Image.open(golden_path).convert("RGB")
    # Compare what the golden file can hold: the new page through the same 64-colour palette.
    result = compare(golden, _as_saved(new))
    if result.share <= SHARE_ALLOWED:
        return
    DIFF_DIR.mkdir(parents=True, exist_ok=True)
    diff_path = DIFF_DIR / f"{spec.name}.png"
    diff_image(golden, new, result.mask).save(diff_path)
    folio = printed_folios(pdf.read_bytes(), [number])[number]
    size_note = "" if result.mask else f" (size {new.size} instead of {golden.size})"
    pytest.fail(
        f"{spec.name}: {pdf.name} p. {folio or '-'} (page {number} of the file) differs from "
        f"tests/golden/{spec.name}.png in {result.share:.1%} of its pixels{size_note}, more "
        f"than the {SHARE_ALLOWED:.1%} allowed; golden | new | difference: {diff_path}. If the "
        "change is intended, run `make golden` and review the new images before committing.")


def _as_saved(image: Image.Image) -> Image.Image:
    """``image`` as save_png stores it (PNG is lossless: the palette is the only change)."""
    return _quantized(image)


# --- the comparison itself must be able to fail --------------------------------------------


def _page(margin: int, fill: tuple[int, int, int] = (30, 30, 30)) -> Image.Image:
    image = Image.new("RGB", (240, 360), (255, 255, 255))
    for line in range(20):
        top = 40 + line * 14
        image.paste(Image.new("RGB", (160, 6), fill), (margin, top))
    return image


def test_comparison_passes_an_identical_page_and_faint_noise() -> None:
    page = _page(40)
    assert compare(page, page).differing == 0
    noisy = page.copy()
    for x in range(0, 240, 30):  # 12 pixels nudged by less than the threshold
        noisy.putpixel((x, 30), (230, 230, 230))
    assert compare(page, noisy).differing == 0


def test_comparison_fails_a_moved_margin_and_marks_it() -> None:
    moved = compare(_page(40), _page(46))  # a 6-pixel shift: 0.15 in at 40 dpi
    assert moved.share > 3 * SHARE_ALLOWED
    assert moved.mask is not None and moved.mask.getbbox() is not None
    left, _, right, _ = moved.mask.getbbox()
    assert (left, right) == (40, 206)  # the differing pixels are the shifted edges
    assert compare(_page(40), _page(40, (120, 120, 120))).share > SHARE_ALLOWED  # paler ink
    resized = compare(_page(40), _page(40).resize((250, 360)))
    assert resized.mask is None and resized.share == 1.0


def test_diff_image_shows_golden_new_and_difference() -> None:
    golden, new = _page(40), _page(46)
    sheet = diff_image(golden, new, compare(golden, new).mask)
    assert sheet.size == (3 * 240 + 20, 360)
    assert sheet.getpixel((2 * 240 + 20 + 41, 41)) == (220, 0, 0)  # golden's ink, now gone
    assert sheet.getpixel((2 * 240 + 20 + 100, 41)) != (220, 0, 0)  # ink in both


def test_phrases_find_pages_across_line_breaks() -> None:
    texts = [_normal("Title page"), _normal("Links are where a book and a web\r\npage dif\u2010\r\n"
                                            "fer most."), _normal("Writing the Book 5")]
    assert find_page(GoldenPage("x", ".pdf", ("a web page differ most",)), texts) == 2
    assert find_page(GoldenPage("x", ".pdf", ("Writing the Book",), "only"), texts) == 3
    with pytest.raises(AssertionError, match="no page"):
        find_page(GoldenPage("x", ".pdf", ("absent phrase",)), texts)
