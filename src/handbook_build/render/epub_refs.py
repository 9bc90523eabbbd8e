"""EPUB content documents, references: internal links -> file#id, images -> packaged files.

The HTML keeps one namespace of ids for the whole book (``#slug--x``); the EPUB splits it into
one file per section, so every ``#id`` becomes ``file.xhtml#id``. The HTML was repaired upstream;
these passes are the last guard: a link that would be broken in a reader is unlinked (text kept),
and nothing remote is ever referenced (EPUBCheck RSC-006, and readers fetching from the net).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from lxml import etree

from handbook_build.render.epub_xhtml import xtag

_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_HOST = re.compile(r"^[\w.-]+(:[0-9]+)?$")  # \w: internationalized host names are fine
# Elements that would load a resource: only <img> is rewritten; the rest cannot be packaged.
_EMBEDDING = frozenset(
    ["audio", "video", "source", "track", "iframe", "embed", "object", "picture"]
)


@dataclass(frozen=True, slots=True)
class LinkTargets:
    """Where each id of the book lives: id -> file (relative to the package folder)."""

    files: Mapping[str, str]
    roots: frozenset[str]  # ids of section roots: linking to them means "the file itself"


def relative_href(target: str, from_file: str) -> str:
    return posixpath.relpath(target, posixpath.dirname(from_file) or ".")


def is_valid_external(href: str) -> bool:
    """An http(s) URL with a plain host, or a mailto: address, that a reader can open as is."""
    if any(ch.isspace() for ch in href) or _BAD_PERCENT.search(href):
        return False
    if href.startswith("mailto:"):
        return len(href) > len("mailto:")
    try:
        parts = urlsplit(href)
        return parts.scheme in ("http", "https") and bool(_HOST.match(parts.netloc))
    except ValueError:
        return False


def _unlink(anchor: etree._Element) -> None:
    anchor.tag = xtag("span")
    for name in ("href", "target", "rel", "hreflang", "type", "download"):
        anchor.attrib.pop(name, None)


def _has_name(anchor: etree._Element) -> bool:
    """A link a screen reader can announce: some text, an image (alt is enforced), a label."""
    return bool("".join(anchor.itertext()).strip() or anchor.get("aria-label")
                or next(anchor.iter(xtag("img")), None) is not None)


def _holds_image(anchor: etree._Element) -> bool:
    return any(inner.tag == xtag("img") or inner.get("role") == "img"
               for inner in anchor.iter() if inner is not anchor and isinstance(inner.tag, str))


def unwrap(element: etree._Element) -> None:
    """Replace ``element`` by its content (text, children, tail kept in place)."""
    parent = element.getparent()
    if parent is None:
        return
    index = parent.index(element)
    previous = element.getprevious()
    lead = element.text or ""
    if previous is not None:
        previous.tail = (previous.tail or "") + lead
    else:
        parent.text = (parent.text or "") + lead
    children = list(element)
    for offset, child in enumerate(children):
        parent.insert(index + offset, child)
    tail = element.tail or ""
    if children:
        children[-1].tail = (children[-1].tail or "") + tail
    elif previous is not None:
        previous.tail = (previous.tail or "") + tail
    else:
        parent.text = (parent.text or "") + tail
    parent.remove(element)


def rewrite_links(root: etree._Element, file_name: str, targets: LinkTargets,
                  where: str) -> list[str]:
    """Point ``#id`` links at ``file#id``; unlink anything a reader could not follow. A picture
    stays a link only to another place in the book: tapping it must not open a browser."""
    warnings: list[str] = []
    for anchor in list(root.iter(xtag("a"))):
        href = anchor.get("href")
        if href is None:
            continue
        if not href.startswith("#") and _holds_image(anchor):
            unwrap(anchor)
            continue
        if not _has_name(anchor):  # nothing to click or announce (Ace: link-name)
            warnings.append(f"{where}: empty link to '{href}' removed")
            _unlink(anchor)
        elif href.startswith("#"):
            target_id = href[1:]
            target_file = targets.files.get(target_id)
            if target_file is None:
                warnings.append(f"{where}: link to missing id '{href}' removed (text kept)")
                _unlink(anchor)
                continue
            path = "" if target_file == file_name else relative_href(target_file, file_name)
            fragment = "" if (target_id in targets.roots and path) else f"#{target_id}"
            anchor.set("href", f"{path}{fragment}")
        elif not is_valid_external(href):
            warnings.append(f"{where}: link '{href}' removed (text kept); links must be "
                            "#id, http(s): or mailto:")
            _unlink(anchor)
    return warnings


def placeholder(alt: str) -> etree._Element:
    """The same text placeholder the upstream stages use for images they could not find."""
    label = alt or "image"
    span = etree.Element(xtag("span"))
    span.set("class", "image-placeholder")
    span.set("role", "img")
    span.set("aria-label", label)
    span.text = f"Image not available: {label}"
    return span


def _replace(old: etree._Element, new: etree._Element) -> None:
    new.tail = old.tail
    parent = old.getparent()
    if parent is not None:
        parent.replace(old, new)


def _figure_caption(img: etree._Element) -> str:
    for ancestor in img.iterancestors(xtag("figure")):
        caption = ancestor.find(xtag("figcaption"))
        if caption is not None:
            return " ".join("".join(caption.itertext()).split())
    return ""


def rewrite_images(root: etree._Element, file_name: str, packaged: Mapping[str, str],
                   where: str) -> tuple[set[str], list[str]]:
    """Point each ``<img>`` at its packaged file; returns the package paths used and warnings.

    ``packaged`` maps an HTML ``src`` to a path inside the package. Anything else (remote, not
    listed) becomes a text placeholder, so no reader ever fetches from the network.
    """
    used: set[str] = set()
    warnings: list[str] = []
    for img in list(root.iter(xtag("img"))):
        src = img.get("src", "")
        alt = " ".join(img.get("alt", "").split()) or _figure_caption(img)
        target = packaged.get(src)
        if target is None:
            kind = "remote image" if re.match(r"^[a-z][a-z0-9+.-]*:", src, re.I) else "image"
            warnings.append(f"{where}: {kind} '{src}' replaced by a placeholder")
            _replace(img, placeholder(alt))
            continue
        if not alt:
            # No warning here: the sources stage has already reported this image, once, with
            # its chapter line (`missing-alt`); a second copy without the line helped nobody.
            alt = posixpath.splitext(posixpath.basename(src))[0].replace("-", " ").replace("_", " ")
        for name in ("srcset", "sizes", "loading", "decoding"):
            img.attrib.pop(name, None)
        img.set("src", relative_href(target, file_name))
        img.set("alt", alt)
        used.add(target)
    for element in list(root.iter(*(xtag(name) for name in _EMBEDDING))):
        if any(etree.QName(a).localname in _EMBEDDING for a in element.iterancestors()):
            continue  # its embedding ancestor is already gone
        warnings.append(f"{where}: <{etree.QName(element).localname}> removed; "
                        "only images can be packaged")
        _replace(element, etree.Element(xtag("span")))
    return used, warnings
