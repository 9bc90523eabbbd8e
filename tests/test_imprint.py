"""The copyright page's wording: ordinal editions, licences by name with their deeds."""

from __future__ import annotations

import pytest

from handbook_build.render.imprint import edition_words, license_name, license_url


@pytest.mark.parametrize(("edition", "words"), [
    ("3.0", "Third edition"), ("1", "First edition"), ("2.0.0", "Second edition"),
    ("2.1", "Edition 2.1"), ("Revised", "Revised edition"), ("second edition", "Second edition"),
    ("40", "Edition 40"), ("", ""),
])
def test_editions_read_as_a_publisher_prints_them(edition: str, words: str) -> None:
    assert edition_words(edition) == words


def test_spdx_codes_become_names_and_deeds_and_other_text_stays() -> None:
    assert license_name("CC0-1.0") == "CC0 1.0 Universal public domain dedication"
    assert license_name("cc-by-sa-4.0").startswith("Creative Commons Attribution-ShareAlike 4.0")
    assert license_url("CC-BY-4.0", "") == "https://creativecommons.org/licenses/by/4.0/"
    assert license_url("CC-BY-4.0", "https://example.org/terms") == "https://example.org/terms"
    assert license_name("All rights reserved") == "All rights reserved"
    assert license_url("All rights reserved", "") == ""
