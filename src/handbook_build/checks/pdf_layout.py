"""The text layer of a built PDF as a designer reads it: pages -> lines -> words, with boxes.

poppler's ``pdftotext -bbox-layout`` does the hard part (grouping glyphs into words, lines and
blocks in reading order) in one fast subprocess for the whole file; this module only parses
its XHTML into frozen dataclasses and infers, per page side, where the text block is. Boxes are
in PDF points with the origin at the top left of the page (poppler's convention), so ``top <
bottom``. poppler-utils is a system dependency (scripts/system-deps.sh).
"""

from __future__ import annotations

import re
import shutil
import statistics
import subprocess
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from handbook_build.errors import MissingToolError

_XHTML = "{http://www.w3.org/1999/xhtml}"
_FOLIO = re.compile(r"^(?:\d{1,4}|[ivxlcdm]{1,7})$", re.IGNORECASE)
# A running head or folio sits in the top or bottom band of the page, outside the text block.
_MARGIN_BAND = 0.09


@dataclass(frozen=True, slots=True)
class Box:
    left: float
    top: float
    right: float
    bottom: float

    @property
    def height(self) -> float:
        return self.bottom - self.top

    @property
    def width(self) -> float:
        return self.right - self.left


@dataclass(frozen=True, slots=True)
class Word:
    text: str
    box: Box


@dataclass(frozen=True, slots=True)
class Line:
    words: tuple[Word, ...]
    box: Box
    block: int  # index of poppler's block on the page: lines of one paragraph share it

    @property
    def text(self) -> str:
        return " ".join(word.text for word in self.words)


@dataclass(frozen=True, slots=True)
class PageText:
    index: int  # 0-based physical page
    width: float
    height: float
    lines: tuple[Line, ...]

    @property
    def number(self) -> int:
        return self.index + 1


@dataclass(frozen=True, slots=True)
class TextBlock:
    """Where body text runs on one side of a spread (recto or verso), inferred from the text."""

    left: float
    right: float
    top: float
    bottom: float


@dataclass(frozen=True, slots=True)
class PdfText:
    pages: tuple[PageText, ...]
    body_height: float  # the typical height of a body line's words (about the font size)
    recto: TextBlock | None  # None: too little body text to tell
    verso: TextBlock | None

    def block_for(self, page: PageText) -> TextBlock | None:
        """Recto pages are the odd physical pages (page 1 is a recto)."""
        return self.recto if page.number % 2 else self.verso

    @property
    def mirrored(self) -> bool:
        """True when the text block moves with the page side (a book layout, not a screen one)."""
        if self.recto is None or self.verso is None:
            return False
        return abs(self.recto.left - self.verso.left) > 4.0


def read_pdf_text(pdf: Path) -> PdfText:
    """Run ``pdftotext -bbox-layout`` on ``pdf`` and parse it; raises MissingToolError."""
    tool = shutil.which("pdftotext")
    if tool is None:
        raise MissingToolError("pdftotext (poppler-utils) is not installed; "
                               "run scripts/system-deps.sh or apt-get install poppler-utils")
    completed = subprocess.run([tool, "-bbox-layout", "-enc", "UTF-8", str(pdf), "-"],
                               capture_output=True, check=False)
    if completed.returncode != 0:
        raise ValueError(completed.stderr.decode("utf-8", "replace").strip()
                         or f"pdftotext failed with exit status {completed.returncode}")
    pages = _parse(completed.stdout)
    body_height = _body_height(pages)
    recto, verso = (_infer_block([p for p in pages if p.number % 2 == side], body_height)
                    for side in (1, 0))
    return PdfText(pages, body_height, recto, verso)


def _parse(xhtml: bytes) -> tuple[PageText, ...]:
    parser = etree.XMLParser(huge_tree=True, recover=True)
    root = etree.fromstring(xhtml, parser)
    pages = []
    for index, page in enumerate(root.iter(f"{_XHTML}page")):
        lines = []
        for block_index, block in enumerate(page.iter(f"{_XHTML}block")):
            for line in block.iter(f"{_XHTML}line"):
                words = tuple(Word(word.text or "", _box(word))
                              for word in line.iter(f"{_XHTML}word"))
                if words:
                    lines.append(Line(words, _box(line), block_index))
        pages.append(PageText(index, float(page.get("width", 0)), float(page.get("height", 0)),
                              tuple(lines)))
    return tuple(pages)


def _box(element: etree._Element) -> Box:
    return Box(float(element.get("xMin", 0)), float(element.get("yMin", 0)),
               float(element.get("xMax", 0)), float(element.get("yMax", 0)))


def _body_height(pages: Sequence[PageText]) -> float:
    """The most common line height: body text outnumbers everything else in a book."""
    heights = Counter(round(line.box.height, 1) for page in pages for line in page.lines)
    return heights.most_common(1)[0][0] if heights else 0.0


def is_body_line(line: Line, body_height: float) -> bool:
    return body_height > 0 and abs(line.box.height - body_height) <= 0.12 * body_height


def is_margin_line(line: Line, page: PageText) -> bool:
    """A running head or folio: in the top or bottom band of the page."""
    band = _MARGIN_BAND * page.height
    return line.box.bottom < band or line.box.top > page.height - band


def folio_text(page: PageText) -> str | None:
    """The printed page number: a lone number or roman numeral in the page's top or bottom band."""
    for line in page.lines:
        if is_margin_line(line, page):
            for word in (line.words[0], line.words[-1]):
                if _FOLIO.match(word.text):
                    return word.text
    return None


def _infer_block(pages: Sequence[PageText], body_height: float) -> TextBlock | None:
    """The left edge body lines start at, the right edge full (justified) lines end at.

    Taken as the most common rounded edges over all pages of one side: headings, indents,
    centred lines and the odd overflowing line are outvoted by the body, so one bad page cannot
    move the block.
    """
    body = [line for page in pages for line in page.lines
            if is_body_line(line, body_height) and not is_margin_line(line, page)]
    if len(body) < 20:
        return None
    lefts = Counter(round(line.box.left) for line in body)
    left = float(lefts.most_common(1)[0][0])
    rights = Counter(round(line.box.right) for line in body if line.box.left <= left + 1)
    right = float(max(edge for edge, _ in rights.most_common(3)))
    tops = [line.box.top for line in body]
    bottoms = [line.box.bottom for line in body]
    # Quantiles rather than extremes: a stray line must not stretch the block.
    top = statistics.quantiles(tops, n=100)[0] if len(tops) > 1 else tops[0]
    bottom = statistics.quantiles(bottoms, n=100)[-1] if len(bottoms) > 1 else bottoms[0]
    return TextBlock(left, right, top, bottom)
