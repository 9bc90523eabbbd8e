"""Inline links and images ``[text](dest "title")`` / ``![alt](src "title")`` in prose, read as
pandoc reads them."""

from __future__ import annotations

import bisect
import functools
import re
from dataclasses import dataclass

from handbook_build.sources.markdown_scan.brackets import matching_bracket
from handbook_build.sources.markdown_scan.code import BLANK_LINE, mask_code
from handbook_build.sources.markdown_scan.positions import is_escaped


@dataclass(frozen=True, slots=True)
class InlineLink:
    """One inline link ``[text](dest "title")`` or image ``![alt](src "title")``.

    Offsets index the scanned text: ``start:end`` is the whole construct (the ``!`` included),
    ``text_start:text_end`` what is between the brackets, ``dest_start:dest_end`` the destination
    as written (angle brackets included). ``destination`` is unescaped and without ``<>``.
    """

    start: int
    end: int
    is_image: bool
    text_start: int
    text_end: int
    dest_start: int
    dest_end: int
    destination: str
    title: str | None


_ESCAPABLE = re.compile(r"\\([!-/:-@\[-`{-~])")
# pandoc has no "(title)" form: "(" after a space continues the destination.
_TITLE_CLOSERS = {'"': '"', "'": "'"}


def unescape_markdown(text: str) -> str:
    """Remove Markdown backslash escapes of ASCII punctuation (``\\_`` -> ``_``)."""
    return _ESCAPABLE.sub(r"\1", text)


def find_inline_links(
    text: str, start: int = 0, end: int | None = None, masked: str | None = None
) -> list[InlineLink]:
    """The outermost inline links and images in ``text[start:end]``, outside code, in order.

    Constructs nested in a link's text (``[![alt](src)](href)``) are not listed: call again on
    ``text_start:text_end``. Pass ``masked=mask_code(text)`` when scanning one text repeatedly.
    """
    masked = mask_code(text) if masked is None else masked
    end = len(text) if end is None else end
    found: list[InlineLink] = []
    index = start
    while index < end:
        char = masked[index]
        if char == "\\":
            index += 2  # an escaped character never opens anything
            continue
        if char == "[":
            link = _link_at(text, masked, index, start, end)
            if link is not None:
                found.append(link)
                index = link.end
                continue
        index += 1
    return found


def _link_at(text: str, masked: str, open_at: int, lo: int, hi: int) -> InlineLink | None:
    close = matching_bracket(masked, open_at, hi)
    if close is None or close + 1 >= hi or masked[close + 1] != "(":
        return None
    parsed = _destination_and_title(text, masked, close + 2, hi)
    if parsed is None:
        return None
    dest_start, dest_end, destination, title, end = parsed
    is_image = open_at > lo and masked[open_at - 1] == "!" and not is_escaped(masked, open_at - 1)
    return InlineLink(
        start=open_at - 1 if is_image else open_at,
        end=end,
        is_image=is_image,
        text_start=open_at + 1,
        text_end=close,
        dest_start=dest_start,
        dest_end=dest_end,
        destination=destination,
        title=title,
    )


@functools.lru_cache(maxsize=8)
def _paragraph_breaks(masked: str) -> list[int]:
    """Sorted offsets of the newlines that start a blank line (paragraph ends), plus the end."""
    return [m.start() for m in BLANK_LINE.finditer(masked)] + [len(masked)]


def _skip_space(masked: str, index: int, hi: int) -> tuple[int, bool]:
    """Skip spaces and at most one line break; (new index, whether anything was skipped)."""
    begin = index
    newline_seen = False
    while index < hi and masked[index] in " \t\r\n":
        if masked[index] == "\n":
            if newline_seen:
                break
            newline_seen = True
        index += 1
    return index, index > begin


def _destination_and_title(
    text: str, masked: str, index: int, hi: int
) -> tuple[int, int, str, str | None, int] | None:
    """Parse ``dest "title")`` from ``index``: (dest start, dest end, dest, title, end)."""
    index, _ = _skip_space(masked, index, hi)
    dest_start = index
    if index < hi and masked[index] == "<":
        close = _angle_destination_end(masked, index, hi)
        if close is None:
            return None
        destination = text[index + 1 : close]
        index = close + 1
    else:
        index = _bare_destination_end(masked, index, hi)
        destination = " ".join(text[dest_start:index].split())  # pandoc collapses inner spaces
    dest_end = index
    index, spaced = _skip_space(masked, index, hi)
    title: str | None = None
    if index < hi and masked[index] in _TITLE_CLOSERS and (spaced or dest_end == dest_start):
        title_end = _title_end(masked, index, hi)
        if title_end is None:
            return None
        title = text[index + 1 : title_end - 1]
        index = title_end
        while index < hi and masked[index] in " \t":
            index += 1  # pandoc allows no line break between the title and ")"
    if index >= hi or masked[index] != ")":
        return None
    return dest_start, dest_end, unescape_markdown(destination), title, index + 1


def _angle_destination_end(masked: str, index: int, hi: int) -> int | None:
    index += 1
    while index < hi:
        char = masked[index]
        if char == "\\":
            index += 2
            continue
        if char == ">":
            return index
        if char in "<\n":
            return None
        index += 1
    return None


def _bare_destination_end(masked: str, index: int, hi: int) -> int:
    """End of a destination without ``<>``: balanced parentheses, no line breaks.

    Like pandoc (the reader that matters here), a run of spaces belongs to the destination
    unless a title quote, ``)`` or the line's end follows it: ``[a](my file.md)`` is a link.
    """
    depth = 0
    while index < hi:
        char = masked[index]
        if char == "\\" and index + 1 < hi:
            index += 2
            continue
        if char in " \t":
            after = index
            while after < hi and masked[after] in " \t":
                after += 1
            if after >= hi or masked[after] in "\"')\r\n":
                break
            index = after
            continue
        if char.isspace() or ord(char) < 0x20:
            break
        if char == "(":
            depth += 1
        elif char == ")":
            if depth == 0:
                break
            depth -= 1
        index += 1
    return index


def _title_end(masked: str, index: int, hi: int) -> int | None:
    """Index just past the title opened at ``index`` (titles may span lines, not paragraphs)."""
    closer = _TITLE_CLOSERS[masked[index]]
    breaks = _paragraph_breaks(masked)
    limit = min(hi, breaks[bisect.bisect_left(breaks, index)])
    position = masked.find(closer, index + 1, limit)  # str.find: C speed on long paragraphs
    while position != -1 and is_escaped(masked, position):
        position = masked.find(closer, position + 1, limit)
    return None if position == -1 else position + 1
