"""Structure (issue 14, points 5 and 6): parts, part and chapter numbers, title case, running
heads, signatures, and the screen-first reading PDF (symmetric, no blank pages, tagged)."""

from __future__ import annotations

import shutil
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import lxml.html
import pikepdf
import pytest
from lxml import etree
from pypdf import PdfReader

from bookmaker import make_book
from handbook_build.checks.pdf_layout import is_margin_line, read_pdf_text
from handbook_build.html.signatures import is_signature_text, mark_signatures
from handbook_build.model import StructureSettings, TocNode
from handbook_build.pipeline import BuildRequest, build
from handbook_build.sources.manifest import load_manifest, validate_manifest
from handbook_build.sources.structure import book_roles, is_shouting, shown_title, title_case

needs_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None,
                                   reason="pdftotext (poppler-utils) is not installed")

SENTENCE = ("Peer learning is learning together with others who know as little or as much as "
            "you do, and this sentence is long enough to fill a few lines of the page. ")
PARAGRAPH = SENTENCE * 5
CONTENTS = """\
# Test Book

- [FOREWORD](chapters/foreword.md)
- [PEER LEARNING](chapters/peer.md)
  - [Which is more fun?](chapters/fun.md)
  - [What help do you need?](chapters/help.md)
- Real Part
  - [Third chapter](chapters/third.md)
"""
CHAPTERS = {
    "foreword.md": "\n\n".join([PARAGRAPH] * 6) + "\n\nHoward Rheingold\\\nMarin County\\\n"
                   "January, 2014\n",
    "peer.md": f"This part is about peers.\n\n{PARAGRAPH}\n",
    "fun.md": "\n\n".join([PARAGRAPH] * 12) + "\n",
    "help.md": "\n\n".join([PARAGRAPH] * 12) + "\n",
    "third.md": "\n\n".join([PARAGRAPH] * 12) + "\n",
}
DEFAULT_TOML = """\
[book]
title = "Test Book"
date = 2024-03-01
language = "en"
stem = "book"
{extra}
[contents]
file = "contents.md"
"""


def _book(root: Path, book_extra: str = "", pdf: str = "") -> Path:
    toml = DEFAULT_TOML.format(extra=book_extra) + (f"\n[pdf]\n{pdf}\n" if pdf else "")
    return make_book(root, CHAPTERS, contents=CONTENTS, toml=toml).manifest


def _page_texts(pdf: Path) -> list[str]:
    count = len(pikepdf.open(pdf).pages)
    return [subprocess.run(["pdftotext", "-layout", "-f", str(n), "-l", str(n), str(pdf), "-"],
                           capture_output=True, text=True, check=True).stdout
            for n in range(1, count + 1)]


def _lines(text: str) -> list[str]:
    return [" ".join(line.split()) for line in text.splitlines() if line.strip()]


@pytest.fixture(scope="module")
def screen_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default layout (screen), chapters numbered, PDF and EPUB."""
    root = tmp_path_factory.mktemp("screen")
    manifest = _book(root / "book", "number_chapters = true\n")
    build(BuildRequest(load_manifest(manifest), root / "out", ("pdf", "epub"), jobs=1))
    return root / "out"


@pytest.fixture(scope="module")
def book_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The book layout, chapters not numbered."""
    root = tmp_path_factory.mktemp("book")
    manifest = _book(root / "book", pdf='layout = "book"')
    build(BuildRequest(load_manifest(manifest), root / "out", ("pdf",), jobs=1))
    return root / "out"


# --- pure rules ------------------------------------------------------------------------------

@pytest.mark.parametrize(("typed", "shown"), [
    ("PEER LEARNING", "Peer Learning"),
    ("TECHNOLOGIES, SERVICES, AND PLATFORMS", "Technologies, Services, and Platforms"),
    ("INTRODUCTION TO COOPERATION: CO-FACILITATION", "Introduction to Cooperation: "
                                                     "Co-Facilitation"),
    ("THE END OF THE ROAD", "The End of the Road"),
    ("CASE STUDY: 5PH1NX AND P2P", "Case Study: 5PH1NX and P2P"),
    ("PART II OF IT", "Part II of It"),
    ("WHERE TO GO FROM", "Where to Go From"),
])
def test_title_case(typed: str, shown: str) -> None:
    assert is_shouting(typed)
    assert title_case(typed) == shown


