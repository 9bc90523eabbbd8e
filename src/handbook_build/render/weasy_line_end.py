"""No word hyphenated alone on its line: a narrow correction to WeasyPrint 70's line breaking.

The bug: a text box followed by an inline element (``more. <em>Use cases</em>``) ends with the
space before that element. When the rest of the box's text fits on the line but for that
trailing space, ``text.line_break.split_first_line`` sees Pango's one line wider than the
available width (Pango counts the trailing space in the line's extents) and takes the branch
for a line that "can't be split earlier": it drops the whole line and hyphenates its *first*
word, so the paragraph gets a line holding "lurk-" and nothing else (the handbook's reading PDF,
two such lines; tests/test_weasy_line_end.py has the repro). A trailing collapsible space never
takes room at a line end (CSS Text 3, 4.1.3: it hangs or is removed), and WeasyPrint's caller,
``split_inline_box``, already accepts a box that overflows only by its trailing space.

The correction wraps ``split_first_line`` where ``layout.inline`` calls it: when the text ends
in collapsible spaces and the text without them fits on one line, the text is laid out as one
unbroken line (what WeasyPrint returns for text that fits); every other call is passed through
unchanged. Preferred-width computations (``layout.preferred``) are not touched.
"""

from __future__ import annotations

import math
from typing import Any

from handbook_build.render.weasy_patch import find_target

__all__ = ["install"]

_PATCHED = "_handbook_line_end"
_COLLAPSING = frozenset({"normal", "pre-line"})  # spaces collapse and lines wrap


def install(weasyprint: Any) -> bool:
    """Wrap ``layout.inline.split_first_line``; True if done (or done before)."""
    del weasyprint
    target = find_target("weasyprint.layout.inline", "split_first_line", _PATCHED)
    if isinstance(target, bool):
        return target
    inline, original = target

    def split_first_line(text: str, style: Any, context: Any, max_width: Any,
                         justification_spacing: Any, *args: Any, **kwargs: Any) -> Any:
        if _fits_but_for_trailing_space(original, text, style, context, max_width,
                                        justification_spacing):
            return original(text, style, context, math.inf, justification_spacing,
                            *args, **kwargs)
        return original(text, style, context, max_width, justification_spacing, *args, **kwargs)

    setattr(split_first_line, _PATCHED, True)
    inline.split_first_line = split_first_line
    return True


def _fits_but_for_trailing_space(original: Any, text: str, style: Any, context: Any,
                                 max_width: Any, justification_spacing: Any) -> bool:
    if not text.endswith(" ") or max_width is None or max_width == math.inf:
        return False
    if style["white_space"] not in _COLLAPSING:
        return False
    stripped = text.rstrip(" ")
    if not stripped or "\n" in stripped:
        return False
    _, _, resume_index, width, _, _ = original(stripped, style, context, max_width,
                                               justification_spacing)
    return resume_index is None and width <= max_width
