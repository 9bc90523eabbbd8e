"""Markdown from other ecosystems (Quarto, R Markdown, MyST, mdBook, MkDocs, GitHub) builds, and
its text reaches the readers of every edition, while its source syntax never does (issue 15).

One small book, built once for the module, has one chapter per construct; each test reads the
assembled .md, the reading PDF's text (pypdf), the print PDF's text and the EPUB's XHTML.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pypdf
import pytest

from bookmaker import build_args, make_book, png_bytes, run_cli
from handbook_build.html.sanitize import sanitize_html
from handbook_build.sources.admonitions import convert_admonitions
from handbook_build.sources.fences import fence_language, normalize_fences
from handbook_build.sources.front_matter import split_front_matter
from handbook_build.sources.guard import MAX_RAW_HTML_DEPTH, check_chapter_text

CODE_CHAPTER = """\
# Code

Some text before the cells.

```{python}
#| echo: false
#| label: fig-alpha
print("alpha one")
```

```{r, echo=FALSE}
x <- "beta two"
```

```python title="x.py"
print("gamma three")
```

```{note}
delta four
```

```{code-cell} python
:tags: [hide-input]

# comment zeta
```

```{r}

# comment epsilon
y <- "eta five"
```

```rust,ignore
let theta = "six";
```

Text after the cells: iota seven.
"""

# 40 open "tags" in code: more than guard.MAX_RAW_HTML_DEPTH (32) if code were counted.
GENERICS_CHAPTER = "# Generics\n\n" + "".join(
    f"Kappa `Rc<T{n}>` and `Box<dyn Fn{n}>`.\n\n" for n in range(20)) + """\
```rust
let lambda: Vec<Option<Rc<RefCell<Node>>>> = Vec::new();
fn mu<T: Into<String>>(x: T) -> HashMap<String, Vec<T>> { todo!() }
```
"""

FRONT_MATTER_CHAPTER = """\
---
title: Getting Started
authors: [Ada Lovelace, Grace Hopper]
prompts: "What is nu?"
---

# Getting Started

Xi paragraph of the getting started chapter.

---

Omicron after a thematic break.
"""

CODE_TITLE_CHAPTER = "# The `Rc<T>` type\n\nPi paragraph about reference counting.\n"

WIDE_COLUMNS = [f"Column{n:02d}Heading" for n in range(1, 11)]
TABLES_CHAPTER = (
    "# Tables\n\n"
    "| Rho item | Sigma price | Tau note |\n"
    "|:---------|------------:|:--------:|\n"
    "| apples   | 1.50        | fresh    |\n"
    "| pears    | 12.25       | ripe     |\n\n"
    "![Upsilon half-width picture](../images/dot.png){width=50%}\n\n"
    "| " + " | ".join(WIDE_COLUMNS) + " |\n"
    "|" + "---|" * 10 + "\n"
    "| " + " | ".join(f"cell{n:02d}value-with-longish-text" for n in range(1, 11)) + " |\n\n"
    "Phi after the wide table. " + "Chi words fill a justified line to the margin. " * 12
    + "\n"
)

ALERTS_CHAPTER = """\
# Boxes

A paragraph before the alerts.
> [!NOTE]
> Alpha-note body text with `inline code`, and
> `more code` on the next line.

> [!TIP]
> Beta-tip body text,
lazily continued.

> [!IMPORTANT]
> Gamma-important body text.

> [!WARNING] Mind the gap
> Delta-warning body text.
>
> A second paragraph of the warning.

> [!CAUTION]
> Epsilon-caution body text.

> [!FOOBAR]
> Zeta-unknown body text.

::: note
Eta-div-note body text.
:::

::: {.warning}
Theta-div-warning body text.
:::

::: sidebar
Iota-div-sidebar body text.
:::

:::{tip}
Kappa-myst-tip body text.
:::

```{important}
Lambda-directive body text.
```

> An ordinary quote, mu-quote.

```markdown
> [!NOTE]
> Nu shown as an example.
```
"""

CHAPTERS = {
    "code.md": CODE_CHAPTER,
    "generics.md": GENERICS_CHAPTER,
    "start.md": FRONT_MATTER_CHAPTER,
    "rc.md": CODE_TITLE_CHAPTER,
    "tables.md": TABLES_CHAPTER,
    "boxes.md": ALERTS_CHAPTER,
}
CONTENTS = """\
# Test Book

