"""Bad input, one small book per case: every case builds (with a warning naming what was dropped)
or fails with ``file:line: problem; hint``, exit status 1, no traceback and nothing written, in a
bounded time. Cheap cases run in this process (CliRunner, ``signal.alarm``); the pathological ones
(huge chapter, deep nesting, 10,000 footnotes, decompression bomb) run in a child process with a
timeout and memory limits.
"""

from __future__ import annotations

import errno
import os
import re
import zipfile
from collections.abc import Sequence
from pathlib import Path

import lxml.html
import pytest

from bookmaker import (
    DEFAULT_TOML,
    Book,
    Run,
    bomb_png,
    build_args,
    contents_for,
    corrupt_png,
    edition_hashes,
    make_book,
    png_bytes,
    run_cli,
    run_cli_subprocess,
    temp_leftovers,
)
from opcount import growth

# One diagnostic line: path[:line[:col]]: problem; hint
DIAGNOSTIC = re.compile(r"^(?P<path>[^\s:]+)(?::(?P<line>\d+))?(?::\d+)?: (?P<problem>[^;]+); "
                        r"(?P<hint>\S.*)$")
SECRET = "top-secret-7f3a9c"  # planted outside the book: must never reach an output


def assert_fails(run: Run, out: Path, *patterns: str, line: int | None = None) -> list[str]:
    """Exit 1, no traceback, the patterns in the message, a well-formed first line, no files."""
    assert run.exit_code == 1, run.output
    assert not run.has_traceback, run.output
    problems = [text for text in run.output.splitlines()
                if text and not text.startswith(("·", "warning:"))]
    assert problems, run.output
    match = DIAGNOSTIC.match(problems[0])
    assert match, f"not 'file:line: problem; hint': {problems[0]!r}"
    if line is not None:
        assert match["line"] == str(line), problems[0]
    for pattern in patterns:
        assert found(pattern, run.output), f"{pattern!r} not in:\n{run.output}"
    assert edition_hashes(out) == {}, "a failed build wrote files"
    assert temp_leftovers(out) == []
    return problems


def assert_builds(run: Run, *warnings: str) -> None:
    assert run.exit_code == 0, run.output
    assert not run.has_traceback, run.output
    for pattern in warnings:
        assert found(pattern, run.output), f"{pattern!r} not in:\n{run.output}"


# Every message reads "path:line:col: severity: message; hint [code]"; most patterns here name
# the place and the problem, so they are also looked for with the severity left out.
_SEVERITY = re.compile(r"(?m)^([^\s:][^:\n]*(?::\d+){0,2}): (?:error|warning): ")


def found(pattern: str, output: str) -> bool:
    return bool(re.search(pattern, output) or re.search(pattern, _SEVERITY.sub(r"\1: ", output)))


def build(book: Book, out: Path, formats: Sequence[str] = ("md",), *extra: str,
          timeout: int = 60) -> Run:
    return run_cli(build_args(book, out, formats, extra), timeout=timeout)


def html_of(out: Path) -> str:
    return (out / "book.html").read_text(encoding="utf-8")


def epub_text(out: Path) -> str:
    with zipfile.ZipFile(out / "book.epub") as archive:
        return "\n".join(archive.read(name).decode("utf-8", "replace")
                         for name in archive.namelist() if name.endswith((".xhtml", ".css",
                                                                          ".opf")))


# --- the manifest and the contents list ---------------------------------------------------------


def test_manifest_not_toml(tmp_path: Path) -> None:
    book = make_book(tmp_path / "b", toml='[book\ntitle = "x"\n')
    run = build(book, tmp_path / "out")
    assert_fails(run, tmp_path / "out", r"book\.toml:1:\d+: not valid TOML", line=1)


def test_manifest_unknown_key(tmp_path: Path) -> None:
    book = make_book(tmp_path / "b", toml_extra='\n[pdf]\ncolour = "red"\n')
    run = build(book, tmp_path / "out")
    assert_fails(run, tmp_path / "out", r"book\.toml:\d+: unknown key 'colour' in \[pdf\]",
                 line=DEFAULT_TOML.count("\n") + 3)


def test_manifest_wrong_type(tmp_path: Path) -> None:
    book = make_book(tmp_path / "b", toml=DEFAULT_TOML.replace('"Test Book"', "42"))
    run = build(book, tmp_path / "out")
    assert_fails(run, tmp_path / "out", r"book\.title must be a string", line=2)


def test_missing_chapter_file(tmp_path: Path) -> None:
    book = make_book(tmp_path / "b", contents="- [A](chapters/intro.md)\n- [B](chapters/nope.md)\n")
    run = build(book, tmp_path / "out")
    assert_fails(run, tmp_path / "out", r"contents\.md:2: chapter file .*nope\.md does not exist",
                 line=2)


