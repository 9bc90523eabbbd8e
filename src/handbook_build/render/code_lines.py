"""Code lines for the paged editions: each line of a block is a block box, so a wrapped line can
carry a continuation mark.

htmlbook gives every code block one ``<span>`` per line with a newline between them
(code_blocks.py). In the PDFs a line longer than the text block wraps (``pre-wrap``) and
styles/technical.css draws a hook in the gutter of each continuation: each line becomes
``<span class="code-line">`` (``display: block``), and the newlines between them go, since a
preserved newline between two block boxes would print as an empty line.
"""

from __future__ import annotations

from lxml.html import HtmlElement

__all__ = ["block_code_lines"]


def block_code_lines(section: HtmlElement) -> int:
    """Mark the lines of every code block in ``section``; returns how many blocks."""
    blocks = 0
    for pre in section.iter("pre"):
        code = pre.find("code")
        if code is None or len(code) == 0 or (code.text or "").strip():
            continue
        lines = [child for child in code if child.tag == "span"]
        if len(lines) != len(code) or any((line.tail or "").strip("\n") for line in lines):
            continue  # not one span per line: leave the block as it is
        code.text = None
        for line in lines:
            line.set("class", " ".join([*line.get("class", "").split(), "code-line"]))
            line.tail = None
        blocks += 1
    return blocks
