"""One process's WeasyPrint (``Renderer``, one per edition and process: ``renderer_for``): it
lays out a chunk document, writes chosen pages of it as a PDF without what the merge writes
for the whole book, and reads back what the merge needs: each page's links, anchors and
bookmarks in PDF user space (``page_info``) and the fonts it may join across chunks
(``font_refs``)."""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from handbook_build.errors import RenderError
from handbook_build.render import pdf_merge
from handbook_build.render.paged.chunk_cache import cache_key
from handbook_build.render.paged.edition import Paged
from handbook_build.render.pdf_merge import Bookmark, Link, PageInfo

__all__ = ["Renderer", "font_refs", "page_info", "renderer_for"]

PX_TO_PT = 0.75  # WeasyPrint: 72 PDF points per 96 CSS pixels


class Renderer:
    """One process's WeasyPrint: fetcher, image cache and warnings shared by its documents."""

    def __init__(self, paged: Paged) -> None:
        from handbook_build.render.pdf import load_weasyprint

        self.weasyprint = load_weasyprint()
        self.paged = paged
        self.fetcher = _fetcher(paged)
        self.cache: dict[str, Any] = {}
        self.programs: dict[str, bytes] = {}  # whole font files by sha256
        self.font_files: dict[tuple[str, int, int], str] = {}

    def layout(self, document_html: str) -> tuple[Any, tuple[str, ...]]:
        from handbook_build.render.pdf import CapturedWarnings

        with CapturedWarnings() as captured:
            try:
                html = self.weasyprint.HTML(string=document_html, base_url=self.paged.base_url,
                                            url_fetcher=self.fetcher)
                document = html.render(cache=self.cache)
                if self.paged.repair_notes:
                    document = self._repair_notes(html, document)
            except RenderError:
                raise
            except Exception as error:  # WeasyPrint raises anything from deep in layout
                raise RenderError(f"WeasyPrint failed: {type(error).__name__}: {error}"
                                  ) from error
        return document, captured.messages()

    def _repair_notes(self, html: Any, document: Any) -> Any:
        """pdf.py's repair of notes evicted from their call's page, on this document."""
        from handbook_build.render.pdf import NOTE_REPAIR_PASSES, push_closing_blocks

        for _ in range(NOTE_REPAIR_PASSES):
            pushed = push_closing_blocks(html, document)
            if not any(pushed):
                break
            document = html.render(cache=self.cache)
        return document

    def write(self, document: Any, pages: Sequence[Any]
              ) -> tuple[bytes, tuple[pdf_merge.FontRef, ...]]:
        """The pages as a PDF, and the fonts in it that the merge may join across chunks."""
        from handbook_build.render.pdf import CapturedWarnings

        options: dict[str, Any] = {}
        if self.paged.pdf_variant:
            options["pdf_variant"] = self.paged.pdf_variant
        if self.paged.tagged:
            options["pdf_tags"] = True
        if self.paged.document_seed is not None:
            from handbook_build.render.pod import fixed_document_id

            options["finisher"] = fixed_document_id(self.paged.document_seed)
        copied = document.copy([_bare(page) for page in pages])
        with CapturedWarnings():
            data: bytes = copied.write_pdf(**options)
        return bytes(data), tuple(self._font_refs(copied.fonts.values()))

    def _font_refs(self, fonts: Iterable[Any]) -> Iterator[pdf_merge.FontRef]:
        return font_refs(fonts, self.font_files, self.programs)


def font_refs(fonts: Iterable[Any], files: dict[tuple[str, int, int], str],
              programs: dict[str, bytes]) -> Iterator[pdf_merge.FontRef]:
    """The fonts of a written WeasyPrint document the merge may join with other chunks': plain
    outline fonts (no bitmap, colour, variation or missing glyph), by the file they come from.
    ``files`` and ``programs`` remember the files already read (by face, by sha256)."""
    from weasyprint.text.fonts import get_hb_object_data

    for font in fonts:
        if (getattr(font, "bitmap", True) or getattr(font, "missing", True)
                or getattr(font, "used_in_forms", True)
                or "fvar" in getattr(font, "tables", ("fvar",))
                or any(getattr(font, name, None) for name in ("png", "svg", "colr"))):
            continue
        memo = (str(font.hash), int(getattr(font, "index", 0)), id(font.hb_face))
        if memo not in files:
            program = get_hb_object_data(font.hb_face)
            if not program:
                continue
            sha = hashlib.sha256(program).hexdigest()
            programs[sha] = bytes(program)
            files[memo] = sha
        yield str(font.hash), files[memo], memo[1]


def _fetcher(paged: Paged) -> Any:
    roots = tuple(Path(root) for root in paged.roots)
    if paged.image_copies:
        from handbook_build.render.print_images import copies_fetcher

        return copies_fetcher(roots, paged.image_copies)
    from handbook_build.render.fetch import ConfinedFetcher

    return ConfinedFetcher(roots=list(roots))


def _bare(page: Any) -> Any:
    """The page without what the merge writes for the whole book."""
    stripped = copy.copy(page)
    stripped.links = []
    stripped.anchors = {}
    stripped.bookmarks = []
    return stripped


def page_info(page: Any) -> PageInfo:
    """A WeasyPrint page's links, anchors and bookmarks in PDF user space (as it writes them)."""
    height = page.height

    def point(x: float, y: float) -> tuple[float, float]:
        return PX_TO_PT * x, PX_TO_PT * (height - y)

    links = []
    for kind, target, rectangle, _ in page.links:
        if kind in ("internal", "external"):
            x1, y1 = point(rectangle[0], rectangle[1])
            x2, y2 = point(rectangle[2], rectangle[3])
            links.append(Link(kind, str(target), (x1, y1, x2, y2)))
    anchors = tuple((str(name), *point(x, y)) for name, (x, y, _, _) in page.anchors.items())
    bookmarks = tuple(Bookmark(int(level), str(label), *point(x, y), closed=state == "closed")
                      for level, label, (x, y), state in page.bookmarks)
    return PageInfo(tuple(links), anchors, bookmarks)


_RENDERERS: dict[str, Renderer] = {}


def renderer_for(paged: Paged) -> Renderer:
    """This process's renderer for ``paged``'s edition (made anew when the edition changes)."""
    key = cache_key(paged.salt, paged.edition, paged.head, paged.base_url, *paged.roots,
                    *(url + "\n" + path for url, path in paged.image_copies))
    if key not in _RENDERERS:
        _RENDERERS.clear()
        _RENDERERS[key] = Renderer(paged)
    return _RENDERERS[key]
