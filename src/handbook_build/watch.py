"""``handbook-build watch``: rebuild on save through the same pipeline, and say what happened."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from handbook_build.errors import HandbookError
from handbook_build.model import Manifest
from handbook_build.pipeline import BuildReport, BuildRequest, build


@dataclass(frozen=True, slots=True)
class WatchEvent:
    changed: tuple[Path, ...]
    rewritten: tuple[str, ...]  # output file names whose bytes changed
    seconds: float
    error: str | None = None


def watched_folders(manifest: Manifest) -> tuple[Path, ...]:
    return tuple(sorted({*manifest.allowed_roots, *manifest.image_dirs, manifest.styles_dir}))


def watch(request: BuildRequest, reload_manifest: Callable[[], Manifest],
          stop_after: int | None = None) -> Iterator[WatchEvent]:
    """Yield one event per rebuild; ``stop_after`` bounds the loop (for tests)."""
    from watchfiles import watch as watch_files

    output_dir = request.output_dir.resolve()
    folders = watched_folders(request.manifest)
    events = watch_files(*folders, watch_filter=lambda _, path: _relevant(path, output_dir))
    for count, changes in enumerate(events, start=1):
        changed = tuple(sorted({Path(path) for _, path in changes}))
        started = time.perf_counter()
        before = _snapshot(output_dir)
        try:
            manifest = reload_manifest()
            build(BuildRequest(manifest, request.output_dir, request.formats, request.strict,
                               request.validate, request.jobs))
            after = _snapshot(output_dir)
            rewritten = tuple(sorted(n for n, stamp in after.items() if before.get(n) != stamp))
            yield WatchEvent(changed, rewritten, time.perf_counter() - started)
        except HandbookError as error:
            yield WatchEvent(changed, (), time.perf_counter() - started, error.format_message())
        if stop_after is not None and count >= stop_after:
            return


def _relevant(path: str, output_dir: Path) -> bool:
    resolved = Path(path).resolve()
    if resolved == output_dir or output_dir in resolved.parents:
        return False
    return not any(part.startswith(".") for part in resolved.parts[-2:])


def _snapshot(output_dir: Path) -> dict[str, tuple[int, int]]:
    if not output_dir.is_dir():
        return {}
    return {p.name: (p.stat().st_mtime_ns, p.stat().st_size)
            for p in output_dir.iterdir() if p.is_file()}


def describe(event: WatchEvent, report: BuildReport | None = None) -> str:
    names = ", ".join(p.name for p in event.changed[:5])
    if event.error:
        return f"changed {names}: build failed in {event.seconds:.1f} s\n{event.error}"
    rewritten = ", ".join(event.rewritten) or "nothing (outputs identical)"
    return f"changed {names}: rewrote {rewritten} in {event.seconds:.1f} s"
