"""Per-section HTML transform for the print edition: HtmlSection -> HTML with paper in mind.

Paper cannot click, so:
- an external link gets a lettered URL note at the foot of the page (a, b, c... per chapter, so
  the numbered footnotes of the text keep their numbers); inside a footnote, where notes cannot
  nest, the URL follows the link in parentheses; a link whose text is its URL needs nothing;
- an internal link gets the class ``xref``: print.css adds "see p. N" with ``target-counter``;
- a chapter is followed by ``notes_pages`` notes pages, the first headed by the prompts;
- a raster image without a size of its own prints no larger than its pixels allow at the
  services' 300 ppi (a 600-pixel-wide picture: 2 in), so screen images are not blown up into
  blur; a size set in the source stays, and the preflight reports what it costs.
Page breaks and blank pages are the stylesheet's business; this only adds elements.
"""

from __future__ import annotations

import html
import string
from collections.abc import Callable, Mapping

import lxml.html
from lxml.html import HtmlElement

from handbook_build.model import HtmlSection
from handbook_build.typography import url_break_html

SectionTransform = Callable[[HtmlSection], str]
ImageSizes = Mapping[str, tuple[int, int]]  # img src -> pixel width and height
EXTERNAL_SCHEMES = ("http://", "https://", "mailto:", "ftp://")
PRINT_PPI = 300


def make_print_transform(
    notes_pages: int, prompts: tuple[str, ...], image_sizes: ImageSizes | None = None
) -> SectionTransform:
    """The transform ``document.PagedEdition`` applies to each section of the print edition."""
    sizes = image_sizes or {}

    def transform(section: HtmlSection) -> str:
        rewritten = rewrite_for_paper(section.html, sizes)
        if section.node.kind != "chapter" or notes_pages <= 0:
            return rewritten
        return rewritten + "\n" + notes_pages_html(section.node.title, notes_pages, prompts)

    return transform


def rewrite_for_paper(section_html: str, image_sizes: ImageSizes | None = None) -> str:
    """URL notes after external links, ``xref`` on internal ones, print sizes on images."""
    root = lxml.html.fragment_fromstring(section_html, create_parent="div")
    for image in root.iter("img"):
        _size_image(image, image_sizes or {})
    letters = _Letters()
    for link in list(root.iter("a")):
        href = (link.get("href") or "").strip()
        if href.startswith("#"):
            _add_class(link, "xref")
        elif href.lower().startswith(EXTERNAL_SCHEMES):
            _add_url_note(link, href, letters)
    return "".join(_serialize(child) for child in root) if len(root) else (root.text or "")


def _size_image(image: HtmlElement, image_sizes: ImageSizes) -> None:
    pixels = image_sizes.get(image.get("src") or "")
    style = image.get("style") or ""
    if pixels is None or image.get("width") or image.get("height") or "width" in style:
        return
    width_in = pixels[0] / PRINT_PPI
    # max-width: 100% (base.css) still keeps a large picture inside the text block.
    image.set("style", f"width: {width_in:.3f}in; {style}".strip().rstrip(";") + ";")


def display_url(href: str) -> str:
    """The URL as printed: no scheme, no trailing slash (readers type the rest)."""
    shown = href
    for prefix in ("https://", "http://", "mailto:"):
        if shown.lower().startswith(prefix):
            shown = shown[len(prefix):]
            break
    return shown.rstrip("/") or href


def _add_url_note(link: HtmlElement, href: str, letters: _Letters) -> None:
    shown = display_url(href)
    text = " ".join(link.text_content().split())
    if display_url(text) == shown or text == href:
        return  # the link prints its own address
    if _inside_footnote(link):
        note = lxml.html.fromstring(f'<span class="url-inline"> ({url_break_html(shown)})</span>')
    else:
        letter = letters.next()
        note = lxml.html.fromstring(
            f'<span class="url-note" data-u="{letter}">{url_break_html(shown)}</span>'
        )
    # The note goes right after the link, before the text that followed it.
    note.tail = link.tail
    link.tail = None
    link.addnext(note)


def _inside_footnote(element: HtmlElement) -> bool:
    return any("footnote" in (a.get("class") or "").split() for a in element.iterancestors())


def _add_class(element: HtmlElement, name: str) -> None:
    classes = (element.get("class") or "").split()
    if name not in classes:
        element.set("class", " ".join([*classes, name]))


def _serialize(element: HtmlElement) -> str:
    text: str = lxml.html.tostring(element, encoding="unicode", with_tail=True)
    return text


class _Letters:
    """a, b, ..., z, aa, ab, ...: the URL notes of one section."""

    def __init__(self) -> None:
        self.count = 0

    def next(self) -> str:
        self.count += 1
        number, label = self.count, ""
        while number:
            number, remainder = divmod(number - 1, 26)
            label = string.ascii_lowercase[remainder] + label
        return label


def notes_pages_html(chapter_title: str, count: int, prompts: tuple[str, ...]) -> str:
    """``count`` notes pages for the chapter titled ``chapter_title``; prompts on the first."""
    title = html.escape(chapter_title)
    pages = []
    for index in range(count):
        prompt_list = ""
        if index == 0 and prompts:
            items = "".join(f"<li>{html.escape(prompt)}</li>" for prompt in prompts)
            prompt_list = f'<ul class="notes-prompts">{items}</ul>'
        pages.append(
            f'<section class="notes-page" aria-label="Notes: {title}">'
            f'<p class="notes-heading">Notes <span class="notes-for">{title}</span></p>'
            f"{prompt_list}</section>"
        )
    return "\n".join(pages)
