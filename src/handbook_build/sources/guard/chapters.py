"""Chapters: at most ``MAX_CHAPTER_BYTES``, and lists, block quotes and raw HTML nested at most
``MAX_NESTING`` / ``MAX_RAW_HTML_DEPTH`` levels, refused up front with their line."""

from __future__ import annotations

import re

from handbook_build.model import Diagnostic
from handbook_build.sources.guard.input_files import size_text
from handbook_build.sources.guard.limits import MAX_CHAPTER_BYTES, MAX_NESTING, MAX_RAW_HTML_DEPTH
from handbook_build.sources.markdown_scan import mask_code


def check_chapter_size(size: int, shown: str) -> Diagnostic | None:
    """An error when a chapter file of ``size`` bytes is too large to build in bounded time."""
    if size <= MAX_CHAPTER_BYTES:
        return None
    return Diagnostic(
        shown, 1, f"the chapter is {size_text(size)}, more than the "
        f"{size_text(MAX_CHAPTER_BYTES)} a chapter may be",
        "split it into several chapters (or check that it is the right file)",
        code="chapter-too-large")


_FENCE = re.compile(r"^[ \t]*(`{3,}|~{3,})")
_QUOTE = re.compile(r"^[ \t]{0,3}>[ \t]?")
_ITEM = re.compile(r"^([ \t]*)(?:[-*+]|\d{1,9}[.)])(?:[ \t]+|$)")
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)\b(?:[^<>\"']|\"[^\"]*\"|'[^']*')*?(/?)>")
# Void elements never nest; these others close themselves when a sibling opens (or are often
# left open by hand-written HTML), so they do not count towards depth.
_NOT_NESTING = frozenset({
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
    "source", "track", "wbr", "p", "li", "dt", "dd", "tr", "td", "th", "thead", "tbody",
    "tfoot", "option", "colgroup", "caption", "rt", "rp",
})


def check_chapter_text(text: str, shown: str) -> list[Diagnostic]:
    """Errors for lists/quotes nested deeper than ``MAX_NESTING`` and raw HTML deeper than
    ``MAX_RAW_HTML_DEPTH``, each at the line where the limit is first passed."""
    problems: list[Diagnostic] = []
    depth, line = _block_nesting(text, MAX_NESTING)
    if depth > MAX_NESTING:
        problems.append(Diagnostic(
            shown, line, f"lists and block quotes nest more than {MAX_NESTING} levels deep "
            f"from here ({depth} at the deepest)",
            "flatten the list: readers cannot follow that many levels",
            code="nesting-too-deep"))
    depth, line = _raw_html_nesting(text, MAX_RAW_HTML_DEPTH)
    if depth > MAX_RAW_HTML_DEPTH:
        problems.append(Diagnostic(
            shown, line, f"raw HTML elements nest more than {MAX_RAW_HTML_DEPTH} deep from "
            f"here ({depth} at the deepest)", "write it as Markdown or close the open tags",
            code="nesting-too-deep"))
    return problems


def _block_nesting(text: str, limit: int) -> tuple[int, int]:
    """(deepest list + quote nesting, first line nested deeper than ``limit``), outside fenced
    code blocks.

    An estimate that errs low: an item is nested under the open items indented less than it,
    and a line of unindented prose ends every open list.
    """
    deepest, first_over = 0, 1
    fence = ""
    indents: list[int] = []
    quotes_before = 0
    for number, raw in enumerate(text.split("\n"), start=1):
        quotes = 0
        line = raw
        while (match := _QUOTE.match(line)) is not None:
            quotes += 1
            line = line[match.end():]
        fence_match = _FENCE.match(line)
        if fence_match is not None:
            marker = fence_match.group(1)
            if not fence:
                fence = marker
            elif marker[0] == fence[0] and len(marker) >= len(fence):
                fence = ""
            continue
        if fence or not line.strip():
            continue
        if quotes != quotes_before:
            indents = []
            quotes_before = quotes
        item = _ITEM.match(line)
        width = len(line) - len(line.lstrip(" \t")) if item is None else len(
            item.group(1).expandtabs(4))
        if item is None:
            if width == 0:
                indents = []
            depth = quotes + len(indents)
        else:
            while indents and indents[-1] >= width:
                indents.pop()
            indents.append(width)
            depth = quotes + len(indents)
        if depth > limit and deepest <= limit:
            first_over = number
        deepest = max(deepest, depth)
    return deepest, first_over


def _raw_html_nesting(text: str, limit: int) -> tuple[int, int]:
    """(deepest raw HTML nesting, first line nested deeper than ``limit``), counting only
    elements that really nest, and none inside code: ``Rc<T>`` in a code span or a listing is
    text, not an open tag (pandoc prints it as written)."""
    if "<" not in text:
        return 0, 1
    text = mask_code(text, " ")  # same offsets and lines, so the line reported stays right
    stack: list[str] = []
    deepest, first_over = 0, 1
    for match in _TAG.finditer(text):
        closing, name, self_closing = match.group(1), match.group(2).lower(), match.group(3)
        if name in _NOT_NESTING or self_closing:
            continue
        if closing:
            if name in stack:
                while stack and stack.pop() != name:
                    pass
            continue
        stack.append(name)
        if len(stack) > limit and deepest <= limit:
            first_over = text.count("\n", 0, match.start()) + 1
        deepest = max(deepest, len(stack))
    return deepest, first_over
