"""The command line (click): parses options, sets up logging, prints progress and the summary.

No build logic lives here: ``pipeline.build`` does the work. Exit codes: 0 ok, 1 content or
build error, 2 usage error, 3 a required tool or library is missing; stopped by a signal
(stopping.py): 130 SIGINT, 143 SIGTERM, 129 SIGHUP, after one line on stderr.
"""

from __future__ import annotations

import inspect
import logging
import os
import signal
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Literal, NoReturn, TypeVar

import click

from handbook_build import stopping
from handbook_build.errors import HandbookError
from handbook_build.model import Diagnostic, Manifest
from handbook_build.pipeline import ALL_FORMATS, OPTIONAL_FORMATS, BuildReport, BuildRequest, build

T = TypeVar("T")
BOOK_ARGUMENT_HELP = """\b
BOOK is a book.toml, a folder holding one, or a bare contents file; paths are relative to the
current folder. Without BOOK: ./book.toml, then ./manuscript/book.toml, then ./contents.md.
Other tools' books are read from their own files: mdBook's book.toml, Jupyter Book's _toc.yml,
MyST's myst.yml, Quarto's _quarto.yml, GitBook's SUMMARY.md (with book.json), a folder of
numbered chapters with pandoc's metadata.yaml (or the folder holding any of them).
The editions go to build/ beside the book.toml unless -o says otherwise."""
MAIN_EPILOG = """\b
Start a book:   handbook-build init mybook && cd mybook && handbook-build build
Shell completion (bash; zsh and fish likewise, with zsh_source / fish_source):
  eval "$(_HANDBOOK_BUILD_COMPLETE=bash_source handbook-build)"
Exit codes: 0 ok, 1 content or build error, 2 usage error, 3 a required tool is missing,
130 interrupted. NO_COLOR=1 turns colours off.
"""
BUILD_EPILOG = """\b
Examples:
  handbook-build build                          every edition of ./book.toml into ./build/
  handbook-build build -f pdf -f epub           only the reading PDF and the EPUB
  handbook-build build -f print-fillable        only the tablet print PDF (a text field per page)
  handbook-build build editions/peeragogy-v3 -o build/handbook
  handbook-build build ../handbook/en-md/README.md   a bare contents file, metadata defaulted
  handbook-build build --strict --validate      fail on any warning; run EPUBCheck too
"""
CHECK_EPILOG = """\b
Examples:
  handbook-build check                          lint ./book.toml's sources without rendering
  handbook-build check --strict                 exit 1 on warnings too
  handbook-build check --format json > lint.json    one JSON document for CI
  handbook-build check build/book.epub          run EPUBCheck on a built EPUB
  handbook-build check build/book-print.pdf     fonts, outline, links of a built PDF
"""
WATCH_EPILOG = """\b
Examples:
  handbook-build watch                          rebuild ./book.toml's editions on every save
  handbook-build watch -f html -f pdf           only the HTML edition and the reading PDF
"""
FORMATS_HELP = ("Edition to build (repeatable): md, html, pdf, print, epub (the default: all "
                "five), print-fillable (the print edition with a text field per page).")


class _EchoHandler(logging.Handler):
    """Library code logs; only the CLI prints, to stderr, one line per record."""

    def emit(self, record: logging.LogRecord) -> None:
        args = record.args if isinstance(record.args, tuple) else ()
        if args and isinstance(args[0], Diagnostic):  # in the one format of every message
            click.echo(paint(args[0].compiler_style()), err=True)
        elif record.levelno >= logging.WARNING:
            severity = "error" if record.levelno >= logging.ERROR else "warning"
            click.echo(paint(f"handbook-build: {severity}: {record.getMessage()}"), err=True)
        else:
            click.echo(record.getMessage(), err=True)


def _setup_logging(verbosity: int) -> None:
    level = {-1: logging.ERROR, 0: logging.WARNING}.get(verbosity, logging.INFO)
    root = logging.getLogger("handbook_build")
    root.handlers[:] = [_EchoHandler()]
    root.setLevel(level)
    root.propagate = False


def _show_version(context: click.Context, _: click.Parameter, value: bool) -> None:
    if not value or context.resilient_parsing:
        return
    from handbook_build.versions import version_line

    click.echo(version_line())
    context.exit()


@click.group(epilog=MAIN_EPILOG, context_settings={"help_option_names": ["-h", "--help"],
                                                   "max_content_width": 100})
@click.option("--version", is_flag=True, expose_value=False, is_eager=True,
              callback=_show_version, help="Show the version, WeasyPrint's and pandoc's.")
def main() -> None:
    """Build release editions of a Markdown handbook: manuscript, PDF, EPUB 3 and print PDF."""


def _source_option(function: click.decorators.FC) -> click.decorators.FC:
    return click.option(
        "--source", "source_dir", type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="Folder holding the chapters (overrides [contents] source in book.toml).",
    )(function)