- [Code](chapters/code.md)
- [Generics](chapters/generics.md)
- [Getting Started](chapters/start.md)
- [The `Rc<T>` type](chapters/rc.md)
- [Tables](chapters/tables.md)
- [Boxes](chapters/boxes.md)
"""


@dataclass(frozen=True, slots=True)
class Built:
    out: Path
    markdown: str
    pdf_text: str
    print_text: str
    epub_text: str  # every XHTML document of the EPUB, tags kept
    output: str
    exit_code: int


def _pdf_text(path: Path) -> str:
    reader = pypdf.PdfReader(io.BytesIO(path.read_bytes()))
    return "\n".join(page.extract_text() or "" for page in reader.pages)


def _epub_text(path: Path) -> str:
    with zipfile.ZipFile(path) as archive:
        return "\n".join(archive.read(name).decode("utf-8") for name in sorted(archive.namelist())
                         if name.endswith((".xhtml", ".html")))


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    root = tmp_path_factory.mktemp("any-markdown")
    book = make_book(root / "book", CHAPTERS, contents=CONTENTS,
                     images={"dot.png": png_bytes(400, 200)})
    out = root / "out"
    run = run_cli(build_args(book, out, ("md", "html", "pdf", "print", "epub")), timeout=300)
    if run.exit_code != 0:
        return Built(out, "", "", "", "", run.output, run.exit_code)
    return Built(out, (out / "book.md").read_text(), _pdf_text(out / "book.pdf"),
                 _pdf_text(out / "book-print.pdf"), _epub_text(out / "book.epub"), run.output,
                 run.exit_code)


def squeeze(text: str) -> str:
    return " ".join(text.split())


def _readers(built: Built) -> dict[str, str]:
    assert built.exit_code == 0, built.output
    return {"reading PDF": squeeze(built.pdf_text), "print PDF": squeeze(built.print_text),
            "EPUB": squeeze(built.epub_text)}


# --- 1. any fence info string -------------------------------------------------------------------


@pytest.mark.parametrize(("info", "language"), [
    ("{python}", "python"), ("{r, echo=FALSE}", "r"), ('python title="x.py"', "python"),
    ("rust,ignore", "rust"), ("{code-cell} ipython3", "ipython3"), ("{note}", "note"),
    ("{.python .numberLines}", "python"), ("", ""),
])
def test_the_language_is_the_first_word(info: str, language: str) -> None:
    assert fence_language(info) == language


def test_fences_pandoc_reads_are_left_as_written() -> None:
    text = '```python\nx\n```\n\n```{.python #listing title="a b"}\ny\n```\n\n~~~\nz\n~~~\n'
    assert normalize_fences(text, "c.md").text == text


def test_cell_options_go_and_the_code_stays() -> None:
    text = "```{python}\n#| echo: false\n#| fig-cap: \"A\"\nprint(1)\n```\n"
    assert normalize_fences(text, "c.md").text == "```python\nprint(1)\n```\n"


def test_inline_code_that_looks_like_a_fence_is_untouched() -> None:
    text = "Write ```` ```{python} ```` to open a cell.\n"
    assert normalize_fences(text, "c.md").text == text


def test_any_fence_info_string_builds_and_every_cell_reaches_the_readers(built: Built) -> None:
    assert built.exit_code == 0, built.output
    assert "this is a bug" not in built.output
    phrases = ['print("alpha one")', 'x <- "beta two"', 'print("gamma three")', "delta four",
               "# comment zeta", "# comment epsilon", 'y <- "eta five"', 'let theta = "six";',
               "iota seven"]
    md = built.markdown
    for phrase in phrases:
        assert phrase in md
    for edition, text in _readers(built).items():
        if edition == "EPUB":  # highlighted code: token spans inside the lines
            text = re.sub(r"</?(?:code|span)[^>]*>", "", text)
        for phrase in phrases:
            if edition == "EPUB":
                phrase = phrase.replace('"', "&quot;").replace("<", "&lt;")
                # pandoc may write quotes as they are in text nodes
                assert phrase in text or phrase.replace("&quot;", '"') in text, (edition, phrase)
            else:
                assert phrase in text, (edition, phrase)


def test_fence_attributes_and_cell_options_never_reach_a_reader(built: Built) -> None:
    for edition, text in _readers(built).items():
        for syntax in ("#|", "echo=FALSE", "echo: false", "fig-alpha", "{python}", "{note}",
                       "{code-cell}", ":tags:", "hide-input",
                       'title="x.py"', "title=“x.py”", "rust,ignore", "```"):
            assert syntax not in text, (edition, syntax)


def test_code_cells_are_code_blocks_in_the_epub(built: Built) -> None:
    _readers(built)
    blocks = re.findall(r"<pre[^>]*>(.*?)</pre>", built.epub_text, re.DOTALL)
    joined = "\n".join(blocks)
    for phrase in ("alpha one", "beta two", "gamma three", "comment zeta", "eta five", "six"):
        assert phrase in joined


# --- 2. the nesting guard does not count code ---------------------------------------------------


def test_angle_brackets_in_code_are_not_open_tags() -> None:
    assert check_chapter_text(GENERICS_CHAPTER, "generics.md") == []


def test_real_raw_html_nesting_is_still_refused_and_code_beside_it_does_not_hide_it() -> None:
    deep = "`Rc<T>`\n\n" + "<div>" * (MAX_RAW_HTML_DEPTH + 1) + "x" + "</div>" * 40 + "\n"
    problems = check_chapter_text(deep, "deep.md")
    assert [p.code for p in problems] == ["nesting-too-deep"]
    assert problems[0].line == 3


def test_generic_types_in_code_reach_every_reader(built: Built) -> None:
    for edition, text in _readers(built).items():
        for phrase in ("Kappa Rc<T19> and Box<dyn Fn19>", "Vec<Option<Rc<RefCell<Node>>>>",
                       "HashMap<String, Vec<T>>"):
            if edition == "EPUB":
                phrase = phrase.replace("<", "&lt;").replace(">", "&gt;")
                text = re.sub(r"</?(?:code|span)[^>]*>", "", text)
            assert phrase in text, (edition, phrase)


# --- 3. front matter and titles -----------------------------------------------------------------


def test_front_matter_is_blanked_and_its_title_read() -> None:
    found = split_front_matter(FRONT_MATTER_CHAPTER)
    assert found.title == "Getting Started"
    assert dict(found.fields)["prompts"] == "What is nu?"
    assert found.body.count("\n") == FRONT_MATTER_CHAPTER.count("\n")  # lines kept
    assert found.body.lstrip("\n").startswith("# Getting Started")
    assert "Omicron" in found.body and "---" in found.body  # the later rule stays


@pytest.mark.parametrize("text", [
    "---\n\nA paragraph after a rule.\n\n---\n", "Text\n---\n", "---\ntitle: never closed\n",
])
def test_a_rule_is_not_front_matter(text: str) -> None:
    assert split_front_matter(text).body == text


def test_front_matter_never_reaches_a_reader(built: Built) -> None:
    assert "authors:" not in built.markdown and "Grace Hopper" not in built.markdown
    for edition, text in _readers(built).items():
        for syntax in ("authors:", "Ada Lovelace", "prompts:", "title:"):
            assert syntax not in text, (edition, syntax)
        # The chapter's prompts head its notes pages in the print edition, and nowhere else.
        assert edition == "print PDF" or "What is nu?" not in text, edition
        assert "Xi paragraph" in text and "Omicron after" in text, edition
    printed = [page.extract_text() or "" for page in
               pypdf.PdfReader(next(built.out.glob("*-print.pdf"))).pages]
    prompted = [text for text in printed if "What is nu?" in text]
    assert prompted and all(text.startswith("Notes") for text in prompted)


def test_a_title_repeated_under_front_matter_is_printed_once(built: Built) -> None:
    assert built.markdown.count("Getting Started") == 1
    reading = _readers(built)["reading PDF"]
    # once in the contents, once as the chapter title, once per running head at most
    pages = pypdf.PdfReader(built.out / "book.pdf").pages
    chapter_pages = [squeeze(page.extract_text() or "") for page in pages
                     if "Xi paragraph" in (page.extract_text() or "")]
    assert len(chapter_pages) == 1
    assert chapter_pages[0].count("Getting Started") == 1, chapter_pages[0]
    assert "Xi paragraph" in reading


def _outline_titles(reader: pypdf.PdfReader) -> list[str]:
    titles: list[str] = []

    def walk(items: list[object]) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item)
            else:
                titles.append(str(getattr(item, "title", "")))

    walk(reader.outline)
    return titles


def test_inline_code_in_a_title_shows_no_backticks(built: Built) -> None:
    readers = _readers(built)
    assert "Rc<T> type" in readers["reading PDF"] and "Rc<T> type" in readers["print PDF"]
    for edition, text in readers.items():
        assert "`Rc" not in text and "T>`" not in text, edition
    for name in ("book.pdf", "book-print.pdf"):
        titles = _outline_titles(pypdf.PdfReader(built.out / name))
        assert "The Rc<T> type" in titles, (name, titles)
    with zipfile.ZipFile(built.out / "book.epub") as archive:
        nav = next(archive.read(n).decode() for n in archive.namelist() if n.endswith("nav.xhtml"))
    assert "The Rc&lt;T&gt; type" in re.sub(r"</?code[^>]*>", "", nav)
    assert "`" not in nav


# --- 4. table alignment, image width, wide tables -----------------------------------------------


def test_the_sanitizer_keeps_alignment_and_widths_only() -> None:
    html = ('<table><colgroup><col style="width: 30%"></colgroup><tbody><tr>'
            '<td style="text-align: right;">a</td><th style="text-align:center; color: red">b</th>'
            '<td style="background: url(http://x/y.png); width: 5px">c</td>'
            '<td style="width: expression(alert(1))">d</td><td style="w\\idth: 5px">e</td>'
            '</tr></tbody></table><img src="a.png" alt="" style="width: 50%; height: 2in">'
            '<p style="text-align: right">f</p><figure style="width: 12.5em"></figure>')
    clean = sanitize_html(html).html
    assert '<col style="width: 30%">' in clean
    assert '<td style="text-align: right">a</td>' in clean
    assert '<th style="text-align: center">b</th>' in clean
    assert '<td style="width: 5px">c</td>' in clean
    assert "<td>d</td>" in clean and "<td>e</td>" in clean
    assert 'style="width: 50%; height: 2in"' in clean
    assert "<p>f</p>" in clean and '<figure style="width: 12.5em">' in clean
    assert "url" not in clean and "red" not in clean and "expression" not in clean


def test_column_alignment_and_image_width_reach_the_epub(built: Built) -> None:
    _readers(built)
    epub = built.epub_text
    assert re.search(r'<td style="text-align: right">\s*1\.50', epub)
    assert re.search(r'<td style="text-align: center">\s*fresh', epub)
    assert re.search(r'<img [^>]*style="width: 50(?:\.0)?%"', epub)


def _bbox_words(pdf: Path, page: int) -> tuple[float, list[tuple[str, float, float, float]]]:
    """(page width, [(word, xMin, xMax, yMin)]) of one page, from pdftotext -bbox."""
    html = subprocess.run(["pdftotext", "-bbox", "-f", str(page), "-l", str(page), str(pdf), "-"],
                          check=True, capture_output=True, text=True).stdout
    width = float(re.search(r'<page width="([\d.]+)"', html).group(1))  # type: ignore[union-attr]
    words = [(m[4], float(m[1]), float(m[3]), float(m[2])) for m in re.finditer(
        r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)</word>',
        html)]
    return width, words


def _column_texts(words: list[tuple[str, float, float, float]]) -> str:
    """The words of each left edge read top to bottom, one left edge after another: a table
    column's wrapped lines come out as one string."""
    by_edge: dict[int, list[tuple[float, str]]] = {}
    for word, x_min, _, y_min in words:
        by_edge.setdefault(round(x_min), []).append((y_min, word))
    text = " ".join("".join(word for _, word in sorted(column))
                    for _, column in sorted(by_edge.items()))
    return text.replace("\u2010", "").replace("-", "")


