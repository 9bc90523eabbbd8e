"""Markdown from other ecosystems (Quarto, R Markdown, MyST, mdBook, MkDocs, GitHub) builds, and
its text reaches the readers of every edition, while its source syntax never does (issue 15).

One small book, built once for the module, has one chapter per construct; each test reads the
assembled .md, the reading PDF's text (pypdf), the print PDF's text and the EPUB's XHTML.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pypdf
import pytest

from bookmaker import build_args, make_book, run_cli
from handbook_build.fences import fence_language, normalize_fences
from handbook_build.front_matter import split_front_matter
from handbook_build.guard import MAX_RAW_HTML_DEPTH, check_chapter_text

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

CHAPTERS = {
    "code.md": CODE_CHAPTER,
    "generics.md": GENERICS_CHAPTER,
    "start.md": FRONT_MATTER_CHAPTER,
    "rc.md": CODE_TITLE_CHAPTER,
}
CONTENTS = """\
# Test Book

- [Code](chapters/code.md)
- [Generics](chapters/generics.md)
- [Getting Started](chapters/start.md)
- [The `Rc<T>` type](chapters/rc.md)
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
    book = make_book(root / "book", CHAPTERS, contents=CONTENTS)
    out = root / "out"
    run = run_cli(build_args(book, out, ("md", "pdf", "print", "epub")), timeout=300)
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
        for syntax in ("authors:", "Ada Lovelace", "prompts:", "What is nu?", "title:"):
            assert syntax not in text, (edition, syntax)
        assert "Xi paragraph" in text and "Omicron after" in text, edition


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
