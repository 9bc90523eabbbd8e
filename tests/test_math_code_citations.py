"""Math, code listings, citations and missing glyphs, through every edition.

The transforms are checked on their own (fast); one small book with inline and display math, a
formula TeX cannot read, highlighted code in two languages, a long line, a captioned listing and
citations against a .bib is built once into every edition (slow) and each edition is read back:
MathML in the EPUB and HTML, drawn formulas (vector paths, no TeX) in both PDFs, token colours
in the reading PDF and ink levels in the print PDF, the bibliography everywhere.
"""

from __future__ import annotations

import collections
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from bookmaker import Book, build_args, make_book, run_cli
from handbook_build.sources.citations import bibliography_keys, mark_citations
from handbook_build.sources.listings import mark_listings
from handbook_build.sources.math_marks import mark_math

FORMULAS = """\
# Formulas

Euler wrote $e^{i\\pi} + 1 = 0$ in one line, and the quadratic formula reads
$x = \\frac{-b \\pm \\sqrt{b^2-4ac}}{2a}$ as every student knows.

$$
\\int_0^\\infty e^{-x^2}\\,dx = \\frac{\\sqrt{\\pi}}{2}
$$

A formula with a brace left open: $a^{b$ is shown as code.

Prices stay prices: $5 and $10.

As shown by @knuth1984 and in [@lamport1994, p. 12], typesetting matters. A key that is
nowhere: [@nobody2000].
"""

LISTINGS = """\
# Listings

```{.python caption="Computing a square"}
def square(x: int) -> int:
    \"\"\"Return x squared.\"\"\"
    return x * x  # a comment
```

```rust
fn main() {
    let message = "LONG";
    println!("{}", message);
}
```
""".replace("LONG", "a very long line of code that goes on and on and on and on past the right "
                    "edge of the text block, far past it")

BIB = """\
@book{knuth1984,
  author = {Donald E. Knuth},
  title = {The {\\TeX}book},
  publisher = {Addison-Wesley},
  year = {1984}
}
@book{lamport1994,
  author = {Leslie Lamport},
  title = {LaTeX: A Document Preparation System},
  publisher = {Addison-Wesley},
  year = {1994}
}
"""

TOML = """\
[book]
title = "Formulas and Listings"
date = 2024-03-01
language = "en"
stem = "book"
bibliography = "refs.bib"

[contents]
file = "contents.md"
images = ["images"]
"""


def _book(tmp_path: Path) -> Book:
    book = make_book(tmp_path / "src", {"formulas.md": FORMULAS, "listings.md": LISTINGS},
                     toml=TOML)
    (book.root / "refs.bib").write_text(BIB, encoding="utf-8")
    return book


# --- transforms ----------------------------------------------------------------------------


def test_every_math_form_becomes_a_math_code_span() -> None:
    text = ("Inline $a^2$, \\(b_1\\) and {math}`c+d`.\n\n$$\nx = 1 % note\n- 2\n$$ {#eq-one}\n\n"
            "\\[ y \\]\n\n```{math}\n:label: euler\ne^{i\\pi} = -1\n```\n\n```math\nz\n```\n\n"
            "\\begin{align}\nu &= v\n\\end{align}\n")
    out = mark_math(text, "x.md").text
    assert "`a^2`{.math .inline}" in out
    assert "`b_1`{.math .inline}" in out
    assert "`c+d`{.math .inline}" in out and "{math}" not in out
    assert "`x = 1 - 2`{#eq-one .math .display}" in out  # one line, comment gone, label kept
    assert "`y`{.math .display}" in out
    assert "`e^{i\\pi} = -1`{#euler .math .display}" in out
    assert "`z`{.math .display}" in out
    assert "`\\begin{align} u &= v \\end{align}`{.math .display}" in out
    assert "$" not in out


def test_prices_code_and_link_targets_are_not_math() -> None:
    text = ("It costs $5 and $10, or $20,000.\n\n```sh\necho \"$HOME and $PATH\"\n```\n\n"
            "See `$x$` and [a link](https://example.org/$a$b) and \\$escaped$.\n")
    assert mark_math(text, "x.md").text == text


