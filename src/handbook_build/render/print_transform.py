"""Per-section HTML transform for the print edition: HtmlSection -> HTML with paper in mind.

Paper cannot click, so:
- an external link gets a lettered URL note at the foot of the page (a, b, c... per chapter, so
  the numbered footnotes of the text keep their numbers); inside a footnote, where notes cannot
  nest, the URL follows the link in parentheses; a link whose text is its URL needs nothing;
- an internal link gets the class ``xref``: print.css adds "see p. N" with ``target-counter``;
- a chapter is followed by its notes pages (``notes_plan``: the manifest's count, one more where
  a blank verso would fall), each headed by its prompts;
- an image converted for the paper (``print_images``: a grey copy) is drawn from its copy's
  own URL. Its size is the layout's, as in the reading edition (``print_pdf.generated_css``
  sets ``image-resolution``): a small picture is not shrunk to reach 300 ppi; the preflight
  reports the resolution and the file to replace.
Page breaks and blank pages are the stylesheet's business; this only adds elements.
"""

from __future__ import annotations

import html
import string
from collections.abc import Callable, Mapping, Sequence

import lxml.html
from lxml.html import HtmlElement

from handbook_build.html.typography import url_break_html
from handbook_build.model import HtmlSection
from handbook_build.render.notes_plan import NotesPlan, end_anchor

SectionTransform = Callable[[HtmlSection], str]
ImageUrls = Mapping[str, str]  # img src -> the URL the print edition draws instead
EXTERNAL_SCHEMES = ("http://", "https://", "mailto:", "ftp://")


def make_print_transform(
    notes: NotesPlan, image_urls: ImageUrls | None = None
) -> SectionTransform:
    """The transform ``document.PagedEdition`` applies to each section of the print edition."""
    urls = image_urls or {}

    def transform(section: HtmlSection) -> str:
        rewritten = rewrite_for_paper(section.html, urls)
        slug = section.node.slug
        pages = notes.pages_for(slug)
        if pages:
            return rewritten + "\n" + notes_pages_html(section.node.title, pages, slug)
        # An empty marker on the section's last page: notes_plan.blank_owners reads its page.
        return rewritten + f'\n<div class="section-end" id="{html.escape(end_anchor(slug))}"></div>'

    return transform


def rewrite_for_paper(section_html: str, image_urls: ImageUrls | None = None) -> str:
    """URL notes after external links, ``xref`` on internal ones, converted images' URLs."""
    root = lxml.html.fragment_fromstring(section_html, create_parent="div")
    for image in root.iter("img"):
        printed = (image_urls or {}).get(image.get("src") or "")
        if printed:
            image.set("src", printed)
    letters = _Letters()
    for link in list(root.iter("a")):
        href = (link.get("href") or "").strip()
        if _only_wraps_images(link):
            # A picture that links somewhere: paper cannot follow it, and a "see p. N" or a URL
            # note after a picture the width of the text block has no line to sit on.
            continue
        if href.startswith("#"):
            _add_class(link, "xref")
        elif href.lower().startswith(EXTERNAL_SCHEMES) and not _next_link_same_url(link, href):
            # A run of adjacent links to one address (a word linked letter by letter, "memos")
            # gets one note, after its last link.
            _add_url_note(link, href, letters)
    return "".join(_serialize(child) for child in root) if len(root) else (root.text or "")


def _only_wraps_images(link: HtmlElement) -> bool:
    """A link around a picture, or around the placeholder of a picture the build lacks."""
    if link.find(".//img") is not None and not link.text_content().strip():
        return True
    placeholders = link.find_class("image-placeholder")
    if not placeholders:
        return False
    text = link.text_content()
    for placeholder in placeholders:
        text = text.replace(placeholder.text_content(), "", 1)
    return not text.strip()


def _next_link_same_url(link: HtmlElement, href: str) -> bool:
    """The link is followed, with nothing but spaces between, by a link to the same address."""
    if (link.tail or "").strip():
        return False
    following = link.getnext()
    return (following is not None and following.tag == "a"
            and (following.get("href") or "").strip() == href)


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


def notes_pages_html(chapter_title: str, pages: Sequence[tuple[str, ...]], slug: str) -> str:
    """One notes page per item of ``pages`` (its prompts) for the section titled
    ``chapter_title``; the last carries the section's end anchor (``notes_plan.end_anchor``)."""
    title = html.escape(chapter_title)
    out = []
    for index, prompts in enumerate(pages):
        prompt_list = ""
        if prompts:
            items = "".join(f"<li>{html.escape(prompt)}</li>" for prompt in prompts)
            prompt_list = f'<ul class="notes-prompts">{items}</ul>'
        last = index == len(pages) - 1
        anchor = f' id="{html.escape(end_anchor(slug))}"' if last else ""
        out.append(
            f'<section class="notes-page"{anchor} aria-label="Notes: {title}">'
            f'<p class="notes-heading">Notes <span class="notes-for">{title}</span></p>'
            f"{prompt_list}</section>"
        )
    return "\n".join(out)