def _book_options(function: click.decorators.FC) -> click.decorators.FC:
    """BOOK, -o, -f, --strict, -j, -v, -q, --source: shared by build, watch and serve."""
    options = [
        click.argument("book_path", metavar="[BOOK]", required=False,
                       type=click.Path(path_type=Path)),
        click.option("-o", "--output", "output_dir",
                     type=click.Path(file_okay=False, path_type=Path), default=None,
                     help="Folder for the editions. Default: build/ beside the book.toml."),
        click.option("-f", "--format", "formats", multiple=True,
                     type=click.Choice(ALL_FORMATS + OPTIONAL_FORMATS), help=FORMATS_HELP),
        click.option("--strict", is_flag=True, help="Treat warnings as errors."),
        click.option("-j", "--jobs", type=click.IntRange(1, 64), default=os.cpu_count() or 1,
                     show_default=True, help="Processes for rendering editions in parallel."),
        click.option("-v", "--verbose", "verbose", count=True, help="More progress output."),
        click.option("-q", "--quiet", is_flag=True, help="Only errors."),
        _source_option,
    ]
    for option in reversed(options):
        function = option(function)
    return function


def _add_book_help(command: click.Command) -> None:
    command.help = inspect.cleandoc(command.help or "") + "\n\n" + BOOK_ARGUMENT_HELP


def _verbosity(verbose: int, quiet: bool) -> int:
    if verbose and quiet:
        raise click.UsageError("-v and -q contradict each other; give one of them")
    return -1 if quiet else verbose


def book_request(book_path: Path | None, output_dir: Path | None, formats: tuple[str, ...],
                 strict: bool, validate: bool, jobs: int, source_dir: Path | None
                 ) -> tuple[Path, BuildRequest]:
    """The book the user means (locate.py) and the build request for it; usage errors exit 2."""
    from handbook_build.locate import default_output, find_book

    path = find_book(book_path)
    manifest = _load(path, source_dir)
    output = output_dir if output_dir is not None else default_output(path)
    return path, BuildRequest(manifest, output, tuple(dict.fromkeys(formats)) or ALL_FORMATS,
                              strict, validate, jobs)


@main.command(epilog=BUILD_EPILOG, short_help="Build the editions of a book (every edition by "
              "default) into build/.")
@_book_options
@click.option("--validate", is_flag=True,
              help="Run EPUBCheck (needs Java) and Ace by DAISY (when installed) on the EPUB, "
                   "and every typesetting check on the PDFs.")
def build_command(book_path: Path | None, output_dir: Path | None, formats: tuple[str, ...],
                  strict: bool, jobs: int, verbose: int, quiet: bool, source_dir: Path | None,
                  validate: bool) -> None:
    """Build the editions of BOOK: the assembled .md, the HTML edition (a page and its
    -files/ folder), the reading PDF, the EPUB 3 and the print PDF with its cover, preflight
    report and proof.
    """
    level = _verbosity(verbose, quiet)
    _setup_logging(level)
    reporter = _Reporter(quiet)
    with stopping.signals_stop_the_build():
        _, request = book_request(book_path, output_dir, formats, strict, validate, jobs,
                                  source_dir)
        report = _run(lambda: build(request, progress=reporter.line, advance=reporter.bar),
                      reporter.finish)
    reporter.finish()
    if not quiet:
        _print_summary(report, request.output_dir)


_add_book_help(build_command)
main.add_command(build_command, name="build")


@main.command(name="watch", epilog=WATCH_EPILOG,
              short_help="Build, then rebuild what each save affects, until Ctrl-C.")
@_book_options
def watch_command(book_path: Path | None, output_dir: Path | None, formats: tuple[str, ...],
                  strict: bool, jobs: int, verbose: int, quiet: bool,
                  source_dir: Path | None) -> None:
    """Build BOOK, then rebuild on every save until Ctrl-C. A mistake (a TOML typo, a missing
    chapter or image) is reported and the watcher waits for the next save; the warnings are
    shown after each rebuild; editors' temporary and hidden files are ignored.
    """
    from handbook_build.locate import default_output, find_book
    from handbook_build.watch import describe, watch

    _setup_logging(_verbosity(verbose, quiet))
    # Guarded throughout: a stop during a rebuild ends its workers as in `build`.
    with stopping.signals_stop_the_build():
        path = find_book(book_path)
        output = output_dir if output_dir is not None else default_output(path)
        manifest = _first_manifest(path, source_dir, output)
        request = BuildRequest(manifest, output, tuple(dict.fromkeys(formats)) or ALL_FORMATS,
                               strict, False, jobs)
        first = first_build(request)
        if first is not None and not quiet:
            _print_summary(first, request.output_dir)
        try:
            for event in watch(request, lambda: _reload(path, source_dir),
                               ready=lambda: click.echo("watching for changes (Ctrl-C to stop)",
                                                        err=True)):
                click.echo(describe(event, quiet))
        except KeyboardInterrupt:
            # watchfiles turns the signal into a plain KeyboardInterrupt: ask which it was.
            signum = stopping.received() or signal.SIGINT
            if signum != signal.SIGINT:  # SIGTERM, SIGHUP: a stop, not the user's Ctrl-C
                _interrupted(signum, lambda: None)
            stopping.end_descendants()
            stopping.reap_ended()
            click.echo("stopped watching", err=True)


_add_book_help(watch_command)


