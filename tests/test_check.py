"""Tests for check.py, lint_rules.py and pdfcheck.py: each rule on a small book, exact positions.

Every book is written to tmp_path and checked from there (messages show paths relative to the
working directory), so the expected paths read like what an editor types: ``ch/a.md:3:7``.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import time
from pathlib import Path

import pypdf
import pytest
from pypdf.annotations import Link
from pypdf.generic import DictionaryObject, NameObject, TextStringObject

from handbook_build.checks import check as check_module
from handbook_build.checks.check import CheckReport, run_check
from handbook_build.checks.pdfcheck import check_pdf
from handbook_build.errors import SourceError
from handbook_build.model import Diagnostic

PROJECT_DIR = Path(__file__).resolve().parent.parent
TOML = """[book]
title = "A Small Book"
date = 2024-01-31
site_url = "https://example.org"

[contents]
file = "contents.md"
chapters = "ch"
"""


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)


def write_book(root: Path, chapters: dict[str, str | bytes], contents: str | None = None,
               toml: str = TOML) -> Path:
    """book.toml + contents.md listing ``chapters`` in order (titles from the file stems)."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "book.toml").write_text(toml, encoding="utf-8")
    if contents is None:
        contents = "".join(f"- [{Path(name).stem.title()}]({name})\n" for name in chapters)
    (root / "contents.md").write_text(contents, encoding="utf-8")
    for name, body in chapters.items():
        path = root / "ch" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(body, bytes):
            path.write_bytes(body)
        else:
            path.write_text(body, encoding="utf-8")
    return root / "book.toml"


def found(report: CheckReport, code: str) -> list[tuple[str, int | None, int | None]]:
    return [(d.path, d.line, d.column) for d in report.diagnostics if d.code == code]


def only(report: CheckReport, code: str) -> Diagnostic:
    matches = [d for d in report.diagnostics if d.code == code]
    assert len(matches) == 1, report.render()
    return matches[0]


# --- the sample book -----------------------------------------------------------------------------


def test_sample_book_has_no_diagnostics(project_dir: Path, monkeypatch: pytest.MonkeyPatch
                                        ) -> None:
    monkeypatch.chdir(project_dir)
    report = run_check(Path("manuscript/book.toml"))
    # The specimen shows a web picture's placeholder on purpose: that one warning, no other.
    assert [(d.path.rsplit("manuscript/", 1)[-1], d.severity, d.code)
            for d in report.diagnostics] == [
        ("chapters/pictures.md", "warning", "unresolved-image")], report.render()
    assert "https://example.org/pictures/first-copy.jpg" in report.diagnostics[0].message
    assert report.summary == "9 chapters"
    assert report.render().endswith("0 errors, 1 warning" + report.render()[-9:])


# --- the contents list ---------------------------------------------------------------------------


def test_missing_chapter_is_an_error_at_its_contents_line(tmp_path: Path) -> None:
    manifest = write_book(tmp_path, {"a.md": "# A\n\nText.\n"},
                          contents="# Book\n\n- [A](a.md)\n- [Gone](gone.md)\n")
    report = run_check(manifest)
    diagnostic = only(report, "missing-chapter")
    assert (diagnostic.path, diagnostic.line, diagnostic.severity) == ("contents.md", 4, "error")
    assert report.error_count == 1
    assert "not checked" in report.summary


def test_orphan_chapter_files_but_not_readme_or_contents(tmp_path: Path) -> None:
    manifest = write_book(tmp_path, {"a.md": "Text.\n"})
    (tmp_path / "ch" / "notes.md").write_text("# Notes\n", encoding="utf-8")
    (tmp_path / "ch" / "README.md").write_text("# Readme\n", encoding="utf-8")
    (tmp_path / "ch" / "SUMMARY.md").write_text("- [A](a.md)\n", encoding="utf-8")
    (tmp_path / "ch" / "picture.png").write_bytes(b"\x89PNG")
    report = run_check(manifest)
    assert found(report, "orphan-chapter") == [("ch/notes.md", None, None)]
    assert only(report, "orphan-chapter").severity == "warning"


