"""Code blocks after pandoc: highlighting markup tidied, short blocks marked, listings numbered.

pandoc's highlighter gives every line ``<span id="cb3-1"><a href="#cb3-1" aria-hidden="true"
tabindex="-1"></a>...</span>``: per-line ids and empty links, which mean nothing in a book (and
an empty link is an accessibility fault in the EPUB). The ids and links go; the line spans and
the token spans (``<span class="kw">``) stay, styled by styles/technical.css. Every code block is
given line spans (plain ones too), so the paged editions can mark wrapped lines
(render/code_lines.py). A block of fewer than ``SHORT_BLOCK_LINES`` lines gets the class
``short-code``: the stylesheets keep it on one page.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import lxml.html
from lxml.html import HtmlElement

__all__ = ["SHORT_BLOCK_LINES", "number_listings", "tidy_code_blocks"]

SHORT_BLOCK_LINES = 12
_PANDOC_CODE_ID = re.compile(r"^cb\d+(?:-\d+)?$")


def tidy_code_blocks(section: HtmlElement) -> None:
    for div in section.find_class("sourceCode"):
        if div.tag == "div" and _PANDOC_CODE_ID.match(div.get("id", "")):
            del div.attrib["id"]
    for pre in section.iter("pre"):
        code = pre.find("code")
        if code is None:
            continue
        lines = [child for child in code if child.tag == "span"]
        if lines and all(_PANDOC_CODE_ID.match(line.get("id", "")) for line in lines):
            for line in lines:
                del line.attrib["id"]
                for anchor in line.findall("a"):
                    if not anchor.text_content() and len(anchor) == 0:
                        _drop_keeping_tail(anchor)
        elif len(code) == 0:
            lines = _split_lines(code)
        count = len(lines) if lines else (code.text_content().count("\n") + 1)
        if count < SHORT_BLOCK_LINES:
            pre.set("class", " ".join([*pre.get("class", "").split(), "short-code"]))


def _split_lines(code: HtmlElement) -> list[HtmlElement]:
    """A plain block's text as one span per line, the newlines between them as pandoc puts
    them between its own line spans."""
    text = code.text or ""
    code.text = None
    spans: list[HtmlElement] = []
    for index, line in enumerate(text.split("\n")):
        span = lxml.html.Element("span")
        span.text = line
        span.tail = "\n"
        if index == 0:
            code.append(span)
        else:
            spans[-1].addnext(span)
        spans.append(span)
    if spans:
        spans[-1].tail = None
        if not spans[-1].text and len(spans) > 1:
            spans[-2].tail = "\n"
            code.remove(spans.pop())
    return spans


def _drop_keeping_tail(element: HtmlElement) -> None:
    parent = element.getparent()
    if parent is None:
        return
    tail = element.tail or ""
    previous = element.getprevious()
    if previous is not None:
        previous.tail = (previous.tail or "") + tail
    else:
        parent.text = (parent.text or "") + tail
    parent.remove(element)


def number_listings(sections: Iterable[HtmlElement]) -> None:
    """"Listing N" before each caption, N counting through the whole book in order."""
    number = 0
    for section in sections:
        for div in section.find_class("listing"):
            if div.tag != "div":
                continue
            caption = next(iter(div.find_class("listing-caption")), None)
            if caption is None:
                continue
            number += 1
            paragraph = caption.getparent()
            if paragraph is not None and paragraph.tag == "p":
                paragraph.set("class", "listing-caption")
                caption.drop_tag()
                target = paragraph
            else:
                target = caption
            label = lxml.html.Element("span", {"class": "listing-number"})
            label.text = f"Listing {number}."
            label.tail = " " + (target.text or "")
            target.text = None
            target.insert(0, label)
