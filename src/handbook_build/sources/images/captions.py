"""WordPress ``[caption]...[/caption]`` shortcodes turned into Markdown figures."""

from __future__ import annotations

import re

from handbook_build.sources.images.placeholders import escape_markdown, file_label, placeholder
from handbook_build.sources.images.walk import (
    IMG_TAG,
    ImageWalk,
    html_attribute,
    html_unescape,
    resolve_asset,
    shorten,
)
from handbook_build.sources.markdown_scan import find_inline_links

CAPTION = re.compile(r"\[caption\b[^\]]*\](?P<body>.*?)\[/caption\]", re.DOTALL | re.IGNORECASE)
_HTML_LINK_AROUND = re.compile(r"<a\b[^>]*>\s*(<img\b[^>]*>)\s*</a\s*>", re.IGNORECASE)


def caption_edit(walk: ImageWalk, caption: re.Match[str]) -> tuple[int, int, str]:
    """``[caption ...]<image> caption text[/caption]`` -> a figure paragraph ``![text](src)``."""
    text = walk.text
    body_start, body_end = caption.start("body"), caption.end("body")
    image = _caption_image(walk, body_start, body_end)
    if image is None:
        walk.warn(
            caption.start(),
            "caption-shortcode",
            "WordPress [caption] shortcode without an image; kept its text",
            "remove the [caption] shortcode from the source",
        )
        return caption.start(), caption.end(), text[body_start:body_end].strip()
    src, alt, title, image_end, dropped_href = image
    caption_text = " ".join(text[image_end:body_end].split()) or " ".join(alt.split())
    if not _balanced_brackets(caption_text):
        caption_text = escape_markdown(caption_text)
    dropped = f"; its link to {shorten(dropped_href)} was dropped" if dropped_href else ""
    walk.warn(
        caption.start(),
        "caption-shortcode",
        f"WordPress [caption] shortcode turned into a figure{dropped}",
        "write the figure as ![caption](src) on its own paragraph in the source",
    )
    asset = resolve_asset(walk, src, caption.start())
    if asset is None:
        figure = placeholder(_plain(caption_text) or file_label(src), src)
    else:
        title_part = f' "{title}"' if title else ""
        figure = f"![{caption_text}]({asset.src}{title_part})"
    return _as_paragraph(text, caption.start(), caption.end(), figure)


def _caption_image(
    walk: ImageWalk, start: int, end: int
) -> tuple[str, str, str | None, int, str | None] | None:
    """(src, alt, title, end of the image, href of a link around it) at the body's start."""
    text, masked = walk.text, walk.masked
    lead = start + len(text[start:end]) - len(text[start:end].lstrip())
    links = find_inline_links(text, lead, end, masked)
    first = links[0] if links and links[0].start == lead else None
    if first is not None and first.is_image:
        alt = text[first.text_start : first.text_end]
        return first.destination, alt, first.title, first.end, None
    if first is not None:
        inner = find_inline_links(text, first.text_start, first.text_end, masked)
        if len(inner) == 1 and inner[0].is_image:
            image = inner[0]
            alt = text[image.text_start : image.text_end]
            return image.destination, alt, image.title, first.end, first.destination
    return _caption_html_image(walk, lead, end)


def _caption_html_image(
    walk: ImageWalk, lead: int, end: int
) -> tuple[str, str, str | None, int, str | None] | None:
    """The ``<img>`` (maybe wrapped in ``<a>``) opening a caption body."""
    text, masked = walk.text, walk.masked
    tag = _HTML_LINK_AROUND.match(masked, lead, end) or IMG_TAG.match(masked, lead, end)
    if tag is None:
        return None
    img = IMG_TAG.search(masked, tag.start(), tag.end())
    assert img is not None  # both patterns contain an <img>
    src = html_attribute(text, img, "src")
    if src is None:
        return None
    alt = html_attribute(text, img, "alt")
    title = html_attribute(text, img, "title")
    return (
        html_unescape(src[0]),
        html_unescape(alt[0]) if alt else "",
        html_unescape(title[0]) if title else None,
        tag.end(),
        None,
    )


def _as_paragraph(text: str, start: int, end: int, block: str) -> tuple[int, int, str]:
    """Replace text[start:end] by ``block`` standing alone in its paragraph (a pandoc figure)."""
    before = text[:start].rstrip(" \t")
    start = len(before)
    end += len(text[end:]) - len(text[end:].lstrip(" \t"))
    return start, end, _separator(before, leading=True) + block + _separator(text[end:], False)


def _separator(neighbour: str, leading: bool) -> str:
    """The line breaks that make a blank line between ``neighbour`` and the new paragraph."""
    if not neighbour.strip():
        return ""  # start or end of the document
    edge = neighbour[-2:] if leading else neighbour[:2]
    if edge == "\n\n":
        return ""
    touching = edge[-1:] if leading else edge[:1]  # the character next to the new paragraph
    return "\n" if touching == "\n" else "\n\n"


def _balanced_brackets(text: str) -> bool:
    depth = 0
    for char in re.sub(r"\\.", "", text):
        depth += {"[": 1, "]": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0


def _plain(markdown: str) -> str:
    """Rough plain text of inline Markdown, for a placeholder's label."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", markdown)
    return re.sub(r"\\(.)", r"\1", text)
