"""Chunked layouts rebuilt from the cache: an edit, a style or font change, a damaged entry,
parallel layout and the print edition give the bytes of a clean build (split from
test_chunked.py so the suite's two workers share the load)."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest

from chunked_support import (
    SAMPLE,
    assert_same_book,
    edited,
    html_book_of,
    layout,
    paragraph,
)
from handbook_build.model import HtmlBook
from handbook_build.render.paged.chunk_cache import CHUNK_DIR
from handbook_build.render.paged.print_edition import render_print_edition
from handbook_build.render.paged.reading import render_reading_pdf
from handbook_build.render.pdf import render_pdf


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> HtmlBook:
    return html_book_of(SAMPLE, tmp_path_factory.mktemp("sample-out"))


def test_a_rebuild_from_the_cache_gives_the_same_bytes(sample: HtmlBook, tmp_path: Path) -> None:
    first = layout(sample, tmp_path / "cache", group_chars=1)
    again = layout(sample, tmp_path / "cache", group_chars=1)
    assert again.stats.laid_out == 0 and again.stats.reused == again.stats.groups
    assert again.merge() == first.merge()
    clean = render_reading_pdf(sample, tmp_path / "c2")
    warm = render_reading_pdf(sample, tmp_path / "c2")
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
    for pdf in (cache / CHUNK_DIR / "pdf").glob("*.pdf"):
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


def test_chunked_print_edition_is_the_single_pass_one(sample: HtmlBook, tmp_path: Path) -> None:
    from handbook_build.render.print_pdf import render_print

    single = render_print(sample)
    first = render_print_edition(sample, tmp_path / ".cache")
    assert first is not None
    assert (first.page_count, first.padding_pages, first.gutter_in) == (
        single.page_count, single.padding_pages, single.gutter_in)
    assert_same_book(single.pdf, first.pdf, pixels=True)
    assert first.preflight.passed == single.preflight.passed
    again = render_print_edition(sample, tmp_path / ".cache")
    assert again is not None
    assert (again.pdf, again.cover_pdf, again.proof_png) == (first.pdf, first.cover_pdf,
                                                              first.proof_png)


def test_see_page_numbers_follow_their_targets(sample: HtmlBook, tmp_path: Path) -> None:
    """A chapter printing "see p. N" for a target in a later chunk gets the new N after that
    target moves, without being edited itself."""
    from handbook_build.render.print_pdf import render_print

    cache = tmp_path / ".cache"
    render_print_edition(sample, cache)
    changed = edited(sample, "writing", paragraph(900))
    rebuilt = render_print_edition(changed, cache)
    assert rebuilt is not None
    assert_same_book(render_print(changed).pdf, rebuilt.pdf)
    clean = render_print_edition(changed, tmp_path / "clean")
    assert clean is not None and clean.pdf == rebuilt.pdf
