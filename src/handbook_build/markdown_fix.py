"""Sources stage, text half: pure transforms of one chapter's Markdown (no I/O).

``sources.read_book`` runs these on every chapter, in this order::

    clean_characters -> split_glued_headings -> convert_setext_headings
    -> inline_reference_links -> (images, links: other modules) -> relabel_footnotes
    -> shift_headings -> close_open_blocks

Each transform returns the new text and ``Diagnostic`` warnings whose line numbers are lines of
the text it was *given*; ``line_origins`` maps lines of a transform's output back to its input so
the caller can report every warning against the file as written.

Everything here is code-aware: Markdown shown inside code blocks or code spans is an example and
is never rewritten (``markdown_scan.split_code`` finds it, ``_scan`` hides it from the regular
expressions). The one exception is control characters, which are removed everywhere: they are
never meant as content and render as missing-glyph boxes even inside code.

The reader the output is written for is pandoc's ``markdown`` (see ``assemble``); every rewrite
is chosen so pandoc reads the result the way these functions assume, e.g. an ATX heading always
gets a blank line before it, because pandoc reads ``text\\n## Heading`` as one paragraph.
"""

from __future__ import annotations

import difflib
import html
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

from handbook_build.markdown_scan import matching_bracket, split_code
from handbook_build.model import Diagnostic

__all__ = [
    "THEMATIC_BREAK",
    "Chained",
    "Fixed",
    "chain",
    "clean_characters",
    "close_open_blocks",
    "compose_origins",
    "convert_setext_headings",
    "identity_origins",
    "inline_reference_links",
    "line_origins",
    "pandoc_identifier",
    "relabel_footnotes",
    "remap_line",
    "shift_headings",
    "split_glued_headings",
    "unique_identifier",
]


@dataclass(frozen=True, slots=True)
class Fixed:
    """The result of one transform: the new text and what was found on the way."""

    text: str
    diagnostics: tuple[Diagnostic, ...] = ()


def _warning(path: str, line: int, code: str, message: str, hint: str = "",
             column: int | None = None) -> Diagnostic:
    return Diagnostic(path, line, message, hint, "warning", code, column)


# --------------------------------------------------------------------------------------------
# Line bookkeeping


def line_origins(before: str, after: str) -> tuple[int, ...]:
    """For each line of ``after``, the 1-based line of ``before`` it comes from.

    Transforms that keep the line count map line to line; others are matched with difflib (lines
    that were inserted are attributed to the line before them, replaced ones to the first line
    of what they replace). Works for transforms written elsewhere too (images, links).
    """
    old, new = before.split("\n"), after.split("\n")
    if len(old) == len(new):
        return tuple(range(1, len(new) + 1))
    # Only the changed middle needs matching: difflib is quadratic, and a chapter of 10,000
    # footnotes whose definitions move would take seconds. Same-line prefix and suffix are free.
    head = 0
    while head < min(len(old), len(new)) and old[head] == new[head]:
        head += 1
    tail = 0
    while (tail < min(len(old), len(new)) - head
           and old[len(old) - 1 - tail] == new[len(new) - 1 - tail]):
        tail += 1
    origins = list(range(1, head + 1))
    middle_old, middle_new = old[head:len(old) - tail], new[head:len(new) - tail]
    if middle_old:
        origins += [head + line for line in _match_lines(middle_old, middle_new)]
    else:  # pure insertion: the new lines belong to the line before them
        origins += [max(head, 1)] * len(middle_new)
    origins += [len(old) - tail + offset + 1 for offset in range(tail)]
    return tuple(origins)


_DIFF_LIMIT = 4000  # lines; beyond it, proportional mapping (approximate, but linear)


