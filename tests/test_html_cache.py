"""The pandoc stage per section: cached HTML is exactly what one pandoc run over the book gives."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import lxml.html
import pytest

from handbook_build.html import html_cache
from handbook_build.html.assemble import assemble
from handbook_build.html.htmlbook import to_html
from handbook_build.html.pandoc import markdown_to_html
from handbook_build.model import Book, Chapter, Manifest, Manuscript, Metadata, TocNode
from handbook_build.sources.chapters import read_book
from handbook_build.sources.manifest import load_manifest

PROJECT_DIR = Path(__file__).resolve().parent.parent
SAMPLE = PROJECT_DIR / "manuscript" / "book.toml"
HANDBOOK = PROJECT_DIR / "editions" / "peeragogy-v3" / "book.toml"


def manuscript_of(manifest_path: Path, out: Path, source: Path | None = None) -> Manuscript:
    return assemble(read_book(load_manifest(manifest_path, source), out))


def with_chapter_text(manuscript: Manuscript, slug: str, extra: str) -> Manuscript:
    book = manuscript.book
    chapters = tuple(
        dataclasses.replace(c, markdown=c.markdown.rstrip("\n") + f"\n\n{extra}\n")
        if c.node.slug == slug else c for c in book.chapters)
    return assemble(dataclasses.replace(book, chapters=chapters))


def test_sample_book_cached_equals_one_pandoc_run(tmp_path: Path) -> None:
    manuscript = manuscript_of(SAMPLE, tmp_path / "out")
    cache = tmp_path / ".cache"
    cold = html_cache.convert(manuscript, cache)
    assert cold is not None
    assert cold.stats.hits == 0 and len(cold.stats.converted) == cold.stats.sections
    assert to_html(manuscript, cache) == to_html(manuscript)
    warm = html_cache.convert(manuscript, cache)
    assert warm is not None and warm.html == cold.html
    assert warm.stats.hits == warm.stats.sections and warm.stats.pandoc_runs == 0


def test_an_edit_converts_only_its_chapter(tmp_path: Path) -> None:
    manuscript = manuscript_of(SAMPLE, tmp_path / "out")
    cache = tmp_path / ".cache"
    html_cache.convert(manuscript, cache)
    changed = with_chapter_text(manuscript, "editions",
                                "A new paragraph with a note.[^editions--new]\n\n"
                                "[^editions--new]: The new note.")
    result = html_cache.convert(changed, cache)
    assert result is not None
    assert result.stats.converted == ("editions",) and result.stats.pandoc_runs == 1
    assert to_html(changed, cache) == to_html(changed)


def _manifest(tmp_path: Path, nodes: tuple[TocNode, ...]) -> Manifest:
    return Manifest(
        manifest_path=tmp_path / "book.toml", root_dir=tmp_path, source_dir=tmp_path,
        allowed_roots=(tmp_path,), stem="t", metadata=Metadata(title="T"),
        contents_path=tmp_path / "contents.md", nodes=nodes, image_dirs=(),
        styles_dir=tmp_path,
    )


def test_notes_are_numbered_per_chapter_as_in_one_run(tmp_path: Path) -> None:
    """The Lua filter restarts note numbers at every level-1 heading, so a chapter converted
    alone numbers its notes as it does inside the whole book."""
    nodes = (
        TocNode("part", "Part", 1, "part-one", 1),
        TocNode("chapter", "One", 2, "one", 2, tmp_path / "one.md"),
        TocNode("chapter", "Two", 2, "two", 3, tmp_path / "two.md"),
    )
    chapters = (
        Chapter(nodes[1], "First[^one--a] and second[^one--b].\n\n[^one--a]: A.\n\n"
                          "[^one--b]: B.", ""),
        Chapter(nodes[2], "Third[^two--a].\n\n[^two--a]: C, *emphasised*.", ""),
    )
    manuscript = assemble(Book(_manifest(tmp_path, nodes), chapters, (), (), tmp_path))
    result = html_cache.convert(manuscript, tmp_path / ".cache")
    assert result is not None
    whole = markdown_to_html(manuscript.text)

    def notes(html: str) -> list[tuple[str, str]]:
        root = lxml.html.fromstring(f"<div>{html}</div>")
        return [(span.get("id"), span.get("data-n")) for span in root.find_class("footnote")]

    assert notes(result.html) == notes(whole) == [
        ("fn-one-1", "1"), ("fn-one-2", "2"), ("fn-two-1", "1")]
    assert to_html(manuscript, tmp_path / ".cache") == to_html(manuscript)


def test_a_manuscript_that_does_not_split_is_converted_whole(tmp_path: Path) -> None:
    manuscript = manuscript_of(SAMPLE, tmp_path / "out")
    odd = dataclasses.replace(manuscript, text=manuscript.text + "\nTrailing text.\n")
    assert html_cache.section_sources(odd) is None
    assert html_cache.convert(odd, tmp_path / ".cache") is None
    assert to_html(odd, tmp_path / ".cache") == to_html(odd)


def test_a_damaged_entry_is_converted_again(tmp_path: Path) -> None:
    manuscript = manuscript_of(SAMPLE, tmp_path / "out")
    cache = tmp_path / ".cache"
    first = html_cache.convert(manuscript, cache)
    for entry in (cache / html_cache.CACHE_SUBDIR).iterdir():
        entry.write_bytes(b"\xff\xfe not utf-8")
        break
    again = html_cache.convert(manuscript, cache)
    assert first is not None and again is not None
    assert again.html == first.html and again.stats.hits == again.stats.sections - 1


def test_old_entries_are_pruned(tmp_path: Path) -> None:
    manuscript = manuscript_of(SAMPLE, tmp_path / "out")
    cache = tmp_path / ".cache"
    for number in range(html_cache.KEEP_FACTOR + 3):
        html_cache.convert(with_chapter_text(manuscript, "editions", f"Edit {number}."),
                           cache)
    sections = len(html_cache.section_sources(manuscript) or [])
    kept = list((cache / html_cache.CACHE_SUBDIR).iterdir())
    assert len(kept) <= html_cache.KEEP_FACTOR * sections


@pytest.mark.corpus
@pytest.mark.slow
def test_real_handbook_cached_equals_one_pandoc_run(corpus_dir: Path, tmp_path: Path) -> None:
    manuscript = manuscript_of(HANDBOOK, tmp_path / "out", corpus_dir)
    cold = html_cache.convert(manuscript, tmp_path / ".cache")
    assert cold is not None and cold.stats.pandoc_runs == 2  # both cores on a clean build
    assert to_html(manuscript, tmp_path / ".cache") == to_html(manuscript)


def test_long_books_are_converted_in_bounded_batches() -> None:
    missing = [(i, (f"s{i}", "x" * 50_000)) for i in range(20)]  # a million characters
    batches = html_cache._batches(missing)
    assert len(batches) == 4
    assert [i for batch in batches for i, _ in batch] == list(range(20))  # order kept
    assert all(sum(len(text) for _, (_, text) in batch) <= html_cache.MAX_BATCH_CHARS
               for batch in batches)
    assert len(html_cache._batches(missing[:2])) == 2  # two cores for a short book
    assert len(html_cache._batches([(0, ("a", "short"))])) == 1