def test_a_backtick_in_a_formula_gets_a_longer_fence() -> None:
    assert mark_math("A $f`(x)$ here.\n", "x.md").text == "A ``f`(x)``{.math .inline} here.\n"


def test_listing_captions_of_every_dialect_are_kept() -> None:
    text = ('```{.python caption="Pandoc cap" #lst-a}\nx = 1\n```\n\n'
            "```{code-block} python\n:caption: MyST cap\n:name: my-code\n\ny = 2\n```\n\n"
            "```{python}\n#| lst-cap: Quarto cap\n#| lst-label: lst-q\n#| echo: false\nz = 3\n"
            '```\n\n```python title="sum.py"\ns = 4\n```\n\n```python\nplain = 5\n```\n')
    out = mark_listings(text, "x.md").text
    assert "::: {#lst-a .listing}\n[Pandoc cap]{.listing-caption}\n\n```{.python  }\nx = 1" in out
    assert "::: {#my-code .listing}\n[MyST cap]{.listing-caption}" in out
    assert ":caption:" not in out and ":name:" not in out
    assert "::: {#lst-q .listing}\n[Quarto cap]{.listing-caption}" in out
    assert "#| echo: false" in out and "lst-cap" not in out  # fences.py drops the rest
    assert "::: {.listing}\n[sum.py]{.listing-caption}" in out
    assert "```python\nplain = 5\n```\n" in out and out.count("::: {") == 4


def test_bibliography_keys_from_bib_and_csl_json(tmp_path: Path) -> None:
    bib = tmp_path / "refs.bib"
    bib.write_text(BIB + "@comment{not a key,}\n@string{x = {y},}\n", encoding="utf-8")
    assert bibliography_keys(bib) == {"knuth1984", "lamport1994"}
    csl = tmp_path / "refs.json"
    csl.write_text('[{"id": "doe2020", "type": "book"}, {"id": "roe"}]', encoding="utf-8")
    assert bibliography_keys(csl) == {"doe2020", "roe"}


def test_an_unknown_citation_is_a_warning_at_its_line_and_stays_text() -> None:
    text = "Intro.\n\nSee [@knuth1984] and [@nobody; @knuth1984].\nMail bob@example.org.\n"
    fixed = mark_citations(text, "ch.md", frozenset({"knuth1984"}))
    assert fixed.text == text.replace("@nobody", "\\@nobody")
    ((warning,),) = [fixed.diagnostics]
    assert (warning.path, warning.line, warning.code) == ("ch.md", 3, "citation-unknown")
    assert "@nobody" in warning.message
    assert mark_citations(text, "ch.md", None).text == text  # no bibliography: as written


# --- the Markdown and HTML editions (pandoc only) ---------------------------------------------


def test_html_edition_has_mathml_highlighting_listing_and_references(tmp_path: Path) -> None:
    book = _book(tmp_path)
    out = tmp_path / "out"
    run = run_cli(build_args(book, out, ("md", "html")))
    assert run.exit_code == 0, run.output
    assert re.search(r"formulas\.md:10(:\d+)?: warning: TeX formula 'a\^\{b' cannot be read",
                     run.output), run.output
    assert re.search(r"formulas\.md:15:\d+: warning: citation @nobody2000 is not in the "
                     "bibliography", run.output), run.output
    page = (out / "book.html").read_text(encoding="utf-8")
    assert page.count("<math ") == 3
    assert '<math xmlns="http://www.w3.org/1998/Math/MathML" display="block">' in page
    prose = re.sub(r"<annotation[^>]*>.*?</annotation>", "", page, flags=re.S)
    assert "\\frac" not in prose and "$$" not in prose and "\\int" not in prose
    assert '<code class="math-source">a^{b</code>' in page
    assert "$5 and $10" in page
    assert '<span class="kw">def</span>' in page and '<span class="kw">fn</span>' in page
    assert 'href="#cb' not in page and 'id="cb' not in page  # pandoc's line anchors are gone
    assert re.search(r'<p class="listing-caption"><span class="listing-number">.*?Listing.*?'
                     r"1\.</span> Computing a square</p>", page)
    assert "Knuth (1984)" in page and "1994, 12)" in page
    assert '<section id="references" class="chapter depth-1" data-title="References">' in page
    assert "Knuth, Donald E. 1984." in page
    manuscript = (out / "book.md").read_text(encoding="utf-8")
    assert "`e^{i\\pi} + 1 = 0`{.math .inline}" in manuscript  # inert: code under plain pandoc
    assert "$" not in manuscript.replace("\\$", "")


