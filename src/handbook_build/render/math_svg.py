"""Formulas drawn for the paged editions: each ``<math>`` of a section becomes an inline SVG.

WeasyPrint does not lay out MathML, so the reading and print PDFs get each formula typeset by
ziamath (its own math font, STIX Two Math, bundled in the wheel: no system font, no network) as
an SVG of paths, placed inline on the text's baseline or centred on its own line (display
math), sized in ``em`` so it follows the type size around it. The TeX source stays as the
image's ``aria-label``. ziamath reads the MathML pandoc wrote (htmlbook already cleaned it), so
every edition shows the formula texmath parsed. The SVG is rebuilt by svg_clean like any image
in the book, and made without ``<symbol>``/``<use>`` (``svg2`` off), so it holds no ids that
could collide between formulas. Each distinct formula is drawn once per process.
"""

from __future__ import annotations

import copy
import functools
import logging
import re
from html import escape

import lxml.html
from lxml import etree
from lxml.html import HtmlElement

from handbook_build.sources.svg_clean import clean_svg

__all__ = ["draw_math", "formula_svg"]

log = logging.getLogger(__name__)

# ziamath's size unit is the SVG user unit; sizes are turned into em of the surrounding text.
_SIZE = 10.0
_NUMBER = r"(-?[\d.]+)"
_VIEWBOX = re.compile(rf'viewBox="{_NUMBER} {_NUMBER} {_NUMBER} {_NUMBER}"')
_MATHML_NS = "http://www.w3.org/1998/Math/MathML"


def draw_math(section: HtmlElement, ink: str | None = None) -> int:
    """Replace every ``<math>`` in ``section`` by its drawing; returns how many were drawn.

    ``ink``: the colour to draw in (the print edition: ``device-cmyk(0 0 0 1)``, black on K
    only like its text); None keeps ziamath's black."""
    drawn = 0
    for math in list(section.iter("math")):
        tex = _tex_of(math)
        display = math.get("display") == "block"
        svg = formula_svg(_mathml_for_ziamath(math), display)
        replacement = _placed(svg, tex, display, ink) if svg else _as_code(tex)
        replacement.tail = math.tail
        parent = math.getparent()
        if parent is not None:
            parent.replace(math, replacement)
            drawn += 1
    return drawn


def _tex_of(math: HtmlElement) -> str:
    for annotation in math.iter("annotation"):
        if annotation.get("encoding") == "application/x-tex":
            return str(annotation.text_content())
    return " ".join(math.text_content().split())


def _mathml_for_ziamath(math: HtmlElement) -> str:
    """The formula as MathML XML without ``<semantics>``/``<annotation>``, which ziamath does
    not know (it would warn and could draw the TeX as text)."""
    root = copy.deepcopy(math)
    for semantics in list(root.iter("semantics")):
        for annotation in list(semantics.iter("annotation", "annotation-xml")):
            annotation.drop_tree()
        semantics.drop_tag()
    markup = etree.tostring(root, encoding="unicode", method="xml", with_tail=False)
    if "xmlns=" not in markup.split(">", 1)[0]:
        markup = markup.replace("<math", f'<math xmlns="{_MATHML_NS}"', 1)
    return str(markup)


@functools.lru_cache(maxsize=4096)
def formula_svg(mathml: str, display: bool) -> str:
    """The SVG of one formula ("" if ziamath cannot draw it); cached: books repeat formulas."""
    from ziamath.config import config
    from ziamath.zmath import Math

    config.svg2 = False  # plain paths: no <symbol> ids shared between formulas
    try:
        drawing = Math(mathml, size=_SIZE)
        svg = str(drawing.svg())
    except Exception as error:
        log.warning("ziamath could not draw a formula (%s); shown as code", error)
        return ""
    del display  # the MathML's own display attribute already set the style
    return clean_svg(svg.encode("utf-8")).decode("utf-8")


def _placed(svg: str, tex: str, display: bool, ink: str | None) -> HtmlElement:
    root = etree.fromstring(svg.encode("utf-8"))
    if ink is not None:
        root.set("fill", ink)  # glyph paths carry no fill of their own
        for element in root.iter():
            if element.get("fill") == "black":
                element.set("fill", ink)  # rules: fraction bars, radicals
    box = _VIEWBOX.search(svg)
    for name in ("width", "height"):
        root.attrib.pop(name, None)
    if box is not None:
        min_y, width, height = float(box.group(2)), float(box.group(3)), float(box.group(4))
        depth = (min_y + height) / _SIZE  # the baseline is y = 0 in ziamath's drawings
        root.set("style", f"width: {width / _SIZE:.3f}em; height: {height / _SIZE:.3f}em; "
                          f"vertical-align: {-depth:.3f}em")
    root.set("role", "img")
    root.set("aria-label", tex)
    root.set("class", "math-drawing")
    # HTML serialization: <path ...></path>, never <path/>, which an HTML parser reads as an
    # open tag (every later path would nest inside it and not be drawn)
    element = lxml.html.fragment_fromstring(
        etree.tostring(root, encoding="unicode", method="html"))
    if not display:
        return element
    wrapper = lxml.html.Element("span", {"class": "math-display"})
    wrapper.append(element)
    return wrapper


def _as_code(tex: str) -> HtmlElement:
    code = lxml.html.fragment_fromstring(f'<code class="math-source">{escape(tex)}</code>')
    return code
