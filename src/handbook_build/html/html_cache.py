"""A per-section cache of the pandoc stage, under ``<output>/.cache/html`` (safe to delete).

``htmlbook.to_html`` converts the whole manuscript in one pandoc run (about 1.5 s for the
handbook). The manuscript is a sequence of blocks, one per contents node (a part heading, or a
chapter heading and its body; see assemble.py), and its conversion is the sequence of the
blocks' conversions: every id is explicit and prefixed by its chapter, reference links are
inlined, and the footnote filter restarts its numbering at each level-1 heading. So each block's
HTML is cached under a hash of its Markdown (plus pandoc's version, the filter, the reader
options); a rebuild converts only the blocks that changed, in one pandoc run, and a clean build
converts the book in two runs side by side.

If the manuscript cannot be split into its blocks, or a batch's output does not split back into
one ``<section>`` per block with the expected id, ``convert`` returns ``None`` and the caller
converts the whole text as before: the cache can make a build faster, never different.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import lxml.html
from lxml.html import HtmlElement

from handbook_build import cache_entry
from handbook_build.html.assemble import chapter_heading, part_heading
from handbook_build.html.pandoc import markdown_to_html, pandoc_version
from handbook_build.model import Manuscript

__all__ = ["CACHE_SUBDIR", "CacheStats", "Convert", "convert", "section_sources"]

CACHE_SUBDIR = "html"
SUFFIX = ".html"
# Below this many Markdown characters a second pandoc process costs more than it saves.
PARALLEL_MIN_CHARS = 60_000
MAX_BATCH_CHARS = 250_000
PANDOC_PROCESSES = 2
# Keep at most this many times the entries the current book uses (older versions of chapters
# stay useful for an undo; the rest is pruned).
KEEP_FACTOR = 3


@dataclass(frozen=True, slots=True)
class CacheStats:
    sections: int
    hits: int
    converted: tuple[str, ...]  # slugs converted by pandoc in this call
    pandoc_runs: int


@dataclass(frozen=True, slots=True)
class Convert:
    html: str  # what one pandoc run over the whole manuscript would give, section by section
    stats: CacheStats


def section_sources(manuscript: Manuscript) -> list[tuple[str, str]] | None:
    """(slug, Markdown) of each contents node, as assemble.py wrote it; None if they do not
    join back into exactly the manuscript's text."""
    book = manuscript.book
    by_slug = {chapter.node.slug: chapter for chapter in book.chapters}
    pieces: list[tuple[str, str]] = []
    for node in book.manifest.nodes:
        if node.kind == "part":
            pieces.append((node.slug, part_heading(node)))
            continue
        chapter = by_slug.get(node.slug)
        if chapter is None:
            return None
        body = chapter.markdown.strip("\n")
        text = chapter_heading(node) + (f"\n\n{body}" if body.strip() else "")
        pieces.append((node.slug, text))
    if not pieces or "\n\n".join(text for _, text in pieces) + "\n" != manuscript.text:
        return None
    return pieces


def convert(manuscript: Manuscript, cache_dir: Path, jobs: int = PANDOC_PROCESSES
            ) -> Convert | None:
    """The manuscript's HTML from cached sections, converting only the missing ones."""
    pieces = section_sources(manuscript)
    if pieces is None:
        return None
    folder = cache_dir / CACHE_SUBDIR
    salt = _salt()
    keys = [_key(salt, text) for _, text in pieces]
    found: dict[int, str] = {}
    for index, key in enumerate(keys):
        path = folder / f"{key}{SUFFIX}"
        cached = _read(path)
        if cached is not None:
            found[index] = cached
            with contextlib.suppress(OSError):
                os.utime(path)  # recently used: kept by _prune
    missing = [index for index in range(len(pieces)) if index not in found]
    batches = _batches([(index, pieces[index]) for index in missing])
    if batches:
        # pandoc runs as a process: threads are enough to keep two of them busy.
        with ThreadPoolExecutor(max_workers=max(1, min(PANDOC_PROCESSES, jobs, len(batches)))
                                ) as pool:
            results = list(pool.map(_convert_batch, batches))
        for converted in results:
            if converted is None:
                return None
            for index, html in converted.items():
                found[index] = html
                _write(folder / f"{keys[index]}{SUFFIX}", html)
    _prune(folder, {f"{key}{SUFFIX}" for key in keys})
    stats = CacheStats(len(pieces), len(pieces) - len(missing),
                       tuple(pieces[index][0] for index in missing), len(batches))
    return Convert("\n".join(found[index] for index in range(len(pieces))) + "\n", stats)


