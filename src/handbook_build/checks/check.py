"""``handbook-build check``: a fast lint of a book's sources, or a check of a built .epub/.pdf.

Sources are checked without rendering (no pandoc run, no WeasyPrint import): the manifest's own
validation, ``read_book``'s diagnostics (the repairs the build makes and warns about) and the
scans of ``lint_rules``. Everything is reported like a compiler, ``file:line:col: severity:
message; hint [code]``, or as one JSON document for CI. Nothing here raises for bad input: a
broken manifest is a diagnostic like any other, so CI always gets a parseable report.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from handbook_build.errors import HandbookError, MissingToolError, RenderError
from handbook_build.model import Book, Diagnostic, Manifest, Severity
from handbook_build.sources.contents import display_path

if TYPE_CHECKING:
    from handbook_build.checks.epubcheck import EpubCheckMessage

JSON_VERSION = 1  # bump when a key of the JSON document changes meaning or goes away
MANIFEST_NAME = "book.toml"


@dataclass(frozen=True, slots=True)
class CheckReport:
    """Every diagnostic about one target, in file order, and what was checked."""

    target: str  # as the user gave it, relative to the working directory where possible
    diagnostics: tuple[Diagnostic, ...]
    summary: str = ""  # e.g. "62 chapters" or "212 pages, 6 fonts, ..."
    seconds: float = 0.0

    @property
    def error_count(self) -> int:
        return sum(1 for d in self.diagnostics if d.severity == "error")

    @property
    def warning_count(self) -> int:
        return sum(1 for d in self.diagnostics if d.severity == "warning")

    def counts_by_code(self) -> dict[str, int]:
        return dict(sorted(Counter(d.code for d in self.diagnostics).items()))

    def to_dict(self) -> dict[str, Any]:
        """The JSON document. Key order is fixed and the timing is left out: two runs on the
        same input give byte-identical output, so CI can diff reports."""
        return {
            "version": JSON_VERSION,
            "target": self.target,
            "summary": self.summary,
            "diagnostics": [_diagnostic_dict(d) for d in self.diagnostics],
            "counts": {"errors": self.error_count, "warnings": self.warning_count,
                       "by_code": self.counts_by_code()},
        }

    def render(self, output_format: str = "text") -> str:
        if output_format == "json":
            return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)
        lines = [d.compiler_style() for d in self.diagnostics]
        checked = f"{self.target}: {self.summary}; " if self.summary else f"{self.target}: "
        lines.append(f"{checked}{_plural(self.error_count, 'error')}, "
                     f"{_plural(self.warning_count, 'warning')} ({self.seconds:.2f} s)")
        return "\n".join(lines)


def _diagnostic_dict(diagnostic: Diagnostic) -> dict[str, Any]:
    return {
        "file": diagnostic.path, "line": diagnostic.line, "column": diagnostic.column,
        "severity": diagnostic.severity, "code": diagnostic.code,
        "message": diagnostic.message, "hint": diagnostic.hint,
        "page": diagnostic.page, "folio": diagnostic.folio,
    }


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def run_check(target: Path, source_dir: Path | None = None,
              profile: Literal["print", "screen"] | None = None) -> CheckReport:
    """Check ``target``: a .epub (EPUBCheck), a .pdf (pdfcheck), else a book's sources.

    The sources may be given as book.toml, a folder holding one, a bare contents file or a
    folder of chapters (as for ``build``); ``source_dir`` overrides ``[contents] source``.
    ``profile`` (print or screen) sets a PDF's image thresholds; None guesses from the file.
    """
    started = time.perf_counter()
    suffix = target.suffix.lower()
    if not target.exists():
        found: list[Diagnostic] = [_missing_target(target)]
        summary = "nothing checked"
    elif suffix == ".epub":
        found, summary = _check_epub(target)
    elif suffix == ".pdf":
        from handbook_build.checks.pdfcheck import check_pdf

        result = check_pdf(target, profile)
        found, summary = list(result.diagnostics), result.summary
    else:
        found, summary = _check_sources(target, source_dir)
    return CheckReport(target.as_posix(), tuple(found), summary,  # as the user typed it
                       time.perf_counter() - started)


def _missing_target(target: Path) -> Diagnostic:
    return Diagnostic(display_path(target), None, "no such file or folder",
                      "give a book.toml, a contents file, a folder of chapters, or a built "
                      ".epub/.pdf (default: manuscript/book.toml)", code="missing-file")


# --- sources -------------------------------------------------------------------------------------


def _check_sources(target: Path, source_dir: Path | None) -> tuple[list[Diagnostic], str]:
    from handbook_build.checks import lint_rules

    with _captured_warnings() as logged:
        manifest, found = _load_manifest(target, source_dir)
        if manifest is None:
            return (order_diagnostics(found + logged, None),
                    "the manifest has errors; chapters not checked")
        book, book_found = _read_book(manifest)
    found += book_found + logged
    chapters = lint_rules.read_chapter_texts(manifest)
    index = lint_rules.link_index(manifest, chapters, book)
    found += lint_rules.orphan_chapters(manifest)
    found += lint_rules.duplicate_titles(manifest)
    for chapter in chapters:
        found += lint_rules.scan_chapter(chapter, index)
    return (order_diagnostics(lint_rules.without_duplicate_raw_html(found), manifest),
            _plural(len(manifest.chapters), "chapter"))


def _load_manifest(target: Path, source_dir: Path | None
                   ) -> tuple[Manifest | None, list[Diagnostic]]:
    """The manifest and its diagnostics (warnings included); None when it has errors."""
    from handbook_build.sources import ecosystems
    from handbook_build.sources.manifest import manifest_from_contents, validate_manifest

    entry = ecosystems.find_entry(target)  # another tool's book: its own reader
    if entry is not None:
        other, diagnostics = ecosystems.validate(entry, source_dir)
        return other, list(diagnostics)
    if target.suffix.lower() == ".toml" or (target / MANIFEST_NAME).is_file():
        manifest, diagnostics = validate_manifest(target, source_dir)
        return manifest, list(diagnostics)
    try:
        manifest = manifest_from_contents(target)
    except MissingToolError:
        raise  # an installation problem, not a finding about the book (exit 3)
    except HandbookError as error:
        return None, _error_diagnostics(error, target, "manifest")
    # As ``build`` warns: a release needs real metadata, not a title guessed from a folder.
    from handbook_build.sources.inputs import defaulted_warning

    return manifest, [*manifest.warnings, defaulted_warning(manifest)]


def _read_book(manifest: Manifest) -> tuple[Book | None, list[Diagnostic]]:
    """``read_book``'s diagnostics; its ``SourceError`` (a file it cannot use) is reported too."""
    from handbook_build.sources.chapters import read_book

    # The build's default output folder, so image paths in messages match those of ``build``;
    # read_book only computes paths relative to it and writes nothing.
    try:
        book = read_book(manifest, Path("build").resolve())
    except MissingToolError:
        raise
    except HandbookError as error:
        return None, _error_diagnostics(error, manifest.contents_path, "source")
    # The lint's own raw-HTML scan may say the same with more detail: see _check_sources.
    return book, list(book.diagnostics)


