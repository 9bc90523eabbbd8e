"""What the layout hands to the merge: ``BookLayout``, an edition's parts in page order (the
chunks, with the edition's blank verso where a chunk ends on a right-hand page), its folios,
warnings and the font files; ``merge`` joins them with ``pdf_merge`` into one PDF."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from handbook_build.render import pdf_merge
from handbook_build.render.paged.chunk_cache import GroupChunk
from handbook_build.render.pdf_merge import Blank, Chunk

__all__ = ["BookLayout", "ChunkStats", "book_parts"]


@dataclass(frozen=True, slots=True)
class ChunkStats:
    """What a layout took from the cache and what it laid out."""

    groups: int
    reused: int  # chunks taken from the cache
    laid_out: int  # groups laid out in this build
    runs: int  # WeasyPrint documents laid out for the body
    passes: int


@dataclass(frozen=True, slots=True)
class BookLayout:
    """The merged parts of an edition, before the merge (the print edition pads them)."""

    parts: tuple[Chunk | Blank, ...]
    page_count: int
    folios: dict[str, int]  # anchor -> page counter value
    warnings: tuple[str, ...]
    fetch_attempts: tuple[str, ...]
    fetch_refused: tuple[str, ...]
    stats: ChunkStats
    blank: GroupChunk | None = None
    programs: Callable[[str], bytes | None] | None = None  # font files for the merge

    def merge(self, *, links: bool = True, seed: bytes = b"") -> bytes:
        return pdf_merge.merge(self.parts, links=links, seed=seed,
                               font_programs=self.programs)


def book_parts(front: GroupChunk, body: Sequence[GroupChunk], blank: GroupChunk,
               recto: bool) -> list[Chunk | Blank]:
    """The front matter and the body's chunks in page order; in the book layout (``recto``),
    the edition's blank verso after each of them but the last that ends on a right-hand page."""
    parts: list[Chunk | Blank] = []
    blank_chunk = blank.part()
    sequence = [front, *body]
    for position, chunk in enumerate(sequence):
        parts.append(chunk.part())
        if position < len(sequence) - 1 and len(chunk.pages) % 2 and recto:
            parts.append(blank_chunk)
    return parts
