"""Tests of the chapter text transforms (markdown_fix/), line numbers and pandoc agreement."""

from __future__ import annotations

import json
import re

import pypandoc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handbook_build.html.assemble import PANDOC_MARKDOWN_FORMAT
from handbook_build.sources import markdown_fix as fix
from handbook_build.sources.markdown_scan import is_escaped, mask_code

PATH = "ch.md"


def codes(result: fix.Fixed) -> list[tuple[str, int | None]]:
    return [(d.code, d.line) for d in result.diagnostics]


def header_ids(markdown: str) -> list[str]:
    """Ids pandoc gives the headings of ``markdown`` (read as the manuscript will be)."""
    doc = json.loads(pypandoc.convert_text(markdown, "json", format=PANDOC_MARKDOWN_FORMAT))
    found: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if node.get("t") == "Header":
                found.append(node["c"][1][0])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(doc["blocks"])
    return found


# --- characters -------------------------------------------------------------------------------


def test_clean_characters_strips_bom_crlf_and_controls_with_positions() -> None:
    result = fix.clean_characters("\ufeffone\r\ntwo\x9d and\x07\rthree\tok\n", PATH)
    assert result.text == "one\ntwo and\nthree\tok\n"
    [diagnostic] = result.diagnostics
    assert (diagnostic.code, diagnostic.line, diagnostic.column) == ("control-character", 2, 4)
    assert "U+0007" in diagnostic.message and "U+009D" in diagnostic.message
    assert diagnostic.severity == "warning" and diagnostic.path == PATH


def test_clean_characters_leaves_clean_text_alone() -> None:
    text = "# Title\n\nPlain text, tabs\tand Ünïcödé.\n"
    assert fix.clean_characters(text, PATH) == fix.Fixed(text, ())


# --- glued and wrapped headings ---------------------------------------------------------------


def test_heading_glued_to_end_of_line_is_split() -> None:
    result = fix.split_glued_headings("Intro.\n\nEnd of sentence.## Next part\n\nText.\n", PATH)
    assert result.text == "Intro.\n\nEnd of sentence.\n\n## Next part\n\nText.\n"
    assert codes(result) == [("glued-heading", 3)]
    assert result.diagnostics[0].column == 17


def test_heading_right_after_paragraph_line_gets_blank_line() -> None:
    result = fix.split_glued_headings("Some text.\n## Heading\n\nMore.\n", PATH)
    assert result.text == "Some text.\n\n## Heading\n\nMore.\n"
    assert codes(result) == [("glued-heading", 2)]


def test_wrapped_heading_is_joined() -> None:
    head = "## Connectivism in Practice: How to Organize a MOOC (Massive Open"
    result = fix.split_glued_headings(f"Text.\n\n{head}\nOnline Class)\n\nBody.\n", PATH)
    assert result.text == f"Text.\n\n{head} Online Class)\n\nBody.\n"
    assert codes(result) == [("wrapped-heading", 3)]


@pytest.mark.parametrize("text", [
    "## Heading\nfirst line\nsecond line\n",
    "## Summary\nA one-line paragraph right under a short heading.\n\nMore.\n",
])
def test_heading_followed_by_paragraph_is_not_joined(text: str) -> None:
    assert fix.split_glued_headings(text, PATH).text == text


def test_glued_heading_lines_count_from_the_original_text() -> None:
    # The first split adds two lines; the second warning must still say line 3.
    result = fix.split_glued_headings("Intro.## One\n\nText\n## Two\n", PATH)
    assert result.text == "Intro.\n\n## One\n\nText\n\n## Two\n"
    assert codes(result) == [("glued-heading", 1), ("glued-heading", 4)]


@pytest.mark.parametrize("text", [
    "Use C# or F## sharp.\n",
    "A channel #general.\n",
    "```\ncode.## not a heading\nline\n## nor this\n```\n",
    "Inline `x.## y` code.\n",
    "## Heading ## with closing ##\n",
    "| a.## b | c |\n",
    "    indented.## code\n",
])
def test_glued_heading_leaves_non_headings_alone(text: str) -> None:
    assert fix.split_glued_headings(text, PATH).text == text


