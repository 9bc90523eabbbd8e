"""Chunked, cached paged editions: the same book as a single-pass layout, rebuilt in pieces.

What "the same" means here is what a reader sees and clicks, compared with pypdf page by page:
the text of every page (folios and running heads included), the outline (titles, nesting,
target pages and heights), the named destinations, the link annotations (rectangles and
targets), the page boxes and the document information. Between a clean chunked build and a
rebuild from the cache the comparison is stricter: the bytes.
"""

from __future__ import annotations

import dataclasses
import io
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from handbook_build.assemble import assemble
from handbook_build.htmlbook import to_html
from handbook_build.manifest import load_manifest
from handbook_build.model import HtmlBook, HtmlSection
from handbook_build.render import chunked
from handbook_build.render.chunked import BookLayout, ChunkCache, Paged
from handbook_build.render.pdf import pdf_edition, render_pdf
from handbook_build.sources import read_book

PROJECT_DIR = Path(__file__).resolve().parent.parent
SAMPLE = PROJECT_DIR / "manuscript" / "book.toml"
HANDBOOK = PROJECT_DIR / "editions" / "peeragogy-v3" / "book.toml"


# --- helpers --------------------------------------------------------------------------------

def html_book_of(manifest_path: Path, out: Path, source: Path | None = None) -> HtmlBook:
    manifest = load_manifest(manifest_path, source)
    return to_html(assemble(read_book(manifest, out)))


def pdf_summary(data: bytes) -> dict[str, Any]:
    """What a reader sees and clicks, page by page."""
    reader = PdfReader(io.BytesIO(data))

    def outline(items: Sequence[Any], depth: int = 0) -> list[tuple[Any, ...]]:
        found: list[tuple[Any, ...]] = []
        for item in items:
            if isinstance(item, list):
                found.extend(outline(item, depth + 1))
            else:
                found.append((depth, item.title, reader.get_destination_page_number(item),
                              round(float(item.top or 0), 1)))
        return found

    links = []
    for number, page in enumerate(reader.pages):
        for annotation in page.get("/Annots") or []:
            annotation = annotation.get_object()
            rect = tuple(round(float(v), 1) for v in annotation["/Rect"])
            if "/Dest" in annotation:
                links.append((number, rect, "dest", str(annotation["/Dest"])))
            else:
                links.append((number, rect, "uri", str(annotation["/A"]["/URI"])))
    return {
        "pages": len(reader.pages),
        "texts": [page.extract_text() for page in reader.pages],
        "outline": outline(reader.outline),
        "dests": {name: (reader.get_destination_page_number(dest), round(float(dest.top or 0), 1))
                  for name, dest in reader.named_destinations.items()},
        "links": links,
        "info": {key: str(value) for key, value in (reader.metadata or {}).items()},
        "lang": str(reader.trailer["/Root"].get("/Lang")),
        "boxes": [(tuple(round(float(v), 2) for v in page.mediabox),
                   tuple(round(float(v), 2) for v in page.trimbox)) for page in reader.pages],
    }


def assert_same_book(single: bytes, chunks: bytes, pixels: bool = False) -> None:
    expected, actual = pdf_summary(single), pdf_summary(chunks)
    assert actual["pages"] == expected["pages"]
    for number, (want, got) in enumerate(zip(expected["texts"], actual["texts"], strict=True)):
        assert got == want, f"page {number + 1} differs"
    for key in ("outline", "dests", "links", "info", "lang", "boxes"):
        assert actual[key] == expected[key], key
    if pixels:
        assert differing_pixels(single, chunks) == []


def differing_pixels(first: bytes, second: bytes, scale: float = 1.0) -> list[int]:
    """Page numbers (1-based) whose rendering differs: fonts merged across chunks draw the
    same glyphs as the fonts of a single-pass file."""
    import pypdfium2 as pdfium

    one, two = pdfium.PdfDocument(first), pdfium.PdfDocument(second)
    try:
        return [number + 1 for number in range(len(one))
                if one[number].render(scale=scale).to_pil().tobytes()
                != two[number].render(scale=scale).to_pil().tobytes()]
    finally:
        one.close()
        two.close()


def reading_paged(html_book: HtmlBook, group_chars: int | None = None) -> Paged:
    paged = chunked.paged_for(html_book, pdf_edition(html_book.manifest), "pdf",
                              repair_notes=True)
    return dataclasses.replace(paged, group_chars=group_chars) if group_chars else paged


def layout(html_book: HtmlBook, cache_dir: Path | None, group_chars: int | None = None,
           jobs: int = 1) -> BookLayout:
    kinds = [section.node.kind for section in html_book.sections]
    paged = reading_paged(html_book, group_chars)
    return chunked.layout_book(paged, kinds, ChunkCache.for_edition(cache_dir, "pdf"), jobs)


