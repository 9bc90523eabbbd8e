"""``handbook-build watch``: rebuild on save through the same pipeline, and say what happened.

A watcher is left running all day, so a mistake (a TOML typo, a chapter missing from the
contents, a misspelled image) is reported and the watcher waits for the next save instead of
exiting. Editors write temporary files beside the chapters (sed's ``sedWOCRKk``, vim's
``.x.swp`` and ``4913``, emacs' ``.#x`` and ``x~``): only files a book can use wake it. What a
change affects is left to the pipeline's caches: an unchanged chapter's HTML and PDF pages are
reused, and only the outputs whose bytes differ are rewritten (the event names them).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from handbook_build.errors import HandbookError
from handbook_build.model import Manifest
from handbook_build.pipeline import BuildReport, BuildRequest, build

# What a book is made of: chapters and the contents list, the manifest, styles, images, fonts;
# and the entry files and chapters of other tools' books (ecosystems/: _toc.yml, book.json, .qmd).
BOOK_SUFFIXES = frozenset({".md", ".markdown", ".toml", ".css", ".png", ".jpg", ".jpeg", ".gif",
                           ".svg", ".webp", ".ttf", ".otf", ".woff", ".woff2", ".yml", ".yaml",
                           ".json", ".qmd", ".myst"})
# Names editors and tools give their temporary files, whatever the suffix.
_TEMPORARY = re.compile(r"^(?:\..*|.*~|#.*#|sed[A-Za-z0-9]{6}|4913|.*\.(?:swp|swx|swo|tmp|bak))$")


@dataclass(frozen=True, slots=True)
class WatchEvent:
    changed: tuple[Path, ...]
    rewritten: tuple[str, ...]  # output file names whose bytes changed
    seconds: float
    error: str | None = None
    warnings: tuple[str, ...] = ()  # the rebuild's warnings, one compiler-style line each


def watched_folders(manifest: Manifest) -> tuple[Path, ...]:
    folders = {*manifest.allowed_roots, *manifest.image_dirs, manifest.styles_dir,
               manifest.manifest_path.parent}
    return tuple(sorted(folder for folder in folders if folder.is_dir()))


def is_book_file(path: Path, output_dir: Path) -> bool:
    """True for a file a rebuild may read; False for temporaries, hidden files and outputs."""
    resolved = path.resolve()
    if resolved == output_dir or output_dir in resolved.parents:
        return False
    if any(part.startswith(".") for part in path.parts[-3:-1]):
        return False  # .git/, .cache/ and the like
    return _TEMPORARY.match(path.name) is None and path.suffix.lower() in BOOK_SUFFIXES


def watch(request: BuildRequest, reload_manifest: Callable[[], Manifest],
          stop_after: int | None = None,
          changes: Iterable[Collection[tuple[Any, str]]] | None = None,
          ready: Callable[[], None] = lambda: None) -> Iterator[WatchEvent]:
    """Yield one event per rebuild; ``ready`` is called once the watcher is running (a save
    before that would be missed); ``stop_after`` bounds the loop and ``changes`` replaces the
    file watcher (both for tests)."""
    output_dir = request.output_dir.resolve()
    if changes is None:
        from watchfiles import watch as watch_files

        # One set of (change, path) per batch of saves; an empty one every half second while
        # nothing changes, the first of which says the watcher is running.
        changes = watch_files(*watched_folders(request.manifest),
                              watch_filter=lambda _, path: is_book_file(Path(path), output_dir),
                              rust_timeout=500, yield_on_timeout=True)
    count = 0
    announced = False
    for batch in changes:
        if not announced:
            ready()
            announced = True
        changed = tuple(sorted({Path(path) for _, path in batch
                                if is_book_file(Path(path), output_dir)}))
        if not changed:
            continue
        count += 1
        yield rebuild(request, reload_manifest, changed)
        if stop_after is not None and count >= stop_after:
            return


def rebuild(request: BuildRequest, reload_manifest: Callable[[], Manifest],
            changed: tuple[Path, ...]) -> WatchEvent:
    """One rebuild after ``changed``: what it rewrote and warned about, or why it failed."""
    started = time.perf_counter()
    output_dir = request.output_dir.resolve()
    before = _snapshot(output_dir)
    try:
        manifest = reload_manifest()
        report: BuildReport = build(BuildRequest(manifest, request.output_dir, request.formats,
                                                 request.strict, request.validate,
                                                 request.jobs))
    except HandbookError as error:
        return WatchEvent(changed, (), time.perf_counter() - started, error.format_message())
    after = _snapshot(output_dir)
    rewritten = tuple(sorted(n for n, stamp in after.items() if before.get(n) != stamp))
    return WatchEvent(changed, rewritten, time.perf_counter() - started,
                      warnings=tuple(d.compiler_style() for d in report.warnings))


def _snapshot(output_dir: Path) -> dict[str, tuple[int, int]]:
    if not output_dir.is_dir():
        return {}
    return {p.name: (p.stat().st_mtime_ns, p.stat().st_size)
            for p in output_dir.iterdir() if p.is_file()}


def describe(event: WatchEvent, quiet: bool = False) -> str:
    from handbook_build.display import shown

    names = ", ".join(shown(p) for p in event.changed[:5])
    if len(event.changed) > 5:
        names += f" and {len(event.changed) - 5} more"
    if event.error:
        return (f"changed {names}: build failed in {event.seconds:.1f} s\n{event.error}\n"
                "fix it and save: the watcher rebuilds")
    rewritten = ", ".join(event.rewritten) or "nothing (outputs identical)"
    lines = [] if quiet else list(event.warnings)
    count = len(event.warnings)
    lines.append(f"changed {names}: rewrote {rewritten} in {event.seconds:.1f} s, "
                 f"{count} warning{'' if count == 1 else 's'}")
    return "\n".join(lines)
