"""EPUB content documents, footnotes: inline ``<span class="footnote">`` -> noteref + aside.

The HTML carries each note at its call site (the PDF floats it to the page bottom). EPUB 3
readers show a pop-up for ``epub:type="noteref"`` links to an ``<aside epub:type="footnote">``,
so each note moves to the end of its chapter, keeping the per-chapter number of the PDF.
"""

from __future__ import annotations

from lxml import etree

from handbook_build.render.epub_xhtml import EPUB_TYPE, xtag


def _is_footnote(element: etree._Element) -> bool:
    return element.tag == xtag("span") and "footnote" in (element.get("class") or "").split()


def _note_ids(span: etree._Element, slug: str, number: str) -> tuple[str, str]:
    """(aside id, noteref id): keep the id the HTML gave the note, so links to it still work."""
    note_id = span.get("id") or f"fn-{slug}-{number}"
    suffix = note_id[3:] if note_id.startswith("fn-") else note_id
    return note_id, f"fnref-{suffix}"


def _noteref(note_id: str, ref_id: str, number: str) -> etree._Element:
    anchor = etree.Element(xtag("a"))
    anchor.set(EPUB_TYPE, "noteref")
    anchor.set("role", "doc-noteref")
    anchor.set("class", "noteref")
    anchor.set("href", f"#{note_id}")
    anchor.set("id", ref_id)
    anchor.text = number
    return anchor


def _aside(span: etree._Element, note_id: str, ref_id: str, number: str) -> etree._Element:
    aside = etree.Element(xtag("aside"))
    aside.set(EPUB_TYPE, "footnote")
    aside.set("role", "doc-footnote")
    aside.set("class", "footnote")
    aside.set("id", note_id)
    paragraph = etree.SubElement(aside, xtag("p"))
    back = etree.SubElement(paragraph, xtag("a"))
    back.set("href", f"#{ref_id}")
    back.set("role", "doc-backlink")
    back.set("class", "footnote-back")
    back.text = f"{number}."
    back.tail = " " + (span.text or "").lstrip()
    for child in list(span):  # the note's inline content: emphasis, links, code
        paragraph.append(child)
    return aside


def remove_keeping_tail(element: etree._Element) -> None:
    """Remove ``element`` but keep the text that followed it."""
    parent = element.getparent()
    if parent is None:
        return
    previous = element.getprevious()
    if previous is not None:
        previous.tail = (previous.tail or "") + (element.tail or "")
    else:
        parent.text = (parent.text or "") + (element.tail or "")
    parent.remove(element)


def _place_noteref(span: etree._Element, noteref: etree._Element) -> None:
    """Put the noteref where the span was; after the enclosing link if any (no <a> in <a>)."""
    enclosing = next(span.iterancestors(xtag("a")), None)
    if enclosing is None:
        noteref.tail = span.tail
        parent = span.getparent()
        if parent is not None:
            parent.replace(span, noteref)
        return
    remove_keeping_tail(span)
    noteref.tail = enclosing.tail
    enclosing.tail = None
    enclosing.addnext(noteref)


def convert_footnotes(root: etree._Element, slug: str) -> int:
    """Turn every footnote span of ``root`` into a noteref; append the notes at its end.

    Returns the number of notes. Numbers come from ``data-n`` (per chapter, as in the PDF), or
    count from 1 when a span lacks one.
    """
    asides: list[etree._Element] = []
    for span in [el for el in root.iter() if _is_footnote(el)]:
        number = span.get("data-n") or str(len(asides) + 1)
        note_id, ref_id = _note_ids(span, slug, number)
        asides.append(_aside(span, note_id, ref_id, number))
        _place_noteref(span, _noteref(note_id, ref_id, number))
    if asides:
        container = etree.SubElement(root, xtag("div"))
        container.set("class", "footnotes")
        container.text = "\n"
        for aside in asides:
            aside.tail = "\n"
            container.append(aside)
    return len(asides)
