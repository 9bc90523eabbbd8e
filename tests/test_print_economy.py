"""The annotatable print edition wastes no page: blank versos are notes pages, prompts vary, the
ruling keeps the text's leading; the cover's spine, back, barcode zone and title; the EPUB cover
from the print cover's design. Measured on the built files (pypdf, pdfium pixels, pdftotext)."""

from __future__ import annotations

import datetime as dt
import io
import itertools
import re
import shutil
import subprocess
from pathlib import Path
from statistics import median

import pypdf
import pypdfium2 as pdfium
import pytest
from PIL import Image, ImageChops

from handbook_build.model import HtmlSection, Metadata, PrintSettings, TocNode, frozen_mapping
from handbook_build.pipeline import BuildRequest, build
from handbook_build.render.cover_image import typographic_cover
from handbook_build.render.cover_pdf import (
    front_cover_png,
    render_cover,
    spine_author_forms,
    title_lines,
)
from handbook_build.render.notes_plan import (
    DEFAULT_PROMPTS,
    blank_owners,
    end_anchor,
    plan_notes,
)
from handbook_build.render.pod import get_profile
from handbook_build.sources.front_matter import front_matter_list
from handbook_build.sources.manifest import load_manifest

pytest.importorskip("weasyprint")

STYLES_DIR = Path(__file__).resolve().parent.parent / "styles"
PDFTOTEXT = shutil.which("pdftotext")
HANDBOOK_AUTHORS = ("Joseph Corneli", "Charles Jeffrey Danoff", "Charlotte Pierce",
                    "Paola Ricaurte", "Lisa Snow MacDonald")
DESCRIPTION = ("A guide to peer learning and peer production: convening a group, organizing a "
               "learning context, co-facilitation, assessment, and a catalogue of patterns.")


def _section(slug: str, kind: str = "chapter") -> HtmlSection:
    return HtmlSection(TocNode(kind, slug.title(), 1, slug, 1), f'<section id="{slug}"></section>')  # type: ignore[arg-type]


# --- notes plan: which sections get notes pages, and their prompts --------------------------

def test_a_gap_before_the_next_opening_gives_its_section_one_notes_page_more() -> None:
    sections = [_section("a"), _section("part-b", "part"), _section("c"), _section("d")]
    pages = {"a": 1, end_anchor("a"): 3, "part-b": 5, end_anchor("part-b"): 5, "c": 7,
             end_anchor("c"): 8, "d": 9, end_anchor("d"): 11}
    # a ends on 3, part-b opens on 5: a blank 4; the part page 5, c opens on 7: a blank 6;
    # c ends on 8 and d opens on 9: none; d, the last, ends on a recto (11): its back is blank.
    assert blank_owners(sections, pages) == {"a", "part-b", "d"}
    plan = plan_notes(sections, PrintSettings(notes_pages=1), frozenset({"a", "part-b"}))
    assert len(plan.pages_for("a")) == 2 and len(plan.pages_for("part-b")) == 1
    assert len(plan.pages_for("c")) == 1 and plan.pages_for("zzz") == ()


def test_prompts_vary_from_one_notes_page_to_the_next() -> None:
    sections = [_section(f"ch{n}") for n in range(8)]
    plan = plan_notes(sections, PrintSettings(notes_pages=1), frozenset({"ch2"}))
    pages = [prompts for _, chapter in plan.pages for prompts in chapter]
    assert all(len(prompts) == 2 for prompts in pages)
    assert all(first != second for first, second in itertools.pairwise(pages))
    assert len(set(pages)) >= 5
    assert {p for prompts in pages for p in prompts} <= set(DEFAULT_PROMPTS)
    # Two prompts from the manifest: one a page, alternating, never the same pair throughout.
    few = plan_notes(sections, PrintSettings(prompts=("Why?", "How?")))
    shown = [prompts for _, chapter in few.pages for prompts in chapter]
    assert shown[:3] == [("Why?",), ("How?",), ("Why?",)]


def test_a_chapters_front_matter_prompts_head_its_own_notes_pages(tmp_path: Path) -> None:
    chapter = tmp_path / "own.md"
    chapter.write_text('---\ntitle: Own\nprompts:\n  - "First, mine?"\n  - Second mine\n'
                       "  - Third mine\n  - Fourth mine\n---\n# Own\n", encoding="utf-8")
    own = HtmlSection(TocNode("chapter", "Own", 1, "own", 1, chapter), "<section></section>")
    plan = plan_notes([_section("other"), own], PrintSettings(notes_pages=2))
    assert plan.pages_for("own") == (("First, mine?", "Second mine"), ("Third mine", "Fourth mine"))
    assert plan.pages_for("other")[0][0] in DEFAULT_PROMPTS


