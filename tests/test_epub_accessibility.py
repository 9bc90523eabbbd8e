"""The EPUB that accessibility checkers accept: Ace by DAISY and EPUBCheck clean, honest
accessibility metadata, contributor roles, and a page list that follows the print edition.

One book, built once (print + EPUB, as a release build does), holds what used to go wrong on the
handbook: headings that skip a level, an empty heading, images whose alt text says nothing,
pictures wrapped in links to the web, unresolved images in a heading, a link and a table cell,
"References" in two chapters, authors listed again as "(editor)" contributors.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import unicodedata
import zipfile
from itertools import pairwise
from pathlib import Path

import pytest
from lxml import etree

from bookmaker import Book, build_args, make_book, png_bytes, run_cli
from handbook_build.checks.ace import find_ace, locate, run_ace
from handbook_build.checks.epubcheck import java_path, run_epubcheck
from handbook_build.render import epub_a11y
from handbook_build.render.epub_meta import Accessibility, accessibility_metadata, file_as
from handbook_build.render.epub_pages import normalized
from handbook_build.render.epub_xhtml import html_to_xhtml, xtag

NS = {"x": "http://www.w3.org/1999/xhtml", "e": "http://www.idpf.org/2007/ops",
      "opf": "http://www.idpf.org/2007/opf", "dc": "http://purl.org/dc/elements/1.1/"}
EPUB_TYPE = "{http://www.idpf.org/2007/ops}type"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

TOML = """\
[book]
title = "Checked Book"
date = 2024-03-01
language = "en"
stem = "book"
authors = ["Jane Doe", "Max Roe"]
contributors = ["Jane Doe (editor)", "Lee Poe (illustrator)", "Kim Loe (translator)"]

[identifiers]
epub = "urn:uuid:0f8a3c52-1b7e-4d0e-9a51-3f6c2d7e8a01"
print = "urn:uuid:0f8a3c52-1b7e-4d0e-9a51-3f6c2d7e8a02"

[contents]
file = "contents.md"
images = ["images"]

[print]
notes_pages = 1
"""

_TOPICS = ("gardens", "rivers", "bridges", "markets", "libraries", "orchards", "harbours",
           "mountains", "workshops", "festivals", "kitchens", "forests", "islands", "schools")


def _prose(chapter: int, count: int) -> str:
    """Paragraphs that never repeat a phrase, so each print page has one place in the EPUB."""
    paragraphs = []
    for number in range(1, count + 1):
        topic = _TOPICS[(number * 3 + chapter) % len(_TOPICS)]
        paragraphs.append(
            f"Paragraph {number} of chapter {chapter} is about {topic}: peers who meet near "
            f"the {topic} share what each of them knows, number {number * 7 + chapter}, and "
            f"they write it down so that group {chapter}-{number} can build on it later. "
            f"Learning together works when everyone both asks and answers; note {number}.")
    return "\n\n".join(paragraphs)


CHAPTER_ONE = f"""# First chapter

### A heading that skips a level

{_prose(1, 40)}

![A circle of six people sharing notes at a table](images/circle.png)

![image](images/photo1.png)

![IMG_2041.png](images/photo2.png)

