"""The editor's commands beyond build/check/watch: ``init``, ``serve`` and ``release``.

Kept apart from cli.py so each stays one screen of option parsing; the work is in scaffold.py,
serve.py and release.py. cli.py registers these commands on its group.
"""

from __future__ import annotations

import os
from pathlib import Path

import click

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
    from handbook_build.cli import _run
    from handbook_build.scaffold import create_book

    book = _run(lambda: create_book(folder, title, force))
    for name in book.files:
        click.echo(f"wrote {(folder / name).as_posix()}")
    where = "" if folder.resolve() == Path.cwd() else f"cd {_quoted(folder)} && "
    click.echo(f"next: {where}handbook-build build   (or handbook-build serve to preview)")


def _quoted(path: Path) -> str:
    import shlex

    return shlex.quote(os.fspath(path))
