"""Every code of the catalogue (handbook_build.diagnostic_codes) is triggered once (issue 12).

One case per catalogue entry: a tiny book checked in-process (``run_check``), or a direct call of
the stage that emits the code, and the code must be reported at the severity the catalogue
gives, with its file and line where the code has one. Books are written into tmp_path and
checked from there, so paths read as an editor types them (``chapters/intro.md``).
"""

from __future__ import annotations

import io
import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pypdf
import pytest

from bookmaker import DEFAULT_TOML, make_book, png_bytes
from handbook_build.checks.check import run_check
from handbook_build.diagnostic_codes import CODES, CodeInfo
from handbook_build.model import Diagnostic
from typeset_styles import TYPESET_STYLE


@dataclass(frozen=True, slots=True)
class Expect:
    """What must be reported: the code (a family's member for a family), and where."""

    code: str
    path: str | None = None
    line: int | None = None  # checked when path is given
    page: int | None = None


Found = tuple[Sequence[Diagnostic], Expect]
TRIGGERS: dict[str, Callable[[Path], Found]] = {}
# Codes no test here can trigger, with the exact reason (each one is a pytest.skip).
CANNOT: dict[str, str] = {}


def trigger(shown: str) -> Callable[[Callable[[Path], Found]], Callable[[Path], Found]]:
    def register(function: Callable[[Path], Found]) -> Callable[[Path], Found]:
        assert shown not in TRIGGERS, shown
        TRIGGERS[shown] = function
        return function
    return register


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)


def check(target: str | Path) -> list[Diagnostic]:
    return list(run_check(Path(target)).diagnostics)


def book(chapters: dict[str, str | bytes] | None = None, *, contents: str | None = None,
         toml: str | None = None, toml_extra: str = "", images: dict[str, bytes] | None = None,
         files: dict[str, str | bytes] | None = None) -> list[Diagnostic]:
    """Write a book into the working folder (tmp_path) and check it."""
    written = make_book(Path("."), chapters, contents=contents, toml=toml, toml_extra=toml_extra,
                        images=images, files=files)
    return check(written.manifest.name)


def chapter(text: str) -> list[Diagnostic]:
    """A one-chapter book whose chapter (chapters/intro.md) is ``text``."""
    return book({"intro.md": text})


INTRO = "chapters/intro.md"


# --- check -----------------------------------------------------------------------------------


@trigger("missing-file")
def _missing_file(tmp: Path) -> Found:
    return check("nowhere/book.toml"), Expect("missing-file", "nowhere/book.toml")


@trigger("manifest")
def _manifest(tmp: Path) -> Found:
    Path("empty").mkdir()  # a folder with no contents file: manifest_from_contents refuses it
    return check("empty"), Expect("manifest", "empty")


@trigger("source")
def _source(tmp: Path) -> Found:
    # No book makes read_book raise a SourceError without diagnostics today (its errors all
    # carry them); check's wrapper for one is called with such an error, as read_book would.
    from unittest import mock

    from handbook_build.checks import check as check_module
    from handbook_build.errors import SourceError
    from handbook_build.sources import chapters as sources

    make_book(Path("."))
    manifest, _ = check_module._load_manifest(Path("book.toml"), None)
    assert manifest is not None
    failure = SourceError("chapters/intro.md:3: the chapter cannot be used; fix it")
    with mock.patch.object(sources, "read_book", side_effect=failure):
        _, found = check_module._read_book(manifest)
    return found, Expect("source", INTRO, 3)


@trigger("<module>")
def _logged(tmp: Path) -> Found:
    from handbook_build.checks import check as check_module

    with check_module._captured_warnings() as logged:
        logging.getLogger("handbook_build.render.fetch").warning("refused to fetch %s: %s", "x",
                                                                 "y")
    return logged, Expect("fetch", "handbook-build")


# --- manifest --------------------------------------------------------------------------------


@trigger("toml-syntax")
def _toml_syntax(tmp: Path) -> Found:
    return book(toml="[book]\ntitle = \n"), Expect("toml-syntax", "book.toml", 2)


@trigger("unreadable")
def _unreadable(tmp: Path) -> Found:
    os.mkfifo("book.toml")  # stat-ed first, never opened: no hang
    return check("book.toml"), Expect("unreadable", "book.toml")


@trigger("not-utf8")
def _not_utf8(tmp: Path) -> Found:
    return book(toml=b'[book]\ntitle = "\xff"\n'), Expect("not-utf8", "book.toml", 2)


@trigger("not-a-file")
def _not_a_file(tmp: Path) -> Found:
    make_book(Path("."), {"intro.md": "# Intro\n"}, contents="- [Dir](chapters/dir.md)\n")
    Path("chapters/dir.md").mkdir()
    return check("book.toml"), Expect("not-a-file", "contents.md", 1)


@trigger("unknown-key")
def _unknown_key(tmp: Path) -> Found:
    return book(toml=DEFAULT_TOML.replace('stem = "book"', 'stem = "book"\ncolour = "red"')), \
        Expect("unknown-key", "book.toml", 6)


@trigger("wrong-type")
def _wrong_type(tmp: Path) -> Found:
    return book(toml=DEFAULT_TOML.replace('title = "Test Book"', "title = 3")), \
        Expect("wrong-type", "book.toml", 2)


@trigger("bad-value")
def _bad_value(tmp: Path) -> Found:
    return book(toml=DEFAULT_TOML.replace('language = "en"', 'language = "not a tag"')), \
        Expect("bad-value", "book.toml", 4)


@trigger("error")
def _error(tmp: Path) -> Found:
    return book(toml_extra="\n[epub]\nnav_depth = 9\n"), Expect("error", "book.toml", 12)


@trigger("missing-key")
def _missing_key(tmp: Path) -> Found:
    return book(toml=DEFAULT_TOML.replace('title = "Test Book"\n', "")), \
        Expect("missing-key", "book.toml", 1)


@trigger("missing-date")
def _missing_date(tmp: Path) -> Found:
    return book(toml=DEFAULT_TOML.replace("date = 2024-03-01\n", "")), \
        Expect("missing-date", "book.toml", 1)


@trigger("conflict")
def _conflict(tmp: Path) -> Found:
    toml = DEFAULT_TOML.replace('stem = "book"', 'stem = "book"\nsite_url = "https://a.org"')
    return book(toml=toml + '\n[site]\nurl = "https://b.org"\n'), \
        Expect("conflict", "book.toml", 13)


@trigger("bad-identifier")
def _bad_identifier(tmp: Path) -> Found:
    return book(toml_extra='\n[identifiers]\nepub = "xyz"\n'), \
        Expect("bad-identifier", "book.toml", 12)


@trigger("identifier-collision")
def _identifier_collision(tmp: Path) -> Found:
    uuid = "urn:uuid:12345678-1234-5678-1234-567812345678"
    return book(toml_extra=f'\n[identifiers]\nepub = "{uuid}"\nprint = "{uuid}"\n'), \
        Expect("identifier-collision", "book.toml", 13)


@trigger("bad-alias")
def _bad_alias(tmp: Path) -> Found:
    toml = DEFAULT_TOML + '\n[site]\nurl = "https://a.org"\naliases = { old = "nope.md" }\n'
    return book(toml=toml), Expect("bad-alias", "book.toml", 13)


@trigger("missing-folder")
def _missing_folder(tmp: Path) -> Found:
    return book(toml=DEFAULT_TOML.replace('images = ["images"]', 'images = ["gone"]')), \
        Expect("missing-folder", "book.toml", 9)


