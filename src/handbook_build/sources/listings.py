"""Listing captions from every dialect, kept: a captioned code block becomes a ``listing`` div.

pandoc writes ```` ```{.python caption="Sum"} ````, Quarto ```` ```{.python lst-cap="Sum"} ````
or ``#| lst-cap: Sum`` cell options, MyST ``:caption: Sum`` under ```` ```{code-block} python ````,
MkDocs and mdBook ```` ```python title="sum.py" ````. fences.py drops what pandoc cannot read and
markdown_inert drops ``caption=`` (an unknown attribute), so this step runs before both and
rewrites the block as::

    ::: {#lst-sum .listing}
    [Sum]{.listing-caption}

    ```python
    ...
    ```
    :::

The caption is prose like any other (inert in ``<stem>.md``); the label (``#lst-x``,
``lst-label``, MyST ``:name:``) becomes the div's id. ``code_blocks.number_listings`` numbers
the listings of the whole book in order after pandoc ("Listing 3").
"""

from __future__ import annotations

import re

from handbook_build.sources.markdown_fix import Fixed
from handbook_build.sources.markdown_scan import split_code

__all__ = ["LISTING_CLASS", "mark_listings"]

LISTING_CLASS = "listing"
_OPENING = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>[^\n]*)$")
_CAPTION_KEY = re.compile(
    r"""(?:^|(?<=[\s{,]))(?P<key>caption|lst-cap|title|lst-label)=(?P<value>"[^"]*"|'[^']*'|[^\s{}"',]+)""")
_ID = re.compile(r"(?:^|(?<=[\s{]))#(?P<id>[A-Za-z][\w:.-]*)")
_OPTION = re.compile(
    r"^[ \t]*(?:(?:#|//|--|%)\|[ \t]*(?P<quarto>lst-cap|lst-label|label)[ \t]*:"
    r"|:(?P<myst>caption|name):)[ \t]*(?P<value>.*?)[ \t]*$")
_ANY_OPTION = re.compile(r"^[ \t]*(?:(?:#|//|--|%)\|.*|:[\w-]+:.*)$")
_SPECIAL = re.compile(r"([\[\]])")
_IDENTIFIER = re.compile(r"[^\w:.-]")


def mark_listings(text: str, path: str) -> Fixed:
    """Every code block with a caption as a ``listing`` div holding the caption and the block."""
    del path  # every dialect's caption is accepted
    if "```" not in text and "~~~" not in text:
        return Fixed(text)
    pieces = [_listing(segment.text) if segment.is_code else segment.text
              for segment in split_code(text)]
    return Fixed("".join(pieces))


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def _listing(block: str) -> str:
    first, newline, body = block.partition("\n")
    opening = _OPENING.match(first.rstrip("\r"))
    if opening is None or not newline or ">" in opening["indent"]:
        return block
    info = opening["info"]
    caption, ident = "", ""
    for match in _CAPTION_KEY.finditer(info):
        if match["key"] == "lst-label":
            ident = _unquote(match["value"])
        else:
            caption = caption or _unquote(match["value"])
    caption_info = _CAPTION_KEY.sub("", info)
    id_match = _ID.search(caption_info) if "{" in caption_info else None
    body_lines = body.split("\n")
    index = 0
    while index < len(body_lines) and _ANY_OPTION.match(body_lines[index]):
        option = _OPTION.match(body_lines[index])
        if option is not None:
            value = _unquote(option["value"])
            key = option["quarto"] or option["myst"]
            if key in ("lst-cap", "caption"):
                caption = caption or value
            else:
                ident = ident or value
        index += 1
    if not caption:
        return block
    if id_match is not None:
        ident = ident or id_match["id"]
        caption_info = _ID.sub("", caption_info)
    kept_options = [line for line in body_lines[:index] if _OPTION.match(line) is None]
    body = "\n".join([*kept_options, *body_lines[index:]])
    caption_info = re.sub(r"\{\s*\}", "", caption_info).rstrip()
    indent = opening["indent"]
    ident = _IDENTIFIER.sub("-", ident.lstrip("#"))
    attributes = f"#{ident} .{LISTING_CLASS}" if ident else f".{LISTING_CLASS}"
    trailing = "" if block.endswith("\n") else "\n"
    shown = _SPECIAL.sub(r"\\\1", caption)
    return (f"{indent}::: {{{attributes}}}\n{indent}[{shown}]"
            f"{{.listing-caption}}\n\n{indent}{opening['fence']}{caption_info}\n{body}"
            f"{trailing}{indent}:::\n")
