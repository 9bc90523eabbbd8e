"""Tests for contents.py: the Markdown contents list -> TocNodes + diagnostics."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handbook_build.sources.contents import (
    ContentsResult,
    chapter_slug,
    parse_contents,
    read_contents,
    slugify,
)


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Diagnostic paths are shown relative to the working directory.
    monkeypatch.chdir(tmp_path)


def parse(text: str, tmp_path: Path) -> ContentsResult:
    return parse_contents(text, contents_path=tmp_path / "contents.md")


def messages(result: ContentsResult) -> list[str]:
    return [str(d) for d in result.diagnostics]


def shape(result: ContentsResult) -> list[tuple[str, int, str, str, int]]:
    return [(n.kind, n.depth, n.slug, n.title, n.contents_line) for n in result.nodes]


def test_chapters_parts_and_depths(tmp_path: Path) -> None:
    text = (
        "# My Book\n"
        "\n"
        "Some prose that is not a list item.\n"
        "- [Welcome](chapters/welcome.md)\n"
        "- Learning Together\n"
        "  - [Why peers?](chapters/why_peers.md)\n"
        "    - [Details](./chapters/Details.md#start)\n"
        "- **Working Together**\n"
        "  - [Last](chapters/last.md \"A title\")\n"
    )
    result = parse(text, tmp_path)
    assert messages(result) == []
    assert result.title == "My Book"
    assert shape(result) == [
        ("chapter", 1, "welcome", "Welcome", 4),
        ("part", 1, "part-learning-together", "Learning Together", 5),
        ("chapter", 2, "why-peers", "Why peers?", 6),
        ("chapter", 3, "details", "Details", 7),
        ("part", 1, "part-working-together", "Working Together", 8),
        ("chapter", 2, "last", "Last", 9),
    ]
    assert result.nodes[0].source_path == (tmp_path / "chapters" / "welcome.md").resolve()
    assert result.nodes[3].source_path == (tmp_path / "chapters" / "Details.md").resolve()
    assert result.nodes[1].source_path is None


@pytest.mark.parametrize(
    ("indent", "bullets"),
    [("  ", "---"), ("   ", "*+-"), ("    ", "-*+"), ("\t", "---"), ("  ", ["1.", "2)", "3."])],
)
def test_any_consistent_indent_and_bullet(tmp_path: Path, indent: str, bullets: object) -> None:
    first, second, third = list(bullets)  # type: ignore[call-overload]
    text = f"{first} [A](a.md)\n{indent}{second} [B](b.md)\n{indent * 2}{third} [C](c.md)\n"
    result = parse(text, tmp_path)
    assert messages(result) == []
    assert [(n.slug, n.depth) for n in result.nodes] == [("a", 1), ("b", 2), ("c", 3)]


def test_chapters_dir_and_urls(tmp_path: Path) -> None:
    text = (
        "- [Foreword](https://github.com/Peeragogy/peeragogy-handbook/blob/master/en-md/"
        "foreward.md)\n"
        "- [Spaced](<my%20file.md>)\n"
    )
    result = parse_contents(
        text, contents_path=tmp_path / "README.md", chapters_dir=tmp_path / "en-md"
    )
    assert messages(result) == []
    assert [n.source_path for n in result.nodes] == [
        (tmp_path / "en-md" / "foreward.md").resolve(),
        (tmp_path / "en-md" / "my file.md").resolve(),
    ]
    assert [n.slug for n in result.nodes] == ["foreward", "my-file"]


def test_malformed_link_reads_up_to_md_with_a_warning(tmp_path: Path) -> None:
    text = (
        "- [Connectivism in Practice -- How to Organize a MOOC (Massive Open Online Class)]"
        "(https://github.com/x/en-md/connectivism.mdn Online Class)\n"
    )
    result = parse(text, tmp_path)
    [node] = result.nodes
    assert node.slug == "connectivism"
    assert node.title.endswith("(Massive Open Online Class)")
    assert node.source_path == (tmp_path / "connectivism.md").resolve()
    [warning] = result.diagnostics
    assert warning.severity == "warning"
    assert str(warning) == (
        "contents.md:1: malformed link target 'https://github.com/x/en-md/connectivism.mdn "
        "Online Class' read as 'connectivism.md'; write the link as '(...connectivism.md)'"
    )


def test_every_problem_at_once_with_lines(tmp_path: Path) -> None:
    text = (
        "# Title\n"                      # 1
        "- [A](a.md)\n"                  # 2
        "  - [B](b.md)\n"                # 3
        "    - [C](c.md)\n"              # 4
        "      - [D](d.md)\n"            # 5: too deep
        "- [A again](./a.md)\n"          # 6: listed twice
        "- [Picture](pic.png)\n"         # 7: not .md
        "- [](e.md)\n"                   # 8: no title
        "- [Other A](sub/a.md)\n"        # 9: same slug, other file
    )
    result = parse(text, tmp_path)
    assert messages(result) == [
        "contents.md:5: the contents list nests 4 levels deep (at most 3); indent this item "
        "less: parts, chapters and sub-chapters are the only levels",
        "contents.md:6: chapter ./a.md is listed twice (first on line 2); list each chapter "
        "file once",
        "contents.md:7: contents link 'pic.png' is not a Markdown (.md) chapter file; link each "
        "chapter to its .md file, e.g. '- [Title](chapters/intro.md)'",
        "contents.md:8: the link to e.md has no text to use as the chapter title; write it as "
        "'[Chapter title](e.md)'",
        "contents.md:9: chapter sub/a.md has the same id 'a' as a.md; rename one of the files: "
        "ids come from file names",
    ]
    assert [n.slug for n in result.nodes] == ["a", "b", "c"]
    codes = [d.code for d in result.diagnostics]
    assert codes == [
        "contents-depth", "duplicate-chapter", "not-markdown", "empty-title", "slug-collision",
    ]


def test_empty_list_and_list_without_links(tmp_path: Path) -> None:
    assert messages(parse("# Only a heading\n\nprose\n", tmp_path)) == [
        "contents.md:1: the contents file has no list items; list the chapters as "
        "'- [Title](chapter.md)', one per line"
    ]
    assert messages(parse("- Part one\n- Part two\n", tmp_path)) == [
        "contents.md:1: the contents list links to no chapter; list the chapters as "
        "'- [Title](chapter.md)', one per line"
    ]


def test_ignores_non_items_code_and_breaks(tmp_path: Path) -> None:
    text = (
        "Intro with a [link](not-a-chapter.html) in prose.\n"
        "```\n"
        "- [In code](code.md)\n"
        "```\n"
        "---\n"
        "* * *\n"
        "-\n"
        "- [Real](real.md)\n"
    )
    result = parse(text, tmp_path)
    assert messages(result) == []
    assert [(n.slug, n.contents_line) for n in result.nodes] == [("real", 8)]


def test_line_numbers_count_only_newlines(tmp_path: Path) -> None:
    # \f and U+2028 are not line breaks for editors, so they must not shift the line numbers.
    text = "\ufeffprose\x0cstill line 1\u2028same\r\n- [A](a.md)\r\n- [A](a.md)\r\n"
    result = parse(text, tmp_path)
    assert [n.contents_line for n in result.nodes] == [2]
    assert [d.line for d in result.diagnostics] == [3]


def test_part_slugs_are_deduplicated(tmp_path: Path) -> None:
    text = (
        "- Extras\n  - [A](a.md)\n- **Extras**\n  - [B](b.md)\n"
        "- Extras\n  - [X](part-extras-3.md)\n"
    )
    result = parse(text, tmp_path)
    assert [n.slug for n in result.nodes] == [
        "part-extras", "a", "part-extras-2", "b", "part-extras-4", "part-extras-3",
    ]


def test_slugs() -> None:
    assert chapter_slug("more_fun.md") == "more-fun"
    assert chapter_slug("Collab-Ex.md") == "collab-ex"
    assert chapter_slug("000_intro.md") == "ch-000-intro"
    assert chapter_slug("Über uns.md") == "uber-uns"
    assert chapter_slug("!!!.md") == "chapter"
    assert slugify("RESOURCES") == "resources"


def test_read_contents(tmp_path: Path) -> None:
    (tmp_path / "SUMMARY.md").write_text("- [One](one.md)\n", encoding="utf-8")
    result = read_contents(tmp_path / "SUMMARY.md")
    assert [n.source_path for n in result.nodes] == [(tmp_path / "one.md").resolve()]


@pytest.mark.corpus
def test_real_handbook_contents(corpus_dir: Path) -> None:
    readme = corpus_dir / "en-md" / "README.md"
    result = read_contents(readme)
    assert [d.code for d in result.diagnostics] == ["malformed-link"]
    chapters = [n for n in result.nodes if n.kind == "chapter"]
    assert len(chapters) == 60
    lines = readme.read_text(encoding="utf-8").split("\n")
    # Titles and order exactly as in the README, at the README's own line numbers.
    for node in result.nodes:
        assert f"[{node.title}]" in lines[node.contents_line - 1] or node.kind == "part"
    assert [c.title for c in chapters[:3]] == [
        "FOREWARD", "INTRODUCTION", "How to use this Handbook",
    ]
    assert chapters[-1].title == "License"
    parts = [(n.title, n.depth, n.contents_line) for n in result.nodes if n.kind == "part"]
    assert parts == [("Patterns", 2, 14), ("Antipatterns", 2, 27), ("RESOURCES", 1, 57)]
    by_slug = {n.slug: n for n in chapters}
    assert by_slug["wrapper"].depth == 3
    assert by_slug["pattern-story"].depth == 2
    connectivism = by_slug["connectivism"]
    assert connectivism.source_path == (corpus_dir / "en-md" / "connectivism.md").resolve()
    assert connectivism.title == (
        "Connectivism in Practice -- How to Organize a MOOC (Massive Open Online Class)"
    )
    assert all(c.source_path is not None and c.source_path.is_file() for c in chapters)


# --- properties ---------------------------------------------------------------------------------

_LINES = st.lists(
    st.one_of(
        st.text(max_size=40),
        st.builds(
            "{}{} [{}]({}.md)".format,
            st.sampled_from(["", "  ", "    ", "\t", "      ", "        "]),
            st.sampled_from(["-", "*", "+", "1."]),
            st.text(alphabet=st.characters(blacklist_characters="[]\n\r"), max_size=12),
            st.text(alphabet="abAB_-. 1é/", min_size=0, max_size=6),
        ),
        st.builds("{}- {}".format, st.sampled_from(["", "  ", "    "]), st.text(max_size=12)),
    ),
    max_size=30,
)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_never_crashes_on_arbitrary_text(text: str) -> None:
    result = parse_contents(text, contents_path=Path("/book/contents.md"))
    assert all(d.line is None or d.line >= 1 for d in result.diagnostics)


@settings(max_examples=300, deadline=None)
@given(_LINES)
def test_slugs_unique_and_depths_bounded(lines: list[str]) -> None:
    text = "\n".join(lines)
    result = parse_contents(text, contents_path=Path("/book/contents.md"))
    slugs = [n.slug for n in result.nodes]
    assert len(slugs) == len(set(slugs))
    assert all(slug and slug == slug.lower() for slug in slugs)
    assert all(1 <= n.depth <= 3 for n in result.nodes)
    line_count = len(text.split("\n"))
    assert all(1 <= n.contents_line <= line_count for n in result.nodes)
    paths = [n.source_path for n in result.nodes if n.source_path is not None]
    assert len(paths) == len(set(paths))
