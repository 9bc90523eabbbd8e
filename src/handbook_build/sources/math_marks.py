"""TeX math in a chapter, rewritten as code spans of class ``math``: inert in ``<stem>.md``.

Books write math as ``$...$`` and ``$$...$$`` (pandoc, Quarto, MyST's dollarmath, GitHub),
``\\(...\\)`` and ``\\[...\\]``, MyST's ```` ```{math} ```` directive and ``{math}`x`` role,
GitHub's ```` ```math ```` fence, and bare ``\\begin{align}...\\end{align}`` environments
(MyST's amsmath). Our reader has ``$`` math off on purpose (prices and shell prompts are not
math) and markdown_inert escapes ``$`` and TeX commands in prose, because plain pandoc writing
LaTeX passes math through to TeX verbatim. So each formula found here becomes inline code:
`` `\\frac{a}{b}`{.math .inline} `` or `` `...`{#eq-x .math .display} ``. Plain pandoc shows it as
code (inert); our pandoc run turns it back into math (``data/math.lua``) and writes MathML.

The rules for ``$`` are pandoc's (the opening ``$`` has a non-space character right after it,
the closing one a non-space character right before it and no digit right after it), plus one:
the next unescaped ``$`` must be the closing one, so "$5 and $10 and $x$" is text, then math.
A formula never crosses a blank line, a code span or a link target.
Formulas are joined onto one line (a continuation line starting with ``-`` must not become a
list item); TeX ``%`` comments are dropped first, since they would swallow the joined rest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from handbook_build.sources.markdown_fix import Fixed
from handbook_build.sources.markdown_scan import find_inline_links, split_code

__all__ = ["MATH_CLASS", "mark_math", "math_code_span"]

MATH_CLASS = "math"
_MATH_FENCE = re.compile(
    r"^(?P<fence>`{3,}|~{3,})[ \t]*(?:\{math\}|math)[ \t]*(?P<argument>[^\n`]*)\n"
    r"(?P<body>(?:.*\n)*?)(?P=fence)[`~]*[ \t]*\n?$")
_OPTION = re.compile(r"^[ \t]*:(?P<key>[\w-]+):[ \t]*(?P<value>.*)$")
_ROLE = re.compile(r"\{math\}$")
_LABEL = re.compile(r"[ \t]*\{#(?P<id>[A-Za-z][\w:.-]*)\}")
_BLANK_LINE = re.compile(r"\n[ \t>]*\n")
_COMMENT = re.compile(r"(?<!\\)%[^\n]*")
_QUOTE_PREFIX = re.compile(r"^[ \t]*(?:>[ \t]?)+")
_ENVIRONMENT = re.compile(
    r"(?m)^[ \t]*\\begin\{(?P<env>equation|align|gather|multline|eqnarray|alignat|flalign)"
    r"(?P<star>\*?)\}")
_TAG_OR_AUTOLINK = re.compile(r"<(?:[A-Za-z/!?][^<>]*|[A-Za-z][A-Za-z0-9+.-]*:[^<>\s]*)>")
_IDENTIFIER = re.compile(r"[^\w:.-]")


@dataclass(frozen=True, slots=True)
class _Formula:
    start: int
    end: int
    tex: str
    display: bool
    ident: str = ""


def math_code_span(tex: str, display: bool, ident: str = "", quoted: bool = False) -> str:
    """The inert code span our pandoc run reads as a formula."""
    tex = _one_line(tex, quoted)
    longest = max((len(run) for run in re.findall(r"`+", tex)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if tex.startswith("`") or tex.endswith("`") else ""
    label = f"#{ident} " if ident else ""
    kind = "display" if display else "inline"
    return f"{fence}{pad}{tex}{pad}{fence}{{{label}.{MATH_CLASS} .{kind}}}"


def _one_line(tex: str, quoted: bool) -> str:
    lines = _COMMENT.sub("", tex).split("\n")
    if quoted:
        lines = [lines[0], *(_QUOTE_PREFIX.sub("", line) for line in lines[1:])]
    return " ".join(part.strip() for part in lines if part.strip())


def mark_math(text: str, path: str) -> Fixed:
    """Every formula of the chapter as a ``math`` code span; everything else as it was."""
    del path  # every form is accepted; a formula TeX cannot parse is reported after pandoc
    if "$" not in text and "\\" not in text and "math" not in text:
        return Fixed(text)
    segments = split_code(text)
    out: list[str] = []
    for segment in segments:
        if segment.is_code:
            previous = out[-1] if out else ""
            if not segment.text.startswith(("```", "~~~")) and _ROLE.search(previous) \
                    and "\n" not in segment.text.strip():
                out[-1] = _ROLE.sub("", previous)  # MyST {math}`x`: the role and its code span
                out.append(math_code_span(segment.text.strip("`").strip(), display=False))
                continue
            out.append(_math_fence(segment.text))
            continue
        out.append(_prose(segment.text))
    return Fixed("".join(out))


def _math_fence(block: str) -> str:
    """```` ```{math} ```` / ```` ```math ````: display formulas, one per blank-line group."""
    match = _MATH_FENCE.match(block)
    if match is None:
        return block
    ident = ""
    lines = match["body"].split("\n")
    while lines and _OPTION.match(lines[0]):
        option = _OPTION.match(lines[0])
        if option is not None and option["key"] in ("label", "name"):
            ident = _IDENTIFIER.sub("-", option["value"].strip())
        lines = lines[1:]
    groups = [group for group in re.split(r"\n[ \t]*\n", "\n".join(lines)) if group.strip()]
    argument = match["argument"].strip()
    if argument and not argument.startswith("{"):
        groups.insert(0, argument)  # MyST: ```{math} E = mc^2 on the directive line
    spans = [math_code_span(group, display=True, ident=ident if i == 0 else "")
             for i, group in enumerate(groups)]
    trailing = "\n" if block.endswith("\n") else ""
    return "\n\n".join(spans) + trailing


def _protected(text: str) -> list[tuple[int, int]]:
    """Raw tags, autolinks and link destinations: no math there."""
    spans = [(m.start(), m.end()) for m in _TAG_OR_AUTOLINK.finditer(text)]
    stack = find_inline_links(text)
    while stack:
        link = stack.pop()
        spans.append((link.dest_start, link.dest_end))
        stack.extend(find_inline_links(text, link.text_start, link.text_end))
    return sorted(spans)


def _prose(text: str) -> str:
    if "$" not in text and "\\" not in text:
        return text
    protected = _protected(text)
    formulas = _find_formulas(text, protected)
    if not formulas:
        return text
    pieces: list[str] = []
    position = 0
    for formula in formulas:
        line_start = text.rfind("\n", 0, formula.start) + 1
        quoted = text[line_start:formula.start].lstrip().startswith(">")
        pieces += [text[position:formula.start],
                   math_code_span(formula.tex, formula.display, formula.ident, quoted)]
        position = formula.end
    pieces.append(text[position:])
    return "".join(pieces)


def _escaped(text: str, index: int) -> bool:
    backslashes = 0
    while index - backslashes - 1 >= 0 and text[index - backslashes - 1] == "\\":
        backslashes += 1
    return backslashes % 2 == 1


def _inside(protected: list[tuple[int, int]], index: int) -> int | None:
    for start, end in protected:
        if start <= index < end:
            return end
        if start > index:
            break
    return None


def _find_formulas(text: str, protected: list[tuple[int, int]]) -> list[_Formula]:
    found: list[_Formula] = []
    index = 0
    length = len(text)
    while index < length:
        char = text[index]
        if char not in "$\\":
            index += 1
            continue
        skip = _inside(protected, index)
        if skip is not None:
            index = skip
            continue
        formula = _formula_at(text, index)
        if formula is None:
            index += 2 if char == "\\" else 1  # an escape pair stays whole
            continue
        label = _LABEL.match(text, formula.end) if formula.display else None
        if label is not None:
            formula = _Formula(formula.start, label.end(), formula.tex, True, label["id"])
        found.append(formula)
        index = formula.end
    return found


def _formula_at(text: str, index: int) -> _Formula | None:
    if text[index] == "\\":
        if _escaped(text, index):
            return None
        following = text[index + 1:index + 2]
        if following in ("(", "["):
            closer = "\\)" if following == "(" else "\\]"
            return _delimited(text, index, 2, closer, following == "[")
        if following == "b":
            return _environment(text, index)
        return None
    if _escaped(text, index):
        return None
    if text.startswith("$$", index):
        return _delimited(text, index, 2, "$$", True)
    return _single_dollar(text, index)


def _delimited(text: str, index: int, width: int, closer: str, display: bool) -> _Formula | None:
    search = index + width
    while True:
        close = text.find(closer, search)
        if close < 0:
            return None
        if _escaped(text, close) and closer.startswith("$"):
            search = close + 1
            continue
        body = text[index + width:close]
        if not body.strip() or _BLANK_LINE.search(body):
            return None
        return _Formula(index, close + len(closer), body.strip(), display)


def _single_dollar(text: str, index: int) -> _Formula | None:
    """pandoc's ``tex_math_dollars``: no space inside either ``$``, no digit after the last."""
    following = text[index + 1:index + 2]
    if not following or following.isspace() or following == "$":
        return None
    search = index + 1
    while True:
        close = text.find("$", search)
        if close < 0:
            return None
        if _escaped(text, close):
            search = close + 1
            continue
        body = text[index + 1:close]
        # Stricter than pandoc, for prose: the next unescaped $ must close the formula, so
        # "$5 and $10" is never math (pandoc reads on to a later "$" if one qualifies).
        if _BLANK_LINE.search(body) or text[close - 1].isspace():
            return None
        if text[close + 1:close + 2].isdigit():
            return None
        return _Formula(index, close + 1, body, False)


def _environment(text: str, index: int) -> _Formula | None:
    """A bare ``\\begin{align}...\\end{align}`` at the start of a line: display math."""
    line_start = text.rfind("\n", 0, index) + 1
    if text[line_start:index].strip(" \t>"):
        return None
    match = _ENVIRONMENT.match(text, line_start)
    if match is None or match.start("env") - len("\\begin{") != index:
        return None
    end_marker = f"\\end{{{match['env']}{match['star']}}}"
    close = text.find(end_marker, match.end())
    if close < 0 or _BLANK_LINE.search(text, match.end(), close):
        return None
    end = close + len(end_marker)
    return _Formula(index, end, text[index:end], True)