# --- every edition (WeasyPrint, EPUB) --------------------------------------------------------


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp_path = tmp_path_factory.mktemp("math-book")
    book = _book(tmp_path)
    out = tmp_path / "out"
    run = run_cli(build_args(book, out, ("pdf", "print", "epub")), timeout=600)
    assert run.exit_code == 0, run.output
    return out


def _pdftotext(path: Path, first: int | None = None) -> str:
    pages = ["-f", str(first), "-l", str(first)] if first else []
    return subprocess.run(["pdftotext", "-layout", *pages, str(path), "-"], check=True,
                          capture_output=True, text=True).stdout


def _page_with(path: Path, phrase: str) -> int:
    pages = _pdftotext(path).split("\f")
    for number, text in enumerate(pages, start=1):
        if phrase in " ".join(text.split()):
            return number
    raise AssertionError(f"{phrase!r} not in {path.name}")


def _operators(path: Path, number: int) -> collections.Counter[str]:
    import pikepdf

    with pikepdf.open(path) as pdf:
        return collections.Counter(str(op) for _, op in
                                   pikepdf.parse_content_stream(pdf.pages[number - 1]))


def _fill_colours(path: Path, number: int) -> set[tuple[str, tuple[float, ...]]]:
    import pikepdf

    found = set()
    with pikepdf.open(path) as pdf:
        for operands, op in pikepdf.parse_content_stream(pdf.pages[number - 1]):
            if str(op) in ("rg", "scn", "k", "g") and all(
                    isinstance(x, (int, float)) or hasattr(x, "as_int") or
                    type(x).__name__ == "Decimal" for x in operands):
                try:
                    found.add((str(op), tuple(round(float(x), 3) for x in operands)))
                except (TypeError, ValueError):
                    continue
    return found


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils")
@pytest.mark.parametrize("name", ["book.pdf", "book-print.pdf"])
def test_paged_editions_draw_formulas_and_show_no_tex(built: Path, name: str) -> None:
    path = built / name
    text = _pdftotext(path)
    for source in ("\\frac", "\\int", "\\sqrt", "$$", "\\pi", "{math}"):
        assert source not in text, source
    assert "a^{b" in text  # the formula TeX cannot read, shown as code
    assert "$5 and $10" in " ".join(text.split())
    page = _page_with(path, "Euler wrote")
    drawn = _operators(path, page)
    # three formulas of glyph outlines: hundreds of curves, where a text page draws none
    assert drawn["c"] > 300 and drawn["f"] > 20, drawn
    assert _operators(path, _page_with(path, "Knuth, Donald E."))["c"] == 0
    listing = _page_with(path, "Listing 1. Computing a square")
    assert "def square(x: int) -> int:" in _pdftotext(path, listing)


@pytest.mark.slow
def test_reading_pdf_colours_code_and_print_pdf_uses_ink_levels(built: Path) -> None:
    reading = built / "book.pdf"
    colours = _fill_colours(reading, _page_with(reading, "Listing 1. Computing a square"))
    chromatic = {values for op, values in colours if op == "rg" and len(set(values)) > 1}
    assert len(chromatic) >= 3, colours  # keywords, strings, types, ... each a hue
    printed = built / "book-print.pdf"
    number = _page_with(printed, "Listing 1. Computing a square")
    print_colours = _fill_colours(printed, number)
    assert not [v for op, v in print_colours if op == "rg"], print_colours  # no RGB in print
    levels = {v[3] for op, v in print_colours if op == "scn" and len(v) == 4 and v[:3] == (0, 0, 0)}
    assert len(levels) >= 4, print_colours  # black, the code greys, the tint
    formulas = _page_with(printed, "Euler wrote")
    assert not [v for op, v in _fill_colours(printed, formulas) if op == "rg"]  # math on K