@trigger("missing-variable")
def _missing_variable(tmp: Path) -> Found:
    os.environ.pop("HB_TEST_NOT_SET", None)
    return book(toml=DEFAULT_TOML + 'source = "${HB_TEST_NOT_SET}/x"\n'), \
        Expect("missing-variable", "book.toml", 10)


@trigger("outside-root")
def _outside_root(tmp: Path) -> Found:
    Path("inner").mkdir()
    Path("outside.md").write_text("# Out\n", encoding="utf-8")
    make_book(Path("inner"), {"intro.md": "# Intro\n"},
              contents="- [Intro](chapters/intro.md)\n- [Out](../outside.md)\n")
    return check("inner/book.toml"), Expect("outside-root", "contents.md", 2)


@trigger("symlink-loop")
def _symlink_loop(tmp: Path) -> Found:
    make_book(Path("."), {"intro.md": "# Intro\n"},
              contents="- [Intro](chapters/intro.md)\n- [Loop](chapters/loop.md)\n")
    os.symlink("loop.md", "chapters/loop.md")
    return check("book.toml"), Expect("symlink-loop", "contents.md", 2)


@trigger("system-folder")
def _system_folder(tmp: Path) -> Found:
    return book(toml=DEFAULT_TOML + 'source = "/etc"\n'), Expect("system-folder", "book.toml", 10)


@trigger("missing-chapter")
def _missing_chapter(tmp: Path) -> Found:
    return book(contents="- [Intro](chapters/intro.md)\n- [Gone](chapters/gone.md)\n"), \
        Expect("missing-chapter", "contents.md", 2)


@trigger("empty-contents")
def _empty_contents(tmp: Path) -> Found:
    return book(contents="# Nothing listed\n"), Expect("empty-contents", "contents.md", 1)


@trigger("pod-profile")
def _pod_profile(tmp: Path) -> Found:
    extra = '\n[print]\nprofile = "kdp"\nmargins = { inner = "0.2in" }\n'
    return book(toml_extra=extra), Expect("pod-profile", "book.toml", 13)


@trigger("no-manifest")
def _no_manifest(tmp: Path) -> Found:
    Path("README.md").write_text("- [One](one.md)\n", encoding="utf-8")
    Path("one.md").write_text("# One\n", encoding="utf-8")
    return check("README.md"), Expect("no-manifest", "README.md")



# --- another tool's entry file ---------------------------------------------------------------


