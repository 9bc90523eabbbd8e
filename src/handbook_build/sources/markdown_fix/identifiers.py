"""Heading identifiers, as pandoc's auto_identifiers extension makes them."""

from __future__ import annotations

import html
import re

from handbook_build.sources.markdown_fix.footnotes import NOTE

_CODE_SPAN = re.compile(r"(?P<ticks>`+)(?P<body>.+?)(?P=ticks)(?!`)")
_IMAGE_OR_LINK = re.compile(r"!?\[(?P<text>(?:[^\[\]]|\[[^\[\]]*\])*)\]"
                            r"(?:\((?:[^()]|\([^()]*\))*\)|\{[^{}]*\})")
_AUTOLINK = re.compile(r"<(?P<url>[A-Za-z][A-Za-z0-9+.-]{1,31}:[^<>\s]*|[^<>\s@]+@[^<>\s]+)>")
_HTML_TAG = re.compile(r"<!--.*?-->|</?[A-Za-z][^<>]*>", re.DOTALL)
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
# Delimiter runs are matched whole: "a*b **c**" has no emphasis around "b **".
UNDERSCORE_EMPHASIS = re.compile(
    r"(?<![\w\\_])(_{1,3})(?=[^\s_])(?P<body>.+?)(?<=[^\s\\_])\1(?![\w_])")
_ESCAPED_UNDERSCORE = "\ue000"  # a private-use stand-in for "\_" while emphasis is removed
_PLACEHOLDER = re.compile(r"\[Image not available: (?P<alt>(?:[^\[\]]|\[[^\[\]]*\])*)\]"
                          r"\{\.image-placeholder(?: title=\"[^\"]*\")?\}")


def pandoc_identifier(heading: str, note_prefix: str = "") -> str:
    """The id pandoc's ``auto_identifiers`` gives a heading with this Markdown text.

    pandoc stringifies the heading (formatting, links and HTML dropped; images give their alt
    text; code its content), lowercases it, keeps letters, digits, ``_-.`` and spaces, turns
    runs of spaces into ``-`` and drops everything before the first letter; ``section`` if
    nothing is left. Two quirks of pandoc's reader are kept: ``smart`` has already turned
    ``--``, ``---`` and ``...`` into dashes and an ellipsis (which are then dropped), and a note
    reference counts as its label (ids are made before notes are resolved). ``note_prefix``
    (``slug--``) is taken off relabelled notes, and an image-not-available placeholder counts
    as the image's alt text, so ids match those of the chapter as written.
    """
    parts: list[str] = []
    pos = 0
    for match in _CODE_SPAN.finditer(heading):
        parts.append(_stringify_prose(heading[pos:match.start()], note_prefix))
        parts.append(match["body"].strip())
        pos = match.end()
    parts.append(_stringify_prose(heading[pos:], note_prefix))
    plain = "".join(parts).lower()
    kept = "".join(c for c in plain if c.isalnum() or c in "_-." or c.isspace())
    ident = "-".join(kept.split())
    for index, char in enumerate(ident):
        if char.isalpha():
            return ident[index:]
    return "section"


def _stringify_prose(text: str, note_prefix: str) -> str:
    text = _PLACEHOLDER.sub(lambda m: m["alt"], text)
    text = NOTE.sub(lambda m: m["label"].removeprefix(note_prefix), text)
    previous = None
    while previous != text:  # links can hold images: peel one layer per round
        previous = text
        text = _IMAGE_OR_LINK.sub(lambda m: m["text"], text)
    text = _AUTOLINK.sub(lambda m: m["url"], text)
    text = _HTML_TAG.sub("", text)
    text = _ENTITY.sub(lambda m: html.unescape(m.group()), text)
    text = text.replace("\\_", _ESCAPED_UNDERSCORE)
    previous = None
    while previous != text:
        previous = text
        text = UNDERSCORE_EMPHASIS.sub(lambda m: m["body"], text)
    text = text.replace(_ESCAPED_UNDERSCORE, "_")
    return re.sub(r"---?|\.\.\.", "", text)  # smart punctuation: dashes and an ellipsis


def unique_identifier(ident: str, used: set[str]) -> str:
    """``ident``, or ``ident-1``, ``ident-2``, ... as pandoc numbers repeated ids; marks it used."""
    candidate, number = ident, 0
    while candidate in used:
        number += 1
        candidate = f"{ident}-{number}"
    used.add(candidate)
    return candidate
