"""Code-aware scanning of one chapter's Markdown (shared by the source-normalizing stage).

Every transform of chapter text (link and image rewriting, heading and footnote fixes) must leave
code alone: a URL or ``[x](y)`` shown inside a code span or block is an example, not a link.
``split_code`` cuts a document into prose and code segments; joining the segments' text gives the
input back exactly, so callers can rewrite the prose segments and join again.

The rules follow CommonMark closely enough for real books, erring towards *prose* when unsure
(a missed code block only risks rewriting an example; a false one hides real links):

* fenced blocks: a line of 3+ backticks or tildes (up to 3 spaces of indentation, or any
  indentation inside a list item) up to a closing fence of the same character at least as long;
  a fence never closed is literal text (as pandoc, the reader that matters, treats it);
* indented blocks: lines indented 4+ columns, only after a blank line; inside a list item they
  must be indented 4 more than the item's text (4-space list continuation lines are prose);
* inline code spans: a run of N backticks up to the next run of exactly N backticks in the
  same paragraph; when there is none, the first backtick is literal and the rest of the run is
  tried again (pandoc's rule; CommonMark would make the whole run literal).
"""

from __future__ import annotations

import bisect
import functools
import re
from dataclasses import dataclass

__all__ = [
    "InlineLink",
    "Segment",
    "column_of",
    "find_inline_links",
    "is_escaped",
    "line_of",
    "mask_code",
    "matching_bracket",
    "split_code",
    "unescape_markdown",
]


@dataclass(frozen=True, slots=True)
class Segment:
    """A slice of the input: prose or code (a fenced/indented block or an inline code span)."""

    text: str
    is_code: bool
    start_line: int  # 1-based line of the segment's first character
    offset: int = 0  # index of the segment's first character in the input


_FENCE_OPEN = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
_LIST_MARKER = re.compile(r"^[ \t]{0,3}(?:[-+*]|\d{1,9}[.)])(?:[ \t]|$)")
_BLANK_LINE = re.compile(r"\n[ \t]*\n")
_BACKTICKS = re.compile(r"`+")


def line_of(text: str, offset: int) -> int:
    """The 1-based line number of ``text[offset]`` (an offset at len(text) is the last line)."""
    return text.count("\n", 0, max(0, offset)) + 1


def column_of(text: str, offset: int) -> int:
    """The 1-based column (in characters) of ``text[offset]`` within its line."""
    offset = max(0, min(offset, len(text)))
    return offset - (text.rfind("\n", 0, offset) + 1) + 1


def _indent_width(line: str) -> int:
    """Leading whitespace in columns, tabs advancing to the next multiple of 4 (CommonMark)."""
    width = 0
    for char in line:
        if char == " ":
            width += 1
        elif char == "\t":
            width += 4 - width % 4
        else:
            break
    return width


def _is_blank(line: str) -> bool:
    return not line.strip()


def _fence_opening(line: str, in_list: bool) -> tuple[str, int] | None:
    """(fence char, fence length) if ``line`` opens a fenced block, else None."""
    match = _FENCE_OPEN.match(line.rstrip("\r\n"))
    if match is None:
        return None
    # Deeper indentation is only a fence inside a list item (nested code in a list).
    if _indent_width(match["indent"]) > 3 and not in_list:
        return None
    fence = match["fence"]
    if fence[0] == "`" and "`" in match["info"]:
        return None  # CommonMark: a backtick fence's info string may not contain backticks
    return fence[0], len(fence)


def _closes_fence(line: str, char: str, length: int) -> bool:
    # Any indentation may close: a fence opened inside a list item closes at the item's indent,
    # and closing early errs towards prose.
    stripped = line.strip()
    return len(stripped) >= length and set(stripped) == {char}


def _block_spans(lines: list[str]) -> list[tuple[int, int]]:
    """Half-open line ranges [first, last) of fenced and indented code blocks."""
    spans: list[tuple[int, int]] = []
    in_list = False
    item_indent = 0  # where the text of the latest list item starts (its continuation indent)
    prev_blank = True  # the start of the document counts as a blank line
    index = 0
    while index < len(lines):
        line = lines[index]
        opening = _fence_opening(line, in_list)
        if opening is not None:
            end = index + 1
            while end < len(lines) and not _closes_fence(lines[end], *opening):
                end += 1
            # pandoc reads a fence that is never closed as literal text, not as code.
            if end < len(lines):
                spans.append((index, end + 1))
                index, prev_blank = end + 1, False
                continue
        if _is_blank(line):
            prev_blank = True
            index += 1
            continue
        indent = _indent_width(line)
        code_indent = item_indent + 4 if in_list else 4
        if indent >= code_indent and prev_blank:
            end = index + 1
            while end < len(lines) and (_is_blank(lines[end]) or _indent_width(lines[end]) >= 4):
                end += 1
            while end > index + 1 and _is_blank(lines[end - 1]):
                end -= 1  # trailing blank lines belong to the prose after the block
            spans.append((index, end))
            index, prev_blank = end, False
            continue
        marker = _LIST_MARKER.match(line)
        if marker is not None:
            in_list = True
            item_indent = _item_content_indent(line, marker.end())
        elif indent < 2 and prev_blank:
            in_list = False  # an unindented paragraph after a blank line ends the list
        prev_blank = False
        index += 1
    return spans