def _page_with(pdf: Path, phrase: str) -> int:
    for number, page in enumerate(pypdf.PdfReader(pdf).pages, start=1):
        if phrase in squeeze(page.extract_text() or ""):
            return number
    raise AssertionError(f"{phrase!r} is on no page of {pdf.name}")


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) missing")
@pytest.mark.parametrize("name", ["book.pdf", "book-print.pdf"])
def test_a_ten_column_table_fits_the_text_block(built: Built, name: str) -> None:
    _readers(built)
    pdf = built.out / name
    page = _page_with(pdf, "Phi after the wide table")
    width, words = _bbox_words(pdf, page)
    text = _column_texts(words)
    for n in range(1, 11):
        assert f"Column{n:02d}Heading" in text, (name, n)
        assert f"cell{n:02d}valuewithlongishtext" in text, (name, n)
    # The paragraph under the table is justified: its lines end at the text block's edge.
    below = min(y_min for word, _, _, y_min in words if word == "Phi")
    margin = max(x_max for _, _, x_max, y_min in words if y_min >= below)
    table = [x_max for word, _, x_max, _ in words if word.startswith(("Colum", "cell", "n10"))]
    assert max(table) <= min(width, margin + 1.0), (name, max(table), margin, width)


# --- 5. admonitions -----------------------------------------------------------------------------

