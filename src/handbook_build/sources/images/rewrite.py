"""Rewriting one chapter's images: ``![alt](src)`` and raw ``<img src>`` pointed at the local
file (relative to the output folder) or replaced by a placeholder; alt text checked."""

from __future__ import annotations

import re
from dataclasses import dataclass

from handbook_build.model import Diagnostic, ImageAsset
from handbook_build.sources.alt_text import meaningless_alt
from handbook_build.sources.images.captions import CAPTION, caption_edit
from handbook_build.sources.images.placeholders import placeholder, placeholder_label
from handbook_build.sources.images.walk import (
    IMG_TAG,
    ImageContext,
    ImageWalk,
    html_attribute,
    html_unescape,
    resolve_asset,
)
from handbook_build.sources.markdown_scan import InlineLink, find_inline_links, mask_code


@dataclass(frozen=True, slots=True)
class ImageResult:
    markdown: str
    assets: tuple[ImageAsset, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = ()
    unresolved: tuple[str, ...] = ()  # srcs as written that have no usable local file


def rewrite_images(markdown: str, ctx: ImageContext) -> ImageResult:
    """Rewrite every image of one chapter's prose (see the images package docstring)."""
    walk = ImageWalk(markdown, mask_code(markdown), ctx)
    edits: list[tuple[int, int, str]] = []
    pos = 0
    for caption in CAPTION.finditer(walk.masked):
        edits += _images_in(walk, pos, caption.start())
        edits.append(caption_edit(walk, caption))
        pos = caption.end()
    edits += _images_in(walk, pos, len(markdown))
    return ImageResult(
        markdown=_apply(markdown, edits),
        assets=tuple(walk.assets.values()),
        diagnostics=tuple(walk.diagnostics),
        unresolved=tuple(walk.unresolved),
    )


def _apply(text: str, edits: list[tuple[int, int, str]]) -> str:
    parts: list[str] = []
    pos = 0
    for start, end, replacement in sorted(edits):
        parts.append(text[pos:start])
        parts.append(replacement)
        pos = end
    parts.append(text[pos:])
    return "".join(parts)


def _images_in(walk: ImageWalk, start: int, end: int) -> list[tuple[int, int, str]]:
    """Edits for the Markdown images (also inside link texts) and ``<img>`` tags in a range."""
    edits: list[tuple[int, int, str]] = []
    covered = start
    for link in find_inline_links(walk.text, start, end, walk.masked):
        edits += _img_tag_edits(walk, covered, link.start)
        if link.is_image:
            edits.append((link.start, link.end, _markdown_image(walk, link)))
        else:
            edits += _images_in(walk, link.text_start, link.text_end)  # [![alt](src)](href)
        covered = link.end
    edits += _img_tag_edits(walk, covered, end)
    return edits


def unescape_alt(alt: str) -> str:
    """The alt text as read (backslash escapes and emphasis marks do not describe anything)."""
    return re.sub(r"\\(.)", r"\1", alt).strip("*_ ")


def _markdown_image(walk: ImageWalk, link: InlineLink) -> str:
    text = walk.text
    alt = text[link.text_start : link.text_end]
    if not alt.strip():
        walk.warn(
            link.start,
            "missing-alt",
            f"image without alt text: {link.destination}",
            "describe the image in ![...] for readers who cannot see it",
        )
    elif why := meaningless_alt(unescape_alt(alt), link.destination):
        walk.warn(link.start, "meaningless-alt",
                  f"alt text says nothing ({why}): {link.destination}",
                  "describe what the image shows in ![...]; the EPUB does not count it as "
                  "described")
    asset = resolve_asset(walk, link.destination, link.start)
    if asset is None:
        return placeholder(placeholder_label(alt, link.title, link.destination), link.destination)
    return text[link.start : link.dest_start] + asset.src + text[link.dest_end : link.end]


def _img_tag_edits(walk: ImageWalk, start: int, end: int) -> list[tuple[int, int, str]]:
    edits: list[tuple[int, int, str]] = []
    for tag in IMG_TAG.finditer(walk.masked, start, end):
        src = html_attribute(walk.text, tag, "src")
        alt = html_attribute(walk.text, tag, "alt")
        alt_text = html_unescape(alt[0]) if alt is not None else ""
        if src is None:
            continue
        if not alt_text.strip():
            walk.warn(
                tag.start(),
                "missing-alt",
                f"image without alt text: {src[0]}",
                'add alt="..." describing the image',
            )
        elif why := meaningless_alt(alt_text, html_unescape(src[0])):
            walk.warn(tag.start(), "meaningless-alt",
                      f"alt text says nothing ({why}): {src[0]}",
                      'describe what the image shows in alt="..."; the EPUB does not count it '
                      "as described")
        asset = resolve_asset(walk, html_unescape(src[0]), tag.start())
        if asset is None:
            title = html_attribute(walk.text, tag, "title")
            label = placeholder_label(alt_text, html_unescape(title[0]) if title else None, src[0])
            edits.append((tag.start(), tag.end(), placeholder(label, html_unescape(src[0]))))
        else:
            value_start, value_end, quoted = src[1], src[2], src[3]
            new_value = asset.src if quoted else f'"{asset.src}"'
            edits.append((value_start, value_end, new_value))
    return edits
