"""Issue 15's whole promise, per convention: a small book kept as mdBook, Jupyter Book, MyST,
Quarto, GitBook and pandoc users keep theirs (their entry file, their include, cross-reference
and citation syntax), with front matter, an admonition, math, a captioned and referenced figure,
a citation, a wide aligned table, CJK and Arabic text, emoji and a long code line, builds from its
native entry file with exit 0; every distinctive phrase reaches the reading PDF, the print PDF
and the EPUB; no source syntax reaches a reader; EPUBCheck finds no error; no glyph is missing.
"""

from __future__ import annotations

import shutil
import subprocess
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from lxml import etree

from bookmaker import png_bytes, run_cli
from handbook_build.checks.typeset_check import check_typesetting

pytestmark = pytest.mark.slow

BIB = """@book{knuth1984,
  author = {Knuth, Donald E.},
  title = {The TeXbook},
  publisher = {Addison-Wesley},
  year = {1984}
}
"""
ARABIC = "مرحبا بالعالم"
JAPANESE = "日本語の文章です"
LONG_CODE = "total = " + " + ".join(f"value_{n}" for n in range(40))
# What a reader must never see: the syntax of some tool.
SOURCE_SYNTAX = ("{{#include", "{{#cite", "{include}", "{{<", ":::", "{numref}", "{ref}", "{cite}",
                 "[!NOTE]", "#|", "$$", "\\frac", "(fig-q)=", "@fig-", "title: ", "prompts:",
                 "ANCHOR")


@dataclass(frozen=True)
class Convention:
    entry: str  # the entry file, relative to the book's folder
    files: dict[str, str]
    cites: bool  # the convention names a bibliography


def _first(name: str, figure_target: str, figure_ref: str, cite: str) -> str:
    """The first chapter, in one tool's syntax for the figure's label, its reference and the
    citation; everything else is the Markdown every tool reads."""
    return f"""---
title: Front Matter Title {name}
prompts: [What struck you?]
---

# First Chapter {name}

Opening phrase kilo {name}, with inline math $E = mc^2$ and a display formula:

$$\\frac{{a}}{{b}} = \\sqrt{{c}}$$

> [!NOTE]
> Admonition phrase lima {name}.

{figure_target}

See {figure_ref} for the picture, and {cite} for the book.

| Left | Centre | Right | Four | Five | Six | Seven |
|:-----|:------:|------:|------|------|-----|-------|
| table phrase mike | c | r | 4 | 5 | 6 | 7 |

Scripts: {JAPANESE} and {ARABIC}, and a rocket 🚀.

```python
{LONG_CODE}
```
"""


def _second(name: str, include: str) -> str:
    return f"# Second Chapter {name}\n\nBefore the include, november {name}.\n\n{include}\n"


INCLUDED = "Included phrase oscar from another file.\n"


def mdbook() -> Convention:
    return Convention("book.toml", {
        "book.toml": '[book]\ntitle = "Eco mdBook"\nauthors = ["Ada"]\nlanguage = "en"\n'
                     'src = "src"\n\n[preprocessor.bib]\nbibliography = "refs.bib"\n',
        "refs.bib": BIB,
        "src/SUMMARY.md": "# Summary\n\n- [First](first.md)\n- [Second](second.md)\n",
        "src/first.md": _first("mdbook", "![A quokka smiling](quokka.png){#fig-q}",
                               "[the quokka](#fig-q)", "{{#cite knuth1984}}"),  # mdbook-bib
        "src/second.md": _second("mdbook", "{{#include part.md}}"),
        "src/part.md": INCLUDED,
    }, cites=True)


def jupyterbook() -> Convention:
    return Convention("_toc.yml", {
        "_toc.yml": "format: jb-book\nroot: first\nchapters:\n  - file: second\n",
        "_config.yml": "title: Eco Jupyter Book\nauthor: Ada\nbibtex_bibfiles:\n  - refs.bib\n",
        "refs.bib": BIB,
        "first.md": _first("jupyterbook", "(fig-q)=\n![A quokka smiling](quokka.png)",
                           "{numref}`fig-q`", "{cite}`knuth1984`"),
        "second.md": _second("jupyterbook", "```{include} part.md\n```"),
        "part.md": INCLUDED,
    }, cites=True)


def myst() -> Convention:
    return Convention("myst.yml", {
        "myst.yml": "version: 1\nproject:\n  title: Eco MyST\n  authors: [Ada]\n"
                    "  bibliography: [refs.bib]\n  toc:\n    - file: first.md\n"
                    "    - file: second.md\n",
        "refs.bib": BIB,
        "first.md": _first("myst", "(fig-q)=\n![A quokka smiling](quokka.png)",
                           "{numref}`fig-q`", "{cite:p}`knuth1984`"),
        "second.md": _second("myst", "```{include} part.md\n```"),
        "part.md": INCLUDED,
    }, cites=True)


def quarto() -> Convention:
    return Convention("_quarto.yml", {
        "_quarto.yml": "project:\n  type: book\nbook:\n  title: Eco Quarto\n  author: Ada\n"
                       "  chapters:\n    - first.qmd\n    - second.qmd\nbibliography: refs.bib\n",
        "refs.bib": BIB,
        "first.qmd": _first("quarto", "![A quokka smiling](quokka.png){#fig-q}", "@fig-q",
                            "[@knuth1984]"),
        "second.qmd": _second("quarto", "{{< include part.md >}}"),
        "part.md": INCLUDED,
    }, cites=True)


