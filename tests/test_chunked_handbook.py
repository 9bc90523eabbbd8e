"""The real handbook laid out in chunks is the single-pass book (split from test_chunked.py: the
longest test of the suite gets a worker of its own). The chunked editions are the run's one
build of the handbook (tests/shared_builds.py); the single-pass ones are laid out here."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from chunked_support import (
    HANDBOOK,
    assert_same_book,
    edited,
    html_book_of,
)
from handbook_build.cache import cache_dir
from handbook_build.render.paged.reading import render_reading_pdf
from handbook_build.render.pdf import render_pdf
from shared_builds import SharedHandbook


@pytest.mark.corpus
@pytest.mark.slow
def test_real_handbook_chunked_is_the_single_pass_book(built_handbook: SharedHandbook,
                                                        corpus_dir: Path,
                                                        tmp_path: Path) -> None:
    from handbook_build.render.print_pdf import render_print

    # The book the build laid out, read again (its chapters from the build's HTML cache).
    book = html_book_of(HANDBOOK, built_handbook.out, corpus_dir)
    assert_same_book(render_pdf(book).data, built_handbook.output(".pdf").read_bytes())
    assert_same_book(render_print(book).pdf, built_handbook.output("-print.pdf").read_bytes())
    # One chapter edited: laid out from a copy of the build's chunk cache (one chunk again),
    # the bytes of a clean chunked layout of the edited book.
    cache = tmp_path / "cache"
    shutil.copytree(cache_dir(built_handbook.out), cache)
    changed = edited(book, "play", "<p>One more sentence.</p>")
    rebuilt = render_reading_pdf(changed, cache)
    clean = render_reading_pdf(changed, tmp_path / "clean")
    assert rebuilt is not None and clean is not None and rebuilt.data == clean.data