def write(files: dict[str, str | bytes]) -> None:
    for name, data in files.items():
        path = Path(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(data, encoding="utf-8")


JB_TOC = "format: jb-book\nroot: intro\nchapters:\n  - file: one\n"
JB = {"_config.yml": "title: Data Notes\nauthor: Ada Lovelace\n", "intro.md": "# Intro\n",
      "one.md": "# One\n"}
MDBOOK = {"book.toml": '[book]\ntitle = "Crab"\nauthors = ["Ferris"]\nsrc = "src"\n',
          "src/SUMMARY.md": "# Summary\n\n- [One](one.md)\n", "src/one.md": "# One\n"}
QUARTO_HEAD = 'project:\n  type: book\nbook:\n  title: "Q"\n'
QUARTO = {"index.qmd": "# Preface\n", "one.qmd": "# One\n"}


def quarto(extra_book: str = "", chapters: str = "    - index.qmd\n    - one.qmd\n",
           files: dict[str, str | bytes] | None = None) -> list[Diagnostic]:
    write({**QUARTO, **(files or {}),
           "_quarto.yml": QUARTO_HEAD + extra_book + "  chapters:\n" + chapters})
    return check("_quarto.yml")


@trigger("usage")
def _usage(tmp: Path) -> Found:
    write({**JB, "_toc.yml": JB_TOC})
    return list(run_check(Path("_toc.yml"), source_dir=Path(".")).diagnostics), Expect("usage")


@trigger("yaml-syntax")
def _yaml_syntax(tmp: Path) -> Found:
    write({**JB, "_toc.yml": "format: jb-book\nroot: intro\nchapters:\n  - file: [oops\n"})
    return check("_toc.yml"), Expect("yaml-syntax", "_toc.yml", 5)


@trigger("yaml-shape")
def _yaml_shape(tmp: Path) -> Found:
    write({**JB, "_toc.yml": "- intro\n- one\n"})
    return check("_toc.yml"), Expect("yaml-shape", "_toc.yml", 1)


@trigger("yaml-size")
def _yaml_size(tmp: Path) -> Found:
    write({**JB, "_toc.yml": "format: jb-book\nroot: intro\nchapters: &loop [*loop]\n"})
    return check("_toc.yml"), Expect("yaml-size", "_toc.yml", 1)


GITBOOK = {"SUMMARY.md": "# Summary\n\n* [Introduction](README.md)\n", "README.md": "# Intro\n"}


@trigger("json-syntax")
def _json_syntax(tmp: Path) -> Found:
    write({**GITBOOK, "book.json": '{"title": "X",\n "author": }\n'})
    return check("."), Expect("json-syntax", "book.json", 2)


@trigger("json-shape")
def _json_shape(tmp: Path) -> Found:
    write({**GITBOOK, "book.json": "[1, 2]\n"})
    return check("."), Expect("json-shape", "book.json", 1)


@trigger("toc-shape")
def _toc_shape(tmp: Path) -> Found:
    write({"myst.yml": "version: 1\nproject:\n  title: X\n", "index.md": "# I\n"})
    return check("myst.yml"), Expect("toc-shape", "myst.yml", 2)


@trigger("not-a-book")
def _not_a_book(tmp: Path) -> Found:
    write({**QUARTO, "_quarto.yml": "project:\n  type: website\n"})
    return check("_quarto.yml"), Expect("not-a-book", "_quarto.yml", 2)


@trigger("not-markdown")
def _not_markdown(tmp: Path) -> Found:
    return book(contents="- [Intro](chapters/intro.md)\n- [Text](chapters/notes.txt)\n",
                files={"chapters/notes.txt": "notes\n"}), Expect("not-markdown", "contents.md", 2)


@trigger("bad-date")
def _bad_date(tmp: Path) -> Found:
    return quarto('  date: "someday"\n'), Expect("bad-date", "_quarto.yml", 5)


@trigger("no-cover")
def _no_cover(tmp: Path) -> Found:
    return quarto('  cover-image: "cover.txt"\n', files={"cover.txt": "not an image\n"}), \
        Expect("no-cover", "_quarto.yml", 5)


@trigger("ignored")
def _ignored(tmp: Path) -> Found:
    bib = "@book{a, title={A}, author={B}, year={2000}}\n"
    found = _quarto_with_top("bibliography:\n  - a.bib\n  - b.bib\n",
                             {"a.bib": bib, "b.bib": bib})
    return found, Expect("ignored", "_quarto.yml", 7)


def _quarto_with_top(top: str, files: dict[str, str | bytes]) -> list[Diagnostic]:
    write({**QUARTO, **files, "_quarto.yml": QUARTO_HEAD + "  chapters:\n    - index.qmd\n"
           + top})
    return check("_quarto.yml")


@trigger("no-title")
def _no_title(tmp: Path) -> Found:
    write({**MDBOOK, "book.toml": '[book]\nauthors = ["Ferris"]\nsrc = "src"\n'})
    return check("."), Expect("no-title", "book.toml")


@trigger("preprocessor")
def _preprocessor(tmp: Path) -> Found:
    write({**MDBOOK, "book.toml": MDBOOK["book.toml"] + "\n[preprocessor.katex]\n"})
    return check("."), Expect("preprocessor", "book.toml", 6)


@trigger("draft-chapter")
def _draft_chapter(tmp: Path) -> Found:
    write({**MDBOOK, "src/SUMMARY.md": "# Summary\n\n- [One](one.md)\n- [Not Yet]()\n"})
    return check("."), Expect("draft-chapter", "src/SUMMARY.md", 4)


@trigger("url-entry")
def _url_entry(tmp: Path) -> Found:
    write({**JB, "_toc.yml": JB_TOC + "  - url: https://example.org\n    title: Web\n"})
    return check("_toc.yml"), Expect("url-entry", "_toc.yml", 5)


@trigger("part-text")
def _part_text(tmp: Path) -> Found:
    chapters = "    - index.qmd\n    - part: part.qmd\n      chapters:\n        - one.qmd\n"
    return quarto(chapters=chapters, files={"part.qmd": "# The Part\n\nMore text here.\n"}), \
        Expect("part-text", "_quarto.yml", 7)


@trigger("unnumbered")
def _unnumbered(tmp: Path) -> Found:
    write({"metadata.yaml": "---\ntitle: Pandoc Notes\nauthor:\n  - Jane Doe\n...\n",
           "01-intro.md": "# Intro\n", "notes.md": "# Notes\n"})
    return check("."), Expect("unnumbered", "metadata.yaml")


@trigger("empty-pattern")
def _empty_pattern(tmp: Path) -> Found:
    write({**JB, "_toc.yml": JB_TOC + "  - glob: nothing/*\n"})
    return check("_toc.yml"), Expect("empty-pattern", "_toc.yml", 5)


# --- contents --------------------------------------------------------------------------------


@trigger("contents-depth")
def _contents_depth(tmp: Path) -> Found:
    contents = ("- [Intro](chapters/intro.md)\n  - [A](chapters/a.md)\n    - [B](chapters/b.md)\n"
                "      - [C](chapters/c.md)\n")
    return book({"intro.md": "# I\n", "a.md": "# A\n", "b.md": "# B\n", "c.md": "# C\n"},
                contents=contents), Expect("contents-depth", "contents.md", 4)


@trigger("duplicate-chapter")
def _duplicate_chapter(tmp: Path) -> Found:
    return book(contents="- [Intro](chapters/intro.md)\n- [Again](chapters/intro.md)\n"), \
        Expect("duplicate-chapter", "contents.md", 2)


@trigger("malformed-link")
def _malformed_link(tmp: Path) -> Found:
    return book(contents="- [Intro](chapters/intro.md.)\n"), \
        Expect("malformed-link", "contents.md", 1)


@trigger("empty-title")
def _empty_title(tmp: Path) -> Found:
    return book(contents="- [](chapters/intro.md)\n"), Expect("empty-title", "contents.md", 1)


@trigger("slug-collision")
def _slug_collision(tmp: Path) -> Found:
    return book({"intro.md": "# I\n", "sub/intro.md": "# J\n"},
                contents="- [I](chapters/intro.md)\n- [J](chapters/sub/intro.md)\n"), \
        Expect("slug-collision", "contents.md", 2)


@trigger("capital-title")
def _capital_title(tmp: Path) -> Found:
    return book(contents="- [THE INTRODUCTION](chapters/intro.md)\n"), \
        Expect("capital-title", "contents.md", 1)


# --- chapters --------------------------------------------------------------------------------


@trigger("binary-file")
def _binary_file(tmp: Path) -> Found:
    return chapter("# Intro\n\x00\n"), Expect("binary-file", INTRO, 2)


@trigger("empty-chapter")
def _empty_chapter(tmp: Path) -> Found:
    return chapter(""), Expect("empty-chapter", INTRO, 1)


@trigger("bad-cover")
def _bad_cover(tmp: Path) -> Found:
    toml = DEFAULT_TOML.replace('stem = "book"', 'stem = "book"\ncover = "images/cover.png"')
    return book(toml=toml, images={"cover.png": b"\x89PNG\r\n\x1a\nnot really"}), \
        Expect("bad-cover")


@trigger("chapter-too-large")
def _chapter_too_large(tmp: Path) -> Found:
    return chapter("# Big\n\n" + "word " * 220_000), Expect("chapter-too-large", INTRO, 1)


@trigger("nesting-too-deep")
def _nesting_too_deep(tmp: Path) -> Found:
    return chapter("# Deep\n\n" + ">" * 200 + " quoted\n"), Expect("nesting-too-deep", INTRO, 3)


@trigger("raw-html-dropped")
def _raw_html_dropped(tmp: Path) -> Found:
    # check reports the lint's raw-html instead (more detail); read_book's own is this one.
    from handbook_build.checks import check as check_module

    make_book(Path("."), {"intro.md": "# Intro\n\n<script>alert(1)</script>\n\nText.\n"})
    manifest, _ = check_module._load_manifest(Path("book.toml"), None)
    assert manifest is not None
    _, found = check_module._read_book(manifest)
    return found, Expect("raw-html-dropped", INTRO, 3)


def _include(text: str, files: dict[str, str | bytes] | None = None) -> list[Diagnostic]:
    """A chapter holding ``text``; ``files`` are written beside it (not listed as chapters)."""
    return book({"intro.md": "# Intro\n\n" + text + "\n"},
                files={f"chapters/{name}": data for name, data in (files or {}).items()})


@trigger("include-missing")
def _include_missing(tmp: Path) -> Found:
    return _include("{{#include gone.md}}"), Expect("include-missing", INTRO, 3)


@trigger("include-anchor-missing")
def _include_anchor_missing(tmp: Path) -> Found:
    return _include("{{#include part.txt:nope}}", {"part.txt": "text\n"}), \
        Expect("include-anchor-missing", INTRO, 3)


@trigger("include-bad-option")
def _include_bad_option(tmp: Path) -> Found:
    return _include("```{include} part.txt\n:start-line: many\n```", {"part.txt": "text\n"}), \
        Expect("include-bad-option", INTRO, 3)


@trigger("include-cycle")
def _include_cycle(tmp: Path) -> Found:
    return _include("{{#include a.txt}}", {"a.txt": "{{#include b.txt}}\n",
                                           "b.txt": "{{#include a.txt}}\n"}), \
        Expect("include-cycle", INTRO, 3)


@trigger("include-outside-root")
def _include_outside_root(tmp: Path) -> Found:
    Path("outside.txt").write_text("x\n", encoding="utf-8")
    Path("inner").mkdir()
    make_book(Path("inner"), {"intro.md": "# Intro\n\n{{#include ../../outside.txt}}\n"})
    return check("inner/book.toml"), Expect("include-outside-root", INTRO, 3)


@trigger("include-too-deep")
def _include_too_deep(tmp: Path) -> Found:
    files: dict[str, str | bytes] = {f"n{i}.txt": f"{{{{#include n{i + 1}.txt}}}}\n"
                                     for i in range(12)}
    files["n12.txt"] = "end\n"
    return _include("{{#include n0.txt}}", files), Expect("include-too-deep", INTRO, 3)


@trigger("include-too-large")
def _include_too_large(tmp: Path) -> Found:
    # The stage itself: a whole book of 8 MiB chapters costs seconds in every later scan.
    from handbook_build.sources.includes import expand_includes

    Path("chapters").mkdir()
    Path("chapters/big.txt").write_text(("x" * 99 + "\n") * 9_000, encoding="utf-8")  # 0.9 MB
    text = "# Intro\n\n" + "\n\n".join("{{#include big.txt}}" for _ in range(10)) + "\n"
    expanded = expand_includes(text, Path(INTRO).resolve(), [Path(".").resolve()], INTRO)
    return expanded.diagnostics, Expect("include-too-large", INTRO, 21)


@trigger("include-unusable")
def _include_unusable(tmp: Path) -> Found:
    return _include("{{#include bin.txt}}", {"bin.txt": b"a\x00b\n"}), \
        Expect("include-unusable", INTRO, 3)


@trigger("control-character")
def _control_character(tmp: Path) -> Found:
    return chapter("# Intro\n\nA bell\x07 rings.\n"), Expect("control-character", INTRO, 3)


@trigger("glued-heading")
def _glued_heading(tmp: Path) -> Found:
    return chapter("# Intro\n\nSome text.## Next\n\nMore.\n"), Expect("glued-heading", INTRO, 3)


@trigger("wrapped-heading")
def _wrapped_heading(tmp: Path) -> Found:
    head = "## Connectivism in Practice: How to Organize a MOOC (Massive Open"
    return chapter(f"Text.\n\n{head}\nOnline Class)\n\nBody.\n"), \
        Expect("wrapped-heading", INTRO, 3)


@trigger("duplicate-reference")
def _duplicate_reference(tmp: Path) -> Found:
    return chapter("# Intro\n\nSee [a][x].\n\n[x]: https://a.org\n[x]: https://b.org\n"), \
        Expect("duplicate-reference", INTRO, 6)


@trigger("undefined-reference")
def _undefined_reference(tmp: Path) -> Found:
    return chapter("# Intro\n\nSee [a][nowhere].\n\n[yes]: https://y.org\n"), \
        Expect("undefined-reference", INTRO, 3)


@trigger("duplicate-footnote")
def _duplicate_footnote(tmp: Path) -> Found:
    return chapter("# Intro\n\nText.[^a]\n\n[^a]: One.\n[^a]: Two.\n"), \
        Expect("duplicate-footnote", INTRO, 6)


@trigger("undefined-footnote")
def _undefined_footnote(tmp: Path) -> Found:
    return chapter("# Intro\n\nText.[^gone]\n"), Expect("undefined-footnote", INTRO, 3)


@trigger("unused-footnote")
def _unused_footnote(tmp: Path) -> Found:
    return chapter("# Intro\n\nText.\n\n[^spare]: Never called.\n"), \
        Expect("unused-footnote", INTRO, 5)


@trigger("heading-too-deep")
def _heading_too_deep(tmp: Path) -> Found:
    # "# A" is not the chapter's title (Intro): every heading moves one level down.
    return chapter("# A\n\n## B\n\n###### C\n"), Expect("heading-too-deep", INTRO, 5)


@trigger("heading-jump")
def _heading_jump(tmp: Path) -> Found:
    return chapter("## A\n\n#### Deep\n\nText.\n"), Expect("heading-jump", INTRO, 3)


@trigger("duplicate-id")
def _duplicate_id(tmp: Path) -> Found:
    return chapter("# Intro\n\n## A {#same}\n\n## B {#same}\n"), Expect("duplicate-id", INTRO, 5)


@trigger("unclosed-block")
def _unclosed_block(tmp: Path) -> Found:
    return chapter("Text.\n\n::: note\nHello\n"), Expect("unclosed-block", INTRO, 3)


@trigger("raw-block-escaped")
def _raw_block_escaped(tmp: Path) -> Found:
    return chapter("# Intro\n\n```{=latex}\n\\newpage\n```\n"), \
        Expect("raw-block-escaped", INTRO, 3)


@trigger("raw-tex-escaped")
def _raw_tex_escaped(tmp: Path) -> Found:
    return chapter("# Intro\n\nA page break \\newpage here.\n"), \
        Expect("raw-tex-escaped", INTRO, 3)


@trigger("attribute-dropped")
def _attribute_dropped(tmp: Path) -> Found:
    return chapter('# Intro\n\n[text]{onclick="x()"}\n'), Expect("attribute-dropped", INTRO, 3)


@trigger("site-shortcode")
def _site_shortcode(tmp: Path) -> Found:
    return chapter('# Intro\n\n[wpgmza id="1"]\n\nText.\n'), Expect("site-shortcode", INTRO, 3)


@trigger("site-token")
def _site_token(tmp: Path) -> Found:
    return chapter("# Intro\n\ngoogle-site-verification: google1234567890abcdef.html\n"), \
        Expect("site-token", INTRO, 3)


@trigger("citation-unknown")
def _citation_unknown(tmp: Path) -> Found:
    bib = "@book{known, title={A}, author={B}, year={2000}}\n"
    toml = DEFAULT_TOML.replace('stem = "book"', 'stem = "book"\nbibliography = "refs.bib"')
    return book({"intro.md": "# Intro\n\nAs [@unknown] says.\n"}, toml=toml,
                files={"refs.bib": bib}), Expect("citation-unknown", INTRO, 3)


@trigger("xref-unresolved")
def _xref_unresolved(tmp: Path) -> Found:
    return chapter("# Intro\n\nSee {ref}`nowhere`.\n"), Expect("xref-unresolved", INTRO, 3)


@trigger("math-unparsed")
def _math_unparsed(tmp: Path) -> Found:
    # Found when pandoc's HTML is read (htmlbook): the stage is given a section as pandoc
    # writes a formula texmath could not read (TeX as text in a math span).
    import lxml.html

    from handbook_build.html.math_html import protect_math

    source = "# Intro\n\nA formula $a^{b$ here.\n"
    section = lxml.html.fragment_fromstring(
        '<section><p>A formula <span class="math inline">\\(a^{b\\)</span> here.</p></section>')
    return protect_math(section, INTRO, source).diagnostics, Expect("math-unparsed", INTRO, 3)



# --- images ----------------------------------------------------------------------------------


def pictured(markdown: str, images: dict[str, bytes] | None = None) -> list[Diagnostic]:
    return book({"intro.md": f"# Intro\n\nText.\n\n{markdown}\n"}, images=images)


@trigger("missing-image")
def _missing_image(tmp: Path) -> Found:
    return pictured("![A chart](../images/gone.png)"), Expect("missing-image", INTRO, 5)


@trigger("unresolved-image")
def _unresolved_image(tmp: Path) -> Found:
    return pictured("![A chart](https://example.org/chart.png)"), \
        Expect("unresolved-image", INTRO, 5)


@trigger("missing-alt")
def _missing_alt(tmp: Path) -> Found:
    return pictured("![](../images/a.png)", {"a.png": png_bytes()}), \
        Expect("missing-alt", INTRO, 5)


@trigger("meaningless-alt")
def _meaningless_alt(tmp: Path) -> Found:
    return pictured("![image](../images/a.png)", {"a.png": png_bytes()}), \
        Expect("meaningless-alt", INTRO, 5)


@trigger("svg-cleaned")
def _svg_cleaned(tmp: Path) -> Found:
    svg = (b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
           b'<script>alert(1)</script><rect width="10" height="10"/></svg>')
    return pictured("![A square](../images/a.svg)", {"a.svg": svg}), \
        Expect("svg-cleaned", INTRO, 5)


@trigger("caption-shortcode")
def _caption_shortcode(tmp: Path) -> Found:
    return pictured('[caption id="attachment_1" align="alignnone"]Just words[/caption]'), \
        Expect("caption-shortcode", INTRO, 5)


# --- links -----------------------------------------------------------------------------------


@trigger("malformed-url")
def _malformed_url(tmp: Path) -> Found:
    return chapter("# Intro\n\nA [doubled](http://%20http://example.com/x) link.\n"), \
        Expect("malformed-url", INTRO, 3)


@trigger("unsafe-link")
def _unsafe_link(tmp: Path) -> Found:
    return chapter("# Intro\n\nA [bad](javascript:alert(1)) link.\n"), \
        Expect("unsafe-link", INTRO, 3)


@trigger("unlinked-target")
def _unlinked_target(tmp: Path) -> Found:
    return chapter("# Intro\n\nAn [empty]() link.\n"), Expect("unlinked-target", INTRO, 3)


# --- lint ------------------------------------------------------------------------------------


@trigger("orphan-chapter")
def _orphan_chapter(tmp: Path) -> Found:
    return book(files={"chapters/notes.md": "# Notes\n"}), \
        Expect("orphan-chapter", "chapters/notes.md")


@trigger("duplicate-title")
def _duplicate_title(tmp: Path) -> Found:
    return book({"a.md": "A.\n", "b.md": "B.\n"},
                contents="- [Same](chapters/a.md)\n- [Same](chapters/b.md)\n"), \
        Expect("duplicate-title", "contents.md", 2)


@trigger("broken-anchor")
def _broken_anchor(tmp: Path) -> Found:
    return chapter("# Intro\n\nSee [below](#nowhere).\n"), Expect("broken-anchor", INTRO, 3)


@trigger("site-unmapped")
def _site_unmapped(tmp: Path) -> Found:
    toml = DEFAULT_TOML.replace('stem = "book"', 'stem = "book"\nsite_url = "https://example.org"')
    return book({"intro.md": "# Intro\n\nSee [it](https://example.org/nothing/).\n"}, toml=toml), \
        Expect("site-unmapped", INTRO, 3)


@trigger("raw-html")
def _raw_html(tmp: Path) -> Found:
    return chapter("# Intro\n\n<script>alert(1)</script>\n\nText.\n"), Expect("raw-html", INTRO, 3)



# --- pdf-check: the structure (pypdf / pikepdf files, no rendering) ----------------------------


def blank_pdf(path: str, pages: int = 2, outline: bool = True, size: float = 200) -> str:
    writer = pypdf.PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=size, height=size)
    if outline and pages:
        writer.add_outline_item(title="Chapter", page_number=0)
    buffer = io.BytesIO()
    writer.write(buffer)
    Path(path).write_bytes(buffer.getvalue())
    return path