def test_chapter_listed_twice(tmp_path: Path) -> None:
    contents = "- [A](chapters/intro.md)\n- [B](chapters/intro.md)\n"
    book = make_book(tmp_path / "b", contents=contents)
    run = build(book, tmp_path / "out")
    assert_fails(run, tmp_path / "out", r"listed twice \(first on line 1\)", line=2)


@pytest.mark.parametrize(("contents", "message"), [
    ("", "the contents file has no list items"),
    ("# Just a title\n\nSome prose.\n", "the contents file has no list items"),
    ("- Part one\n- Part two\n  - **Bold part**\n", "the contents list links to no chapter"),
])
def test_contents_empty_or_without_links(tmp_path: Path, contents: str, message: str) -> None:
    book = make_book(tmp_path / "b", contents=contents)
    run = build(book, tmp_path / "out")
    assert_fails(run, tmp_path / "out", rf"contents\.md:1: {message}", line=1)


@pytest.mark.parametrize("target", ["../outside.md", "chapters/../../outside.md",
                                    "{outside}", "file://{outside}"])
def test_chapter_path_leaving_the_book(tmp_path: Path, target: str) -> None:
    outside = tmp_path / "outside.md"
    outside.write_text(f"# Outside\n\n{SECRET}\n")
    target = target.format(outside=outside)
    book = make_book(tmp_path / "b", contents=f"- [A](chapters/intro.md)\n- [B]({target})\n")
    run = build(book, tmp_path / "out")
    if target.startswith("file://"):
        # A URL names a chapter by its last segment: outside.md, which the book does not have.
        assert_fails(run, tmp_path / "out", r"contents\.md:2: chapter file .* does not exist")
    else:
        assert_fails(run, tmp_path / "out", r"contents\.md:2: chapter outside\.md leaves the "
                     r"book's folders", line=2)
    assert SECRET not in run.output


def test_symlinked_chapter_leading_out_of_the_book(tmp_path: Path) -> None:
    outside = tmp_path / "outside.md"
    outside.write_text(f"# Outside\n\n{SECRET}\n")
    book = make_book(tmp_path / "b", contents="- [A](chapters/intro.md)\n- [B](chapters/evil.md)\n")
    book.chapter("evil.md").symlink_to(outside)
    run = build(book, tmp_path / "out")
    assert_fails(run, tmp_path / "out", r"contents\.md:2: chapter \w+\.md leaves the book's "
                 r"folders", line=2)
    assert SECRET not in run.output


def test_symlinked_chapters_folder_leading_out_of_the_book(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "intro.md").write_text(f"# Outside\n\n{SECRET}\n")
    book = make_book(tmp_path / "b", chapters={})
    book.chapters.rmdir()
    book.chapters.symlink_to(elsewhere, target_is_directory=True)
    book.contents.write_text("- [A](chapters/intro.md)\n")
    run = build(book, tmp_path / "out")
    assert_fails(run, tmp_path / "out", r"leaves the book's folders")


def test_symlink_loop_as_chapter(tmp_path: Path) -> None:
    book = make_book(tmp_path / "b", contents="- [A](chapters/intro.md)\n- [B](chapters/loop.md)\n")
    book.chapter("loop.md").symlink_to(book.chapter("loop.md"))
    run = build(book, tmp_path / "out")
    assert_fails(run, tmp_path / "out", r"contents\.md:2: .*loop\.md")


def test_fifo_as_chapter_does_not_hang(tmp_path: Path) -> None:
    book = make_book(tmp_path / "b", contents="- [A](chapters/intro.md)\n- [B](chapters/pipe.md)\n")
    os.mkfifo(book.chapter("pipe.md"))
    run = build(book, tmp_path / "out", timeout=20)
    assert_fails(run, tmp_path / "out", r"contents\.md:2: .*pipe\.md")


# --- chapter files ------------------------------------------------------------------------------


def test_non_utf8_chapter(tmp_path: Path) -> None:
    book = make_book(tmp_path / "b", chapters={"intro.md": b"# Intro\n\nCaf\xe9 au lait.\n"})
    run = build(book, tmp_path / "out")
    assert_fails(run, tmp_path / "out", r"intro\.md:3:4: the file is not valid UTF-8 "
                 r"\(byte 0xe9\); save the file as UTF-8", line=3)


def test_binary_file_as_chapter(tmp_path: Path) -> None:
    book = make_book(tmp_path / "b", chapters={"intro.md": png_bytes()})
    run = build(book, tmp_path / "out")
    assert_fails(run, tmp_path / "out", r"intro\.md:1:1: .*not valid UTF-8", line=1)


def test_chapter_with_nul_bytes(tmp_path: Path) -> None:
    book = make_book(tmp_path / "b", chapters={"intro.md": b"# Intro\n\nText\x00\x01\x02 more\n"})
    run = build(book, tmp_path / "out")
    assert_fails(run, tmp_path / "out", r"intro\.md:3:5: the chapter contains a NUL byte", line=3)


