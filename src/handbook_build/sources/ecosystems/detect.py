"""Which convention a book follows, from its entry file (or the folder holding it).

``book.toml`` is ours unless it is mdBook's (mdbook.is_mdbook_toml); ``_quarto.yml``,
``myst.yml`` and ``_toc.yml`` (or ``_config.yml`` beside it) name their readers; ``SUMMARY.md``
is GitBook's (or mdBook's, inside the ``src`` of an mdBook); ``metadata.yaml`` is a pandoc folder.
In a folder, a GitBook ``SUMMARY.md`` needs ``book.json`` or a link to ``README.md`` (GitBook's
intro page), and a pandoc folder needs numbered chapters: otherwise the folder keeps its old
meaning (a bare contents list with defaulted metadata). None means "not another convention".
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from handbook_build.model import Manifest
from handbook_build.sources.ecosystems import (
    gitbook,
    jupyterbook,
    mdbook,
    myst,
    pandoc_folder,
    quarto,
)
from handbook_build.sources.ecosystems.summary import summary_lists
from handbook_build.sources.guard import MAX_MANIFEST_BYTES, input_file_problem
from handbook_build.sources.manifest import Report

Reader = Callable[[Path], tuple[Manifest | None, Report]]


@dataclass(frozen=True, slots=True)
class Entry:
    convention: str  # as the README names it: "mdBook", "Quarto", ...
    path: Path  # the entry file, absolute
    read: Reader


def _readable(path: Path) -> bool:
    return path.is_file() and input_file_problem(path, MAX_MANIFEST_BYTES) is None


def _mdbook_toml(path: Path) -> bool:
    if not _readable(path):
        return False
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError):
        return False  # ours reports the error, at its line
    return mdbook.is_mdbook_toml(data, path.parent)


def _mdbook_of_summary(summary: Path) -> Path | None:
    """The mdBook book.toml whose ``src/`` holds ``summary``, if there is one. Only that layout
    is looked at: a folder above a GitBook's summary is not the book's, and is not read."""
    if summary.parent.name == "src" and _mdbook_toml(summary.parent.parent / "book.toml"):
        return summary.parent.parent / "book.toml"
    return None


def entry_for_file(path: Path) -> Entry | None:
    path = path.resolve()
    name = path.name
    if name == "book.toml":
        return Entry("mdBook", path, mdbook.read) if _mdbook_toml(path) else None
    if name == "_quarto.yml":
        return Entry("Quarto", path, quarto.read)
    if name == "myst.yml":
        return Entry("MyST", path, myst.read)
    if name == "_toc.yml":
        return Entry("Jupyter Book", path, jupyterbook.read)
    if name == "_config.yml" and (path.parent / "_toc.yml").is_file():
        return Entry("Jupyter Book", path.parent / "_toc.yml", jupyterbook.read)
    if name == "SUMMARY.md":
        toml = _mdbook_of_summary(path)
        if toml is not None:
            return Entry("mdBook", toml, mdbook.read)
        return Entry("GitBook", path, gitbook.read)
    if name == "book.json" and (path.parent / "SUMMARY.md").is_file():
        return Entry("GitBook", path.parent / "SUMMARY.md", gitbook.read)
    if name in pandoc_folder.METADATA_NAMES:
        return Entry("pandoc", path, pandoc_folder.read)
    return None


def entry_for_folder(folder: Path) -> Entry | None:
    folder = folder.resolve()
    toml = folder / "book.toml"
    if toml.is_file():
        return entry_for_file(toml)  # ours or mdBook's: a book.toml always decides
    for name in ("_quarto.yml", "myst.yml", "_toc.yml"):
        if (folder / name).is_file():
            return entry_for_file(folder / name)
    summary = folder / "SUMMARY.md"
    if _readable(summary) and ((folder / "book.json").is_file()
                               or summary_lists("README.md", summary)):
        return Entry("GitBook", summary, gitbook.read)
    for name in pandoc_folder.METADATA_NAMES:
        if (folder / name).is_file() and pandoc_folder.numbered_chapters(folder):
            return Entry("pandoc", folder / name, pandoc_folder.read)
    return None


def find_entry(path: Path) -> Entry | None:
    """The convention of the book at ``path`` (a file or folder), or None for ours."""
    if path.is_dir():
        return entry_for_folder(path)
    if path.is_file():
        return entry_for_file(path)
    return None
