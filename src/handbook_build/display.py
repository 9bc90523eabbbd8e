"""How a file is named in messages and reports: relative to the book, never to the working folder.

A message naming ``../../../../shared/en-md/howto.md`` changes with the folder the build ran
from, and so did the report JSON; the same book must give the same words and bytes wherever it
is built. Paths are shown relative to the book's folders, most specific first: the folder of
``book.toml``, the chapters' source folder, the other folders the book may read, the styles
folder's parent (``styles/base.css``). A path under none of them keeps the working-folder form.

The bases are process-wide because messages are made in every stage, deep in helpers that have
no manifest at hand; the manifest loader sets them (``use_book``) before it reports anything,
and worker processes inherit them through ``fork``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

_bases: tuple[Path, ...] = ()


def use_book(*bases: Path | None) -> None:
    """Show paths relative to ``bases`` (first that contains a path wins) from now on."""
    global _bases
    seen: dict[Path, None] = {}
    for base in bases:
        if base is not None:
            seen.setdefault(_absolute(base), None)
    _bases = tuple(seen)


def book_bases() -> tuple[Path, ...]:
    return _bases


def bases_for(root_dir: Path, source_dir: Path, others: Iterable[Path],
              styles_dir: Path | None) -> tuple[Path, ...]:
    """The display bases of a manifest, in the order ``use_book`` takes them."""
    parent = styles_dir.parent if styles_dir is not None else None
    return (root_dir, source_dir, *others, *((parent,) if parent is not None else ()))


def shown(path: Path | str) -> str:
    """``path`` as messages show it: relative to the book where it lies in it (POSIX slashes)."""
    absolute = _absolute(Path(path))
    for base in _bases:
        if absolute == base or base in absolute.parents:
            return absolute.relative_to(base).as_posix() or "."
    try:
        return os.path.relpath(absolute)
    except ValueError:  # another drive on Windows
        return str(path)


def _absolute(path: Path) -> Path:
    # resolve() as the manifest does for chapters (symlinked checkouts must match their bases).
    try:
        return path.resolve()
    except OSError:
        return path.absolute()
