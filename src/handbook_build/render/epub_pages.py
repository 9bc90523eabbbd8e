"""EPUB page list from the print edition: print PDF pages -> pagebreak markers in the XHTML.

A reader of the EPUB can then go to "p. 112" that a classmate quotes from paper. Each page of
the print edition gets one ``<span epub:type="pagebreak" role="doc-pagebreak" aria-label="112"
id="page-112">`` where its text begins, and one entry in ``<nav epub:type="page-list">``.

Where a page begins is found by its text: the print PDF's text layer (pdfium) is matched, in
reading order, against the text of the EPUB's content documents, both reduced to letters and
digits (NFKC, casefolded), so hyphenation at line ends, ligatures, quotes and spacing do not
matter. A page's first text is the earliest of its lines' matches after the previous page's
(its running head and folio match nothing nearby, or something behind). Pages with no text of
the book (notes pages, blank versos, padding) get their marker where the next page begins.
Pages before the first chapter are the front matter: their markers go to the title page,
copyright page and contents of the EPUB, labelled i, ii, iii as no folio is printed there; the
body's folios start at 1 on the first chapter's page, as the print edition numbers them.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from lxml import etree

from handbook_build.render.epub_xhtml import EPUB_TYPE, xtag

PROBE_CHARS = 64  # letters and digits a line's probe holds: long enough never to match by chance
MIN_PROBE_CHARS = 4  # a page with less text than this (a folio alone) has nothing to match
SHORT_PAGE_CHARS = 24  # a page this short that is no title page is matched anywhere after all
SEARCH_WINDOW = 40_000  # how far past the previous page a page's text is looked for first
_FOLIO = re.compile(r"^\s*[0-9ivxlcdm]+\s*$", re.I)
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True, slots=True)
class PrintPage:
    label: str  # the folio printed on the page (i, ii, ... in the front matter)
    lines: tuple[str, ...]  # its text, line by line, as the PDF's text layer has it


@dataclass(frozen=True, slots=True)
class PageMark:
    label: str
    href: str  # the content document holding the marker
    marker_id: str


def normalized(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKC", text).casefold() if ch.isalnum())


def to_roman(number: int) -> str:
    result = ""
    for value, letters in ((1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"),
                           (90, "xc"), (50, "l"), (40, "xl"), (10, "x"), (9, "ix"), (5, "v"),
                           (4, "iv"), (1, "i")):
        while number >= value:
            result += letters
            number -= value
    return result


def pdf_page_lines(pdf: bytes) -> list[tuple[str, ...]]:
    """Each page's text lines (pdfium's text layer; empty lines dropped).

    pdfium, not pypdf: the same letters in the same order (lines may break elsewhere, after a
    note's superscript or at a hyphen, which the matching ignores), at about a fifteenth of the
    CPU: 0.7 s instead of 11 s for the handbook's 368 print pages, the same EPUB bytes."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(pdf)
    pages = []
    try:
        for index in range(len(document)):
            page = document[index]
            text_page = page.get_textpage()
            text = text_page.get_text_range()
            text_page.close()
            page.close()
            pages.append(tuple(line for line in _LINE_BREAK.split(text) if line.strip()))
    finally:
        document.close()
    return pages


@dataclass(slots=True)
class _Node:
    """One text node of a content document: an element's text or a child's tail."""

    document: int
    element: etree._Element
    is_tail: bool
    start: int  # its first character's index in the stream


class TextStream:
    """The letters and digits of the content documents, in reading order, with the way back
    from an index to (document, text node, character)."""

    def __init__(self, roots: Sequence[etree._Element]) -> None:
        self.roots = roots
        self.nodes: list[_Node] = []
        parts: list[str] = []
        length = 0
        for index, root in enumerate(roots):
            for element, is_tail, text in _text_nodes(root):
                chars = normalized(text)
                if chars:
                    self.nodes.append(_Node(index, element, is_tail, length))
                    parts.append(chars)
                    length += len(chars)
        self.text = "".join(parts)
        self.starts = [node.start for node in self.nodes]
        self.document_starts: dict[int, int] = {}  # stream index -> document (first node)
        for node in self.nodes:
            self.document_starts.setdefault(node.document, node.start)

    def find_title(self, probe: str, after: int) -> int:
        """A short page (a part's title page) matches only where a document starts with it."""
        return min((start for start in self.document_starts.values()
                    if start > after and self.text.startswith(probe, start)), default=-1)

    def find(self, probe: str, after: int) -> int:
        """The first index > ``after`` where ``probe`` starts, near first; -1 if nowhere."""
        return self.text.find(probe, after + 1, after + 1 + SEARCH_WINDOW + len(probe))

    def node_at(self, position: int) -> tuple[_Node, int]:
        """The node holding stream index ``position`` and its offset there (in stream chars)."""
        index = bisect.bisect_right(self.starts, position) - 1
        node = self.nodes[index]
        return node, position - node.start


def _text_nodes(root: etree._Element) -> list[tuple[etree._Element, bool, str]]:
    """(element, is_tail, text) in document order; the footnotes at the chapter's end are left
    out (the print edition sets them at the foot of each page, after the page's text)."""
    found: list[tuple[etree._Element, bool, str]] = []

    def walk(element: etree._Element) -> None:
        if element.get(EPUB_TYPE) == "footnote":
            return
        if element.text:
            found.append((element, False, element.text))
        for child in element:
            if isinstance(child.tag, str):
                walk(child)
            if child.tail:
                found.append((child, True, child.tail))

    walk(root)
    return found


def _probes(lines: Sequence[str]) -> list[str]:
    """For each line: the letters and digits from there on, ``PROBE_CHARS`` of them, so a probe
    spans two lines or more and cannot match a stray phrase (a running head, a title quoted in
    the text). Near the page's end a probe would be shorter: only the whole text of a short
    page (a part title) is used then. Folio lines are left out."""
    text = [normalized(line) for line in lines if not _FOLIO.match(line)]
    whole = "".join(text)
    if len(whole) < PROBE_CHARS:
        return [whole] if len(whole) >= MIN_PROBE_CHARS else []
    probes = []
    for index, chars in enumerate(text):
        probe = "".join(text[index:])[:PROBE_CHARS]
        if chars and len(probe) == PROBE_CHARS:
            probes.append(probe)
    return probes


def locate_pages(stream: TextStream, pages: Sequence[Sequence[str]]) -> list[int | None]:
    """Per print page, the stream index where its text begins (None: no text of the book)."""
    positions: list[int | None] = []
    cursor = -1
    for lines in pages:
        probes = _probes(lines)
        if len(probes) == 1 and len(probes[0]) < PROBE_CHARS:  # little text: a title page?
            found = [p for p in (stream.find_title(probes[0], cursor),) if p >= 0]
            if not found and len(probes[0]) >= SHORT_PAGE_CHARS:  # no: a chapter's last lines
                found = [p for p in (stream.find(probes[0], cursor),) if p >= 0]
        else:
            found = [p for p in (stream.find(probe, cursor) for probe in probes) if p >= 0]
        if found:
            cursor = min(found)
            positions.append(cursor)
        else:
            positions.append(None)
    return positions


def _marker(label: str, marker_id: str) -> etree._Element:
    span = etree.Element(xtag("span"))
    span.set(EPUB_TYPE, "pagebreak")
    span.set("role", "doc-pagebreak")
    span.set("id", marker_id)
    span.set("aria-label", label)
    return span


# Elements a page break may sit before rather than inside: at the start of a heading or a
# paragraph the marker goes in front of it, so the text after the marker is the whole block.
_BLOCKS = frozenset(xtag(name) for name in ("h1", "h2", "h3", "h4", "h5", "h6", "p", "section",
                                            "blockquote", "figure", "div", "aside", "ul", "ol",
                                            "pre", "table", "dl", "hr"))
_FLOW_PARENTS = frozenset(xtag(name) for name in ("section", "div", "blockquote", "aside",
                                                  "body", "figure", "li", "td", "th", "dd"))


def _raw_offset(text: str, alnum_offset: int) -> int:
    """The index in ``text`` of its ``alnum_offset``-th letter or digit (after NFKC)."""
    seen = 0
    for index, ch in enumerate(text):
        width = len(normalized(ch))
        if width and seen + width > alnum_offset:
            return index
        seen += width
    return len(text)


def insert_marker(node: _Node, offset: int, marker: etree._Element) -> None:
    """Put ``marker`` before the ``offset``-th letter of ``node``'s text."""
    element = node.element
    text = (element.tail if node.is_tail else element.text) or ""
    raw = _raw_offset(text, offset)
    if not node.is_tail and not text[:raw].strip():
        # At the very start of an element's text: in front of the block, when it is one.
        block = element
        while (block.tag not in _BLOCKS and block.getparent() is not None
               and block.getprevious() is None and not (block.getparent().text or "").strip()):
            block = block.getparent()
        parent = block.getparent()
        if block.tag in _BLOCKS and parent is not None and parent.tag in _FLOW_PARENTS:
            block.addprevious(marker)
            return
    if node.is_tail:
        element.tail = text[:raw]
        marker.tail = text[raw:]
        element.addnext(marker)
    else:
        element.text = text[:raw]
        marker.tail = text[raw:]
        element.insert(0, marker)


def _front_target(index: int, lines: Sequence[str], contents_heading: str) -> str:
    if index == 0:
        return "titlepage.xhtml"
    first = lines[0].strip() if lines else ""
    return "nav.xhtml" if first == contents_heading else "copyright.xhtml"


def place_page_breaks(roots: Sequence[etree._Element], hrefs: Sequence[str],
                      pages: Sequence[Sequence[str]], contents_heading: str = "Contents"
                      ) -> tuple[list[PageMark], dict[str, list[etree._Element]]]:
    """Markers for every print page: inserted into ``roots`` (content documents, in spine
    order, ``hrefs`` their files) where each page begins; returns the page list in print order
    and, per front-matter file, the markers to put at its top."""
    stream = TextStream(roots)
    positions = locate_pages(stream, pages)
    body = next((i for i, position in enumerate(positions) if position is not None), None)
    marks: list[PageMark] = []
    front: dict[str, list[etree._Element]] = {}
    placements: list[tuple[int, int, etree._Element]] = []  # (stream position, order, marker)
    for index, lines in enumerate(pages):
        if body is None or index < body:
            label = to_roman(index + 1)
            marker_id = f"page-{label}"
            target = _front_target(index, lines, contents_heading)
            front.setdefault(target, []).append(_marker(label, marker_id))
            marks.append(PageMark(label, target, marker_id))
            continue
        label = str(index - body + 1)
        marker_id = f"page-{label}"
        position = next((p for p in positions[index:] if p is not None), len(stream.text))
        placements.append((position, index, _marker(label, marker_id)))
        if position < len(stream.text):
            document = stream.node_at(position)[0].document
        else:
            document = len(roots) - 1
        marks.append(PageMark(label, hrefs[document], marker_id))
    by_position: dict[int, list[etree._Element]] = {}
    for position, _, marker in placements:  # in page order
        by_position.setdefault(position, []).append(marker)
    # From the end of the book: an insertion never moves text that is still to be found.
    for position in sorted(by_position, reverse=True):
        first, *rest = by_position[position]
        if position >= len(stream.text):
            roots[-1].append(first)
        else:
            node, offset = stream.node_at(position)
            insert_marker(node, offset, first)
        previous = first
        for marker in rest:  # same place: one after the other, in page order
            marker.tail, previous.tail = previous.tail, None
            previous.addnext(marker)
            previous = marker
    return marks, front


def page_list_nav(marks: Sequence[PageMark]) -> etree._Element:
    """``<nav epub:type="page-list">``: one link per print page, hidden (readers show it in
    their own "go to page" control)."""
    nav = etree.Element(xtag("nav"))
    nav.set(EPUB_TYPE, "page-list")
    nav.set("id", "page-list")
    nav.set("role", "doc-pagelist")
    nav.set("hidden", "hidden")
    nav.text = "\n"
    heading = etree.SubElement(nav, xtag("h2"))
    heading.text = "Pages"
    heading.tail = "\n"
    ordered = etree.SubElement(nav, xtag("ol"))
    ordered.text = "\n"
    for mark in marks:
        item = etree.SubElement(ordered, xtag("li"))
        link = etree.SubElement(item, xtag("a"))
        link.set("href", f"{mark.href}#{mark.marker_id}")
        link.text = mark.label
        item.tail = "\n"
    nav.tail = "\n"
    return nav
