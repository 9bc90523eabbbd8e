"""The chunk cache: what a chunk is (``GroupChunk``), its key, and how it is kept under
``<output>/.cache/chunks/<edition>`` (read, written, pruned), with the whole font files the
chunks were cut from, the covers and proof sheets of the print edition, and the page map of
the last build (the first guess of the next one)."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from handbook_build import cache_entry
from handbook_build.render import pdf_merge
from handbook_build.render.paged.edition import Paged
from handbook_build.render.pdf_merge import Chunk, PageInfo

if TYPE_CHECKING:  # groups.py makes its keys with cache_key: imported here for the types only
    from handbook_build.render.paged.groups import Group

__all__ = ["CHUNK_DIR", "ChunkCache", "GroupChunk", "cache_key", "chunk_key"]

CHUNK_DIR = "chunks"


@dataclass(frozen=True, slots=True)
class GroupChunk:
    """A group's chunk: the PDF, its pages' links/anchors/bookmarks, what shaped it."""

    data: bytes
    pages: tuple[PageInfo, ...]
    start: int
    values: tuple[tuple[str, str], ...]  # the page numbers it prints from other groups
    warnings: tuple[str, ...] = ()
    fonts: tuple[pdf_merge.FontRef, ...] = ()  # fonts the merge may join with other chunks'

    def part(self) -> Chunk:
        return Chunk(self.data, self.pages, self.fonts)

    @property
    def anchors(self) -> Iterator[tuple[str, int]]:
        """(anchor, page offset in the chunk)."""
        for offset, info in enumerate(self.pages):
            for name, _, _ in info.anchors:
                yield name, offset


class ChunkCache:
    """``<output>/.cache/chunks/<edition>``: <key>.pdf + <key>.json, and what a group's content
    is known to need (pages, anchors) under info-<content key>.json. Every file is a
    ``cache_entry`` (atomic, its digest checked on read): a torn or foreign one reads as missing
    and is laid out and written again; the .json also holds the digest of its .pdf, so a pair
    from two different writes is refused too."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self.used: set[str] = set()

    @classmethod
    def for_edition(cls, cache_dir: Path | None, edition: str) -> ChunkCache:
        return cls(cache_dir / CHUNK_DIR / edition if cache_dir is not None else None)

    def _json(self, name: str) -> Any:
        """The JSON of entry ``name``, or None when it is missing or damaged."""
        if self.folder is None:
            return None
        data = cache_entry.read_entry(self.folder / name)
        if data is None:
            return None
        try:
            return json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return None

    def load(self, key: str) -> GroupChunk | None:
        if self.folder is None:
            return None
        meta = self._json(f"{key}.json")
        data = cache_entry.read_entry(self.folder / f"{key}.pdf")
        if meta is None or data is None:
            return None
        try:
            if hashlib.sha256(data).hexdigest() != meta["sha256"]:
                return None
            chunk = GroupChunk(
                data, tuple(pdf_merge.page_info_from_json(p) for p in meta["pages"]),
                int(meta["start"]), tuple((str(k), str(v)) for k, v in meta["values"]),
                tuple(str(w) for w in meta.get("warnings", ())),
                tuple((str(k), str(h), int(i)) for k, h, i in meta.get("fonts", ())),
            )
        except (ValueError, KeyError, TypeError, AttributeError):
            return None
        self._use(f"{key}.json", f"{key}.pdf")
        return chunk

    def store(self, key: str, chunk: GroupChunk, content_key: str | None = None) -> None:
        if self.folder is None:
            return
        meta = {
            "sha256": hashlib.sha256(chunk.data).hexdigest(),
            "pages": [pdf_merge.page_info_to_json(info) for info in chunk.pages],
            "start": chunk.start, "values": [list(v) for v in chunk.values],
            "warnings": list(chunk.warnings), "fonts": [list(f) for f in chunk.fonts],
        }
        cache_entry.write_entry(self.folder / f"{key}.pdf", chunk.data)
        cache_entry.write_entry(self.folder / f"{key}.json", json.dumps(meta).encode())
        self._use(f"{key}.json", f"{key}.pdf")
        if content_key is not None:
            info = {"pages": len(chunk.pages), "anchors": list(chunk.anchors)}
            cache_entry.write_entry(self.folder / f"info-{content_key}.json",
                                    json.dumps(info).encode())
            self._use(f"info-{content_key}.json")

    def info(self, content_key: str) -> tuple[int, list[tuple[str, int]]] | None:
        """(page count, anchors with page offsets) of a group laid out before."""
        raw = self._json(f"info-{content_key}.json")
        if raw is None:
            return None
        try:
            result = int(raw["pages"]), [(str(a), int(o)) for a, o in raw["anchors"]]
        except (ValueError, KeyError, TypeError):
            return None
        self._use(f"info-{content_key}.json")
        return result

    def store_font(self, sha: str, program: bytes) -> None:
        """A whole font file the chunks were cut from (shared by the editions' caches); its
        name is its digest, checked on read."""
        if self.folder is not None:
            path = self.folder.parent / "fonts" / f"{sha}.font"
            if self.font(sha) is None:
                cache_entry.write_raw(path, program)
            with contextlib.suppress(OSError):
                os.utime(path)

    def font(self, sha: str) -> bytes | None:
        if self.folder is None:
            return None
        path = self.folder.parent / "fonts" / f"{sha}.font"
        try:
            program = path.read_bytes() if path.is_file() else b""
        except OSError:
            return None
        return program if hashlib.sha256(program).hexdigest() == sha else None

    def load_blob(self, key: str) -> bytes | None:
        """A cached byte string (a cover, a proof sheet)."""
        if self.folder is None:
            return None
        data = cache_entry.read_entry(self.folder / f"{key}.bin")
        if data is not None:
            self._use(f"{key}.bin")
        return data

    def store_blob(self, key: str, data: bytes) -> None:
        if self.folder is not None:
            cache_entry.write_entry(self.folder / f"{key}.bin", data)
            self._use(f"{key}.bin")

    def load_map(self) -> dict[str, int]:
        raw = self._json("pagemap.json")
        try:
            return {str(k): int(v) for k, v in raw.items()} if raw is not None else {}
        except (ValueError, AttributeError, TypeError):
            return {}

    def store_map(self, folios: Mapping[str, int]) -> None:
        if self.folder is not None:
            cache_entry.write_entry(self.folder / "pagemap.json",
                                    json.dumps(dict(folios)).encode())
            self._use("pagemap.json")

    def _use(self, *names: str) -> None:
        self.used.update(names)
        if self.folder is not None:
            for name in names:
                with contextlib.suppress(OSError):
                    os.utime(self.folder / name)

    def prune(self, keep_factor: int = 3) -> None:
        """Drop the least recently used files beyond ``keep_factor`` x what this build used."""
        if self.folder is None:
            return
        try:
            spare = [p for p in self.folder.iterdir() if p.name not in self.used]
        except OSError:
            return
        allowed = (keep_factor - 1) * max(len(self.used), 1)
        if len(spare) <= allowed:
            return
        spare.sort(key=_mtime)
        for path in spare[: len(spare) - allowed]:
            with contextlib.suppress(OSError):
                path.unlink()


def _mtime(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except OSError:  # removed meanwhile (another build pruning the same folder)
        return 0


def cache_key(*parts: str) -> str:
    """The hash of ``parts``, each ended by a NUL: the name of every cache entry."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode("utf-8"))
        digest.update(b"\0")
    return digest.hexdigest()


def chunk_key(paged: Paged, group: Group, start: int, values: Iterable[tuple[str, str]]) -> str:
    return cache_key(group.content_key, str(start), *(f"{k}={v}" for k, v in sorted(values)))
