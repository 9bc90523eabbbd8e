"""The annotatable print edition, measured on the pages: note column, openings, notes pages,
padding, links on paper, gutter re-layout, PDF/X, fillable variant, byte identity, pipeline."""

from __future__ import annotations

import dataclasses
import io
import json
import re
from pathlib import Path

import pypdf
import pypdfium2 as pdfium
import pytest
from PIL import Image

from handbook_build.model import (
    HtmlBook,
    HtmlSection,
    Manifest,
    Metadata,
    PrintSettings,
    TocNode,
    frozen_mapping,
)
from handbook_build.render.pod import GutterStep, get_profile
from handbook_build.render.print_pdf import PrintEdition, render_print
from shared_builds import SharedHandbook

pytest.importorskip("weasyprint")

PROJECT_DIR = Path(__file__).resolve().parent.parent
LOREM = (
    "Peer learning works when people share what they know and ask what they do not. "
    "A group that keeps notes together remembers more than any one of its members. "
)


def _chapter(slug: str, title: str, body: str, line: int) -> HtmlSection:
    node = TocNode("chapter", title, 2, slug, line)
    html = (
        f'<section id="{slug}" class="chapter depth-2" data-title="{title}">'
        f"<h1>{title}</h1>{body}</section>"
    )
    return HtmlSection(node, html)


def make_book(tmp_path: Path, settings: PrintSettings, extra_body: str = "") -> HtmlBook:
    """Three chapters in one part: prose, a footnote, an external and an internal link."""
    out = tmp_path / "build"
    out.mkdir(exist_ok=True)
    long = "".join(f"<p>{LOREM * 6}</p>" for _ in range(7))
    sections = (
        HtmlSection(
            TocNode("part", "Getting started", 1, "part-getting-started", 1),
            '<section id="part-getting-started" class="part depth-1"><h1>Getting started</h1>'
            "</section>",
        ),
        _chapter(
            "welcome", "Welcome",
            f'<p>Read <a href="https://example.org/guide/">the guide</a> and '
            f'<a href="#closing--the-end">the last section</a>, or '
            f'<a href="https://example.org/">https://example.org/</a>.'
            f'<span class="footnote" id="fn-welcome-1" data-n="1">A note with '
            f'<a href="https://example.org/note">a link</a>.</span></p>{long}{extra_body}',
            2,
        ),
        _chapter("middle", "In the middle", f"<p>{LOREM}</p>", 3),
        _chapter(
            "closing", "Closing",
            f'{long}<h2 id="closing--the-end">The end</h2><p>{LOREM}</p>', 4,
        ),
    )
    metadata = Metadata(
        title="Print Test Book", authors=("A. Writer",), publisher="Test Press",
        blurb="A book to test the print edition.",
        identifiers=frozen_mapping({"print": "978-0-306-40615-7"}),
    )
    manifest = Manifest(
        manifest_path=tmp_path / "book.toml", root_dir=tmp_path, source_dir=tmp_path,
        allowed_roots=(tmp_path,), stem="test", metadata=metadata,
        contents_path=tmp_path / "contents.md",
        nodes=tuple(section.node for section in sections), image_dirs=(),
        styles_dir=PROJECT_DIR / "styles", print=settings,
    )
    images = ()
    if (tmp_path / "low.png").exists():
        from handbook_build.model import ImageAsset

        images = (ImageAsset("../low.png", tmp_path / "low.png", "image/png"),)
    return HtmlBook(manifest, sections, images, (), out)


def _texts(pdf: bytes) -> list[str]:
    document = pdfium.PdfDocument(pdf)
    return [document[i].get_textpage().get_text_range() for i in range(len(document))]


def _text_rects(pdf: bytes) -> list[list[tuple[float, float, float, float]]]:
    document = pdfium.PdfDocument(pdf)
    pages = []
    for index in range(len(document)):
        text = document[index].get_textpage()
        pages.append([text.get_rect(i) for i in range(text.count_rects())])
    return pages


def _chapter_pages(texts: list[str], title: str) -> list[int]:
    """1-based pages where a chapter opens (its title on a line of its own, no running head;
    a part's label, "Part I", may stand above it)."""
    def opening(text: str) -> bool:
        lines = text.strip().splitlines()
        if lines[:1] and re.fullmatch(r"Part [IVXLC\d]+", lines[0].strip()):
            lines = lines[1:]
        return lines[:1] == [title]

    return [n for n, text in enumerate(texts, 1) if opening(text)]


@pytest.fixture(scope="module")
def kdp_book(tmp_path_factory: pytest.TempPathFactory) -> tuple[HtmlBook, PrintEdition]:
    tmp_path = tmp_path_factory.mktemp("kdp")
    settings = PrintSettings(notes_pages=1, prompts=("What will you try first?",), profile="kdp")
    book = make_book(tmp_path, settings)
    return book, render_print(book, fillable=True)


