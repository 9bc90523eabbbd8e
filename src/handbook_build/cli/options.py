"""The options build, watch and serve share (BOOK, -o, -f, --strict, -j, -v, -q, --source), and
the help text every command that takes a BOOK adds."""

from __future__ import annotations

import inspect
import os
from pathlib import Path

import click

from handbook_build.pipeline import ALL_FORMATS, OPTIONAL_FORMATS

BOOK_ARGUMENT_HELP = """\b
BOOK is a book.toml, a folder holding one, or a bare contents file; paths are relative to the
current folder. Without BOOK: ./book.toml, then ./manuscript/book.toml, then ./contents.md.
Other tools' books are read from their own files: mdBook's book.toml, Jupyter Book's _toc.yml,
MyST's myst.yml, Quarto's _quarto.yml, GitBook's SUMMARY.md (with book.json), a folder of
numbered chapters with pandoc's metadata.yaml (or the folder holding any of them).
The editions go to build/ beside the book.toml unless -o says otherwise."""


FORMATS_HELP = ("Edition to build (repeatable): md, html, pdf, print, epub (the default: all "
                "five), print-fillable (the print edition with a text field per page).")


def source_option(function: click.decorators.FC) -> click.decorators.FC:
    return click.option(
        "--source", "source_dir", type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="Folder holding the chapters (overrides [contents] source in book.toml).",
    )(function)


def book_options(function: click.decorators.FC) -> click.decorators.FC:
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
        source_option,
    ]
    for option in reversed(options):
        function = option(function)
    return function


def add_book_help(command: click.Command) -> None:
    command.help = inspect.cleandoc(command.help or "") + "\n\n" + BOOK_ARGUMENT_HELP


def verbosity(verbose: int, quiet: bool) -> int:
    if verbose and quiet:
        raise click.UsageError("-v and -q contradict each other; give one of them")
    return -1 if quiet else verbose