BOX_TEXTS = {
    "note": "Alpha-note body text with inline code, and more code on the next line.",
    "tip": "Beta-tip body text, lazily continued.",
    "important": "Gamma-important body text.", "warning": "Delta-warning body text.",
    "caution": "Epsilon-caution body text.", "foobar": "Zeta-unknown body text.",
}
BOX_SYNTAX = ("[!NOTE]", "[!TIP]", "[!IMPORTANT]", "[!WARNING]", "[!CAUTION]", "[!FOOBAR]",
              ":::", "{tip}", "{important}", "admonition-title}")


def test_alerts_become_admonition_divs_and_examples_in_code_stay() -> None:
    text = convert_admonitions(ALERTS_CHAPTER, "boxes.md").text
    assert "::: {.admonition .admonition-note}\n\n[Note]{.admonition-title}" in text
    assert "::: {.admonition .admonition-foobar}\n\nZeta" in text  # unknown kind: no title
    assert "::: {.admonition .admonition-sidebar}\nIota" in text
    assert "> An ordinary quote, mu-quote." in text
    assert "```markdown\n> [!NOTE]\n> Nu shown as an example.\n```" in text


def test_myst_options_go_and_quarto_titles_are_read() -> None:
    text = convert_admonitions(
        ":::{note} Read me\n:class: dropdown\nBody.\n:::\n\n"
        '::: {.callout-tip title="Heads up"}\nTip body.\n:::\n', "b.md").text
    assert ":class:" not in text
    assert "[Read me]{.admonition-title}" in text
    assert "::: {.admonition .admonition-tip}\n\n[Heads up]{.admonition-title}" in text


