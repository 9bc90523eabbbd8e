"""The edition registry: format name -> renderer -> the files it produces (bytes, not written).

Renderers are imported lazily: ``import weasyprint`` alone costs half a second, and a
Markdown-only build or ``check`` should not pay for it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from handbook_build.model import Diagnostic, HtmlBook, Manuscript


@dataclass(frozen=True, slots=True)
class EditionOutput:
    name: str  # file name inside the output folder
    data: bytes
    pages: int | None = None
    details: dict[str, Any] = field(default_factory=dict)  # goes into <stem>-report.json


@dataclass(frozen=True, slots=True)
class EditionResult:
    outputs: tuple[EditionOutput, ...]
    diagnostics: tuple[Diagnostic, ...] = ()


# Rough relative cost, so the slowest editions start first in the process pool.
_COST = {"print": 5, "print-fillable": 4, "pdf": 4, "epub": 1, "html": 1}


def expected_cost(name: str) -> int:
    return _COST.get(name, 1)


def manuscript_output(manuscript: Manuscript) -> EditionOutput:
    """``<stem>.md``, its images referred to by their copies in ``<stem>-files/`` (portable.py)."""
    from handbook_build.portable import portable_srcs, rewrite_srcs

    stem = manuscript.book.manifest.stem
    srcs = portable_srcs(stem, manuscript.book.images)
    return EditionOutput(f"{stem}.md", rewrite_srcs(manuscript.text, srcs).encode("utf-8"))


def manuscript_images(manuscript: Manuscript) -> tuple[EditionOutput, ...]:
    """The image copies ``<stem>.md`` refers to (the HTML edition writes the same files)."""
    from handbook_build.portable import image_files, portable_srcs

    images = manuscript.book.images
    srcs = portable_srcs(manuscript.book.manifest.stem, images)
    return tuple(EditionOutput(name, data) for name, data in image_files(images, srcs).items())


def render_jobs(formats: tuple[str, ...]) -> tuple[str, ...]:
    """The renders to run: the fillable print variant shares the print edition's layout."""
    jobs = [name for name in formats if name not in ("md", "print-fillable")]
    if "print-fillable" in formats and "print" not in jobs:
        jobs.append("print")
    return tuple(jobs)


def render_edition(name: str, html_book: HtmlBook, validate: bool = False,
                   formats: tuple[str, ...] = ()) -> EditionResult:
    stem = html_book.manifest.stem
    if name == "pdf":
        return _render_pdf(html_book, stem)
    if name == "print":
        return _render_print(html_book, stem, print_ready="print" in formats or not formats,
                             fillable="print-fillable" in formats)
    if name == "epub":
        return _render_epub(html_book, stem, validate)
    if name == "html":
        from handbook_build.render.html import render_html_files

        return EditionResult(tuple(EditionOutput(name, data)
                                   for name, data in render_html_files(html_book).items()))
    raise ValueError(f"unknown edition {name!r}")


def _warnings(source: str, messages: tuple[str, ...]) -> tuple[Diagnostic, ...]:
    return tuple(
        Diagnostic(source, None, message, severity="warning", code="render-warning")
        for message in messages
    )


def _render_pdf(html_book: HtmlBook, stem: str) -> EditionResult:
    from handbook_build.cache import cache_dir
    from handbook_build.render.chunked import render_reading_pdf
    from handbook_build.render.pdf import render_pdf

    # In cached chunks under <output>/.cache; in one pass if the styles do not allow cutting.
    rendered = render_reading_pdf(html_book, cache_dir(html_book.output_dir)) or render_pdf(
        html_book)
    output = EditionOutput(f"{stem}.pdf", rendered.data, rendered.page_count)
    return EditionResult((output,), _warnings(f"{stem}.pdf", tuple(rendered.warnings)))


def _render_print(html_book: HtmlBook, stem: str, print_ready: bool,
                  fillable: bool) -> EditionResult:
    from handbook_build.cache import cache_dir
    from handbook_build.render.chunked import render_print_edition
    from handbook_build.render.print_pdf import render_print

    # In cached chunks like the reading PDF; with the fillable variant, in one pass.
    edition = None if fillable else render_print_edition(html_book,
                                                         cache_dir(html_book.output_dir))
    edition = edition or render_print(html_book, fillable=fillable)
    outputs: tuple[EditionOutput, ...] = ()
    if fillable:
        assert edition.fillable_pdf is not None
        outputs += (
            EditionOutput(f"{stem}-print-fillable.pdf", edition.fillable_pdf, edition.page_count),
        )
    if print_ready:
        preflight = edition.preflight
        outputs += (
            EditionOutput(f"{stem}-print.pdf", edition.pdf, edition.page_count,
                          {"padding_pages": edition.padding_pages, "gutter_in": edition.gutter_in,
                           "preflight_passed": preflight.passed}),
            EditionOutput(f"{stem}-print-preflight.json", preflight.to_json().encode()),
            EditionOutput(f"{stem}-cover.pdf", edition.cover_pdf),
            EditionOutput(f"{stem}-print-proof.png", edition.proof_png),
        )
    diagnostics = tuple(
        Diagnostic(f"{stem}-print.pdf", None, f"preflight failed: {failure.rule}: {failure.detail}",
                   f"see {stem}-print-preflight.json", severity="warning", code="preflight")
        for failure in edition.preflight.failures
    )
    return EditionResult(outputs, diagnostics + _warnings(f"{stem}-print.pdf",
                                                          tuple(edition.warnings)))


def _render_epub(html_book: HtmlBook, stem: str, validate: bool) -> EditionResult:
    from handbook_build.render.epub import render_epub

    rendered = render_epub(html_book)
    diagnostics = _warnings(f"{stem}.epub", tuple(rendered.warnings))
    if validate:
        diagnostics += _epubcheck(rendered.data, stem)
    return EditionResult((EditionOutput(f"{stem}.epub", rendered.data),), diagnostics)


def _epubcheck(data: bytes, stem: str) -> tuple[Diagnostic, ...]:
    import tempfile
    from pathlib import Path

    from handbook_build.epubcheck import run_epubcheck

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"{stem}.epub"
        path.write_bytes(data)
        result = run_epubcheck(path)
    from handbook_build.check import epub_diagnostic

    # As ``check book.epub`` reports them: at book.epub/inner/path:line:col, with EPUBCheck's id.
    return tuple(epub_diagnostic(f"{stem}.epub", message) for message in result.messages
                 if message.severity in ("FATAL", "ERROR", "WARNING"))
