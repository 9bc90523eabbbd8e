"""Includes (mdBook, MyST, Quarto), cross-references with numbering, task-list boxes.

Fast tests build the Markdown edition only and read ``book.md``; one slow test builds every
edition and checks the reading PDF and print PDF (pdftotext, pypdf link annotations) and the
EPUB (parsed XHTML, every internal href resolves to an id).
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import lxml.etree
import pytest

from bookmaker import Book, build_args, make_book, png_bytes, run_cli
from handbook_build.cache import fingerprint_inputs
from handbook_build.sources.manifest import load_manifest

MAIN_RS = """\
// ANCHOR: all
fn main() {
    // ANCHOR: body
    println!("anchored zebra");
    // ANCHOR_END: body
}
// ANCHOR_END: all
# fn hidden_helper() {}
#[derive(Debug)]
struct VisibleStruct;
"""
LINES = "line one alpha\nline two bravo\nline three charlie\nline four delta\nline five echo\n"

INCLUDES = """\
# Includes

Whole:

```rust
{{#include src/main.rs}}
```

Anchor:

```rust
{{#include src/main.rs:body}}
```

Range:

```text
{{#include src/lines.txt:2:3}}
```

From:

```text
{{#include src/lines.txt:4:}}
```

To:

```text
{{#include src/lines.txt::1}}
```

Single:

```text
{{#include src/lines.txt:5}}
```

Rustdoc:

```rust
{{#rustdoc_include src/main.rs}}
```

{{< include src/quarto.md >}}

```{include} src/lines.txt
:start-line: 2
:end-line: 3
```

