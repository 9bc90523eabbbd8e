"""Signature and dateline blocks: the closing "— Name" or "Name / Place / Date" of a foreword,
marked ``class="signature"`` so every edition sets it flush right (base.css).

The rule, on the last paragraph of a chapter (in document order, outside notes, lists, quotes
and tables), which must follow another paragraph:

- one to three lines (hard line breaks) of at most ``LINE_CHARS`` characters, the first starting
  with a dash (``— Howard Rheingold, Marin County``); or
- two or three lines of at most ``SHORT_CHARS`` characters, none ending a sentence (``.``, ``!``,
  ``?``, ``:``, ``;``), and no link: a name, a place, a date; or
- one line that is a name: two to four words, each capitalized (initials and ``de``, ``van``,
  ``von`` allowed), at most ``SHORT_CHARS`` characters.

An author can say it outright with a fenced div: ``::: signature`` ... ``:::``.
"""

from __future__ import annotations

import re

from lxml.html import HtmlElement

__all__ = ["is_signature_text", "mark_signatures"]

LINE_CHARS = 80
SHORT_CHARS = 40
_DASHES = ("\u2014", "\u2015", "\u2013 ", "-- ")
_SENTENCE_END = (".", "!", "?", ":", ";")
_PARTICLES = frozenset({"de", "van", "von", "der", "da", "di", "du", "la", "le"})
_NAME_WORD = re.compile(r"^(?:[A-Z][\w'\u2019-]*\.?|[A-Z]\.)$")
_OUTSIDE = frozenset({"li", "blockquote", "table", "aside", "figure", "nav", "dd", "dt"})


def is_signature_text(lines: list[str], has_link: bool = False) -> bool:
    """Whether a paragraph of these lines (stripped, non-empty) reads as a signature."""
    if not 1 <= len(lines) <= 3 or any(len(line) > LINE_CHARS for line in lines):
        return False
    if lines[0].startswith(_DASHES):
        return True
    if has_link or any(len(line) > SHORT_CHARS for line in lines):
        return False
    if len(lines) >= 2:
        return not any(line.endswith(_SENTENCE_END) for line in lines)
    words = lines[0].split()
    return 2 <= len(words) <= 4 and all(
        _NAME_WORD.match(word) or word in _PARTICLES for word in words
    ) and not lines[0].endswith(_SENTENCE_END[1:])


def mark_signatures(section: HtmlElement) -> bool:
    """Mark the chapter ``section``'s closing signature paragraph, if it has one."""
    paragraphs = [p for p in section.iter("p") if not _excluded(p, section)]
    if len(paragraphs) < 2:
        return False
    last = paragraphs[-1]
    if _has_following_content(last, section) or "signature" in (last.get("class") or ""):
        return False
    lines = [" ".join(line.split()) for line in _lines(last)]
    lines = [line for line in lines if line]
    if not lines or not is_signature_text(lines, last.find(".//a") is not None):
        return False
    classes = (last.get("class") or "").split()
    last.set("class", " ".join([*classes, "signature"]))
    return True


def _excluded(paragraph: HtmlElement, section: HtmlElement) -> bool:
    node = paragraph.getparent()
    while node is not None and node is not section:
        if node.tag in _OUTSIDE or "footnote" in (node.get("class") or ""):
            return True
        node = node.getparent()
    return "footnote" in (paragraph.get("class") or "")


def _has_following_content(paragraph: HtmlElement, section: HtmlElement) -> bool:
    """Anything but whitespace after the paragraph, up to the end of the chapter."""
    node: HtmlElement | None = paragraph
    while node is not None and node is not section:
        for sibling in node.itersiblings():
            if isinstance(sibling.tag, str):
                return True
        node = node.getparent()
    return False


def _lines(paragraph: HtmlElement) -> list[str]:
    """The paragraph's text cut at its ``<br>`` elements."""
    lines = [paragraph.text or ""]
    for child in paragraph:
        if child.tag == "br":
            lines.append(child.tail or "")
        else:
            lines[-1] += child.text_content() + (child.tail or "")
    return lines