# --- setext headings and thematic breaks ------------------------------------------------------


def test_setext_headings_become_atx() -> None:
    result = fix.convert_setext_headings("Title\n=====\n\nSub {#s}\n---\nText.\n", PATH)
    assert result.text == "# Title\n\n## Sub {#s}\n\nText.\n"


def test_dash_line_after_blank_is_a_break_never_yaml() -> None:
    result = fix.convert_setext_headings("---\nkey: value\n---\n\nText.\n\n---\n\nEnd.\n", PATH)
    assert "---" not in result.text.split("\n")
    assert result.text.split("\n")[0] == fix.THEMATIC_BREAK


def test_setext_needs_a_block_start() -> None:
    # pandoc reads "para\nTitle\n---" as one paragraph: no heading to convert.
    text = "para\nTitle\n-----\n"
    assert fix.convert_setext_headings(text, PATH).text == text


def test_multiline_table_and_code_are_kept() -> None:
    table = "\n-------------\nCentered   Left\n---------  ------\nFirst      row\n-------------\n"
    assert fix.convert_setext_headings(table, PATH).text == table
    code = "```\nTitle\n=====\n\n---\n```\n"
    assert fix.convert_setext_headings(code, PATH).text == code


def test_converted_text_reads_the_same_in_pandoc() -> None:
    text = "Intro\n\nTitle\n=====\n\nText.\n\n---\n\nSub\n---\n\nEnd.\n"
    converted = fix.convert_setext_headings(text, PATH).text
    before = pypandoc.convert_text(text, "native", format=PANDOC_MARKDOWN_FORMAT)
    after = pypandoc.convert_text(converted, "native", format=PANDOC_MARKDOWN_FORMAT)
    assert before == after


# --- reference links --------------------------------------------------------------------------


def test_reference_links_are_inlined_and_definitions_dropped() -> None:
    text = (
        "See [the guide][g], [Guide][], [guide] and ![a pic][Pic  One].\n"
        "Not [undefined] nor [x](http://inline).\n\n"
        "[G]: https://example.org/g \"The 'guide'\"\n"
        "[pic one]: <images/a pic.png>\n"
        "[guide]: https://example.org/short\n"
        '    "A title on its own line"\n'
    )
    result = fix.inline_reference_links(text, PATH)
    assert result.text == (
        "See [the guide](https://example.org/g \"The 'guide'\"), "
        "[Guide](https://example.org/short \"A title on its own line\"), "
        "[guide](https://example.org/short \"A title on its own line\") and "
        "![a pic](<images/a pic.png>).\n"
        "Not [undefined] nor [x](http://inline).\n"
    )
    assert result.diagnostics == ()


def test_undefined_full_reference_warns_and_stays() -> None:
    result = fix.inline_reference_links("A [text][nope] here.\n\n[yes]: http://y\n", PATH)
    assert result.text.startswith("A [text][nope] here.")
    assert codes(result) == [("undefined-reference", 1)]


def test_duplicate_definition_first_wins() -> None:
    text = "[a]\n\n[a]: http://first\n[A]: http://second\n"
    result = fix.inline_reference_links(text, PATH)
    assert result.text.strip() == "[a](http://first)"
    assert codes(result) == [("duplicate-reference", 4)]


def test_references_inside_link_text_and_code() -> None:
    text = "[![logo][l]](http://home) `[l]`\n\n```\n[l]\n```\n\n[l]: logo.png\n"
    result = fix.inline_reference_links(text, PATH)
    assert result.text.startswith("[![logo](logo.png)](http://home) `[l]`\n\n```\n[l]\n```\n")
    assert "[l]:" not in result.text


