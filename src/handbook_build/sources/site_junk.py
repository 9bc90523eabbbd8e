"""Leftovers of a website that are not part of the book: WordPress shortcodes that stand alone on
a line (``[wpgmza id="1"]``, ``[contact-form-7 ...]``, ``[gallery]``) and site-verification tokens
(``googleacbac2db70ae2a56``, ``google-site-verification: ...``). A reader would see them as text
in every edition; each is removed with a warning at its line, so the editor can delete it from
the source. ``[caption]`` shortcodes carry a figure and are handled by images/captions.py instead.
Lines inside code are never touched (markdown_scan.mask_code).
"""

from __future__ import annotations

import re

from handbook_build.model import Diagnostic
from handbook_build.sources.markdown_fix import Fixed
from handbook_build.sources.markdown_scan import mask_code

__all__ = ["remove_site_junk"]

# A shortcode alone on its line: [name] or [name attr="..."], optionally closed by [/name]; not a
# Markdown link or reference ([text](...), [text][ref], [label]: url) and not [caption].
_SHORTCODE = re.compile(
    r"^[ \t]*\[(?!caption\b)(?P<name>[a-z][a-z0-9_-]*)(?:[ \t]+[^\]\n]*)?\]"
    r"(?:[^\[\n]*\[/(?P=name)\])?[ \t]*$")
_TOKEN = re.compile(
    r"^[ \t]*(?:google[0-9a-f]{16}(?:\.html)?|google-site-verification:\s*\S+"
    r"|(?:msvalidate\.01|yandex-verification|p:domain_verify)\s*[:=]\s*\S+)[ \t]*$")


def remove_site_junk(text: str, path: str) -> Fixed:
    """``text`` without shortcode and token lines, and one warning per removed line."""
    masked = mask_code(text).split("\n")
    lines = text.split("\n")
    kept: list[str] = []
    found: list[Diagnostic] = []
    for number, (line, seen) in enumerate(zip(lines, masked, strict=True), start=1):
        if _SHORTCODE.match(seen) and not _is_link(lines, number):
            found.append(Diagnostic(
                path, number, f"WordPress shortcode {line.strip()[:40]} removed",
                "delete it from the source: it only works on the website", "warning",
                "site-shortcode"))
            kept.append("")
        elif _TOKEN.match(seen):
            found.append(Diagnostic(
                path, number, f"site-verification token {line.strip()[:40]} removed",
                "delete it from the source: it is for search engines, not readers", "warning",
                "site-token"))
            kept.append("")
        else:
            kept.append(line)
    if not found:
        return Fixed(text)
    return Fixed("\n".join(kept), tuple(found))


def _is_link(lines: list[str], number: int) -> bool:
    """A ``[label]`` line that a reference definition elsewhere turns into a link."""
    label = lines[number - 1].strip()[1:].split("]", 1)[0].lower()
    definition = re.compile(rf"^[ ]{{0,3}}\[{re.escape(label)}\]:", re.IGNORECASE)
    return any(definition.match(line) for line in lines)
