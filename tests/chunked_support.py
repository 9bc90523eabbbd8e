"""Helpers of the chunked-layout tests (test_chunked*.py): books, layouts, and the comparison
of a chunked PDF with the single-pass one."""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pypdf import PdfReader

from handbook_build.html.assemble import assemble
from handbook_build.html.htmlbook import to_html
from handbook_build.model import HtmlBook, HtmlSection
from handbook_build.render.paged.chunk_cache import ChunkCache
from handbook_build.render.paged.edition import Paged, paged_for
from handbook_build.render.paged.layout import layout_book
from handbook_build.render.paged.merge import BookLayout
from handbook_build.render.pdf import pdf_edition
from handbook_build.sources.chapters import read_book
from handbook_build.sources.manifest import load_manifest

PROJECT_DIR = Path(__file__).resolve().parent.parent
SAMPLE = PROJECT_DIR / "manuscript" / "book.toml"
HANDBOOK = PROJECT_DIR / "editions" / "peeragogy-v3" / "book.toml"


# --- helpers --------------------------------------------------------------------------------

def html_book_of(manifest_path: Path, out: Path, source: Path | None = None) -> HtmlBook:
    manifest = load_manifest(manifest_path, source)
    return to_html(assemble(read_book(manifest, out)))


def pdf_summary(data: bytes) -> dict[str, Any]:
    """What a reader sees and clicks, page by page."""
    reader = PdfReader(io.BytesIO(data))

    def outline(items: Sequence[Any], depth: int = 0) -> list[tuple[Any, ...]]:
        found: list[tuple[Any, ...]] = []
        for item in items:
            if isinstance(item, list):
                found.extend(outline(item, depth + 1))
            else:
                found.append((depth, item.title, reader.get_destination_page_number(item),
                              round(float(item.top or 0), 1)))
        return found

    links = []
    for number, page in enumerate(reader.pages):
        for annotation in page.get("/Annots") or []:
            annotation = annotation.get_object()
            rect = tuple(round(float(v), 1) for v in annotation["/Rect"])
            if "/Dest" in annotation:
                links.append((number, rect, "dest", str(annotation["/Dest"])))
            else:
                links.append((number, rect, "uri", str(annotation["/A"]["/URI"])))
    return {
        "pages": len(reader.pages),
        "texts": [page.extract_text() for page in reader.pages],
        "outline": outline(reader.outline),
        "dests": {name: (reader.get_destination_page_number(dest), round(float(dest.top or 0), 1))
                  for name, dest in reader.named_destinations.items()},
        "links": links,
        "info": {key: str(value) for key, value in (reader.metadata or {}).items()},
        "lang": str(reader.trailer["/Root"].get("/Lang")),
        "boxes": [(tuple(round(float(v), 2) for v in page.mediabox),
                   tuple(round(float(v), 2) for v in page.trimbox)) for page in reader.pages],
    }


def assert_same_book(single: bytes, chunks: bytes, pixels: bool = False) -> None:
    expected, actual = pdf_summary(single), pdf_summary(chunks)
    assert actual["pages"] == expected["pages"]
    for number, (want, got) in enumerate(zip(expected["texts"], actual["texts"], strict=True)):
        assert got == want, f"page {number + 1} differs"
    for key in ("outline", "dests", "links", "info", "lang", "boxes"):
        assert actual[key] == expected[key], key
    if pixels:
        assert differing_pixels(single, chunks) == []


def differing_pixels(first: bytes, second: bytes, scale: float = 1.0) -> list[int]:
    """Page numbers (1-based) whose rendering differs: fonts merged across chunks draw the
    same glyphs as the fonts of a single-pass file."""
    import pypdfium2 as pdfium

    one, two = pdfium.PdfDocument(first), pdfium.PdfDocument(second)
    try:
        return [number + 1 for number in range(len(one))
                if one[number].render(scale=scale).to_pil().tobytes()
                != two[number].render(scale=scale).to_pil().tobytes()]
    finally:
        one.close()
        two.close()


def reading_paged(html_book: HtmlBook, group_chars: int | None = None) -> Paged:
    paged = paged_for(html_book, pdf_edition(html_book.manifest), "pdf",
                      repair_notes=True)
    return dataclasses.replace(paged, group_chars=group_chars) if group_chars else paged


def layout(html_book: HtmlBook, cache_dir: Path | None, group_chars: int | None = None,
           jobs: int = 1) -> BookLayout:
    kinds = [section.node.kind for section in html_book.sections]
    paged = reading_paged(html_book, group_chars)
    return layout_book(paged, kinds, ChunkCache.for_edition(cache_dir, "pdf"), jobs)


def edited(html_book: HtmlBook, slug: str, extra_html: str) -> HtmlBook:
    """``html_book`` with ``extra_html`` at the end of section ``slug``."""
    sections = []
    for section in html_book.sections:
        if section.node.slug == slug:
            head, _, _ = section.html.rpartition("</section>")
            section = HtmlSection(section.node, f"{head}{extra_html}</section>",
                                  section.headings)
        sections.append(section)
    return dataclasses.replace(html_book, sections=tuple(sections))


def paragraph(words: int) -> str:
    return "<p>" + " ".join(f"word{n % 97}" for n in range(words)) + ".</p>"
