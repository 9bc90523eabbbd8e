"""The edition registry: format name -> renderer -> the files it produces (bytes, not written).

Renderers are imported lazily: ``import weasyprint`` alone costs half a second, and a
Markdown-only build or ``check`` should not pay for it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Literal

from handbook_build.model import Diagnostic, HtmlBook, Manuscript
from handbook_build.render.paged_limits import check_paged_footnotes


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
                   formats: tuple[str, ...] = (), print_pdf: bytes | None = None,
                   jobs: int = 2) -> EditionResult:
    """``print_pdf``: the print edition this build just made, for the EPUB's page list (else
    the EPUB takes it from the chunk cache); ``jobs``: processes for this edition's layouts."""
    stem = html_book.manifest.stem
    if name in ("pdf", "print"):
        from handbook_build.render.paged_html import for_paged

        # formulas drawn as SVG (black on K only in print, like its text), code lines as blocks
        html_book = for_paged(html_book, "device-cmyk(0 0 0 1)" if name == "print" else None)
    if name == "pdf":
        return _render_pdf(html_book, stem, validate, jobs)
    if name == "print":
        return _render_print(html_book, stem, print_ready="print" in formats or not formats,
                             fillable="print-fillable" in formats, validate=validate, jobs=jobs)
    if name == "epub":
        return _render_epub(html_book, stem, validate, print_pdf, jobs)
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


def _typesetting(data: bytes, name: str, profile: Literal["print", "screen"], validate: bool,
                 html_book: HtmlBook) -> tuple[dict[str, Any], tuple[Diagnostic, ...]]:
    """The typesetting check of a PDF the build made: the cheap checks (images, glyphs, faces)
    always, all of them with --validate. Findings go to the report; one warning sums them up,
    so --strict fails on them while a plain build still writes its files."""
    from handbook_build.cache import ensure_cache_dir
    from handbook_build.checks.typeset_check import (
        build_summary,
        check_pdf_bytes,
        image_files_by_size,
    )

    files = image_files_by_size(asset.path for asset in html_book.images)
    result = check_pdf_bytes(data, name, profile, cheap=not validate, image_files=files,
                             work_dir=ensure_cache_dir(html_book.output_dir))
    summary = build_summary(result, cheap=not validate)
    if not result.diagnostics:
        return summary, ()
    by_code = Counter(d.code for d in result.diagnostics)
    counts = ", ".join(f"{code} {count}" for code, count in sorted(by_code.items()))
    return summary, (Diagnostic(
        name, None, f"typesetting check: {summary['errors']} error(s), {summary['warnings']} "
        f"warning(s) ({counts})", f"run handbook-build check {name} for the pages",
        severity="warning", code="typesetting"),)


def _render_pdf(html_book: HtmlBook, stem: str, validate: bool = False,
                jobs: int = 2) -> EditionResult:
    from handbook_build.cache import cache_dir
    from handbook_build.render.paged import render_reading_pdf
    from handbook_build.render.pdf import render_pdf

    # In cached chunks under <output>/.cache; in one pass if the styles do not allow cutting.
    rendered = render_reading_pdf(html_book, cache_dir(html_book.output_dir), jobs) or render_pdf(
        html_book)
    data = _labelled(rendered.data, html_book)
    typeset, findings = _typesetting(data, f"{stem}.pdf", "screen", validate, html_book)
    output = EditionOutput(f"{stem}.pdf", data, rendered.page_count, {"typesetting": typeset})
    return EditionResult((output,), _warnings(f"{stem}.pdf", tuple(rendered.warnings))
                         + findings)


def _labelled(pdf: bytes, html_book: HtmlBook) -> bytes:
    """The PDF with page labels matching its printed folios (render/page_labels.py)."""
    from handbook_build.render.page_labels import add_page_labels

    if not html_book.sections:
        return pdf
    return add_page_labels(pdf, html_book.sections[0].node.slug)


