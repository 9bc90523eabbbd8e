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
from pathlib import Path

import pytest
from pypdf import PdfReader

from chunked_support import (
    SAMPLE,
    assert_same_book,
    edited,
    html_book_of,
    layout,
    pdf_summary,
    reading_paged,
)
from handbook_build.model import HtmlBook
from handbook_build.render.paged.chunk_document import whole_document
from handbook_build.render.paged.groups import (
    Group,
    RunJob,
    book_groups,
    deferred_runs,
    plan_groups,
    run_stop,
)
from handbook_build.render.paged.page_links import format_counter
from handbook_build.render.paged.print_edition import render_print_edition
from handbook_build.render.paged.reading import render_reading_pdf
from handbook_build.render.paged.runs import layout_run
from handbook_build.render.paged.styles import analyse_styles
from handbook_build.render.pdf import pdf_edition, render_pdf


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
    assert whole_document(paged) == build_document(sample, pdf_edition(sample.manifest))
    assert paged.support.supported, paged.support.reason


def test_chunked_reading_pdf_is_the_single_pass_book(sample: HtmlBook, sample_single: bytes,
                                                      tmp_path: Path) -> None:
    rendered = render_reading_pdf(sample, tmp_path / ".cache")
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
    groups = book_groups(paged, [s.node.kind for s in sample.sections])
    whole = layout_run(paged, RunJob(tuple(groups), 1, ()))
    for group, chunk in zip(groups, whole.chunks, strict=True):
        alone = layout_run(paged, RunJob((group,), chunk.start, ()))
        (single,) = alone.chunks
        assert single.data == chunk.data, group.slug
        assert single.pages == chunk.pages, group.slug


# --- the print edition ----------------------------------------------------------------------

# --- what cannot be cut -----------------------------------------------------------------------

@pytest.mark.parametrize("css", [
    "@page { @bottom-center { content: counter(page) ' of ' counter(pages) } }",
    "h2::before { counter-increment: section; content: counter(section) '. ' }",
    "a::after { content: target-text(attr(href url)) }",
    "@page :nth(5) { margin-top: 2in }",
])
def test_styles_that_need_the_whole_book_are_refused(css: str) -> None:
    support = analyse_styles(["p { margin: 0 }", css])
    assert not support.supported


def test_page_number_rules_are_rewritten_for_marked_links() -> None:
    support = analyse_styles(
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
    assert render_reading_pdf(book, tmp_path / ".cache") is None


def test_group_plan_breaks_at_parts_and_size() -> None:
    kinds = ["chapter", "chapter", "part", "chapter", "chapter", "chapter"]
    sizes = [10, 10, 1, 30, 30, 30]
    assert plan_groups(sizes, kinds, 25) == [range(0, 2), range(2, 4), range(4, 5),
                                             range(5, 6)]
    assert plan_groups(sizes, kinds, 1000) == [range(0, 2), range(2, 6)]


def test_roman_and_decimal_page_numbers() -> None:
    assert [format_counter(n, "lower-roman") for n in (1, 4, 9, 14, 40)] == [
        "i", "iv", "ix", "xiv", "xl"]
    assert format_counter(12, "decimal") == "12"
    assert format_counter(1990, "upper-roman") == "MCMXC"


# --- the real handbook --------------------------------------------------------------------------

def _group(index: int, size: int, ids: tuple[str, ...] = (), targets: tuple[str, ...] = ()
           ) -> Group:
    return Group(index, index, "x" * size, f"g{index}", frozenset(ids), targets, str(index))


def test_runs_are_cut_where_fewest_groups_point_across() -> None:
    # g0 and g1 print page numbers of g3; a cut after g3 or g4 leaves nothing pointing across.
    groups = [_group(0, 10, ("a",), ("d",)), _group(1, 10, ("b",), ("d",)), _group(2, 10, ("c",)),
              _group(3, 10, ("d",)), _group(4, 10, ("e",)), _group(5, 10, ("f",))]
    owners = {anchor: g.index for g in groups for anchor in g.ids}
    assert run_stop(groups, 0, 45, owners, lambda g: True) == 5
    assert run_stop(groups, 0, 30, owners, lambda g: True) == 3  # 2 across either way
    assert run_stop(groups, 0, 1000, owners, lambda g: True) == 6  # the whole book
    assert run_stop(groups, 0, 1000, owners, lambda g: g.index < 2) == 2


def test_groups_laid_out_again_share_documents() -> None:
    groups = [_group(i, 10) for i in range(8)]
    deferred = [(1, 3), (2, 5), (3, 7), (4, 9), (6, 13)]
    runs = deferred_runs(deferred, groups, jobs=2, limit=1000)
    assert [[i for i, _ in run] for run in runs] == [[1, 2, 3, 4], [6]]
    runs = deferred_runs(deferred[:4], groups, jobs=2, limit=1000)
    assert [[i for i, _ in run] for run in runs] == [[1, 2], [3, 4]]
    runs = deferred_runs(deferred[:4], groups, jobs=1, limit=15)
    assert all(len(run) == 1 for run in runs)


def test_see_page_numbers_of_the_front_matter(sample: HtmlBook, tmp_path: Path) -> None:
    """A chapter pointing at the contents prints its page number, laid out after the body."""
    from handbook_build.render.print_pdf import render_print

    book = edited(sample, "writing", '<p>Back to the <a href="#contents">contents</a>.</p>')
    chunks = render_print_edition(book, tmp_path / ".cache")
    assert chunks is not None
    single = render_print(book)
    assert_same_book(single.pdf, chunks.pdf)
    assert any("(see p.\u00a03)" in text for text in pdf_summary(chunks.pdf)["texts"])