def _salt() -> bytes:
    """Everything besides the Markdown that shapes pandoc's HTML."""
    package = resources.files("handbook_build")
    parts = [
        pandoc_version().encode(),
        (package / "data" / "footnotes.lua").read_bytes(),
        (package / "data" / "math.lua").read_bytes(),
        (package / "html" / "pandoc.py").read_bytes(),  # reader format and arguments
    ]
    return hashlib.sha256(b"\0".join(parts)).digest()


def _key(salt: bytes, text: str) -> str:
    return hashlib.sha256(salt + text.encode("utf-8")).hexdigest()


Batch = Sequence[tuple[int, tuple[str, str]]]


def _batches(missing: Batch) -> list[Batch]:
    """One pandoc run; two of about equal size when there is enough text for both cores; more
    (two at a time) for a long book, so that no pandoc process holds more than
    ``MAX_BATCH_CHARS`` of Markdown (pandoc needs about 0.7 KB of memory per character)."""
    if not missing:
        return []
    total = sum(len(text) for _, (_, text) in missing)
    if total < PARALLEL_MIN_CHARS or len(missing) < 2:
        return [missing]
    count = min(len(missing), max(2, math.ceil(total / MAX_BATCH_CHARS)))
    batches: list[Batch] = []
    current: list[tuple[int, tuple[str, str]]] = []
    running = 0
    for item in missing:
        current.append(item)
        running += len(item[1][1])
        if running >= total * (len(batches) + 1) / count and len(batches) < count - 1:
            batches.append(current)
            current = []
    if current:
        batches.append(current)
    return batches


def _convert_batch(batch: Batch) -> dict[int, str] | None:
    """Convert consecutive or scattered blocks in one run; None if the output does not split."""
    text = "\n\n".join(source for _, (_, source) in batch) + "\n"
    sections = _top_level_sections(markdown_to_html(text))
    if len(sections) != len(batch):
        return None
    converted: dict[int, str] = {}
    for (index, (slug, _)), element in zip(batch, sections, strict=True):
        if element.get("id") != slug:
            return None
        converted[index] = lxml.html.tostring(element, encoding="unicode", with_tail=False)
    return converted


def _top_level_sections(html: str) -> list[HtmlElement]:
    fragments = lxml.html.fragments_fromstring(html) if html.strip() else []
    return [f for f in fragments if isinstance(f, HtmlElement) and f.tag == "section"]


def _read(path: Path) -> str | None:
    """A cached section, or None when it is missing, torn or not the entry for its key
    (cache_entry checks the stored digest); None makes the caller convert it again."""
    data = cache_entry.read_entry(path)
    if data is None:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _write(path: Path, text: str) -> None:
    """Atomically, with its digest; a cache that cannot be written is only slower."""
    cache_entry.write_entry(path, text.encode("utf-8"))


def _prune(folder: Path, used: set[str]) -> None:
    """Drop the oldest unused entries once there are more than ``KEEP_FACTOR`` x the used."""
    try:
        entries = [p for p in folder.iterdir() if p.suffix == SUFFIX and p.name not in used]
    except OSError:
        return
    spare = KEEP_FACTOR * len(used) - len(used)
    if len(entries) <= spare:
        return
    entries.sort(key=lambda p: p.stat().st_mtime_ns)
    for path in entries[: len(entries) - spare]:
        with contextlib.suppress(OSError):
            path.unlink()
