"""SVG images made self-contained and inert by parsing: an allow-list, not a search for bad words.

A contributor's SVG is parsed (lxml, no entity expansion, no DTD loading, no network) and
rebuilt with only:

* elements of the allow-list below (shapes, text, gradients, patterns, clips, masks, markers,
  filter primitives, ``use``, ``image``, ``a``, ``style``); anything else (``script``,
  ``foreignObject``, animation, elements of other namespaces) goes with its content;
* attributes of the allow-list (geometry, presentation, text, gradient and filter attributes,
  ``aria-*``); every event handler and unknown attribute goes;
* references to the same document only: ``href`` / ``xlink:href`` must be ``#id`` (an
  ``<image>`` may also hold an inline PNG, JPEG, GIF or WebP ``data:`` URI), and every
  ``url(...)`` anywhere (presentation attributes such as ``fill``, ``filter``, ``mask``,
  ``clip-path``, the ``style`` attribute, ``<style>`` content) must be ``url(#id)``. An attribute
  or CSS declaration that refers elsewhere is removed, as is any CSS with a backslash escape
  (``\\75 rl(`` spells ``url(``) or an ``@import``.

What cannot be parsed safely (entity declarations, malformed XML, a root that is not ``<svg>``,
nesting past libxml2's limit) is refused by ``refusal`` and never cleaned. Processing
instructions (``<?xml-stylesheet?>``), comments and the DOCTYPE are dropped. Output is
deterministic: the same input gives the same bytes.
"""

from __future__ import annotations

import re

from lxml import etree

__all__ = ["ALLOWED_ATTRIBUTES", "ALLOWED_ELEMENTS", "clean_svg", "cleaned_and_removed", "refusal",
           "removed_parts"]

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
XML_NS = "http://www.w3.org/XML/1998/namespace"

_FILTER_PRIMITIVES = (
    "feBlend", "feColorMatrix", "feComponentTransfer", "feComposite", "feConvolveMatrix",
    "feDiffuseLighting", "feDisplacementMap", "feDistantLight", "feDropShadow", "feFlood",
    "feFuncA", "feFuncB", "feFuncG", "feFuncR", "feGaussianBlur", "feImage", "feMerge",
    "feMergeNode", "feMorphology", "feOffset", "fePointLight", "feSpecularLighting",
    "feSpotLight", "feTile", "feTurbulence",
)
ALLOWED_ELEMENTS = frozenset({
    "svg", "g", "defs", "desc", "title", "symbol", "use", "image", "switch", "a", "view",
    "path", "rect", "circle", "ellipse", "line", "polyline", "polygon",
    "text", "tspan", "textPath",
    "linearGradient", "radialGradient", "stop", "pattern", "clipPath", "mask", "marker",
    "filter", "style", *_FILTER_PRIMITIVES,
})
_PRESENTATION = (
    "alignment-baseline", "baseline-shift", "clip", "clip-path", "clip-rule", "color",
    "color-interpolation", "color-interpolation-filters", "color-rendering", "cursor",
    "direction", "display", "dominant-baseline", "fill", "fill-opacity", "fill-rule", "filter",
    "flood-color", "flood-opacity", "font", "font-family", "font-size", "font-size-adjust",
    "font-stretch", "font-style", "font-variant", "font-weight", "glyph-orientation-horizontal",
    "glyph-orientation-vertical", "image-rendering", "letter-spacing", "lighting-color",
    "marker", "marker-end", "marker-mid", "marker-start", "mask", "opacity", "overflow",
    "paint-order", "pointer-events", "shape-rendering", "stop-color", "stop-opacity", "stroke",
    "stroke-dasharray", "stroke-dashoffset", "stroke-linecap", "stroke-linejoin",
    "stroke-miterlimit", "stroke-opacity", "stroke-width", "text-anchor", "text-decoration",
    "text-rendering", "transform", "transform-origin", "unicode-bidi", "vector-effect",
    "visibility", "word-spacing", "writing-mode", "mix-blend-mode", "isolation",
)
_GEOMETRY_AND_MORE = (
    "id", "class", "style", "lang", "version", "baseProfile", "width", "height", "x", "y",
    "x1", "y1", "x2", "y2", "cx", "cy", "r", "rx", "ry", "fx", "fy", "fr", "d", "points",
    "pathLength", "viewBox", "preserveAspectRatio", "dx", "dy", "rotate", "textLength",
    "lengthAdjust", "startOffset", "method", "spacing", "side", "offset", "gradientUnits",
    "gradientTransform", "spreadMethod", "patternUnits", "patternContentUnits",
    "patternTransform", "clipPathUnits", "maskUnits", "maskContentUnits", "markerUnits",
    "markerWidth", "markerHeight", "refX", "refY", "orient", "filterUnits", "primitiveUnits",
    "in", "in2", "result", "mode", "type", "values", "operator", "k1", "k2", "k3", "k4",
    "stdDeviation", "edgeMode", "order", "kernelMatrix", "divisor", "bias", "targetX",
    "targetY", "preserveAlpha", "surfaceScale", "diffuseConstant", "specularConstant",
    "specularExponent", "kernelUnitLength", "scale", "xChannelSelector", "yChannelSelector",
    "radius", "baseFrequency", "numOctaves", "seed", "stitchTiles", "azimuth", "elevation",
    "z", "pointsAtX", "pointsAtY", "pointsAtZ", "limitingConeAngle", "tableValues", "slope",
    "intercept", "amplitude", "exponent", "href", "role", "aria-label", "aria-hidden",
    "focusable", "media", "title", "zoomAndPan", "requiredFeatures",
)
ALLOWED_ATTRIBUTES = frozenset({*_PRESENTATION, *_GEOMETRY_AND_MORE,
                                f"{{{XLINK_NS}}}href", f"{{{XML_NS}}}space",
                                f"{{{XML_NS}}}lang"})