def _item_content_indent(line: str, marker_end: int) -> int:
    """Column where a list item's text starts: lines indented 4 more are code (CommonMark)."""
    text_start = len(line[:marker_end].expandtabs(4))  # the marker and one space
    rest = line[marker_end:].rstrip("\r\n")
    spaces = len(rest) - len(rest.lstrip(" "))
    # "-     code" (5+ spaces) starts the item with indented code: the text column is marker + 1.
    return text_start + (spaces if spaces < 4 and rest.strip() else 0)


def _inline_code_spans(text: str, base: int) -> list[tuple[int, int]]:
    """Absolute [start, end) spans of inline code (delimiters included) in a prose chunk."""
    spans: list[tuple[int, int]] = []
    # Paragraph ends bound code spans: a backtick run never matches across a blank line.
    para_ends = [m.start() for m in _BLANK_LINE.finditer(text)] + [len(text)]
    pos = 0
    while True:
        opener = _BACKTICKS.search(text, pos)
        if opener is None:
            return spans
        start = opener.start()
        if is_escaped(text, start):
            # "\`" is a literal backtick; the rest of the run may still open a span.
            pos = start + 1
            continue
        limit = para_ends[bisect.bisect_left(para_ends, start)]
        closer = _matching_run(text, opener.end(), limit, len(opener.group()))
        if closer is None:
            # pandoc (unlike CommonMark) then reads one backtick as literal text and tries again
            # with the rest of the run: "``b` c" is a literal "`" and the code span "`b`".
            pos = start + 1
            continue
        spans.append((base + start, base + closer))
        pos = closer


def _matching_run(text: str, pos: int, limit: int, length: int) -> int | None:
    """End of the next backtick run of exactly ``length`` in text[pos:limit], or None."""
    for run in _BACKTICKS.finditer(text, pos, limit):
        if len(run.group()) == length:
            return run.end()
    return None


def is_escaped(text: str, index: int) -> bool:
    backslashes = 0
    while index - backslashes - 1 >= 0 and text[index - backslashes - 1] == "\\":
        backslashes += 1
    return backslashes % 2 == 1


def _code_spans(text: str) -> list[tuple[int, int]]:
    """All code regions of ``text`` as sorted, disjoint absolute [start, end) offsets."""
    lines = text.splitlines(keepends=True)
    line_starts = [0]
    for line in lines:
        line_starts.append(line_starts[-1] + len(line))
    spans: list[tuple[int, int]] = []
    prose_start = 0
    for first, last in _block_spans(lines):
        block_start, block_end = line_starts[first], line_starts[last]
        spans += _inline_code_spans(text[prose_start:block_start], prose_start)
        spans.append((block_start, block_end))
        prose_start = block_end
    spans += _inline_code_spans(text[prose_start:], prose_start)
    return spans


def split_code(text: str) -> list[Segment]:
    """Cut ``text`` into alternating prose and code segments; ``"".join`` gives ``text`` back."""
    segments: list[Segment] = []
    pos = 0
    line = 1
    for start, end in _code_spans(text):
        if start > pos:
            segments.append(Segment(text[pos:start], False, line, pos))
            line += text.count("\n", pos, start)
        segments.append(Segment(text[start:end], True, line, start))
        line += text.count("\n", start, end)
        pos = end
    if pos < len(text):
        segments.append(Segment(text[pos:], False, line, pos))
    return segments


def mask_code(text: str, fill: str = "x") -> str:
    """``text`` with every code character except newlines replaced by ``fill``.

    The result has the same length and line structure as the input, so a regex run over it finds
    prose constructs (even ones that enclose a code span, like ``[`x`](url)``) at offsets valid in
    the original text, and never finds anything inside code.
    """
    parts: list[str] = []
    for segment in split_code(text):
        if segment.is_code:
            parts.append(re.sub(r"[^\n]", fill, segment.text))
        else:
            parts.append(segment.text)
    return "".join(parts)


# --- inline links and images -------------------------------------------------------------------


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


def matching_bracket(masked: str, open_at: int, hi: int) -> int | None:
    """Index of the ``]`` closing ``masked[open_at]``, within one paragraph and before ``hi``,
    or None. The one bracket matcher of the project (link scanning, reference rewriting):
    linear however many brackets stay unmatched."""
    close = _bracket_pairs(masked).get(open_at)
    return close if close is not None and close < hi else None


@functools.lru_cache(maxsize=8)
def _bracket_pairs(masked: str) -> dict[int, int]:
    """``[`` offset -> matching ``]`` offset for a whole text, in one pass.

    Computed once per text (callers scan the same text repeatedly) so that many unmatched
    brackets cost linear, not quadratic, time. Link text never spans paragraphs, so a blank
    line forgets every open bracket; escaped brackets never count.
    """
    pairs: dict[int, int] = {}
    stack: list[int] = []
    index = 0
    length = len(masked)
    while index < length:
        char = masked[index]
        if char == "\\":
            index += 2
            continue
        if char == "[":
            stack.append(index)
        elif char == "]" and stack:
            pairs[stack.pop()] = index
        elif char == "\n" and stack and _blank_line_follows(masked, index, length):
            stack.clear()
        index += 1
    return pairs


def _blank_line_follows(masked: str, newline_at: int, hi: int) -> bool:
    index = newline_at + 1
    while index < hi and masked[index] in " \t\r":
        index += 1
    return index >= hi or masked[index] == "\n"


@functools.lru_cache(maxsize=8)
def _paragraph_breaks(masked: str) -> list[int]:
    """Sorted offsets of the newlines that start a blank line (paragraph ends), plus the end."""
    return [m.start() for m in _BLANK_LINE.finditer(masked)] + [len(masked)]


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
