"""Code blocks (fenced, indented) and inline code spans: the text cut into prose and code
segments, or the code masked out at the same offsets."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from handbook_build.sources.markdown_scan.positions import is_escaped


@dataclass(frozen=True, slots=True)
class Segment:
    """A slice of the input: prose or code (a fenced/indented block or an inline code span)."""

    text: str
    is_code: bool
    start_line: int  # 1-based line of the segment's first character
    offset: int = 0  # index of the segment's first character in the input


_FENCE_OPEN = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
_LIST_MARKER = re.compile(r"^[ \t]{0,3}(?:[-+*]|\d{1,9}[.)])(?:[ \t]|$)")
BLANK_LINE = re.compile(r"\n[ \t]*\n")
_BACKTICKS = re.compile(r"`+")


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
    para_ends = [m.start() for m in BLANK_LINE.finditer(text)] + [len(text)]
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
