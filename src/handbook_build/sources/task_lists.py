"""Task-list items (``- [ ] to do``, ``- [x] done``) keep their boxes: ☐ and ☑ as text.

pandoc's ``task_lists`` extension writes ``<input type="checkbox">``, which the HTML sanitizer
rightly removes (no form controls in a book), so the box would vanish in every edition. A
character prints the same in the PDFs, the EPUB and the HTML, and a screen reader names it.
It is written as a span, ``[☐]{.task-box}``: pandoc reads a bare ``☐`` at the start of an item
as a task marker again, and the span's class gives the box a face that has the glyph (Linux
Libertine has ☑ only in its semibold italic).
"""

from __future__ import annotations

import re

from handbook_build.sources.markdown_fix import Fixed
from handbook_build.sources.markdown_scan import mask_code

__all__ = ["convert_task_lists"]

_TASK = re.compile(r"^(?P<lead>(?:[ \t]*>)*[ \t]*(?:[-+*]|\d{1,9}[.)])[ \t]+)"
                   r"\[(?P<mark>[ xX])\](?=[ \t])", re.MULTILINE)
UNCHECKED, CHECKED = "\u2610", "\u2611"


def convert_task_lists(text: str) -> Fixed:
    """``text`` with each task-list marker (outside code) replaced by a ballot box."""
    if "[" not in text:
        return Fixed(text)
    masked = mask_code(text, " ")
    pieces: list[str] = []
    position = 0
    for match in _TASK.finditer(masked):
        box = UNCHECKED if match["mark"] == " " else CHECKED
        pieces += [text[position:match.end("lead")], f"[{box}]{{.task-box}}"]
        position = match.end()
    pieces.append(text[position:])
    return Fixed("".join(pieces))
