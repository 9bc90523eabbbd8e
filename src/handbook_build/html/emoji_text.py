"""Emoji in the paged editions: drawn in outline by a named face, never by the colour font.

Pango gives every character whose Unicode default is emoji presentation (and any character
followed by U+FE0F, the emoji selector) to the generic family ``emoji``, ignoring the
stylesheet's ``font-family`` list: fontconfig answers with Noto Color Emoji, a bitmap font that
WeasyPrint embeds but cannot draw (the page shows nothing where the emoji was; the typesetting
check reports ``glyph-missing``) and embeds in an unstable order. Followed by U+FE0E, the text
selector, the same character is looked up in the stylesheet's list like any letter, and the
named outline faces (Noto Sans Symbols 2, Symbola: ``fonts.SCRIPT_FALLBACKS_SERIF``) draw it,
legibly in grey print too. The EPUB and HTML editions keep the author's characters: reading
systems and browsers draw colour emoji.

The ranges are Unicode 15.1's ``Emoji_Presentation=Yes`` (emoji-data.txt).
"""

from __future__ import annotations

import re

__all__ = ["TEXT_SELECTOR", "text_presentation"]

TEXT_SELECTOR = "\ufe0e"
_EMOJI_SELECTOR = "\ufe0f"

_RANGES = (
    "\u231a-\u231b\u23e9-\u23ec\u23f0\u23f3\u25fd-\u25fe\u2614-\u2615\u2648-\u2653\u267f"
    "\u2693\u26a1\u26aa-\u26ab\u26bd-\u26be\u26c4-\u26c5\u26ce\u26d4\u26ea\u26f2-\u26f3"
    "\u26f5\u26fa\u26fd\u2705\u270a-\u270b\u2728\u274c\u274e\u2753-\u2755\u2757"
    "\u2795-\u2797\u27b0\u27bf\u2b1b-\u2b1c\u2b50\u2b55"
    "\U0001f004\U0001f0cf\U0001f18e\U0001f191-\U0001f19a\U0001f1e6-\U0001f1ff\U0001f201"
    "\U0001f21a\U0001f22f\U0001f232-\U0001f236\U0001f238-\U0001f23a\U0001f250-\U0001f251"
    "\U0001f300-\U0001f320\U0001f32d-\U0001f335\U0001f337-\U0001f37c\U0001f37e-\U0001f393"
    "\U0001f3a0-\U0001f3ca\U0001f3cf-\U0001f3d3\U0001f3e0-\U0001f3f0\U0001f3f4"
    "\U0001f3f8-\U0001f43e\U0001f440\U0001f442-\U0001f4fc\U0001f4ff-\U0001f53d"
    "\U0001f54b-\U0001f54e\U0001f550-\U0001f567\U0001f57a\U0001f595-\U0001f596\U0001f5a4"
    "\U0001f5fb-\U0001f64f\U0001f680-\U0001f6c5\U0001f6cc\U0001f6d0-\U0001f6d2"
    "\U0001f6d5-\U0001f6d7\U0001f6dc-\U0001f6df\U0001f6eb-\U0001f6ec\U0001f6f4-\U0001f6fc"
    "\U0001f7e0-\U0001f7eb\U0001f7f0\U0001f90c-\U0001f93a\U0001f93c-\U0001f945"
    "\U0001f947-\U0001f9ff\U0001fa70-\U0001fa7c\U0001fa80-\U0001fa88\U0001fa90-\U0001fabd"
    "\U0001fabf-\U0001fac5\U0001face-\U0001fadb\U0001fae0-\U0001fae8\U0001faf0-\U0001faf8"
)
# An emoji-presentation character not already followed by a selector.
_PRESENTED = re.compile(f"([{_RANGES}])(?![\ufe0e\ufe0f])")


def text_presentation(html: str) -> str:
    """``html`` with every emoji asking for text presentation (U+FE0E): the emoji selector
    replaced, and the text selector added after each emoji-presentation character."""
    if not _PRESENTED.search(html) and _EMOJI_SELECTOR not in html:
        return html
    return _PRESENTED.sub(r"\1" + TEXT_SELECTOR, html.replace(_EMOJI_SELECTOR, TEXT_SELECTOR))
