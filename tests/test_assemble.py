"""Tests of the assemble stage: the golden manuscript, and that pandoc reads the assembled book
exactly as it reads each chapter on its own (same notes, same link targets after rewriting)."""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pypandoc
import pytest

from handbook_build.html.assemble import (
    PANDOC_MARKDOWN_FORMAT,
    assemble,
    chapter_heading,
    escape_title,
    part_heading,
)
from handbook_build.model import Book, Manuscript, TocNode
from handbook_build.sources.chapters import read_book
from handbook_build.sources.manifest import load_manifest

TESTS = Path(__file__).resolve().parent
MINI = TESTS / "fixtures" / "mini"
GOLDEN = TESTS / "golden" / "sample.md"
HANDBOOK_MANIFEST = TESTS.parent / "editions" / "peeragogy-v3" / "book.toml"

Json = Any


@pytest.fixture(scope="module")
def mini_book() -> Book:
    # Output next to the fixture, so image srcs in the golden file do not depend on tmp paths.
    return read_book(load_manifest(MINI / "book.toml"), MINI / "out")


def run_pandoc(markdown: str) -> tuple[Json, str]:
    """pandoc's AST of ``markdown`` read as the manuscript is read, and its warnings."""
    result = subprocess.run(
        [pypandoc.get_pandoc_path(), "-f", PANDOC_MARKDOWN_FORMAT, "-t", "json"],
        input=markdown, capture_output=True, text=True, check=True)
    return json.loads(result.stdout), result.stderr


def walk(node: Json) -> Iterator[dict[str, Json]]:
    """Every AST element, depth first, in document order."""
    if isinstance(node, dict):
        if "t" in node:
            yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value)


def stringify(node: Json) -> str:
    if isinstance(node, list):
        return "".join(stringify(item) for item in node)
    if not isinstance(node, dict):
        return ""
    kind, content = node.get("t"), node.get("c")
    if kind == "Str":
        return str(content)
    if kind in ("Space", "SoftBreak", "LineBreak"):
        return " "
    if kind == "Code":
        return str(content[1])
    if kind == "Quoted":
        mark = '"' if content[0]["t"] == "DoubleQuote" else "'"
        return f"{mark}{stringify(content[1])}{mark}"
    if kind in ("Link", "Image", "Span"):
        return stringify(content[1])
    if kind in ("Para", "Plain", "Emph", "Strong", "Note", "Strikeout", "Underline", "SmallCaps",
                "Superscript", "Subscript", "Header"):
        return stringify(content[2] if kind == "Header" else content)
    return stringify(content)


def chapter_facts(blocks: list[Json]) -> dict[str, list[str]]:
    """Notes (as text), link targets and image alts of some blocks, in order."""
    elements = list(walk(blocks))
    return {
        "notes": [stringify(e["c"]) for e in elements if e["t"] == "Note"],
        "links": [e["c"][2][0] for e in elements if e["t"] == "Link"],
        "images": [stringify(e["c"][1]) for e in elements if e["t"] == "Image"],
    }


def split_chapters(doc: Json) -> dict[str, list[Json]]:
    """The assembled AST cut at the chapter titles: slug -> that chapter's blocks."""
    chapters: dict[str, list[Json]] = {}
    current: list[Json] | None = None
    for block in doc["blocks"]:
        if block["t"] == "Header" and block["c"][0] == 1:
            ident, classes, _ = block["c"][1]
            current = chapters.setdefault(ident, []) if "chapter" in classes else None
            continue
        if current is not None:
            current.append(block)
    return chapters


def expected_target(url: str, slug: str, slug_by_file: dict[str, str]) -> str:
    """A link target of a chapter on its own, as the manuscript contract rewrites it."""
    if url.startswith("#"):
        return f"#{slug}--{url[1:]}"
    match = re.fullmatch(r"(?P<file>[\w.-]+\.md)(?:#(?P<frag>.*))?", url)
    if match and match["file"] in slug_by_file:
        other = slug_by_file[match["file"]]
        return f"#{other}--{match['frag']}" if match["frag"] else f"#{other}"
    return url


def all_ids(doc: Json) -> list[str]:
    ids: list[str] = []
    for element in walk(doc["blocks"]):
        content = element.get("c")
        if element["t"] in ("Header",) and content:
            ids.append(content[1][0])
        elif element["t"] in ("Div", "Span", "CodeBlock", "Table", "Figure") and content:
            attr = content[0]
            if isinstance(attr, list) and attr and isinstance(attr[0], str) and attr[0]:
                ids.append(attr[0])
    return ids


# --- the contract -----------------------------------------------------------------------------


def test_golden_manuscript(mini_book: Book) -> None:
    text = assemble(mini_book).text
    if os.environ.get("UPDATE_GOLDEN") == "1":
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        GOLDEN.write_text(text, encoding="utf-8")
    assert text == GOLDEN.read_text(encoding="utf-8"), "run with UPDATE_GOLDEN=1 if intended"


def test_assembly_is_deterministic(mini_book: Book) -> None:
    again = read_book(load_manifest(MINI / "book.toml"), MINI / "out")
    assert assemble(again).text == assemble(mini_book).text


