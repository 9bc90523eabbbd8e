"""Headings mangled by converters and wikis: glued to text, wrapped, or written setext-style;
``---`` thematic breaks rewritten so no reader takes them for YAML.
"""

from __future__ import annotations

import re

from handbook_build.model import Diagnostic
from handbook_build.sources.markdown_fix.scan import (
    ATX,
    ATX_STRICT,
    BLOCK_START,
    LIST_ITEM,
    UNDERLINE,
    blank,
    code_scan,
    is_atx,
)
from handbook_build.sources.markdown_fix.transforms import Fixed, chain, warning

# "...end of sentence.## Heading": two or more hashes right after text (one hash is too often
# "C# code" or "issue #1") and then a space and a title; after a letter or digit only when the
# title looks like one (capital letter or digit), so "F## sharp" stays text.
_GLUED = re.compile(r"(?m)^(?P<before>[^\n]*?(?:[^\s#\\&\w]|[^\W_](?=#+[ \t]+[^\W_a-z])))"
                    r"(?P<hashes>#{2,6})(?=[ \t]+[^\s#])")


def split_glued_headings(text: str, path: str) -> Fixed:
    """Make wiki-mangled ATX headings real headings again (prose only).

    * ``...end of sentence.## Heading``: the heading goes on a line of its own;
    * ``## Heading`` right after a paragraph line: a blank line before it, because pandoc reads
      a heading without one as more paragraph text;
    * ``## A heading that was`` / ``wrapped`` then a blank line: joined into one heading line.
    """
    result = chain(text, [lambda t: _split_mid_line(t, path),
                          lambda t: _separate_heading_lines(t, path)])
    return Fixed(result.text, result.diagnostics)


def _split_mid_line(text: str, path: str) -> Fixed:
    diagnostics: list[Diagnostic] = []
    pieces: list[str] = []
    pos = 0
    for match in _GLUED.finditer(code_scan(text).masked):
        before = match["before"]
        if ATX_STRICT.match(before) or before.lstrip().startswith("|"):
            continue  # a heading that contains "##", or a table row: nothing is glued
        cut = match.start("hashes")
        pieces.append(text[pos:cut].rstrip(" \t") + "\n\n")
        pos = cut
        diagnostics.append(warning(
            path, text.count("\n", 0, cut) + 1, "glued-heading",
            "heading glued to the end of the previous line; repaired",
            "fix the source: start the heading on a line of its own after a blank line",
            cut - text.rfind("\n", 0, cut)))
    pieces.append(text[pos:])
    return Fixed("".join(pieces), tuple(diagnostics))


def _separate_heading_lines(text: str, path: str) -> Fixed:
    lines = text.split("\n")
    scan = code_scan(text)
    masked, code = scan.masked.split("\n"), scan.code_lines
    out: list[str] = []
    diagnostics: list[Diagnostic] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        if index in code or not is_atx(masked[index]):
            out.append(line)
            index += 1
            continue
        previous = index - 1
        if (previous >= 0 and previous not in code and not blank(lines[previous])
                and not is_atx(masked[previous])):
            out.append("")
            diagnostics.append(warning(
                path, index + 1, "glued-heading",
                "heading glued to the previous line; repaired",
                "fix the source: put a blank line before the heading"))
        following = index + 1
        if _is_wrapped_heading(lines, masked, code, index):
            out.append(f"{line.rstrip()} {lines[following].strip()}")
            diagnostics.append(warning(
                path, index + 1, "wrapped-heading",
                "a heading was wrapped onto the next line; joined the two lines",
                "keep a heading on one line"))
            index += 2
            continue
        out.append(line)
        index += 1
    return Fixed("\n".join(out), tuple(diagnostics))


# A heading line this long followed by a short line looks hard-wrapped (the converter wrapped
# at about 72 columns); "## Summary" followed by a one-line paragraph is a paragraph.
WRAPPED_HEADING_MIN = 50
WRAPPED_TAIL_MAX = 40