# Accessibility attributes name ids or hold text: never a URL (checked below like any value).
_INERT_PREFIXES = ("aria-",)
_EDITOR_NAMESPACES = frozenset({
    "http://www.inkscape.org/namespaces/inkscape",
    "http://sodipodi.sourceforge.net/DTD/sodipodi-0.dtd",
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#", "http://creativecommons.org/ns#",
    "http://purl.org/dc/elements/1.1/", "http://ns.adobe.com/AdobeIllustrator/10.0/",
    "http://ns.adobe.com/Extensibility/1.0/", "http://ns.adobe.com/SaveForWeb/1.0/",
})
_REFERENCES = frozenset({"href", f"{{{XLINK_NS}}}href"})
_RASTER_DATA = re.compile(r"^data:image/(?:png|jpeg|gif|webp)[;,]", re.IGNORECASE)
_URL = re.compile(r"url\(\s*(['\"]?)(?P<target>[^)'\"]*)\1\s*\)", re.IGNORECASE)
# Whatever CSS could load or hide a load with: escapes, @import, url() or a string-taking loader.
_CSS_LOADERS = re.compile(r"\\|@import|image-set\s*\(|image\s*\(|cross-fade\s*\(|element\s*\("
                          r"|expression\s*\(|src\s*\(", re.IGNORECASE)
_CSS_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)
_DECLARATION = re.compile(r"[^;{}]+")


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                           dtd_validation=False, huge_tree=False, remove_comments=True,
                           remove_pis=True, remove_blank_text=False, strip_cdata=True)


def refusal(data: bytes) -> str | None:
    """Why ``data`` cannot be cleaned (a short clause), or None when ``clean_svg`` will do."""
    if re.search(rb"<!ENTITY", data, re.IGNORECASE):
        return "declares XML entities (<!ENTITY>), which could read other files"
    try:
        root = etree.fromstring(data, _parser())
    except (etree.XMLSyntaxError, ValueError) as error:
        text = " ".join(str(error).split())
        return f"is not well-formed SVG ({text[:97] + '...' if len(text) > 100 else text})"
    if root is None or _local(root.tag) != "svg" or _namespace(root.tag) not in ("", SVG_NS):
        return "is not an SVG image (its root element is not <svg>)"
    return None


def clean_svg(data: bytes) -> bytes:
    """``data`` rebuilt from the allow-lists; an empty SVG when ``refusal(data)`` is not None
    (the build refused the image already: this only keeps a changed file from slipping by)."""
    return cleaned_and_removed(data)[0]


def removed_parts(data: bytes) -> tuple[str, ...]:
    """What ``clean_svg`` removes from ``data``, for a warning: ``<script>``, ``onclick=``..."""
    return cleaned_and_removed(data)[1]


