"""Line-breaking marks a stylesheet cannot express: which words must not be hyphenated, and where
a URL may break.

CSS can forbid hyphenation per element, not per word, and it has no rule for "break a URL after
a slash". So before any edition is laid out, each section gets:
- ``<span class="nh">`` around words a reader must see whole: names and acronyms (a capital
  letter anywhere but at the start of a sentence: "Twitter", "PlanetMath", "MOOC") and words
  with digits ("5PH1NX", "Web2.0"). The stylesheets set ``.nh { hyphens: manual }``.
- ``class="url"`` on a link whose text is a web or e-mail address, and a zero-width space after
  each ``/``, ``.``, ``-``, ``@`` (and the query characters) inside it, so the address breaks
  only there, never inside a word and never with an inserted hyphen, which would change it.
  The link's href is untouched; the text keeps the invisible break points in every edition
  (a reader who copies the text rather than the link gets them too: the price of URLs that
  break well in EPUB readers as in the PDFs).
Words shorter than the shortest word the stylesheets hyphenate are left alone: no span is
needed where no hyphen could go.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

import lxml.html
from lxml.html import HtmlElement

from handbook_build.html.emoji_text import text_presentation

# A break opportunity without a visible mark. Not ``<wbr>``: WeasyPrint draws it as an inline
# box that gives no break opportunity, and lxml's HTML parser (used by later stages) does not
# know it as a void element and nests the following text inside it.
ZERO_WIDTH_SPACE = "\u200b"

# The stylesheets' ``hyphenate-limit-chars`` first value: shorter words never hyphenate.
SHORTEST_HYPHENATED_WORD = 7

# Elements whose text is never prose: no spans inside them.
_NOT_PROSE = frozenset({"code", "pre", "kbd", "samp", "var", "script", "style", "h1", "h2",
                        "h3", "h4", "h5", "h6", "math", "svg", "wbr", "br"})
_INLINE = frozenset({"a", "abbr", "b", "cite", "dfn", "em", "i", "mark", "q", "s", "small",
                     "span", "strong", "sub", "sup", "u"})
_WORD = re.compile("[^\\W_](?:[\\w'\u2019.\\-]*[^\\W_])?")
_SENTENCE_END = re.compile("(?:^|[.!?:;\u2026]['\"\u2019\u201d)\\]]*)\\s*$")
_URL_TEXT = re.compile(
    r"^(?:[a-z][a-z0-9+.\-]*://|www\.|mailto:)\S+$|^[^\s@]+@[^\s@]+\.[a-z]{2,}$", re.IGNORECASE)
# Break after these; "://" and "//" count as one.
_URL_BREAK = re.compile(r"(?<=[/.\-@?&=#_~])(?![/])")


def mark_line_breaks(section: HtmlElement) -> None:
    """Add the no-hyphenation spans and the URL break points to one section, in place."""
    for link in list(section.iter("a")):
        _mark_url_link(link)
    for element in list(_prose_elements(section)):
        _wrap_whole_words(element)


def needs_whole_word(word: str, after: str) -> bool:
    """True for a word that must not be hyphenated; ``after`` is the text before it."""
    if len(word) < SHORTEST_HYPHENATED_WORD:
        return False
    if any(character.isdigit() for character in word):
        return True
    if any(character.isupper() for character in word[1:]):
        return True
    return word[0].isupper() and not _SENTENCE_END.search(after)


def _prose_elements(section: HtmlElement) -> Iterator[HtmlElement]:
    """Elements whose own text and whose children's tails are prose."""
    for element in section.iter():
        if not isinstance(element.tag, str):
            continue
        if any(_not_prose(ancestor) for ancestor in _self_and_ancestors(element, section)):
            continue
        yield element


def _not_prose(element: HtmlElement) -> bool:
    return element.tag in _NOT_PROSE or (
        element.tag == "a" and "url" in (element.get("class") or "").split())


def _self_and_ancestors(element: HtmlElement, stop: HtmlElement) -> Iterator[HtmlElement]:
    current: HtmlElement | None = element
    while current is not None:
        yield current
        if current is stop:
            return
        current = current.getparent()


def _wrap_whole_words(element: HtmlElement) -> None:
    """Wrap the element's own text and each child's tail, keeping the text's order."""
    if element.text:
        # Inline elements sit inside a sentence; a block's own text starts one.
        pieces = _split(element.text, "x" if element.tag in _INLINE else "")
        if pieces is not None:
            element.text = pieces[0]
            for offset, span in enumerate(pieces[1]):
                element.insert(offset, span)
    for child in list(element):
        if child.tail and child.getparent() is element:
            pieces = _split(child.tail, _text_before_tail(element, child))
            if pieces is not None:
                child.tail = pieces[0]
                index = element.index(child)
                for offset, span in enumerate(pieces[1], start=1):
                    element.insert(index + offset, span)


def _text_before_tail(element: HtmlElement, child: HtmlElement) -> str:
    """What a reader sees just before ``child``'s tail (decides whether a capital starts a
    sentence)."""
    if isinstance(child.tag, str):
        return "x" if _not_prose(child) else str(child.text_content())
    # A comment or processing instruction shows nothing (and has no text_content): the text
    # before it is what precedes the tail.
    previous = child.getprevious()
    if previous is None:
        return element.text or ("x" if element.tag in _INLINE else "")
    return previous.tail or _text_before_tail(element, previous)


def _split(text: str, preceding: str) -> tuple[str, list[HtmlElement]] | None:
    """(text before the first span, spans with their tails), or None when nothing is wrapped."""
    spans: list[HtmlElement] = []
    head = text
    cursor = 0
    for match in _WORD.finditer(text):
        before = (preceding + text[:match.start()]) if preceding else text[:match.start()]
        if not needs_whole_word(match.group(), before):
            continue
        span = lxml.html.Element("span")
        span.set("class", "nh")
        span.text = match.group()
        if spans:
            spans[-1].tail = text[cursor:match.start()]
        else:
            head = text[:match.start()]
        spans.append(span)
        cursor = match.end()
    if not spans:
        return None
    spans[-1].tail = text[cursor:]
    return head, spans


def _mark_url_link(link: HtmlElement) -> None:
    text = link.text_content().strip()
    if len(link) or not _URL_TEXT.match(text) or link.text is None:
        return
    classes = (link.get("class") or "").split()
    if "url" not in classes:
        link.set("class", " ".join([*classes, "url"]))
    link.text = ZERO_WIDTH_SPACE.join(part for part in _URL_BREAK.split(link.text) if part)


def url_break_html(address: str) -> str:
    """``address`` as escaped HTML with a zero-width space after each break character, for an
    address printed as text (the print edition's URL notes)."""
    parts = [part for part in _URL_BREAK.split(address) if part]
    return ZERO_WIDTH_SPACE.join(html.escape(part) for part in parts)


_WBR = re.compile(r"<wbr\s*/?>(?:</wbr>)?", re.IGNORECASE)


def paged_break_points(section_html: str) -> str:
    """The paged editions' form of a section's text.

    An author's ``<wbr>`` (raw HTML) becomes a zero-width space: WeasyPrint draws ``<wbr>`` as a
    separate inline box that gives no break opportunity (a URL then breaks inside a word through
    ``overflow-wrap``), while a zero-width space does. Browsers and EPUB readers keep ``<wbr>``,
    which copies and pastes as nothing. Emoji ask for text presentation (``emoji_text``), so a
    named outline face draws them instead of a colour font WeasyPrint cannot draw."""
    return text_presentation(_WBR.sub("\u200b", section_html))
