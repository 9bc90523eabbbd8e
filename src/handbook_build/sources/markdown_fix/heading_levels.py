"""Heading levels and ids: a chapter's headings shifted under its title, each with an id
``slug--local`` that links to ``chapter.md#local`` can be mapped to.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from handbook_build.model import Diagnostic
from handbook_build.sources.markdown_fix.identifiers import (
    UNDERSCORE_EMPHASIS,
    pandoc_identifier,
    unique_identifier,
)
from handbook_build.sources.markdown_fix.scan import ATX, blank, code_scan, is_atx
from handbook_build.sources.markdown_fix.transforms import Fixed, warning
from handbook_build.sources.markdown_scan import is_escaped

# pandoc's attribute block at the end of a heading: {#id .class key=value key="a value"}
_ATTRIBUTE_ITEM_PATTERN = r"#[^\s{}]+|\.[^\s{}]+|[\w-]+=(?:\"[^\"]*\"|[^\s{}\"]+)"
_ATTRIBUTES = re.compile(
    rf"[ \t]*\{{(?P<body>[ \t]*(?:(?:{_ATTRIBUTE_ITEM_PATTERN})[ \t]*)+)\}}[ \t]*$")
_ATTRIBUTE_ITEM = re.compile(_ATTRIBUTE_ITEM_PATTERN)
_CLOSING_HASHES = re.compile(r"(?:^|[ \t]+)#+[ \t]*$")
MAX_LEVEL = 6


@dataclass(frozen=True, slots=True)
class _Heading:
    index: int  # 0-based line
    level: int
    text: str  # the title as written, without closing hashes and attributes
    ident: str | None  # an explicit {#id}
    others: tuple[str, ...]  # other attribute items, kept as written


def _parse_heading(line: str, index: int) -> _Heading | None:
    match = ATX.match(line)
    if match is None:
        return None
    rest = match["rest"] or ""
    ident: str | None = None
    others: list[str] = []
    attributes = _ATTRIBUTES.search(rest)
    if attributes:
        rest = rest[:attributes.start()]
        for item in _ATTRIBUTE_ITEM.findall(attributes["body"]):
            if item.startswith("#") and ident is None:
                ident = item[1:]
            elif not item.startswith("#"):
                others.append(item)
    rest = _CLOSING_HASHES.sub("", rest) if not rest.endswith("\\#") else rest
    return _Heading(index, len(match["hashes"]), rest.strip(), ident, tuple(others))


def _find_headings(text: str) -> list[_Heading]:
    """ATX headings pandoc reads as headings: in prose, at a block start, not indented."""
    lines = text.split("\n")
    scan = code_scan(text)
    masked, code = scan.masked.split("\n"), scan.code_lines
    headings: list[_Heading] = []
    for index, line in enumerate(masked):
        if index in code or not is_atx(line):
            continue
        previous = index - 1
        if previous >= 0 and previous not in code and not blank(lines[previous]) and not (
                is_atx(masked[previous])):
            continue  # pandoc reads it as paragraph text (split_glued_headings fixes these)
        heading = _parse_heading(lines[index], index)
        if heading is not None:
            headings.append(heading)
    return headings


def _plain_title(markdown: str) -> str:
    return " ".join(pandoc_identifier(markdown).replace("-", " ").split())


def shift_headings(text: str, path: str, slug: str, title: str) -> Fixed:
    """Shift the chapter's headings so its highest is ``##``; give each the id ``slug--local``.

    ``local`` is the id pandoc would give the heading in the chapter on its own (explicit
    ``{#id}`` kept), numbered ``-1``, ``-2`` on repeats as pandoc does, so a link to
    ``chapter.md#local`` can become ``#slug--local``. A first heading that repeats the chapter
    title (the assembled book prints the title itself) is dropped. Levels past 6 are clamped.
    """
    lines = text.split("\n")
    headings = _find_headings(text)
    diagnostics: list[Diagnostic] = []
    dropped: int | None = None
    if headings and _is_duplicate_title(lines, headings[0], title):
        dropped = headings.pop(0).index
    if not headings:
        return Fixed(_drop_line(lines, dropped), ())
    shift = 2 - min(heading.level for heading in headings)
    used: set[str] = set()
    previous_level = 1  # the chapter title
    for heading in headings:
        level = heading.level + shift
        line = heading.index + 1
        if level > MAX_LEVEL:
            diagnostics.append(warning(
                path, line, "heading-too-deep",
                f"heading level {level} does not exist; made it level {MAX_LEVEL}",
                "use fewer levels of headings"))
            level = MAX_LEVEL
        if level > previous_level + 1:
            diagnostics.append(warning(
                path, line, "heading-jump",
                f"heading jumps from level {previous_level} to level {level}",
                "do not skip heading levels (screen readers and the EPUB outline need them)"))
        previous_level = level
        lines[heading.index] = _render_heading(heading, level, slug, used, path, diagnostics)
    return Fixed(_drop_line(lines, dropped), tuple(diagnostics))


def _is_duplicate_title(lines: list[str], heading: _Heading, title: str) -> bool:
    if any(not blank(line) for line in lines[:heading.index]):
        return False
    return _plain_title(heading.text) == _plain_title(title)


def _drop_line(lines: list[str], index: int | None) -> str:
    if index is None:
        return "\n".join(lines)
    return "\n".join(lines[:index] + lines[index + 1:])


def _render_heading(heading: _Heading, level: int, slug: str, used: set[str], path: str,
                    diagnostics: list[Diagnostic]) -> str:
    if heading.ident is not None:
        local = heading.ident
        if local in used:
            diagnostics.append(warning(
                path, heading.index + 1, "duplicate-id",
                f"the id #{local} is used twice in this chapter; numbered this one",
                "give each heading its own {#id}"))
            local = unique_identifier(local, used)
        used.add(local)
    else:
        local = unique_identifier(pandoc_identifier(heading.text, f"{slug}--"), used)
    attributes = " ".join((f"#{slug}--{local}", *heading.others))
    text = _escape_literal_delimiters(heading.text)
    title = f" {text}" if text else ""
    return f"{'#' * level}{title} {{{attributes}}}"


# Parts of a heading where `_` and `*` are not emphasis delimiters: code, link targets,
# autolinks and HTML tags.
_NOT_INLINE_TEXT = re.compile(r"`+[^`]*`+|\]\((?:[^()]|\([^()]*\))*\)|<[^<>\n]*>")
_STAR_EMPHASIS = re.compile(
    r"(?<![\\*])(\*{1,3})(?=[^\s*])(?P<body>.+?)(?<=[^\s\\*])\1(?!\*)")
_LITERAL_DELIMITER = re.compile(r"(?<!\\)[_*]+")
_BLANKED = "\ue001"


def _escape_literal_delimiters(text: str) -> str:
    """Escape every ``_``/``*`` of ``text`` that is not an emphasis delimiter with a partner.

    pandoc reads such a character as itself, but while looking for a closer it can also
    swallow the ``{#id}`` block after it (``## _x {#a}`` and ``## 1__1 {#a}`` give headings
    whose text ends in ``{#a}``, with an id made from that text). ``\\_`` reads as ``_``.
    """
    work = _NOT_INLINE_TEXT.sub(lambda m: _BLANKED * len(m.group()), text)
    previous = None
    while previous != work:  # blank out matched emphasis delimiters, innermost first
        previous = work
        for pattern in (UNDERSCORE_EMPHASIS, _STAR_EMPHASIS):
            work = pattern.sub(
                lambda m: _BLANKED * len(m.group(1)) + m["body"] + _BLANKED * len(m.group(1)),
                work)
    stray = [m.span() for m in _LITERAL_DELIMITER.finditer(work)
             if not is_escaped(text, m.start())]
    for start, end in reversed(stray):
        text = text[:start] + "".join(f"\\{char}" for char in text[start:end]) + text[end:]
    return text