@pytest.mark.parametrize("text", [
    "> Quote.\n>\n> [a]: http://x/a\n\n[a] and [b]\n\n- item\n\n    [b]: http://x/b\n",
    "- item\n  [a]: http://not-a-definition\n\n[a]\n",
    "Para\n[a]: http://lazy\n\n[a]\n",
])
def test_definitions_in_quotes_and_list_items(text: str) -> None:
    inlined = fix.inline_reference_links(text, PATH).text
    before = pypandoc.convert_text(text, "native", format=PANDOC_MARKDOWN_FORMAT)
    after = pypandoc.convert_text(inlined, "native", format=PANDOC_MARKDOWN_FORMAT)
    assert after.replace("BlockQuote []", "") == before.replace("BlockQuote []", "")
    assert "]: http://x" not in inlined


def test_definition_inside_code_is_not_a_definition() -> None:
    text = "```\n[l]: http://x\n```\n[l]\n"
    assert fix.inline_reference_links(text, PATH).text == text


def test_inlined_links_resolve_as_pandoc_resolved_the_references() -> None:
    text = ("A [b][c], [d] [e][], ![f][g] [h *i*][c].\n\n"
            "[c]: http://c.example/x_(y) 'T \"q\"'\n[d]: /d\n[e]: <e f>\n[g]: g.png (G)\n")
    inlined = fix.inline_reference_links(text, PATH).text
    before = pypandoc.convert_text(text, "native", format=PANDOC_MARKDOWN_FORMAT)
    after = pypandoc.convert_text(inlined, "native", format=PANDOC_MARKDOWN_FORMAT)
    assert before == after


# --- footnotes --------------------------------------------------------------------------------


def test_footnotes_are_relabelled_and_checked() -> None:
    text = ("One[^1] two[^a b] three[^x].\n\n`[^1]` stays.\n\n"
            "[^1]: First.\n[^unused]: Nobody cites me.\n[^1]: Again.\n")
    result = fix.relabel_footnotes(text, PATH, "intro")
    assert result.text.startswith("One[^intro--1] two[^a b] three[^intro--x].")
    assert "`[^1]` stays." in result.text
    assert "[^intro--1]: First.\n[^intro--unused]: Nobody cites me." in result.text
    assert codes(result) == [("undefined-footnote", 1), ("unused-footnote", 6),
                             ("duplicate-footnote", 7)]


# --- headings ---------------------------------------------------------------------------------


def test_headings_are_shifted_and_get_prefixed_ids() -> None:
    text = ("# Part I.\n\nText\n\n## Overview {#over .wide}\n\n### 2019\n\n# Part I.\n\n"
            "## Overview\n\n```\n# not a heading\n```\n")
    result = fix.shift_headings(text, PATH, "ce", "Collaborative Explorations")
    assert result.text == (
        "## Part I. {#ce--part-i.}\n\nText\n\n### Overview {#ce--over .wide}\n\n"
        "#### 2019 {#ce--section}\n\n## Part I. {#ce--part-i.-1}\n\n"
        "### Overview {#ce--overview}\n\n```\n# not a heading\n```\n")
    assert result.diagnostics == ()


def test_heading_repeating_the_title_is_dropped() -> None:
    result = fix.shift_headings("\n# Getting *Started*\n\nText.\n\n## Part\n", PATH, "gs",
                                "Getting started")
    assert result.text == "\n\nText.\n\n## Part {#gs--part}\n"


def test_heading_jumps_and_clamping_are_reported() -> None:
    text = "# A\n\n### B\n\n###### C\n"
    result = fix.shift_headings(text, PATH, "s", "T")
    assert result.text == "## A {#s--a}\n\n#### B {#s--b}\n\n###### C {#s--c}\n"
    assert codes(result) == [("heading-jump", 3), ("heading-too-deep", 5), ("heading-jump", 5)]


def test_duplicate_explicit_ids_are_numbered() -> None:
    result = fix.shift_headings("## A {#x}\n\n## B {#x}\n", PATH, "s", "T")
    assert result.text == "## A {#s--x}\n\n## B {#s--x-1}\n"
    assert codes(result) == [("duplicate-id", 3)]


