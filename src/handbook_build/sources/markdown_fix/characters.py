"""Characters: a BOM, line ends, control characters (the one transform that also touches code)."""

from __future__ import annotations

import re

from handbook_build.model import Diagnostic
from handbook_build.sources.markdown_fix.transforms import Fixed, warning

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def clean_characters(text: str, path: str) -> Fixed:
    """Strip a BOM, make every line end ``\\n`` and drop C0/C1 control characters (not tab).

    A lone ``\\r`` counts as a line end, as it does in editors, so line numbers stay those of
    the file as the author sees it.
    """
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    diagnostics: list[Diagnostic] = []
    lines = text.split("\n")
    for index, line in enumerate(lines):
        found = _CONTROL.findall(line)
        if not found:
            continue
        names = ", ".join(sorted({f"U+{ord(char):04X}" for char in found}))
        first = _CONTROL.search(line)
        column = first.start() + 1 if first else None
        diagnostics.append(warning(
            path, index + 1, "control-character",
            f"removed {len(found)} control character(s) ({names})",
            "they are invisible in editors and print as missing-glyph boxes", column))
        lines[index] = _CONTROL.sub("", line)
    return Fixed("\n".join(lines), tuple(diagnostics))
