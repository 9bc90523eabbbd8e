"""The copyright page's words as a publisher prints them: "Third edition", a licence by its name
with its address, never a bare version number or SPDX code."""

from __future__ import annotations

import re

__all__ = ["edition_words", "license_name", "license_url"]

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
