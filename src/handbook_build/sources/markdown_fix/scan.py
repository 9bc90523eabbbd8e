"""Shared line classification: one code-aware look at a text (code masked out, code-block lines
known), and the patterns that tell which block a line opens.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from handbook_build.sources.markdown_scan import split_code

ATX = re.compile(r"^(?P<hashes>#{1,6})(?:[ \t]+(?P<rest>.*?))?[ \t]*$")
ATX_STRICT = re.compile(r"^#{1,6}(?:[ \t]|$)")
LIST_ITEM = re.compile(r"^[ \t]*(?:[-+*]|\d{1,9}[.)]|#\.)(?:[ \t]|$)")
# Lines that open some other block: quote, table, HTML, reference or note definition, rule.
BLOCK_START = re.compile(r"^[ \t]*(?:[>|<]|\[\^?[^\]]*\]:)|^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")


def blank(line: str) -> bool:
    return not line.strip()


_FENCE_LINE = re.compile(r"^[ \t]*(?:`{3,}[^`\n]*|~{3,}[^\n]*)$")


@dataclass(frozen=True, slots=True)
class CodeScan:
    """One code-aware look at a text: code masked out, and which lines are code blocks."""

    masked: str  # the text with code characters (not newlines) replaced, same offsets
    code_lines: frozenset[int]  # 0-based lines inside fenced or indented code blocks


def code_scan(text: str) -> CodeScan:
    # One split_code per transform: it is the costly part of every transform here.
    masked: list[str] = []
    code_lines: set[int] = set()
    for segment in split_code(text):
        if not segment.is_code:
            masked.append(segment.text)
            continue
        masked.append(re.sub(r"[^\n]", "x", segment.text))
        if _is_block(segment.text, segment.offset, text):
            body = segment.text
            count = body.count("\n") + (0 if body.endswith("\n") else 1)
            code_lines.update(range(segment.start_line - 1, segment.start_line - 1 + count))
    return CodeScan("".join(masked), frozenset(code_lines))


def _is_block(body: str, offset: int, text: str) -> bool:
    """Whether a code segment is a block (whole lines) rather than an inline code span."""
    if offset > 0 and text[offset - 1] != "\n":
        return False
    if body.endswith("\n"):
        return True  # blocks are whole lines; a code span ends with its backticks
    if offset + len(body) != len(text):
        return False
    first_line = body.split("\n", 1)[0]
    return body[:1] in (" ", "\t") or ("\n" in body and bool(_FENCE_LINE.match(first_line)))


def is_atx(masked_line: str) -> bool:
    return ATX_STRICT.match(masked_line) is not None


UNDERLINE = re.compile(r"^(?:=+|-+)[ \t]*$")
