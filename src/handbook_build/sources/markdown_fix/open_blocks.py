"""Blocks left open at the end of a chapter: ``::: div`` fences and ``<div>`` tags closed."""

from __future__ import annotations

import re

from handbook_build.sources.markdown_fix.scan import code_scan
from handbook_build.sources.markdown_fix.transforms import Fixed, warning

_DIV_FENCE = re.compile(r"^ {0,3}(?P<colons>:{3,})[ \t]*(?P<rest>[^\n]*?)[ \t]*$")
_DIV_TAG = re.compile(r"<(?P<close>/)?div\b[^<>]*?(?P<empty>/)?>", re.IGNORECASE)


def close_open_blocks(text: str, path: str) -> Fixed:
    """Close ``::: div`` fences and ``<div>`` tags the chapter leaves open.

    pandoc closes them at the end of the document, so on its own the chapter reads the same
    either way; in the assembled book an open div would swallow every chapter after it.
    """
    open_blocks: list[tuple[str, int]] = []  # ("fence" | "tag", line), innermost last
    scan = code_scan(text)
    masked, code = scan.masked.split("\n"), scan.code_lines
    for index, line in enumerate(masked):
        if index in code:
            continue
        fence = _DIV_FENCE.match(line)
        if fence:
            if fence["rest"].strip(":"):
                open_blocks.append(("fence", index + 1))
            elif open_blocks and open_blocks[-1][0] == "fence":
                open_blocks.pop()
            continue
        for tag in _DIV_TAG.finditer(line):
            if tag["close"] and open_blocks and open_blocks[-1][0] == "tag":
                open_blocks.pop()
            elif not tag["close"] and not tag["empty"]:
                open_blocks.append(("tag", index + 1))
    if not open_blocks:
        return Fixed(text, ())
    closers = [":::" if kind == "fence" else "</div>" for kind, _ in reversed(open_blocks)]
    diagnostics = tuple(warning(
        path, line, "unclosed-block",
        f"this {'::: div' if kind == 'fence' else '<div>'} is never closed; closed it at the "
        "end of the chapter", "close it where it should end") for kind, line in open_blocks)
    return Fixed(text.rstrip("\n") + "\n\n" + "\n\n".join(closers) + "\n", diagnostics)