def _is_wrapped_heading(lines: list[str], masked: list[str], code_lines: frozenset[int],
                        index: int) -> bool:
    """A long heading line followed by one short prose line and then a blank line."""
    following = index + 1
    if following >= len(lines) or following in code_lines or blank(lines[following]):
        return False
    if len(lines[index]) < WRAPPED_HEADING_MIN or len(lines[following]) > WRAPPED_TAIL_MAX:
        return False
    if following + 1 < len(lines) and not blank(lines[following + 1]):
        return False
    heading = masked[index].rstrip()
    if heading.endswith(("}", "#")) or ATX.fullmatch(heading) is None:
        return False
    nxt = masked[following]
    return not (is_atx(nxt) or LIST_ITEM.match(nxt) or BLOCK_START.match(nxt)
                or UNDERLINE.match(nxt) or nxt.startswith((" " * 4, "\t")))


# --------------------------------------------------------------------------------------------
# Setext headings and thematic breaks

_DASH_RULE = re.compile(r"^ {0,3}-{3,}[ \t]*$")
_TABLE_DASHES = re.compile(r"^[ \t]*-+(?:[ \t]+-+)+[ \t]*$")
THEMATIC_BREAK = "* * *"


def convert_setext_headings(text: str, path: str) -> Fixed:
    """Setext ``Title``/``===`` -> ``# Title`` (``---``: ``##``); ``---`` rules -> ``* * *``.

    Setext headings are converted so ``shift_headings`` sees every heading as ATX. A ``---``
    thematic break is rewritten as ``* * *`` so no reader can take a ``---`` line for the start
    of a YAML metadata block. ``path`` is unused: nothing here is a problem to report.
    """
    del path
    lines = text.split("\n")
    dropped: set[int] = set()
    scan = code_scan(text)
    masked, code = scan.masked.split("\n"), scan.code_lines
    # What each output line now is: pandoc starts a new block after a heading or a rule.
    kinds = ["blank" if blank(line) else "other" for line in lines]
    for index, line in enumerate(masked):
        if index in code:
            kinds[index] = "code"
            continue
        if is_atx(line):
            kinds[index] = "heading"
        if UNDERLINE.match(line) and _is_setext_title(lines, masked, kinds, index - 1):
            level = 1 if line.startswith("=") else 2
            lines[index - 1] = f"{'#' * level} {lines[index - 1].strip()}"
            # The underline becomes the blank line the heading needs, unless one follows anyway.
            following_blank = index + 1 >= len(lines) or blank(lines[index + 1])
            lines[index] = ""
            if following_blank:
                dropped.add(index)
            kinds[index - 1], kinds[index] = "heading", "blank"
        elif _DASH_RULE.match(line) and _starts_block(kinds, index) and not _opens_table(
                masked, index):
            lines[index] = THEMATIC_BREAK
            kinds[index] = "rule"
    return Fixed("\n".join(line for i, line in enumerate(lines) if i not in dropped), ())


def _starts_block(kinds: list[str], index: int) -> bool:
    return index == 0 or kinds[index - 1] in ("blank", "heading", "rule", "code")


def _is_setext_title(lines: list[str], masked: list[str], kinds: list[str], index: int) -> bool:
    """pandoc's rule: a single prose line that starts a block (blank line or start before it)."""
    if index < 0 or kinds[index] != "other":
        return False
    title = masked[index]
    if LIST_ITEM.match(title) or BLOCK_START.match(title) or title.startswith((" " * 4, "\t")):
        return False
    return _starts_block(kinds, index) and lines[index].strip() != ""


def _opens_table(masked: list[str], index: int) -> bool:
    """A dash line that opens a pandoc multiline table (a dash-groups row follows)."""
    for line in masked[index + 1:]:
        if blank(line):
            return False
        if _TABLE_DASHES.match(line):
            return True
    return False
