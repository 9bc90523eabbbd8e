"""The editor's commands beyond build/check/watch: ``init``, ``serve`` and ``release``.

Kept apart from commands.py so each stays one screen of option parsing; the work is in
scaffold.py, serve.py and release.py. commands.py registers these commands on its group.
"""

from __future__ import annotations

import os
from pathlib import Path

import click

from handbook_build.cli.book import first_manifest, load_book, reload_manifest
from handbook_build.cli.exits import run_or_exit
from handbook_build.cli.options import book_options, verbosity
from handbook_build.cli.output import setup_logging

INIT_EPILOG = """\b
Examples:
  handbook-build init mybook                    a new book in ./mybook
  handbook-build init --title "Learning Together" .   here, in an empty folder
"""
SERVE_EPILOG = """\b
Examples:
  handbook-build serve                          preview ./book.toml at http://127.0.0.1:8000/
  handbook-build serve -f html                  only the HTML edition (fastest)
  handbook-build serve --port 0                 any free port (printed)
"""
RELEASE_EPILOG = """\b
Examples:
  handbook-build release                        ./book.toml's editions into ./release/
  handbook-build release editions/peeragogy-v3 -o dist
"""


@click.command(epilog=INIT_EPILOG, short_help="Start a new book in FOLDER (default: here) "
               "that builds at once.")
@click.argument("folder", required=False, type=click.Path(path_type=Path), default=Path("."))
@click.option("--title", default="", help="The book's title. Default: from the folder name.")
@click.option("--force", is_flag=True,
              help="Write into a folder that is not empty (never overwrites a file).")
def init(folder: Path, title: str, force: bool) -> None:
    """Start a new book in FOLDER (default: the current folder): book.toml with every key
    explained, contents.md, two chapters (a footnote, an image, a table) and images/. The
    styles are the defaults. Refuses a folder that is not empty unless --force."""
    from handbook_build.scaffold import create_book

    book = run_or_exit(lambda: create_book(folder, title, force))
    for name in book.files:
        click.echo(f"wrote {(folder / name).as_posix()}")
    where = "" if folder.resolve() == Path.cwd() else f"cd {_quoted(folder)} && "
    click.echo(f"next: {where}handbook-build build   (or handbook-build serve to preview)")


def _quoted(path: Path) -> str:
    import shlex

    return shlex.quote(os.fspath(path))


def _serve_options(function: click.decorators.FC) -> click.decorators.FC:
    function = click.option("--port", type=click.IntRange(0, 65535), default=8000,
                            show_default=True, help="Port on 127.0.0.1; 0 takes a free one.")(
        function)
    return book_options(function)


@click.command(epilog=SERVE_EPILOG, short_help="Preview the book in a browser; it reloads "
               "after each save.")
@_serve_options
def serve(book_path: Path | None, output_dir: Path | None, formats: tuple[str, ...],
          strict: bool, jobs: int, verbose: int, quiet: bool, source_dir: Path | None,
          port: int) -> None:
    """Build BOOK, serve its HTML edition on http://127.0.0.1:PORT/ and rebuild on every save,
    as watch does. The page shows links to the editions just built and the current warnings
    at the top, and reloads itself after each rebuild. Ctrl-C stops it."""
    from handbook_build.locate import default_output, find_book
    from handbook_build.pipeline import ALL_FORMATS, BuildRequest
    from handbook_build.serve import PreviewState, start_server
    from handbook_build.watch import describe, rebuild, watch

    setup_logging(verbosity(verbose, quiet))
    path = find_book(book_path)
    output = output_dir if output_dir is not None else default_output(path)
    wanted = tuple(dict.fromkeys(formats)) or ALL_FORMATS
    if "html" not in wanted:
        wanted = ("html", *wanted)  # the preview is the HTML edition
    manifest = first_manifest(path, source_dir, output)
    request = BuildRequest(manifest, output, wanted, strict, False, jobs)
    state = PreviewState(output, manifest.stem, wanted)
    try:
        server = start_server(state, port)
    except OSError as error:
        raise click.UsageError(f"port {port}: {error.strerror}; give another with --port "
                               "(0 takes a free one)") from error
    click.echo(f"serving http://127.0.0.1:{server.server_port}/ (Ctrl-C to stop)")
    reload = lambda: reload_manifest(path, source_dir)  # noqa: E731
    first = rebuild(request, reload, ())
    click.echo(describe(first, quiet).replace("changed : ", "first build: ", 1), err=True)
    state.finished(first.warnings, first.error or "")
    try:
        for event in watch(request, reload, ready=lambda: click.echo(
                "watching for changes (Ctrl-C to stop)", err=True)):
            click.echo(describe(event, quiet), err=True)
            state.finished(event.warnings, event.error or "")
    except KeyboardInterrupt:
        click.echo("stopped serving", err=True)
    finally:
        server.shutdown()


@click.command(epilog=RELEASE_EPILOG, short_help="Build every edition strictly and validated, "
               "and write a download page, checksums and a zip.")
@click.argument("book_path", metavar="[BOOK]", required=False, type=click.Path(path_type=Path))
@click.option("-o", "--output", "release_dir", type=click.Path(file_okay=False, path_type=Path),
              default=None, help="Release folder. Default: release/ beside the book.toml.")
@click.option("--build-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where the editions are built first. Default: build/ beside the book.toml.")
@click.option("-j", "--jobs", type=click.IntRange(1, 64), default=os.cpu_count() or 1,
              show_default=True, help="Processes for rendering editions in parallel.")
@click.option("-q", "--quiet", is_flag=True, help="Only errors.")
@click.option("--source", "source_dir", type=click.Path(file_okay=False, path_type=Path),
              default=None, help="Folder holding the chapters (overrides [contents] source).")
def release(book_path: Path | None, release_dir: Path | None, build_dir: Path | None,
            jobs: int, quiet: bool, source_dir: Path | None) -> None:
    """Build every edition of BOOK as build --strict --validate does, then write the release
    folder: each edition with the version in its name (<stem>-<edition>.pdf ...), the HTML
    edition, index.html (cover thumbnail, format, pages, size and SHA-256 of each), SHA256SUMS
    and a zip of it all. Any warning, error, EPUBCheck finding or failed print preflight
    refuses the release (exit 1) and writes nothing of it."""
    from handbook_build.locate import DEFAULT_OUTPUT, find_book
    from handbook_build.release import make_release

    setup_logging(-1 if quiet else 0)
    path = find_book(book_path)
    manifest = load_book(path, source_dir)
    folder = path if path.is_dir() else path.parent
    built = build_dir if build_dir is not None else folder / DEFAULT_OUTPUT
    target = release_dir if release_dir is not None else folder / "release"

    def progress(message: str) -> None:
        if not quiet:
            click.echo(f"· {message}", err=True)

    made = run_or_exit(lambda: make_release(manifest, built, target, jobs, progress))
    for file in made.files:
        pages = f", {file.pages} pages" if file.pages else ""
        click.echo(f"wrote {(target / file.name).as_posix()} ({file.size} bytes{pages})")
    click.echo(f"wrote {(target / 'index.html').as_posix()}, "
               f"{(target / 'SHA256SUMS').as_posix()} and {(target / made.zip_name).as_posix()}"
               f": release {made.version}")