# A HandbookError's message reads "path[:line]: problem; hint" (errors.py).
_ERROR_MESSAGE = re.compile(r"^(?P<path>[^\s:][^:]*?)(?::(?P<line>\d+))?: (?P<problem>.+?)"
                            r"(?:; (?P<hint>.*))?$", re.DOTALL)


def _error_diagnostics(error: HandbookError, path: Path, code: str) -> list[Diagnostic]:
    """The error's diagnostics, or one made from its message (its own file and line kept)."""
    if error.diagnostics:
        return [*error.diagnostics, *error.warnings]
    match = _ERROR_MESSAGE.match(error.message)
    if match is None:
        return [Diagnostic(display_path(path), None, error.message, code=code)]
    line = int(match.group("line")) if match.group("line") else None
    return [Diagnostic(match.group("path"), line, match.group("problem"),
                       match.group("hint") or "", code=code)]


@contextmanager
def _captured_warnings() -> Iterator[list[Diagnostic]]:
    """Warnings the stages log (``build`` prints them) become diagnostics of the report.

    The stages log a warning ``Diagnostic`` as the record's argument; it is taken as it is, so
    it keeps its file, line and code. The CLI's handler is set aside meanwhile: each warning is
    reported once, in the report, not also on stderr.
    """
    logger = logging.getLogger("handbook_build")
    captured: list[Diagnostic] = []
    handler = _DiagnosticHandler(captured)
    saved, saved_level, saved_propagate = logger.handlers[:], logger.level, logger.propagate
    logger.handlers[:] = [handler]
    logger.setLevel(logging.WARNING)
    logger.propagate = False
    try:
        yield captured
    finally:
        logger.handlers[:] = saved
        logger.setLevel(saved_level)
        logger.propagate = saved_propagate