TRICKY_HEADINGS = [
    "Foo -- bar... x_y_ _em_ `a_b` [l.k](http://x.y) ![im](a.png) <b>q</b> 1st &eacute;",
    "Vis <http://x.y/a_b> \\_e\\* *a* **b** A & B 'q' \"d\" ##",
    "Über Straße — “x” 3D",
    "Part I.",
    "_a_b_ __c__ snake_case_ _x",
    "a.b-c_d ... e--f---g",
    "~~s~~ ^sup^ ~sub~ [sp]{.x} H~2~O $x$",
    "@cite and a@b.com :smile:",
    "2019",
    "2019",
    "Designing a platform for peer learning* *",
    "![image](http://metameso.org/~joe/OpenBook-2-2.jpg)",
    "**[![image](http://x/c.gif \"create\")](http://x/c.gif)**",
    "A note[^n] here",
    "",
]


def test_identifiers_match_pandoc() -> None:
    markdown = "\n\n".join(f"## {heading}" for heading in TRICKY_HEADINGS) + "\n\n[^n]: x\n"
    expected = header_ids(markdown)
    shifted = fix.shift_headings(markdown, PATH, "s", "T").text
    assert [ident.removeprefix("s--") for ident in header_ids(shifted)] == expected


def test_placeholder_and_relabelled_note_keep_the_source_id() -> None:
    heading = "## [Image not available: Cycle]{.image-placeholder} and[^s--n]"
    assert fix.shift_headings(heading, PATH, "s", "T").text == (
        "## [Image not available: Cycle]{.image-placeholder} and[^s--n] {#s--cycle-andn}")


# --- line bookkeeping -------------------------------------------------------------------------


def test_line_origins_and_chain_report_original_lines() -> None:
    text = "a\nb.## H\n\nc\n\n[r]: http://r\n\n[^1]: unused\n"
    result = fix.chain(text, [
        lambda t: fix.split_glued_headings(t, PATH),
        lambda t: fix.inline_reference_links(t, PATH),
        lambda t: fix.relabel_footnotes(t, PATH, "s"),
    ])
    assert codes(fix.Fixed(result.text, result.diagnostics)) == [
        ("glued-heading", 2), ("unused-footnote", 8)]
    lines = result.text.split("\n")
    assert result.origins[lines.index("[^s--1]: unused")] == 8
    assert result.origins[lines.index("## H")] == 2


def test_line_origins_identity_and_insertions() -> None:
    assert fix.line_origins("a\nb", "A\nB") == (1, 2)
    assert fix.line_origins("a\nb\nc", "a\nx\ny\nb\nc") == (1, 1, 1, 2, 3)
    assert fix.line_origins("a\nb\nc", "a\nc") == (1, 3)


# --- properties -------------------------------------------------------------------------------

LABEL = st.text(alphabet="ab1-_", min_size=1, max_size=3)
NOISE = st.sampled_from(["text ", "\n", "\n\n", "`[^1]` ", "[^", "]", ":", "```\n", "    ",
                         "\\", "[", "## h\n", "[x]: y\n"])


@st.composite
def chapter_with_notes(draw: st.DrawFn) -> str:
    parts: list[str] = []
    for _ in range(draw(st.integers(0, 12))):
        choice = draw(st.integers(0, 2))
        if choice == 0:
            parts.append(f"[^{draw(LABEL)}]")
        elif choice == 1:
            parts.append(f"\n[^{draw(LABEL)}]: note\n")
        else:
            parts.append(draw(NOISE))
    return "".join(parts)


