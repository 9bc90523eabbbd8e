"""EPUB content documents, accessibility: the repairs Ace by DAISY (axe-core) asks for.

Each pass works on one section's XHTML tree, after conversion and before links are resolved:

- heading levels that never skip: the file's <h1> is the part or chapter title, so its own
  headings start at <h2> and each goes at most one level below the one it sits under (the
  chapters of the handbook jump from the title to <h3>; axe: ``heading-order``);
- no empty heading (a stray ``##`` line; axe: ``empty-heading``): removed, its id kept;
- nothing focusable under ``aria-hidden`` (a figure caption hidden because it repeats the alt
  text, but holding a link; axe: ``aria-hidden-focus``): the caption is read after all;
- "References" sections are a bibliography (``doc-bibliography``), so readers can list them.
"""

from __future__ import annotations

import re

from lxml import etree

from handbook_build.render.epub_notes import remove_keeping_tail
from handbook_build.render.epub_xhtml import EPUB_TYPE, XHTML_NS, xtag

HEADING_TAGS = tuple(xtag(f"h{level}") for level in range(1, 7))
BIBLIOGRAPHY_TITLES = re.compile(
    r"^(references?|bibliography|works cited|literature cited|sources|citations)$", re.I)
_FOCUSABLE = frozenset(xtag(name) for name in ("a", "button", "input", "select", "textarea",
                                               "iframe", "audio", "video", "summary"))


def heading_level(element: etree._Element) -> int | None:
    if element.tag in HEADING_TAGS:
        return int(str(element.tag)[-1])
    return None


def heading_text(element: etree._Element) -> str:
    """What a screen reader announces: the text, else the alt or label of what it holds."""
    text = " ".join("".join(element.itertext()).split())
    if text:
        return text
    for inner in element.iter():
        label = inner.get("alt") or inner.get("aria-label") if isinstance(inner.tag, str) else ""
        if label and label.strip():
            return " ".join(label.split())
    return ""


def normalize_headings(root: etree._Element) -> None:
    """Renumber the headings under the file's first <h1> so that no level is skipped, keeping
    their relative nesting: a heading goes one level below the nearest shallower heading."""
    headings = [el for el in root.iter(*HEADING_TAGS)]
    if not headings:
        return
    title = headings[0] if headings[0].tag == xtag("h1") else None
    stack: list[tuple[int, int]] = []  # (original level, new level) of the open headings
    for heading in headings:
        if heading is title:
            continue
        original = heading_level(heading) or 2
        while stack and stack[-1][0] >= original:
            stack.pop()
        level = min(6, stack[-1][1] + 1 if stack else 2)
        stack.append((original, level))
        heading.tag = xtag(f"h{level}")


def remove_empty_headings(root: etree._Element) -> int:
    """Drop headings with nothing to announce; an id they carry moves to an empty span."""
    removed = 0
    for heading in [el for el in root.iter(*HEADING_TAGS) if not heading_text(el)]:
        parent = heading.getparent()
        if parent is None:
            continue
        replacement = etree.Element(xtag("span"))
        if heading.get("id"):
            replacement.set("id", str(heading.get("id")))
        replacement.tail = heading.tail
        if heading.get("id") or (heading.tail or "").strip():
            parent.replace(heading, replacement)
        else:
            remove_keeping_tail(heading)
        removed += 1
    return removed


def unhide_focusable(root: etree._Element) -> None:
    """``aria-hidden`` comes off an element that is or holds something focusable."""
    for element in [el for el in root.iter() if isinstance(el.tag, str)
                    and el.get("aria-hidden") == "true"]:
        if element.tag in _FOCUSABLE or any(inner.tag in _FOCUSABLE for inner in element.iter()):
            del element.attrib["aria-hidden"]


def mark_bibliographies(root: etree._Element) -> list[etree._Element]:
    """Sections headed "References" (and the like) -> epub:type bibliography, doc-bibliography.
    Returns them (the nav leaves them out: eleven chapters' "References" are noise there)."""
    found = []
    for section in root.iter(xtag("section")):
        if section is root:
            continue
        heading = next((child for child in section if child.tag in HEADING_TAGS), None)
        if heading is not None and BIBLIOGRAPHY_TITLES.match(heading_text(heading)):
            section.set(EPUB_TYPE, "bibliography")
            section.set("role", "doc-bibliography")
            found.append(section)
    return found


def is_xhtml(element: etree._Element) -> bool:
    return isinstance(element.tag, str) and element.tag.startswith(f"{{{XHTML_NS}}}")


def repair(root: etree._Element) -> None:
    """Every pass above, in the order they depend on each other."""
    remove_empty_headings(root)
    normalize_headings(root)
    unhide_focusable(root)
    mark_bibliographies(root)
