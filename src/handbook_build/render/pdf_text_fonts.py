"""pypdf's text extraction parses every font of every page again (``Font.from_font_resource``:
its ToUnicode map, its widths): on the merged print PDF, where the same few fonts serve all
pages, that is about a fifth of the EPUB page list's cost. ``fonts_parsed_once`` remembers each
parsed font by the font dictionary it came from, for the length of one extraction, and hands out
a shallow copy each time (pypdf then sets the copy's space width, as it did on a fresh one): the
text extracted is the same.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def fonts_parsed_once() -> Iterator[None]:
    # pypdf's own private module (third-party): Font.from_font_resource lives there and has no
    # public name to patch; nothing of this project is imported privately here.
    from pypdf.generic import _font

    original = _font.Font.__dict__["from_font_resource"]
    parse = original.__func__
    parsed: dict[int, tuple[Any, Any]] = {}  # id(font dict) -> (font dict kept alive, Font)

    def from_font_resource(cls: Any, pdf_font_dict: Any) -> Any:
        known = parsed.get(id(pdf_font_dict))
        if known is None or known[0] is not pdf_font_dict:
            known = (pdf_font_dict, parse(cls, pdf_font_dict))
            parsed[id(pdf_font_dict)] = known
        return copy.copy(known[1])

    _font.Font.from_font_resource = classmethod(from_font_resource)  # type: ignore[assignment,method-assign]
    try:
        yield
    finally:
        _font.Font.from_font_resource = original  # type: ignore[method-assign]