class _DiagnosticHandler(logging.Handler):
    def __init__(self, sink: list[Diagnostic]) -> None:
        super().__init__(logging.WARNING)
        self.sink = sink

    def emit(self, record: logging.LogRecord) -> None:
        args = record.args if isinstance(record.args, tuple) else ()
        if args and isinstance(args[0], Diagnostic):
            self.sink.append(args[0])
            return
        severity: Severity = "error" if record.levelno >= logging.ERROR else "warning"
        self.sink.append(Diagnostic("handbook-build", None, record.getMessage(),
                                    severity=severity, code=record.name.rsplit(".", 1)[-1]))


def order_diagnostics(diagnostics: Iterable[Diagnostic], manifest: Manifest | None
                      ) -> list[Diagnostic]:
    """Without duplicates (two stages may see the same thing), in the order an editor works:
    book.toml, the contents list, the chapters in book order, then other files; by line."""
    unique = list(dict.fromkeys(diagnostics))
    rank: dict[str, int] = {}
    if manifest is not None:
        paths = [manifest.manifest_path, manifest.contents_path]
        paths += [node.source_path for node in manifest.chapters if node.source_path]
        for path in paths:
            rank.setdefault(display_path(path), len(rank))
    # Stable sort: diagnostics on the same spot keep the order the stages found them in.
    return sorted(unique, key=lambda d: (rank.get(d.path, len(rank)), d.path, d.line or 0,
                                         d.column or 0))


# --- a built EPUB --------------------------------------------------------------------------------


def _check_epub(path: Path) -> tuple[list[Diagnostic], str]:
    """EPUBCheck's fatal errors, errors and warnings, each at ``book.epub/inner/path:line:col``.

    A missing Java is not a finding about the book: its ``MissingToolError`` (exit 3) passes.
    """
    from handbook_build.checks.epubcheck import run_epubcheck

    try:
        result = run_epubcheck(path)
    except RenderError as error:  # EPUBCheck ran but gave no report
        return _error_diagnostics(error, path, "epubcheck"), "EPUBCheck gave no report"
    shown = display_path(path)
    found = [epub_diagnostic(shown, message) for message in result.messages
             if message.severity in _EPUB_SEVERITIES]
    ace_found, ace_summary = (([], "Ace not run (EPUBCheck could not read the book)")
                              if result.fatals else _check_epub_ace(path, shown))
    summary = f"EPUBCheck {result.checker_version}".strip() + f", {ace_summary}"
    return order_diagnostics(found + ace_found, None), summary


def _check_epub_ace(path: Path, shown: str) -> tuple[list[Diagnostic], str]:
    """Ace's violations when Ace is installed; otherwise none, and the summary says why."""
    from handbook_build.checks.ace import find_ace, run_ace

    tool, reason = find_ace()
    if tool is None:
        return [], f"Ace skipped ({reason})"
    try:
        result = run_ace(path, tool)
    except RenderError as error:
        return _error_diagnostics(error, path, "ace"), "Ace gave no report"
    found = [Diagnostic(f"{shown}/{finding.path}", finding.line, finding.message,
                        "see https://kb.daisy.org/publishing/", "error"
                        if finding.severity == "error" else "warning", f"ace:{finding.rule}")
             for finding in result.findings]
    return found, f"Ace {result.version}".strip()


_EPUB_SEVERITIES: dict[str, Severity] = {"FATAL": "error", "ERROR": "error", "WARNING": "warning"}
_EPUB_LOCATION = re.compile(r"^(?P<path>.*?)(?::(?P<line>\d+))?(?::(?P<column>\d+))?$")


def epub_diagnostic(shown: str, message: EpubCheckMessage) -> Diagnostic:
    match = _EPUB_LOCATION.match(message.location)
    inner = match.group("path") if match else message.location
    line = int(match.group("line")) if match and match.group("line") else None
    column = int(match.group("column")) if match and match.group("column") else None
    path = f"{shown}/{inner}" if inner else shown
    return Diagnostic(path, line, message.message, "", _EPUB_SEVERITIES[message.severity],
                      message.id or "epubcheck", column)