def pdf_structure(path: str) -> list[Diagnostic]:
    from handbook_build.checks.pdfcheck import check_pdf

    return list(check_pdf(Path(path), typesetting=False).diagnostics)


@trigger("pdf-empty")
def _pdf_empty(tmp: Path) -> Found:
    return pdf_structure(blank_pdf("empty.pdf", pages=0)), Expect("pdf-empty", "empty.pdf")


@trigger("pdf-encrypted")
def _pdf_encrypted(tmp: Path) -> Found:
    writer = pypdf.PdfWriter()
    writer.add_blank_page(width=200, height=200)
    writer.encrypt("secret")
    with open("locked.pdf", "wb") as handle:
        writer.write(handle)
    return pdf_structure("locked.pdf"), Expect("pdf-encrypted", "locked.pdf")


@trigger("pdf-unreadable")
def _pdf_unreadable(tmp: Path) -> Found:
    Path("bad.pdf").write_bytes(b"%PDF-1.7\ngarbage")
    return check("bad.pdf"), Expect("pdf-unreadable", "bad.pdf")


@trigger("font-not-embedded")
def _font_not_embedded(tmp: Path) -> Found:
    from pypdf.generic import DictionaryObject, NameObject

    writer = pypdf.PdfWriter()
    writer.add_blank_page(width=200, height=200)
    writer.add_outline_item(title="Chapter", page_number=0)
    font = DictionaryObject({
        NameObject("/Type"): NameObject("/Font"), NameObject("/Subtype"): NameObject("/Type1"),
        NameObject("/BaseFont"): NameObject("/Helvetica")})
    writer.pages[0][NameObject("/Resources")] = DictionaryObject({NameObject("/Font"): (
        DictionaryObject({NameObject("/F1"): writer._add_object(font)}))})
    with open("font.pdf", "wb") as handle:
        writer.write(handle)
    return pdf_structure("font.pdf"), Expect("font-not-embedded", "font.pdf")