def test_title_case_keeps_the_capitals_of_the_chapters_own_heading() -> None:
    assert title_case("WHAT IS A MOOC?") == "What Is a Mooc?"
    assert title_case("WHAT IS A MOOC?", keep={"MOOC"}) == "What Is a MOOC?"
    assert not is_shouting("K12 Peeragogy")
    assert not is_shouting("FAQ")  # too short to tell an acronym from a shout


def _nodes() -> tuple[TocNode, ...]:
    return (
        TocNode("chapter", "Foreword", 1, "foreword", 1),
        TocNode("chapter", "Peer Learning", 1, "peer", 2),
        TocNode("chapter", "Fun", 2, "fun", 3),
        TocNode("part", "Patterns", 2, "part-patterns", 4),
        TocNode("chapter", "Wrapper", 3, "wrapper", 5),
        TocNode("part", "Real Part", 1, "part-real", 6),
        TocNode("chapter", "Third", 2, "third", 7),
        TocNode("chapter", "Appendix", 1, "appendix", 8),
        TocNode("chapter", "Details", 2, "details", 9),
        TocNode("chapter", "More details", 3, "more", 10),
    )


def test_roles_entries_holding_chapters_are_parts_and_numbers_follow_the_settings() -> None:
    nodes = _nodes()
    roles = book_roles(nodes, StructureSettings(), "Book")
    assert [slug for slug, role in roles.items() if role.is_part] == [
        "peer", "part-patterns", "part-real", "appendix"]
    assert roles["peer"].has_text and not roles["part-real"].has_text
    assert [roles[s].label for s in ("peer", "part-patterns", "part-real")] == [
        "Part I", "", "Part II"]
    assert all(not role.label for slug, role in roles.items() if not role.is_part)
    assert roles["foreword"].running_part == "Book"
    assert roles["wrapper"].running_part == "Patterns"
    assert roles["third"].running_part == "Real Part"
    assert roles["appendix"].running_part == "Appendix"  # a top-level entry holding chapters
    assert not roles["details"].is_part  # deeper, a chapter with sub-chapters stays a chapter

    numbered = book_roles(nodes, StructureSettings(number_chapters=True, part_label="Teil",
                                                   part_numbers="arabic"), "Book")
    assert numbered["foreword"].label == ""  # before the first part: prefatory
    assert [numbered[s].label for s in ("fun", "wrapper", "third", "details", "more")] == [
        "1", "2", "3", "4", "5"]
    assert numbered["part-real"].label == "Teil 2"
    assert shown_title(nodes[1], numbered["peer"]) == "Teil 1\u00a0\u00b7 Peer Learning"
    assert shown_title(nodes[2], numbered["fun"]) == "1\u00a0\u00b7 Fun"


@pytest.mark.parametrize(("lines", "expected"), [
    (["Howard Rheingold", "Marin County", "January, 2014"], True),
    (["\u2014 Howard Rheingold, Marin County, January 2014"], True),
    (["Howard Rheingold"], True),
    (["J. R. de Vries"], True),
    (["Thank you."], False),
    (["See you soon!"], False),
    (["This is the end of the chapter and a sentence."], False),
    (["One line.", "Two lines."], False),
    (["a", "b", "c", "d"], False),
])
def test_signature_rule(lines: list[str], expected: bool) -> None:
    assert is_signature_text(lines) is expected


def test_only_a_closing_paragraph_is_a_signature() -> None:
    def marked(html: str) -> list[str]:
        section = lxml.html.fragment_fromstring(html)
        mark_signatures(section)
        return [p.text_content() for p in section.iter("p") if "signature" in p.get("class", "")]

    assert marked("<section><p>Text.</p><p>Ann Lee<br>Paris</p></section>") == ["Ann LeeParis"]
    assert marked("<section><p>Ann Lee<br>Paris</p><p>Text after.</p></section>") == []
    assert marked("<section><p>Ann Lee<br>Paris</p></section>") == []  # nothing to close
    assert marked("<section><p>Text.</p><section><h2>A</h2><p>More text.</p>"
                  "<p>\u2014 Ann Lee</p></section></section>") == ["\u2014 Ann Lee"]


# --- the manifest ------------------------------------------------------------------------------