def _without_code_tags(text: str) -> str:
    return re.sub(r"</?code[^>]*>", "", text)


def test_every_box_reaches_every_reader_and_no_syntax_does(built: Built) -> None:
    for edition, text in _readers(built).items():
        text = _without_code_tags(text)
        for phrase in (*BOX_TEXTS.values(), "Mind the gap", "A second paragraph of the warning",
                       "Eta-div-note", "Theta-div-warning", "Iota-div-sidebar",
                       "Kappa-myst-tip", "Lambda-directive", "mu-quote"):
            assert phrase in text, (edition, phrase)
        # the listing shows an alert as an example: code, left as written
        prose = re.sub(r"<pre.*?</pre>", "", text.replace("[!NOTE] > Nu shown as an", ""))
        for syntax in BOX_SYNTAX:
            if edition == "EPUB" and syntax == ":::":
                continue  # checked on the XHTML text below, not its markup
            assert syntax not in prose, (edition, syntax)
    epub_text = re.sub(r"<[^>]+>", " ", built.epub_text)
    assert ":::" not in epub_text


def test_each_box_is_an_aside_with_role_note_in_the_epub_and_html(built: Built) -> None:
    _readers(built)
    for kind, phrase in BOX_TEXTS.items():
        match = re.search(rf'<aside class="admonition admonition-{kind}[^"]*" role="note">'
                          rf"(?:(?!</aside>).)*{re.escape(phrase)}",
                          _without_code_tags(built.epub_text), re.DOTALL)
        assert match, kind
    html = (built.out / "book.html").read_text()
    # 11 here and the ```{note} of the code chapter
    assert len(re.findall(r'<aside class="admonition [^"]*" role="note">', html)) == 12
    assert 'class="admonition admonition-foobar admonition-other"' in html
    # The HTML edition's stylesheet (in its -files/ folder) carries the box styles.
    styles = "".join(css.read_text() for css in (built.out / "book-files").rglob("*.css"))
    assert "aside.admonition-warning" in styles


@pytest.mark.skipif(shutil.which("java") is None, reason="EPUBCheck needs Java")
def test_the_epub_with_boxes_passes_epubcheck(built: Built) -> None:
    _readers(built)
    run = run_cli(["check", str(built.out / "book.epub")], timeout=300)
    assert run.exit_code == 0, run.output
    assert "0 errors" in run.output