@trigger("pdf-no-outline")
def _pdf_no_outline(tmp: Path) -> Found:
    return pdf_structure(blank_pdf("plain.pdf", outline=False)), \
        Expect("pdf-no-outline", "plain.pdf")


@trigger("pdf-broken-outline")
def _pdf_broken_outline(tmp: Path) -> Found:
    import pikepdf

    writer = pypdf.PdfWriter()
    for _ in range(2):
        writer.add_blank_page(width=200, height=200)
    writer.add_outline_item(title="Gone", page_number=1)
    with open("outline.pdf", "wb") as handle:
        writer.write(handle)
    with pikepdf.open("outline.pdf", allow_overwriting_input=True) as document:
        kids = document.Root.Pages.Kids
        del kids[1]  # the page leaves the page tree; the outline still points at it
        document.Root.Pages.Count = 1
        document.save("outline.pdf")
    return pdf_structure("outline.pdf"), Expect("pdf-broken-outline", "outline.pdf")


def _link_pdf(path: str, destination: str | None) -> str:
    from pypdf.annotations import Link
    from pypdf.generic import (
        ArrayObject,
        DictionaryObject,
        FloatObject,
        NameObject,
        TextStringObject,
    )

    writer = pypdf.PdfWriter()
    for _ in range(2):
        writer.add_blank_page(width=200, height=200)
    writer.add_outline_item(title="Chapter", page_number=0)
    if destination is None:
        writer.add_annotation(0, Link(rect=(10, 10, 50, 50), target_page_index=1))
    else:
        writer.add_annotation(0, DictionaryObject({
            NameObject("/Type"): NameObject("/Annot"), NameObject("/Subtype"): NameObject("/Link"),
            NameObject("/Rect"): ArrayObject([FloatObject(0)] * 4),
            NameObject("/Dest"): TextStringObject(destination)}))
    with open(path, "wb") as handle:
        writer.write(handle)
    return path


@trigger("pdf-broken-link")
def _pdf_broken_link(tmp: Path) -> Found:
    return pdf_structure(_link_pdf("links.pdf", "nowhere")), Expect("pdf-broken-link", "links.pdf")


@trigger("pdf-odd-pages")
def _pdf_odd_pages(tmp: Path) -> Found:
    return pdf_structure(blank_pdf("book-print.pdf", pages=3)), \
        Expect("pdf-odd-pages", "book-print.pdf")


@trigger("pdf-annotations")
def _pdf_annotations(tmp: Path) -> Found:
    return pdf_structure(_link_pdf("book-print.pdf", None)), \
        Expect("pdf-annotations", "book-print.pdf")


@trigger("pdf-form-fields")
def _pdf_form_fields(tmp: Path) -> Found:
    from pypdf.generic import ArrayObject, DictionaryObject, NameObject

    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(blank_pdf("book-print.pdf")))
    writer._root_object[NameObject("/AcroForm")] = DictionaryObject(
        {NameObject("/Fields"): ArrayObject()})
    with open("book-print.pdf", "wb") as handle:
        writer.write(handle)
    return pdf_structure("book-print.pdf"), Expect("pdf-form-fields", "book-print.pdf")