def test_contents_file_next_to_its_chapters_is_not_an_orphan(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("- [One](one.md)\n- [Two](two.md)\n", encoding="utf-8")
    (tmp_path / "one.md").write_text("One.\n", encoding="utf-8")
    (tmp_path / "two.md").write_text("Two.\n", encoding="utf-8")
    (tmp_path / "draft.md").write_text("Draft.\n", encoding="utf-8")
    report = run_check(tmp_path / "README.md")
    assert found(report, "orphan-chapter") == [("draft.md", None, None)]
    assert found(report, "no-manifest") == [("README.md", None, None)]


def test_duplicate_titles_in_the_contents(tmp_path: Path) -> None:
    contents = "- [Intro](a.md)\n- Part\n  - [Intro](b.md)\n  - [Other](c.md)\n- PART\n"
    manifest = write_book(tmp_path, {"a.md": "A.\n", "b.md": "B.\n", "c.md": "C.\n"},
                          contents=contents)
    report = run_check(manifest)
    assert found(report, "duplicate-title") == [("contents.md", 3, None),
                                                ("contents.md", 5, None)]
    assert "first on line 1" in report.diagnostics[0].message


# --- links ---------------------------------------------------------------------------------------


def test_broken_anchors_in_other_and_same_chapter(tmp_path: Path) -> None:
    a = ("# A\n"
         "\n"
         "See [b](b.md#real-heading), [bad](b.md#nope) and [own](#local).\n"
         "Also [here](#missing) and [custom](b.md#custom).\n"
         "\n"
         "## Local\n")
    b = "## Real heading\n\nText.\n\n## Second {#custom}\n\nText.\n"
    report = run_check(write_book(tmp_path, {"a.md": a, "b.md": b}))
    assert found(report, "broken-anchor") == [("ch/a.md", 3, 35), ("ch/a.md", 4, 13)]
    first = report.diagnostics[0]
    assert "'nope'" in first.message and "real-heading" in first.hint


def test_anchor_ids_follow_pandoc_numbering_of_repeated_headings(tmp_path: Path) -> None:
    a = "[one](b.md#notes) [two](b.md#notes-1) [three](b.md#notes-2)\n"
    b = "## Notes\n\nx\n\n## Notes\n\ny\n"
    report = run_check(write_book(tmp_path, {"a.md": a, "b.md": b}))
    assert found(report, "broken-anchor") == [("ch/a.md", 1, 47)]


def test_anchors_without_read_book_come_from_the_sources(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """When read_book fails, its errors are reported and the own scans still run."""
    def failing(*_: object) -> None:
        raise SourceError("1 problem found", [Diagnostic("ch/b.md", 2, "boom", code="boom")])

    monkeypatch.setattr("handbook_build.sources.chapters.read_book", failing)
    a = "[ok](b.md#real-heading) [bad](b.md#nope)\n"
    report = run_check(write_book(tmp_path, {"a.md": a, "b.md": "## Real heading\n"}))
    assert found(report, "boom") == [("ch/b.md", 2, None)]
    assert found(report, "broken-anchor") == [("ch/a.md", 1, 31)]


def test_own_site_links_that_map_to_no_chapter(tmp_path: Path) -> None:
    a = ("Site [ok](https://example.org/b/) and [no](https://example.org/nothing/)\n"
         "and [frag](http://www.example.org/b/#zzz) and [home](https://example.org/).\n")
    b = "## Heading\n"
    report = run_check(write_book(tmp_path, {"a.md": a, "b.md": b}))
    assert found(report, "site-unmapped") == [("ch/a.md", 1, 44)]
    assert "'nothing'" in only(report, "site-unmapped").message
    assert found(report, "broken-anchor") == [("ch/a.md", 2, 12)]


def test_malformed_urls_and_unresolved_images(tmp_path: Path) -> None:
    a = ("Intro.\n"
         "\n"
         "A [doubled](http://%20http://example.com/x) link.\n"
         "\n"
         "![alt text](missing.png)\n")
    report = run_check(write_book(tmp_path, {"a.md": a}))
    assert found(report, "malformed-url") == [("ch/a.md", 3, 13)]
    assert found(report, "missing-image") == [("ch/a.md", 5, 1)]
    assert only(report, "missing-image").severity == "error"


# --- repairs the build makes ---------------------------------------------------------------------


def test_control_characters_at_their_column(tmp_path: Path) -> None:
    a = "Line one.\nTwo\x01 and\x9d.\n"
    diagnostic = only(run_check(write_book(tmp_path, {"a.md": a})), "control-character")
    assert (diagnostic.path, diagnostic.line, diagnostic.column) == ("ch/a.md", 2, 4)
    assert "U+0001" in diagnostic.message and "U+009D" in diagnostic.message


def test_glued_headings_and_heading_jumps_on_source_lines(tmp_path: Path) -> None:
    a = ("\x01Intro paragraph.\n"  # a removed control character must not shift lines
         "## Glued to the paragraph\n"
         "\n"
         "Some text.## Glued mid-line\n"
         "\n"
         "#### Too deep\n")
    report = run_check(write_book(tmp_path, {"a.md": a}))
    assert found(report, "glued-heading") == [("ch/a.md", 2, None), ("ch/a.md", 4, 11)]
    assert found(report, "heading-jump") == [("ch/a.md", 6, None)]


def test_caption_shortcodes(tmp_path: Path) -> None:
    (tmp_path / "ch").mkdir()
    (tmp_path / "ch" / "pic.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    a = ('Text.\n\n[caption id="" align="aligncenter" width="300"]'
         '![Alt](pic.png) A caption[/caption]\n')
    report = run_check(write_book(tmp_path, {"a.md": a}))
    assert found(report, "caption-shortcode") == [("ch/a.md", 3, 1)]


def test_empty_chapter(tmp_path: Path) -> None:
    report = run_check(write_book(tmp_path, {"a.md": "Text.\n", "b.md": "  \n\n"}))
    assert found(report, "empty-chapter") == [("ch/b.md", 1, None)]


def test_not_utf8_is_an_error_with_its_position(tmp_path: Path) -> None:
    report = run_check(write_book(tmp_path, {"a.md": b"Fine.\nCaf\xe9 au lait\n"}))
    diagnostic = only(report, "not-utf8")
    assert (diagnostic.path, diagnostic.line, diagnostic.column) == ("ch/a.md", 2, 4)
    assert diagnostic.severity == "error"


# --- raw HTML ------------------------------------------------------------------------------------


def test_raw_html_the_sanitizer_drops(tmp_path: Path) -> None:
    a = ("<script>alert(1)</script>\n"
         '<p onclick="x()">Hi</p> <img src="javascript:x()"> <iframe src="y"></iframe>\n'
         '<a rel="attachment" href="https://example.org/f.pdf">f</a> <center>c</center>\n'
         "`<script>` in code and <em>kept</em> <https://example.org/> <me@example.org>\n"
         "\n"
         "    <object>indented code</object>\n")
    report = run_check(write_book(tmp_path, {"a.md": a}))
    html = [(d.line, d.column, d.message) for d in report.diagnostics if d.code == "raw-html"]
    assert [(line, column) for line, column, _ in html] == [
        (1, 1), (2, 4), (2, 52), (3, 4), (3, 60)]
    assert "with its content" in html[0][2]
    assert "onclick" in html[1][2]
    assert "<iframe>" in html[2][2]
    assert "attachment" in html[3][2]
    assert "<center>" in html[4][2] and "text is kept" in html[4][2]
    # images/ refuses the javascript: image itself; it is not reported twice
    assert [d.code for d in report.diagnostics if (d.line, d.column) == (2, 25)] == [
        "missing-alt", "unresolved-image"]


def test_javascript_link_is_reported_once(tmp_path: Path) -> None:
    report = run_check(write_book(tmp_path, {"a.md": '<a href="javascript:x()">x</a>\n'}))
    assert [d.code for d in report.diagnostics] == ["unsafe-link"]


# --- manifest problems and targets ---------------------------------------------------------------


def test_bad_toml_is_a_diagnostic_not_an_exception(tmp_path: Path) -> None:
    manifest = write_book(tmp_path, {"a.md": "A.\n"}, toml='[book]\ntitle = "x\n')
    report = run_check(manifest)
    diagnostic = only(report, "toml-syntax")
    assert (diagnostic.path, diagnostic.line, diagnostic.severity) == ("book.toml", 2, "error")


def test_missing_target(tmp_path: Path) -> None:
    report = run_check(Path("nowhere/book.toml"))
    assert found(report, "missing-file") == [("nowhere/book.toml", None, None)]
    assert report.error_count == 1


def test_folder_with_book_toml_and_source_override(tmp_path: Path) -> None:
    write_book(tmp_path / "book", {"a.md": "## Heading\n"})
    other = tmp_path / "other"
    write_book(other, {"a.md": "#### Jump\n\n## Back\n"})
    report = run_check(Path("book"), source_dir=other)
    assert report.summary == "1 chapter"
    # Relative to the source folder that holds it, not to the working folder.
    assert found(report, "heading-jump") == [("ch/a.md", 1, None)]
    assert run_check(Path("book")).diagnostics == ()


def test_folder_without_contents_file(tmp_path: Path) -> None:
    (tmp_path / "chapters").mkdir()
    report = run_check(Path("chapters"))
    assert [d.compiler_style() for d in report.diagnostics] == [
        "chapters: error: no contents file; add one of README.md, SUMMARY.md, contents.md "
        "[manifest]"]


def test_warnings_logged_for_a_bare_contents_file_are_in_the_report(tmp_path: Path) -> None:
    """manifest_from_contents logs its warnings (build prints them); check reports them."""
    (tmp_path / "README.md").write_text("# Book\n\n- [One](https://x.org/en-md/one.mdn Two)\n",
                                        encoding="utf-8")
    (tmp_path / "one.md").write_text("Text.\n", encoding="utf-8")
    report = run_check(Path("README.md"))
    assert found(report, "malformed-link") == [("README.md", 3, None)]
    assert report.summary == "1 chapter"


def test_order_is_contents_then_chapters_in_book_order_then_by_line(tmp_path: Path) -> None:
    contents = "- [Zed](z.md)\n- [Zed](a.md)\n"
    manifest = write_book(tmp_path, {"z.md": "x\n## H\n\n\x01\n", "a.md": "A\x01\n"},
                          contents=contents)
    (tmp_path / "ch" / "b.md").write_text("orphan\n", encoding="utf-8")
    report = run_check(manifest)
    assert [(d.path, d.line) for d in report.diagnostics] == [
        ("contents.md", 2), ("ch/z.md", 2), ("ch/z.md", 4), ("ch/a.md", 1), ("ch/b.md", None)]


def test_json_document_is_stable(tmp_path: Path) -> None:
    manifest = write_book(tmp_path, {"a.md": "Text\x01.\n"})
    first, second = run_check(manifest).render("json"), run_check(manifest).render("json")
    assert first == second
    document = json.loads(first)
    assert list(document) == ["version", "target", "summary", "diagnostics", "counts"]
    assert document["diagnostics"] == [{
        "file": "ch/a.md", "line": 1, "column": 5, "severity": "warning",
        "code": "control-character", "message": document["diagnostics"][0]["message"],
        "hint": document["diagnostics"][0]["hint"], "page": None, "folio": None}]
    assert document["counts"] == {"errors": 0, "warnings": 1,
                                  "by_code": {"control-character": 1}}


def test_text_report_is_compiler_style_with_counts(tmp_path: Path) -> None:
    report = run_check(write_book(tmp_path, {"a.md": "Text\x01.\n"}))
    lines = report.render().splitlines()
    assert re.match(r"^ch/a\.md:1:5: warning: removed .*\[control-character\]$", lines[0])
    # The target as given (here an absolute path); the findings relative to the book.
    assert lines[1].startswith(f"{tmp_path / 'book.toml'}: 1 chapter; 0 errors, 1 warning (")


def test_check_writes_nothing(tmp_path: Path) -> None:
    manifest = write_book(tmp_path, {"a.md": "![x](missing.png)\n"})
    before = sorted(p for p in tmp_path.rglob("*"))
    run_check(manifest)
    assert sorted(p for p in tmp_path.rglob("*")) == before


# --- EPUB ----------------------------------------------------------------------------------------


def test_epubcheck_messages_become_diagnostics(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from handbook_build.checks.epubcheck import EpubCheckMessage, EpubCheckResult

    messages = (
        EpubCheckMessage("RSC-012", "ERROR", "EPUB/text/ch-1.xhtml:12:40", "Fragment missing"),
        EpubCheckMessage("OPF-085", "WARNING", "EPUB/content.opf", "UUID not valid"),
        EpubCheckMessage("ACC-001", "USAGE", "EPUB/nav.xhtml:3", "a hint, not a problem"),
        EpubCheckMessage("PKG-008", "FATAL", "", "Unable to read file"),
    )
    result = EpubCheckResult(1, 1, 1, 1, messages, "5.3.0")
    monkeypatch.setattr("handbook_build.checks.epubcheck.run_epubcheck", lambda path: result)
    (tmp_path / "book.epub").write_bytes(b"PK")
    monkeypatch.setattr("handbook_build.checks.ace.find_ace", lambda: (None, "not installed"))
    result = EpubCheckResult(0, 1, 1, 1, messages[:3], "5.3.0")  # readable: Ace would run
    report = run_check(Path("book.epub"))
    assert [d.compiler_style() for d in report.diagnostics] == [
        "book.epub/EPUB/content.opf: warning: UUID not valid [OPF-085]",
        "book.epub/EPUB/text/ch-1.xhtml:12:40: error: Fragment missing [RSC-012]",
    ]
    assert report.summary == "EPUBCheck 5.3.0, Ace skipped (not installed)"
    result = EpubCheckResult(1, 1, 1, 1, messages, "5.3.0")
    report = run_check(Path("book.epub"))
    assert report.diagnostics[0].compiler_style() == (
        "book.epub: error: Unable to read file [PKG-008]")
    assert report.summary == "EPUBCheck 5.3.0, Ace not run (EPUBCheck could not read the book)"


@pytest.mark.skipif(shutil.which("java") is None, reason="EPUBCheck needs Java")
def test_epubcheck_runs_on_a_broken_epub(tmp_path: Path) -> None:
    import zipfile

    with zipfile.ZipFile(tmp_path / "bad.epub", "w") as archive:
        archive.writestr("mimetype", "application/epub+zip")
    report = run_check(Path("bad.epub"))
    assert report.error_count >= 1
    assert all(d.path.startswith("bad.epub") for d in report.diagnostics)


# --- PDF -----------------------------------------------------------------------------------------


def make_pdf(path: Path, pages: int = 2, outline: bool = True, link: str | None = None,
             unembedded_font: bool = False) -> Path:
    writer = pypdf.PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=200, height=200)
    if outline:
        writer.add_outline_item(title="Chapter", page_number=0)
    writer.add_named_destination(title="target", page_number=pages - 1)
    if link == "page":
        writer.add_annotation(0, Link(rect=(10, 10, 50, 50), target_page_index=pages - 1))
    elif link is not None:
        annotation = DictionaryObject({
            NameObject("/Type"): NameObject("/Annot"), NameObject("/Subtype"): NameObject("/Link"),
            NameObject("/Rect"): pypdf.generic.ArrayObject([pypdf.generic.FloatObject(0)] * 4),
            NameObject("/Dest"): TextStringObject(link)})
        writer.add_annotation(0, annotation)
    if unembedded_font:
        font = DictionaryObject({
            NameObject("/Type"): NameObject("/Font"), NameObject("/Subtype"): NameObject("/Type1"),
            NameObject("/BaseFont"): NameObject("/Helvetica")})
        resources = DictionaryObject({NameObject("/Font"): DictionaryObject(
            {NameObject("/F1"): writer._add_object(font)})})
        writer.pages[0][NameObject("/Resources")] = resources
    buffer = io.BytesIO()
    writer.write(buffer)
    path.write_bytes(buffer.getvalue())
    return path


def codes(path: Path) -> list[str]:
    """The structure findings only (the pages are tested in test_typeset_check.py)."""
    return [d.code for d in check_pdf(path, typesetting=False).diagnostics]


def test_good_reading_pdf(tmp_path: Path) -> None:
    result = check_pdf(make_pdf(tmp_path / "book.pdf", link="target"))
    assert result.diagnostics == ()
    assert result.summary.startswith("2 pages, 0 fonts, 1 outline entry, 1 internal link, ")


def test_pdf_problems(tmp_path: Path) -> None:
    assert codes(make_pdf(tmp_path / "a.pdf", outline=False)) == ["pdf-no-outline"]
    assert codes(make_pdf(tmp_path / "b.pdf", link="nowhere")) == ["pdf-broken-link"]
    assert codes(make_pdf(tmp_path / "c.pdf", unembedded_font=True)) == ["font-not-embedded"]
    assert "Helvetica" in check_pdf(tmp_path / "c.pdf").diagnostics[0].message
    (tmp_path / "d.pdf").write_bytes(b"%PDF-1.7\ngarbage")
    assert codes(tmp_path / "d.pdf") == ["pdf-unreadable"]


def test_print_pdf_rules(tmp_path: Path) -> None:
    assert codes(make_pdf(tmp_path / "x-print.pdf", outline=False)) == ["pdf-no-outline"]
    assert check_pdf(tmp_path / "x-print.pdf", typesetting=False).diagnostics[0].severity \
        == "warning"
    assert codes(make_pdf(tmp_path / "y-print.pdf", pages=3)) == ["pdf-odd-pages"]
    assert codes(make_pdf(tmp_path / "z-print.pdf", link="page")) == ["pdf-annotations"]
    assert codes(make_pdf(tmp_path / "z-print-fillable.pdf", link="page")) == []


def test_print_pdf_with_a_form(tmp_path: Path) -> None:
    path = make_pdf(tmp_path / "f-print.pdf")
    reader = pypdf.PdfReader(path)
    writer = pypdf.PdfWriter(clone_from=reader)
    writer._root_object[NameObject("/AcroForm")] = DictionaryObject(
        {NameObject("/Fields"): pypdf.generic.ArrayObject()})
    with path.open("wb") as handle:
        writer.write(handle)
    assert codes(path) == ["pdf-form-fields"]


def test_check_dispatches_pdf_targets(tmp_path: Path) -> None:
    make_pdf(tmp_path / "book-print.pdf", pages=3)
    report = run_check(Path("book-print.pdf"))
    # pypdf's blank pages have no /TrimBox: the typesetting check says so too.
    assert [d.code for d in report.diagnostics] == ["pdf-odd-pages", "print-no-trim"]
    assert [d.compiler_style() for d in report.diagnostics][:1] == [
        "book-print.pdf: error: the print PDF has 3 pages, an odd number; a printed book has an "
        "even page count; the print renderer pads with blank pages, so rebuild it "
        "[pdf-odd-pages]"]


def test_a_weasyprint_pdf_passes(tmp_path: Path) -> None:
    """The link and outline forms WeasyPrint writes (named /Dest strings) are understood."""
    weasyprint = pytest.importorskip("weasyprint")
    html = ('<h1 id="a">A</h1><p><a href="#b">to b</a> <a href="https://example.org/">x</a></p>'
            '<h2 id="b" style="break-before: page">B</h2><p>Text.</p>')
    path = tmp_path / "w.pdf"
    path.write_bytes(weasyprint.HTML(string=html).write_pdf())
    result = check_pdf(path)
    assert result.diagnostics == ()
    assert result.summary.startswith("2 pages") and "1 internal link" in result.summary


# --- the real handbook ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def corpus_report(corpus_dir: Path, project_dir: Path) -> tuple[CheckReport, float]:
    """One check of the real handbook, run from the project folder as a user would."""
    saved_cwd, saved_source = Path.cwd(), os.environ.get("HANDBOOK_SOURCE")
    os.environ["HANDBOOK_SOURCE"] = str(corpus_dir)
    os.chdir(project_dir)
    try:
        # CPU time, not wall time: the bound is about our code, and parallel test workers
        # (pytest -n) rendering PDFs next to us must not make it flaky.
        started = time.process_time()
        report = run_check(Path("editions/peeragogy-v3/book.toml"))
        return report, time.process_time() - started
    finally:
        os.chdir(saved_cwd)
        if saved_source is None:
            del os.environ["HANDBOOK_SOURCE"]
        else:
            os.environ["HANDBOOK_SOURCE"] = saved_source


def source_line(path: str, line: int) -> str:
    """Line ``line`` (1-based) of a file named as in a diagnostic (relative to the book's
    folders: the handbook's chapters relative to its checkout)."""
    default = PROJECT_DIR.parent / "shared" / "corpus" / "peeragogy-handbook-v3"
    base = Path(os.environ.get("HANDBOOK_SOURCE", default))
    text = next(b / path for b in (base, PROJECT_DIR) if (b / path).is_file()).read_text(
        encoding="utf-8")
    return text.split("\n")[line - 1]


@pytest.mark.corpus
def test_real_handbook_is_checked_without_errors(corpus_report: tuple[CheckReport, float]
                                                 ) -> None:
    report, _ = corpus_report  # its CPU time is a benchmark's figure, never asserted here
    assert report.summary == "60 chapters"
    assert report.error_count == 0, report.render()


@pytest.mark.corpus
def test_real_handbook_malformed_links(corpus_report: tuple[CheckReport, float]) -> None:
    report, _ = corpus_report
    contents = [d for d in report.diagnostics if d.code == "malformed-link"]
    assert [(Path(d.path).name, d.line) for d in contents] == [("README.md", 44)]
    urls = {(Path(d.path).name, d.line): d for d in report.diagnostics
            if d.code == "malformed-url"}
    assert len(urls) >= 10
    coworking = urls[("coworking.md", 35)]
    assert coworking.column is not None
    line = source_line(coworking.path, 35)
    assert line[coworking.column - 1:].startswith("http://%20http://")
    for diagnostic in urls.values():  # every position lands on the link target as written
        assert diagnostic.line is not None and diagnostic.column is not None
        text = source_line(diagnostic.path, diagnostic.line)[diagnostic.column - 1:]
        assert text and not text[0].isspace()


@pytest.mark.corpus
def test_real_handbook_control_characters(corpus_report: tuple[CheckReport, float]) -> None:
    report, _ = corpus_report
    controls = [d for d in report.diagnostics if d.code == "control-character"]
    assert [(Path(d.path).name, d.line, d.column) for d in controls] == [
        ("sphinx.md", 102, 51), ("sphinx.md", 130, 38), ("sphinx.md", 231, 34),
        ("sphinx.md", 345, 66)]
    for diagnostic in controls:
        assert diagnostic.line is not None and diagnostic.column is not None
        assert source_line(diagnostic.path, diagnostic.line)[diagnostic.column - 1] == "\x9d"


@pytest.mark.corpus
def test_real_handbook_glued_headings(corpus_report: tuple[CheckReport, float]) -> None:
    report, _ = corpus_report
    glued = [d for d in report.diagnostics if d.code == "glued-heading"]
    assert len(glued) >= 60
    places = {(Path(d.path).name, d.line) for d in glued}
    assert {("assessment.md", 66), ("collab-ex.md", 15), ("sphinx.md", 111),
            ("style.md", 2), ("summaries.md", 4)} <= places
    for diagnostic in glued:  # a heading line right after a non-blank line, as written
        assert diagnostic.line is not None
        assert source_line(diagnostic.path, diagnostic.line).startswith("#")
        assert source_line(diagnostic.path, diagnostic.line - 1).strip()


@pytest.mark.corpus
def test_real_handbook_orphans_and_unmapped_site_links(
        corpus_report: tuple[CheckReport, float], corpus_dir: Path) -> None:
    report, _ = corpus_report
    listed = {line.split("/en-md/")[1].split(")")[0].split(".md")[0] + ".md"
              for line in (corpus_dir / "en-md" / "README.md").read_text().splitlines()
              if "/en-md/" in line}
    on_disk = {p.name for p in (corpus_dir / "en-md").glob("*.md")} - {"README.md"}
    orphans = sorted(Path(d.path).name for d in report.diagnostics
                     if d.code == "orphan-chapter")
    assert orphans == sorted(on_disk - listed)
    for diagnostic in (d for d in report.diagnostics if d.code == "site-unmapped"):
        assert diagnostic.line is not None and diagnostic.column is not None
        text = source_line(diagnostic.path, diagnostic.line)[diagnostic.column - 1:]
        assert text.startswith("http://peeragogy.org/")


def test_check_module_imports_no_renderer() -> None:
    """``check`` must stay fast: importing it pulls in neither WeasyPrint nor pandoc."""
    import subprocess
    import sys

    code = ("import sys, handbook_build.checks.check, handbook_build.checks.lint_rules, "
            "handbook_build.checks.pdfcheck, handbook_build.sources.chapters, "
            "handbook_build.sources.manifest; "
            "print(sorted(m for m in ('weasyprint', 'pypandoc', 'ebooklib') if m in sys.modules))")
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True).stdout
    assert output.strip() == "[]"
    assert check_module.JSON_VERSION == 1