def gitbook() -> Convention:
    return Convention("SUMMARY.md", {
        "SUMMARY.md": "# Summary\n\n* [First](first.md)\n* [Second](second.md)\n",
        "book.json": '{"title": "Eco GitBook", "author": "Ada"}\n',
        "first.md": _first("gitbook", "![A quokka smiling](quokka.png){#fig-q}",
                           "[the quokka](#fig-q)", "Knuth's TeXbook"),
        "second.md": _second("gitbook", INCLUDED),  # GitBook has no include of its own here
    }, cites=False)


def pandoc_folder() -> Convention:
    return Convention("metadata.yaml", {
        "metadata.yaml": "title: Eco Pandoc\nauthor: Ada\nlang: en\nbibliography: refs.bib\n",
        "refs.bib": BIB,
        "01-first.md": _first("pandoc", "![A quokka smiling](quokka.png){#fig-q}",
                              "[the quokka](#fig-q)", "[@knuth1984]"),
        "02-second.md": _second("pandoc", INCLUDED),
    }, cites=True)


CONVENTIONS: dict[str, Callable[[], Convention]] = {
    "mdbook": mdbook, "jupyterbook": jupyterbook, "myst": myst, "quarto": quarto,
    "gitbook": gitbook, "pandoc": pandoc_folder,
}


@dataclass(frozen=True)
class Built:
    name: str
    convention: Convention
    exit_code: int
    output: str
    out: Path
    stem: str

    def pdf(self, print_edition: bool) -> Path:
        return self.out / (f"{self.stem}-print.pdf" if print_edition else f"{self.stem}.pdf")


def _pdftotext(path: Path) -> str:
    return " ".join(subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"],
                                   capture_output=True, text=True, check=True).stdout.split())


def _epub_text(path: Path) -> str:
    texts = []
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if name.endswith(".xhtml") and "nav" not in name:
                tree = etree.fromstring(archive.read(name))
                # A formula's TeX annotation is for assistive technology, never shown.
                for annotation in tree.iter("{http://www.w3.org/1998/Math/MathML}annotation"):
                    annotation.getparent().remove(annotation)
                texts.append(" ".join(tree.itertext()))
    return " ".join(" ".join(texts).split())


@pytest.fixture(scope="module", params=list(CONVENTIONS))
def built(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Built:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    name: str = request.param
    convention = CONVENTIONS[name]()
    root = tmp_path_factory.mktemp(name) / "book"
    for relative, text in convention.files.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text, encoding="utf-8")
    first_dir = root / ("src" if name == "mdbook" else "")
    (first_dir / "quokka.png").write_bytes(png_bytes(320, 200, color=(180, 120, 60)))
    out = root.parent / "out"
    args = ["build", str(root / convention.entry), "-o", str(out), "-j", "2"]
    for edition in ("md", "pdf", "print", "epub"):
        args += ["-f", edition]
    run = run_cli(args, timeout=600)
    epubs = list(out.glob("*.epub"))
    return Built(name, convention, run.exit_code, run.output, out,
                 epubs[0].stem if epubs else "")


def _phrases(built: Built) -> list[str]:
    name = built.name
    phrases = [f"Opening phrase kilo {name}", f"Admonition phrase lima {name}",
               "table phrase mike", f"Before the include, november {name}",
               "Included phrase oscar", JAPANESE]
    if built.convention.cites:
        phrases += ["Knuth", "1984", "TeXbook"]
    return phrases


def test_the_book_builds_from_its_native_entry_file(built: Built) -> None:
    assert built.exit_code == 0, built.output
    assert "Traceback" not in built.output


@pytest.mark.parametrize("edition", ["reading", "print", "epub"])
def test_every_phrase_reaches_the_edition_and_no_source_syntax(built: Built, edition: str
                                                                ) -> None:
    assert built.exit_code == 0, built.output
    if edition == "epub":
        text = _epub_text(built.out / f"{built.stem}.epub")
    else:
        text = _pdftotext(built.pdf(edition == "print"))
    for phrase in _phrases(built):
        assert phrase in text, f"{built.name} {edition}: {phrase!r} missing"
    for syntax in SOURCE_SYNTAX:
        assert syntax not in text, f"{built.name} {edition}: {syntax!r} reached the reader"
    assert "First Chapter" in text and "Second Chapter" in text
    # The figure is referenced by a link or a number, never by its raw label.
    assert "fig-q" not in text


def test_the_epub_has_mathml_and_the_figure_reference_links(built: Built) -> None:
    assert built.exit_code == 0, built.output
    with zipfile.ZipFile(built.out / f"{built.stem}.epub") as archive:
        xhtml = {name: archive.read(name).decode() for name in archive.namelist()
                 if name.endswith(".xhtml")}
    joined = "".join(xhtml.values())
    assert "<math" in joined
    assert ARABIC in joined and "🚀" in joined
    figure_ids = [line for line in joined.split('"') if line.endswith("fig-q")]
    assert figure_ids, "the figure's id and the link to it are in the EPUB"


@pytest.mark.parametrize("print_edition", [False, True], ids=["reading", "print"])
def test_no_glyph_is_missing_in_the_pdfs(built: Built, print_edition: bool) -> None:
    assert built.exit_code == 0, built.output
    pdf = built.pdf(print_edition)
    result = check_typesetting(pdf, pdf.name)
    missing = [d for d in result.diagnostics if d.code == "glyph-missing"]
    assert missing == [], missing
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True,
                           check=True).stdout
    assert "Arabic" in fonts and "CJK" in fonts, fonts


def test_epubcheck_finds_no_error(built: Built) -> None:
    assert built.exit_code == 0, built.output
    if shutil.which("java") is None:
        pytest.skip("Java is not installed (EPUBCheck)")
    from handbook_build.checks.epubcheck import run_epubcheck

    result = run_epubcheck(built.out / f"{built.stem}.epub")
    assert result.is_valid, result.messages
