"""The sections as the paged editions lay them out: formulas drawn (math_svg.py), code lines as
block boxes (code_lines.py). The EPUB and HTML editions keep MathML and plain code lines."""

from __future__ import annotations

from dataclasses import replace

import lxml.html

from handbook_build.model import HtmlBook, HtmlSection
from handbook_build.render.code_lines import block_code_lines
from handbook_build.render.math_svg import draw_math

__all__ = ["for_paged"]


def for_paged(html_book: HtmlBook, ink: str | None = None) -> HtmlBook:
    """``ink``: the colour formulas are drawn in (math_svg.draw_math)."""
    return replace(html_book, sections=tuple(_paged(section, ink)
                                             for section in html_book.sections))


def _paged(section: HtmlSection, ink: str | None) -> HtmlSection:
    if "<math" not in section.html and "<pre" not in section.html:
        return section
    element = lxml.html.fragment_fromstring(section.html)
    changed = draw_math(element, ink) + block_code_lines(element)
    if not changed:
        return section
    return replace(section, html=lxml.html.tostring(element, encoding="unicode"))
