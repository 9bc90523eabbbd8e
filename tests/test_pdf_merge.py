"""pdf_merge: chunks written apart become one PDF with working links, outline and metadata."""

from __future__ import annotations

import copy
import io
from typing import Any

import pytest
from pypdf import PdfReader

from handbook_build.render import pdf_merge
from handbook_build.render.paged.renderer import font_refs, page_info
from handbook_build.render.pdf_merge import Blank, Bookmark, Chunk, Link, PageInfo

weasyprint = pytest.importorskip("weasyprint")

STYLE = """<style>
@page { size: 4in 5in; margin: 0.5in }
h1 { bookmark-level: 1 } h2 { bookmark-level: 2 } h3 { bookmark-level: 3 }
.new { break-before: page }
</style>"""


def chunk(body: str, title: str = "") -> Chunk:
    """A WeasyPrint document written without links/anchors/bookmarks, plus their records."""
    head = f"<title>{title}</title>" if title else ""
    html = (f'<html lang="en"><head><meta charset="utf-8">{head}'
            f'<meta name="author" content="A. Author">{STYLE}</head><body>{body}</body></html>')
    document = weasyprint.HTML(string=html).render()
    infos = tuple(page_info(page) for page in document.pages)
    bare = []
    for page in document.pages:
        stripped = copy.copy(page)
        stripped.links, stripped.anchors, stripped.bookmarks = [], {}, []
        bare.append(stripped)
    return Chunk(document.copy(bare).write_pdf(), infos)


@pytest.fixture(scope="module")
def front() -> Chunk:
    return chunk('<h1 id="start">Start</h1><p><a href="#far">to far</a> '
                 '<a href="#nowhere">to nowhere</a> <a href="https://example.org/">out</a></p>',
                 title="Merged Book")


@pytest.fixture(scope="module")
def back() -> Chunk:
    return chunk('<h3 id="deep">Deep</h3><p>x</p><h2 class="new" id="far">Far</h2>'
                 '<p><a href="#start">back</a></p>')


def reader(data: bytes) -> PdfReader:
    return PdfReader(io.BytesIO(data))


def links(pdf: PdfReader) -> list[tuple[int, str, Any]]:
    found = []
    for number, page in enumerate(pdf.pages):
        for annotation in page.get("/Annots") or []:
            annotation = annotation.get_object()
            if "/Dest" in annotation:
                found.append((number, "dest", str(annotation["/Dest"])))
            else:
                found.append((number, "uri", str(annotation["/A"]["/URI"])))
    return found


def test_pages_blanks_and_boxes(front: Chunk, back: Chunk) -> None:
    pdf = reader(pdf_merge.merge([front, Blank(), back]))
    assert len(pdf.pages) == 1 + 1 + 2
    blank = pdf.pages[1]
    assert blank.mediabox == pdf.pages[0].mediabox
    assert blank.trimbox == pdf.pages[0].trimbox
    assert blank.extract_text() == ""
    assert "Deep" in pdf.pages[2].extract_text() and "Far" in pdf.pages[3].extract_text()


def test_links_across_chunks_resolve_and_missing_targets_are_dropped(front: Chunk,
                                                                     back: Chunk) -> None:
    pdf = reader(pdf_merge.merge([front, Blank(), back]))
    assert links(pdf) == [(0, "dest", "far"), (0, "uri", "https://example.org/"),
                          (3, "dest", "start")]
    dests = pdf.named_destinations
    assert pdf.get_destination_page_number(dests["far"]) == 3
    assert pdf.get_destination_page_number(dests["start"]) == 0
    assert "nowhere" not in dests


def test_no_links_on_paper_but_destinations_and_outline_stay(front: Chunk, back: Chunk) -> None:
    pdf = reader(pdf_merge.merge([front, back], links=False))
    assert links(pdf) == []
    assert set(pdf.named_destinations) >= {"start", "far", "deep"}
    assert pdf.outline


def test_outline_nests_across_chunks_like_weasyprint(front: Chunk, back: Chunk) -> None:
    merged = reader(pdf_merge.merge([front, Blank(), back]))
    # The same three headings in one WeasyPrint document, for the nesting it would write.
    whole = reader(weasyprint.HTML(string=(
        f'<html><head>{STYLE}</head><body><h1 id="start">Start</h1>'
        '<h3 class="new" id="deep">Deep</h3><h2 class="new" id="far">Far</h2></body></html>'
    )).render().write_pdf())

    def shape(pdf: PdfReader, items: list[Any], depth: int = 0) -> list[tuple[int, str]]:
        out: list[tuple[int, str]] = []
        for item in items:
            if isinstance(item, list):
                out += shape(pdf, item, depth + 1)
            else:
                out.append((depth, item.title))
        return out

    assert shape(merged, merged.outline) == shape(whole, whole.outline) == [
        (0, "Start"), (1, "Deep"), (1, "Far")]
    start = merged.outline[0]
    assert merged.get_destination_page_number(start) == 0
    assert merged.get_destination_page_number(merged.outline[1][1]) == 3


