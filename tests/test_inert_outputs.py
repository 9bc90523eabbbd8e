"""What ships is inert everywhere (issue 11): the ``.md`` manuscript under *plain* pandoc, and
SVG images in the EPUB and the PDFs after the allow-list.

The manuscript test does what a reader of the shipped files would do: run the bundled pandoc
with its default Markdown reader on ``book.md``, to HTML and to LaTeX, and look for anything
active. The SVG tests build real editions and look inside them.
"""

from __future__ import annotations

import re
import subprocess
import zipfile
from pathlib import Path

import lxml.html
import pypandoc
import pytest
from lxml import etree

from bookmaker import build_args, make_book, png_bytes, run_cli

# LaTeX control sequences that read, write or run files (a literal backslash in pandoc's
# LaTeX is \textbackslash, which none of these patterns match).
LIVE_TEX = re.compile(r"\\(?:input|include|includeonly|openin|openout|read|write|write18|"
                      r"immediate|usepackage|RequirePackage|catcode|csname|directlua|special|"
                      r"verbatiminput|lstinputlisting)(?![A-Za-z])")
HOSTILE_CHAPTER = r"""# Evil

Intro paragraph.

```{=html}
<script>alert("block")</script>
<img src=x onerror="alert(1)">
```

```{=latex}
\input{/etc/passwd}
```

~~~ {=html5}
<script>alert(2)</script>
~~~

Inline `<script>alert(3)</script>`{=html} and `\input{/etc/passwd}`{=latex} and `x`{=tex}.

Raw TeX: \input{/etc/passwd} \include{/etc/passwd} \openin5=/etc/passwd \write18{ls}
\immediate\write18{id} \catcode`\^=7 \usepackage{x}

\begin{verbatim}
x
\end{verbatim}

Math $\input{/etc/passwd}$ and $$\include{/etc/shadow}$$.

[span]{onclick="alert(4)" style="background:url(file:///etc/passwd)"} and [s]{=html}.

## Heading {onmouseover="alert(5)" style="x:url(http://evil.example/a)"}

::: {onload="alert(6)" style="background: url(http://evil.example/)"}
div text
:::

[link](http://example.org){onclick="alert(7)"} ![A red dot](../images/red.png){onerror="alert(8)"}

`code`{onclick="alert(9)"}

``` {.python onclick="alert(10)"}
print()
```

<!-- a comment is fine -->

<div onclick="alert(11)">html div</div>

<style>body{background:url(http://evil.example/)}</style>

Footnote[^n].

[^n]: A note with `x`{=html}, \input{/etc/passwd} and <script>alert(12)</script>.

| a | b |
|---|---|
| \input{/etc/passwd} | `<script>`{=html} |

> ```{=html}
> <script>alert(13)</script>
> ```

- item

  ```{=latex}
  \input{/etc/passwd}
  ```

[js](javascript:alert(14)) and <javascript:alert(15)>

The end of the evil chapter.
"""