def test_note_column_is_on_the_outer_side_of_both_pages(
    kdp_book: tuple[HtmlBook, PrintEdition],
) -> None:
    _, edition = kdp_book
    geometry = PrintSettings().geometry  # 8.5 x 11 in, inner 0.75, outer 2.75
    document = pdfium.PdfDocument(edition.pdf)
    first_body = _chapter_pages(_texts(edition.pdf), "Getting started")[0]
    body_pages = [
        n for n, rects in enumerate(_text_rects(edition.pdf), 1)
        if n >= first_body and len(rects) > 15
    ]
    assert len(body_pages) >= 6
    sides = set()
    for number in body_pages:
        page = document[number - 1]
        is_recto = number % 2 == 1
        text = page.get_textpage()
        lefts = [text.get_rect(i)[0] / 72 for i in range(text.count_rects())]
        rights = [text.get_rect(i)[2] / 72 for i in range(text.count_rects())]
        outer_limit = geometry.width_in - geometry.outer_in + 0.01
        if is_recto:  # spine on the left: text stays left of the column
            assert max(rights) <= outer_limit, number
        else:
            assert min(lefts) >= geometry.outer_in - 0.01, number
        # The writing aid is drawn in the outer column, and nothing in the inner margin.
        bitmap = page.render(scale=50 / 72).to_pil().convert("L")
        column_x = (geometry.width_in - 1.2) if is_recto else 1.2
        inner_x = 0.35 if is_recto else geometry.width_in - 0.35
        column = [bitmap.getpixel((round(column_x * 50), y)) for y in range(60, 500)]
        inner = [bitmap.getpixel((round(inner_x * 50), y)) for y in range(60, 500)]
        assert sum(value < 250 for value in column) > 15, f"no ruled lines on page {number}"
        assert all(value == 255 for value in inner), f"ink in the gutter on page {number}"
        sides.add(is_recto)
    assert sides == {True, False}


def test_chapters_open_on_right_hand_pages(kdp_book: tuple[HtmlBook, PrintEdition]) -> None:
    _, edition = kdp_book
    texts = _texts(edition.pdf)
    for title in ("Welcome", "In the middle", "Closing", "Getting started"):
        pages = _chapter_pages(texts, title)
        assert pages and all(page % 2 == 1 for page in pages), (title, pages)


def test_notes_pages_and_padding_are_counted(kdp_book: tuple[HtmlBook, PrintEdition]) -> None:
    _, edition = kdp_book
    texts = _texts(edition.pdf)
    notes = [n for n, text in enumerate(texts, 1) if text.startswith("Notes")]
    # One per chapter, and one more where a blank verso would have followed (none for the part
    # otherwise): every notes page follows its chapter's opening.
    assert len(notes) >= 3
    assert "What will you try first?" in texts[notes[0] - 1]
    for chapter in ("Welcome", "In the middle", "Closing"):
        opening = _chapter_pages(texts, chapter)[0]
        assert any(page > opening and chapter in texts[page - 1] for page in notes), chapter
    # KDP: at least 24 pages, an even count; the padding pages at the end are truly blank.
    assert edition.page_count == len(texts) >= 24
    assert edition.page_count % 2 == 0
    assert edition.padding_pages == edition.page_count - (notes[-1])
    document = pdfium.PdfDocument(edition.pdf)
    for index in range(len(texts) - edition.padding_pages, len(texts)):
        assert texts[index].strip() == ""
    # No blank page in the body (blank versos are notes pages); every page without text (the
    # front matter's verso, the padding) is truly blank: no folio, no head, no note column.
    first_body = _chapter_pages(texts, "Getting started")[0]
    blank = [i for i, text in enumerate(texts) if not text.strip()]
    assert not [i + 1 for i in blank if first_body <= i + 1 <= notes[-1]]
    assert len(blank) >= 1
    for index in blank:
        assert document[index].render(scale=0.3).to_pil().convert("L").getextrema() == (255, 255)


def test_zero_notes_pages_turns_them_off(tmp_path: Path) -> None:
    book = make_book(tmp_path, PrintSettings(notes_pages=0, profile="none", blank_versos="blank"))
    edition = render_print(book)
    assert not [t for t in _texts(edition.pdf) if t.startswith("Notes")]
    assert edition.page_count % 2 == 0 and edition.padding_pages in (0, 1)
    # Without blank_versos = "blank", only the versos that would be blank are notes pages.
    filled = render_print(make_book(tmp_path, PrintSettings(notes_pages=0, profile="none")))
    texts = _texts(filled.pdf)
    notes = [n for n, t in enumerate(texts, 1) if t.startswith("Notes")]
    assert notes and len(notes) <= 4  # at most one per section (a part, three chapters)
    assert filled.page_count == edition.page_count
    blanks = [n for n, t in enumerate(texts, 1) if not t.strip()]
    assert len(blanks) == len([t for t in _texts(edition.pdf) if not t.strip()]) - len(notes)


