"""Glyphs and faces: missing glyphs, scripts a face lacks, faces no style sheet names."""

from __future__ import annotations

import re
import shutil
import subprocess
import unicodedata
from collections.abc import Sequence
from pathlib import Path

from handbook_build.checks.pdf_fonts import EmbeddedFace, pages_holding
from handbook_build.checks.pdf_layout import PdfText
from handbook_build.checks.typeset_check.findings import Findings

_SCRIPTS = (  # (name, first, last): scripts a Latin face does not cover
    ("CJK", 0x2E80, 0x9FFF), ("CJK", 0xAC00, 0xD7AF), ("CJK", 0xF900, 0xFAFF),
    ("CJK", 0x20000, 0x3FFFF), ("Arabic", 0x0600, 0x06FF), ("Arabic", 0x0750, 0x077F),
    ("Hebrew", 0x0590, 0x05FF), ("Devanagari", 0x0900, 0x097F), ("Bengali", 0x0980, 0x09FF),
    ("Thai", 0x0E00, 0x0E7F), ("Cyrillic", 0x0400, 0x04FF), ("Greek", 0x0370, 0x03FF),
)
_GENERIC_FAMILIES = ("serif", "sans-serif", "monospace", "cursive", "fantasy", "system-ui")
# What may follow the family in a PostScript name ("Noto Sans" names Noto-Sans-Bold, not
# Noto-Sans-CJK-JP).
_STYLE_WORDS = re.compile(r"^(?:bold|italic|regular|smallcaps|oblique|light|medium|semibold|"
                          r"demibold|extrabold|black|heavy|thin|semicondensed|condensed|"
                          r"expanded|book|roman|mt|ps)*$")
_FONT_FAMILY = re.compile(r"font-family\s*:\s*([^;}]+)", re.IGNORECASE)


def stylesheet_families(styles_dir: Path | None = None) -> tuple[str, ...]:
    """The font families the style sheets name, generic ones resolved through fontconfig."""
    from handbook_build.sources.manifest import find_styles_dir

    folder = styles_dir or find_styles_dir()
    names: list[str] = []
    for sheet in sorted(folder.glob("*.css")):
        for value in _FONT_FAMILY.findall(sheet.read_text(encoding="utf-8", errors="replace")):
            for name in value.split(","):
                name = name.strip().strip("\"'").strip()
                if name and name.lower() not in ("inherit", "initial", "unset") \
                        and name not in names:
                    names.append(name)
    resolved = [_fontconfig_family(n) if n.lower() in _GENERIC_FAMILIES else n for n in names]
    return tuple(dict.fromkeys(n for n in resolved if n))


def _fontconfig_family(generic: str) -> str:
    tool = shutil.which("fc-match")
    if tool is None:
        return ""
    done = subprocess.run([tool, "-f", "%{family[0]}", generic], capture_output=True,
                          text=True, check=False)
    return done.stdout.strip() if done.returncode == 0 else ""


def _squashed(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _face_named(face: EmbeddedFace, families: Sequence[str]) -> bool:
    """``Linux-Libertine-O-Bold`` is named by ``Linux Libertine O``: the PostScript name is the
    family with the spaces dropped or turned into hyphens, then the style."""
    squashed = _squashed(face.base_font)
    return any(squashed.startswith(name := _squashed(family))
               and _STYLE_WORDS.match(squashed[len(name):]) is not None
               for family in families if family)


def _script_of(char: str) -> str | None:
    code = ord(char)
    for name, first, last in _SCRIPTS:
        if first <= code <= last:
            return name
    return None


def check_faces(faces: Sequence[EmbeddedFace], families: Sequence[str], text: PdfText | None,
                 findings: Findings, path: Path) -> None:
    for face in faces:
        pages = _pages_with(face.missing, face.pages, text, path) if face.missing else []
        for char in face.missing:
            script = _script_of(char)
            where = [p for p, chars in pages if char in chars] or list(face.pages[:1])
            for page_index in where[:3]:
                name = unicodedata.name(char, f"U+{ord(char):04X}")
                if script:
                    findings.add(page_index, "error", "script-not-covered",
                                 f"{script} text ({char!r}, {name}) is set in {face.base_font}, "
                                 "which has no glyph for it",
                                 "name a face that covers the script in the style sheet "
                                 "(e.g. Noto Sans CJK / Noto Naskh Arabic) for that language")
                else:
                    findings.add(page_index, "error", "glyph-missing",
                                 f"no glyph for U+{ord(char):04X} {name} in {face.base_font}: "
                                 "the page shows a box or nothing",
                                 "replace the character in the source or name a face that "
                                 "has it")
        if families and not _face_named(face, families):
            scripts = sorted({s for c in face.characters if (s := _script_of(c))})
            covering = f" for {', '.join(scripts)} text" if scripts else ""
            findings.add(face.pages[0] if face.pages else None, "warning", "face-fallback",
                         f"{face.base_font} is embedded{covering} on {len(face.pages)} page(s) "
                         f"but no style sheet names it (a fallback chosen by fontconfig)",
                         "name the face in the style sheet's font-family, or remove the "
                         "characters the named faces lack: "
                         + _sample(face.characters))


def _pages_with(chars: str, pages: Sequence[int], text: PdfText | None, path: Path
                ) -> list[tuple[int, set[str]]]:
    if text is None:  # the cheap check: only these pages' text, so the page named is the page
        return pages_holding(path, chars, pages)
    wanted = set(chars)
    found = []
    for index in pages:
        present = {c for line in text.pages[index].lines for c in line.text if c in wanted}
        if present:
            found.append((index, present))
    return found


def _sample(characters: str) -> str:
    shown = "".join(c for c in characters if not c.isspace())[:12]
    return repr(shown)
