"""Property-based tests (hypothesis) of what the unit properties elsewhere do not cover: whole
books through sources, assembly and pandoc (ids unique across the book, every internal link
resolves, every footnote lands), the contents list round trip, slugs, the sanitizer, the fetch
policy and the guard. Unit-level properties live next to their modules' tests (test_contents,
test_links, test_markdown_fix, test_markdown_scan, test_manifest).
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

import lxml.html
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from bookmaker import make_book, png_bytes
from handbook_build.html.assemble import assemble
from handbook_build.html.htmlbook import to_html
from handbook_build.html.sanitize import sanitize_html
from handbook_build.render.fetch import ConfinedFiles, FetchRefusedError
from handbook_build.sources import guard
from handbook_build.sources.chapters import read_book
from handbook_build.sources.contents import chapter_slug, parse_contents, part_slug, slugify
from handbook_build.sources.manifest import load_manifest

# --- slugs --------------------------------------------------------------------------------------

XHTML_ID = re.compile(r"^[a-z][a-z0-9-]*$")
XML_NAME = re.compile(r"^[^\W\d][\w.-]*$")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_slugs_are_ascii_idempotent_and_valid_xhtml_ids(text: str) -> None:
    slug = slugify(text)
    assert re.fullmatch(r"(?:[a-z0-9]+(?:-[a-z0-9]+)*)?", slug), slug
    assert slugify(slug) == slug
    assert XHTML_ID.match(chapter_slug(text + ".md")), chapter_slug(text + ".md")
    assert XHTML_ID.match(part_slug(text))


# --- the contents list: what is written is what is read ----------------------------------------

TITLE = st.text(alphabet="abcdefghij XYZ-'", min_size=1, max_size=14).map(str.strip).filter(
    lambda t: bool(t) and not t.startswith(("-", "'")))


@st.composite
def contents_tree(draw: st.DrawFn) -> list[tuple[int, str, str | None]]:
    """(depth, title, file or None for a part), depths never jumping by more than one."""
    items: list[tuple[int, str, str | None]] = []
    depth = 0
    for number in range(draw(st.integers(1, 25))):
        depth = draw(st.integers(1, min(3, depth + 1)))
        is_part = draw(st.booleans()) and depth < 3
        name = None if is_part else f"c{number}-{draw(st.sampled_from(['a', 'b', 'x_y']))}.md"
        items.append((depth, draw(TITLE), name))
    assume(any(name is not None for _, _, name in items))
    return items


@settings(max_examples=200, deadline=None)
@given(contents_tree(), st.sampled_from(["-", "*", "+", "1."]), st.sampled_from([2, 4]))
def test_contents_round_trip(items: list[tuple[int, str, str | None]], bullet: str,
                             indent: int) -> None:
    lines = ["# The Book", ""]
    for depth, title, name in items:
        text = f"**{title}**" if name is None else f"[{title}](chapters/{name})"
        lines.append(" " * (indent + len(bullet) - 1) * (depth - 1) + f"{bullet} {text}")
    result = parse_contents("\n".join(lines) + "\n", contents_path=Path("/b/contents.md"))
    assert [d for d in result.diagnostics if d.severity == "error"] == []
    assert [(n.depth, n.title, n.source_path.name if n.source_path else None)
            for n in result.nodes] == items
    slugs = [n.slug for n in result.nodes]
    assert len(slugs) == len(set(slugs))
    assert [n.contents_line for n in result.nodes] == list(range(3, 3 + len(items)))


# --- whole books: ids unique, links resolvable, notes placed -----------------------------------

NAMES = ("alpha.md", "beta.md", "gamma.md")
WORDS = ("Intro", "Notes", "Same", "Same", "Über", "x_y", "2nd", "A & B")
ANCHORS = ("x", "same", "intro", "notes", "nope", "alpha", "beta")
LABELS = ("1", "2", "a", "note", "x-y")


@st.composite
def chapter_body(draw: st.DrawFn) -> str:
    blocks: list[str] = []
    for _ in range(draw(st.integers(0, 10))):
        kind = draw(st.integers(0, 8))
        if kind == 0:
            level = draw(st.integers(1, 6))
            anchor = draw(st.sampled_from(("", " {#x}", " {#same}", " {#intro}")))
            blocks.append(f"{'#' * level} {draw(st.sampled_from(WORDS))}{anchor}")
        elif kind == 1:
            blocks.append(f"Claim[^{draw(st.sampled_from(LABELS))}] and more.")
        elif kind == 2:
            blocks.append(f"[^{draw(st.sampled_from(LABELS))}]: The note text.")
        elif kind == 3:
            target = draw(st.sampled_from(NAMES))
            anchor = draw(st.sampled_from(("", *(f"#{a}" for a in ANCHORS))))
            blocks.append(f"See [the other one]({target}{anchor}).")
        elif kind == 4:
            blocks.append(f"Up to [here](#{draw(st.sampled_from(ANCHORS))}).")
        elif kind == 5:
            blocks.append(f'<a href="#{draw(st.sampled_from(ANCHORS))}">raw link</a>')
        elif kind == 6:
            # A missing local image stops the build (missing-image), so the books here hold
            # none; the web image is the one that becomes a placeholder.
            blocks.append(draw(st.sampled_from((
                "![A picture](../images/a.png)", "[![A linked picture](../images/a.png)](beta.md)",
                "![Remote](https://example.com/a.png)", "```\n[^1] [x](beta.md) {#x}\n```",
                "> Quoted[^q] text\n\n[^q]: Quoted note.", "- item [x](gamma.md#same)\n  - deeper",
            ))))
        elif kind == 7:
            blocks.append(f"[ref][{draw(st.sampled_from(('r', 'R', 'other')))}]\n\n[r]: beta.md")
        else:
            blocks.append(draw(st.text(alphabet="ab *_[]()#^!<>\n", max_size=30)))
    return "\n\n".join(blocks) + "\n"


def _html_of_book(chapters: dict[str, str]) -> lxml.html.HtmlElement:
    with tempfile.TemporaryDirectory() as folder:
        book = make_book(Path(folder) / "book", chapters=chapters,
                         images={"a.png": png_bytes()})
        manifest = load_manifest(book.manifest)
        html_book = to_html(assemble(read_book(manifest, Path(folder) / "out")))
    body = "".join(section.html for section in html_book.sections)
    return lxml.html.fragment_fromstring(body, create_parent="div")


BOOKS = st.lists(chapter_body(), min_size=len(NAMES), max_size=len(NAMES))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(BOOKS)
def test_whole_books_have_unique_ids_and_no_chapter_file_links(bodies: list[str]) -> None:
    tree = _html_of_book(dict(zip(NAMES, bodies, strict=True)))
    ids = [element.get("id") for element in tree.iter() if element.get("id")]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    assert all(XML_NAME.match(i) for i in ids), ids  # ids must be XML names (XHTML, EPUB)
    for link in tree.iter("a"):
        href = link.get("href") or ""
        assert not href.endswith(".md") and ".md#" not in href, href
    for note in tree.find_class("footnote"):
        assert note.get("data-n", "").isdigit()
        assert note.get("id", "").startswith("fn-")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@example(bodies=["# Alpha\n", "# Beta\n", "See [alpha](alpha.md#nope).\n"])
@given(BOOKS)
def test_whole_books_have_only_resolvable_internal_links(bodies: list[str]) -> None:
    tree = _html_of_book(dict(zip(NAMES, bodies, strict=True)))
    known = {element.get("id") for element in tree.iter() if element.get("id")}
    for link in tree.iter("a"):
        href = link.get("href") or ""
        if href.startswith("#"):
            assert href[1:] in known, href


# --- raw HTML: whatever goes in, nothing executable comes out ----------------------------------

TAGS = ("a", "p", "div", "span", "img", "script", "style", "iframe", "object", "embed", "svg",
        "math", "form", "input", "link", "meta", "base", "template", "noscript", "video",
        "details", "table", "td", "b", "section", "SCRIPT", "ScRiPt", "frame", "xmp", "plaintext")
ATTRIBUTES = ("href", "src", "onclick", "onerror", "ONLOAD", "style", "rel", "id", "class",
              "srcset", "formaction", "action", "data", "xlink:href", "srcdoc", "poster", "alt")
VALUES = ("javascript:alert(1)", " JAVASCRIPT:alert(1)", "java\tscript:x", "&#106;avascript:x",
          "\x01javascript:x", "jav&#x0A;ascript:x", "&#x20;javascript:x",
          "data:text/html,x", "vbscript:x", "file:///etc/passwd", "attachment", "#ok",
          "https://example.com/", "x.png", "url(http://e.com/x)", "alert(1)", "", "\"><script>")


@st.composite
def hostile_html(draw: st.DrawFn) -> str:
    parts: list[str] = []
    for _ in range(draw(st.integers(1, 8))):
        tag = draw(st.sampled_from(TAGS))
        attributes = " ".join(
            f'{draw(st.sampled_from(ATTRIBUTES))}="{draw(st.sampled_from(VALUES))}"'
            for _ in range(draw(st.integers(0, 3))))
        inner = draw(st.sampled_from(("", "text", "alert(1)", "<b>x</b>", "<!-- c -->")))
        close = draw(st.sampled_from((f"</{tag}>", "", f"</{tag.lower()}>")))
        parts.append(f"<{tag} {attributes}>{inner}{close}")
    return "".join(parts)


SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
FORBIDDEN_TAGS = {"script", "style", "iframe", "object", "embed", "svg", "math", "form", "input",
                  "link", "meta", "base", "template", "noscript", "video", "frame", "xmp",
                  "plaintext"}


@settings(max_examples=400, deadline=None)
@given(hostile_html())
def test_the_sanitizer_output_is_inert(html: str) -> None:
    clean = sanitize_html(f"<section>{html}</section>").html
    tree = lxml.html.fragment_fromstring(clean, create_parent="div")
    for element in tree.iter():
        if not isinstance(element.tag, str):
            continue
        assert element.tag.lower() not in FORBIDDEN_TAGS, clean
        for name, value in element.attrib.items():
            assert not name.lower().startswith("on"), clean
            assert name.lower() not in ("style", "rel", "srcset", "formaction", "action",
                                        "data", "srcdoc", "poster"), clean
            if name.lower() in ("href", "src"):
                # What a browser reads as the scheme: tabs and newlines removed, C0 and spaces
                # stripped at the ends; "url(http:..." has no scheme (a relative path).
                trimmed = re.sub(r"^[\x00-\x20]+|[\x00-\x20]+$", "", value)
                scheme = SCHEME.match(re.sub(r"[\t\n\r]", "", trimmed))
                assert scheme is None or scheme.group(1).lower() in ("http", "https", "mailto"), \
                    clean
    assert sanitize_html(clean).html == clean  # sanitizing again changes nothing


# --- the fetch policy: a confined path or a refusal, never anything else -----------------------

SEGMENTS = ("..", ".", "a", "b.png", "link", "loop", "", "%2e%2e", "%2F", "out.txt", "dir")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(SEGMENTS), min_size=1, max_size=6),
       st.sampled_from(("file://", "file://localhost", "file:", "", "FILE://")))
def test_fetch_policy_serves_only_files_under_the_root(segments: list[str], prefix: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        root = base / "root"
        (root / "a" / "dir").mkdir(parents=True)
        (root / "a" / "b.png").write_bytes(b"png")
        (root / "b.png").write_bytes(b"png")
        (base / "out.txt").write_text("secret")
        (root / "link").symlink_to(base / "out.txt")
        (root / "a" / "link").symlink_to(base, target_is_directory=True)
        (root / "loop").symlink_to(root / "loop")
        policy = ConfinedFiles([root])
        url = prefix + str(root) + "/" + "/".join(segments)
        try:
            path = policy.admit(url)
        except FetchRefusedError:
            assert url in policy.refused
            return
        assert path is not None and path.is_file()
        assert path.resolve().is_relative_to(root.resolve())
        assert os.path.realpath(path) != str(base / "out.txt")


# --- the guard never raises --------------------------------------------------------------------

SVG_PIECES = ("<svg xmlns='http://www.w3.org/2000/svg'>", "</svg>", "<g>", "</g>",
              "<!DOCTYPE svg [", "<!ENTITY x 'y'>", "]>", "&x;", "<image href='", "'/>",
              "file:///etc/passwd", "#a", "data:,x", "<style>", "</style>", "@import",
              "url(", ")", "<?xml version='1.0'?>", "<script>", "</script>", "<!--", "-->",
              "\x00", "\xff", "<![CDATA[", "]]>", "<use xlink:href='", "x", " ")


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(SVG_PIECES), max_size=20).map("".join))
def test_svg_check_never_raises_and_refuses_every_outside_reference(svg: str) -> None:
    data = svg.encode("utf-8", "surrogatepass")
    reason = guard.check_svg_bytes(data)
    if reason is None:
        assert b"<!ENTITY" not in data and b"file:" not in data and b"<script" not in data
        assert b"@import" not in data


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_image_check_never_raises_on_any_bytes(data: bytes) -> None:
    assume(data)
    with tempfile.TemporaryDirectory() as folder:
        for name in ("x.png", "x.svg"):
            path = Path(folder) / name
            path.write_bytes(data)
            result = guard.check_image(path)
            assert result is None or isinstance(result, str)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=" \t>-*+1.)`~<div>/span\n", max_size=300))
def test_nesting_check_never_raises_and_reports_real_lines(text: str) -> None:
    for problem in guard.check_chapter_text(text, "c.md"):
        assert problem.line is not None and 1 <= problem.line <= text.count("\n") + 1