def _first_manifest(path: Path, source_dir: Path | None, output: Path) -> Manifest:
    """The manifest; while it has errors, each is shown and the next save is awaited."""
    from watchfiles import watch as watch_files

    from handbook_build.watch import is_book_file

    folder = (path if path.is_dir() else path.parent).resolve()
    while True:
        try:
            return _reload(path, source_dir)
        except HandbookError as error:
            error.show()
            click.echo("fix it and save: the watcher rebuilds", err=True)
        for _ in watch_files(folder, watch_filter=lambda _, name: is_book_file(
                Path(name), output.resolve())):
            break


def first_build(request: BuildRequest) -> BuildReport | None:
    """The build before watching: a mistake is shown, and watching starts anyway."""
    try:
        return build(request, progress=_progress(True))
    except HandbookError as error:
        error.show()
        click.echo("fix it and save: the watcher rebuilds", err=True)
        return None


def _reload(path: Path, source_dir: Path | None) -> Manifest:
    """The manifest again, each rebuild; its errors are the watcher's to report (no exit)."""
    from handbook_build.inputs import load_any

    return load_any(path, source_dir)


@main.command(epilog=CHECK_EPILOG, short_help="Lint a book's sources without rendering, or "
              "validate a built .epub or .pdf.")
@click.argument("target", metavar="[BOOK | FILE.epub | FILE.pdf]", required=False,
                type=click.Path(path_type=Path))
@click.option("--strict", is_flag=True, help="Exit 1 on warnings too.")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="json for CI.")
@click.option("--profile", type=click.Choice(["print", "screen"]), default=None,
              help="For a PDF: the image thresholds to apply (default: guessed from the file).")
@_source_option
def check(target: Path | None, strict: bool, output_format: str, profile: str | None,
          source_dir: Path | None) -> None:
    """Lint a book's sources without rendering (the same findings as build reports), or check
    a built .epub (EPUBCheck, and Ace by DAISY when installed) or .pdf (fonts, outline, links,
    and its pages as a typesetter would: images, hyphenation, overflow, glyphs, notes, pages).
    One line per finding, path:line:col: severity: message; hint [code], then the counts.
    """
    from handbook_build.check import run_check
    from handbook_build.locate import find_book

    _setup_logging(0)
    chosen: Literal["print", "screen"] | None = None
    if profile in ("print", "screen"):
        chosen = "print" if profile == "print" else "screen"
    found = find_book(target)
    report = _run(lambda: run_check(found, source_dir, chosen))
    click.echo(report.render(output_format))
    if report.error_count or (strict and report.warning_count):
        sys.exit(1)


_add_book_help(check)


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
    stopping.ignore_until_exit()  # a later Ctrl-C must not turn 130 into death by SIGINT
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


def _print_summary(report: BuildReport, output_dir: Path) -> None:
    """What was written, named as the user gave the output folder, and the warnings."""
    if report.unchanged:
        click.echo(f"nothing changed: {len(report.written)} files up to date "
                   f"({report.seconds:.2f} s)")
        return
    _print_warnings(report)
    for written in report.written:
        pages = f", {written.pages} pages" if written.pages else ""
        shown = (output_dir / written.path.name).as_posix()
        slash = "/" if written.path.name.endswith("-files") else ""
        click.echo(f"wrote {shown}{slash} ({_size(written.size)}{pages})")
    click.echo(f"done in {report.seconds:.1f} s, {plural(len(report.warnings), 'warning')}")


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


MAX_LISTED_WARNINGS = 40


def _print_warnings(report: BuildReport) -> None:
    for line in warning_lines(report.warnings, MAX_LISTED_WARNINGS):
        click.echo(paint(line), err=True)


def warning_lines(warnings: Sequence[Diagnostic], limit: int) -> list[str]:
    """Every warning when there are few; otherwise the first ``limit`` and a count per kind of
    the ones not shown, so that the numbers add up."""
    lines = [diagnostic.compiler_style() for diagnostic in warnings[:limit]]
    rest = warnings[limit:]
    if rest:
        counts = Counter(d.code for d in rest)
        summary = ", ".join(f"{code}: {count}" for code, count in sorted(counts.items()))
        lines.append(f"... and {len(rest)} more ({summary}); `handbook-build check` lists "
                     f"all {len(warnings)}")
    return lines


def colour_wanted() -> bool:
    """Colours on a terminal only, and never when NO_COLOR is set (https://no-color.org)."""
    return "NO_COLOR" not in os.environ and sys.stderr.isatty()


def paint(line: str) -> str:
    """``error:``/``warning:`` in colour where wanted; the line unchanged otherwise."""
    if not colour_wanted():
        return line
    for severity, colour in (("error", "red"), ("warning", "yellow")):
        marker = f": {severity}: "
        if marker in line:
            return line.replace(marker, f": {click.style(severity, fg=colour, bold=True)}: ", 1)
    return line


def _size(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def _register_editor_commands() -> None:
    from handbook_build import cli_editor

    main.add_command(cli_editor.init)
    main.add_command(cli_editor.serve)
    main.add_command(cli_editor.release)


_register_editor_commands()
