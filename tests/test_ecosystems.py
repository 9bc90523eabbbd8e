"""Books kept in other tools' conventions build from their own entry files (issue 15).

One tiny book per convention (mdBook, Jupyter Book, MyST, Quarto, GitBook/HonKit, a pandoc
folder of numbered chapters), written here in that tool's layout with plain Markdown chapters
(plus front matter and an admonition). Each is built once from its native entry file; every
chapter's distinctive phrase must reach the reading PDF (pdftotext), the print PDF and the EPUB
(parsed XHTML), in the book's order. The manifest tests check parts, depths and metadata
without rendering; the bad-entry tests check the one-line ``file:line`` error, exit 1 and that
nothing is written.
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from lxml import etree

from bookmaker import run_cli
from handbook_build.errors import ManifestError
from handbook_build.locate import find_book
from handbook_build.model import Manifest
from handbook_build.sources.ecosystems import find_entry
from handbook_build.sources.inputs import load_any


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def _chapter(title: str, phrase: str, front_matter: bool = False, box: bool = False) -> str:
    head = f"---\ntitle: {title}\nauthors: [Someone]\n---\n\n" if front_matter else ""
    extra = "\n> [!NOTE]\n> Boxed words stay readable.\n" if box else ""
    return f"{head}# {title}\n\nThe phrase {phrase} is here.\n{extra}"


@dataclass(frozen=True, slots=True)
class Sample:
    """A book of one convention: how to name it, its phrases in order, its parts."""

    entry: str  # relative to the book's folder, as a user would type it ("" = the folder)
    phrases: tuple[str, ...]  # one per chapter, in book order
    parts: tuple[str, ...]
    title: str
    warnings: tuple[str, ...] = ()  # substrings of the warnings the build must give


def mdbook(root: Path) -> Sample:
    _write(root, {
        "book.toml": '[book]\ntitle = "Crab Notes"\nauthors = ["Ferris Crab"]\n'
                     'language = "en"\nsrc = "src"\n\n[output.html]\n',
        "src/SUMMARY.md": (
            "# Summary\n\n[Title Page](title.md)\n[Foreword](foreword.md)\n\n---\n\n"
            "# Getting Started\n\n- [Installing](install.md)\n    - [On Linux](linux.md)\n"
            "- [Not Yet]()\n\n# Going Further\n\n1. [Ownership](ownership.md)\n\n---\n\n"
            "[Colophon](colophon.md)\n"),
        "src/title.md": _chapter("Title Page", "mdb prefix alpha"),
        "src/foreword.md": _chapter("Foreword", "mdb prefix beta", front_matter=True),
        "src/install.md": _chapter("Installing", "mdb numbered gamma", box=True),
        "src/linux.md": _chapter("On Linux", "mdb nested delta"),
        "src/ownership.md": _chapter("Ownership", "mdb numbered epsilon"),
        "src/colophon.md": _chapter("Colophon", "mdb suffix zeta"),
    })
    return Sample("", ("mdb prefix alpha", "mdb prefix beta", "mdb numbered gamma",
                       "mdb nested delta", "mdb numbered epsilon", "mdb suffix zeta"),
                  ("Getting Started", "Going Further"), "Crab Notes",
                  ("src/SUMMARY.md:12: warning: draft chapter 'Not Yet'",))


def jupyterbook(root: Path) -> Sample:
    _write(root, {
        "_config.yml": "title: Data Notes\nauthor: Ada Lovelace\n",
        "_toc.yml": (
            "format: jb-book\nroot: intro\nparts:\n  - caption: Foundations\n    chapters:\n"
            "      - file: chapters/basics\n        sections:\n"
            "          - file: chapters/details\n  - caption: Practice\n    chapters:\n"
            "      - file: chapters/practice\n      - url: https://example.org\n"
            "        title: The web\n"),
        "intro.md": _chapter("Welcome", "jb root alpha", front_matter=True),
        "chapters/basics.md": _chapter("Basics", "jb chapter beta", box=True),
        "chapters/details.md": _chapter("Details", "jb section gamma"),
        "chapters/practice.md": _chapter("Practice Work", "jb chapter delta"),
    })
    return Sample("_toc.yml", ("jb root alpha", "jb chapter beta", "jb section gamma",
                               "jb chapter delta"), ("Foundations", "Practice"), "Data Notes",
                  ("_toc.yml:12: warning: the web link 'https://example.org'",))


def myst(root: Path) -> Sample:
    _write(root, {
        "myst.yml": (
            "version: 1\nproject:\n  title: Myst Notes\n  authors:\n    - name: Grace Hopper\n"
            "  date: 2024-05-01\n  toc:\n    - file: index.md\n    - title: Methods\n"
            "      children:\n        - file: methods/one.md\n        - file: methods/two.md\n"
            "    - file: appendix.md\nsite:\n  template: book-theme\n"),
        "index.md": _chapter("Start Here", "myst index alpha", front_matter=True),
        "methods/one.md": _chapter("Method One", "myst child beta", box=True),
        "methods/two.md": _chapter("Method Two", "myst child gamma"),
        "appendix.md": _chapter("Appendix", "myst after delta"),
    })
    return Sample("myst.yml", ("myst index alpha", "myst child beta", "myst child gamma",
                               "myst after delta"), ("Methods",), "Myst Notes")


def quarto(root: Path) -> Sample:
    _write(root, {
        "_quarto.yml": (
            "project:\n  type: book\nbook:\n  title: \"Quarto Notes\"\n  author:\n"
            "    - name: Hadley Example\n  date: \"2024-02-03\"\n  chapters:\n    - index.qmd\n"
            "    - part: \"Basics\"\n      chapters:\n        - basics.qmd\n        - more.md\n"
            "  appendices:\n    - extra.qmd\nlang: en-GB\nformat:\n  html:\n    theme: cosmo\n"),
        "index.qmd": "---\ntitle: Preface\n---\n\nThe phrase qmd index alpha is here.\n",
        "basics.qmd": _chapter("Basic Ideas", "qmd part beta", box=True),
        "more.md": _chapter("More Ideas", "qmd part gamma", front_matter=True),
        "extra.qmd": _chapter("Extra Material", "qmd appendix delta"),
    })
    return Sample("_quarto.yml", ("qmd index alpha", "qmd part beta", "qmd part gamma",
                                  "qmd appendix delta"), ("Basics", "Appendices"),
                  "Quarto Notes")


def gitbook(root: Path) -> Sample:
    _write(root, {
        "book.json": '{"title": "Git Notes", "author": "Linus Example", "language": "en"}\n',
        "SUMMARY.md": (
            "# Summary\n\n* [Introduction](README.md)\n\n## Basics\n\n"
            "* [First Steps](basics/first.md)\n    * [Deeper](basics/deeper.md)\n\n"
            "## Advanced\n\n* [Tricks](advanced/tricks.md)\n"),
        "README.md": _chapter("Introduction", "gb readme alpha"),
        "basics/first.md": _chapter("First Steps", "gb part beta", box=True),
        "basics/deeper.md": _chapter("Deeper", "gb nested gamma", front_matter=True),
        "advanced/tricks.md": _chapter("Tricks", "gb part delta"),
    })
    return Sample("", ("gb readme alpha", "gb part beta", "gb nested gamma", "gb part delta"),
                  ("Basics", "Advanced"), "Git Notes")


def pandoc_folder(root: Path) -> Sample:
    _write(root, {
        "metadata.yaml": ("---\ntitle: Pandoc Notes\nauthor:\n  - Jane Doe\nlang: en-US\n"
                          "date: 2023-09-09\nrights: CC-BY-4.0\n...\n"),
        "01-intro.md": _chapter("Introduction", "pan first alpha", front_matter=True),
        "2-middle.md": _chapter("The Middle", "pan second beta", box=True),
        "10-end.md": _chapter("The End", "pan tenth gamma"),
        "notes.md": "# Notes\n\nNot a chapter.\n",
    })
    return Sample("", ("pan first alpha", "pan second beta", "pan tenth gamma"), (),
                  "Pandoc Notes", ("notes.md is not numbered",))


CONVENTIONS: dict[str, Callable[[Path], Sample]] = {
    "mdbook": mdbook, "jupyterbook": jupyterbook, "myst": myst, "quarto": quarto,
    "gitbook": gitbook, "pandoc": pandoc_folder,
}


def entry_of(root: Path, sample: Sample) -> Path:
    return root / sample.entry if sample.entry else root


# --- the manifest each convention gives (no rendering) -----------------------------------------


def _manifest(tmp_path: Path, name: str) -> tuple[Manifest, Sample]:
    root = tmp_path / name
    sample = CONVENTIONS[name](root)
    return load_any(entry_of(root, sample)), sample


def _shape(manifest: Manifest) -> list[tuple[str, str, int]]:
    return [(node.kind, node.title, node.depth) for node in manifest.nodes]


def test_mdbook_prefix_parts_nesting_and_suffix_in_order(tmp_path: Path) -> None:
    manifest, _ = _manifest(tmp_path, "mdbook")
    assert _shape(manifest) == [
        ("chapter", "Title Page", 1), ("chapter", "Foreword", 1),
        ("part", "Getting Started", 1), ("chapter", "Installing", 2),
        ("chapter", "On Linux", 3), ("part", "Going Further", 1),
        ("chapter", "Ownership", 2), ("chapter", "Colophon", 1)]
    assert manifest.metadata.title == "Crab Notes"
    assert manifest.metadata.authors == ("Ferris Crab",)
    assert manifest.manifest_path.name == "book.toml"
    assert manifest.contents_path == (tmp_path / "mdbook" / "src" / "SUMMARY.md").resolve()
    assert [str(w) for w in manifest.warnings] == [
        "src/SUMMARY.md:12: draft chapter 'Not Yet' has no file and is left out; link it to "
        "its .md file once it is written"]


def test_jupyter_book_root_parts_chapters_sections(tmp_path: Path) -> None:
    manifest, _ = _manifest(tmp_path, "jupyterbook")
    assert _shape(manifest) == [
        ("chapter", "Welcome", 1), ("part", "Foundations", 1), ("chapter", "Basics", 2),
        ("chapter", "Details", 3), ("part", "Practice", 1), ("chapter", "Practice Work", 2)]
    assert (manifest.metadata.title, manifest.metadata.authors) == ("Data Notes",
                                                                    ("Ada Lovelace",))
    assert [node.contents_line for node in manifest.chapters] == [2, 6, 8, 11]


def test_myst_toc_parts_and_metadata(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    manifest, _ = _manifest(tmp_path, "myst")
    assert _shape(manifest) == [
        ("chapter", "Start Here", 1), ("part", "Methods", 1), ("chapter", "Method One", 2),
        ("chapter", "Method Two", 2), ("chapter", "Appendix", 1)]
    assert manifest.metadata.authors == ("Grace Hopper",)
    assert manifest.metadata.date == dt.date(2024, 5, 1)


def test_quarto_parts_appendices_qmd_and_language(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    manifest, _ = _manifest(tmp_path, "quarto")
    assert _shape(manifest) == [
        ("chapter", "Preface", 1), ("part", "Basics", 1), ("chapter", "Basic Ideas", 2),
        ("chapter", "More Ideas", 2), ("part", "Appendices", 1),
        ("chapter", "Extra Material", 2)]
    assert manifest.chapters[0].source_path is not None
    assert manifest.chapters[0].source_path.name == "index.qmd"
    meta = manifest.metadata
    assert (meta.title, meta.authors, meta.language, meta.date) == (
        "Quarto Notes", ("Hadley Example",), "en-GB", dt.date(2024, 2, 3))


def test_gitbook_heading_parts_and_book_json(tmp_path: Path) -> None:
    manifest, _ = _manifest(tmp_path, "gitbook")
    assert _shape(manifest) == [
        ("chapter", "Introduction", 1), ("part", "Basics", 1), ("chapter", "First Steps", 2),
        ("chapter", "Deeper", 3), ("part", "Advanced", 1), ("chapter", "Tricks", 2)]
    assert (manifest.metadata.title, manifest.metadata.authors) == ("Git Notes",
                                                                    ("Linus Example",))
    assert not manifest.warnings


def test_pandoc_folder_numbered_in_number_order(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    manifest, _ = _manifest(tmp_path, "pandoc")
    assert _shape(manifest) == [("chapter", "Introduction", 1), ("chapter", "The Middle", 1),
                                ("chapter", "The End", 1)]  # 2 before 10: numbers, not names
    meta = manifest.metadata
    assert (meta.title, meta.authors, meta.language, meta.license, meta.date) == (
        "Pandoc Notes", ("Jane Doe",), "en-US", "CC-BY-4.0", dt.date(2023, 9, 9))
    assert [w.code for w in manifest.warnings] == ["unnumbered"]


def test_source_date_epoch_wins_as_for_book_toml(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    manifest, _ = _manifest(tmp_path, "quarto")
    assert manifest.metadata.date == dt.date(2023, 11, 14)


def test_our_book_toml_is_not_taken_for_mdbook(tmp_path: Path) -> None:
    from bookmaker import make_book

    book = make_book(tmp_path / "ours")
    assert find_entry(book.manifest) is None
    assert find_entry(book.root) is None
    (tmp_path / "ours" / "src").mkdir()
    (tmp_path / "ours" / "src" / "SUMMARY.md").write_text("- [A](a.md)\n", encoding="utf-8")
    assert find_entry(book.manifest) is None  # it has a date and a [contents] table


@pytest.mark.parametrize("name", list(CONVENTIONS))
def test_the_folder_argument_finds_the_entry_file(tmp_path: Path, name: str) -> None:
    root = tmp_path / name
    sample = CONVENTIONS[name](root)
    found = find_book(root)
    entry = find_entry(root)
    assert entry is not None
    assert found in (root / "book.toml", entry.path)
    assert load_any(found).metadata.title == sample.title


def test_a_bare_summary_without_book_json_keeps_its_old_meaning(tmp_path: Path) -> None:
    _write(tmp_path, {"SUMMARY.md": "# Field Notes\n\n- [One](one.md)\n", "one.md": "x\n"})
    assert find_entry(tmp_path) is None  # a plain contents list, metadata defaulted as before


def test_deeper_than_three_levels_is_kept_at_three_with_a_warning(tmp_path: Path) -> None:
    _write(tmp_path, {
        "_toc.yml": ("format: jb-book\nroot: a\nchapters:\n  - file: b\n    sections:\n"
                     "      - file: c\n        sections:\n          - file: d\n"
                     "            sections:\n              - file: e\n"),
        "a.md": "# A\n", "b.md": "# B\n", "c.md": "# C\n", "d.md": "# D\n", "e.md": "# E\n"})
    manifest = load_any(tmp_path / "_toc.yml")
    assert [node.depth for node in manifest.nodes] == [1, 1, 2, 3, 3]
    assert [(w.line, w.code) for w in manifest.warnings] == [(10, "contents-depth")]


# --- every phrase reaches every edition ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Built:
    sample: Sample
    exit_code: int
    output: str
    markdown: str
    pdf: str
    print_pdf: str
    epub: str
    epub_parts: tuple[str, ...]  # the titles of the EPUB's part sections


def _pdftotext(path: Path) -> str:
    return subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout


def _epub(path: Path) -> tuple[str, tuple[str, ...]]:
    """The text of every XHTML document (parsed, tags gone) and the titles of part sections."""
    texts: list[str] = []
    parts: list[str] = []
    with zipfile.ZipFile(path) as archive:
        for name in _spine(archive):
            tree = etree.fromstring(archive.read(name))
            texts.append(" ".join(tree.itertext()))
            for section in tree.iter("{http://www.w3.org/1999/xhtml}section"):
                if "part" in (section.get("class") or "").split():
                    parts.append(" ".join("".join(section.itertext()).split()))
    return "\n".join(texts), tuple(parts)


def _spine(archive: zipfile.ZipFile) -> list[str]:
    """The EPUB's documents in reading order (the OPF's spine), as archive names."""
    container = etree.fromstring(archive.read("META-INF/container.xml"))
    opf_name = container.find(".//{*}rootfile").get("full-path")
    opf = etree.fromstring(archive.read(opf_name))
    base = opf_name.rsplit("/", 1)[0] + "/" if "/" in opf_name else ""
    hrefs = {item.get("id"): item.get("href") for item in opf.iter("{*}item")}
    return [base + hrefs[ref.get("idref")] for ref in opf.iter("{*}itemref")]


def squeeze(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module", params=list(CONVENTIONS))
def built(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Built:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    name: str = request.param
    root = tmp_path_factory.mktemp(name) / "book"
    sample = CONVENTIONS[name](root)
    out = root.parent / "out"
    args = ["build", str(entry_of(root, sample)), "-o", str(out), "-j", "1"]
    for edition in ("md", "pdf", "print", "epub"):
        args += ["-f", edition]
    run = run_cli(args, timeout=300)
    if run.exit_code != 0:
        return Built(sample, run.exit_code, run.output, "", "", "", "", ())
    stem = next(out.glob("*.epub")).stem
    epub_text, parts = _epub(out / f"{stem}.epub")
    return Built(sample, run.exit_code, run.output, (out / f"{stem}.md").read_text("utf-8"),
                 squeeze(_pdftotext(out / f"{stem}.pdf")),
                 squeeze(_pdftotext(out / f"{stem}-print.pdf")), squeeze(epub_text), parts)


def test_it_builds_from_its_native_entry_file(built: Built) -> None:
    assert built.exit_code == 0, built.output
    for warning in built.sample.warnings:
        assert warning in built.output


def test_every_phrase_reaches_every_edition_in_book_order(built: Built) -> None:
    assert built.exit_code == 0, built.output
    for edition, text in (("reading PDF", built.pdf), ("print PDF", built.print_pdf),
                          ("EPUB", built.epub), ("manuscript", squeeze(built.markdown))):
        positions = []
        for phrase in built.sample.phrases:
            assert phrase in text, f"{phrase!r} missing from the {edition}"
            positions.append(text.index(phrase))
        assert positions == sorted(positions), f"chapters out of order in the {edition}"
    assert "Boxed words stay readable." in built.epub


def test_parts_show_as_parts(built: Built) -> None:
    assert built.exit_code == 0, built.output
    assert tuple(title for title in built.epub_parts) == built.sample.parts
    for part in built.sample.parts:
        assert f"# {part} {{#part-" in built.markdown
        assert part in built.pdf and part in built.print_pdf


def test_no_front_matter_key_reaches_a_reader(built: Built) -> None:
    assert built.exit_code == 0, built.output
    for text in (built.pdf, built.print_pdf, built.epub):
        assert "authors: [Someone]" not in text and "[!NOTE]" not in text


# --- check, per convention ----------------------------------------------------------------------


@pytest.mark.parametrize("name", list(CONVENTIONS))
def test_check_reads_each_convention(tmp_path: Path, name: str) -> None:
    root = tmp_path / name
    sample = CONVENTIONS[name](root)
    run = run_cli(["check", str(entry_of(root, sample))])
    assert run.exit_code == 0, run.output
    assert f"{len(sample.phrases)} chapters; 0 errors" in run.output
    for warning in sample.warnings:
        assert warning in run.output


# --- bad entry files: one line naming the file and line, exit 1, nothing written ---------------


BAD: list[tuple[str, str, dict[str, str], str, str]] = [
    ("mdbook", "", {"src/SUMMARY.md": "# Summary\n\n- [Gone](gone.md)\n- [Linux](linux.md)\n"},
     "book.toml", r"src/SUMMARY\.md:3: chapter file src/gone\.md does not exist"),
    ("mdbook", "", {"book.toml": '[book]\ntitle = "X"\nauthors = [{ x = 1 }]\nsrc = "src"\n'},
     "book.toml", r"book\.toml:3: book\.authors holds a mapping, not a name"),
    ("mdbook", "", {"book.toml": '[book]\ntitle = "X"\nsrc = "../elsewhere"\n'}, "book.toml",
     r"book\.toml:3: book\.src '\.\./elsewhere' leaves the book's folder"),
    ("jupyterbook", "_toc.yml", {"_toc.yml": "format: jb-book\nroot: intro\nchapters:\n"
                                 "  - file: [oops\n"},
     "_toc.yml", r"_toc\.yml:5:1: not valid YAML"),
    ("jupyterbook", "_toc.yml", {"_toc.yml": "format: jb-book\nroot: intro\nchapters:\n"
                                 "  - fiel: chapters/basics\n"},
     "_toc.yml", r"_toc\.yml:4: unknown key 'fiel' in a _toc\.yml entry; did you mean "
     r"'file'\?"),
    ("jupyterbook", "_toc.yml", {"_toc.yml": "format: jb-book\nroot: intro\nchapters:\n"
                                 "  - file: ../outside\n"},
     "_toc.yml", r"_toc\.yml:4: chapter outside\.md leaves the book's folders"),
    ("jupyterbook", "_toc.yml", {"_toc.yml": "format: jb-book\nroot: intro\nchapters:\n"
                                 "  - file: notebook\n", "notebook.ipynb": "{}"},
     "_toc.yml", r"_toc\.yml:4: chapter notebook\.ipynb is a Jupyter notebook"),
    ("myst", "myst.yml", {"myst.yml": "version: 1\nproject:\n  title: X\n"},
     "myst.yml", r"myst\.yml:2: myst\.yml has no project\.toc list"),
    ("quarto", "_quarto.yml", {"_quarto.yml": "project:\n  type: book\nbook:\n  title: X\n"
                               "  chapters:\n    - index.qmd\n    - missing.qmd\n"},
     "_quarto.yml", r"_quarto\.yml:7: chapter file missing\.qmd does not exist"),
    ("quarto", "_quarto.yml", {"_quarto.yml": "project:\n  type: book\nbook:\n  title: X\n"
                               "  chapters: index.qmd\n"},
     "_quarto.yml", r"_quarto\.yml:5: _quarto\.yml has no book\.chapters list"),
    ("gitbook", "", {"book.json": '{"title": "X",\n "author": }\n'},
     "book.json", r"book\.json:2:12: not valid JSON"),
    ("pandoc", "", {"metadata.yaml": "title: X\nauthor:\n  - {given: 3}\n"},
     "metadata.yaml", r"metadata\.yaml:2: author holds a mapping, not a name"),
]


@pytest.mark.parametrize(("name", "entry", "files", "shown", "pattern"), BAD,
                         ids=[f"{case[0]}-{index}" for index, case in enumerate(BAD)])
def test_a_bad_entry_file_is_one_error_at_its_line(tmp_path: Path, name: str, entry: str,
                                                   files: dict[str, str], shown: str,
                                                   pattern: str) -> None:
    import re

    root = tmp_path / "book"
    CONVENTIONS[name](root)
    _write(root, files)
    out = tmp_path / "out"
    before = {path: path.read_bytes() for path in root.rglob("*") if path.is_file()}
    run = run_cli(["build", str(root / entry if entry else root), "-o", str(out)])
    assert run.exit_code == 1, run.output
    assert not run.has_traceback
    errors = [line for line in run.output.splitlines() if ": error: " in line]
    assert len(errors) == 1, run.output
    assert re.match(pattern, errors[0].replace(": error: ", ": ")), errors[0]
    assert errors[0].startswith(shown.split("/")[0]) or errors[0].startswith("src/")
    assert not out.exists()
    assert {path: path.read_bytes() for path in root.rglob("*") if path.is_file()} == before


def test_load_raises_a_manifest_error_listing_the_problem(tmp_path: Path) -> None:
    _write(tmp_path, {"_toc.yml": "format: jb-book\nroot: nowhere\n"})
    with pytest.raises(ManifestError, match=r"_toc\.yml:2: error: chapter file nowhere\.md "
                       r"does not exist"):
        load_any(tmp_path / "_toc.yml")


# --- the summary parser, line by line -----------------------------------------------------------


def _summary(text: str) -> tuple[list[tuple[int, str, str | None]], list[tuple[int | None, str]]]:
    from handbook_build.sources.ecosystems.summary import read_summary
    from handbook_build.sources.manifest import Report

    report = Report("SUMMARY.md")
    summary = read_summary(text, "SUMMARY.md", report)
    return ([(entry.depth, entry.title, entry.target) for entry in summary.items],
            [(d.line, d.code) for d in report.items])


def test_a_draft_with_a_remark_and_its_draft_children_are_warnings_not_errors() -> None:
    items, found = _summary("# Book\n\n- [FFI]() (?)\n    - [Bindings]()\n- [Real](real.md)\n")
    assert items == [(1, "Real", "real.md")]
    assert found == [(3, "draft-chapter"), (4, "draft-chapter")]


def test_headings_of_any_level_after_the_first_are_parts() -> None:
    items, found = _summary("# The Book\n\n[Intro](intro.md)\n\n## Getting started\n\n"
                            "- [One](one.md)\n    - [Two](two.md)\n\n### Later\n\n"
                            "- [Three](three.md)\n")
    assert items == [(1, "Intro", "intro.md"), (1, "Getting started", None),
                     (2, "One", "one.md"), (3, "Two", "two.md"), (1, "Later", None),
                     (2, "Three", "three.md")]
    assert found == []


def test_fenced_code_comments_and_separators_are_not_chapters() -> None:
    items, _ = _summary("# Summary\n\n<!-- [Hidden](hidden.md) -->\n<!--\n- [Old](old.md)\n"
                        "-->\n```\n- [Code](code.md)\n"
                        "```\n\n---\n\n- [Kept](kept.md)\n\n***\n\n[After](after.md)\n")
    assert items == [(1, "Kept", "kept.md"), (1, "After", "after.md")]


def test_a_summary_link_that_is_not_markdown_is_an_error_at_its_line() -> None:
    _, found = _summary("# Summary\n\n- [Site](https://example.org/)\n")
    assert found == [(3, "not-markdown")]


@pytest.mark.parametrize(("written", "expected"), [
    ("2024-01-31", dt.date(2024, 1, 31)), ("2024-01-31T10:00:00", dt.date(2024, 1, 31)),
    ("5/9/2023", dt.date(2023, 5, 9)), ("today", None), ("last-modified", None),
])
def test_dates_as_the_conventions_write_them(tmp_path: Path, written: str,
                                             expected: dt.date | None,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    root = tmp_path / "q"
    quarto(root)
    text = (root / "_quarto.yml").read_text(encoding="utf-8")
    (root / "_quarto.yml").write_text(text.replace('"2024-02-03"', f'"{written}"'),
                                      encoding="utf-8")
    manifest = load_any(root / "_quarto.yml")
    assert manifest.metadata.date == (expected or dt.date(2000, 1, 1))
    assert [w.code for w in manifest.warnings] == ([] if expected else ["bad-date"])


def test_a_pandoc_book_with_its_chapters_in_a_subfolder(tmp_path: Path) -> None:
    _write(tmp_path, {"metadata.yml": "title: Sub\n", "chapters/01-a.md": "# A\n\nAlpha.\n",
                      "chapters/02-b.md": "# B\n\nBeta.\n", "README.md": "# About\n"})
    manifest = load_any(find_book(tmp_path))
    assert [node.title for node in manifest.chapters] == ["A", "B"]
    assert not manifest.warnings  # README.md is the repository's, not a stray chapter


def test_mdbook_preprocessors_that_change_the_text_are_named(tmp_path: Path) -> None:
    root = tmp_path / "m"
    mdbook(root)
    with (root / "book.toml").open("a", encoding="utf-8") as toml:
        toml.write("\n[preprocessor.katex]\n\n[preprocessor.links]\n")
    manifest = load_any(root)
    assert [(w.line, w.code) for w in manifest.warnings if w.code == "preprocessor"] == [
        (9, "preprocessor")]


def test_source_option_is_refused_for_other_conventions(tmp_path: Path) -> None:
    root = tmp_path / "j"
    jupyterbook(root)
    with pytest.raises(ManifestError, match=r"--source applies to a book\.toml"):
        load_any(root / "_toc.yml", source_dir=root)


@pytest.mark.parametrize(("text", "message"), [
    ("format: jb-book\nroot: a\na: &a [x, x, x, x, x, x, x, x, x, x]\n"
     + "".join(f"{chr(98 + n)}: &{chr(98 + n)} [{', '.join([f'*{chr(97 + n)}'] * 10)}]\n"
               for n in range(8)), "expands to more than 100,000 values"),
    ("format: jb-book\nroot: a\nchapters: &loop [*loop]\n", "expands to more than"),
    ("format: jb-book\nroot: " + "[" * 3000 + "]" * 3000 + "\n", "nests too deeply"),
])
def test_hostile_yaml_is_refused_quickly(tmp_path: Path, text: str, message: str) -> None:
    _write(tmp_path, {"_toc.yml": text, "a.md": "# A\n"})
    with pytest.raises(ManifestError, match=message):
        load_any(tmp_path / "_toc.yml")


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("java") is None,
                    reason="EPUBCheck needs Java: apt-get install openjdk-17-jre-headless")
def test_an_mdbook_with_parts_prefix_and_suffix_passes_epubcheck(tmp_path: Path) -> None:
    from handbook_build.checks.epubcheck import run_epubcheck

    root = tmp_path / "book"
    mdbook(root)
    out = tmp_path / "out"
    run = run_cli(["build", str(root), "-o", str(out), "-f", "epub", "-j", "1"], timeout=300)
    assert run.exit_code == 0, run.output
    result = run_epubcheck(out / "crab-notes.epub")
    assert (result.fatals, result.errors) == (0, 0), [str(m) for m in result.messages]


def test_a_pattern_never_takes_back_a_built_manuscript(tmp_path: Path) -> None:
    _write(tmp_path, {
        "myst.yml": "version: 1\nproject:\n  title: P\n  toc:\n    - pattern: '**/*.md'\n",
        "a.md": "# A\n", "sub/b.md": "# B\n", "build/p.md": "# P\n", "_build/x.md": "# X\n",
        ".git/y.md": "# Y\n"})
    manifest = load_any(tmp_path / "myst.yml")
    assert [node.title for node in manifest.chapters] == ["A", "B"]


def test_sphinx_external_toc_entries_and_files_sharing_a_name(tmp_path: Path) -> None:
    _write(tmp_path, {
        "_toc.yml": ("root: index\nentries:\n- file: a/index\n  entries:\n  - file: a/one\n"
                     "- file: b/index\nsubtrees:\n- caption: More\n  entries:\n  - file: c\n"),
        "index.md": "# Home\n", "a/index.md": "# A\n", "a/one.md": "# One\n",
        "b/index.md": "# B\n", "c.md": "# C\n"})
    manifest = load_any(find_book(tmp_path))
    assert [(node.kind, node.slug, node.depth) for node in manifest.nodes] == [
        ("chapter", "index", 1), ("chapter", "a-index", 1), ("chapter", "one", 2),
        ("chapter", "b-index", 1), ("part", "part-more", 1), ("chapter", "c", 2)]


def test_myst_toc_in_an_extended_file_with_nested_groups_and_a_repeat(tmp_path: Path) -> None:
    _write(tmp_path, {
        "myst.yml": ("version: 1\nextends:\n  - ./_data/toc.yml\n  - https://example.org/x.yml\n"
                     "project:\n  title: Notes\n"),
        "_data/toc.yml": ("project:\n  toc:\n    - file: index.md\n    - title: Group\n"
                          "      children:\n      - title: Inner\n        children:\n"
                          "          - file: a/summary.md\n    - file: a/summary.md\n"),
        "index.md": "# Home\n", "a/summary.md": "# Sum\n"})
    manifest = load_any(tmp_path)
    assert _shape(manifest) == [("chapter", "Home", 1), ("part", "Group", 1),
                                ("part", "Inner", 2), ("chapter", "Sum", 3)]
    assert [str(w) for w in manifest.warnings] == [
        "_data/toc.yml:9: chapter a/summary.md is listed again (first on line 8); it is "
        "printed once, there; list each chapter file once to silence this"]


def test_an_unknown_mdbook_key_is_a_warning_as_mdbook_ignores_it(tmp_path: Path) -> None:
    root = tmp_path / "m"
    mdbook(root)
    _write(root, {"book.toml": '[book]\ntitle = "X"\ntitel = "Y"\nauthor = "Old Key"\n'})
    manifest = load_any(root)
    assert manifest.metadata.authors == ("Old Key",)
    assert [str(w) for w in manifest.warnings if w.code == "unknown-key"] == [
        "book.toml:3: unknown key 'titel' in [book] of mdBook's book.toml; did you mean "
        "'title'?"]


@pytest.mark.parametrize("name", ["quarto", "pandoc", "gitbook"])
def test_without_an_argument_the_current_folder_is_the_book(
        tmp_path: Path, name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    sample = CONVENTIONS[name](tmp_path)
    monkeypatch.chdir(tmp_path)
    run = run_cli(["check"])
    assert run.exit_code == 0, run.output
    assert f"{len(sample.phrases)} chapters; 0 errors" in run.output


def test_an_mdbook_summary_named_directly_builds_its_mdbook(tmp_path: Path) -> None:
    sample = mdbook(tmp_path / "m")
    entry = find_entry(tmp_path / "m" / "src" / "SUMMARY.md")
    assert entry is not None and entry.convention == "mdBook"
    assert load_any(entry.path).metadata.title == sample.title
