"""Raw HTML in the Markdown manuscript: the sanitizer's allow-list, applied to the source text."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from handbook_build.sources.markdown_html import sanitize_markdown_html


def test_executable_elements_go_with_their_content() -> None:
    cleaned = sanitize_markdown_html("Before <script>alert(1)</script> after.\n")
    assert cleaned.text == "Before  after.\n"
    assert cleaned.removed == ((7, "<script>"),)


def test_void_element_is_dropped_without_losing_what_follows() -> None:
    cleaned = sanitize_markdown_html('Before.\n\n<embed src="x.swf">\n\nAfter.\n')
    assert cleaned.text == "Before.\n\n\n\nAfter.\n"


def test_attributes_filtered_and_reported_in_sanitize_vocabulary() -> None:
    cleaned = sanitize_markdown_html('<p onclick="x()" style="c" class="k">Hi</p>\n')
    assert cleaned.text == '<p class="k">Hi</p>\n'
    assert [what for _, what in cleaned.removed] == ["on* event attribute"]


def test_unknown_tags_lose_tags_keep_text() -> None:
    assert sanitize_markdown_html("<center>c</center>").text == "c"


def test_markdown_that_looks_like_tags_and_code_is_untouched() -> None:
    text = ("Autolinks <https://example.org/> and <me@example.org>, a < b > c,\n"
            "`<script>x</script>` in code\n\n    <iframe src=x></iframe>\n")
    assert sanitize_markdown_html(text).text == text


def test_links_and_images_are_left_to_their_own_checks() -> None:
    text = '<a href="javascript:x()">j</a> <img src="file:///etc/passwd" alt="p">'
    assert sanitize_markdown_html(text).text == text


@given(st.text(alphabet=st.sampled_from(list("<>/= \"'ab\nscript iframe onclick p")), max_size=80))
def test_never_crashes_and_is_idempotent(text: str) -> None:
    once = sanitize_markdown_html(text).text
    assert sanitize_markdown_html(once).text == once
    if "  " not in text:  # no indented code block: every script tag must be gone
        assert "<script>" not in once.lower()
