"""The one bracket matcher of the project: ``[`` -> its ``]`` within a paragraph, linear however
many brackets stay unmatched."""

from __future__ import annotations

import functools


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