def edited(html_book: HtmlBook, slug: str, extra_html: str) -> HtmlBook:
    """``html_book`` with ``extra_html`` at the end of section ``slug``."""
    sections = []
    for section in html_book.sections:
        if section.node.slug == slug:
            head, _, _ = section.html.rpartition("</section>")
            section = HtmlSection(section.node, f"{head}{extra_html}</section>",
                                  section.headings)
        sections.append(section)
    return dataclasses.replace(html_book, sections=tuple(sections))


def paragraph(words: int) -> str:
    return "<p>" + " ".join(f"word{n % 97}" for n in range(words)) + ".</p>"


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> HtmlBook:
    return html_book_of(SAMPLE, tmp_path_factory.mktemp("sample-out"))


@pytest.fixture(scope="module")
def sample_single(sample: HtmlBook) -> bytes:
    return render_pdf(sample).data


# --- the sample book ------------------------------------------------------------------------

def test_pieces_join_into_the_single_pass_document(sample: HtmlBook) -> None:
    from handbook_build.render.document import build_document

    paged = reading_paged(sample)
    assert chunked.whole_document(paged) == build_document(sample, pdf_edition(sample.manifest))
    assert paged.support.supported, paged.support.reason


def test_chunked_reading_pdf_is_the_single_pass_book(sample: HtmlBook, sample_single: bytes,
                                                      tmp_path: Path) -> None:
    rendered = chunked.render_reading_pdf(sample, tmp_path / ".cache")
    assert rendered is not None
    assert_same_book(sample_single, rendered.data, pixels=True)
    assert rendered.page_count == len(PdfReader(io.BytesIO(sample_single)).pages)
    # One copy of each font, cut to the whole book's glyphs: about the single-pass size.
    assert len(rendered.data) < 1.3 * len(sample_single)


@pytest.mark.parametrize("group_chars", [1, 8_000])
def test_any_grouping_gives_the_same_book(sample: HtmlBook, sample_single: bytes,
                                          tmp_path: Path, group_chars: int) -> None:
    book = layout(sample, tmp_path / "cache", group_chars)
    if group_chars == 1:
        assert book.stats.groups == len(sample.sections)  # one chunk per section
    assert_same_book(sample_single, book.merge(seed=b"x"), pixels=True)


def test_a_group_laid_out_alone_is_its_slice_of_the_whole(sample: HtmlBook) -> None:
    paged = reading_paged(sample, group_chars=1)
    groups = chunked._groups(paged, [s.node.kind for s in sample.sections])
    whole = chunked.layout_run(paged, chunked.RunJob(tuple(groups), 1, ()))
    for group, chunk in zip(groups, whole.chunks, strict=True):
        alone = chunked.layout_run(paged, chunked.RunJob((group,), chunk.start, ()))
        (single,) = alone.chunks
        assert single.data == chunk.data, group.slug
        assert single.pages == chunk.pages, group.slug


def test_a_rebuild_from_the_cache_gives_the_same_bytes(sample: HtmlBook, tmp_path: Path) -> None:
    first = layout(sample, tmp_path / "cache", group_chars=1)
    again = layout(sample, tmp_path / "cache", group_chars=1)
    assert again.stats.laid_out == 0 and again.stats.reused == again.stats.groups
    assert again.merge() == first.merge()
    clean = chunked.render_reading_pdf(sample, tmp_path / "c2")
    warm = chunked.render_reading_pdf(sample, tmp_path / "c2")
    assert clean is not None and warm is not None and clean.data == warm.data