[![A hand-drawn map of the town centre](images/map.png)](https://example.org/map)

[![A drawing of the garden in the second chapter](images/garden.png)](second.md)

##

#### Deeper still

{_prose(2, 20)}

### ![image](https://example.org/remote-heading.png)

| Column | Picture |
|--------|---------|
| one    | ![a remote chart](https://example.org/chart.png) |

A link around a lost picture: [![lost](https://example.org/lost.png)](https://example.org/).

## References

1. Doe, J. (2020). Learning together.
"""

CHAPTER_TWO = f"""# Second chapter

{_prose(3, 40)}

## Sub-section two

{_prose(4, 20)}

## References

1. Roe, M. (2021). Peers.
"""


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Book, Path]:
    root = tmp_path_factory.mktemp("a11y")
    images = {name: png_bytes(40, 30) for name in
              ("circle.png", "photo1.png", "photo2.png", "map.png", "garden.png")}
    contents = ("# Checked Book\n\n- [First chapter](chapters/first.md)\n"
                "- [Second chapter](chapters/second.md)\n")
    book = make_book(root / "book", {"first.md": CHAPTER_ONE, "second.md": CHAPTER_TWO},
                     toml=TOML, images=images, contents=contents)
    out = root / "out"
    run = run_cli(build_args(book, out, ("print", "epub")), timeout=600)
    assert run.exit_code == 0, run.output
    return book, out


class Epub:
    def __init__(self, path: Path) -> None:
        self.zip = zipfile.ZipFile(path)

    def xml(self, name: str) -> etree._Element:
        return etree.fromstring(self.zip.read(f"EPUB/{name}"))

    @property
    def texts(self) -> list[str]:
        return sorted(n.removeprefix("EPUB/") for n in self.zip.namelist()
                      if n.startswith("EPUB/text/"))


def test_headings_never_skip_and_none_is_empty(built: tuple[Book, Path]) -> None:
    epub = Epub(built[1] / "book.epub")
    for name in epub.texts:
        root = epub.xml(name)
        levels = [int(h.tag[-1]) for h in root.iter(*epub_a11y.HEADING_TAGS)]
        assert levels[0] == 1, name
        assert all(b <= a + 1 for a, b in pairwise(levels)), (name, levels)
        assert all(epub_a11y.heading_text(h) for h in root.iter(*epub_a11y.HEADING_TAGS)), name
    first = epub.xml("text/first.xhtml")
    titles = {epub_a11y.heading_text(h): h.tag[-1] for h in first.iter(*epub_a11y.HEADING_TAGS)}
    assert titles["A heading that skips a level"] == "2"  # was <h3> right under the title
    assert titles["Deeper still"] == "3"  # was <h4>: one below the section it sits in


def test_normalize_headings_keeps_relative_nesting() -> None:
    root = html_to_xhtml("<section><h1>T</h1><h3>a</h3><h5>b</h5><h4>c</h4><h2>d</h2>"
                         "<h6>e</h6><h1>f</h1></section>")
    epub_a11y.normalize_headings(root)
    assert [h.tag[-1] for h in root.iter(*epub_a11y.HEADING_TAGS)] == list("1233232")


def test_placeholders_are_valid_in_heading_link_and_cell(built: tuple[Book, Path]) -> None:
    first = Epub(built[1] / "book.epub").xml("text/first.xhtml")
    placeholders = first.findall(".//x:span[@class='image-placeholder']", NS)
    assert len(placeholders) >= 3
    for span in placeholders:
        assert span.get("role") == "img" and span.get("aria-label")
    # role="img" only on spans: never on a heading or a section (ARIA allows neither there)
    assert [el.tag for el in first.iter() if el.get("role") == "img"] == [xtag("span")] * len(
        placeholders)
    heading = next(h for h in first.iter(*epub_a11y.HEADING_TAGS)
                   if h.find("x:span[@role='img']", NS) is not None)
    assert "Image not available" in epub_a11y.heading_text(heading)
    assert first.find(".//x:td/x:span[@role='img']", NS) is not None
    for anchor in first.iter(xtag("a")):  # nothing interactive inside a placeholder or a link
        assert anchor.find(".//x:a", NS) is None


def test_pictures_link_only_inside_the_book(built: tuple[Book, Path]) -> None:
    first = Epub(built[1] / "book.epub").xml("text/first.xhtml")
    linked = {img.get("alt"): anchor.get("href") for anchor in first.iter(xtag("a"))
              for img in anchor.iter(xtag("img"))}
    assert linked == {"A drawing of the garden in the second chapter": "second.xhtml"}
    alts = [img.get("alt") for img in first.iter(xtag("img"))]
    assert "A hand-drawn map of the town centre" in alts  # kept, unwrapped


def test_references_are_bibliographies_not_in_nav(built: tuple[Book, Path]) -> None:
    epub = Epub(built[1] / "book.epub")
    for name in ("text/first.xhtml", "text/second.xhtml"):
        sections = [s for s in epub.xml(name).iter(xtag("section"))
                    if s.get(EPUB_TYPE) == "bibliography"]
        assert len(sections) == 1 and sections[0].get("role") == "doc-bibliography"
    nav = epub.xml("nav.xhtml")
    toc = [a.text for a in nav.find(".//x:nav[@id='toc']", NS).iter(xtag("a"))]
    assert "References" not in toc
    assert toc == ["First chapter", "A heading that skips a level",
                   "Image not available: remote-heading.png", "Second chapter", "Sub-section two"]
    landmarks = [a.get(EPUB_TYPE) for a in nav.find(".//x:nav[@id='landmarks']", NS).iter(
        xtag("a"))]
    assert landmarks == ["cover", "titlepage", "copyright-page", "toc", "bodymatter"]


def _metadata(epub: Epub) -> tuple[etree._Element, dict[str, list[str]]]:
    package = epub.xml("content.opf")
    values: dict[str, list[str]] = {}
    for meta in package.iterfind(".//opf:metadata/opf:meta", NS):
        if meta.get("property"):
            values.setdefault(str(meta.get("property")), []).append(meta.text or "")
    return package, values


def test_package_language_contributors_and_dates(built: tuple[Book, Path]) -> None:
    package, values = _metadata(Epub(built[1] / "book.epub"))
    assert package.get(XML_LANG) == "en"
    assert values["dcterms:modified"] == ["2024-03-01T00:00:00Z"]
    creators = [c.text for c in package.iterfind(".//dc:creator", NS)]
    contributors = [c.text for c in package.iterfind(".//dc:contributor", NS)]
    assert creators == ["Jane Doe", "Max Roe"]
    assert contributors == ["Lee Poe", "Kim Loe"]  # Jane Doe is not repeated as "(editor)"
    roles: dict[str, list[str]] = {}
    sort_names: dict[str, str] = {}
    for meta in package.iterfind(".//opf:meta[@refines]", NS):
        person = package.find(f".//*[@id='{meta.get('refines', '')[1:]}']")
        assert person is not None
        if meta.get("property") == "role":
            roles.setdefault(person.text or "", []).append(meta.text or "")
        if meta.get("property") == "file-as":
            sort_names[person.text or ""] = meta.text or ""
    assert roles == {"Jane Doe": ["aut", "edt"], "Max Roe": ["aut"], "Lee Poe": ["ill"],
                     "Kim Loe": ["trl"]}
    assert sort_names["Jane Doe"] == "Doe, Jane"
    assert values["pageBreakSource"] == ["urn:uuid:0f8a3c52-1b7e-4d0e-9a51-3f6c2d7e8a02"]


def test_file_as() -> None:
    assert file_as("Lisa Snow MacDonald") == "MacDonald, Lisa Snow"
    assert file_as("The handbook-build team") == "The handbook-build team"
    assert file_as("Plato") == "Plato"


def test_meaningless_alt_text_is_not_claimed_as_described(built: tuple[Book, Path]) -> None:
    _, values = _metadata(Epub(built[1] / "book.epub"))
    assert "alternativeText" not in values["schema:accessibilityFeature"]
    assert "textual" not in values["schema:accessModeSufficient"]  # pictures need sight here
    assert values["schema:accessModeSufficient"] == ["textual,visual"]
    summary = values["schema:accessibilitySummary"][0]
    assert "have no meaningful text alternative" in summary
    assert "pageBreakMarkers" in values["schema:accessibilityFeature"]
    assert values["schema:accessibilityHazard"] == ["none"]


def test_described_images_are_claimed() -> None:
    claimed = dict(accessibility_metadata(Accessibility(True, False, images=3, described=3)))
    pairs = accessibility_metadata(Accessibility(True, False, images=3, described=3))
    assert ("schema:accessibilityFeature", "alternativeText") in pairs
    assert ("schema:accessModeSufficient", "textual") in pairs
    assert "Each of its 3 images has a text alternative" in claimed[
        "schema:accessibilitySummary"]
    mathml = accessibility_metadata(Accessibility(True, False, has_mathml=True))
    assert ("schema:accessibilityFeature", "MathML") in mathml


def test_check_warns_on_alt_text_that_says_nothing(built: tuple[Book, Path]) -> None:
    book, _ = built
    run = run_cli(["check", str(book.manifest)], timeout=120)
    lines = CHAPTER_ONE.splitlines()
    warned = re.findall(r"first\.md:(\d+):\d+: warning: alt text says nothing \(([^)]*)\)",
                        run.output)
    assert [(lines[int(n) - 1][:12], why) for n, why in warned] == [
        ("![image](ima", "only says 'image'"), ("![IMG_2041.p", "a file name"),
        ("### ![image]", "only says 'image'")]


# --- the page list ----------------------------------------------------------------------------


def _pdftotext(pdf: Path, page: int) -> str:
    return subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), str(pdf), "-"],
                          capture_output=True, text=True, check=True).stdout


def _text_after(root: etree._Element, marker_id: str, chars: int = 40) -> str:
    marker = root.find(f".//*[@id='{marker_id}']")
    assert marker is not None, marker_id
    return normalized("".join(marker.xpath("following::text()")))[:chars]


def test_page_list_has_one_entry_per_print_page(built: tuple[Book, Path]) -> None:
    from pypdf import PdfReader

    _, out = built
    epub = Epub(out / "book.epub")
    nav = epub.xml("nav.xhtml")
    page_list = nav.find(".//x:nav[@e:type='page-list']", NS)
    assert page_list is not None
    links = page_list.findall(".//x:a", NS)
    pages = len(PdfReader(out / "book-print.pdf").pages)
    assert pages > 10
    assert len(links) == pages
    labels = [a.text for a in links]
    assert len(set(labels)) == pages
    body = [label for label in labels if label and label.isdigit()]
    assert body == [str(n) for n in range(1, len(body) + 1)]  # folios as printed, in order
    for link in links:
        href, marker_id = link.get("href", "").split("#")
        marker = epub.xml(href).find(f".//*[@id='{marker_id}']")
        assert marker is not None
        assert marker.get(EPUB_TYPE) == "pagebreak"
        assert marker.get("role") == "doc-pagebreak"
        assert marker.get("aria-label") == link.text


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) absent")
def test_ten_markers_stand_where_their_print_page_begins(built: tuple[Book, Path]) -> None:
    """The text after the marker is the first text of that print page, as pdftotext reads it
    (running head and folio aside): checked on ten body pages with text, spread over the book
    (notes pages have none of the book's text: their marker is where the next page begins)."""
    _, out = built
    epub = Epub(out / "book.epub")
    links = epub.xml("nav.xhtml").findall(".//x:nav[@e:type='page-list']//x:a", NS)
    pdf = out / "book-print.pdf"
    candidates = []
    for number, link in enumerate(links, start=1):
        lines = [line for line in _pdftotext(pdf, number).splitlines()
                 if line.strip() and not re.fullmatch(r"\s*\d+\s*", line)]
        if (str(link.text).isdigit() and len(lines) > 3
                and not any(line.startswith("Notes") for line in lines[:2])):
            # the page's text from its first line, and without its first line (a running head)
            candidates.append((link, normalized("".join(lines))[:40],
                               normalized("".join(lines[1:]))[:40]))
    assert len(candidates) >= 10
    step = len(candidates) / 10
    for index in range(10):
        link, whole, headless = candidates[int(index * step)]
        href, marker_id = link.get("href", "").split("#")
        after = _text_after(epub.xml(href), marker_id)
        assert after in (whole, headless), (link.text, after, whole, headless)


# --- the validators ---------------------------------------------------------------------------


@pytest.mark.skipif(java_path() is None, reason="EPUBCheck needs Java")
def test_epubcheck_clean(built: tuple[Book, Path]) -> None:
    result = run_epubcheck(built[1] / "book.epub")
    assert (result.fatals, result.errors, result.warnings) == (0, 0, 0), [
        str(m) for m in result.messages]


ACE, ACE_MISSING = find_ace()


@pytest.mark.skipif(ACE is None, reason=ACE_MISSING or "Ace is installed")
def test_ace_finds_no_violation(built: tuple[Book, Path]) -> None:
    result = run_ace(built[1] / "book.epub", ACE)
    assert [str(finding) for finding in result.findings] == []


@pytest.mark.skipif(ACE is None, reason=ACE_MISSING or "Ace is installed")
def test_check_epub_reports_ace_findings_with_file_and_line(tmp_path: Path,
                                                            built: tuple[Book, Path]) -> None:
    """A broken copy (a heading level skipped, no language on the package): ``check`` names
    the rule, the file inside the EPUB and the line."""
    source = built[1] / "book.epub"
    broken = tmp_path / "broken.epub"
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(broken, "w") as target:
        for info in original.infolist():
            data = original.read(info)
            if info.filename == "EPUB/text/second.xhtml":
                data = data.replace(b"<h2>Sub-section two</h2>", b"<h4>Sub-section two</h4>")
            if info.filename == "EPUB/content.opf":
                data = data.replace(b' xml:lang="en"', b"")
            target.writestr(info, data)
    run = run_cli(["check", str(broken)], timeout=600)
    assert run.exit_code == 1
    line = next(i for i, text in enumerate(
        zipfile.ZipFile(broken).read("EPUB/text/second.xhtml").decode().splitlines(), 1)
        if "<h4>Sub-section two" in text)
    assert re.search(rf"broken\.epub/EPUB/text/second\.xhtml:{line}: warning: .*"
                     r"\[ace:heading-order\]", run.output), run.output
    assert re.search(r"broken\.epub/EPUB/content\.opf: error: .*\[ace:epub-lang\]", run.output)


def test_locate_finds_the_line_of_an_element() -> None:
    text = '<html>\n<body>\n<section id="a">\n<h3 class="x">T</h3>\n</section></body></html>'
    assert locate(text, '<h3 xmlns="http://www.w3.org/1999/xhtml" class="x">') == 4
    assert locate(text, '<section xmlns="http://www.w3.org/1999/xhtml" id="a" class="z">') == 3
    assert locate(text, "") is None


def test_nfkc_normalization_matches_ligatures() -> None:
    assert normalized("ﬁrst “peer-to-peer”\u00ad") == normalized("first peer to peer")
    assert unicodedata.normalize("NFKC", "ﬁ") == "fi"


def test_nav_depth_is_checked(tmp_path: Path) -> None:
    from handbook_build.sources.manifest import validate_manifest

    book = make_book(tmp_path / "b", toml_extra="\n[epub]\nnav_depth = 9\n")
    _, diagnostics = validate_manifest(book.manifest)
    assert any("nav_depth must be 1 to 6" in d.message and d.line for d in diagnostics)
    good = make_book(tmp_path / "g", toml_extra="\n[epub]\nnav_depth = 1\n")
    manifest, diagnostics = validate_manifest(good.manifest)
    assert manifest is not None and manifest.epub.nav_depth == 1


def test_meaningless_alt_rules() -> None:
    from handbook_build.sources.alt_text import meaningless_alt

    assert meaningless_alt("image") and meaningless_alt("Picture 3") and meaningless_alt("")
    assert meaningless_alt("IMG_2041.png") and meaningless_alt("DSC01234")
    assert meaningless_alt("guy2 202x300", "http://x/guy2-202x300.jpg")
    assert not meaningless_alt("Kipling", "http://x/kipling.jpg")
    assert not meaningless_alt("Six people around a table sharing notes")