def test_links_print_as_url_notes_and_page_references(
    kdp_book: tuple[HtmlBook, PrintEdition],
) -> None:
    _, edition = kdp_book
    texts = _texts(edition.pdf)
    welcome = texts[_chapter_pages(texts, "Welcome")[0] - 1]
    assert re.search(r"a\.\s+example\.org/guide", welcome)  # the lettered URL note
    assert "(example.org/note)" in welcome  # inside a footnote: in parentheses
    assert "example.org/guide/" not in welcome.replace("example.org/guide\n", "")
    match = re.search(r"see p\.\s*(\d+)", welcome)
    assert match
    folio = match.group(1)
    target = [t for t in texts if "The end" in t and not t.startswith("Notes")]
    assert target and target[0].strip().splitlines()[-1] == folio


def test_print_file_has_no_annotations_and_fillable_one_field_per_page(
    kdp_book: tuple[HtmlBook, PrintEdition],
) -> None:
    _, edition = kdp_book
    printed = pypdf.PdfReader(io.BytesIO(edition.pdf))
    assert all("/Annots" not in page for page in printed.pages)
    assert "/AcroForm" not in printed.trailer["/Root"]
    assert edition.fillable_pdf is not None
    fillable = pypdf.PdfReader(io.BytesIO(edition.fillable_pdf))
    fields = fillable.get_fields() or {}
    assert len(fillable.pages) == edition.page_count
    assert sorted(fields) == sorted(f"notes-p{n}" for n in range(1, edition.page_count + 1))
    for number, page in enumerate(fillable.pages, 1):
        annotations = [a.get_object() for a in page["/Annots"]]
        widgets = [a for a in annotations if a["/Subtype"] == "/Widget"]
        assert [w["/T"] for w in widgets] == [f"notes-p{number}"]
        left = float(widgets[0]["/Rect"][0]) / 72
        assert left > 5.5 if number % 2 == 1 else left < 0.5  # on the outer side


def test_preflight_spine_and_cover_follow_the_final_count(
    kdp_book: tuple[HtmlBook, PrintEdition],
) -> None:
    _, edition = kdp_book
    assert edition.preflight.passed, edition.preflight.to_json()
    report = json.loads(edition.preflight.to_json())
    assert {c["rule"] for c in report["checks"]} >= {
        "trim-size", "page-count", "gutter", "fonts-embedded", "image-resolution",
        "transparency", "no-annotations",
    }
    assert edition.spine_width_in == pytest.approx(edition.page_count * 0.002252)
    cover = pdfium.PdfDocument(edition.cover_pdf)[0]
    x0, _, x1, _ = cover.get_trimbox()
    assert (x1 - x0) / 72 == pytest.approx(2 * 8.5 + edition.page_count * 0.002252, abs=0.01)
    proof = Image.open(io.BytesIO(edition.proof_png))
    assert proof.format == "PNG" and proof.width > proof.height


def test_low_resolution_image_is_caught(tmp_path: Path) -> None:
    Image.new("RGB", (50, 50), (120, 60, 30)).save(tmp_path / "low.png")
    body = '<p><img src="../low.png" alt="Tiny" style="width: 100%"></p>'
    book = make_book(tmp_path, PrintSettings(profile="kdp"), extra_body=body)
    edition = render_print(book)
    check = next(c for c in edition.preflight.checks if c.rule == "image-resolution")
    assert not check.passed
    (low,) = check.figures["below"]
    assert low["pixels"] == [50, 50] and low["ppi"] < 20
    assert not edition.preflight.passed


def test_gutter_grows_with_the_page_count_and_the_pages_are_laid_out_again(
    tmp_path: Path,
) -> None:
    thin = dataclasses.replace(PrintSettings().geometry, inner_in=0.3)
    settings = PrintSettings(geometry=thin, profile="kdp", notes_pages=0, blank_versos="blank")
    profile = dataclasses.replace(
        get_profile("kdp"), min_pages=2, gutter_steps=(GutterStep(8, 0.3), GutterStep(828, 1.0))
    )
    edition = render_print(make_book(tmp_path, settings), profile=profile)
    assert edition.layout_passes == 2
    assert edition.gutter_in == 1.0
    gutter = next(c for c in edition.preflight.checks if c.rule == "gutter")
    assert gutter.passed and gutter.figures["closest_text_in"] >= 0.99


def test_print_is_byte_identical_across_renders(
    tmp_path: Path, kdp_book: tuple[HtmlBook, PrintEdition]
) -> None:
    book, edition = kdp_book
    again = render_print(book, fillable=True)
    assert again.pdf == edition.pdf
    assert again.cover_pdf == edition.cover_pdf
    assert again.proof_png == edition.proof_png
    assert again.fillable_pdf == edition.fillable_pdf


