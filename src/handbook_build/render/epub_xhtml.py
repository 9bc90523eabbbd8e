"""EPUB content documents: a sanitized HTML fragment -> namespaced XHTML elements -> bytes.

EPUB readers parse XHTML as XML, so the HTML that pandoc and the sanitizer produce is rebuilt
element by element in the XHTML namespace (void elements, entities and attribute names then
serialize correctly); ``epub:type`` gets the OPS namespace, inline SVG and MathML keep their own.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import lxml.html
from lxml import etree
from lxml.html import HtmlElement

XHTML_NS = "http://www.w3.org/1999/xhtml"
OPS_NS = "http://www.idpf.org/2007/ops"
SVG_NS = "http://www.w3.org/2000/svg"
MATHML_NS = "http://www.w3.org/1998/Math/MathML"
XML_NS = "http://www.w3.org/XML/1998/namespace"
NSMAP: dict[str | None, str] = {None: XHTML_NS, "epub": OPS_NS}
EPUB_TYPE = f"{{{OPS_NS}}}type"

# Elements that must stay empty; every other empty element is written <x></x>, because some
# reading systems treat <div/> or <a/> as an open tag.
VOID_ELEMENTS = frozenset(
    ["area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
     "track", "wbr"]
)
_XML_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9._-]*$")
# C0 controls other than tab/newline/CR are illegal in XML; C1 controls (a stray U+009D in the
# handbook) are legal but invisible garbage that readers render as boxes.
_CONTROL_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# The HTML parser lowercases attribute names; SVG needs these back in camel case.
_SVG_ATTRIBUTES = {
    name.lower(): name
    for name in ("viewBox", "preserveAspectRatio", "gradientUnits", "gradientTransform",
                 "patternUnits", "patternTransform", "textLength", "lengthAdjust",
                 "markerWidth", "markerHeight", "refX", "refY", "stdDeviation")
}


def xtag(name: str) -> str:
    """The qualified name of an XHTML element."""
    return f"{{{XHTML_NS}}}{name}"


def clean_text(text: str | None) -> str | None:
    return None if text is None else _CONTROL_CHARS.sub("", text)


def html_to_xhtml(html: str) -> etree._Element:
    """Parse one serialized ``<section>`` (or any fragment) into a single XHTML element."""
    fragments = lxml.html.fragments_fromstring(html) if html.strip() else []
    elements = [f for f in fragments if isinstance(f, HtmlElement)]
    if len(elements) == 1 and isinstance(elements[0].tag, str):
        return _convert(elements[0], None, XHTML_NS)
    wrapper = etree.Element(xtag("div"), nsmap=NSMAP)
    for fragment in fragments:
        if isinstance(fragment, str):
            _append_text(wrapper, fragment)
        elif isinstance(fragment.tag, str):
            _convert(fragment, wrapper, XHTML_NS)
    return wrapper


def _namespace_for(tag: str, inherited: str) -> str:
    if tag == "svg":
        return SVG_NS
    if tag == "math":
        return MATHML_NS
    return inherited


def _convert(source: HtmlElement, parent: etree._Element | None, inherited: str) -> etree._Element:
    tag = str(source.tag).lower()
    namespace = _namespace_for(tag, inherited)
    qname = f"{{{namespace}}}{tag}"
    # SVG and MathML islands declare their namespace as the default, as browsers write them.
    nsmap = NSMAP if parent is None else ({None: namespace} if namespace != inherited else None)
    target = (etree.Element(qname, nsmap=nsmap) if parent is None
              else etree.SubElement(parent, qname, nsmap=nsmap))
    for name, value in source.attrib.items():
        _copy_attribute(target, str(name), str(value), namespace)
    target.text = clean_text(source.text)
    for child in source:
        if isinstance(child.tag, str) and _XML_NAME.match(child.tag):
            converted = _convert(child, target, namespace)
            converted.tail = clean_text(child.tail)
        else:  # comments, processing instructions, names XML cannot hold: keep only the text after
            _append_text(target, clean_text(child.tail) or "")
    return target


def _copy_attribute(target: etree._Element, name: str, value: str, namespace: str) -> None:
    value = clean_text(value) or ""
    if name == "epub:type":
        target.set(EPUB_TYPE, value)
    elif name == "xml:lang":
        target.set(f"{{{XML_NS}}}lang", value)
    elif namespace == SVG_NS and name in _SVG_ATTRIBUTES:
        target.set(_SVG_ATTRIBUTES[name], value)
    elif _XML_NAME.match(name) and not name.startswith("xmlns"):
        target.set(name, value)


def _append_text(element: etree._Element, text: str) -> None:
    if not text:
        return
    if len(element):
        last = element[-1]
        last.tail = (last.tail or "") + text
    else:
        element.text = (element.text or "") + text


def uses_namespace(root: etree._Element, namespace: str) -> bool:
    """True when any element of ``root`` is in ``namespace`` (the manifest must then say so)."""
    return any(isinstance(el.tag, str) and el.tag.startswith(f"{{{namespace}}}")
               for el in root.iter())


def _open_empty_elements(root: etree._Element) -> None:
    for element in root.iter():
        if not isinstance(element.tag, str) or not element.tag.startswith(f"{{{XHTML_NS}}}"):
            continue
        local = etree.QName(element).localname
        if local in VOID_ELEMENTS:
            element.text = None
            for child in list(element):  # a void element with content is malformed HTML
                element.remove(child)
        elif element.text is None and len(element) == 0:
            element.text = ""


def xhtml_document(*, title: str, lang: str, stylesheets: Sequence[str],
                   body: Sequence[etree._Element], body_type: str = "") -> bytes:
    """A complete XHTML5 content document: ``<title>``, ``lang``/``xml:lang``, linked styles."""
    html = etree.Element(xtag("html"), nsmap=NSMAP)
    html.set("lang", lang)
    html.set(f"{{{XML_NS}}}lang", lang)
    head = etree.SubElement(html, xtag("head"))
    etree.SubElement(head, xtag("meta"), charset="utf-8")
    etree.SubElement(head, xtag("title")).text = clean_text(title) or "Untitled"
    for href in stylesheets:
        etree.SubElement(head, xtag("link"), rel="stylesheet", type="text/css", href=href)
    body_element = etree.SubElement(html, xtag("body"))
    if body_type:
        body_element.set(EPUB_TYPE, body_type)
    for element in body:
        body_element.append(element)
    etree.cleanup_namespaces(html, top_nsmap=NSMAP)
    _open_empty_elements(html)
    for element in (head, *head, body_element):  # line breaks only where they cannot show
        element.tail = "\n"
    head.text = body_element.text = "\n"
    markup = etree.tostring(html, encoding="unicode")
    return f'<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE html>\n{markup}\n'.encode()