@settings(max_examples=200, deadline=None)
@given(st.lists(chapter_with_notes(), min_size=1, max_size=4))
def test_footnote_labels_never_collide_across_chapters(chapters: list[str]) -> None:
    owner: dict[str, int] = {}
    for number, text in enumerate(chapters):
        slug = f"c{number}"
        result = fix.relabel_footnotes(text, PATH, slug)
        masked = mask_code(result.text)
        for match in re.finditer(r"\[\^([^\]\s]+)\]", masked):
            if is_escaped(masked, match.start()):
                continue
            label = result.text[match.start(1):match.end(1)]
            assert label.startswith(f"{slug}--")  # every live label is the chapter's own
            assert owner.setdefault(label, number) == number
        assert all(d.line is not None and 1 <= d.line <= text.count("\n") + 1
                   for d in result.diagnostics)


# Headings are made of realistic tokens. Random punctuation soup (``._:_:``, ``^*^*1``) can
# still make pandoc swallow the {#id} block: its emphasis rules are not reproduced exactly.
TOKENS = ["word", "Title", "2019", "_em_", "*st*", "**bold**", "snake_case", "x_", "_x", "a*b",
          "`co_de`", "[a link](http://x.org/a_b)", "![alt](i_m.png)", "Part I.", "...", "--",
          "&", "!", "?", ":", "(x)", "\"q\"", "it's", "C#", "1__1", "* *", "é", "#", "{x}", "[b]"]
HEADING_TEXT = st.lists(st.sampled_from(TOKENS), max_size=5).map(" ".join)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 6), HEADING_TEXT), min_size=1, max_size=12))
def test_heading_ids_are_unique(headings: list[tuple[int, str]]) -> None:
    text = "\n\n".join(f"{'#' * level} {title}" for level, title in headings) + "\n"
    result = fix.shift_headings(text, PATH, "s", "Title")
    ids = re.findall(r"\{#(s--[^\s}]+)", result.text)
    assert len(ids) == len(set(ids))
    levels = [len(m) for m in re.findall(r"(?m)^(#+) ", result.text)]
    assert all(2 <= level <= 6 for level in levels)


@settings(max_examples=60, deadline=None)
@given(st.lists(HEADING_TEXT, min_size=1, max_size=6))
def test_pandoc_reads_back_every_id_we_write(titles: list[str]) -> None:
    text = "\n\n".join(f"## {title}" for title in titles) + "\n"
    shifted = fix.shift_headings(text, PATH, "s", "Title").text
    written = re.findall(r"\{#(s--[^\s}]+)", shifted)
    assert header_ids(shifted) == written


# --- blocks left open -------------------------------------------------------------------------


def test_open_divs_are_closed_at_the_end() -> None:
    text = "::: note\nText <div class=x>\n\n```\n<div>\n:::\n```\n\n::: inner\nclosed\n:::\n"
    result = fix.close_open_blocks(text, PATH)
    assert result.text == text + "\n</div>\n\n:::\n"
    assert codes(result) == [("unclosed-block", 1), ("unclosed-block", 2)]
    assert fix.close_open_blocks("<div>a</div>\n", PATH) == fix.Fixed("<div>a</div>\n", ())


def test_closed_divs_keep_the_next_chapter_out() -> None:
    chapter = fix.close_open_blocks("::: warning\nCareful.\n", PATH).text
    alone = pypandoc.convert_text("::: warning\nCareful.\n", "native",
                                  format=PANDOC_MARKDOWN_FORMAT)
    assert pypandoc.convert_text(chapter, "native", format=PANDOC_MARKDOWN_FORMAT) == alone
    assert header_ids(chapter + "\n# Next {#next}\n") == ["next"]


def test_unmatched_brackets_cost_linear_time_in_reference_rewriting() -> None:
    """Issue 12, defect 5: the reference rewriter had its own bracket matcher, which scanned to
    the paragraph's end from every unmatched ``[`` (16 KB of them took 18.7 s). Lines of Python
    executed, not seconds: 8x the brackets must cost about 8x the lines, not 64x."""
    from opcount import line_growth

    def rewrite(count: int) -> None:
        fix.inline_reference_links("[" * count + " text [label]\n\n[label]: https://example.org\n",
                               "chapter.md")

    assert line_growth(rewrite, 500, 4000) < 2.0
