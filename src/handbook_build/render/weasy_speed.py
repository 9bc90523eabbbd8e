"""A cost WeasyPrint 70 pays per font per written PDF, removed: cffi parses the C type of every
``ffi.new('hb_codepoint_t[N]', ...)`` afresh for each new N (pycparser, about 10 ms a parse),
and the font subsetting (pdf/fonts.py) asks for an array of a new length per font and chunk.
The same array is made from the open type ``hb_codepoint_t[]``, parsed once: same memory, same
bytes written, a fraction of the time (benchmarks/profile.py: "drawing").
"""

from __future__ import annotations

import re
from types import ModuleType
from typing import Any

_SIZED_ARRAY = re.compile(r"^\s*([A-Za-z_][\w ]*?)\s*\[(\d+)\]\s*$")
_MARK = "_handbook_sized_arrays"


def install(weasyprint: ModuleType) -> None:
    """Make ``weasyprint.text.ffi.ffi.new`` reuse one parsed type per array element type."""
    from weasyprint.text.ffi import ffi

    if getattr(ffi, _MARK, False):
        return
    original = ffi.new
    open_types: dict[str, Any] = {}

    def new(cdecl: Any, init: Any = None) -> Any:
        if isinstance(cdecl, str) and isinstance(init, list | tuple | range | type(None)):
            match = _SIZED_ARRAY.match(cdecl)
            if match is not None and (init is None or len(init) == int(match.group(2))):
                base = match.group(1)
                if base not in open_types:
                    open_types[base] = ffi.typeof(f"{base}[]")
                return original(open_types[base], int(match.group(2)) if init is None else init)
        return original(cdecl, init)

    ffi.new = new
    setattr(ffi, _MARK, True)
    del weasyprint  # the module is named for symmetry with weasy_notes.install
