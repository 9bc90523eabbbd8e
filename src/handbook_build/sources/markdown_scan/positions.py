"""Where an offset is in a text (1-based line and column), and whether a backslash escapes it."""

from __future__ import annotations


def line_of(text: str, offset: int) -> int:
    """The 1-based line number of ``text[offset]`` (an offset at len(text) is the last line)."""
    return text.count("\n", 0, max(0, offset)) + 1


def column_of(text: str, offset: int) -> int:
    """The 1-based column (in characters) of ``text[offset]`` within its line."""
    offset = max(0, min(offset, len(text)))
    return offset - (text.rfind("\n", 0, offset) + 1) + 1


def is_escaped(text: str, index: int) -> bool:
    backslashes = 0
    while index - backslashes - 1 >= 0 and text[index - backslashes - 1] == "\\":
        backslashes += 1
    return backslashes % 2 == 1
