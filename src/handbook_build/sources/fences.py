"""Code fence info strings from any Markdown dialect, rewritten into one pandoc reads as code.

pandoc's ``markdown`` accepts only ```` ```lang ````, ```` ```{.lang key="v"} ```` and
```` ```lang {attrs} ```` after a fence. Anything else (Quarto's ```` ```{python} ````,
R Markdown's ```` ```{r, echo=FALSE} ````, mdBook's ```` ```rust,ignore ````, MkDocs'
```` ```python title="x.py" ````, MyST's ```` ```{note} ````) makes pandoc read the fence as an
inline code span running across paragraphs, and a ``# comment`` inside it as a heading: text
glued together, or a chapter split in two. Every fence whose info string pandoc would not take
is rewritten to its language alone (the first word); the other attributes are dropped. The cell
options at the top of an executable cell (Quarto's ``#| echo: false``, MyST's ``:tags: [...]``)
are read by the notebook tools, not by readers, and are dropped with them.

Only fences the rest of the pipeline sees as code blocks (``markdown_scan.split_code``) are
touched, so this step and the heading transforms agree on what is code.
"""

from __future__ import annotations

import re

from handbook_build.sources.markdown_fix import Fixed
from handbook_build.sources.markdown_scan import split_code

__all__ = ["fence_language", "normalize_fences"]

_OPENING = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>[^\n]*)$")
# What pandoc takes as it is: a bare language, or an attribute block with an optional language
# before it. Attribute items: .class, #id, key=value, key="a value".
_ITEM = r'(?:[.#][^\s{}"]+|[\w-]+=(?:"[^"\n]*"|[^\s{}"]+))'
_PANDOC_INFO = re.compile(
    rf"^[ \t]*(?:[\w+#-]+)?[ \t]*(?:\{{[ \t]*(?:{_ITEM}[ \t]*)+\}})?[ \t]*$")
_LANGUAGE = re.compile(r"[A-Za-z0-9_+#-]+")
# A raw block (```{=html}): pandoc syntax, left for markdown_inert.py, which shows it as code and
# says so at its line.
_RAW_ATTRIBUTE = re.compile(r"^[ \t]*\{[ \t]*=[\w-]+[ \t]*\}[ \t]*$")
# MyST directives that are code blocks; their argument is the language.
_CODE_DIRECTIVES = frozenset({"code-cell", "code-block", "code", "sourcecode"})
# Cell options: Quarto's "#| key: value" in the cell's own comment syntax, MyST's ":key: value".
_CELL_OPTION = re.compile(r"^[ \t]*(?:(?:#|//|--|%)\|.*|:[\w-]+:.*)$")


def fence_language(info: str) -> str:
    """The language of a fence info string: its first word, braces, dots and commas aside.

    ``{python}`` -> python, ``{r, echo=FALSE}`` -> r, ``python title="x.py"`` -> python,
    ``rust,ignore`` -> rust, ``{code-cell} ipython3`` -> ipython3, ``{note}`` -> note.
    """
    words = re.split(r"[\s,{}]+", info.strip())
    words = [word.lstrip(".") for word in words if word and "=" not in word]
    if len(words) >= 2 and words[0] in _CODE_DIRECTIVES:
        words = words[1:]
    if not words:
        return ""
    match = _LANGUAGE.match(words[0])
    return match.group(0) if match else ""


def normalize_fences(text: str, path: str) -> Fixed:
    """Every fenced code block with an info string pandoc would refuse, made readable to it."""
    del path  # nothing here is a mistake worth a warning: every dialect's fences are accepted
    pieces: list[str] = []
    for segment in split_code(text):
        pieces.append(_normalized_block(segment.text) if segment.is_code else segment.text)
    return Fixed("".join(pieces))


def _normalized_block(block: str) -> str:
    first, newline, body = block.partition("\n")
    opening = _OPENING.match(first.rstrip("\r"))
    if opening is None or not newline or _PANDOC_INFO.match(opening["info"]) \
            or _RAW_ATTRIBUTE.match(opening["info"]):
        return block  # inline code, indented code, a fence pandoc already reads, a raw block
    info = opening["info"]
    language = fence_language(info)
    cell = info.lstrip().startswith("{")
    if cell:
        body = _without_cell_options(body)
    return f"{opening['indent']}{opening['fence']}{language}\n{body}"


def _without_cell_options(body: str) -> str:
    """The cell's body without the option lines at its top (they configure, never show)."""
    lines = body.split("\n")
    start = 0
    while start < len(lines) - 1 and _CELL_OPTION.match(lines[start]):
        start += 1
    if start and lines[start:start + 1] == [""] and start < len(lines) - 1:
        start += 1  # MyST puts a blank line after its options
    return "\n".join(lines[start:])
