"""Tests of the code-aware scanner shared by the normalizing stage (markdown_scan)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handbook_build.sources.markdown_scan import (
    Segment,
    column_of,
    find_inline_links,
    line_of,
    mask_code,
    split_code,
    unescape_markdown,
)
from opcount import growth


def kinds(text: str) -> list[tuple[str, bool]]:
    return [(s.text, s.is_code) for s in split_code(text)]


def test_inline_code_span_is_separated() -> None:
    assert kinds("a `b [x](y)` c") == [("a ", False), ("`b [x](y)`", True), (" c", False)]


def test_double_backtick_span_may_contain_single_backtick() -> None:
    assert kinds("``a`b`` c") == [("``a`b``", True), (" c", False)]


def test_unmatched_run_gives_up_one_backtick_at_a_time_like_pandoc() -> None:
    assert kinds("``b` c") == [("`", False), ("`b`", True), (" c", False)]
    assert kinds("x```y`z") == [("x``", False), ("`y`", True), ("z", False)]
    assert kinds("a ``b ``` c` d") == [("a `", False), ("`b ``` c`", True), (" d", False)]


def test_unmatched_backtick_is_prose() -> None:
    assert kinds("it`s [x](y)") == [("it`s [x](y)", False)]


def test_code_span_does_not_cross_a_blank_line() -> None:
    assert kinds("a `b\n\nc` d") == [("a `b\n\nc` d", False)]


def test_code_span_may_cross_a_single_newline() -> None:
    assert kinds("a `b\nc` d")[1] == ("`b\nc`", True)


def test_escaped_backtick_does_not_open() -> None:
    assert kinds(r"a \`b` c") == [(r"a \`b` c", False)]


def test_fenced_block_backticks_and_tildes() -> None:
    text = "p\n```py\nx [a](b)\n```\nq\n~~~~\n```\n~~~~\nr\n"
    assert kinds(text) == [
        ("p\n", False),
        ("```py\nx [a](b)\n```\n", True),
        ("q\n", False),
        ("~~~~\n```\n~~~~\n", True),
        ("r\n", False),
    ]


def test_unclosed_fence_is_prose_like_pandoc() -> None:
    assert kinds("p\n```\n[a](b)\n") == [("p\n```\n[a](b)\n", False)]


def test_indented_code_inside_a_list_item_needs_four_more_columns() -> None:
    text = "1.  item\n\n        code [a](b)\n\n-   x\n\n      six\n"
    assert [k for k in kinds(text) if k[1]] == [("        code [a](b)\n", True)]


def test_indented_block_after_blank_line_is_code() -> None:
    text = "p\n\n    code\n    more\n\nq\n"
    assert kinds(text) == [("p\n\n", False), ("    code\n    more\n", True), ("\nq\n", False)]


def test_indented_line_without_blank_line_is_prose() -> None:
    assert kinds("p\n    lazy\n") == [("p\n    lazy\n", False)]


def test_list_continuation_is_prose() -> None:
    text = "1.  item one\n    continued\n\n    second paragraph [x](y)\n\n2.  next\n"
    assert kinds(text) == [(text, False)]


def test_indented_block_after_a_list_has_ended_is_code() -> None:
    text = "- item\n\npara\n\n    code\n"
    assert kinds(text)[-1] == ("    code\n", True)


def test_fence_inside_list_item() -> None:
    text = "- item\n\n    ```\n    [a](b)\n    ```\n"
    assert kinds(text)[1] == ("    ```\n    [a](b)\n    ```\n", True)


def test_start_lines_and_offsets() -> None:
    text = "a\nb `c`\n```\nx\n```\nd"
    segments = split_code(text)
    assert [(s.start_line, s.offset) for s in segments] == [(1, 0), (2, 4), (2, 7), (3, 8), (6, 18)]
    for segment in segments:
        assert text[segment.offset :].startswith(segment.text)
        assert line_of(text, segment.offset) == segment.start_line


def test_line_and_column() -> None:
    text = "ab\ncd\n"
    assert (line_of(text, 0), column_of(text, 0)) == (1, 1)
    assert (line_of(text, 4), column_of(text, 4)) == (2, 2)
    assert (line_of(text, 2), column_of(text, 2)) == (1, 3)  # the newline itself


def test_mask_code_keeps_length_and_lines() -> None:
    text = "[`a]`](u) `x`\n```\n[a](b)\n```\n"
    masked = mask_code(text)
    assert len(masked) == len(text)
    assert masked.count("\n") == text.count("\n")
    assert "[a](b)" not in masked
    assert masked.startswith("[xxxx](u)")


def test_empty_input() -> None:
    assert split_code("") == []


markdown_chars = st.text(alphabet="`~ \t\n-*1.>abc[]()!#\\", max_size=200)


@settings(max_examples=400)
@given(markdown_chars)
def test_split_code_round_trips(text: str) -> None:
    segments = split_code(text)
    assert "".join(s.text for s in segments) == text
    assert all(s.text for s in segments)
    for segment in segments:
        assert text[segment.offset : segment.offset + len(segment.text)] == segment.text
        assert segment.start_line == line_of(text, segment.offset)
    assert len(mask_code(text)) == len(text)


@settings(max_examples=200)
@given(st.text(max_size=300))
def test_split_code_round_trips_any_text(text: str) -> None:
    assert "".join(s.text for s in split_code(text)) == text


def test_corpus_round_trips(corpus_dir: Path) -> None:
    for path in sorted((corpus_dir / "en-md").glob("*.md")):
        text = path.read_text(encoding="utf-8")
        assert "".join(s.text for s in split_code(text)) == text, path.name


@pytest.mark.parametrize("text", ["\r\n```\r\nx\r\n```\r\n", "a\rb`c`"])
def test_other_line_endings_round_trip(text: str) -> None:
    assert "".join(s.text for s in split_code(text)) == text
    assert isinstance(split_code(text)[0], Segment)


def test_destination_with_spaces_is_a_link_like_pandoc() -> None:
    (link,) = find_inline_links("[a](my  file.md)")
    assert link.destination == "my file.md"
    (titled,) = find_inline_links('[a](u v "t")')
    assert (titled.destination, titled.title) == ("u v", "t")


def test_parenthesized_text_after_a_space_is_part_of_the_destination() -> None:
    (link,) = find_inline_links("[a](u (t))")
    assert (link.destination, link.title) == ("u (t)", None)


def test_link_syntax_limits() -> None:
    assert find_inline_links('[a](u "t"\n)') == []  # no line break between title and ")"
    assert find_inline_links('[a](u "ti\n\ntle")') == []  # titles stay in one paragraph
    assert find_inline_links("[a\n\nb](u)") == []
    assert find_inline_links("[a] (u)") == []
    (link,) = find_inline_links("[a](\nhttp://x)")
    assert link.destination == "http://x"


def test_images_and_nested_links_are_reported_outermost_first() -> None:
    text = "[![alt](src.png)](href) ![i](s.png)"
    outer, image = find_inline_links(text)
    assert (outer.is_image, outer.destination, image.is_image) == (False, "href", True)
    (inner,) = find_inline_links(text, outer.text_start, outer.text_end)
    assert (inner.is_image, inner.destination) == (True, "src.png")
    assert text[outer.text_start : outer.text_end] == "![alt](src.png)"


def test_unescape_markdown() -> None:
    assert unescape_markdown(r"a\_b\(c\)\\d\q") == r"a_b(c)\d\q"


def test_many_unmatched_brackets_scan_in_linear_time() -> None:
    # One pass pairs the brackets; scanning each "[" to the paragraph's end was quadratic.
    def scan(brackets: int) -> None:
        (link,) = find_inline_links("[a " * brackets + "[b](u)")
        assert link.destination == "u"

    assert growth(scan, 2_000, 8_000) < 1.5  # calls per bracket: the same at 4x the brackets
