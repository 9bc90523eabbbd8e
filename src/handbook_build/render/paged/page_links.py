"""Page-number links: which links of a piece of HTML print their target's page number (they
match a ``target-counter()`` rule of the styles, styles.py), and that HTML with the numbers
written in (``data-hb-tc``), so a chunk sets the same glyphs as the whole book without its
targets being laid out with it."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from html import escape

import cssselect2  # type: ignore[import-untyped]
import lxml.html

from handbook_build.errors import RenderError
from handbook_build.render.paged.edition import Paged
from handbook_build.render.paged.styles import TC_ATTRIBUTE

__all__ = ["format_counter", "mark_links", "marked_targets"]

_A_TAG = re.compile(r"<a(?=[\s>])")


def marked_targets(paged: Paged, html: str) -> list[str]:
    """Targets of the links in ``html`` that print a page number (a target-counter rule)."""
    return [target for target, marked in _links_marked(paged, html) if marked]


def _links_marked(paged: Paged, html: str) -> list[tuple[str, bool]]:
    """(target, prints its page number) for each <a> of ``html``, in document order."""
    if not paged.support.link_selectors or "<a" not in html:
        return [("", False)] * len(_A_TAG.findall(html))
    front = html is paged.front
    key = (paged.support.link_selectors, hashlib.sha256(html.encode()).digest() + bytes(front))
    found = _MARKED.get(key)
    if found is None:
        found = _match_links(paged.support.link_selectors, html, front)
        if len(_MARKED) > 512:
            _MARKED.clear()
        _MARKED[key] = found
    return found


_MARKED: dict[tuple[tuple[str, ...], bytes], list[tuple[str, bool]]] = {}


def _match_links(selectors: Sequence[str], html: str, front: bool) -> list[tuple[str, bool]]:
    # The HTML inside the structure of the whole document, so selectors naming ancestors
    # (.body-matter, .front-matter) match as they do there.
    inside = (f'<div class="front-matter">{html}</div><div class="body-matter"></div>' if front
              else f'<div class="front-matter"></div><div class="body-matter">{html}</div>')
    document = f"<html><body>{inside}</body></html>"
    root = lxml.html.document_fromstring(document)
    matcher = cssselect2.Matcher()
    for selector in selectors:
        for compiled in cssselect2.compile_selector_list(selector):
            matcher.add_selector(compiled, selector)
    found = []
    for element in cssselect2.ElementWrapper.from_html_root(root).iter_subtree():
        if element.local_name != "a":
            continue
        href = element.etree_element.get("href") or ""
        marked = href.startswith("#") and bool(matcher.match(element))
        found.append((href[1:], marked))
    return found


def mark_links(paged: Paged, html: str, values: Mapping[str, str]) -> str:
    """``html`` with data-hb-tc="N" on each page-number link whose target is in ``values``."""
    if not values:
        return html
    links = _links_marked(paged, html)
    positions = [m.end() for m in _A_TAG.finditer(html)]
    if len(positions) != len(links):
        raise RenderError("chunked layout: the links of a section could not be matched; "
                          "this is a bug, please report it")
    out, last = [], 0
    for position, (target, marked) in zip(positions, links, strict=True):
        if marked and target in values:
            out.append(html[last:position])
            out.append(f' {TC_ATTRIBUTE}="{escape(values[target])}"')
            last = position
    out.append(html[last:])
    return "".join(out)


def format_counter(value: int, style: str) -> str:
    if style == "decimal" or value <= 0:
        return str(value)
    numerals = (("m", 1000), ("cm", 900), ("d", 500), ("cd", 400), ("c", 100), ("xc", 90),
                ("l", 50), ("xl", 40), ("x", 10), ("ix", 9), ("v", 5), ("iv", 4), ("i", 1))
    text = ""
    for letters, amount in numerals:
        while value >= amount:
            text += letters
            value -= amount
    return text.upper() if style == "upper-roman" else text