def cleaned_and_removed(data: bytes) -> tuple[bytes, tuple[str, ...]]:
    if refusal(data) is not None:
        return f'<svg xmlns="{SVG_NS}"/>'.encode(), ("everything",)
    root = etree.fromstring(data, _parser())
    removed: list[str] = []
    _clean_element(root, removed)
    cleaned = bytes(etree.tostring(root, encoding="utf-8", xml_declaration=True))
    return cleaned, tuple(dict.fromkeys(removed))


def _clean_element(element: etree._Element, removed: list[str]) -> None:
    for child in list(element):
        if not isinstance(child.tag, str) or not _allowed_element(child.tag):
            if isinstance(child.tag, str) and not _editor_metadata(child.tag):
                removed.append(f"<{_local(child.tag)}>")
            _remove(child)
            continue
        _clean_element(child, removed)
    name = _local(element.tag)
    for attribute, value in list(element.attrib.items()):
        cleaned = _clean_attribute(name, str(attribute), str(value))
        if cleaned is None:
            if not _editor_metadata(str(attribute)):
                removed.append(f"{_local(str(attribute))}=")
            del element.attrib[attribute]
        elif cleaned != value:
            removed.append(f"part of {_local(str(attribute))}=")
            element.attrib[attribute] = cleaned
    if name == "style":
        css = clean_css(element.text or "")
        if css != _CSS_COMMENT.sub("", element.text or ""):
            removed.append("part of <style>")
        element.text = css


def _remove(element: etree._Element) -> None:
    """Remove ``element`` with its content; the text after it stays."""
    parent = element.getparent()
    if parent is None:
        return
    tail = element.tail
    previous = element.getprevious()
    parent.remove(element)
    if tail:
        if previous is not None:
            previous.tail = (previous.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail


def _allowed_element(tag: str) -> bool:
    return _namespace(tag) in ("", SVG_NS) and _local(tag) in ALLOWED_ELEMENTS


def _clean_attribute(element: str, attribute: str, value: str) -> str | None:
    """The value to keep, or None to remove the attribute."""
    key = attribute if _namespace(attribute) else _local(attribute)
    if key not in ALLOWED_ATTRIBUTES and not key.startswith(_INERT_PREFIXES):
        return None
    if key in _REFERENCES:
        target = value.strip()
        if target.startswith("#") and _URL.search(target) is None and "\\" not in target:
            return value
        if element in ("image", "feImage") and _RASTER_DATA.match(target):
            return value
        return None
    if key == "style":
        cleaned = clean_css(value)
        return cleaned if cleaned.strip() else None
    if "\\" in value or _CSS_LOADERS.search(value):
        return None  # a presentation value is CSS: escapes and loaders have no place in it
    if "url" in value.lower() and not _only_fragment_urls(value):
        return None
    return value


def clean_css(css: str) -> str:
    """``css`` without comments and without any declaration or rule that could load a file:
    each ``;``/``{``/``}``-separated piece holding an escape, an ``@import``, a loader function
    or a ``url()`` that is not ``url(#id)`` is dropped; the rest is kept as written."""
    css = _CSS_COMMENT.sub("", css)

    def keep(match: re.Match[str]) -> str:
        piece = match.group(0)
        if _CSS_LOADERS.search(piece):
            return ""
        if "url" in piece.lower() and not _only_fragment_urls(piece):
            return ""
        return piece

    return _DECLARATION.sub(keep, css)


def _only_fragment_urls(text: str) -> bool:
    """Every ``url`` in ``text`` is a well-formed ``url(#id)``; a stray ``url`` word that is
    not a parsable call (``url (``, unclosed) counts as a reference too."""
    calls = list(_URL.finditer(text))
    if len(calls) != len(re.findall(r"url", text, re.IGNORECASE)):
        return False
    return all(call.group("target").strip().startswith("#") for call in calls)


def _editor_metadata(name: str) -> bool:
    """What drawing programs add for themselves (Inkscape, Sodipodi, RDF metadata): removed
    without a word, as it never shows."""
    return _local(name) == "metadata" or _namespace(name) in _EDITOR_NAMESPACES


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _namespace(tag: str) -> str:
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""
