"""The few inline CSS declarations that survive the sanitizer: layout pandoc writes itself.

pandoc writes table column alignment as ``style="text-align: right;"`` on cells, column widths
as ``style="width: 30%"`` on ``<col>``, and ``![x](a.png){width=50%}`` as ``style="width:50%"``
on the image. Dropping ``style`` wholesale loses them; allowing it wholesale lets a chapter load
``url(...)`` resources, hide text or cover the page. So only these survive, each value checked
against a closed pattern, and only on the elements that carry them; everything else in the
attribute goes.
"""

from __future__ import annotations

import re

__all__ = ["STYLED_TAGS", "safe_style"]

STYLED_TAGS = frozenset({"td", "th", "col", "img", "figure"})
_LENGTH = re.compile(r"^(?:\d{1,4}(?:\.\d{1,4})?|\.\d{1,4})(?:%|px|em|in|cm|mm|pt)$")
_ALIGN = frozenset({"left", "right", "center", "justify"})


def _allowed(prop: str, value: str) -> bool:
    if prop == "text-align":
        return value in _ALIGN
    if prop in ("width", "height"):
        return _LENGTH.match(value) is not None
    return False


def safe_style(tag: str, style: str) -> str | None:
    """The allowed declarations of ``style`` on ``tag``, normalized; None when none is left."""
    if tag not in STYLED_TAGS or "\\" in style or "/*" in style:
        return None  # escapes and comments are how filters get fooled: refuse them whole
    kept: list[str] = []
    for declaration in style.split(";"):
        prop, colon, value = declaration.partition(":")
        prop, value = prop.strip().lower(), value.strip().lower()
        if colon and _allowed(prop, value):
            kept.append(f"{prop}: {value}")
    return "; ".join(kept) if kept else None