@pytest.fixture(scope="module")
def hostile_md(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    root = tmp_path_factory.mktemp("inert")
    # The image exists: a missing local image is an error now, and this book must build.
    book = make_book(root / "b", chapters={"evil.md": HOSTILE_CHAPTER},
                     images={"red.png": png_bytes()})
    out = root / "out"
    run = run_cli(build_args(book, out, ("md", "html")))
    assert run.exit_code == 0, run.output
    return out / "book.md", run.output


def _plain_pandoc(path: Path, to: str) -> str:
    return str(pypandoc.convert_file(str(path), to, format="markdown",
                                     extra_args=["--standalone"] if to == "latex" else []))


def test_plain_pandoc_html_of_the_manuscript_has_nothing_active(hostile_md: tuple[Path, str]
                                                                ) -> None:
    html = _plain_pandoc(hostile_md[0], "html")
    tree = lxml.html.document_fromstring(f"<html><body>{html}</body></html>")
    for element in tree.iter():
        if not isinstance(element.tag, str):
            continue
        assert element.tag not in ("script", "style", "iframe", "object", "embed", "svg",
                                   "math", "base", "link", "meta"), lxml.html.tostring(element)
        for name, value in element.attrib.items():
            assert not name.lower().startswith("on"), (element.tag, name, value)
            assert name.lower() != "style", (element.tag, name, value)
            if name in ("href", "src"):
                assert not value.lower().startswith(("javascript:", "file:", "data:")), value
    assert "The end of the evil chapter." in html
    assert "print" in html and "div text" in html  # nothing lost: shown, not run


def test_plain_pandoc_latex_of_the_manuscript_includes_no_file(hostile_md: tuple[Path, str]
                                                               ) -> None:
    latex = _plain_pandoc(hostile_md[0], "latex")
    body = latex[latex.index(r"\begin{document}"):]
    assert not LIVE_TEX.search(body), LIVE_TEX.findall(body)
    assert r"\(" not in body and r"\[" not in body  # no TeX math: its content is verbatim
    assert r"\textbackslash input" in body or r"\textbackslash{}input" in body  # shown


def test_each_neutralised_construct_is_reported_at_its_line(hostile_md: tuple[Path, str]
                                                            ) -> None:
    output = hostile_md[1]
    lines = HOSTILE_CHAPTER.split("\n")

    def line_of(text: str) -> int:
        return next(i for i, line in enumerate(lines, start=1) if text in line)

    expected = [
        (line_of("```{=html}"), r"raw html block shown as code"),
        (line_of("```{=latex}"), r"raw latex block shown as code"),
        (line_of("Inline `<script>"), r"raw attribute \{=html\} shown as text"),
        (line_of("Raw TeX:"), r"LaTeX command \\input shown as text"),
        (line_of("[span]{onclick"), r"attribute onclick= removed"),
        (line_of("[span]{onclick"), r"attribute style= removed"),
        (line_of("## Heading"), r"attribute onmouseover= removed"),
        (line_of("::: {onload"), r"attribute onload= removed"),
        (line_of("``` {.python"), r"attribute onclick= removed"),
    ]
    for line, message in expected:
        assert re.search(rf"evil\.md:{line}:\d+: warning: {message}", output), (line, message)


def test_ordinary_markdown_reads_the_same_in_our_editions(tmp_path: Path) -> None:
    """Escaping `$`, backslashes and attributes changes nothing a reader of the HTML sees."""
    text = ("# Money\n\nIt costs $5 and $10, in C:\\Users\\me or \\\\server.\n\n"
            "[Bonjour]{lang=fr .greeting} and `x = 1`{.python}.\n\n"
            "```python\nprint('$HOME \\\\input')\n```\n")
    book = make_book(tmp_path / "b", chapters={"money.md": text})
    run = run_cli(build_args(book, tmp_path / "out", ("md", "html")))
    assert run.exit_code == 0, run.output
    html = (tmp_path / "out" / "book.html").read_text()
    assert "It costs $5 and $10, in C:\\Users\\me or \\server." in html
    # Parsed, not matched: typography may wrap the capitalised word in <span class="nh">.
    greetings = lxml.html.document_fromstring(html).xpath(
        '//span[@class="greeting"][@lang="fr"]')
    assert [span.text_content() for span in greetings] == ["Bonjour"], html
    code = [pre.text_content() for pre in lxml.html.document_fromstring(html).iter("pre")]
    assert any("print('$HOME \\\\input')" in text for text in code), code  # highlighted
    plain = _plain_pandoc(tmp_path / "out" / "book.md", "html")
    assert "It costs $5 and $10, in C:\\Users\\me or \\server." in plain


# --- SVG in the EPUB and the PDFs ---------------------------------------------------------------

_SVG_HEAD = ('<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
             'width="120" height="60" viewBox="0 0 120 60">')
LEGITIMATE_SVG = (
    _SVG_HEAD + '<defs><linearGradient id="g" x1="0" x2="1"><stop offset="0" stop-color="#c00"/>'
    '<stop offset="1" stop-color="#00c"/></linearGradient><circle id="dot" r="4" fill="green"/>'
    '</defs><rect width="120" height="30" fill="url(#g)"/>'
    '<use href="#dot" x="10" y="45"/><use xlink:href="#dot" x="30" y="45"/>'
    '<text x="60" y="50" text-anchor="middle" font-size="9">Growth KX7Q</text></svg>'
)


def _hostile_svg(name: str, body: str) -> str:
    """An SVG with one attack and a caption: the caption in a PDF shows the image was drawn."""
    return (_SVG_HEAD + '<rect width="120" height="60" fill="#eee"/>' + body
            + f'<text x="4" y="56" font-size="7">{_caption(name)}</text></svg>')


def _caption(name: str) -> str:
    return "Kept" + name.removesuffix(".svg").replace("-", "").title()


# Each refers to the marker PNG in the book's own images folder, which the confined fetcher
# would serve: only the allow-list keeps it out of the PDFs.
HOSTILE_SVGS = {
    "fill.svg": '<rect width="50" height="50" fill="url(marker.png)"/>',
    "filter.svg": '<filter id="f"><feImage href="marker.png"/></filter>'
                  '<rect width="50" height="50" filter="url(#f)"/>',
    "image.svg": '<image href="marker.png" width="37" height="23"/>',
    "xlink.svg": '<image xlink:href="marker.png" width="37" height="23"/>',
    "http.svg": '<rect width="9" height="9" fill="url(http://example.com/p.svg#p)"/>'
                '<rect mask="url(http://example.com/m.svg#m)" clip-path="url(file:///etc/x#c)"/>',
    "style-attr.svg": '<rect width="50" height="50" style="fill: \\75 rl(marker.png)"/>',
    "style-element.svg": "<style>@import url(http://example.com/x.css); rect { fill: "
                         "u\\72 l(http://example.com/p.svg#p) }</style>"
                         "<rect width='5' height='5'/>",
    "script.svg": '<script>alert(1)</script><rect onclick="alert(2)" width="5" height="5"/>'
                  '<foreignObject><iframe xmlns="http://www.w3.org/1999/xhtml" '
                  'src="http://example.com"/></foreignObject>',
}


@pytest.fixture(scope="module")
def svg_book(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    import io

    from PIL import Image

    root = tmp_path_factory.mktemp("svg")
    marker = io.BytesIO()
    Image.new("RGB", (37, 23), (0, 255, 0)).save(marker, "PNG")
    images = {name: _hostile_svg(name, body) for name, body in HOSTILE_SVGS.items()}
    images["good.svg"] = LEGITIMATE_SVG
    text = "# Figures\n\n" + "\n\n".join(f"![{name}](../images/{name})" for name in images) + "\n"
    book = make_book(root / "b", chapters={"figures.md": text},
                     images={**images, "marker.png": marker.getvalue()})
    out = root / "out"
    run = run_cli(build_args(book, out, ("md", "epub", "pdf", "print")), timeout=240)
    assert run.exit_code == 0, run.output
    return out, run.output


def test_no_svg_reference_reaches_the_fetcher(svg_book: tuple[Path, str]) -> None:
    assert "refused to fetch" not in svg_book[1], svg_book[1]
    assert "image refused" not in svg_book[1], svg_book[1]  # cleaned and used, not dropped
    for name in HOSTILE_SVGS:  # the author is told what will not show
        assert re.search(rf"figures\.md:\d+:1: warning: image \.\./images/{re.escape(name)}: "
                         r"removed .*\[svg-cleaned\]", svg_book[1]), (name, svg_book[1])
    assert "images/good.svg: removed" not in svg_book[1]


def test_the_epub_packages_only_cleaned_svg(svg_book: tuple[Path, str]) -> None:
    with zipfile.ZipFile(svg_book[0] / "book.epub") as archive:
        svgs = {Path(n).name: archive.read(n) for n in archive.namelist() if n.endswith(".svg")}
        pngs = [n for n in archive.namelist() if n.endswith(".png") and "cover" not in n]
    assert set(svgs) == {*HOSTILE_SVGS, "good.svg"}
    assert pngs == []  # the marker was never used by anything
    for name, data in svgs.items():
        without_ns = re.sub(rb'xmlns(?::\w+)?="[^"]*"', b"", data)
        assert not re.search(rb"marker|https?:|file:|@import|\\|<script|<iframe|onclick|"
                             rb"foreignObject", without_ns), (name, data)
    canonical = etree.tostring(etree.fromstring(LEGITIMATE_SVG.encode()), method="c14n")
    assert etree.tostring(etree.fromstring(svgs["good.svg"]), method="c14n") == canonical


@pytest.mark.parametrize("name", ["book.pdf", "book-print.pdf"])
def test_the_pdfs_draw_the_legitimate_svg_and_nothing_it_did_not_hold(
        svg_book: tuple[Path, str], name: str) -> None:
    pdf = svg_book[0] / name
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "Growth KX7Q" in text  # the good SVG's text is drawn
    for svg in HOSTILE_SVGS:  # and every hostile one, cleaned (not a placeholder)
        assert _caption(svg) in text, (svg, text)
    listing = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True, text=True,
                             check=True).stdout
    sizes = {tuple(line.split()[3:5]) for line in listing.splitlines()[2:] if line.strip()}
    assert ("37", "23") not in sizes, listing  # the marker PNG was never embedded
