"""The command line (click): parses options, sets up logging, prints progress and the summary.

No build logic lives here: ``pipeline.build`` does the work. Exit codes: 0 ok, 1 content or
build error, 2 usage error, 3 a required tool or library is missing; stopped by a signal
(stopping.py): 130 SIGINT, 143 SIGTERM, 129 SIGHUP, after one line on stderr.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Literal, NoReturn, TypeVar

import click

from handbook_build import __version__, stopping
from handbook_build.errors import HandbookError
from handbook_build.model import Manifest
from handbook_build.pipeline import ALL_FORMATS, OPTIONAL_FORMATS, BuildReport, BuildRequest, build

T = TypeVar("T")
DEFAULT_MANIFEST = Path("manuscript/book.toml")
EPILOG = """\b
Examples:
  handbook-build build                          every edition of manuscript/book.toml into build/
  handbook-build build -f pdf -f epub           only the reading PDF and the EPUB
  handbook-build build editions/peeragogy-v3/book.toml -o build/handbook
  handbook-build build ../handbook/en-md/README.md   a bare contents file, metadata defaulted
  handbook-build check --strict                 lint the sources without rendering
  handbook-build check build/book.epub          EPUBCheck and Ace (if installed) on an EPUB
"""


class _EchoHandler(logging.Handler):
    """Library code logs; only the CLI prints, to stderr, one line per record."""

    def emit(self, record: logging.LogRecord) -> None:
        prefix = "warning: " if record.levelno == logging.WARNING else ""
        click.echo(f"{prefix}{record.getMessage()}", err=True)


def _setup_logging(verbosity: int) -> None:
    level = {-1: logging.ERROR, 0: logging.WARNING}.get(verbosity, logging.INFO)
    root = logging.getLogger("handbook_build")
    root.handlers[:] = [_EchoHandler()]
    root.setLevel(level)
    root.propagate = False


@click.group(epilog=EPILOG, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="handbook-build")
def main() -> None:
    """Build release editions of a Markdown handbook: manuscript, PDF, EPUB 3 and print PDF."""


def _source_option(function: click.decorators.FC) -> click.decorators.FC:
    return click.option(
        "--source", "source_dir", type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="Folder holding the chapters (overrides [contents] source in book.toml).",
    )(function)


@main.command(epilog=EPILOG)
@click.argument("manifest_path", required=False, type=click.Path(path_type=Path),
                default=DEFAULT_MANIFEST)
@click.option("-o", "--output", "output_dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("build"), show_default=True, help="Folder for the editions.")
@click.option("-f", "--format", "formats", multiple=True,
              type=click.Choice(ALL_FORMATS + OPTIONAL_FORMATS),
              help="Edition to build (repeatable). Default: md, html, pdf, print, epub.")
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@click.option("--validate", is_flag=True,
              help="Run EPUBCheck (needs Java) and Ace by DAISY (when installed) on the EPUB.")
@click.option("-j", "--jobs", type=click.IntRange(1, 64), default=os.cpu_count() or 1,
              show_default=True, help="Processes for rendering editions in parallel.")
@click.option("-v", "--verbose", "verbose", count=True, help="More progress output.")
@click.option("-q", "--quiet", is_flag=True, help="Only errors.")
@_source_option
def build_command(manifest_path: Path, output_dir: Path, formats: tuple[str, ...], strict: bool,
                  validate: bool, jobs: int, verbose: int, quiet: bool,
                  source_dir: Path | None) -> None:
    """Build the editions of MANIFEST (default manuscript/book.toml) into OUT_DIR."""
    _setup_logging(-1 if quiet else verbose)
    reporter = _Reporter(quiet)
    with stopping.signals_stop_the_build():
        manifest = _load(manifest_path, source_dir)
        request = BuildRequest(manifest, output_dir,
                               tuple(dict.fromkeys(formats)) or ALL_FORMATS, strict, validate, jobs)
        report = _run(lambda: build(request, progress=reporter.line, advance=reporter.bar),
                      reporter.finish)
    reporter.finish()
    if not quiet:
        _print_summary(report)


main.add_command(build_command, name="build")


@main.command(name="watch")
@click.argument("manifest_path", required=False, type=click.Path(path_type=Path),
                default=DEFAULT_MANIFEST)
@click.option("-o", "--output", "output_dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("build"), show_default=True, help="Folder for the editions.")
@click.option("-f", "--format", "formats", multiple=True,
              type=click.Choice(ALL_FORMATS + OPTIONAL_FORMATS), help="Edition to rebuild.")
@_source_option
def watch_command(manifest_path: Path, output_dir: Path, formats: tuple[str, ...],
                  source_dir: Path | None) -> None:
    """Build, then rebuild on every save until Ctrl-C."""
    from handbook_build.watch import describe, watch

    _setup_logging(0)
    # Guarded throughout: a stop during a rebuild ends its workers as in `build`.
    with stopping.signals_stop_the_build():
        manifest = _load(manifest_path, source_dir)
        request = BuildRequest(manifest, output_dir,
                               tuple(dict.fromkeys(formats)) or ALL_FORMATS)
        _print_summary(_run(lambda: build(request, progress=_progress(False))))
        click.echo("watching for changes (Ctrl-C to stop)", err=True)
        try:
            for event in watch(request, lambda: _load(manifest_path, source_dir)):
                click.echo(describe(event))
        except KeyboardInterrupt:
            # watchfiles turns the signal into a plain KeyboardInterrupt: ask which it was.
            signum = stopping.received() or signal.SIGINT
            if signum != signal.SIGINT:  # SIGTERM, SIGHUP: a stop, not the user's Ctrl-C
                _interrupted(signum, lambda: None)
            stopping.end_descendants()
            stopping.reap_ended()
            click.echo("stopped watching", err=True)


@main.command()
@click.argument("target", required=False, type=click.Path(path_type=Path),
                default=DEFAULT_MANIFEST)
@click.option("--strict", is_flag=True, help="Exit 1 on warnings too.")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="json for CI.")
@click.option("--profile", type=click.Choice(["print", "screen"]), default=None,
              help="For a PDF: the image thresholds to apply (default: guessed from the file).")
@_source_option
def check(target: Path, strict: bool, output_format: str, profile: str | None,
          source_dir: Path | None) -> None:
    """Lint a book's sources without rendering, or check a built .epub (EPUBCheck, and Ace by
    DAISY when installed) or .pdf (its pages as a typesetter would: images, hyphenation,
    overflow, glyphs, notes, pages)."""
    from handbook_build.check import run_check

    _setup_logging(0)
    chosen: Literal["print", "screen"] | None = None
    if profile in ("print", "screen"):
        chosen = "print" if profile == "print" else "screen"
    report = _run(lambda: run_check(target, source_dir, chosen))
    click.echo(report.render(output_format))
    if report.error_count or (strict and report.warning_count):
        sys.exit(1)


def _load(manifest_path: Path, source_dir: Path | None) -> Manifest:
    from handbook_build.inputs import load_any

    return _run(lambda: load_any(manifest_path, source_dir))


def _run(action: Callable[[], T], before_message: Callable[[], None] = lambda: None) -> T:
    try:
        return action()
    except KeyboardInterrupt as error:
        _interrupted(getattr(error, "signum", signal.SIGINT), before_message)
    except HandbookError as error:
        if stopping.received() is not None:  # a worker ended by the stop: not the book's fault
            _interrupted(stopping.received() or signal.SIGINT, before_message)
        error.show()
        sys.exit(error.exit_code)
    except Exception:
        if stopping.received() is not None:
            _interrupted(stopping.received() or signal.SIGINT, before_message)
        raise


def _interrupted(signum: int, before_message: Callable[[], None]) -> NoReturn:
    """One line, then 128 + the signal's number (130 for Ctrl-C)."""
    before_message()
    stopping.report_once(signum)
    stopping.end_descendants()  # one started while the build unwound
    stopping.reap_ended()
    sys.exit(128 + signum)