def test_empty_chapter_builds_with_a_placeholder(tmp_path: Path) -> None:
    book = make_book(tmp_path / "b", chapters={"intro.md": "# Intro\n\nHi.\n", "empty.md": ""})
    run = build(book, tmp_path / "out", ("md", "html"))
    assert_builds(run, r"empty\.md:1: warning: the chapter is empty")
    assert "This chapter has no content yet" in html_of(tmp_path / "out")


def test_whitespace_only_chapter_is_empty_too(tmp_path: Path) -> None:
    book = make_book(tmp_path / "b", chapters={"blank.md": "\n \t\n\n"})
    run = build(book, tmp_path / "out")
    assert_builds(run, r"blank\.md:1: warning: the chapter is empty")


def test_chapter_that_is_a_folder(tmp_path: Path) -> None:
    book = make_book(tmp_path / "b", contents="- [A](chapters/intro.md)\n- [B](chapters/dir.md)\n")
    book.chapter("dir.md").mkdir()
    run = build(book, tmp_path / "out")
    assert_fails(run, tmp_path / "out", r"contents\.md:2: .*dir\.md", line=2)


# --- pathological chapters: child process, timeout, memory limit --------------------------------

_PARAGRAPH = "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do. " * 8 + "\n\n"


def test_peak_memory_is_the_clis_own_not_the_test_workers() -> None:
    """The memory figures below are the CLI's: a worker holding 600 MB (the shared handbook build,
    a rendered page) must not lend them to the child it starts, as a plain fork and exec does."""
    ballast = bytearray(600 * 1024 * 1024)
    ballast[::4096] = b"\x01" * len(ballast[::4096])  # touched, so resident
    run = run_cli_subprocess(["--version"], timeout=60)
    assert run.exit_code == 0, run.output
    assert run.max_rss_mb < 300, f"peak memory {run.max_rss_mb:.0f} MB"
    del ballast


