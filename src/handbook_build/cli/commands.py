"""The command group and its build, watch and check commands (init, serve and release are in
editor.py, registered here)."""

from __future__ import annotations

import signal
import sys
from pathlib import Path
from typing import Literal

import click

from handbook_build import stopping
from handbook_build.cli.book import first_manifest, load_book, reload_manifest
from handbook_build.cli.exits import exit_interrupted, run_or_exit
from handbook_build.cli.options import add_book_help, book_options, source_option, verbosity
from handbook_build.cli.output import Reporter, print_summary, progress_printer, setup_logging
from handbook_build.errors import HandbookError
from handbook_build.pipeline import ALL_FORMATS, BuildReport, BuildRequest, build

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


def book_request(book_path: Path | None, output_dir: Path | None, formats: tuple[str, ...],
                 strict: bool, validate: bool, jobs: int, source_dir: Path | None
                 ) -> tuple[Path, BuildRequest]:
    """The book the user means (locate.py) and the build request for it; usage errors exit 2."""
    from handbook_build.locate import default_output, find_book

    path = find_book(book_path)
    manifest = load_book(path, source_dir)
    output = output_dir if output_dir is not None else default_output(path)
    return path, BuildRequest(manifest, output, tuple(dict.fromkeys(formats)) or ALL_FORMATS,
                              strict, validate, jobs)


@main.command(epilog=BUILD_EPILOG, short_help="Build the editions of a book (every edition by "
              "default) into build/.")
@book_options
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
    level = verbosity(verbose, quiet)
    setup_logging(level)
    reporter = Reporter(quiet)
    with stopping.signals_stop_the_build():
        _, request = book_request(book_path, output_dir, formats, strict, validate, jobs,
                                  source_dir)
        report = run_or_exit(lambda: build(request, progress=reporter.line, advance=reporter.bar),
                      reporter.finish)
    reporter.finish()
    if not quiet:
        print_summary(report, request.output_dir)


add_book_help(build_command)
main.add_command(build_command, name="build")


@main.command(name="watch", epilog=WATCH_EPILOG,
              short_help="Build, then rebuild what each save affects, until Ctrl-C.")
@book_options
def watch_command(book_path: Path | None, output_dir: Path | None, formats: tuple[str, ...],
                  strict: bool, jobs: int, verbose: int, quiet: bool,
                  source_dir: Path | None) -> None:
    """Build BOOK, then rebuild on every save until Ctrl-C. A mistake (a TOML typo, a missing
    chapter or image) is reported and the watcher waits for the next save; the warnings are
    shown after each rebuild; editors' temporary and hidden files are ignored.
    """
    from handbook_build.locate import default_output, find_book
    from handbook_build.watch import describe, watch

    setup_logging(verbosity(verbose, quiet))
    # Guarded throughout: a stop during a rebuild ends its workers as in `build`.
    with stopping.signals_stop_the_build():
        path = find_book(book_path)
        output = output_dir if output_dir is not None else default_output(path)
        manifest = first_manifest(path, source_dir, output)
        request = BuildRequest(manifest, output, tuple(dict.fromkeys(formats)) or ALL_FORMATS,
                               strict, False, jobs)
        first = first_build(request)
        if first is not None and not quiet:
            print_summary(first, request.output_dir)
        try:
            for event in watch(request, lambda: reload_manifest(path, source_dir),
                               ready=lambda: click.echo("watching for changes (Ctrl-C to stop)",
                                                        err=True)):
                click.echo(describe(event, quiet))
        except KeyboardInterrupt:
            # watchfiles turns the signal into a plain KeyboardInterrupt: ask which it was.
            signum = stopping.received() or signal.SIGINT
            if signum != signal.SIGINT:  # SIGTERM, SIGHUP: a stop, not the user's Ctrl-C
                exit_interrupted(signum, lambda: None)
            stopping.end_descendants()
            stopping.reap_ended()
            click.echo("stopped watching", err=True)


add_book_help(watch_command)


def first_build(request: BuildRequest) -> BuildReport | None:
    """The build before watching: a mistake is shown, and watching starts anyway."""
    try:
        return build(request, progress=progress_printer(True))
    except HandbookError as error:
        error.show()
        click.echo("fix it and save: the watcher rebuilds", err=True)
        return None


@main.command(epilog=CHECK_EPILOG, short_help="Lint a book's sources without rendering, or "
              "validate a built .epub or .pdf.")
@click.argument("target", metavar="[BOOK | FILE.epub | FILE.pdf]", required=False,
                type=click.Path(path_type=Path))
@click.option("--strict", is_flag=True, help="Exit 1 on warnings too.")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="json for CI.")
@click.option("--profile", type=click.Choice(["print", "screen"]), default=None,
              help="For a PDF: the image thresholds to apply (default: guessed from the file).")
@source_option
def check(target: Path | None, strict: bool, output_format: str, profile: str | None,
          source_dir: Path | None) -> None:
    """Lint a book's sources without rendering (the same findings as build reports), or check
    a built .epub (EPUBCheck, and Ace by DAISY when installed) or .pdf (fonts, outline, links,
    and its pages as a typesetter would: images, hyphenation, overflow, glyphs, notes, pages).
    One line per finding, path:line:col: severity: message; hint [code], then the counts.
    """
    from handbook_build.checks.check import run_check
    from handbook_build.locate import find_book

    setup_logging(0)
    chosen: Literal["print", "screen"] | None = None
    if profile in ("print", "screen"):
        chosen = "print" if profile == "print" else "screen"
    found = find_book(target)
    report = run_or_exit(lambda: run_check(found, source_dir, chosen))
    click.echo(report.render(output_format))
    if report.error_count or (strict and report.warning_count):
        sys.exit(1)


add_book_help(check)


def _register_editor_commands() -> None:
    from handbook_build.cli import editor

    main.add_command(editor.init)
    main.add_command(editor.serve)
    main.add_command(editor.release)


_register_editor_commands()