class _Reporter:
    """Progress lines on stderr, and a bar while editions render when stderr is a terminal."""

    WIDTH = 30

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.is_terminal = sys.stderr.isatty()
        self.bar_shown = False

    def line(self, message: str) -> None:
        if not self.quiet:
            self._clear_bar()
            click.echo(f"· {message}", err=True)

    def bar(self, done: int, total: int) -> None:
        if self.quiet or not self.is_terminal or total == 0:
            return
        filled = self.WIDTH * done // total
        bar = "#" * filled + "-" * (self.WIDTH - filled)
        click.echo(f"\r  rendering [{bar}] {done}/{total} editions", err=True, nl=False)
        self.bar_shown = True

    def finish(self) -> None:
        self._clear_bar()

    def _clear_bar(self) -> None:
        if self.bar_shown:
            click.echo("\r" + " " * (self.WIDTH + 40) + "\r", err=True, nl=False)
            self.bar_shown = False


def _progress(quiet: bool) -> Callable[[str], None]:
    def report(message: str) -> None:
        if not quiet:
            click.echo(f"· {message}", err=True)

    return report


def _print_summary(report: BuildReport) -> None:
    if report.unchanged:
        click.echo(f"nothing changed: {len(report.written)} files up to date "
                   f"({report.seconds:.2f} s)")
        return
    _print_warnings(report)
    for written in report.written:
        pages = f", {written.pages} pages" if written.pages else ""
        click.echo(f"wrote {written.path} ({_size(written.size)}{pages})")
    warnings = len(report.warnings)
    click.echo(f"done in {report.seconds:.1f} s, {warnings} warning{'s' * (warnings != 1)}")


MAX_LISTED_WARNINGS = 40


def _print_warnings(report: BuildReport) -> None:
    """Every warning when there are few; otherwise the first ones and a count per kind."""
    warnings = report.warnings
    for diagnostic in warnings[:MAX_LISTED_WARNINGS]:
        click.echo(diagnostic.compiler_style(), err=True)
    if len(warnings) > MAX_LISTED_WARNINGS:
        counts = Counter(d.code for d in warnings)
        summary = ", ".join(f"{code}: {count}" for code, count in sorted(counts.items()))
        click.echo(f"... and {len(warnings) - MAX_LISTED_WARNINGS} more ({summary}); "
                   "`handbook-build check` lists them all", err=True)


def _size(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / (1024 * 1024):.1f} MB"