def test_front_matter_lists_in_block_flow_and_scalar_form() -> None:
    assert front_matter_list('---\nprompts: [a, "b, c"]\n---\n', "prompts") == ("a", "b, c")
    assert front_matter_list("---\nprompts: Just one\n---\n", "prompts") == ("Just one",)
    assert front_matter_list("---\ntitle: T\n---\n", "prompts") == ()
    assert front_matter_list("prompts: not front matter\n", "prompts") == ()


# --- the specimen's print edition: pages, prompts, ruling -----------------------------------

@pytest.fixture(scope="module")
def specimen(project_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    manifest = load_manifest(project_dir / "manuscript" / "book.toml")
    out = tmp_path_factory.mktemp("specimen")
    build(BuildRequest(manifest, out, ("print", "epub"), jobs=1))
    assert list(out.glob("*-print.pdf")) and list(out.glob("*.epub"))
    return out


def _page_texts(pdf: Path) -> list[str]:
    return [page.extract_text() or "" for page in pypdf.PdfReader(pdf).pages]


def _no_ink(page: pdfium.PdfPage) -> bool:
    return bool(page.render(scale=20 / 72).to_pil().convert("L").getextrema()[0] >= 250)


def test_no_blank_page_in_the_body_of_the_print_edition(specimen: Path) -> None:
    pdf = next(specimen.glob("*-print.pdf"))
    texts = _page_texts(pdf)
    document = pdfium.PdfDocument(pdf.read_bytes())
    empty = [n for n, text in enumerate(texts, 1) if not text.strip() and _no_ink(document[n - 1])]
    # The body starts after the contents (the first page whose folio is 1); only the front
    # matter (no note column there) may keep a blank verso.
    notes = [n for n, text in enumerate(texts, 1) if text.lstrip().startswith("Notes")]
    assert len(notes) >= 8
    first_notes = notes[0]
    assert [n for n in empty if n > first_notes] == [], empty
    assert len(empty) <= 1 and all(n < 6 for n in empty), empty


def test_neighbouring_notes_pages_show_different_prompts(specimen: Path) -> None:
    texts = _page_texts(next(specimen.glob("*-print.pdf")))
    prompt_sets = [tuple(line.strip() for line in text.splitlines() if line.rstrip().endswith("?"))
                   for text in texts if text.lstrip().startswith("Notes")]
    assert all(prompt_sets)
    assert all(a != b for a, b in itertools.pairwise(prompt_sets)), prompt_sets
    assert len(set(prompt_sets)) >= 3


def _pattern_pitches(page: pypdf.PageObject) -> list[float]:
    """Vertical repeat, in points, of every tiling pattern on the page (YStep x its scale)."""
    pitches = []
    resources = [page["/Resources"].get_object()]
    while resources:
        current = resources.pop()
        for pattern in (current.get("/Pattern") or {}).values():
            pattern = pattern.get_object()
            if "/YStep" in pattern:
                pitches.append(float(pattern["/YStep"]) * abs(float(pattern["/Matrix"][3])))
        for xobject in (current.get("/XObject") or {}).values():
            xobject = xobject.get_object()
            if "/Resources" in xobject:
                resources.append(xobject["/Resources"].get_object())
    return pitches


def _baseline_pitch(pdf: Path, page: int) -> float:
    """The most common distance between consecutive lines of one block (pdftotext -bbox)."""
    assert PDFTOTEXT
    xml = subprocess.run([PDFTOTEXT, "-f", str(page), "-l", str(page), "-bbox-layout", str(pdf),
                          "-"], capture_output=True, text=True, check=True).stdout
    steps = []
    for block in re.findall(r"<block.*?</block>", xml, re.S):
        bottoms = [float(y) for y in re.findall(r'<line xMin="[^"]+" yMin="[^"]+" '
                                                r'xMax="[^"]+" yMax="([^"]+)"', block)]
        steps += [b - a for a, b in itertools.pairwise(bottoms)]
    return median(steps)


@pytest.mark.skipif(PDFTOTEXT is None, reason="pdftotext (poppler-utils) is not installed")
def test_ruling_pitch_is_the_text_leading(specimen: Path) -> None:
    pdf = next(specimen.glob("*-print.pdf"))
    reader = pypdf.PdfReader(pdf)
    texts = [page.extract_text() or "" for page in reader.pages]
    notes = next(n for n, text in enumerate(texts, 1) if text.lstrip().startswith("Notes"))
    pitches = _pattern_pitches(reader.pages[notes - 1])
    assert pitches, "the notes page has its ruling as a pattern"
    # The longest body page of prose: its lines' spacing is the leading.
    body = max(range(notes, len(texts)), key=lambda n: len(texts[n - 1]))
    leading = _baseline_pitch(pdf, body)
    assert 14 < leading < 20
    for pitch in pitches:
        assert pitch == pytest.approx(leading, abs=0.2)
    # And on paper: the grey rules of the notes page, drawn by pdfium, one leading apart.
    bitmap = pdfium.PdfDocument(pdf.read_bytes())[notes - 1].render(scale=4).to_pil().convert("L")
    column = [bitmap.getpixel((bitmap.width // 2, y)) for y in range(bitmap.height)]
    rows = [y for y, value in enumerate(column) if value < 235]
    starts = [y for y, previous in zip(rows[1:], rows, strict=False) if y - previous > 3]
    gaps = [(b - a) / 4 for a, b in itertools.pairwise(starts)]
    assert len(gaps) >= 20
    assert median(gaps) == pytest.approx(leading, abs=0.2)


# --- the cover ---------------------------------------------------------------------------------

HANDBOOK = Metadata(
    title="The Peeragogy Handbook", authors=HANDBOOK_AUTHORS, edition="3.0",
    publisher="Pierce Press", date=dt.date(2016, 1, 15), license="CC0-1.0",
    description=DESCRIPTION, identifiers=frozen_mapping({"print": "urn:uuid:x"}),
)
LETTER = (8.5, 11.0)


@pytest.fixture(scope="module")
def handbook_cover() -> bytes:
    cover = render_cover(HANDBOOK, get_profile("kdp"), "white", LETTER, 352, STYLES_DIR,
                         (STYLES_DIR,))
    assert cover.geometry.spine_width_in == pytest.approx(0.79, abs=0.01)
    return cover.pdf


def _sized_text(pdf: bytes) -> list[tuple[str, float, float, float]]:
    """(text, size in points, x, y) of each text run, the size with the text matrix applied."""
    runs: list[tuple[str, float, float, float]] = []
    page = pypdf.PdfReader(io.BytesIO(pdf)).pages[0]

    def visit(text: str, cm: list[float], tm: list[float], _font: object, size: float) -> None:
        if text.strip():
            a, b = tm[0] * cm[0] + tm[1] * cm[2], tm[0] * cm[1] + tm[1] * cm[3]
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            runs.append((text, size * (a * a + b * b) ** 0.5, x, y))

    page.extract_text(visitor_text=visit)
    return runs


def test_spine_title_is_at_least_14_pt_on_a_079_in_spine(handbook_cover: bytes) -> None:
    spine = (8.5 * 72 + 9, (8.5 + 0.79) * 72 + 9)  # the bleed (0.125 in) shifts x by 9 pt
    on_spine = [(text, size) for text, size, x, _ in _sized_text(handbook_cover)
                if spine[0] <= x <= spine[1]]
    title = [size for text, size in on_spine if "Peeragogy" in text]
    assert title and min(title) >= 14
    authors = "".join(text for text, _ in on_spine if "Peeragogy" not in text)
    assert "Corneli" in authors and "Joseph" not in authors  # shortened to fit


def test_thin_spine_and_short_book_shorten_or_drop_the_spine_text() -> None:
    assert spine_author_forms(HANDBOOK_AUTHORS)[-1] == "Corneli et al."
    kdp = get_profile("kdp")
    short = render_cover(HANDBOOK, kdp, "white", LETTER, kdp.spine_text_min_pages - 2,
                         STYLES_DIR, (STYLES_DIR,))
    assert not short.geometry.has_spine_text


def test_barcode_zone_is_white_and_empty(handbook_cover: bytes) -> None:
    scale = 2
    bitmap = pdfium.PdfDocument(handbook_cover)[0].render(scale=scale).to_pil().convert("RGB")
    bleed = 0.125 * 72 * scale
    right, bottom = bleed + (8.5 - 0.25) * 72 * scale, bleed + (11 - 0.25) * 72 * scale
    box = (round(right - 2 * 72 * scale) + 2, round(bottom - 1.2 * 72 * scale) + 2,
           round(right) - 2, round(bottom) - 2)
    zone = bitmap.crop(box)
    assert all(low >= 250 for low, _ in zone.getextrema()), zone.getextrema()
    # Around it, the cover's colour: the box is the zone, not the whole back.
    outside = bitmap.crop((box[0] - 40, box[1] - 40, box[0] - 10, box[1] - 10))
    assert max(high for _, high in outside.getextrema()) < 200


@pytest.mark.skipif(PDFTOTEXT is None, reason="pdftotext (poppler-utils) is not installed")
def test_back_cover_sets_the_description_unhyphenated(handbook_cover: bytes, tmp_path: Path
                                                       ) -> None:
    pdf = tmp_path / "cover.pdf"
    pdf.write_bytes(handbook_cover)
    back = subprocess.run([PDFTOTEXT, "-x", "0", "-y", "0", "-W", str(round(8.6 * 72)), "-H",
                           str(round(11.2 * 72)), "-layout", str(pdf), "-"],
                          capture_output=True, text=True, check=True).stdout
    lines = [line.strip() for line in back.splitlines() if line.strip()]
    text = " ".join(lines)
    assert "convening a group" in text and "catalogue of patterns." in text
    assert "CC0 1.0 Universal" in text  # the licence by its name, not "CC0-1.0"
    description_lines = [line for line in lines if any(w in line for w in DESCRIPTION.split())]
    assert len(description_lines) >= 3  # a block, not one line across the panel
    assert not [line for line in lines if re.search(r"\w-$", line)]


def test_edition_line_is_in_words_and_legible(handbook_cover: bytes) -> None:
    edition = [size for text, size, _, _ in _sized_text(handbook_cover) if "Third edition" in text]
    assert edition and min(edition) >= 9


@pytest.mark.skipif(PDFTOTEXT is None, reason="pdftotext (poppler-utils) is not installed")
def test_title_breaks_at_the_colon(tmp_path: Path) -> None:
    title = "Making Open Books: A Working Specimen"
    assert title_lines(title) == ("Making Open Books:", "A Working Specimen")
    metadata = Metadata(title=title, authors=("A. Writer",), date=dt.date(2024, 1, 1))
    for trim in ((6.0, 9.0), LETTER):
        cover = render_cover(metadata, get_profile("kdp"), "white", trim, 300, STYLES_DIR,
                             (STYLES_DIR,))
        pdf = tmp_path / "cover.pdf"
        pdf.write_bytes(cover.pdf)
        front_x = round((trim[0] + cover.geometry.spine_width_in + 0.125) * 72)
        front = subprocess.run([PDFTOTEXT, "-x", str(front_x), "-y", "0", "-W",
                                str(round(trim[0] * 72)), "-H", str(4 * 72), str(pdf),
                                "-"], capture_output=True, text=True, check=True).stdout
        lines = [line.strip() for line in front.splitlines() if line.strip()]
        assert lines[:2] == ["Making Open Books:", "A Working Specimen"], (trim, lines)


def _thumb(image: Image.Image) -> Image.Image:
    return image.convert("RGB").resize((24, 36), Image.Resampling.BOX)


def _difference(first: Image.Image, second: Image.Image) -> float:
    histogram = ImageChops.difference(first, second).convert("L").histogram()
    return sum(value * count for value, count in enumerate(histogram)) / (24 * 36)


def test_epub_cover_is_the_print_covers_front(tmp_path: Path) -> None:
    cover = render_cover(HANDBOOK, get_profile("kdp"), "white", (6.0, 9.0), 352, STYLES_DIR,
                         (STYLES_DIR,))
    scale = 30 / 72
    wrap = pdfium.PdfDocument(cover.pdf)[0].render(scale=scale).to_pil()
    left = round((0.125 + 6 + cover.geometry.spine_width_in) * 72 * scale)
    front = wrap.crop((left, round(0.125 * 72 * scale), left + round(6 * 72 * scale),
                       round((0.125 + 9) * 72 * scale)))
    epub = Image.open(io.BytesIO(front_cover_png(HANDBOOK, 6.0, STYLES_DIR, (STYLES_DIR,))))
    assert epub.size == (1600, 2560)
    # The print front is 2:3 and the EPUB's 1:1.6: compare the top 15/16 of the EPUB's.
    epub_top = epub.crop((0, 0, 1600, 2400))
    old = Image.open(io.BytesIO(typographic_cover(HANDBOOK.title, "", HANDBOOK.authors).data))
    same, before = _difference(_thumb(front), _thumb(epub_top)), _difference(
        _thumb(front), _thumb(old.crop((0, 0, 1600, 2400))))
    assert same < 10 and same < before / 2, (same, before)
    again = front_cover_png(HANDBOOK, 6.0, STYLES_DIR, (STYLES_DIR,))
    assert again == front_cover_png(HANDBOOK, 6.0, STYLES_DIR, (STYLES_DIR,))
