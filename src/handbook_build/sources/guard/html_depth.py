"""The final HTML: each section's nesting measured, the last line of defence before a renderer."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from handbook_build.model import Diagnostic, HtmlSection
from handbook_build.sources.guard.limits import MAX_HTML_DEPTH


def html_depth(fragment_html: str) -> int:
    """How many elements deep the HTML fragment nests (the fragment's root counts as 1)."""
    from lxml import etree, html

    try:
        root = html.fragment_fromstring(fragment_html, create_parent="div")
    except (etree.ParserError, ValueError):
        return 0
    deepest = 0
    stack = [(root, 0)]
    while stack:
        element, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in element)
    return deepest


def check_html_depth(sections: Iterable[HtmlSection]) -> list[Diagnostic]:
    """Errors for sections whose HTML nests deeper than ``MAX_HTML_DEPTH`` elements."""
    problems: list[Diagnostic] = []
    for section in sections:
        depth = html_depth(section.html)
        if depth > MAX_HTML_DEPTH:
            node = section.node
            shown = _shown(node.source_path) if node.source_path else node.title
            problems.append(Diagnostic(
                shown, None, f"the chapter's HTML nests {depth} elements deep (at most "
                f"{MAX_HTML_DEPTH}); no renderer can lay that out",
                "flatten nested lists, quotes and raw HTML", code="nesting-too-deep"))
    return problems


def _shown(path: Path) -> str:
    from handbook_build.display import shown

    return shown(path)
