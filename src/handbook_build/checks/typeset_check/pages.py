"""Pages: stray blanks, a page holding only a placeholder or a stranded heading, chapters opening
on versos in an edition that opens them on rectos."""

from __future__ import annotations

from collections.abc import Sequence

from handbook_build.checks.pdf_images import PlacedImage
from handbook_build.checks.pdf_layout import Line, PageText, PdfText, is_margin_line
from handbook_build.checks.typeset_check.findings import THRESHOLDS, Findings, quoted_tail

_PLACEHOLDER = "Image not available"


def _content_lines(page: PageText) -> list[Line]:
    return [line for line in page.lines if not is_margin_line(line, page)]


def check_pages(text: PdfText, images: Sequence[PlacedImage], findings: Findings) -> None:
    with_images = {image.page_index for image in images}
    heading_height = text.body_height * THRESHOLDS["heading_scale"]
    openings = [page for page in text.pages if _opens_chapter(page, heading_height)]
    rectos = sum(1 for page in openings if page.number % 2)
    opens_rectos = (len(openings) >= 3
                    and rectos / len(openings) >= THRESHOLDS["recto_share"])
    asks_rectos = text.mirrored and opens_rectos
    # The blank that break-before: right (or left) leaves before an opening belongs in a book
    # layout. Mirrored margins show one, but a short book cannot show them (its versos are
    # blank, so they have no text block) and the reading PDF opens chapters on rectos with even
    # margins: openings that fall on rectos are the same evidence, for the blanks before them.
    opening_numbers = ({page.number for page in openings} if text.mirrored
                       else {page.number for page in openings if page.number % 2}
                       if opens_rectos else set())
    last = len(text.pages)
    while last > 0 and not _content_lines(text.pages[last - 1]) \
            and last - 1 not in with_images:
        last -= 1  # the blank pages padding the end of the book (a sheet has two sides)
    for page in text.pages:
        content = _content_lines(page)
        if not content and page.index not in with_images:
            expected = (page.number > last or page.number <= 4
                        or page.number + 1 in opening_numbers)
            if not expected:
                findings.add(page.index, "warning", "page-blank",
                             "the page is blank where no blank belongs",
                             "a forced break or an empty block leaves it: check break-before "
                             "and the section before it")
            continue
        if page.index not in with_images and all(
                line.text.lstrip("[").startswith(_PLACEHOLDER) for line in content):
            findings.add(page.index, "warning", "page-placeholder-only",
                         f"the page holds only an image placeholder: {quoted_tail(content[0])}",
                         "supply the image or drop the reference; a placeholder should not "
                         "take a page of its own")
            continue
        if all(line.box.height >= heading_height for line in content) \
                and page.index not in with_images \
                and content[-1].box.top >= page.height * THRESHOLDS["stranded_heading_from"]:
            findings.add(page.index, "warning", "heading-stranded",
                         f"the page holds only a heading at its foot: {quoted_tail(content[-1])}",
                         "keep headings with what follows (break-after: avoid)")
        if asks_rectos and page in openings and page.number % 2 == 0:
            heading = _first_heading(page, heading_height)
            findings.add(page.index, "error", "chapter-on-verso",
                         f"a chapter opens on a verso: {quoted_tail(heading)}",
                         "the edition opens chapters on rectos: check break-before: right")


def _opens_chapter(page: PageText, heading_height: float) -> bool:
    """A chapter opening: its first text line is a large heading in the top third."""
    content = _content_lines(page)
    if not content:
        return False
    first = content[0]
    return (first.box.height >= heading_height * 1.25 and first.box.top < page.height / 3)


def _first_heading(page: PageText, heading_height: float) -> Line:
    return next(line for line in _content_lines(page) if line.box.height >= heading_height)