@trigger("typesetting-not-checked")
def _typesetting_not_checked(tmp: Path) -> Found:
    blank_pdf("book.pdf")
    Path("no-tools").mkdir()
    saved = os.environ["PATH"]
    os.environ["PATH"] = str(Path("no-tools").resolve())  # no pdftotext to be found
    try:
        found = check("book.pdf")
    finally:
        os.environ["PATH"] = saved
    return found, Expect("typesetting-not-checked", "book.pdf")


# --- pdf-check: print boxes (pikepdf files, no rendering) --------------------------------------


def _boxed_pdf(path: str, boxes: Sequence[dict[str, list[float]]], claim: str = "") -> str:
    import pikepdf

    document = pikepdf.new()
    for box in boxes:
        document.add_blank_page(page_size=(box["media"][2], box["media"][3]))
        page = document.pages[-1].obj
        for key, value in box.items():
            page[f"/{key.title()}Box"] = pikepdf.Array(value)
    if claim:
        document.docinfo["/GTS_PDFXVersion"] = claim
    document.save(path)
    return path


def print_boxes(path: str) -> list[Diagnostic]:
    from handbook_build.checks.typeset_check import check_typesetting

    return list(check_typesetting(Path(path), path, "print", cheap=True).diagnostics)


TRIMMED = {"media": [0, 0, 450, 666], "trim": [9, 9, 441, 657], "bleed": [0, 0, 450, 666]}


@trigger("print-no-trim")
def _print_no_trim(tmp: Path) -> Found:
    return print_boxes(blank_pdf("book-print.pdf")), Expect("print-no-trim", "book-print.pdf",
                                                             page=1)


@trigger("print-trim-size")
def _print_trim_size(tmp: Path) -> Found:
    odd = {"media": [0, 0, 450, 700], "trim": [9, 9, 441, 691], "bleed": [0, 0, 450, 700]}
    return print_boxes(_boxed_pdf("book-print.pdf", [TRIMMED, TRIMMED, odd])), \
        Expect("print-trim-size", "book-print.pdf", page=3)


@trigger("print-bleed")
def _print_bleed(tmp: Path) -> Found:
    thin = {"media": [0, 0, 436, 652], "trim": [2, 2, 434, 650], "bleed": [0, 0, 436, 652]}
    return print_boxes(_boxed_pdf("book-print.pdf", [thin, thin])), \
        Expect("print-bleed", "book-print.pdf", page=1)


@trigger("print-pdfx")
def _print_pdfx(tmp: Path) -> Found:
    return print_boxes(_boxed_pdf("book-print.pdf", [TRIMMED, TRIMMED], claim="PDF/X-4")), \
        Expect("print-pdfx", "book-print.pdf")



# --- pdf-check: the pages (one small WeasyPrint document, laid out once) ----------------------

FILLER = ("Peer learning works when each member of the group can say what they came to learn, "
          "what they can offer, and how they will know that the work is done. ") * 5
URL = "https://example.org/" + "a-very-long-path-segment/" * 2 + "end"  # past the text block
PRE = "print(" + "'a code line far too long for the page' + " * 6 + "'')"  # past the page
# (what is on the page, the code it is there for); one page each, in this order.
DEFECT_PAGES: tuple[tuple[str, str], ...] = (
    (f"<p>{FILLER}</p>", ""),
    (f"<p>{FILLER}</p><p class=broken>The group met on Mon&shy;days to com\u2010<br>"
     "pare notes on their re\u2010<br>search and their in\u2010<br>"
     "dividual progress, then went home.</p>", "hyphen-ladder"),
    (f"<p>{FILLER}</p><p class=broken>Nobody should ever be mis\u2010<br>"
     "mis\u2010<br>taken for a teacher here.</p>", "hyphen-lone-fragment"),
    (f"<p>{FILLER}</p><p class=broken><span class=nowrap>{URL}</span></p>", "text-overflow"),
    (f"<p>{FILLER}</p><pre>{PRE}</pre>", "text-off-page"),
    (f"<p>{FILLER}</p><table class=wide><tr><td>first column</td><td>second column</td>"
     "<td>third column</td><td>fourth column at the edge</td></tr></table>", "rule-overflow"),
    (f"<p>{FILLER}</p><p>A character no font has: \U000F0001 here.</p>", "glyph-missing"),
    (f"<p>{FILLER}</p><img src='colour.jpg' style='width: 2in'>", "image-garbled"),
    (f"<p>{FILLER}</p><img src='coarse.png' style='width: 1in'>", "image-low-resolution"),
    (f"<p>{FILLER}</p><p class=notes>a.\u2002example.org/one</p>"
     "<p class=notes>a.\u2002example.org/one</p>", "note-twice"),
    ("<div class=empty></div>", "page-blank"),
    ("<h2 class=low>A heading left at the foot</h2>", "heading-stranded"),
    ("<p>[Image not available: a diagram]</p>", "page-placeholder-only"),
    (f"<p>{FILLER}</p><img src='wide.png' style='width: 4in; margin-left: -2.5in'>",
     "image-off-page"),
    (f"<p>{FILLER}</p><img src='wide.png' style='width: 5.2in; margin-left: -0.4in'>",
     "image-outside-text-block"),
    ("<h2 class=big>Inter\u2010<br>national meetings of the group</h2>"
     f"<p>{FILLER}</p>", "hyphen-in-heading"),
    (f"<p>{FILLER}</p><p>Say 漢字 here.</p>", ""),  # a CJK face: fontconfig's fallback
    (f"<p>{FILLER}</p>", ""),
)
DEFECT_STYLE = TYPESET_STYLE + "h2.big { font-size: 20pt; text-align: left; }\n"
_RENDERED: dict[str, tuple[Path, tuple[Diagnostic, ...]]] = {}


def _scratch() -> Path:
    """A folder for what is made once per test run and shared by cases; removed at exit."""
    import atexit
    import shutil
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="hb-diagnostic-codes-"))
    atexit.register(shutil.rmtree, folder, True)
    return folder


def defects() -> tuple[Path, tuple[Diagnostic, ...]]:
    """The defect document's findings (rendered and checked once per test run)."""
    if "defects" not in _RENDERED:
        import pikepdf
        import weasyprint
        from PIL import Image

        from handbook_build.checks.typeset_check import check_typesetting

        folder = _scratch()
        photo = Image.new("RGB", (300, 200))
        photo.putdata([(x % 256, (x * y) % 256, y % 256) for y in range(200) for x in range(300)])
        photo.save(folder / "colour.jpg", quality=80)
        Image.new("RGB", (40, 40), (200, 40, 40)).save(folder / "coarse.png")
        Image.new("L", (1600, 400), 128).save(folder / "wide.png")
        sections = "".join(f"<section>{body}</section>" for body, _ in DEFECT_PAGES)
        html = (f"<html lang=en><head><meta charset=utf-8><style>{DEFECT_STYLE}</style>"
                f"</head><body>{sections}</body></html>")
        pdf = folder / "defects.pdf"
        weasyprint.HTML(string=html, base_url=str(folder) + "/").write_pdf(pdf)
        with pikepdf.open(pdf, allow_overwriting_input=True) as document:
            for page in document.pages:  # the colour JPEG relabelled grey: data stays RGB
                for image in page.get_images().values():
                    if image.get("/Filter") == "/DCTDecode":
                        image.ColorSpace = pikepdf.Name.DeviceGray
            document.save(pdf)
        # The page's style names only the Libertine faces: the CJK face is fontconfig's pick.
        found = check_typesetting(pdf, "defects.pdf", "screen", style_families=(
            "Linux Libertine O", "Linux Libertine Mono O"))
        _RENDERED["defects"] = (pdf, found.diagnostics)
    return _RENDERED["defects"]


