"""Small pictures set inside a paragraph's text (a "Meet the team" page): a float or a row.

A web page puts a 100-pixel portrait in the middle of a bio's first line (``**Paul Allison -
USA, NY**![Paul](Paul.jpg) Author ...``); in a book the picture then stands on a line of its
own, or is set inside the line, and the bio's text jumps around it. Here, in the HTML every
edition is made from, a *small* picture (both sides at most ``SMALL_PX`` pixels, read from the
file's header) that shares its paragraph with text becomes a **headshot**: moved, with a link
that only wraps it, to the paragraph's start as ``<span class="headshot">`` (styles: a float
at the text's left, the bio beside it; the paragraph gets ``with-headshot``, which clears the
float before it). A paragraph holding only small pictures (and their names) becomes a **row**:
``<p class="headshot-row">`` of ``<span class="headshot-cell">`` each with the picture and its
name (title, else a meaningful alt text). Larger pictures, and pictures alone in their
paragraph, are left as they are.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import lxml.html
from lxml.html import HtmlElement

from handbook_build.sources.alt_text import meaningless_alt

SMALL_PX = 200  # a portrait or a badge, not a figure: at most this many pixels on each side
SizeOf = Callable[[str], tuple[int, int] | None]  # img src -> its pixel size, if known


def image_sizes(images: dict[str, Path]) -> SizeOf:
    """A SizeOf reading each file's header once (Pillow reads no pixel data for it)."""
    known: dict[str, tuple[int, int] | None] = {}

    def size_of(src: str) -> tuple[int, int] | None:
        if src not in known:
            known[src] = _read_size(images.get(src))
        return known[src]

    return size_of


def _read_size(path: Path | None) -> tuple[int, int] | None:
    if path is None:
        return None
    try:
        from PIL import Image

        with Image.open(path) as image:
            width, height = image.size
            return int(width), int(height)
    except (OSError, ValueError, ImportError):
        return None  # an SVG, an unreadable file: not judged small


def mark_headshots(section: HtmlElement, size_of: SizeOf) -> int:
    """Set the small in-text pictures of ``section`` as headshots or rows; how many."""
    count = 0
    for paragraph in list(section.iter("p")):
        small = [image for image in paragraph.iter("img") if _is_small(image, size_of)]
        if not small:
            continue
        pieces = [_piece(image, paragraph) for image in small]
        rest = paragraph.text_content()
        for piece in pieces:
            rest = rest.replace(piece.text_content(), "", 1)
        names = [_name(image) for image in small]
        leftover = rest
        for name in names:
            leftover = leftover.replace(name, "", 1)
        if len(small) >= 2 and not leftover.strip(" \t\n|,\u00b7\u2013-"):
            _as_row(paragraph, pieces, names)
        elif rest.strip():
            _as_floats(paragraph, pieces)
        else:
            continue  # one picture alone: a figure of its own, as base.css sets it
        count += len(small)
    return count


def _is_small(image: HtmlElement, size_of: SizeOf) -> bool:
    size = size_of(image.get("src") or "")
    return size is not None and max(size) <= SMALL_PX


def _piece(image: HtmlElement, paragraph: HtmlElement) -> HtmlElement:
    """The image, or the link around it when the link holds nothing else."""
    parent = image.getparent()
    if (parent is not None and parent is not paragraph and parent.tag == "a"
            and len(parent) == 1 and not parent.text_content().strip()):
        return parent
    return image


def _name(image: HtmlElement) -> str:
    title = " ".join((image.get("title") or "").split())
    if title:
        return title
    alt = " ".join((image.get("alt") or "").split())
    return "" if meaningless_alt(alt, image.get("src") or "") else alt


def _detach(element: HtmlElement) -> None:
    """Remove ``element`` from the tree, keeping its tail text in place."""
    parent = element.getparent()
    if parent is None:
        return
    tail = element.tail
    element.tail = None
    previous = element.getprevious()
    if tail:
        if previous is not None:
            previous.tail = (previous.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(element)


def _as_floats(paragraph: HtmlElement, pieces: list[HtmlElement]) -> None:
    for piece in reversed(pieces):
        _detach(piece)
        holder = lxml.html.Element("span", {"class": "headshot"})
        holder.append(piece)
        holder.tail = paragraph.text
        paragraph.text = None
        paragraph.insert(0, holder)
    # The text that followed a picture at the paragraph's start may begin with a space.
    first_tail = paragraph[len(pieces) - 1].tail
    if first_tail:
        paragraph[len(pieces) - 1].tail = first_tail.lstrip()
    _add_class(paragraph, "with-headshot")


def _as_row(paragraph: HtmlElement, pieces: list[HtmlElement], names: list[str]) -> None:
    for piece in pieces:
        _detach(piece)
    for child in list(paragraph):
        paragraph.remove(child)
    paragraph.text = None
    for piece, name in zip(pieces, names, strict=True):
        cell = lxml.html.Element("span", {"class": "headshot-cell"})
        cell.append(piece)
        if name:
            label = lxml.html.Element("span", {"class": "headshot-name"})
            label.text = name
            cell.append(label)
        cell.tail = " "
        paragraph.append(cell)
    _add_class(paragraph, "headshot-row")


def _add_class(element: HtmlElement, name: str) -> None:
    classes = (element.get("class") or "").split()
    if name not in classes:
        element.set("class", " ".join([*classes, name]))