def test_an_edit_lays_out_one_chunk_and_matches_a_clean_build(sample: HtmlBook,
                                                               tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    layout(sample, cache, group_chars=1)
    changed = edited(sample, "editions", "<p>One more sentence.</p>")
    rebuilt = layout(changed, cache, group_chars=1)
    clean = layout(changed, tmp_path / "clean", group_chars=1)
    assert rebuilt.stats.laid_out == 1
    assert rebuilt.merge() == clean.merge()
    assert_same_book(render_pdf(changed).data, rebuilt.merge())


def test_an_edit_that_adds_pages_moves_the_folios_of_what_follows(sample: HtmlBook,
                                                                  tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    before = layout(sample, cache, group_chars=1)
    changed = edited(sample, "writing", paragraph(900))
    rebuilt = layout(changed, cache, group_chars=1)
    assert rebuilt.page_count > before.page_count
    assert 1 < rebuilt.stats.laid_out < rebuilt.stats.groups  # earlier chapters are reused
    clean = layout(changed, tmp_path / "clean", group_chars=1)
    assert rebuilt.merge() == clean.merge()
    assert_same_book(render_pdf(changed).data, rebuilt.merge())


def test_a_style_change_lays_out_every_chunk_again(sample: HtmlBook, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    old = layout(sample, cache)
    styles = tmp_path / "styles"
    shutil.copytree(sample.manifest.styles_dir, styles)
    css = (styles / "pdf.css").read_text(encoding="utf-8")
    assert "section.chapter > h1 {\n  margin: 4.5em 0 2.2em;" in css
    (styles / "pdf.css").write_text(css.replace("margin: 4.5em 0 2.2em;", "margin: 9em 0 2.2em;"),
                                    encoding="utf-8")
    restyled = dataclasses.replace(
        sample, manifest=dataclasses.replace(sample.manifest, styles_dir=styles))
    new = layout(restyled, cache)
    assert new.stats.reused == 0 and new.stats.laid_out == new.stats.groups
    assert new.merge() != old.merge()
    assert_same_book(render_pdf(restyled).data, new.merge())
    assert layout(restyled, cache).stats.reused == new.stats.groups  # and now it is cached


def test_a_font_change_lays_out_every_chunk_again(sample: HtmlBook, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    old = layout(sample, cache)
    manifest = sample.manifest
    other_font = dataclasses.replace(
        sample, manifest=dataclasses.replace(
            manifest, pdf=dataclasses.replace(manifest.pdf, font_family="DejaVu Serif")))
    new = layout(other_font, cache)
    assert new.stats.reused == 0
    assert new.merge() != old.merge()


def test_a_damaged_cache_entry_is_laid_out_again(sample: HtmlBook, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = layout(sample, cache)
    for pdf in (cache / chunked.CHUNK_DIR / "pdf").glob("*.pdf"):
        pdf.write_bytes(pdf.read_bytes()[:-100])
    again = layout(sample, cache)
    assert again.stats.reused == 0
    assert again.merge() == first.merge()


def test_parallel_layout_gives_the_same_bytes(sample: HtmlBook, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    layout(sample, cache, group_chars=1)
    # Every folio moves: every chunk after the first is laid out again, in two processes.
    changed = edited(sample, "welcome", paragraph(700))
    parallel = layout(changed, cache, group_chars=1, jobs=2)
    assert parallel.stats.laid_out > 2
    assert parallel.merge() == layout(changed, tmp_path / "clean", group_chars=1).merge()


# --- the print edition ----------------------------------------------------------------------

def test_chunked_print_edition_is_the_single_pass_one(sample: HtmlBook, tmp_path: Path) -> None:
    from handbook_build.render.print_pdf import render_print

    single = render_print(sample)
    first = chunked.render_print_edition(sample, tmp_path / ".cache")
    assert first is not None
    assert (first.page_count, first.padding_pages, first.gutter_in) == (
        single.page_count, single.padding_pages, single.gutter_in)
    assert_same_book(single.pdf, first.pdf, pixels=True)
    assert first.preflight.passed == single.preflight.passed
    again = chunked.render_print_edition(sample, tmp_path / ".cache")
    assert again is not None
    assert (again.pdf, again.cover_pdf, again.proof_png) == (first.pdf, first.cover_pdf,
                                                              first.proof_png)


def test_see_page_numbers_follow_their_targets(sample: HtmlBook, tmp_path: Path) -> None:
    """A chapter printing "see p. N" for a target in a later chunk gets the new N after that
    target moves, without being edited itself."""
    from handbook_build.render.print_pdf import render_print

    cache = tmp_path / ".cache"
    chunked.render_print_edition(sample, cache)
    changed = edited(sample, "writing", paragraph(900))
    rebuilt = chunked.render_print_edition(changed, cache)
    assert rebuilt is not None
    assert_same_book(render_print(changed).pdf, rebuilt.pdf)
    clean = chunked.render_print_edition(changed, tmp_path / "clean")
    assert clean is not None and clean.pdf == rebuilt.pdf


# --- what cannot be cut -----------------------------------------------------------------------

@pytest.mark.parametrize("css", [
    "@page { @bottom-center { content: counter(page) ' of ' counter(pages) } }",
    "h2::before { counter-increment: section; content: counter(section) '. ' }",
    "a::after { content: target-text(attr(href url)) }",
    "@page :nth(5) { margin-top: 2in }",
])
def test_styles_that_need_the_whole_book_are_refused(css: str) -> None:
    support = chunked.analyse_styles(["p { margin: 0 }", css])
    assert not support.supported


def test_page_number_rules_are_rewritten_for_marked_links() -> None:
    support = chunked.analyse_styles(
        ['.toc a::after { content: leader(". ") target-counter(attr(href url), page); }'])
    assert support.supported
    assert support.link_selectors == (".toc a",)
    assert '.toc a[data-hb-tc]::after' in support.override_css
    assert "attr(data-hb-tc)" in support.override_css


def test_unsupported_styles_fall_back_to_one_pass(sample: HtmlBook, tmp_path: Path) -> None:
    styles = tmp_path / "styles"
    shutil.copytree(sample.manifest.styles_dir, styles)
    with (styles / "pdf.css").open("a", encoding="utf-8") as css:
        css.write("\n@page { @bottom-center { content: counter(pages) } }\n")
    book = dataclasses.replace(
        sample, manifest=dataclasses.replace(sample.manifest, styles_dir=styles))
    assert chunked.render_reading_pdf(book, tmp_path / ".cache") is None


def test_group_plan_breaks_at_parts_and_size() -> None:
    kinds = ["chapter", "chapter", "part", "chapter", "chapter", "chapter"]
    sizes = [10, 10, 1, 30, 30, 30]
    assert chunked.plan_groups(sizes, kinds, 25) == [range(0, 2), range(2, 4), range(4, 5),
                                                     range(5, 6)]
    assert chunked.plan_groups(sizes, kinds, 1000) == [range(0, 2), range(2, 6)]


def test_roman_and_decimal_page_numbers() -> None:
    assert [chunked.format_counter(n, "lower-roman") for n in (1, 4, 9, 14, 40)] == [
        "i", "iv", "ix", "xiv", "xl"]
    assert chunked.format_counter(12, "decimal") == "12"
    assert chunked.format_counter(1990, "upper-roman") == "MCMXC"


# --- the real handbook --------------------------------------------------------------------------

@pytest.mark.corpus
@pytest.mark.slow
def test_real_handbook_chunked_is_the_single_pass_book(corpus_dir: Path,
                                                        tmp_path: Path) -> None:
    from handbook_build.render.print_pdf import render_print

    book = html_book_of(HANDBOOK, tmp_path / "out", corpus_dir)
    cache = tmp_path / "out" / ".cache"
    reading = chunked.render_reading_pdf(book, cache)
    assert reading is not None
    assert_same_book(render_pdf(book).data, reading.data)
    printed = chunked.render_print_edition(book, cache)
    assert printed is not None
    assert_same_book(render_print(book).pdf, printed.pdf)
    # One chapter edited: one chunk per edition laid out again, the bytes of a clean build.
    changed = edited(book, "play", "<p>One more sentence.</p>")
    rebuilt = chunked.render_reading_pdf(changed, cache)
    clean = chunked.render_reading_pdf(changed, tmp_path / "clean")
    assert rebuilt is not None and clean is not None and rebuilt.data == clean.data


def _group(index: int, size: int, ids: tuple[str, ...] = (), targets: tuple[str, ...] = ()
           ) -> chunked.Group:
    return chunked.Group(index, index, "x" * size, f"g{index}", frozenset(ids), targets, str(index))


def test_runs_are_cut_where_fewest_groups_point_across() -> None:
    # g0 and g1 print page numbers of g3; a cut after g3 or g4 leaves nothing pointing across.
    groups = [_group(0, 10, ("a",), ("d",)), _group(1, 10, ("b",), ("d",)), _group(2, 10, ("c",)),
              _group(3, 10, ("d",)), _group(4, 10, ("e",)), _group(5, 10, ("f",))]
    owners = {anchor: g.index for g in groups for anchor in g.ids}
    assert chunked._run_stop(groups, 0, 45, owners, lambda g: True) == 5
    assert chunked._run_stop(groups, 0, 30, owners, lambda g: True) == 3  # 2 across either way
    assert chunked._run_stop(groups, 0, 1000, owners, lambda g: True) == 6  # the whole book
    assert chunked._run_stop(groups, 0, 1000, owners, lambda g: g.index < 2) == 2


def test_groups_laid_out_again_share_documents() -> None:
    groups = [_group(i, 10) for i in range(8)]
    deferred = [(1, 3), (2, 5), (3, 7), (4, 9), (6, 13)]
    runs = chunked._deferred_runs(deferred, groups, jobs=2, limit=1000)
    assert [[i for i, _ in run] for run in runs] == [[1, 2, 3, 4], [6]]
    runs = chunked._deferred_runs(deferred[:4], groups, jobs=2, limit=1000)
    assert [[i for i, _ in run] for run in runs] == [[1, 2], [3, 4]]
    runs = chunked._deferred_runs(deferred[:4], groups, jobs=1, limit=15)
    assert all(len(run) == 1 for run in runs)


def test_see_page_numbers_of_the_front_matter(sample: HtmlBook, tmp_path: Path) -> None:
    """A chapter pointing at the contents prints its page number, laid out after the body."""
    from handbook_build.render.print_pdf import render_print

    book = edited(sample, "writing", '<p>Back to the <a href="#contents">contents</a>.</p>')
    chunks = chunked.render_print_edition(book, tmp_path / ".cache")
    assert chunks is not None
    single = render_print(book)
    assert_same_book(single.pdf, chunks.pdf)
    assert any("(see p.\u00a03)" in text for text in pdf_summary(chunks.pdf)["texts"])