def test_capitals_in_the_contents_are_title_cased_with_a_warning_at_the_line(
        tmp_path: Path) -> None:
    manifest_path = _book(tmp_path / "book")
    manifest, diagnostics = validate_manifest(manifest_path)
    assert manifest is not None
    titles = [node.title for node in manifest.nodes]
    assert titles[:2] == ["Foreword", "Peer Learning"]
    warnings = [d for d in diagnostics if d.code == "capital-title"]
    assert [(d.line, d.severity) for d in warnings] == [(3, "warning"), (4, "warning")]
    assert "PEER LEARNING" in warnings[1].message and "'Peer Learning'" in warnings[1].message

    kept = _book(tmp_path / "kept", "title_case = false\n")
    manifest, diagnostics = validate_manifest(kept)
    assert manifest is not None and manifest.nodes[1].title == "PEER LEARNING"
    assert not [d for d in diagnostics if d.code == "capital-title"]


def test_check_names_the_contents_line_of_each_title_in_capitals(tmp_path: Path) -> None:
    from handbook_build.checks.check import run_check

    report = run_check(_book(tmp_path / "book"))
    found = [(Path(d.path).name, d.line, d.severity) for d in report.diagnostics
             if d.code == "capital-title"]
    assert found == [("contents.md", 3, "warning"), ("contents.md", 4, "warning")]
    lines = [d.compiler_style() for d in report.diagnostics if d.code == "capital-title"]
    assert lines[1].startswith("contents.md:4: warning: title 'PEER LEARNING' is typed in "
                               "capitals; shown as 'Peer Learning'")


def test_layout_and_part_numbers_are_checked(tmp_path: Path) -> None:
    _, diagnostics = validate_manifest(_book(tmp_path / "a", 'part_numbers = "greek"\n',
                                             pdf='layout = "tablet"'))
    messages = [d.message for d in diagnostics if d.severity == "error"]
    assert any("pdf.layout must be one of screen, book" in m for m in messages), messages
    assert any("book.part_numbers must be one of" in m for m in messages), messages


# --- the reading PDF, screen layout --------------------------------------------------------------

@needs_poppler
def test_both_kinds_of_part_get_the_same_part_page(screen_build: Path) -> None:
    pages = [_lines(text) for text in _page_texts(screen_build / "book.pdf")]
    part_pages = [lines for lines in pages if lines and lines[0].startswith("Part ")]
    assert [lines[:2] for lines in part_pages] == [["Part I", "Peer Learning"],
                                                   ["Part II", "Real Part"]]
    # label, title and the folio: nothing else on a part page, whichever kind of part it is
    assert all(len(lines) == 3 and lines[2].isdigit() for lines in part_pages), part_pages
    # the part's own text follows on the next page
    after = pages[pages.index(part_pages[0]) + 1]
    assert "This part is about peers." in after


@needs_poppler
def test_numbers_and_title_case_in_contents_openings_and_epub_nav(screen_build: Path) -> None:
    texts = _page_texts(screen_build / "book.pdf")
    contents = next(text for text in texts if "Contents" in text)
    flat = " ".join(contents.split())
    assert "Part I · Peer Learning" in flat and "Part II · Real Part" in flat
    assert "1 · Which is more fun?" in flat and "3 · Third chapter" in flat
    assert "Foreword" in flat and "· Foreword" not in flat
    assert "PEER LEARNING" not in " ".join(texts) and "FOREWORD" not in " ".join(texts)
    opening = next(_lines(text) for text in texts if "Which is more fun?" in text
                   and "Contents" not in text)
    assert opening[:2] == ["1", "Which is more fun?"]

    outline = [item.title.replace("\xa0", " ")
               for item in _flat(PdfReader(screen_build / "book.pdf").outline)]
    assert outline == ["Foreword", "Part I · Peer Learning", "1 · Which is more fun?",
                       "2 · What help do you need?", "Part II · Real Part", "3 · Third chapter"]

    with zipfile.ZipFile(screen_build / "book.epub") as epub:
        nav = etree.fromstring(epub.read("EPUB/nav.xhtml"))
    labels = [" ".join("".join(a.itertext()).split())
              for a in nav.iter("{http://www.w3.org/1999/xhtml}a")]
    assert "Part I · Peer Learning" in labels and "2 · What help do you need?" in labels
    assert "Foreword" in labels and not any("PEER" in label for label in labels)


