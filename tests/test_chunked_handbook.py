"""The real handbook laid out in chunks is the single-pass book (split from test_chunked.py: the
longest test of the suite gets a worker of its own)."""

from __future__ import annotations

from pathlib import Path

import pytest

from chunked_support import (
    HANDBOOK,
    assert_same_book,
    edited,
    html_book_of,
)
from handbook_build.render.paged.print_edition import render_print_edition
from handbook_build.render.paged.reading import render_reading_pdf
from handbook_build.render.pdf import render_pdf


@pytest.mark.corpus
@pytest.mark.slow
def test_real_handbook_chunked_is_the_single_pass_book(corpus_dir: Path,
                                                        tmp_path: Path) -> None:
    from handbook_build.render.print_pdf import render_print

    book = html_book_of(HANDBOOK, tmp_path / "out", corpus_dir)
    cache = tmp_path / "out" / ".cache"
    reading = render_reading_pdf(book, cache)
    assert reading is not None
    assert_same_book(render_pdf(book).data, reading.data)
    printed = render_print_edition(book, cache)
    assert printed is not None
    assert_same_book(render_print(book).pdf, printed.pdf)
    # One chapter edited: one chunk per edition laid out again, the bytes of a clean build.
    changed = edited(book, "play", "<p>One more sentence.</p>")
    rebuilt = render_reading_pdf(changed, cache)
    clean = render_reading_pdf(changed, tmp_path / "clean")
    assert rebuilt is not None and clean is not None and rebuilt.data == clean.data
