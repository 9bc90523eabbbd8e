"""EPUB packaging, generated documents: cover page, title page, copyright page, navigation.

Each function returns the ``<body>`` children; ``epub_xhtml.xhtml_document`` wraps them. The
navigation tree (``NavEntry``) is shared by nav.xhtml here and by ebooklib's NCX.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from lxml import etree

from handbook_build.model import Metadata
from handbook_build.render.epub_refs import is_valid_external
from handbook_build.render.epub_xhtml import EPUB_TYPE, clean_text, xtag
from handbook_build.render.imprint import credit_lines, edition_words, license_name, license_url


@dataclass(frozen=True, slots=True)
class NavEntry:
    title: str
    href: str  # relative to the package folder, where nav.xhtml and toc.ncx live
    children: tuple[NavEntry, ...] = ()


@dataclass(frozen=True, slots=True)
class Landmark:
    epub_type: str  # cover, titlepage, toc, bodymatter
    title: str
    href: str


def element(tag: str, text: str | None = None, /, **attributes: str) -> etree._Element:
    """An XHTML element; ``epub_type`` becomes ``epub:type``, ``class_`` becomes ``class``."""
    node = etree.Element(xtag(tag))
    for name, value in attributes.items():
        key = EPUB_TYPE if name == "epub_type" else name.rstrip("_").replace("_", "-")
        node.set(key, value)
    node.text = clean_text(text)
    return node


def child(parent: etree._Element, tag: str, text: str | None = None,
          **attributes: str) -> etree._Element:
    node = element(tag, text, **attributes)
    parent.append(node)
    node.tail = "\n"
    return node


def join_names(names: Sequence[str]) -> str:
    """"A", "A and B", "A, B and C"."""
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def cover_page(image_href: str, alt: str) -> list[etree._Element]:
    section = element("section", class_="cover")  # the body carries epub:type="cover"
    child(section, "img", src=image_href, alt=alt, class_="cover-image", role="doc-cover")
    return [section]


def title_page(metadata: Metadata) -> list[etree._Element]:
    section = element("section", epub_type="titlepage", class_="titlepage")
    section.text = "\n"
    child(section, "h1", metadata.title, class_="title")
    if metadata.subtitle:
        child(section, "p", metadata.subtitle, class_="subtitle")
    if metadata.authors:
        child(section, "p", join_names(metadata.authors), class_="authors")
    if metadata.edition:
        child(section, "p", edition_words(metadata.edition), class_="edition")
    if metadata.publisher:
        child(section, "p", metadata.publisher, class_="publisher")
    return [section]


def copyright_page(metadata: Metadata, identifier: str) -> list[etree._Element]:
    section = element("section", epub_type="copyright-page", class_="copyright")
    section.text = "\n"
    child(section, "h1", "Copyright and license")
    title = f"{metadata.title}: {metadata.subtitle}" if metadata.subtitle else metadata.title
    child(section, "p", title, class_="title")
    for line in credit_lines(metadata.authors, metadata.contributors):  # each person once
        child(section, "p", line)
    published = f"Published {metadata.date.isoformat()}"  # ISO: no locale-dependent month names
    by = f" by {metadata.publisher}" if metadata.publisher else ""
    edition = f" {edition_words(metadata.edition)}." if metadata.edition else ""
    child(section, "p", f"{published}{by}.{edition}")
    if metadata.license:
        name = license_name(metadata.license)
        deed = license_url(metadata.license, metadata.license_url)
        licensed = child(section, "p", "License: ")
        if is_valid_external(deed):
            link = child(licensed, "a", name, href=deed)
            link.tail = "."
        else:
            licensed.text = f"License: {name}."
    label = "ISBN" if identifier.startswith("urn:isbn:") else "Identifier"
    child(section, "p", f"{label}: {identifier.removeprefix('urn:isbn:')}", class_="identifier")
    return [section]


def _nav_list(entries: Sequence[NavEntry]) -> etree._Element:
    ordered = element("ol")
    ordered.text = "\n"
    for entry in entries:
        item = child(ordered, "li")
        child(item, "a", entry.title, href=entry.href).tail = None
        if entry.children:
            item.append(_nav_list(entry.children))
    return ordered


def nav_page(entries: Sequence[NavEntry], landmarks: Sequence[Landmark],
             heading: str = "Contents") -> list[etree._Element]:
    """The EPUB 3 navigation document: the contents (visible) and the landmarks (hidden)."""
    toc = element("nav", epub_type="toc", id="toc", role="doc-toc")
    toc.text = "\n"
    child(toc, "h1", heading)
    toc.append(_nav_list(entries))
    marks = element("nav", epub_type="landmarks", id="landmarks", hidden="hidden")
    marks.text = "\n"
    child(marks, "h2", "Landmarks")
    ordered = child(marks, "ol")
    for mark in landmarks:
        item = child(ordered, "li")
        child(item, "a", mark.title, href=mark.href, epub_type=mark.epub_type).tail = None
    toc.tail = marks.tail = "\n"
    return [toc, marks]
