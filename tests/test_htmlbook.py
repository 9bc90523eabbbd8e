"""The HTML stage: one pandoc run, split per section, footnotes per chapter, sanitized."""

from __future__ import annotations

from pathlib import Path

import lxml.html
import pytest

from handbook_build.errors import RenderError
from handbook_build.html.htmlbook import to_html
from handbook_build.model import Book, Manifest, Manuscript, Metadata, TocNode


def _manifest(tmp_path: Path, nodes: tuple[TocNode, ...]) -> Manifest:
    return Manifest(
        manifest_path=tmp_path / "book.toml", root_dir=tmp_path, source_dir=tmp_path,
        allowed_roots=(tmp_path,), stem="t", metadata=Metadata(title="T"),
        contents_path=tmp_path / "contents.md", nodes=nodes, image_dirs=(),
        styles_dir=tmp_path,
    )


NODES = (
    TocNode("part", "Part One", 1, "part-one", 1),
    TocNode("chapter", "First", 2, "first", 2, Path("/x/first.md")),
    TocNode("chapter", "Second", 2, "second", 3, Path("/x/second.md")),
)
TEXT = """# Part One {#part-one .part}

# First {#first .chapter data-depth="2"}

Alpha[^first--1] beta[^first--2].

## Sub heading {#first--sub-heading}

Gamma <script>alert("x")</script> <a href="javascript:alert(1)" onclick="x()">bad</a>.

[^first--1]: One.
[^first--2]: Two *emphasised*.

# Second {#second .chapter data-depth="2"}

Delta[^second--1] and [back](#first--sub-heading). It costs $5 or $6.

[Image not available: a map]{.image-placeholder}

[^second--1]: Again one.
"""


@pytest.fixture()
def html_book(tmp_path: Path):  # type: ignore[no-untyped-def]
    manifest = _manifest(tmp_path, NODES)
    book = Book(manifest, (), (), (), tmp_path)
    return to_html(Manuscript(book, TEXT))


def test_one_section_per_node_in_order(html_book) -> None:  # type: ignore[no-untyped-def]
    assert [s.node.slug for s in html_book.sections] == ["part-one", "first", "second"]
    first = lxml.html.fragment_fromstring(html_book.sections[1].html)
    assert first.get("class") == "chapter depth-2"
    assert first.get("data-title") == "First"
    assert first.find("h1").text_content() == "First"


def test_footnotes_are_inline_spans_numbered_per_chapter(html_book) -> None:  # type: ignore[no-untyped-def]
    numbers = []
    for section in html_book.sections[1:]:
        element = lxml.html.fragment_fromstring(section.html)
        notes = element.find_class("footnote")
        numbers.append([(note.get("data-n"), note.text_content()) for note in notes])
    assert numbers == [[("1", "One."), ("2", "Two emphasised.")], [("1", "Again one.")]]


def test_headings_listed_with_section_ids(html_book) -> None:  # type: ignore[no-untyped-def]
    assert html_book.sections[1].headings == ((2, "first--sub-heading", "Sub heading"),)


def test_scripts_and_handlers_removed_and_reported(html_book) -> None:  # type: ignore[no-untyped-def]
    html = html_book.sections[1].html
    assert "script" not in html and "alert" not in html and "onclick" not in html
    assert "javascript" not in html
    codes = {(d.code, d.message) for d in html_book.diagnostics}
    assert ("raw-html-dropped", "raw HTML <script> removed") in codes


def test_dollars_are_not_math_and_placeholder_is_marked(html_book) -> None:  # type: ignore[no-untyped-def]
    second = lxml.html.fragment_fromstring(html_book.sections[2].html)
    assert "$5 or $6" in second.text_content()
    placeholder = second.find_class("image-placeholder")[0]
    assert placeholder.get("role") == "img"
    assert placeholder.get("aria-label") == "Image not available: a map"


def test_a_section_lost_in_conversion_is_an_error(tmp_path: Path) -> None:
    manifest = _manifest(tmp_path, NODES)
    book = Book(manifest, (), (), (), tmp_path)
    with pytest.raises(RenderError, match="sections missing after conversion: second"):
        to_html(Manuscript(book, TEXT.split("# Second")[0]))


def test_titles_take_pandoc_typography(tmp_path: Path) -> None:
    nodes = (TocNode("chapter", "Theory -- Practice", 1, "tp", 1, Path("/x/tp.md")),)
    text = '# Theory -- Practice {#tp .chapter data-depth="1"}\n\nBody.\n'
    html_book = to_html(Manuscript(Book(_manifest(tmp_path, nodes), (), (), (), tmp_path), text))
    assert html_book.sections[0].node.title == "Theory \u2013 Practice"
    assert html_book.manifest.nodes[0].title == "Theory \u2013 Practice"
