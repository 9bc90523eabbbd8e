"""Footnote labels made the chapter's own (``[^slug--label]``); notes without a partner found."""

from __future__ import annotations

import re

from handbook_build.model import Diagnostic
from handbook_build.sources.markdown_fix.scan import code_scan
from handbook_build.sources.markdown_fix.transforms import Fixed, warning
from handbook_build.sources.markdown_scan import is_escaped

NOTE = re.compile(r"\[\^(?P<label>[^\]\s]+)\]")
_NOTE_DEF_START = re.compile(r"^ {0,3}$")


def relabel_footnotes(text: str, path: str, slug: str) -> Fixed:
    """``[^label]`` -> ``[^slug--label]`` in uses and definitions, so chapters never collide.

    Every label is prefixed the same way, so a chapter's notes pair up exactly as before.
    Warns about uses without a definition and definitions nobody uses.
    """
    masked = code_scan(text).masked
    uses: dict[str, int] = {}
    definitions: dict[str, int] = {}
    diagnostics: list[Diagnostic] = []
    pieces: list[str] = []
    pos = 0
    for match in NOTE.finditer(masked):
        start, end = match.span()
        if is_escaped(masked, start):
            continue
        label = text[match.start("label"):match.end("label")]
        line = text.count("\n", 0, start) + 1
        line_start = text.rfind("\n", 0, start) + 1
        is_definition = (masked.startswith(":", end)
                         and _NOTE_DEF_START.match(masked[line_start:start]) is not None)
        if is_definition:
            if label in definitions:
                diagnostics.append(warning(
                    path, line, "duplicate-footnote",
                    f"footnote [^{label}] is defined twice (first on line {definitions[label]})",
                    "give each note its own label"))
            definitions.setdefault(label, line)
        else:
            uses.setdefault(label, line)
        pieces += [text[pos:start], f"[^{slug}--{label}]"]
        pos = end
    pieces.append(text[pos:])
    for label, line in uses.items():
        if label not in definitions:
            diagnostics.append(warning(
                path, line, "undefined-footnote", f"footnote [^{label}] has no definition",
                f"add `[^{label}]: note text` on a line of its own"))
    for label, line in definitions.items():
        if label not in uses:
            diagnostics.append(warning(
                path, line, "unused-footnote", f"footnote [^{label}] is defined but never used",
                "cite it in the text or delete the definition"))
    diagnostics.sort(key=lambda d: d.line or 0)
    return Fixed("".join(pieces), tuple(diagnostics))
