"""The copyright page's words as a publisher prints them: "Third edition", a licence by its name
with its address, never a bare version number or SPDX code, and each person named once ("Edited
by ..." for authors the manifest also lists as "Name (editor)" contributors)."""

from __future__ import annotations

import re
from collections.abc import Sequence

__all__ = ["credit_lines", "edition_words", "join_names", "license_name", "license_url"]

_ORDINALS = ("First", "Second", "Third", "Fourth", "Fifth", "Sixth", "Seventh", "Eighth",
             "Ninth", "Tenth", "Eleventh", "Twelfth")
# "3", "3.0", "3.0.0": a whole edition number; "3.1" is a revision and keeps its number.
_WHOLE_NUMBER = re.compile(r"^\s*(\d+)(?:\.0+)*\s*$")

# SPDX identifiers of the licences open books use, with their names and deeds.
_LICENSES: dict[str, tuple[str, str]] = {
    "CC0-1.0": ("CC0 1.0 Universal public domain dedication",
                "https://creativecommons.org/publicdomain/zero/1.0/"),
    "CC-BY-4.0": ("Creative Commons Attribution 4.0 International",
                  "https://creativecommons.org/licenses/by/4.0/"),
    "CC-BY-SA-4.0": ("Creative Commons Attribution-ShareAlike 4.0 International",
                     "https://creativecommons.org/licenses/by-sa/4.0/"),
    "CC-BY-NC-4.0": ("Creative Commons Attribution-NonCommercial 4.0 International",
                     "https://creativecommons.org/licenses/by-nc/4.0/"),
    "CC-BY-NC-SA-4.0": ("Creative Commons Attribution-NonCommercial-ShareAlike 4.0 International",
                        "https://creativecommons.org/licenses/by-nc-sa/4.0/"),
    "CC-BY-ND-4.0": ("Creative Commons Attribution-NoDerivatives 4.0 International",
                     "https://creativecommons.org/licenses/by-nd/4.0/"),
    "CC-BY-NC-ND-4.0": (
        "Creative Commons Attribution-NonCommercial-NoDerivatives 4.0 International",
        "https://creativecommons.org/licenses/by-nc-nd/4.0/"),
    "CC-BY-3.0": ("Creative Commons Attribution 3.0 Unported",
                  "https://creativecommons.org/licenses/by/3.0/"),
    "CC-BY-SA-3.0": ("Creative Commons Attribution-ShareAlike 3.0 Unported",
                     "https://creativecommons.org/licenses/by-sa/3.0/"),
    "GFDL-1.3-or-later": ("GNU Free Documentation License 1.3 or later",
                          "https://www.gnu.org/licenses/fdl-1.3.html"),
    "MIT": ("MIT License", "https://opensource.org/license/mit"),
    "Apache-2.0": ("Apache License 2.0", "https://www.apache.org/licenses/LICENSE-2.0"),
}
_BY_LOWER = {key.lower(): value for key, value in _LICENSES.items()}
_ROLE = re.compile(r"^(?P<name>.*\S)\s*\((?P<role>[^()]+)\)\s*$")
_EDITOR_ROLES = frozenset({"editor", "editors", "ed", "ed.", "eds", "eds.", "edited by"})


def edition_words(edition: str) -> str:
    """ "3.0" -> "Third edition"; "2.1" -> "Edition 2.1"; "Revised" -> "Revised edition"."""
    text = edition.strip()
    if not text:
        return ""
    whole = _WHOLE_NUMBER.match(text)
    if whole:
        number = int(whole.group(1))
        if 1 <= number <= len(_ORDINALS):
            return f"{_ORDINALS[number - 1]} edition"
        return f"Edition {number}"
    if text[0].isdigit():
        return f"Edition {text}"
    if text.lower().endswith("edition"):
        return text[0].upper() + text[1:]
    return f"{text[0].upper()}{text[1:]} edition"


def license_name(license_text: str) -> str:
    """The licence's name for an SPDX identifier it knows; anything else as written."""
    known = _BY_LOWER.get(license_text.strip().lower())
    return known[0] if known else license_text


def license_url(license_text: str, given_url: str) -> str:
    """The manifest's URL, else the known deed of an SPDX identifier, else ""."""
    if given_url:
        return given_url
    known = _BY_LOWER.get(license_text.strip().lower())
    return known[1] if known else ""


def credit_lines(authors: Sequence[str], contributors: Sequence[str]) -> tuple[str, ...]:
    """The copyright page's credits, each person once: "By A and B." for authors, "Edited by
    ..." for editors (a contributor written "Name (editor)", author or not), "With contributions
    by ..." for the other contributors (their role kept, as written)."""
    editors, others = [], []
    for contributor in contributors:
        match = _ROLE.match(contributor.strip())
        if match and match["role"].strip().lower() in _EDITOR_ROLES:
            editors.append(" ".join(match["name"].split()))
        elif contributor.strip():
            others.append(contributor.strip())
    edited = set(editors)
    named = [name for name in authors if " ".join(name.split()) not in edited]
    lines = []
    if named:
        lines.append(f"By {join_names(named)}.")
    if editors:
        lines.append(f"Edited by {join_names(list(dict.fromkeys(editors)))}.")
    credited = {" ".join(name.split()) for name in (*authors, *editors)}
    rest = [name for name in others if " ".join(name.split()) not in credited]
    if rest:
        lines.append(f"With contributions by {join_names(rest)}.")
    return tuple(lines)


def join_names(names: Sequence[str]) -> str:
    """ "A", "A and B", "A, B, and C"."""
    if len(names) <= 2:
        return " and ".join(names)
    return ", ".join(names[:-1]) + f", and {names[-1]}"