def _render_print(html_book: HtmlBook, stem: str, print_ready: bool,
                  fillable: bool, validate: bool = False, jobs: int = 2) -> EditionResult:
    from handbook_build.cache import cache_dir
    from handbook_build.render.paged import render_print_edition
    from handbook_build.render.print_pdf import render_print

    # In cached chunks like the reading PDF; with the fillable variant, in one pass.
    edition = None if fillable else render_print_edition(html_book,
                                                         cache_dir(html_book.output_dir), jobs)
    edition = edition or render_print(html_book, fillable=fillable)
    outputs: tuple[EditionOutput, ...] = ()
    if fillable:
        assert edition.fillable_pdf is not None
        outputs += (
            EditionOutput(f"{stem}-print-fillable.pdf", _labelled(edition.fillable_pdf, html_book),
                          edition.page_count),
        )
    findings: tuple[Diagnostic, ...] = ()
    if print_ready:
        preflight = edition.preflight
        print_pdf = _labelled(edition.pdf, html_book)
        typeset, findings = _typesetting(print_pdf, f"{stem}-print.pdf", "print",
                                         validate, html_book)
        outputs += (
            EditionOutput(f"{stem}-print.pdf", print_pdf, edition.page_count,
                          {"padding_pages": edition.padding_pages, "gutter_in": edition.gutter_in,
                           "preflight_passed": preflight.passed, "typesetting": typeset}),
            EditionOutput(f"{stem}-print-preflight.json", preflight.to_json().encode()),
            EditionOutput(f"{stem}-cover.pdf", edition.cover_pdf),
            EditionOutput(f"{stem}-print-proof.png", edition.proof_png),
        )
    diagnostics = tuple(
        Diagnostic(f"{stem}-print.pdf", None, f"preflight failed: {failure.rule}: {failure.detail}",
                   f"see {stem}-print-preflight.json", severity="warning", code="preflight")
        for failure in edition.preflight.failures if not failure.findings
    ) + tuple(  # findings one by one (an image and the file to replace): error or warning
        Diagnostic(f"{stem}-print.pdf", None, f"preflight: {text}", hint,
                   severity="error" if severity == "error" else "warning",
                   code=f"preflight-{check.rule}")
        for check in edition.preflight.checks for severity, text, hint in check.findings
    )
    return EditionResult(outputs, diagnostics + findings
                         + _warnings(f"{stem}-print.pdf", tuple(edition.warnings)))


def print_page_texts(html_book: HtmlBook, print_pdf: bytes | None = None,
                     jobs: int = 2) -> list[tuple[str, ...]]:
    """The print edition's text, page by page, for the EPUB's page list: from ``print_pdf``
    when this build just made it (its page labels do not change the text), else its layout
    comes from the chunk cache (an earlier build), or is laid out here first."""
    from handbook_build.cache import cache_dir
    from handbook_build.render.epub_pages import pdf_page_lines
    from handbook_build.render.paged import render_print_edition
    from handbook_build.render.print_pdf import render_print

    if print_pdf is not None:
        return pdf_page_lines(print_pdf)
    edition = render_print_edition(html_book, cache_dir(html_book.output_dir), jobs)
    edition = edition or render_print(html_book)
    return pdf_page_lines(edition.pdf)


def _render_epub(html_book: HtmlBook, stem: str, validate: bool,
                 print_pdf: bytes | None = None, jobs: int = 2) -> EditionResult:
    from handbook_build.render.epub import render_epub
    from handbook_build.render.epub_meta import epub_identifier

    # The page list needs the print edition's layout, which a chapter over the paged editions'
    # note limit never gets: the EPUB is made without one (in seconds) and says so.
    too_many = check_paged_footnotes(html_book.sections, ("print",))
    pages = [] if too_many else print_page_texts(html_book, print_pdf, jobs)
    rendered = render_epub(html_book, pages,
                           epub_identifier(html_book.manifest.metadata, "print"))
    diagnostics = _warnings(f"{stem}.epub", tuple(rendered.warnings)) + tuple(
        Diagnostic(f"{stem}.epub", None, "no page list: " + problem.message.split(" (")[0]
                   + f" ({problem.path})", "split the chapter to get the print edition's "
                   "page list", severity="warning", code="epub-no-page-list")
        for problem in too_many[:1])
    if validate:
        diagnostics += _epubcheck(rendered.data, stem)
    return EditionResult((EditionOutput(f"{stem}.epub", rendered.data),), diagnostics)


def _epubcheck(data: bytes, stem: str) -> tuple[Diagnostic, ...]:
    import tempfile
    from pathlib import Path

    from handbook_build.checks.epubcheck import run_epubcheck

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"{stem}.epub"
        path.write_bytes(data)
        result = run_epubcheck(path)
        from handbook_build.checks.check import epub_diagnostic

        # As ``check book.epub`` reports them: at book.epub/inner/path:line:col, with EPUBCheck's
        # id; then Ace's findings.
        found = tuple(epub_diagnostic(f"{stem}.epub", message) for message in result.messages
                      if message.severity in ("FATAL", "ERROR", "WARNING"))
        return found + _ace(path, stem)


def _ace(path: Any, stem: str) -> tuple[Diagnostic, ...]:
    """Ace's violations as build errors when Ace is installed; a warning saying why not."""
    from handbook_build.checks.ace import find_ace, run_ace

    tool, reason = find_ace()
    if tool is None:
        return (Diagnostic(f"{stem}.epub", None, f"accessibility not checked: {reason}",
                           severity="warning", code="ace-missing"),)
    return tuple(
        Diagnostic(f"{stem}.epub/{finding.path}", finding.line, f"Ace: {finding.message}",
                   severity="error" if finding.severity == "error" else "warning",
                   code=f"ace:{finding.rule}")
        for finding in run_ace(path, tool).findings
    )
