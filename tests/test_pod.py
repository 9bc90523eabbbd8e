"""Print-on-demand profiles: the service rules as data."""

from __future__ import annotations

import dataclasses

import pytest

from handbook_build.errors import ManifestError
from handbook_build.render.pod import PROFILES, get_profile


@pytest.mark.parametrize(
    ("pages", "gutter"),
    [(24, 0.375), (150, 0.375), (151, 0.5), (300, 0.5), (301, 0.625), (500, 0.625),
     (501, 0.75), (700, 0.75), (701, 0.875), (828, 0.875)],
)
def test_kdp_gutter_follows_the_page_count(pages: int, gutter: float) -> None:
    assert get_profile("kdp").gutter_for(pages) == gutter


def test_padding_meets_the_minimum_and_the_multiple() -> None:
    kdp = get_profile("kdp")
    assert kdp.padded_count(10) == 24
    assert kdp.padded_count(101) == 102
    assert kdp.padded_count(102) == 102
    four = dataclasses.replace(kdp, page_multiple=4)
    assert [four.padded_count(n) for n in (100, 101, 102, 103)] == [100, 104, 104, 104]


def test_spine_width_and_spine_text_rule() -> None:
    kdp = get_profile("kdp")
    assert kdp.spine_width_in(300, "white") == pytest.approx(0.6756)
    assert kdp.spine_width_in(300, "cream") == pytest.approx(0.75)
    assert kdp.spine_width_in(100, "color") == pytest.approx(0.2347)
    assert not kdp.has_spine_text(78)
    assert kdp.has_spine_text(79)


def test_every_profile_is_consistent() -> None:
    for name, profile in PROFILES.items():
        assert profile.name == name
        assert not profile.allow_annotations
        assert profile.min_pages <= profile.max_pages
        assert profile.page_multiple in (1, 2, 4)
        steps = [step.max_pages for step in profile.gutter_steps]
        assert steps == sorted(steps)
    assert get_profile("ingramspark").pdf_variant == "pdf/x-1a"
    assert get_profile("kdp").pdf_variant is None


def test_unknown_profile_names_the_choices() -> None:
    with pytest.raises(ManifestError, match="ingramspark, kdp, lulu, none"):
        get_profile("createspace")