def test_outline_tree_rule() -> None:
    def page(*levels: int) -> PageInfo:
        return PageInfo(bookmarks=tuple(Bookmark(level, f"l{level}", 0, 0) for level in levels))

    tree = pdf_merge.outline_tree([page(1, 3), page(2), page(1)])
    assert [(b.label, [(c.label, len(g)) for c, _, g in children]) for b, _, children in tree] == [
        ("l1", [("l3", 0), ("l2", 0)]), ("l1", [])]


def test_metadata_from_the_chosen_chunk(front: Chunk, back: Chunk) -> None:
    pdf = reader(pdf_merge.merge([front, back]))
    assert pdf.metadata is not None
    assert pdf.metadata.title == "Merged Book"
    assert pdf.metadata.author == "A. Author"
    assert "WeasyPrint" in str(pdf.metadata.producer)
    assert str(pdf.trailer["/Root"]["/Lang"]) == "en"
    untitled = reader(pdf_merge.merge([front, back], document_from=1))
    assert untitled.metadata is not None and untitled.metadata.title is None


def test_same_chunks_same_bytes_and_a_fixed_id(front: Chunk, back: Chunk) -> None:
    first = pdf_merge.merge([front, Blank(), back], seed=b"book")
    assert pdf_merge.merge([front, Blank(), back], seed=b"book") == first
    other = pdf_merge.merge([front, Blank(), back], seed=b"other")
    assert other != first
    ids = reader(first).trailer["/ID"]
    # pypdf 7 reads 16 bytes that happen to decode as text as a TextStringObject: its bytes
    # are .original_bytes (a ByteStringObject is bytes already).
    assert ids[0] == ids[1] and len(getattr(ids[0], "original_bytes", ids[0])) == 16


def test_records_must_match_the_pages(front: Chunk) -> None:
    with pytest.raises(ValueError, match="page records"):
        pdf_merge.merge([Chunk(front.data, ())])
    with pytest.raises(ValueError, match="before it"):
        pdf_merge.merge([Blank(), front])


def test_page_records_round_trip_through_json() -> None:
    info = PageInfo(
        links=(Link("internal", "a", (1.0, 2.0, 3.5, 4.0)),
               Link("external", "https://x.org/ü", (0, 0, 1, 1))),
        anchors=(("a", 10.0, 20.5),),
        bookmarks=(Bookmark(2, "Title \u2013 \u00fc", 1.0, 2.0, closed=True),),
    )
    assert pdf_merge.page_info_from_json(pdf_merge.page_info_to_json(info)) == info


def test_fonts_cut_per_chunk_become_one_font_again() -> None:
    html = (f'<html><head><meta charset="utf-8">{STYLE}</head><body>'
            '<p>Alpha beta gamma.</p><p class="new"><em>Delta</em> epsilon zeta!</p>'
            '<p class="new">Eta theta, <strong>iota</strong>.</p></body></html>')
    document = weasyprint.HTML(string=html).render()
    files: dict[tuple[str, int, int], str] = {}
    programs: dict[str, bytes] = {}
    chunks = []
    for page in document.pages:
        copied = document.copy([page])
        data = copied.write_pdf()
        chunks.append(Chunk(data, (page_info(page),),
                            tuple(font_refs(copied.fonts.values(), files, programs))))
    assert all(c.fonts for c in chunks)
    separate = reader(pdf_merge.merge(chunks))
    merged_bytes = pdf_merge.merge(chunks, font_programs=programs.get)
    merged = reader(merged_bytes)

    def font_objects(pdf: PdfReader) -> set[int]:
        found = set()
        for page in pdf.pages:
            for ref in page["/Resources"]["/Font"].values():
                found.add(ref.idnum)
        return found

    assert len(font_objects(merged)) < len(font_objects(separate))
    assert len(merged_bytes) < len(pdf_merge.merge(chunks))
    whole = reader(document.write_pdf())
    for page, expected in zip(merged.pages, whole.pages, strict=True):
        assert page.extract_text() == expected.extract_text()
    import pypdfium2 as pdfium

    def pixels(data: bytes) -> list[bytes]:
        pdf = pdfium.PdfDocument(data)
        try:
            return [pdf[i].render(scale=1).to_pil().tobytes() for i in range(len(pdf))]
        finally:
            pdf.close()

    assert pixels(merged_bytes) == pixels(document.write_pdf())
    # Without the font files the chunks keep their own subsets.
    assert pdf_merge.merge(chunks, font_programs=lambda sha: None) == pdf_merge.merge(chunks)
