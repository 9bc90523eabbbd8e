"""The copyright page's wording: ordinal editions, licences by name with their deeds, each
person named once."""

from __future__ import annotations

import datetime as dt

import pytest
from lxml import etree

from handbook_build.model import Metadata
from handbook_build.render.document import copyright_page_html
from handbook_build.render.epub_front import copyright_page
from handbook_build.render.imprint import credit_lines, edition_words, license_name, license_url


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


HANDBOOK_EDITORS = ("Joseph Corneli", "Charles Jeffrey Danoff", "Charlotte Pierce")


def test_authors_listed_again_as_editors_are_named_once() -> None:
    contributors = tuple(f"{name} (editor)" for name in HANDBOOK_EDITORS)
    assert credit_lines(HANDBOOK_EDITORS, contributors) == (
        "Edited by Joseph Corneli, Charles Jeffrey Danoff, and Charlotte Pierce.",)
    # An author who does not edit, an editor who is no author, a contributor with another role.
    assert credit_lines(("Ada Lovelace", "Joseph Corneli"),
                        ("Joseph Corneli (editor)", "Grace Hopper (Editor)",
                         "Alan Kay (illustrator)", "Ada Lovelace")) == (
        "By Ada Lovelace.", "Edited by Joseph Corneli and Grace Hopper.",
        "With contributions by Alan Kay (illustrator).")
    assert credit_lines(("A. Writer",), ()) == ("By A. Writer.",)


def test_print_and_epub_copyright_pages_say_edited_by_once_and_the_licence_by_name() -> None:
    metadata = Metadata(
        title="The Peeragogy Handbook", authors=HANDBOOK_EDITORS, edition="3.0",
        contributors=tuple(f"{name} (editor)" for name in HANDBOOK_EDITORS),
        date=dt.date(2016, 1, 15), license="CC0-1.0", publisher="Pierce Press",
    )
    printed = copyright_page_html(metadata, "print", "", "Typeset with handbook-build.")
    epub = etree.tostring(copyright_page(metadata, "urn:uuid:x")[0], encoding="unicode")
    for page in (printed, epub):
        assert page.count("Joseph Corneli") == 1 and "(editor)" not in page
        assert "Edited by" in page and "By Joseph" not in page
        assert "Third edition" in page and "3.0" not in page
        assert "CC0 1.0 Universal public domain dedication" in page
        assert "https://creativecommons.org/publicdomain/zero/1.0/" in page