def _defect_trigger(code: str, page: int) -> None:
    def run(tmp: Path) -> Found:
        return defects()[1], Expect(code, "defects.pdf", page=page)
    TRIGGERS[code] = run


for _number, (_, _code) in enumerate(DEFECT_PAGES, start=1):
    if _code:
        _defect_trigger(_code, _number)
_defect_trigger("note-astray", 10)  # the twice-printed note has no call there either
# A face is reported once, on the first page it is on (the folios' digits need a fallback too).
_defect_trigger("face-fallback", 1)


@trigger("script-not-covered")
def _script_not_covered(tmp: Path) -> Found:
    # A face whose character map sends a glyph without an outline (its space) to a CJK
    # character: what a PDF shows when a face is asked for a script it does not cover.
    import re

    import pikepdf
    import weasyprint

    from handbook_build.checks.typeset_check import check_typesetting

    html = ("<html lang=en><head><meta charset=utf-8><style>@page { size: 6in 9in } "
            "body { font-family: 'Linux Libertine O' }</style></head><body>"
            "<p>Some words here and there.</p></body></html>")
    weasyprint.HTML(string=html).write_pdf("script.pdf")
    with pikepdf.open("script.pdf", allow_overwriting_input=True) as document:
        for font in document.pages[0].Resources.Font.values():
            cmap = font.get("/ToUnicode")
            if isinstance(cmap, pikepdf.Stream):
                cmap.write(re.sub(rb"<0020>", b"<6F22>", cmap.read_bytes()))
        document.save("script.pdf")
    found = check_typesetting(Path("script.pdf"), "script.pdf", "screen", cheap=True)
    return found.diagnostics, Expect("script-not-covered", "script.pdf", page=1)


@trigger("hyphenation-share")
def _hyphenation_share(tmp: Path) -> Found:
    import weasyprint

    from handbook_build.checks.typeset_check import check_typesetting

    lines = "".join(f"Line {n} of the group's notes on their re\u2010<br>search, "
                    "and some more words to fill it.<br>" for n in range(12))
    html = (f"<html lang=en><head><meta charset=utf-8><style>{DEFECT_STYLE}</style></head>"
            f"<body><p class=broken>{lines}</p></body></html>")
    weasyprint.HTML(string=html).write_pdf("share.pdf")
    return check_typesetting(Path("share.pdf"), "share.pdf", "screen").diagnostics, \
        Expect("hyphenation-share", "share.pdf")


@trigger("chapter-on-verso")
def _chapter_on_verso(tmp: Path) -> Found:
    import weasyprint

    from handbook_build.checks.typeset_check import check_typesetting

    style = DEFECT_STYLE + """
    @page :left { margin-left: 1in; margin-right: 0.6in; }
    @page :right { margin-left: 0.6in; margin-right: 1in; }
    h1 { break-before: right; font-size: 24pt; margin: 0 0 1em; }
    h1.verso { break-before: left; }
    """
    chapters = "".join(f"<h1{' class=verso' if n == 3 else ''}>Chapter {n}</h1>"
                       f"<p>{FILLER}</p><p>{FILLER}</p><p>{FILLER}</p>" for n in range(1, 6))
    html = (f"<html lang=en><head><meta charset=utf-8><style>{style}</style></head><body>"
            f"{chapters}</body></html>")
    weasyprint.HTML(string=html).write_pdf("book.pdf")
    return check_typesetting(Path("book.pdf"), "book.pdf", "screen").diagnostics, \
        Expect("chapter-on-verso", "book.pdf")



# --- output and editions: in-process builds of the one edition each code needs ---------------


def built(formats: tuple[str, ...], chapters: dict[str, str | bytes] | None = None, *,
          toml_extra: str = "", images: dict[str, bytes] | None = None,
          validate: bool = False, output: str = "out") -> list[Diagnostic]:
    """Build ``formats`` of a book written into the working folder; every diagnostic, also
    those of a build that stops."""
    from handbook_build.errors import HandbookError
    from handbook_build.pipeline import BuildRequest, build
    from handbook_build.sources.manifest import load_manifest

    written = make_book(Path("."), chapters, toml_extra=toml_extra, images=images)
    request = BuildRequest(load_manifest(written.manifest), Path(output).resolve(),
                           formats=formats, validate=validate, jobs=1)
    try:
        return list(build(request).diagnostics)
    except HandbookError as error:
        return [*error.diagnostics, *error.warnings]


@trigger("output-collision")
def _output_collision(tmp: Path) -> Found:
    # stem "intro" into chapters/: book's md edition would be chapters/intro.md, a chapter.
    from handbook_build.errors import HandbookError
    from handbook_build.pipeline import BuildRequest, build
    from handbook_build.sources.manifest import load_manifest

    toml = DEFAULT_TOML.replace('stem = "book"', 'stem = "intro"')
    written = make_book(Path("."), toml=toml)
    request = BuildRequest(load_manifest(written.manifest), Path("chapters").resolve(),
                           formats=("md",), jobs=1)
    with pytest.raises(HandbookError) as raised:
        build(request)
    return raised.value.diagnostics, Expect("output-collision", "book.toml")


def _many_notes(count: int) -> str:
    calls = " ".join(f"Point {n}.[^n{n}]" for n in range(count))
    notes = "\n".join(f"[^n{n}]: Note {n}." for n in range(count))
    return f"# Notes\n\n{calls}\n\n{notes}\n"


@trigger("too-many-footnotes")
def _too_many_footnotes(tmp: Path) -> Found:
    from handbook_build.render.paged_limits import MAX_PAGED_FOOTNOTES

    return built(("pdf",), {"notes.md": _many_notes(MAX_PAGED_FOOTNOTES + 1)}), \
        Expect("too-many-footnotes", "chapters/notes.md")


@trigger("epub-no-page-list")
def _epub_no_page_list(tmp: Path) -> Found:
    from handbook_build.render.paged_limits import MAX_PAGED_FOOTNOTES

    return built(("epub",), {"notes.md": _many_notes(MAX_PAGED_FOOTNOTES + 1)}), \
        Expect("epub-no-page-list", "book.epub")


@trigger("render-warning")
def _render_warning(tmp: Path) -> Found:
    return built(("pdf",), toml_extra='\n[pdf]\nfont_family = "No Such Family Anywhere"\n'), \
        Expect("render-warning", "book.pdf")


@trigger("typesetting")
def _typesetting(tmp: Path) -> Found:
    return built(("pdf",), {"intro.md": "# Intro\n\nA character no font has: \U000F0001.\n"}), \
        Expect("typesetting", "book.pdf")


@trigger("preflight")
def _preflight(tmp: Path) -> Found:
    # Lulu wants text 0.5 in from the trim; these margins put it closer (a rule with no
    # finding of its own: the failure is the diagnostic).
    extra = '\n[print]\nprofile = "lulu"\nmargins = { top = "0.3in", bottom = "0.3in" }\n'
    return built(("print",), toml_extra=extra), Expect("preflight", "book-print.pdf")


@trigger("preflight-<rule>")
def _preflight_rule(tmp: Path) -> Found:
    text = "# Intro\n\nText.\n\n![A small picture of a square](../images/a.png)\n"
    return built(("print",), {"intro.md": text}, images={"a.png": png_bytes(40, 40)}), \
        Expect("preflight-image-resolution", "book-print.pdf")



