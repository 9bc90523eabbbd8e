"""Which book a command means: the one in the current folder unless told otherwise.

``cd mybook && handbook-build build`` must build ``mybook/book.toml``; a folder argument means
the ``book.toml`` inside it (not a bare folder of chapters with defaulted metadata when a
manifest is right there). A path that does not exist is a usage error with a "did you mean".
"""

from __future__ import annotations

import difflib
from pathlib import Path

import click

MANIFEST_NAME = "book.toml"
# Looked up from the current folder, in this order, when no book is named.
DEFAULT_CANDIDATES = (Path(MANIFEST_NAME), Path("manuscript") / MANIFEST_NAME,
                      Path("contents.md"))
DEFAULT_OUTPUT = "build"


class NoSuchPathError(click.UsageError):
    """A path on the command line that does not exist: a usage error (exit 2)."""


def find_book(given: Path | None, current: Path | None = None) -> Path:
    """The manifest (or contents file, or folder) to build, as the user would type it."""
    if given is None:
        base = current or Path.cwd()
        for candidate in DEFAULT_CANDIDATES:
            if (base / candidate).is_file():
                return candidate
        other = _other_convention(base)
        if other is not None:
            return other
        looked = ", ".join(f"./{c.as_posix()}" for c in DEFAULT_CANDIDATES)
        raise NoSuchPathError(f"no book here: looked for {looked}; run `handbook-build init` "
                              "to start one, or name the book.toml")
    if not given.exists():
        raise NoSuchPathError(f"{given}: no such file or folder{did_you_mean(given)}")
    if given.is_dir() and (given / MANIFEST_NAME).is_file():
        return given / MANIFEST_NAME
    if given.is_dir():
        return _other_convention(given) or given
    return given


def _other_convention(folder: Path) -> Path | None:
    """The entry file of an mdBook, Jupyter Book, MyST, Quarto, GitBook or pandoc book."""
    from handbook_build.sources.ecosystems import find_entry

    entry = find_entry(folder)
    return entry.path if entry is not None else None


def default_output(manifest_path: Path) -> Path:
    """``build/`` beside the manifest (beside the contents file, or inside a bare folder)."""
    folder = manifest_path if manifest_path.is_dir() else manifest_path.parent
    return folder / DEFAULT_OUTPUT


def did_you_mean(path: Path) -> str:
    """``; did you mean X?`` naming the closest existing sibling, or ""."""
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        return ""
    names = [entry.name for entry in parent.iterdir() if not entry.name.startswith(".")]
    close = difflib.get_close_matches(path.name, names, n=1, cutoff=0.6)
    if not close:
        return ""
    return f"; did you mean {(parent / close[0]).as_posix()}?"
