"""The book's manifest for a command: once (its errors end the command), or again on each save
while watching (its errors are shown, and the next save is awaited)."""

from __future__ import annotations

from pathlib import Path

import click

from handbook_build.cli.exits import run_or_exit
from handbook_build.errors import HandbookError
from handbook_build.model import Manifest


def load_book(manifest_path: Path, source_dir: Path | None) -> Manifest:
    from handbook_build.sources.inputs import load_any

    return run_or_exit(lambda: load_any(manifest_path, source_dir))


def first_manifest(path: Path, source_dir: Path | None, output: Path) -> Manifest:
    """The manifest; while it has errors, each is shown and the next save is awaited."""
    from watchfiles import watch as watch_files

    from handbook_build.watch import is_book_file

    folder = (path if path.is_dir() else path.parent).resolve()
    while True:
        try:
            return reload_manifest(path, source_dir)
        except HandbookError as error:
            error.show()
            click.echo("fix it and save: the watcher rebuilds", err=True)
        for _ in watch_files(folder, watch_filter=lambda _, name: is_book_file(
                Path(name), output.resolve())):
            break


def reload_manifest(path: Path, source_dir: Path | None) -> Manifest:
    """The manifest again, each rebuild; its errors are the watcher's to report (no exit)."""
    from handbook_build.sources.inputs import load_any

    return load_any(path, source_dir)