@needs_poppler
def test_screen_layout_has_no_blank_page_and_symmetric_margins(screen_build: Path) -> None:
    pdf = screen_build / "book.pdf"
    texts = _page_texts(pdf)
    assert all(text.strip() for text in texts), [n + 1 for n, t in enumerate(texts)
                                                 if not t.strip()]
    layout = read_pdf_text(pdf)
    assert layout.recto is not None and layout.verso is not None
    assert not layout.mirrored
    width = layout.pages[0].width
    for block in (layout.recto, layout.verso):
        assert abs(block.left - (width - block.right)) < 3.0, (block, width)


@needs_poppler
def test_screen_heads_are_part_and_chapter_on_every_page(screen_build: Path) -> None:
    layout = read_pdf_text(screen_build / "book.pdf")
    heads = {}
    for page in layout.pages:
        top = [line for line in page.lines if is_margin_line(line, page)
               and line.box.top < page.height / 2]
        if top:
            heads[page.number] = " ".join(line.text for line in top)
    inside = [text for text in heads.values() if "Which is more fun?" in text]
    assert inside and all(text.startswith("Peer Learning") for text in inside), inside
    assert any(text.startswith("Test Book") and "Foreword" in text for text in heads.values())


@needs_poppler
def test_signature_is_set_flush_right(screen_build: Path) -> None:
    layout = read_pdf_text(screen_build / "book.pdf")
    lines = [(page, line) for page in layout.pages for line in page.lines
             if line.text in ("Howard Rheingold", "Marin County", "January, 2014")]
    assert len(lines) == 3
    block = layout.block_for(lines[0][0])
    assert block is not None
    for _, line in lines:
        assert abs(line.box.right - block.right) < 2.0, (line.box, block)
        assert line.box.left > block.left + (block.right - block.left) / 2


def test_reading_pdf_is_tagged_with_its_language(screen_build: Path) -> None:
    pdf = pikepdf.open(screen_build / "book.pdf")
    root = pdf.Root
    assert root.Lang == "en"
    assert bool(root.MarkInfo.Marked)
    tree = root.StructTreeRoot
    document = tree.K[0]
    assert document.S == "/Document" and len(document.K) > 0
    # every page's marked content is in the parent tree, under elements of that page
    nums = tree.ParentTree.Nums
    parents = {int(nums[i]): nums[i + 1] for i in range(0, len(nums), 2)}
    assert int(tree.ParentTreeNextKey) > max(parents)
    for page in pdf.pages:
        elements = parents[int(page.StructParents)]
        assert all(element.Pg.objgen == page.objgen for element in elements
                   if "/Pg" in element)
    paragraphs = _count(document, "/P")
    assert paragraphs > 40


def _flat(items: list[Any]) -> list[Any]:
    out = []
    for item in items:
        out.extend(_flat(item) if isinstance(item, list) else [item])
    return out


def _count(element: pikepdf.Object, kind: str) -> int:
    total = 0
    stack = [element]
    while stack:
        current = stack.pop()
        if isinstance(current, pikepdf.Dictionary) and "/S" in current:
            total += int(str(current.S) == kind)
            kids = current.get("/K")
            if isinstance(kids, pikepdf.Array):
                stack.extend(kids)
            elif isinstance(kids, pikepdf.Dictionary):
                stack.append(kids)
    return total


# --- the book layout ------------------------------------------------------------------------------

@needs_poppler
def test_book_layout_heads_verso_part_recto_chapter(book_build: Path) -> None:
    layout = read_pdf_text(book_build / "book.pdf")
    assert layout.mirrored
    versos, rectos = {}, {}
    for page in layout.pages:
        top = [line.text for line in page.lines if is_margin_line(line, page)
               and line.box.top < page.height / 2]
        if top:
            (rectos if page.number % 2 else versos)[page.number] = " ".join(top)
    assert "Peer Learning" in versos.values() and "Real Part" in versos.values()
    assert "Test Book" in versos.values()  # the Foreword is in no part
    assert "Which is more fun?" in rectos.values() and "Third chapter" in rectos.values()
    assert not set(rectos.values()) & {"Real Part", "Test Book"}
    texts = _page_texts(book_build / "book.pdf")
    assert "1 · Which" not in " ".join(" ".join(t.split()) for t in texts)  # not numbered
    assert any(not text.strip() for text in texts)  # blank versos before rectos remain