Escaped \\{{#include nothing.rs}} stays text.

- [ ] open task kiwi
- [x] done task mango
"""

XREFS = """\
# Figures

(sec-labelled)=
## Labelled section heron

![Quokka caption text](../images/q.png){#fig-quokka}

(myst-fig)=
![Numbat caption text](../images/q.png)

```{figure} ../images/q.png
:name: dir-fig

Marmot directive caption.
```

| a | b |
|---|---|
| 1 | 2 |

: Wombat table caption {#tbl-wombat}

Quarto ref @fig-quokka and numref {numref}`myst-fig` and custom {numref}`Picture %s <dir-fig>`
and table @tbl-wombat.

Unknown {numref}`no-such-label` here.

## Plain heading ibis

Ibis text.
"""

LATER = """\
# Later

Back to {ref}`sec-labelled` and {ref}`the heron part <sec-labelled>` and
[pandoc style](#fig-quokka) and [html style](figures.html#plain-heading-ibis) and
[md style](figures.md#plain-heading-ibis).

## Quarto section {#sec-quarto}

See @sec-quarto here.
"""


def includes_book(root: Path) -> Book:
    return make_book(root, {"includes.md": INCLUDES, "figures.md": XREFS, "later.md": LATER},
                     images={"q.png": png_bytes(400, 300)},
                     files={"chapters/src/main.rs": MAIN_RS, "chapters/src/lines.txt": LINES,
                            "chapters/src/quarto.md": "Quarto included walrus text.\n"})


def build_md(book: Book, out: Path) -> tuple[int, str, str]:
    run = run_cli(build_args(book, out))
    text = (out / "book.md").read_text("utf-8") if (out / "book.md").exists() else ""
    return run.exit_code, run.output, text


def chapter_of(markdown: str, slug: str) -> str:
    match = re.search(rf"^# .*\{{#{slug} \.chapter.*?(?=^# [^\n]*\.chapter|\Z)", markdown,
                      re.MULTILINE | re.DOTALL)
    assert match is not None, slug
    return match.group(0)


# --- includes --------------------------------------------------------------------------------


def test_mdbook_includes_ranges_anchors_and_rustdoc(tmp_path: Path) -> None:
    code, output, markdown = build_md(includes_book(tmp_path / "b"), tmp_path / "out")
    assert code == 0, output
    body = chapter_of(markdown, "includes")
    blocks = re.findall(r"```\w*\n(.*?)\n```", body, re.DOTALL)
    whole, anchor, two_three, from_four, to_one, single, rustdoc = blocks[:7]
    assert "ANCHOR" not in body  # anchor lines are dropped from every include
    assert whole.splitlines() == ["fn main() {", '    println!("anchored zebra");', "}",
                                  "# fn hidden_helper() {}", "#[derive(Debug)]",
                                  "struct VisibleStruct;"]
    assert anchor == '    println!("anchored zebra");'
    assert two_three == "line two bravo\nline three charlie"
    assert from_four == "line four delta\nline five echo"
    assert to_one == "line one alpha"
    assert single == "line five echo"
    assert "hidden_helper" not in rustdoc and "#[derive(Debug)]" in rustdoc
    assert "Quarto included walrus text." in body
    # MyST :start-line: 2 :end-line: 3 is 0-based, end exclusive: the third line alone
    assert "\nline three charlie\n" in body.split("Escaped")[0].split("walrus")[1]
    assert "{{#include nothing.rs}} stays text" in body
    for syntax in ("{{#include src", "{{#rustdoc", "{{<", "{include}", ":start-line:"):
        assert syntax not in markdown


@pytest.mark.parametrize(("chapter", "extra", "message"), [
    ("Text\n\n{{#include src/gone.rs}}\n", {}, "included file src/gone.rs not found"),
    ("Text\n\n{{#include src/a.rs:nope}}\n", {"chapters/src/a.rs": "x\n"},
     "included file src/a.rs has no anchor 'nope'"),
    ("Text\n\n{{< include src/gone.md >}}\n", {}, "included file src/gone.md not found"),
    ("Text\n\n```{include} src/gone.md\n```\n", {}, "included file src/gone.md not found"),
    ("Text\n\n{{#include src/a.md}}\n",
     {"chapters/src/a.md": "{{#include b.md}}\n", "chapters/src/b.md": "{{#include a.md}}\n"},
     "include cycle: one.md -> a.md -> b.md -> a.md"),
    ("Text\n\n{{#include ../../outside.txt}}\n", {"../outside.txt": "secret outside\n"},
     "included file ../../outside.txt lies outside the book's folders"),
])
def test_include_errors_exit_1_with_the_including_line(
        tmp_path: Path, chapter: str, extra: dict[str, str], message: str) -> None:
    root = tmp_path / "b"
    files = {name: text for name, text in extra.items() if not name.startswith("../")}
    for name, text in extra.items():
        if name.startswith("../"):
            (tmp_path / name[3:]).write_text(text)
    book = make_book(root, {"one.md": chapter}, files=files)
    run = run_cli(build_args(book, tmp_path / "out"))
    assert run.exit_code == 1, run.output
    assert f"chapters/one.md:3: error: {message}" in run.output
    assert "Traceback" not in run.output
    assert not (tmp_path / "out" / "book.md").exists()


def test_a_change_in_an_included_file_changes_the_fingerprint(tmp_path: Path) -> None:
    book = includes_book(tmp_path / "b")
    manifest = load_manifest(book.manifest)
    before = fingerprint_inputs(manifest, tmp_path / "out", ())
    (book.root / "chapters/src/lines.txt").write_text(LINES.replace("bravo", "BRAVO"))
    assert fingerprint_inputs(manifest, tmp_path / "out", ()) != before


def test_rebuild_sees_an_edited_include(tmp_path: Path) -> None:
    book = includes_book(tmp_path / "b")
    assert build_md(book, tmp_path / "out")[0] == 0
    (book.root / "chapters/src/quarto.md").write_text("Edited included otter text.\n")
    code, output, markdown = build_md(book, tmp_path / "out")
    assert code == 0, output
    assert "Edited included otter text." in markdown and "walrus" not in markdown


# --- cross-references ------------------------------------------------------------------------


def test_references_become_numbered_internal_links(tmp_path: Path) -> None:
    code, output, markdown = build_md(includes_book(tmp_path / "b"), tmp_path / "out")
    assert code == 0, output
    figures = chapter_of(markdown, "figures")
    assert "![Figure 1: Quokka caption text]" in figures
    assert "{#figures--fig-quokka}" in figures
    assert "![Figure 2: Numbat caption text]" in figures
    assert "![Figure 3: Marmot directive caption.]" in figures
    assert ": Table 1: Wombat table caption {#figures--tbl-wombat}" in figures
    assert "[Figure 1](#figures--fig-quokka)" in figures
    assert "[Figure 2](#figures--myst-fig)" in figures
    assert "[Picture 3](#figures--dir-fig)" in figures
    assert "[Table 1](#figures--tbl-wombat)" in figures
    later = chapter_of(markdown, "later")
    assert "[Labelled section heron](#figures--sec-labelled)" in later
    assert "[the heron part](#figures--sec-labelled)" in later
    assert "[pandoc style](#figures--fig-quokka)" in later
    assert "[html style](#figures--plain-heading-ibis)" in later
    assert "[md style](#figures--plain-heading-ibis)" in later
    assert "[Section Quarto section](#later--sec-quarto)" in later
    for syntax in ("{numref}", "{ref}", "(sec-labelled)=", "(myst-fig)=", "@fig-", "@sec-",
                   "@tbl-", "{figure}", ":name:"):
        assert syntax not in markdown
    # the unknown label: a warning at its line, readable text
    assert "chapters/figures.md:26: warning: cross-reference to an unknown label " \
           "'no-such-label'" in output
    assert "Unknown no-such-label here." in figures


def test_no_numbers_without_numbered_references(tmp_path: Path) -> None:
    book = make_book(tmp_path / "b", {"one.md": "# One\n\n![Cat](../images/q.png){#fig-cat}\n\n"
                                                "See [the cat](#fig-cat).\n"},
                     images={"q.png": png_bytes(400, 300)})
    code, output, markdown = build_md(book, tmp_path / "out")
    assert code == 0, output
    assert "![Cat](" in markdown and "Figure 1" not in markdown
    assert "[the cat](#one--fig-cat)" in markdown


def test_task_list_boxes_reach_the_markdown(tmp_path: Path) -> None:
    code, output, markdown = build_md(includes_book(tmp_path / "b"), tmp_path / "out")
    assert code == 0, output
    assert "- [☐]{.task-box} open task kiwi" in markdown
    assert "- [☑]{.task-box} done task mango" in markdown


def test_task_boxes_in_code_stay_as_written() -> None:
    from handbook_build.sources.task_lists import convert_task_lists

    text = "```\n- [ ] literal\n```\n\n- [x] real\n"
    assert convert_task_lists(text).text == "```\n- [ ] literal\n```\n\n- [☑]{.task-box} real\n"


# --- every edition ---------------------------------------------------------------------------

PHRASES = ("anchored zebra", "VisibleStruct", "line two bravo", "line five echo",
           "Quarto included walrus text.", "open task kiwi", "done task mango", "☐", "☑",
           "Figure 1: Quokka caption text", "Figure 2: Numbat caption text",
           "Figure 3: Marmot directive caption.", "Table 1: Wombat table caption",
           "Labelled section heron", "the heron part", "Picture 3")
FORBIDDEN = ("{{#include src", "{{#rustdoc", "{numref}", "{ref}", "(sec-labelled)=", "@fig-",
             "@tbl-", "@sec-", "{{<", "{figure}", "ANCHOR")


def pdf_text(path: Path) -> str:
    done = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          check=True, text=True)
    return " ".join(done.stdout.split())


def internal_link_count(path: Path) -> tuple[int, set[str]]:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(path.read_bytes()))
    count = 0
    for page in reader.pages:
        for annotation in page.get("/Annots") or []:
            annotation = annotation.get_object()
            if "/Dest" in annotation or (annotation.get("/A") or {}).get("/S") == "/GoTo":
                count += 1
    return count, set(reader.named_destinations)


@pytest.mark.slow
def test_every_edition_gets_the_text_and_the_links(tmp_path: Path) -> None:
    book = includes_book(tmp_path / "b")
    out = tmp_path / "out"
    run = run_cli(build_args(book, out, ("pdf", "epub", "print")), timeout=600)
    assert run.exit_code == 0, run.output
    assert "glyph-missing" not in run.output
    for pdf in (out / "book.pdf", out / "book-print.pdf"):
        text = pdf_text(pdf)
        for phrase in PHRASES:
            assert phrase in text, (pdf.name, phrase)
        for syntax in FORBIDDEN:
            assert syntax not in text, (pdf.name, syntax)
    # The reading PDF: real links; the print file has none by design (paper): "see p. N".
    links, destinations = internal_link_count(out / "book.pdf")
    assert links >= 12, links
    assert {"figures--fig-quokka", "figures--sec-labelled", "figures--tbl-wombat"} <= destinations
    print_text = pdf_text(out / "book-print.pdf")
    assert re.search(r"Figure 1 \(see p\. \d+\)", print_text)
    assert re.search(r"the heron part \(see p\. \d+\)", print_text)
    assert re.search(r"Table 1 \(see p\. \d+\)", print_text)
    with zipfile.ZipFile(out / "book.epub") as epub:
        documents = {name: lxml.etree.fromstring(epub.read(name)) for name in epub.namelist()
                     if name.startswith("EPUB/text/") and name.endswith(".xhtml")}
    ids = {(Path(name).name, element.get("id")) for name, root in documents.items()
           for element in root.iter() if element.get("id")}
    words = " ".join(" ".join("".join(root.itertext()).split()) for root in documents.values())
    for phrase in PHRASES:
        assert phrase in words, ("epub", phrase)
    for syntax in FORBIDDEN:
        assert syntax not in words, ("epub", syntax)
    xrefs = 0
    for name, root in documents.items():
        for link in root.iter("{http://www.w3.org/1999/xhtml}a"):
            href = link.get("href", "")
            if "#" not in href or href.startswith(("http:", "https:", "mailto:")):
                continue
            file, _, anchor = href.partition("#")
            assert (file or Path(name).name, anchor) in ids, (name, href)
            xrefs += 1
    assert xrefs >= 10
    if shutil.which("java") is not None:  # EPUBCheck needs Java; the rest of the test does not
        from handbook_build.checks.epubcheck import run_epubcheck

        result = run_epubcheck(out / "book.epub")
        assert result.is_valid, [str(message) for message in result.messages]
    assert "Figure 1" in words and re.search(r"Quarto ref Figure 1 and numref Figure 2", words)


def test_myst_include_shown_in_a_code_block_is_an_example(tmp_path: Path) -> None:
    chapter = "# One\n\n````markdown\n```{include} not-here.md\n```\n````\n"
    code, output, markdown = build_md(make_book(tmp_path / "b", {"one.md": chapter}),
                                      tmp_path / "out")
    assert code == 0, output
    assert "```{include} not-here.md" in markdown


def test_doc_role_links_a_chapter(tmp_path: Path) -> None:
    book = make_book(tmp_path / "b", {"one.md": "# One\n\nSee {doc}`two` and {doc}`it <two>`.\n",
                                      "two.md": "# Two\n\nHere.\n"})
    code, output, markdown = build_md(book, tmp_path / "out")
    assert code == 0, output
    assert "See [Two](#two) and [it](#two)." in markdown


def test_quarto_number_only_and_bracketed_references(tmp_path: Path) -> None:
    chapter = ("# One\n\n![Cat](../images/q.png){#fig-cat}\n\n"
               "Figure -@fig-cat shows it; so does [@fig-cat]. Mail me@fig-cat.org.\n")
    book = make_book(tmp_path / "b", {"one.md": chapter}, images={"q.png": png_bytes(400, 300)})
    code, output, markdown = build_md(book, tmp_path / "out")
    assert code == 0, output
    assert "Figure [1](#one--fig-cat) shows it; so does [Figure 1](#one--fig-cat)." in markdown
    assert "me@fig-cat.org" in markdown


def test_quarto_figure_and_table_divs_are_numbered_targets(tmp_path: Path) -> None:
    chapter = ("# One\n\n::: {#fig-div}\n![](../images/q.png)\n\nDiv caption heron.\n:::\n\n"
               "::: {#tbl-div}\n| a | b |\n|---|---|\n| 1 | 2 |\n\nDiv table caption.\n:::\n\n"
               "See @fig-div and @tbl-div.\n")
    book = make_book(tmp_path / "b", {"one.md": chapter}, images={"q.png": png_bytes(400, 300)})
    code, output, markdown = build_md(book, tmp_path / "out")
    assert code == 0, output
    assert "![Figure 1: Div caption heron.](book-files/images/q.png){#one--fig-div}" in markdown
    assert ": Table 1: Div table caption. {#one--tbl-div}" in markdown
    assert "See [Figure 1](#one--fig-div) and [Table 1](#one--tbl-div)." in markdown
    assert ":::" not in markdown and "warning:" not in output


def test_check_accepts_a_label_of_another_chapter(tmp_path: Path) -> None:
    book = includes_book(tmp_path / "b")
    run = run_cli(["check", str(book.manifest)])
    assert "broken-anchor" not in run.output, run.output
    assert "unknown label 'no-such-label'" in run.output  # check sees what build sees


def test_a_figure_with_a_label_and_an_id_is_numbered_once() -> None:
    from handbook_build.sources.xrefs import collect_labels

    labels = collect_labels([("one", "(cat)=\n![Cat](c.png){#fig-cat}\n\n![Dog](d.png){#fig-dog}"
                                     "\n\nSee @fig-dog.\n")])
    assert labels.by_name["cat"].number == labels.by_name["fig-cat"].number == 1
    assert labels.by_name["fig-dog"].number == 2