@pytest.mark.parametrize("variant", ["pdf/x-1a", "pdf/x-4"])
def test_pdfx_variant_is_checked_and_byte_identical(tmp_path: Path, variant: str) -> None:
    Image.new("RGBA", (900, 300), (200, 30, 30, 128)).save(tmp_path / "low.png")
    body = '<p><img src="../low.png" alt="Red, half transparent"></p>'
    book = make_book(tmp_path, PrintSettings(profile="ingramspark", paper="cream"), body)
    profile = dataclasses.replace(get_profile("ingramspark"), pdf_variant=variant)
    first, second = render_print(book, profile=profile), render_print(book, profile=profile)
    assert first.pdf == second.pdf and first.cover_pdf == second.cover_pdf
    assert first.preflight.passed, first.preflight.to_json()  # grey, flattened, CMYK text
    reader = pypdf.PdfReader(io.BytesIO(first.pdf))
    assert "/OutputIntents" in reader.trailer["/Root"]
    page = pdfium.PdfDocument(first.pdf)[0]
    media, trim = page.get_mediabox(), page.get_trimbox()
    assert (media[2] - media[0]) - (trim[2] - trim[0]) == pytest.approx(9, abs=0.1)  # outer only
    assert first.spine_width_in == pytest.approx(first.page_count * 0.0025)


def test_sample_book_through_the_pipeline(tmp_path: Path) -> None:
    from handbook_build.pipeline import BuildRequest, build
    from handbook_build.sources.manifest import load_manifest

    manifest = load_manifest(PROJECT_DIR / "manuscript" / "book.toml")
    build(BuildRequest(manifest, tmp_path, formats=("print", "print-fillable"), jobs=1))
    stem = manifest.stem
    for name in ("-print.pdf", "-cover.pdf", "-print-proof.png", "-print-preflight.json",
                 "-print-fillable.pdf"):  # fmt: skip
        assert (tmp_path / f"{stem}{name}").is_file(), name
    report = json.loads((tmp_path / f"{stem}-print-preflight.json").read_text())
    checks = {check["rule"]: check for check in report["checks"]}
    # The specimen's small chart (300 px, kept at its reading size on purpose: chapter
    # "Pictures") is the one picture below the minimum resolution, reported with its file.
    # Every other rule, the gutter among them (no text near the spine), passes.
    assert [rule for rule, check in checks.items() if not check["passed"]] == [
        "image-resolution"], report
    below = checks["image-resolution"]["figures"]["below_minimum"]
    assert [entry["source"] for entry in below] == ["images/editions-chart.png"], below
    assert checks["gutter"]["passed"] is True, checks["gutter"]


@pytest.mark.corpus
@pytest.mark.slow
def test_real_handbook_passes_kdp_preflight(built_handbook: SharedHandbook) -> None:
    """The handbook's print edition (its manifest names the KDP profile), from the run's one
    build of the real handbook: the preflight report beside it, the pages, the cover."""
    manifest = built_handbook.manifest
    assert manifest.print.profile == "kdp"
    report = json.loads(built_handbook.output("-print-preflight.json").read_text())
    assert report["profile"] == "kdp"
    checks = {check["rule"]: check for check in report["checks"]}
    # The handbook's web pictures are sized as in the reading PDF (about 96 ppi): reported,
    # each with its file, as the one rule it fails. Everything else passes.
    failed = {rule for rule, check in checks.items() if not check["passed"]}
    assert failed <= {"image-resolution"}, report
    below = checks["image-resolution"]["figures"]["below"]
    assert below and all(entry["source"] for entry in below)
    pdf = built_handbook.output("-print.pdf").read_bytes()
    printed = pypdf.PdfReader(io.BytesIO(pdf))
    page_count = len(printed.pages)
    assert 24 <= page_count <= 828 and page_count % 2 == 0
    # The cover's width is back, spine and front: the spine is KDP's white paper per page.
    trim = printed.pages[0].trimbox
    cover = pypdf.PdfReader(built_handbook.output("-cover.pdf")).pages[0].trimbox
    spine_in = (float(cover.width) - 2 * float(trim.width)) / 72
    assert spine_in == pytest.approx(page_count * 0.002252, abs=0.001)
    texts = _texts(pdf)
    notes = [t for t in texts if t.startswith("Notes")]
    # One after each chapter, and one more wherever a blank verso would have fallen: no page
    # of the body is left blank (the front matter's verso after the contents may be).
    assert len(notes) > len(manifest.chapters) * manifest.print.notes_pages
    first_notes = next(n for n, t in enumerate(texts) if t.startswith("Notes"))
    assert not [n + 1 for n, t in enumerate(texts) if n > first_notes and not t.strip()]
