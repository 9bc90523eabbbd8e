"""The lines a label can sit on or name: ``(label)=``, a heading, an image, a table caption, and
the ``{#id}`` in their attribute blocks."""

from __future__ import annotations

import re

LABEL_LINE = re.compile(r"^ {0,3}\((?P<label>[^()\s]+)\)=[ \t]*$")
HEADING = re.compile(r"^(?P<hashes>#{1,6})[ \t]+(?P<text>.*?)"
                      r"(?:[ \t]+\{(?P<attrs>[^{}\n]*)\})?[ \t]*$")
IMAGE_LINE = re.compile(r"^(?P<lead>[ \t]*)!\[(?P<alt>(?:[^\[\]]|\[[^\[\]]*\])*)\]"
                         r"\((?P<src>[^()\n]*(?:\([^()\n]*\)[^()\n]*)*)\)"
                         r"(?:\{(?P<attrs>[^{}\n]*)\})?[ \t]*$")
TABLE_CAPTION = re.compile(r"^(?P<lead>(?:Table)?:[ \t]+)(?P<text>.*?)"
                            r"[ \t]*\{(?P<attrs>[^{}\n]*)\}[ \t]*$")
ID_ATTRIBUTE = re.compile(r"(?:^|\s)#(?P<id>[^\s{}]+)")


def attribute_id(attrs: str | None) -> str | None:
    match = ID_ATTRIBUTE.search(attrs or "")
    return match["id"] if match else None


def with_id(attrs: str | None, label: str, prefix: str = "") -> str:
    """The attribute block with ``label`` as its id (an id already written wins); ``prefix``
    (``slug--``) for blocks whose ids ``shift_headings`` does not prefix (figures, tables)."""
    if attrs is None:
        return f"{{#{prefix}{label}}}"
    written = attribute_id(attrs)
    if written is not None:
        return "{" + ID_ATTRIBUTE.sub(
            lambda m: m.group(0).replace("#" + written, f"#{prefix}{written}"), attrs,
            count=1) + "}"
    return f"{{#{prefix}{label} {attrs.strip()}}}"
