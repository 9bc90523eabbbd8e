"""A chapter's YAML front matter (Jekyll, Hugo, MyST, Quarto, Obsidian): metadata, never text.

The reader format has ``yaml_metadata_block`` off (a ``---`` line anywhere would open one), so
without this step a block such as::

    ---
    title: Getting started
    authors: [Ada, Grace]
    ---

would print as a paragraph of ``key: value`` text under a rule, or as a setext heading. Only a
block on the chapter's very first line, closed by ``---`` or ``...``, whose first entry is a YAML
``key:``, counts: a thematic break later in the chapter is prose. The block's lines become blank
lines (so every later warning keeps the line of the file as written); its ``title`` is read so
the duplicate-title check can see it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["FrontMatter", "front_matter_list", "split_front_matter"]

_OPEN = "---"
_CLOSERS = frozenset({"---", "..."})
_KEY = re.compile(r"^(?P<key>[A-Za-z_][\w-]*)[ \t]*:(?:[ \t]+(?P<value>.*?))?[ \t]*$")
_MAX_LINES = 500  # a front matter block is short; an unclosed `---` must not swallow a chapter


@dataclass(frozen=True, slots=True)
class FrontMatter:
    """The chapter with its front matter blanked out, and the scalar entries it held."""

    body: str
    fields: tuple[tuple[str, str], ...] = ()  # top-level `key: value` pairs, in order

    @property
    def title(self) -> str:
        return dict(self.fields).get("title", "")


def split_front_matter(text: str) -> FrontMatter:
    """``text`` without its leading YAML block (its lines kept, blank), or ``text`` as it is."""
    lines = text.split("\n")
    if not lines or lines[0].rstrip() != _OPEN:
        return FrontMatter(text)
    close = next((index for index in range(1, min(len(lines), _MAX_LINES))
                  if lines[index].rstrip() in _CLOSERS), None)
    if close is None or close == 1:
        return FrontMatter(text)
    entries = [line for line in lines[1:close]
               if line.strip() and not line.lstrip().startswith("#")]
    if not entries or _KEY.match(entries[0]) is None:
        return FrontMatter(text)  # a rule followed by prose, not metadata
    fields = tuple((match["key"], _scalar(match["value"] or ""))
                   for line in entries if (match := _KEY.match(line)) is not None)
    return FrontMatter("\n" * close + "\n" + "\n".join(lines[close + 1:]), fields)


def _scalar(value: str) -> str:
    """A YAML scalar as text: quotes removed; flow lists and block markers left as written."""
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def front_matter_list(text: str, key: str) -> tuple[str, ...]:
    """The strings of the front matter's top-level ``key``: a block list (``- item`` lines), a
    flow list (``[a, "b, c"]``) or one scalar; () when the chapter has no such entry."""
    if split_front_matter(text).body == text:
        return ()
    lines = text.split("\n")
    close = next(index for index in range(1, len(lines)) if lines[index].rstrip() in _CLOSERS)
    for index in range(1, close):
        match = _KEY.match(lines[index])
        if match is None or match["key"] != key:
            continue
        value = (match["value"] or "").strip()
        if value.startswith("["):
            return tuple(item for item in _flow_items(value.strip("[]")) if item)
        if value:
            return (_scalar(value),)
        items = []
        for line in lines[index + 1:close]:
            stripped = line.strip()
            if not stripped or stripped.startswith("#"):
                continue
            if not stripped.startswith("- "):
                break  # the next key
            items.append(_scalar(stripped[2:].strip()))
        return tuple(item for item in items if item)
    return ()


def _flow_items(inner: str) -> list[str]:
    """``a, "b, c", 'd'`` -> [a, b, c, d]: commas inside quotes are text."""
    items, current, quote = [], "", ""
    for char in inner:
        if quote:
            if char == quote:
                quote = ""
            else:
                current += char
        elif char in "\"'":
            quote = char
        elif char == ",":
            items.append(current.strip())
            current = ""
        else:
            current += char
    items.append(current.strip())
    return items
