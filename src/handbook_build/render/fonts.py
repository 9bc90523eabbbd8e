"""Font check for the paged editions: every family the styles ask for must really be installed.

WeasyPrint (through fontconfig) silently substitutes another face for a missing family, usually
DejaVu, which has no true italics: the book then looks wrong and nobody is told. This module reads
the ``font-family`` declarations of the stylesheets and checks the first family of each against
fontconfig's list (``fc-list : family``, asked once per process). Generic families and families
declared by ``@font-face`` in the same styles count as available. After rendering, the families
really embedded are checked the other way: a face no style names is a silent substitution for
missing glyphs. The results are warning messages; the pipeline makes them errors under --strict.
"""

from __future__ import annotations

import functools
import re
import shutil
import subprocess
from collections.abc import Iterable

__all__ = [
    "GENERIC_FAMILIES",
    "SCRIPT_FALLBACKS_SERIF",
    "declared_families",
    "family_declarations",
    "first_families",
    "installed_families",
    "missing_font_families",
    "unnamed_family_warnings",
]

GENERIC_FAMILIES = frozenset(
    {
        "serif", "sans-serif", "monospace", "cursive", "fantasy", "system-ui", "math",
        "emoji", "fangsong", "ui-serif", "ui-sans-serif", "ui-monospace", "ui-rounded",
        "inherit", "initial", "unset", "revert", "revert-layer",
    }
)  # fmt: skip

# The faces base.css names after the book face for scripts it lacks (keep the two in step): a
# face the manifest chooses ([pdf] font_family) gets the same fallbacks.
SCRIPT_FALLBACKS_SERIF = ('"Noto Serif", "Noto Naskh Arabic", "Noto Serif Hebrew", '
                          '"Noto Serif Devanagari", "Noto Serif Bengali", "Noto Serif Tamil", '
                          '"Noto Serif Thai", "Noto Serif CJK JP", "DejaVu Serif", '
                          # Symbols, math, music, then Symbola's outline emoji: a named face
                          # for every pictograph, so none falls to Noto Color Emoji (a bitmap
                          # font WeasyPrint cannot draw, embedded in an unstable order).
                          '"Noto Sans Symbols", "Noto Sans Symbols2", "Noto Sans Math", '
                          '"Noto Music", "Symbola"')

_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)
_FONT_FAMILY = re.compile(r"(?<![-\w])font-family\s*:\s*([^;}]+)", re.IGNORECASE)
_FONT_FACE = re.compile(r"@font-face\s*\{([^}]*)\}", re.IGNORECASE)
_BLOCK = re.compile(r"([^{};]*)\{([^{}]*)\}")


def _families(value: str) -> list[str]:
    """Split a ``font-family`` value into unquoted names, keeping their order."""
    value = value.replace("!important", "")
    names = (part.strip().strip("\"'").strip() for part in value.split(","))
    return [" ".join(name.split()) for name in names if name]


def family_declarations(css_texts: Iterable[str]) -> list[tuple[str, str]]:
    """(selector, first family) of every ``font-family`` declaration outside ``@font-face``.

    Rules are read as innermost ``selector { declarations }`` blocks, which also covers the
    margin boxes nested in ``@page``. Generic families and ``var()`` values are left out.
    """
    found: list[tuple[str, str]] = []
    for css in css_texts:
        for block in _BLOCK.finditer(_COMMENT.sub("", css)):
            selector = " ".join(block.group(1).split())
            if selector.lower().startswith("@font-face"):
                continue  # its font-family names a face, it does not use one
            for match in _FONT_FAMILY.finditer(block.group(2)):
                names = _families(match.group(1))
                if names and names[0].lower() not in GENERIC_FAMILIES and "var(" not in names[0]:
                    found.append((selector, names[0]))
    return found


def first_families(css_texts: Iterable[str]) -> list[str]:
    """The first family of every ``font-family`` declaration, in order, without duplicates."""
    return list(dict.fromkeys(family for _, family in family_declarations(css_texts)))


def declared_families(css_texts: Iterable[str]) -> set[str]:
    """Families the styles bring themselves with ``@font-face`` (lower case)."""
    declared: set[str] = set()
    for css in css_texts:
        for block in _FONT_FACE.finditer(_COMMENT.sub("", css)):
            for match in _FONT_FAMILY.finditer(block.group(1)):
                declared.update(name.lower() for name in _families(match.group(1))[:1])
    return declared


@functools.cache
def installed_families() -> frozenset[str] | None:
    """Every family name fontconfig knows (lower case), or None when ``fc-list`` is missing."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return None
    result = subprocess.run(
        [fc_list, ":", "family"], capture_output=True, text=True, check=False, timeout=60
    )
    names: set[str] = set()
    for line in result.stdout.splitlines():
        # One font per line; localized or style-specific aliases are separated by commas.
        names.update(name.strip().lower() for name in line.split(",") if name.strip())
    return frozenset(names)


def missing_font_families(
    css_texts: Iterable[str], installed: frozenset[str] | None = None
) -> list[str]:
    """Warnings, one per family named first in a ``font-family`` that is not installed."""
    texts = list(css_texts)
    known = installed if installed is not None else installed_families()
    if known is None:
        return ["fc-list was not found: the fonts named in the styles could not be checked; "
                "install fontconfig (sudo apt-get install fontconfig)"]  # fmt: skip
    declared = declared_families(texts)
    return [
        f"font family {family!r} named in the styles is not installed, so WeasyPrint would "
        f"silently use another face; install it or change the styles"
        for family in first_families(texts)
        if family.lower() not in known and family.lower() not in declared
    ]


def unnamed_family_warnings(used: Iterable[str], css_texts: Iterable[str]) -> list[str]:
    """A warning per family in ``used`` (e.g. embedded in the PDF) that no style names.

    fontconfig substitutes such a face for characters the named faces lack, or for a generic
    family (text in an SVG set in ``sans-serif``); without this check nobody would know.
    """
    named = {family.lower() for _, family in family_declarations(css_texts)}
    return [
        f"the PDF uses the font {family!r}, which no style names: fontconfig substituted it "
        "for characters the book's faces lack or for a generic family (such as text in an "
        "SVG set in sans-serif); name a face that has them in the styles or the image"
        for family in used
        if family.lower() not in named
    ]