def test_parts_and_chapters_follow_the_contract(mini_book: Book) -> None:
    manuscript = assemble(mini_book)
    assert isinstance(manuscript, Manuscript) and manuscript.book is mini_book
    text = manuscript.text
    assert text.endswith("\n") and not text.endswith("\n\n")
    titles = [line for line in text.split("\n") if line.startswith("# ")]
    assert titles == [
        '# Getting started {#one .chapter data-depth="1"}',
        "# Practice {#part-practice .part}",
        '# Working in pairs {#two .chapter data-depth="2"}',
        '# Notes \\& asides \\#2 {#three .chapter data-depth="3"}',
    ]
    assert "\n---\n" not in text.split("```")[0]  # breaks are written as * * *
    assert not re.search(r"(?m)^\[[^\]^]+\]:", text)  # no reference definitions remain


@pytest.mark.parametrize("title", ["Notes & *asides*", "a_b [c] {d} <e> ` #g |h| ~i~ ^j^ $k$",
                                   "C# -- \"quoted\" 'single' 100% @cite!", "trailing \\"])
def test_titles_read_back_literally(title: str) -> None:
    node = TocNode("chapter", title, 2, "x", 1, None)
    doc, _ = run_pandoc(chapter_heading(node) + "\n")
    [header] = doc["blocks"]
    assert header["c"][1] == ["x", ["chapter"], [["data-depth", "2"]]]
    # smart typography may curl quotes and turn -- into a dash; nothing else changes
    plain = stringify(header["c"][2]).replace("\u2013", "--").translate(
        str.maketrans({"\u201c": '"', "\u201d": '"', "\u2018": "'", "\u2019": "'"}))
    assert plain == title
    part = TocNode("part", title, 1, "part-x", 1, None)
    assert run_pandoc(part_heading(part))[0]["blocks"][0]["c"][1] == ["part-x", ["part"], []]


def test_a_code_span_in_a_title_stays_code() -> None:
    """``[The `Rc<T>` type](rc.md)``: code in the title, never literal backticks (issue 15)."""
    node = TocNode("chapter", "The `Rc<T>` *type*", 2, "x", 1, None)
    doc, _ = run_pandoc(chapter_heading(node) + "\n")
    inlines = doc["blocks"][0]["c"][2]
    assert {"t": "Code", "c": [["", [], []], "Rc<T>"]} in inlines
    assert stringify(inlines) == "The Rc<T> *type*"


def test_escape_title_keeps_one_line() -> None:
    assert escape_title("  two\n lines ") == "two lines"


# --- semantic equivalence with each chapter read alone ----------------------------------------


def check_equivalence(book: Book, manuscript: Manuscript) -> None:
    doc, warnings = run_pandoc(manuscript.text)
    assert "Duplicate" not in warnings
    assembled = split_chapters(doc)
    slug_by_file = {c.node.source_path.name: c.node.slug for c in book.chapters
                    if c.node.source_path is not None}
    assert list(assembled) == [chapter.node.slug for chapter in book.chapters]
    for chapter in book.chapters:
        alone, _ = run_pandoc(chapter.source_text)
        before = chapter_facts(alone["blocks"])
        after = chapter_facts(assembled[chapter.node.slug])
        slug = chapter.node.slug
        assert after["notes"] == before["notes"], slug
        assert after["links"] == [expected_target(u, slug, slug_by_file)
                                  for u in before["links"]], slug
        assert after["images"] == before["images"], slug


def test_assembled_book_means_what_the_chapters_meant(mini_book: Book) -> None:
    manuscript = assemble(mini_book)
    check_equivalence(mini_book, manuscript)
    facts = chapter_facts(split_chapters(run_pandoc(manuscript.text)[0])["one"])
    # The chapter's own [1] won, not another chapter's: the collision the inlining prevents.
    assert facts["links"].count("https://example.org/guide") == 2
    assert "https://example.org/pairing-notes" not in facts["links"]
    assert facts["notes"] == ["Everyone has one.", "See the study."]


def test_internal_links_and_ids(mini_book: Book) -> None:
    doc, _ = run_pandoc(assemble(mini_book).text)
    ids = all_ids(doc)
    assert len(ids) == len(set(ids))
    targets = [e["c"][2][0] for e in walk(doc["blocks"]) if e["t"] == "Link"]
    internal = [t[1:] for t in targets if t.startswith("#")]
    assert internal and set(internal) <= set(ids)


# --- the real handbook ------------------------------------------------------------------------


@pytest.mark.corpus
def test_corpus_assembles_cleanly(corpus_dir: Path, tmp_path: Path) -> None:
    manifest = load_manifest(HANDBOOK_MANIFEST, source_dir=corpus_dir)
    book = read_book(manifest, tmp_path / "out")
    manuscript = assemble(book)
    text = manuscript.text
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", text)
    doc, warnings = run_pandoc(text)
    assert "Duplicate link reference" not in warnings
    assert "Duplicate note reference" not in warnings
    chapters = [b["c"][1][0] for b in doc["blocks"]
                if b["t"] == "Header" and b["c"][0] == 1 and "chapter" in b["c"][1][1]]
    assert len(chapters) == 60
    assert chapters == [node.slug for node in manifest.chapters]
    ids = all_ids(doc)
    assert [ident for ident, count in Counter(ids).items() if count > 1] == []
    internal = {e["c"][2][0][1:] for e in walk(doc["blocks"])
                if e["t"] == "Link" and e["c"][2][0].startswith("#")}
    assert internal <= set(ids)
    codes = Counter(d.code for d in book.diagnostics)
    assert codes["control-character"] >= 1 and all(
        d.severity == "warning" for d in book.diagnostics)