@pytest.mark.slow
def test_paged_editions_mark_wrapped_code_lines(built: Path) -> None:
    """The hook is an image in the gutter (no text): the long line wraps, nothing is cut."""
    import pypdf

    path = built / "book.pdf"
    number = _page_with(path, "a very long line of code")
    text = " ".join(_pdftotext(path, number).split())
    assert "far past it\";" in text and "println!" in text
    page = pypdf.PdfReader(path).pages[number - 1]
    resources = page["/Resources"]
    assert "/Pattern" in resources or "/XObject" in resources  # the repeated hook image


@pytest.mark.slow
def test_epub_has_mathml_highlighted_spans_and_references(built: Path) -> None:
    from lxml import etree

    with zipfile.ZipFile(built / "book.epub") as epub:
        names = epub.namelist()
        texts = {name: epub.read(name).decode("utf-8") for name in names
                 if name.endswith(".xhtml")}
        opf_name = next(name for name in names if name.endswith(".opf"))
        opf = epub.read(opf_name).decode("utf-8")
    formulas = [name for name, text in texts.items() if "Euler wrote" in text]
    assert len(formulas) == 1
    root = etree.fromstring(texts[formulas[0]].encode("utf-8"))
    maths = root.findall(".//{http://www.w3.org/1998/Math/MathML}math")
    assert len(maths) == 3
    assert re.search(r'href="[^"]*' + re.escape(Path(formulas[0]).name)
                     + r'"[^>]*properties="mathml"|properties="mathml"[^>]*href="[^"]*'
                     + re.escape(Path(formulas[0]).name), opf), opf
    listings = next(text for text in texts.values() if "Computing a square" in text)
    assert '<span class="kw">def</span>' in listings
    assert "<a aria-hidden" not in listings
    joined = "\n".join(texts.values())
    assert "Knuth, Donald E. 1984." in joined and "Knuth (1984)" in joined
    assert "\\frac" not in re.sub(r"<annotation[^>]*>.*?</annotation>", "", joined, flags=re.S)


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("java") is None,
                    reason="EPUBCheck needs Java: apt-get install openjdk-17-jre-headless")
def test_epub_with_math_and_code_passes_epubcheck(built: Path) -> None:
    from handbook_build.checks.epubcheck import run_epubcheck

    result = run_epubcheck(built / "book.epub")
    assert (result.fatals, result.errors) == (0, 0), [str(m) for m in result.messages]


@pytest.mark.slow
def test_a_character_no_font_has_is_reported_with_its_page(tmp_path: Path) -> None:
    """U+10FFFD (private use, plane 16): no installed face has it. The typesetting check of
    the reading PDF and the print preflight both name it and its page."""
    import json

    from handbook_build.checks.typeset_check import check_typesetting

    book = make_book(tmp_path / "src", {
        "one.md": "# One\n\nPlain words.\n",
        "two.md": "# Two\n\nA box here: \U0010fffd and words after it.\n",
    })
    out = tmp_path / "out"
    run = run_cli(build_args(book, out, ("pdf", "print")), timeout=600)
    assert run.exit_code == 0, run.output
    page = _page_with(out / "book.pdf", "A box here")
    found = check_typesetting(out / "book.pdf", "book.pdf", "screen", cheap=True)
    missing = [d for d in found.diagnostics if d.code == "glyph-missing"]
    assert missing and {d.page for d in missing} == {page}
    assert all(d.severity == "error" and "U+10FFFD" in d.message for d in missing)
    report = json.loads((out / "book-print-preflight.json").read_text(encoding="utf-8"))
    glyphs = next(check for check in report["checks"] if check["rule"] == "glyphs")
    assert glyphs["passed"] is False
    print_page = _page_with(out / "book-print.pdf", "A box here")
    assert [entry["character"] for entry in glyphs["figures"]["missing"]] == ["U+10FFFD"]
    assert all(entry["pages"] == [print_page] for entry in glyphs["figures"]["missing"])
    assert "preflight: U+10FFFD has no glyph" in run.output