def test_five_megabyte_chapter_is_refused_quickly(tmp_path: Path) -> None:
    big = "# Big\n\n" + _PARAGRAPH * (5_000_000 // len(_PARAGRAPH))
    book = make_book(tmp_path / "b", chapters={"intro.md": "# Intro\n", "big.md": big})
    run = run_cli_subprocess(build_args(book, tmp_path / "out", ("md", "html")), timeout=60,
                             memory_mb=1024)
    assert_fails(run, tmp_path / "out", r"big\.md:1: the chapter is 4\.\d MB, more than the 1 MB",
                 r"split it into several chapters", line=1)
    assert run.max_rss_mb < 512, f"peak memory {run.max_rss_mb:.0f} MB"


@pytest.mark.parametrize(("kind", "line"), [("list", 19), ("quote", 35), ("html", 3)])
def test_nesting_500_deep_is_refused_with_its_line(tmp_path: Path, kind: str, line: int) -> None:
    if kind == "list":
        body = "".join("  " * level + "- item\n" for level in range(500))
    elif kind == "quote":
        body = "".join("> " * (level + 1) + "quote\n" + "> " * (level + 1) + "\n"
                       for level in range(500))
    else:
        body = "<div>" * 500 + "deep" + "</div>" * 500 + "\n"
    book = make_book(tmp_path / "b", chapters={"deep.md": "# Deep\n\n" + body})
    run = run_cli_subprocess(build_args(book, tmp_path / "out", ("md", "html", "pdf")),
                             timeout=60, memory_mb=1024)
    assert_fails(run, tmp_path / "out", r"deep\.md:\d+: .*nest.* deep", line=line)


def test_nesting_within_the_limit_renders_every_edition(tmp_path: Path) -> None:
    lists = "".join("  " * level + "- item\n" for level in range(12))
    quotes = "\n" + "".join("> " * (level + 1) + "quote\n" + "> " * (level + 1) + "\n"
                            for level in range(4))
    divs = "\n" + "<div>" * 30 + "deep" + "</div>" * 30 + "\n"
    book = make_book(tmp_path / "b", chapters={"deep.md": "# Deep\n\n" + lists + quotes + divs})
    run = run_cli_subprocess(build_args(book, tmp_path / "out", ("md", "html", "pdf", "epub")),
                             timeout=120, memory_mb=1536)
    assert_builds(run)


def _footnotes(count: int) -> str:
    calls = "".join(f"Claim number {n}.[^n{n}]\n\n" for n in range(count))
    notes = "".join(f"[^n{n}]: Source {n}.\n" for n in range(count))
    return "# Notes\n\n" + calls + notes


def test_ten_thousand_footnotes_build(tmp_path: Path) -> None:
    book = make_book(tmp_path / "b", chapters={"notes.md": _footnotes(10_000)})
    out = tmp_path / "out"
    run = run_cli_subprocess(build_args(book, out, ("md", "html")), timeout=150, memory_mb=2048)
    assert_builds(run)
    assert run.max_rss_mb < 1536, f"peak memory {run.max_rss_mb:.0f} MB"
    page = lxml.html.fromstring(html_of(out))
    ids = [element.get("id") for element in page.iter() if element.get("id")]
    assert len(ids) == len(set(ids))
    assert len(page.find_class("footnotes")[0]) == 10_000


def test_footnotes_are_read_in_linear_cost(tmp_path: Path) -> None:
    """Reading and assembling (every Markdown transform, line mapping, the footnote checks)
    costs the same per note at 1,000 and 4,000 notes: counted calls, not seconds (the 100,000
    -note figures are benchmarks/footnotes.py's)."""
    from handbook_build.html.assemble import assemble
    from handbook_build.sources.chapters import read_book
    from handbook_build.sources.manifest import load_manifest

    def read(count: int) -> None:
        book = make_book(tmp_path / f"b{count}", chapters={"notes.md": _footnotes(count)})
        manuscript = assemble(read_book(load_manifest(book.manifest), tmp_path / f"o{count}"))
        assert manuscript.text.count("[^") == 2 * count

    assert growth(read, 1_000, 4_000) < 1.3


def test_too_many_footnotes_for_the_pdfs_is_refused_before_layout(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Over the per-chapter limit the paged editions stop at once, naming the chapter and the
    editions that do build; those then build with every note (none lost)."""
    from handbook_build.render import paged_limits

    monkeypatch.setattr(paged_limits, "MAX_PAGED_FOOTNOTES", 30)
    book = make_book(tmp_path / "b", chapters={"intro.md": "# Intro\n\nHi.[^a]\n\n[^a]: One.\n",
                                                 "notes.md": _footnotes(31)})
    out = tmp_path / "out"
    run = build(book, out, ("md", "html", "pdf"))
    assert_fails(run, out, r"chapters/notes\.md: the chapter has 31 footnotes, more than the 30",
                 r"pdf editions", r"split the chapter, or build the other editions only "
                 r"\(-f md -f html -f epub\)")
    assert "intro.md" not in run.output  # one note: under the limit
    run = build(book, out, ("md", "html", "epub"))
    assert_builds(run)
    page = lxml.html.fromstring(html_of(out))
    assert len(page.find_class("footnotes")[-1]) == 31
    # The EPUB's page list would need the print layout the limit forbids: none, and it says so
    # (an EPUB-only build of such a book must not lay out the print edition for minutes).
    assert "no page list: the chapter has 31 footnotes" in run.output, run.output
    assert "[epub-no-page-list]" in run.output
    with zipfile.ZipFile(next(out.glob("*.epub"))) as archive:
        navigation = archive.read(next(n for n in archive.namelist() if n.endswith("nav.xhtml")))
    assert b"page-list" not in navigation
    monkeypatch.setattr(paged_limits, "MAX_PAGED_FOOTNOTES", 31)  # at the limit: laid out
    assert_builds(build(book, tmp_path / "pdf", ("pdf",), timeout=300))


# --- headings and ids ---------------------------------------------------------------------------


def test_heading_levels_jumping(tmp_path: Path) -> None:
    text = "# A\n\n##### Deep\n\ntext\n\n## B\n\n###### Six\n"
    book = make_book(tmp_path / "b", chapters={"jump.md": text})
    run = build(book, tmp_path / "out", ("md", "html"))
    assert_builds(run, r"jump\.md:3: warning: heading jumps from level 2 to level 6",
                  r"jump\.md:9: .*heading")


def _unique_ids_and_resolvable_links(out: Path) -> None:
    page = lxml.html.fromstring(html_of(out))
    ids = [element.get("id") for element in page.iter() if element.get("id")]
    assert len(ids) == len(set(ids)), sorted(ids)
    for link in page.iter("a"):
        href = link.get("href", "")
        if href.startswith("#"):
            assert href[1:] in ids, href


def test_duplicate_heading_ids_are_made_unique(tmp_path: Path) -> None:
    text = ("# A\n\n## Same {#x}\n\ntext\n\n## Same {#x}\n\n"
            "## Same\n\n## Same\n\n[to x](#x)\n")
    book = make_book(tmp_path / "b", chapters={"one.md": text, "two.md": text})
    out = tmp_path / "out"
    run = build(book, out, ("md", "html", "epub"))
    assert_builds(run, r"one\.md:7: warning: the id #x is used twice",
                  r"two\.md:7: warning: the id #x is used twice")
    _unique_ids_and_resolvable_links(out)


def test_duplicate_raw_html_ids_are_made_unique(tmp_path: Path) -> None:
    text = '# A\n\n<span id="x">raw</span> and <div id="note">more</div>\n\n[to x](#x)\n'
    book = make_book(tmp_path / "b", chapters={"one.md": text, "two.md": text})
    out = tmp_path / "out"
    assert_builds(build(book, out, ("md", "html", "epub")))
    _unique_ids_and_resolvable_links(out)


# --- images -------------------------------------------------------------------------------------

SVG_ENTITY = (b'<?xml version="1.0"?>\n<!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
              b'<svg xmlns="http://www.w3.org/2000/svg" width="100" height="40">'
              b'<text y="20">&x;</text></svg>\n')
SVG_IMAGE_FILE = (b'<svg xmlns="http://www.w3.org/2000/svg" width="100" height="40">'
                  b'<image href="file:///etc/passwd" width="10" height="10"/></svg>\n')
SVG_XLINK_HTTP = (b'<svg xmlns="http://www.w3.org/2000/svg" '
                  b'xmlns:xlink="http://www.w3.org/1999/xlink" width="100" height="40">'
                  b'<image xlink:href="http://example.com/x.png" width="10" height="10"/></svg>\n')


def _image_case(tmp_path: Path, name: str, data: bytes, formats: Sequence[str] = ("md", "html",
                                                                                 "epub")
                ) -> tuple[Run, Path]:
    text = f"# Pictures\n\nBefore.\n\n![A picture]({'../images/' + name})\n\nAfter.\n"
    book = make_book(tmp_path / "b", chapters={"pics.md": text}, images={name: data,
                                                                         "ok.png": png_bytes()})
    out = tmp_path / "out"
    return build(book, out, formats), out


def _assert_placeholder(out: Path, name: str) -> None:
    page = html_of(out)
    assert "Image not available: A picture" in page
    assert name not in page
    assert name not in epub_text(out)
    with zipfile.ZipFile(out / "book.epub") as archive:
        assert archive.testzip() is None
        assert not [n for n in archive.namelist() if n.endswith(Path(name).suffix)
                    and "cover" not in n]


def test_missing_image(tmp_path: Path) -> None:
    text = "# Pictures\n\n![A picture](../images/nope.png)\n"
    book = make_book(tmp_path / "b", chapters={"pics.md": text})
    run = build(book, tmp_path / "out", ("md", "html"))
    # A local file that is not there is a typo to fix: an error, and nothing is written.
    assert_fails(run, tmp_path / "out",
                 r"pics\.md:3:1: error: image not found: \.\./images/nope\.png", line=3)
    web = make_book(tmp_path / "w",
                    chapters={"pics.md": "# P\n\n![A picture](http://x.org/nope.png)\n"})
    assert_builds(build(web, tmp_path / "out", ("md", "html")),
                  r"pics\.md:3:1: warning: image not found: http://x\.org/nope\.png")
    assert "Image not available: A picture" in html_of(tmp_path / "out")


@pytest.mark.parametrize(("name", "data", "reason"), [
    ("zero.png", b"", r"is empty \(0 bytes\)"),
    ("corrupt.png", corrupt_png(), r"is damaged or not a readable image"),
    ("truncated.png", png_bytes(64, 64)[:-30], r"is damaged or not a readable image"),
    ("entity.svg", SVG_ENTITY, r"declares XML entities"),
])
def test_unusable_image_becomes_a_placeholder(tmp_path: Path, name: str, data: bytes,
                                              reason: str) -> None:
    run, out = _image_case(tmp_path, name, data)
    assert_builds(run, rf"pics\.md:5:1: warning: image (?:refused|not found): \.\./images/"
                  rf"{re.escape(name)} \(.*{reason}")
    _assert_placeholder(out, name)
    assert "root:x:0:0" not in html_of(out) + epub_text(out)


@pytest.mark.parametrize(("name", "data"), [("fileref.svg", SVG_IMAGE_FILE),
                                            ("xlink.svg", SVG_XLINK_HTTP)])
def test_svg_referring_outside_itself_is_used_without_the_reference(
        tmp_path: Path, name: str, data: bytes) -> None:
    run, out = _image_case(tmp_path, name, data)
    assert_builds(run, rf"pics\.md:5:1: warning: image \.\./images/{re.escape(name)}: removed "
                  r"href= .*\[svg-cleaned\]")
    assert "Image not available: A picture" not in html_of(out)
    with zipfile.ZipFile(out / "book.epub") as archive:
        packaged = [archive.read(n) for n in archive.namelist() if n.endswith(name)]
    assert len(packaged) == 1 and b"href" not in packaged[0] and b"<image" in packaged[0]


def test_decompression_bomb_png(tmp_path: Path) -> None:
    """A 300-byte PNG declaring 100,000 x 100,000 pixels: refused from its header, in every
    edition, without the memory a decode would take."""
    text = "# Pictures\n\nBefore.\n\n![A picture](../images/bomb.png)\n\nAfter.\n"
    book = make_book(tmp_path / "b", chapters={"pics.md": text}, images={"bomb.png": bomb_png()})
    out = tmp_path / "out"
    assert len(bomb_png()) < 20_000
    run = run_cli_subprocess(build_args(book, out, ("md", "html", "epub", "pdf")), timeout=90,
                             memory_mb=1536)
    assert_builds(run, r"pics\.md:5:1: warning: image refused: \.\./images/bomb\.png "
                  r"\(bomb\.png declares 100000 x 100000 pixels .*decompression bomb")
    _assert_placeholder(out, "bomb.png")
    assert (out / "book.pdf").read_bytes().startswith(b"%PDF")
    assert run.max_rss_mb < 1024, f"peak memory {run.max_rss_mb:.0f} MB"


@pytest.mark.parametrize("src", ["file:///etc/passwd", "/etc/passwd", "<file:///etc/passwd>",
                                 "../../../../../../../../etc/passwd", "file:/etc/passwd"])
def test_image_src_outside_the_book(tmp_path: Path, src: str) -> None:
    text = f"# Pictures\n\n![A picture]({src})\n\n<img src=\"{src.strip('<>')}\" alt=\"raw\">\n"
    book = make_book(tmp_path / "b", chapters={"pics.md": text})
    out = tmp_path / "out"
    run = build(book, out, ("md", "html", "epub"))
    assert_builds(run, r"pics\.md:3:1: warning: image not found", r"pics\.md:5:1: warning: image "
                  r"not found")
    assert "passwd" not in html_of(out)
    assert "root:x:0:0" not in epub_text(out)


# --- raw HTML -----------------------------------------------------------------------------------

RAW_CASES = {
    "script": ('<script>alert("owned")</script>', r"raw HTML <script> (removed|will be dropped)",
               ["<script", "alert("]),
    "iframe": ('<iframe src="http://example.com/frame"></iframe>',
               r"raw HTML <iframe> (removed|will be dropped)",
               ["<iframe", "example.com/frame"]),
    "object": ('<object data="/etc/passwd"></object>',
               r"raw HTML <object> (removed|will be dropped)",
               ["<object", "/etc/passwd"]),
    "embed": ('<embed src="/etc/passwd">', r"raw HTML <embed> (removed|will be dropped)",
              ["<embed"]),
    "onclick": ('<p onclick="alert(1)" onmouseover="alert(2)">Click</p>',
                r"(raw HTML on\* event attribute removed|event handler onclick= will be dropped)",
                ["onclick", "onmouseover"]),
    "img-onerror": ('<img src="http://example.com/x.png" onerror="alert(1)" alt="x">',
                    r"warning:", ["onerror"]),
    "javascript-md": ("[Click](javascript:alert(1))", r"unsafe javascript: link removed",
                      ["javascript:"]),
    "javascript-html": ('<a href="JaVaScRiPt:alert(1)">Click</a>', r"warning:",
                        ["javascript:", "JaVaScRiPt"]),
    "attachment": ('<a rel="attachment" href="/etc/passwd">Attached</a>', r"warning:",
                   ["attachment", "/etc/passwd"]),
    "stylesheet": ('<link rel="stylesheet" href="http://example.com/x.css">',
                   r"raw HTML <link> (removed|will be dropped)", ["example.com/x.css"]),
    "import": ("<style>@import url(http://example.com/y.css);</style>",
               r"raw HTML <style> (removed|will be dropped)", ["example.com/y.css", "@import"]),
    "style-attr": ('<p style="background: url(http://example.com/z.png)">Styled</p>', r"",
                   ["example.com/z.png"]),
    "remote-img": ('<img src="http://example.com/track.png" alt="tracker">',
                   r"image not found: http://example\.com/track\.png", ["example.com/track"]),
    "meta-refresh": ('<meta http-equiv="refresh" content="0;url=http://example.com/">',
                     r"raw HTML <meta> (removed|will be dropped)", ["http-equiv", "example.com"]),
    "form": ('<form action="http://example.com/post"><input name="q"></form>',
             r"raw HTML <form> (removed|will be dropped)", ["<form", "example.com/post"]),
    "svg-inline": ('<svg onload="alert(1)"><image href="file:///etc/passwd"/></svg>',
                   r"raw HTML <svg> (removed|will be dropped)", ["onload", "/etc/passwd"]),
}


@pytest.mark.parametrize("case", sorted(RAW_CASES))
def test_raw_html_is_sanitized_in_every_edition(tmp_path: Path, case: str) -> None:
    markup, warning, forbidden = RAW_CASES[case]
    text = f"# Raw\n\nBefore.\n\n{markup}\n\nAfter.\n"
    book = make_book(tmp_path / "b", chapters={"raw.md": text})
    out = tmp_path / "out"
    run = build(book, out, ("md", "html", "epub"))
    assert_builds(run, warning)
    html, epub = html_of(out), epub_text(out)
    body = html[html.index('<section id="raw"'):]
    assert "Before." in body and "After." in body
    manuscript = (out / "book.md").read_text(encoding="utf-8")
    for needle in forbidden:
        assert needle.lower() not in body.lower(), f"{needle} in the HTML edition"
        assert needle.lower() not in epub.lower(), f"{needle} in the EPUB edition"
        assert needle.lower() not in manuscript.lower(), f"{needle} in the manuscript"


# --- fonts --------------------------------------------------------------------------------------


def test_missing_font_is_a_warning_and_an_error_under_strict(tmp_path: Path) -> None:
    book = make_book(tmp_path / "b", toml_extra='\n[pdf]\nfont_family = "No Such Face Pro"\n')
    out = tmp_path / "out"
    run = build(book, out, ("pdf",))
    assert_builds(run, r"warning: .*font family 'No Such Face Pro'.* not installed")
    strict_out = tmp_path / "strict"
    run = build(book, strict_out, ("pdf",), "--strict")
    assert run.exit_code == 1 and not run.has_traceback, run.output
    assert re.search(r"No Such Face Pro.* not installed", run.output), run.output
    assert "--strict" in run.output
    assert edition_hashes(strict_out) == {}


# --- the output folder --------------------------------------------------------------------------


def test_output_folder_under_a_regular_file(tmp_path: Path) -> None:
    book = make_book(tmp_path / "b")
    blocker = tmp_path / "blocker"
    blocker.write_text("not a folder")
    run = build(book, blocker / "out")
    assert run.exit_code == 1 and not run.has_traceback, run.output
    assert re.search(r"blocker/out: cannot write \(Not a directory\); .+", run.output)
    assert blocker.read_text() == "not a folder"


def test_unwritable_output_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    book = make_book(tmp_path / "b")
    out = tmp_path / "out"
    out.mkdir()
    real_access = os.access

    def no_write(path: object, mode: int, *args: object, **kwargs: object) -> bool:
        if mode & os.W_OK and Path(str(path)) == out:
            return False
        return real_access(path, mode, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "access", no_write)
    run = build(book, out)
    assert run.exit_code == 1 and not run.has_traceback, run.output
    assert re.search(r"out: output folder is not writable; choose another with -o", run.output)
    assert edition_hashes(out) == {}


def test_permission_denied_while_writing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    book = make_book(tmp_path / "b")
    out = tmp_path / "out"
    import tempfile

    def denied(*args: object, **kwargs: object) -> tuple[int, str]:
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", denied)
    run = build(book, out)
    assert run.exit_code == 1 and not run.has_traceback, run.output
    assert re.search(r"cannot write here \(Permission denied\); choose another folder with -o",
                     run.output)
    assert edition_hashes(out) == {}


class _FullDiskFile:
    """A file object whose write() finds the disk full (for os.fdopen in the output module)."""

    def __init__(self, handle: object) -> None:
        self._handle = handle

    def write(self, data: bytes) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    def __getattr__(self, name: str) -> object:
        return getattr(self._handle, name)

    def __enter__(self) -> _FullDiskFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self._handle.close()  # type: ignore[attr-defined]


@pytest.mark.parametrize("failing", ["fsync", "fdopen"])
def test_full_disk_keeps_the_previous_editions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               failing: str) -> None:
    book = make_book(tmp_path / "b")
    out = tmp_path / "out"
    assert_builds(build(book, out, ("md", "html")))
    before = edition_hashes(out)
    book.chapter("intro.md").write_text("# Intro\n\nA new version of the text.\n")
    calls = {"n": 0}
    real = getattr(os, failing)

    def full(*args: object, **kwargs: object) -> object:
        calls["n"] += 1
        if calls["n"] < 2:  # the first file is staged fine, the second finds the disk full
            return real(*args, **kwargs)
        if failing == "fdopen":
            return _FullDiskFile(real(*args, **kwargs))
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, failing, full)
    run = build(book, out, ("md", "html"))
    monkeypatch.undo()
    assert run.exit_code == 1 and not run.has_traceback, run.output
    assert re.search(r": the disk is full; free some space and build again", run.output)
    assert edition_hashes(out) == before
    assert temp_leftovers(out) == []


# --- odd but harmless ---------------------------------------------------------------------------


def test_control_characters_and_bom(tmp_path: Path) -> None:
    text = "\ufeff# Intro\n\nBell\x07 and escape\x1b[31m and form feed\x0c here.\n"
    book = make_book(tmp_path / "b", chapters={"intro.md": text})
    run = build(book, tmp_path / "out", ("md", "html", "epub"))
    assert_builds(run)
    assert "\x07" not in html_of(tmp_path / "out") and "\x1b" not in html_of(tmp_path / "out")


def test_unclosed_raw_html_does_not_swallow_later_chapters(tmp_path: Path) -> None:
    chapters = {"one.md": "# One\n\n<div>\n\nOpen div.\n\n<table><tr><td>cell\n",
                "two.md": "# Two\n\nStill here.\n"}
    book = make_book(tmp_path / "b", chapters=chapters)
    run = build(book, tmp_path / "out", ("md", "html", "epub"))
    assert run.exit_code in (0, 1) and not run.has_traceback, run.output
    if run.exit_code == 0:
        assert "Still here." in html_of(tmp_path / "out")


def test_many_small_problems_are_all_listed(tmp_path: Path) -> None:
    chapters = {f"c{n}.md": b"# T\n\n\xff\n" for n in range(5)}
    book = make_book(tmp_path / "b", chapters=chapters, contents=contents_for(list(chapters)))
    run = build(book, tmp_path / "out")
    problems = assert_fails(run, tmp_path / "out", r"5 problems found; nothing was built")
    assert sum(bool(DIAGNOSTIC.match(line)) for line in problems) == 5


# --- symlink loops, the cover, the manuscript, the check command --------------------------------


@pytest.mark.parametrize(("setting", "link", "line"), [
    ('images = ["images", "loop"]', "loop", 9),
    ('file = "loop.md"', "loop.md", 8),
    ('source = "loop"\nfile = "contents.md"', "loop", 8),
    ('stem = "book"\ncover = "loop.png"', "loop.png", 6),
])
def test_symlink_loops_in_the_manifest(tmp_path: Path, setting: str, link: str,
                                       line: int) -> None:
    toml = DEFAULT_TOML
    for key in ("images = ", "file = ", "stem = "):
        if setting.startswith(key) and not setting.startswith("source"):
            toml = re.sub(rf"(?m)^{key}.*$", setting, toml, count=1)
    if setting.startswith("source"):
        toml = toml.replace('file = "contents.md"', setting)
    book = make_book(tmp_path / "b", toml=toml)
    (book.root / link).symlink_to(book.root / link)
    run = build(book, tmp_path / "out")
    assert_fails(run, tmp_path / "out", rf"book\.toml:{line}: .*'{re.escape(link)}' is a "
                 r"symbolic link loop", line=line)


@pytest.mark.parametrize(("data", "reason"), [
    (bomb_png(), r"declares 100000 x 100000 pixels"),
    (b"", r"is empty \(0 bytes\)"),
    (corrupt_png(), r"is damaged or not a readable image"),
])
def test_unusable_cover_image(tmp_path: Path, data: bytes, reason: str) -> None:
    toml = DEFAULT_TOML.replace('stem = "book"', 'stem = "book"\ncover = "images/cover.png"')
    book = make_book(tmp_path / "b", toml=toml, images={"cover.png": data})
    run = build(book, tmp_path / "out", ("md", "epub"))
    assert run.exit_code == 1 and not run.has_traceback, run.output
    assert found(rf"book\.toml: the cover image cover\.png {reason}.*; set book\.cover to a "
                 r"sound PNG or JPEG file", run.output), run.output
    assert edition_hashes(tmp_path / "out") == {}


def test_raw_html_is_sanitized_in_the_manuscript_too(tmp_path: Path) -> None:
    text = "# Raw\n\n<script>alert(1)</script>\n\n<p onclick=\"alert(2)\">x</p>\n"
    book = make_book(tmp_path / "b", chapters={"raw.md": text})
    assert_builds(build(book, tmp_path / "out", ("md",)))
    manuscript = (tmp_path / "out" / "book.md").read_text()
    assert "<script" not in manuscript and "onclick" not in manuscript


@pytest.mark.parametrize("case", ["nested", "bomb", "nonutf8", "entity-svg"])
def test_check_command_reports_bad_input_without_traceback(tmp_path: Path, case: str) -> None:
    chapters: dict[str, str | bytes] = {
        "nested": {"deep.md": "# Deep\n\n" + "".join("  " * n + "- x\n" for n in range(40))},
        "bomb": {"pics.md": "# P\n\n![Bomb](../images/bomb.png)\n"},
        "nonutf8": {"bad.md": b"# Bad\n\n\xff\n"},
        "entity-svg": {"pics.md": "# P\n\n![E](../images/e.svg)\n"},
    }[case]  # type: ignore[assignment]
    book = make_book(tmp_path / "b", chapters=chapters,
                     images={"bomb.png": bomb_png(), "e.svg": SVG_ENTITY})
    run = run_cli(["check", str(book.manifest)], timeout=60)
    assert run.exit_code in (0, 1) and not run.has_traceback, run.output
    expected = {"nested": "nest", "bomb": "decompression bomb", "nonutf8": "not valid UTF-8",
                "entity-svg": "declares XML entities"}[case]
    assert expected in run.output, run.output


def test_unresolved_web_image_fails_under_strict(tmp_path: Path) -> None:
    book = make_book(tmp_path / "book", {"a.md": "# A\n\nText.\n\n![A map](http://x.org/map.png)\n"})
    run = run_cli(build_args(book, tmp_path / "out", ("md",), ("--strict",)))
    assert run.exit_code == 1
    assert "[unresolved-image]" in run.output and "nothing was written" in run.output
    assert edition_hashes(tmp_path / "out") == {}