# --- epub-check: EPUBCheck and Ace on a hand-made EPUB ------------------------------------------

_OPF = """<?xml version="1.0" encoding="UTF-8"?>
<package xmlns="http://www.idpf.org/2007/opf" version="3.0" unique-identifier="id">
<metadata xmlns:dc="http://purl.org/dc/elements/1.1/">
<dc:identifier id="id">urn:uuid:12345678-1234-5678-1234-567812345678</dc:identifier>
<dc:title>Tiny</dc:title><dc:language>en</dc:language>
</metadata>
<manifest>
<item id="nav" href="nav.xhtml" media-type="application/xhtml+xml" properties="nav"/>
<item id="a" href="a.xhtml" media-type="application/xhtml+xml"/>
</manifest>
<spine><itemref idref="a"/></spine>
</package>
"""
_NAV = """<?xml version="1.0" encoding="UTF-8"?>
<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops">
<head><title>Contents</title></head><body><nav epub:type="toc"><h1>Contents</h1>
<ol><li><a href="a.xhtml">A</a></li></ol></nav></body></html>
"""
_CHAPTER = """<?xml version="1.0" encoding="UTF-8"?>
<html xmlns="http://www.w3.org/1999/xhtml"><head><title>A</title></head>
<body>
<h1>A chapter</h1>
<p>Text.</p>
<h4>Too deep</h4>
<p>More text.</p>
</body></html>
"""


def tiny_epub(path: str) -> str:
    """An EPUB 3 with no dcterms:modified (EPUBCheck RSC-005), no language on the package or
    the pages, and a heading level skipped at a.xhtml line 6 (Ace's rules)."""
    import zipfile

    container = ('<?xml version="1.0"?><container version="1.0" xmlns="urn:oasis:names:tc:'
                 'opendocument:xmlns:container"><rootfiles><rootfile full-path="EPUB/content.opf"'
                 ' media-type="application/oebps-package+xml"/></rootfiles></container>')
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), "application/epub+zip")
        archive.writestr("META-INF/container.xml", container)
        archive.writestr("EPUB/content.opf", _OPF)
        archive.writestr("EPUB/nav.xhtml", _NAV)
        archive.writestr("EPUB/a.xhtml", _CHAPTER)
    return path


def checked_epub(ace: bool) -> list[Diagnostic]:
    """``check`` on the tiny EPUB: EPUBCheck, then Ace where it can run (once per test run:
    about 20 s); ``ace``: the case needs Ace's findings."""
    import shutil

    from handbook_build.checks.ace import find_ace

    if shutil.which("java") is None:
        pytest.skip("EPUBCheck needs Java: apt-get install openjdk-17-jre-headless")
    if ace and find_ace()[0] is None:
        pytest.skip(f"Ace by DAISY cannot run here: {find_ace()[1]}")
    if "epub" not in _RENDERED:
        import dataclasses

        folder = _scratch()
        found = run_check(Path(tiny_epub(str(folder / "tiny.epub")))).diagnostics
        # Shown relative to the folder each case runs in: named from the EPUB on, as it is
        # when check runs beside it.
        _RENDERED["epub"] = (folder, tuple(
            dataclasses.replace(d, path="tiny.epub" + d.path.split("tiny.epub", 1)[1])
            for d in found))
    return list(_RENDERED["epub"][1])


@trigger("<EPUBCheck id>")
def _epubcheck_id(tmp: Path) -> Found:
    return [d for d in checked_epub(ace=False) if not d.code.startswith("ace")], \
        Expect("RSC-005", "tiny.epub/EPUB/content.opf", 3)


@trigger("ace:<rule>")
def _ace_rule(tmp: Path) -> Found:
    return checked_epub(ace=True), Expect("ace:heading-order", "tiny.epub/EPUB/a.xhtml", 6)


@trigger("epubcheck")
def _epubcheck(tmp: Path) -> Found:
    # EPUBCheck that ran and wrote no report (a crash, a timeout) cannot be caused by a book:
    # run_epubcheck is made to fail as it then does, and check's handling of that is tested.
    from unittest import mock

    from handbook_build.errors import RenderError

    failure = RenderError("tiny.epub: EPUBCheck produced no report (exit 1): boom; "
                          "run it by hand to see why")
    with mock.patch("handbook_build.checks.epubcheck.run_epubcheck", side_effect=failure):
        found = check(tiny_epub("tiny.epub"))
    return found, Expect("epubcheck", "tiny.epub")


@trigger("ace")
def _ace(tmp: Path) -> Found:
    # Likewise Ace writing no report: run_ace fails as it then does.
    from unittest import mock

    from handbook_build.checks import check as check_module
    from handbook_build.checks.ace import AceTool
    from handbook_build.errors import RenderError

    failure = RenderError("tiny.epub: Ace produced no report (exit 1): boom; run ace-cli by "
                          "hand to see why")
    tool = AceTool("ace-cli", "chromium")
    with mock.patch("handbook_build.checks.ace.find_ace", return_value=(tool, "")), \
            mock.patch("handbook_build.checks.ace.run_ace", side_effect=failure):
        found, _ = check_module._check_epub_ace(Path(tiny_epub("tiny.epub")), "tiny.epub")
    return found, Expect("ace", "tiny.epub")


@trigger("ace-missing")
def _ace_missing(tmp: Path) -> Found:
    # The build's Ace step where Ace cannot run: here node is not on PATH.
    from handbook_build import editions

    Path("no-tools").mkdir()
    saved = os.environ["PATH"]
    os.environ["PATH"] = str(Path("no-tools").resolve())
    try:
        found = editions._ace(Path(tiny_epub("tiny.epub")), "book")
    finally:
        os.environ["PATH"] = saved
    return found, Expect("ace-missing", "book.epub")


# --- the tests ---------------------------------------------------------------------------------


def _matches(info: CodeInfo, code: str, wanted: str) -> bool:
    return code == wanted and (info.matches(code) if info.code else True)


# Ace drives Chromium (about 20 s for the EPUB families): left out of ``make test-fast``.
SLOW = {"<EPUBCheck id>", "ace:<rule>"}


@pytest.mark.parametrize("info", [
    pytest.param(info, id=info.shown, marks=[pytest.mark.slow] if info.shown in SLOW else [])
    for info in CODES])
def test_code_is_reported(info: CodeInfo, tmp_path: Path) -> None:
    if info.shown in CANNOT:
        pytest.skip(CANNOT[info.shown])
    assert info.shown in TRIGGERS, f"{info.shown}: write a trigger for it (or name in CANNOT why "
    "it cannot be triggered here)"

    diagnostics, expect = TRIGGERS[info.shown](tmp_path)
    hits = [d for d in diagnostics if _matches(info, d.code, expect.code)]
    shown = "\n".join(d.compiler_style() for d in diagnostics)
    assert hits, f"{expect.code} not reported; got:\n{shown}"
    assert all(d.severity in info.severities for d in hits), shown
    if expect.path is not None:
        places = [(d.path, d.line) for d in hits]
        if expect.line is not None:
            assert (expect.path, expect.line) in places, shown
        else:
            assert expect.path in [p for p, _ in places], shown
    if expect.page is not None:
        assert expect.page in [d.page for d in hits], shown


def test_every_trigger_is_for_a_catalogued_code() -> None:
    assert set(TRIGGERS) | set(CANNOT) == {info.shown for info in CODES}