def _match_lines(old: list[str], new: list[str]) -> list[int]:
    """1-based lines of ``old`` for each line of ``new`` (relative to the changed region)."""
    if not new:
        return []
    if len(old) * len(new) > _DIFF_LIMIT * _DIFF_LIMIT // 4:
        return [1 + (j * len(old)) // len(new) for j in range(len(new))]
    origins = [1] * len(new)
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        for j in range(j1, j2):
            if tag == "equal":
                origins[j] = i1 + (j - j1) + 1
            elif tag == "replace":
                origins[j] = i1 + min(j - j1, i2 - i1 - 1) + 1
            else:  # inserted lines belong to the line before them
                origins[j] = max(i1, 1)
    return origins


def compose_origins(first: Sequence[int], second: Sequence[int]) -> tuple[int, ...]:
    """Origins through two transforms: ``second`` maps into ``first``'s output."""
    last = len(first)
    return tuple(first[min(max(line, 1), last) - 1] for line in second)


def remap_line(diagnostic: Diagnostic, origins: Sequence[int]) -> Diagnostic:
    """``diagnostic`` with its line (a line of some transform's input) moved to ``origins``."""
    if diagnostic.line is None or not origins:
        return diagnostic
    line = origins[min(max(diagnostic.line, 1), len(origins)) - 1]
    return replace(diagnostic, line=line)


def identity_origins(text: str) -> tuple[int, ...]:
    return tuple(range(1, text.count("\n") + 2))


@dataclass(frozen=True, slots=True)
class Chained:
    """The result of ``chain``: final text, diagnostics on input lines, output->input lines."""

    text: str
    diagnostics: tuple[Diagnostic, ...]
    origins: tuple[int, ...]


def chain(text: str, transforms: Iterable[Callable[[str], Fixed]],
          origins: Sequence[int] | None = None) -> Chained:
    """Run ``transforms`` in order, reporting every diagnostic against the lines of ``text``.

    ``origins`` (lines of ``text`` -> lines of an earlier text) lets chains be continued.
    """
    current = tuple(origins) if origins is not None else identity_origins(text)
    found: list[Diagnostic] = []
    for transform in transforms:
        result = transform(text)
        found.extend(remap_line(d, current) for d in result.diagnostics)
        current = compose_origins(current, line_origins(text, result.text))
        text = result.text
    return Chained(text, tuple(found), current)


# --------------------------------------------------------------------------------------------
# Characters

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def clean_characters(text: str, path: str) -> Fixed:
    """Strip a BOM, make every line end ``\\n`` and drop C0/C1 control characters (not tab).

    A lone ``\\r`` counts as a line end, as it does in editors, so line numbers stay those of
    the file as the author sees it.
    """
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    diagnostics: list[Diagnostic] = []
    lines = text.split("\n")
    for index, line in enumerate(lines):
        found = _CONTROL.findall(line)
        if not found:
            continue
        names = ", ".join(sorted({f"U+{ord(char):04X}" for char in found}))
        first = _CONTROL.search(line)
        column = first.start() + 1 if first else None
        diagnostics.append(_warning(
            path, index + 1, "control-character",
            f"removed {len(found)} control character(s) ({names})",
            "they are invisible in editors and print as missing-glyph boxes", column))
        lines[index] = _CONTROL.sub("", line)
    return Fixed("\n".join(lines), tuple(diagnostics))


# --------------------------------------------------------------------------------------------
# Shared line classification

_ATX = re.compile(r"^(?P<hashes>#{1,6})(?:[ \t]+(?P<rest>.*?))?[ \t]*$")
_ATX_STRICT = re.compile(r"^#{1,6}(?:[ \t]|$)")
_LIST_ITEM = re.compile(r"^[ \t]*(?:[-+*]|\d{1,9}[.)]|#\.)(?:[ \t]|$)")
# Lines that open some other block: quote, table, HTML, reference or note definition, rule.
_BLOCK_START = re.compile(r"^[ \t]*(?:[>|<]|\[\^?[^\]]*\]:)|^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")


def _blank(line: str) -> bool:
    return not line.strip()


_FENCE_LINE = re.compile(r"^[ \t]*(?:`{3,}[^`\n]*|~{3,}[^\n]*)$")


@dataclass(frozen=True, slots=True)
class _Scan:
    """One code-aware look at a text: code masked out, and which lines are code blocks."""

    masked: str  # the text with code characters (not newlines) replaced, same offsets
    code_lines: frozenset[int]  # 0-based lines inside fenced or indented code blocks


def _scan(text: str) -> _Scan:
    # One split_code per transform: it is the costly part of every transform here.
    masked: list[str] = []
    code_lines: set[int] = set()
    for segment in split_code(text):
        if not segment.is_code:
            masked.append(segment.text)
            continue
        masked.append(re.sub(r"[^\n]", "x", segment.text))
        if _is_block(segment.text, segment.offset, text):
            body = segment.text
            count = body.count("\n") + (0 if body.endswith("\n") else 1)
            code_lines.update(range(segment.start_line - 1, segment.start_line - 1 + count))
    return _Scan("".join(masked), frozenset(code_lines))


def _is_block(body: str, offset: int, text: str) -> bool:
    """Whether a code segment is a block (whole lines) rather than an inline code span."""
    if offset > 0 and text[offset - 1] != "\n":
        return False
    if body.endswith("\n"):
        return True  # blocks are whole lines; a code span ends with its backticks
    if offset + len(body) != len(text):
        return False
    first_line = body.split("\n", 1)[0]
    return body[:1] in (" ", "\t") or ("\n" in body and bool(_FENCE_LINE.match(first_line)))


def _is_atx(masked_line: str) -> bool:
    return _ATX_STRICT.match(masked_line) is not None


# --------------------------------------------------------------------------------------------
# Glued and wrapped headings

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
    for match in _GLUED.finditer(_scan(text).masked):
        before = match["before"]
        if _ATX_STRICT.match(before) or before.lstrip().startswith("|"):
            continue  # a heading that contains "##", or a table row: nothing is glued
        cut = match.start("hashes")
        pieces.append(text[pos:cut].rstrip(" \t") + "\n\n")
        pos = cut
        diagnostics.append(_warning(
            path, text.count("\n", 0, cut) + 1, "glued-heading",
            "heading glued to the end of the previous line; repaired",
            "fix the source: start the heading on a line of its own after a blank line",
            cut - text.rfind("\n", 0, cut)))
    pieces.append(text[pos:])
    return Fixed("".join(pieces), tuple(diagnostics))


def _separate_heading_lines(text: str, path: str) -> Fixed:
    lines = text.split("\n")
    scan = _scan(text)
    masked, code = scan.masked.split("\n"), scan.code_lines
    out: list[str] = []
    diagnostics: list[Diagnostic] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        if index in code or not _is_atx(masked[index]):
            out.append(line)
            index += 1
            continue
        previous = index - 1
        if (previous >= 0 and previous not in code and not _blank(lines[previous])
                and not _is_atx(masked[previous])):
            out.append("")
            diagnostics.append(_warning(
                path, index + 1, "glued-heading",
                "heading glued to the previous line; repaired",
                "fix the source: put a blank line before the heading"))
        following = index + 1
        if _is_wrapped_heading(lines, masked, code, index):
            out.append(f"{line.rstrip()} {lines[following].strip()}")
            diagnostics.append(_warning(
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


def _is_wrapped_heading(lines: list[str], masked: list[str], code: frozenset[int],
                        index: int) -> bool:
    """A long heading line followed by one short prose line and then a blank line."""
    following = index + 1
    if following >= len(lines) or following in code or _blank(lines[following]):
        return False
    if len(lines[index]) < WRAPPED_HEADING_MIN or len(lines[following]) > WRAPPED_TAIL_MAX:
        return False
    if following + 1 < len(lines) and not _blank(lines[following + 1]):
        return False
    heading = masked[index].rstrip()
    if heading.endswith(("}", "#")) or _ATX.fullmatch(heading) is None:
        return False
    nxt = masked[following]
    return not (_is_atx(nxt) or _LIST_ITEM.match(nxt) or _BLOCK_START.match(nxt)
                or _UNDERLINE.match(nxt) or nxt.startswith((" " * 4, "\t")))


# --------------------------------------------------------------------------------------------
# Setext headings and thematic breaks

_UNDERLINE = re.compile(r"^(?:=+|-+)[ \t]*$")
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
    scan = _scan(text)
    masked, code = scan.masked.split("\n"), scan.code_lines
    # What each output line now is: pandoc starts a new block after a heading or a rule.
    kinds = ["blank" if _blank(line) else "other" for line in lines]
    for index, line in enumerate(masked):
        if index in code:
            kinds[index] = "code"
            continue
        if _is_atx(line):
            kinds[index] = "heading"
        if _UNDERLINE.match(line) and _is_setext_title(lines, masked, kinds, index - 1):
            level = 1 if line.startswith("=") else 2
            lines[index - 1] = f"{'#' * level} {lines[index - 1].strip()}"
            # The underline becomes the blank line the heading needs, unless one follows anyway.
            following_blank = index + 1 >= len(lines) or _blank(lines[index + 1])
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
    if _LIST_ITEM.match(title) or _BLOCK_START.match(title) or title.startswith((" " * 4, "\t")):
        return False
    return _starts_block(kinds, index) and lines[index].strip() != ""


def _opens_table(masked: list[str], index: int) -> bool:
    """A dash line that opens a pandoc multiline table (a dash-groups row follows)."""
    for line in masked[index + 1:]:
        if _blank(line):
            return False
        if _TABLE_DASHES.match(line):
            return True
    return False


# --------------------------------------------------------------------------------------------
# Reference links

# A definition may sit in a block quote or a list item (``prefix``); pandoc makes it global.
_REF_DEF = re.compile(
    r"^(?P<prefix>(?:[ \t]*>)*[ \t]*)\[(?P<label>[^\]^\n][^\]\n]*)\]:[ \t]*"
    r"(?:<(?P<angle>[^>\n]*)>|(?P<url>\S+))"
    r"(?:[ \t]+(?P<title>\"[^\"\n]*\"|'[^'\n]*'|\([^)\n]*\)))?[ \t]*$")
_TITLE_LINE = re.compile(
    r"^(?:[ \t]*>)*[ \t]+(?P<title>\"[^\"\n]*\"|'[^'\n]*'|\([^)\n]*\))[ \t]*$")
_QUOTE_MARKERS = re.compile(r"^(?:[ \t]*>)+")


@dataclass(frozen=True, slots=True)
class _Target:
    url: str
    title: str  # without its quotes

    def inline(self) -> str:
        """The ``(url "title")`` part of an inline link, quoted so pandoc reads it back."""
        url = self.url.replace("<", "%3C").replace(">", "%3E")
        if not url or re.search(r"[\s()]", url):
            url = f"<{url}>"
        if not self.title:
            return f"({url})"
        title = re.sub(r'(?<!\\)"', r'\\"', self.title)
        return f'({url} "{title}")'


def _label_key(label: str) -> str:
    """pandoc matches labels case-insensitively with runs of white space collapsed."""
    return " ".join(label.split()).casefold()


def inline_reference_links(text: str, path: str) -> Fixed:
    """Turn every reference-style link and image into an inline one; drop the definitions.

    ``[text][label]``, ``[text][]`` and a shortcut ``[label]`` (when ``label`` is defined) all
    become ``[text](url "title")``; undefined labels stay text. With no definitions left,
    chapters cannot collide when concatenated (pandoc would let the first chapter's ``[1]:``
    win for every chapter). Duplicate labels in one chapter: the first wins, as in pandoc.
    """
    targets, kept, diagnostics = _collect_definitions(text, path)
    if not targets:
        return Fixed("\n".join(kept), tuple(diagnostics))
    text = "\n".join(kept)
    rewriter = _RefRewriter(text, targets, path)
    body = rewriter.rewrite(0, len(text))
    return Fixed(body, (*diagnostics, *rewriter.diagnostics))


def _collect_definitions(text: str, path: str
                         ) -> tuple[dict[str, _Target], list[str], list[Diagnostic]]:
    """Definitions (first wins) and the lines left once they are taken out.

    Removed lines are replaced by nothing; a blank line stays where it was, so blocks on
    either side stay apart. Only definitions that start a block count, as in pandoc.
    """
    lines = text.split("\n")
    scan = _scan(text)
    masked, code = scan.masked.split("\n"), scan.code_lines
    targets: dict[str, _Target] = {}
    kept: list[str] = []
    diagnostics: list[Diagnostic] = []
    block_start = True
    index = 0
    while index < len(lines):
        match = None if index in code else _REF_DEF.match(masked[index])
        if match is None or not block_start:
            block_start = (_blank(_QUOTE_MARKERS.sub("", lines[index]))
                           or _is_atx(masked[index]) or index in code)
            kept.append(lines[index])
            index += 1
            continue
        original = _REF_DEF.match(lines[index]) or match
        title = original["title"]
        consumed = 1
        if title is None and index + 1 < len(lines):
            title_match = _TITLE_LINE.match(lines[index + 1])
            if title_match:
                title, consumed = title_match["title"], 2
        key = _label_key(original["label"])
        url = original["angle"] if original["angle"] is not None else original["url"]
        if key in targets:
            diagnostics.append(_warning(
                path, index + 1, "duplicate-reference",
                f"reference [{original['label']}] is defined twice; the first definition wins",
                "give each link target its own label"))
        else:
            targets[key] = _Target(url, title[1:-1] if title else "")
        index += consumed
        prefix = original["prefix"]
        if ">" in prefix or len(prefix) > 3:
            kept.append(prefix.rstrip())  # keep the quote or list item it was in
        elif kept and _blank(kept[-1]) and index < len(lines) and _blank(lines[index]):
            index += 1  # keep one blank line where the definitions were, not two
    return targets, kept, diagnostics


class _RefRewriter:
    """Rewrites reference uses in ``text`` (whose definitions are already gone)."""

    def __init__(self, text: str, targets: dict[str, _Target], path: str) -> None:
        self.text = text
        self.masked = _scan(text).masked
        self.targets = targets
        self.path = path
        self.diagnostics: list[Diagnostic] = []

    def rewrite(self, start: int, end: int) -> str:
        """``text[start:end]`` with every reference use inside it made inline."""
        text, masked = self.text, self.masked
        out: list[str] = []
        pos = index = start
        while True:
            index = masked.find("[", index, end)
            if index < 0:
                break
            close = matching_bracket(masked, index, end)
            if _is_escaped(masked, index) or close is None:
                index += 1
                continue
            inner = text[index + 1:close]
            after = close + 1
            if inner.startswith("^"):
                index = after  # a footnote reference
                continue
            nxt = masked[after:after + 1]
            if nxt == "(":  # an inline link: only its text can hold references
                out += [text[pos:index + 1], self.rewrite(index + 1, close)]
                pos = index = close
                continue
            replaced = self._replace(index, close, end)
            if replaced is not None:
                new_text, new_end = replaced
                out += [text[pos:index], new_text]
                pos = index = new_end
                continue
            index += 1  # not a reference: look inside for nested ones
        out.append(text[pos:end])
        return "".join(out)

    def _replace(self, index: int, close: int, end: int) -> tuple[str, int] | None:
        """(inline link, end offset) for a reference starting at ``index``, or None."""
        text, masked = self.text, self.masked
        after = close + 1
        inner = text[index + 1:close]
        if masked[after:after + 1] == "[":
            label_close = matching_bracket(masked, after, end)
            if label_close is not None and "[" not in masked[after + 1:label_close]:
                label = text[after + 1:label_close] or inner
                target = self.targets.get(_label_key(label))
                if target is None:
                    self.diagnostics.append(_warning(
                        self.path, text.count("\n", 0, index) + 1, "undefined-reference",
                        f"reference [{label}] is not defined; left as text",
                        "add a definition `[label]: url` or make it an inline link"))
                    return None
                link = f"[{self.rewrite(index + 1, close)}]{target.inline()}"
                return link, label_close + 1
        if masked[after:after + 1] in ("{", ":"):
            return None  # a bracketed span, or a definition-like line left as text
        target = self.targets.get(_label_key(inner))
        if target is None:
            return None
        return f"[{self.rewrite(index + 1, close)}]{target.inline()}", after


def _is_escaped(text: str, index: int) -> bool:
    backslashes = 0
    while index - backslashes - 1 >= 0 and text[index - backslashes - 1] == "\\":
        backslashes += 1
    return backslashes % 2 == 1


# --------------------------------------------------------------------------------------------
# Footnotes

_NOTE = re.compile(r"\[\^(?P<label>[^\]\s]+)\]")
_NOTE_DEF_START = re.compile(r"^ {0,3}$")


def relabel_footnotes(text: str, path: str, slug: str) -> Fixed:
    """``[^label]`` -> ``[^slug--label]`` in uses and definitions, so chapters never collide.

    Every label is prefixed the same way, so a chapter's notes pair up exactly as before.
    Warns about uses without a definition and definitions nobody uses.
    """
    masked = _scan(text).masked
    uses: dict[str, int] = {}
    definitions: dict[str, int] = {}
    diagnostics: list[Diagnostic] = []
    pieces: list[str] = []
    pos = 0
    for match in _NOTE.finditer(masked):
        start, end = match.span()
        if _is_escaped(masked, start):
            continue
        label = text[match.start("label"):match.end("label")]
        line = text.count("\n", 0, start) + 1
        line_start = text.rfind("\n", 0, start) + 1
        is_definition = (masked.startswith(":", end)
                         and _NOTE_DEF_START.match(masked[line_start:start]) is not None)
        if is_definition:
            if label in definitions:
                diagnostics.append(_warning(
                    path, line, "duplicate-footnote",
                    f"footnote [^{label}] is defined twice (first on line {definitions[label]})",
                    "give each note its own label"))
            definitions.setdefault(label, line)
        else:
            uses.setdefault(label, line)
        pieces += [text[pos:start], f"[^{slug}--{label}]"]
        pos = end
    pieces.append(text[pos:])
    for label, line in uses.items():
        if label not in definitions:
            diagnostics.append(_warning(
                path, line, "undefined-footnote", f"footnote [^{label}] has no definition",
                f"add `[^{label}]: note text` on a line of its own"))
    for label, line in definitions.items():
        if label not in uses:
            diagnostics.append(_warning(
                path, line, "unused-footnote", f"footnote [^{label}] is defined but never used",
                "cite it in the text or delete the definition"))
    diagnostics.sort(key=lambda d: d.line or 0)
    return Fixed("".join(pieces), tuple(diagnostics))


# --------------------------------------------------------------------------------------------
# Heading identifiers, as pandoc's auto_identifiers extension makes them

_CODE_SPAN = re.compile(r"(?P<ticks>`+)(?P<body>.+?)(?P=ticks)(?!`)")
_IMAGE_OR_LINK = re.compile(r"!?\[(?P<text>(?:[^\[\]]|\[[^\[\]]*\])*)\]"
                            r"(?:\((?:[^()]|\([^()]*\))*\)|\{[^{}]*\})")
_AUTOLINK = re.compile(r"<(?P<url>[A-Za-z][A-Za-z0-9+.-]{1,31}:[^<>\s]*|[^<>\s@]+@[^<>\s]+)>")
_HTML_TAG = re.compile(r"<!--.*?-->|</?[A-Za-z][^<>]*>", re.DOTALL)
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
# Delimiter runs are matched whole: "a*b **c**" has no emphasis around "b **".
_UNDERSCORE_EMPHASIS = re.compile(
    r"(?<![\w\\_])(_{1,3})(?=[^\s_])(?P<body>.+?)(?<=[^\s\\_])\1(?![\w_])")
_ESCAPED_UNDERSCORE = "\ue000"  # a private-use stand-in for "\_" while emphasis is removed
_PLACEHOLDER = re.compile(r"\[Image not available: (?P<alt>(?:[^\[\]]|\[[^\[\]]*\])*)\]"
                          r"\{\.image-placeholder(?: title=\"[^\"]*\")?\}")


def pandoc_identifier(heading: str, note_prefix: str = "") -> str:
    """The id pandoc's ``auto_identifiers`` gives a heading with this Markdown text.

    pandoc stringifies the heading (formatting, links and HTML dropped; images give their alt
    text; code its content), lowercases it, keeps letters, digits, ``_-.`` and spaces, turns
    runs of spaces into ``-`` and drops everything before the first letter; ``section`` if
    nothing is left. Two quirks of pandoc's reader are kept: ``smart`` has already turned
    ``--``, ``---`` and ``...`` into dashes and an ellipsis (which are then dropped), and a note
    reference counts as its label (ids are made before notes are resolved). ``note_prefix``
    (``slug--``) is taken off relabelled notes, and an image-not-available placeholder counts
    as the image's alt text, so ids match those of the chapter as written.
    """
    parts: list[str] = []
    pos = 0
    for match in _CODE_SPAN.finditer(heading):
        parts.append(_stringify_prose(heading[pos:match.start()], note_prefix))
        parts.append(match["body"].strip())
        pos = match.end()
    parts.append(_stringify_prose(heading[pos:], note_prefix))
    plain = "".join(parts).lower()
    kept = "".join(c for c in plain if c.isalnum() or c in "_-." or c.isspace())
    ident = "-".join(kept.split())
    for index, char in enumerate(ident):
        if char.isalpha():
            return ident[index:]
    return "section"


def _stringify_prose(text: str, note_prefix: str) -> str:
    text = _PLACEHOLDER.sub(lambda m: m["alt"], text)
    text = _NOTE.sub(lambda m: m["label"].removeprefix(note_prefix), text)
    previous = None
    while previous != text:  # links can hold images: peel one layer per round
        previous = text
        text = _IMAGE_OR_LINK.sub(lambda m: m["text"], text)
    text = _AUTOLINK.sub(lambda m: m["url"], text)
    text = _HTML_TAG.sub("", text)
    text = _ENTITY.sub(lambda m: html.unescape(m.group()), text)
    text = text.replace("\\_", _ESCAPED_UNDERSCORE)
    previous = None
    while previous != text:
        previous = text
        text = _UNDERSCORE_EMPHASIS.sub(lambda m: m["body"], text)
    text = text.replace(_ESCAPED_UNDERSCORE, "_")
    return re.sub(r"---?|\.\.\.", "", text)  # smart punctuation: dashes and an ellipsis


def unique_identifier(ident: str, used: set[str]) -> str:
    """``ident``, or ``ident-1``, ``ident-2``, ... as pandoc numbers repeated ids; marks it used."""
    candidate, number = ident, 0
    while candidate in used:
        number += 1
        candidate = f"{ident}-{number}"
    used.add(candidate)
    return candidate


# --------------------------------------------------------------------------------------------
# Heading levels and ids

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
    match = _ATX.match(line)
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
    scan = _scan(text)
    masked, code = scan.masked.split("\n"), scan.code_lines
    headings: list[_Heading] = []
    for index, line in enumerate(masked):
        if index in code or not _is_atx(line):
            continue
        previous = index - 1
        if previous >= 0 and previous not in code and not _blank(lines[previous]) and not (
                _is_atx(masked[previous])):
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
            diagnostics.append(_warning(
                path, line, "heading-too-deep",
                f"heading level {level} does not exist; made it level {MAX_LEVEL}",
                "use fewer levels of headings"))
            level = MAX_LEVEL
        if level > previous_level + 1:
            diagnostics.append(_warning(
                path, line, "heading-jump",
                f"heading jumps from level {previous_level} to level {level}",
                "do not skip heading levels (screen readers and the EPUB outline need them)"))
        previous_level = level
        lines[heading.index] = _render_heading(heading, level, slug, used, path, diagnostics)
    return Fixed(_drop_line(lines, dropped), tuple(diagnostics))


def _is_duplicate_title(lines: list[str], heading: _Heading, title: str) -> bool:
    if any(not _blank(line) for line in lines[:heading.index]):
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
            diagnostics.append(_warning(
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
        for pattern in (_UNDERSCORE_EMPHASIS, _STAR_EMPHASIS):
            work = pattern.sub(
                lambda m: _BLANKED * len(m.group(1)) + m["body"] + _BLANKED * len(m.group(1)),
                work)
    stray = [m.span() for m in _LITERAL_DELIMITER.finditer(work)
             if not _is_escaped(text, m.start())]
    for start, end in reversed(stray):
        text = text[:start] + "".join(f"\\{char}" for char in text[start:end]) + text[end:]
    return text


# --------------------------------------------------------------------------------------------
# Blocks left open at the end of a chapter

_DIV_FENCE = re.compile(r"^ {0,3}(?P<colons>:{3,})[ \t]*(?P<rest>[^\n]*?)[ \t]*$")
_DIV_TAG = re.compile(r"<(?P<close>/)?div\b[^<>]*?(?P<empty>/)?>", re.IGNORECASE)


def close_open_blocks(text: str, path: str) -> Fixed:
    """Close ``::: div`` fences and ``<div>`` tags the chapter leaves open.

    pandoc closes them at the end of the document, so on its own the chapter reads the same
    either way; in the assembled book an open div would swallow every chapter after it.
    """
    open_blocks: list[tuple[str, int]] = []  # ("fence" | "tag", line), innermost last
    scan = _scan(text)
    masked, code = scan.masked.split("\n"), scan.code_lines
    for index, line in enumerate(masked):
        if index in code:
            continue
        fence = _DIV_FENCE.match(line)
        if fence:
            if fence["rest"].strip(":"):
                open_blocks.append(("fence", index + 1))
            elif open_blocks and open_blocks[-1][0] == "fence":
                open_blocks.pop()
            continue
        for tag in _DIV_TAG.finditer(line):
            if tag["close"] and open_blocks and open_blocks[-1][0] == "tag":
                open_blocks.pop()
            elif not tag["close"] and not tag["empty"]:
                open_blocks.append(("tag", index + 1))
    if not open_blocks:
        return Fixed(text, ())
    closers = [":::" if kind == "fence" else "</div>" for kind, _ in reversed(open_blocks)]
    diagnostics = tuple(_warning(
        path, line, "unclosed-block",
        f"this {'::: div' if kind == 'fence' else '<div>'} is never closed; closed it at the "
        "end of the chapter", "close it where it should end") for kind, line in open_blocks)
    return Fixed(text.rstrip("\n") + "\n\n" + "\n\n".join(closers) + "\n", diagnostics)
