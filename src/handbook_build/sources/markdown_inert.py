"""The assembled ``<stem>.md`` is inert under *plain* pandoc, not only under our reader format.

Our reader (``assemble.PANDOC_MARKDOWN_FORMAT``) has raw attributes and ``$`` math off, and nh3
cleans the HTML editions afterwards. But the manuscript is shipped, and whoever runs plain
``pandoc book.md -o x.html`` (or ``-t latex``) gets pandoc's defaults: raw blocks and raw inline
code (```` ```{=html} ````, `` `x`{=latex} ``), raw TeX in prose (``\\input{/etc/passwd}``),
TeX math whose content LaTeX runs verbatim, and attribute lists whose ``onclick=`` or
``style="...url(file:...)"`` the HTML writer copies as they are. So each chapter's Markdown is
rewritten here, keeping what a reader sees in our editions:

* a fence whose info string is a raw attribute (```` ```{=html} ````) becomes a code block of
  class ``raw-html``: the text is shown, never passed through (with a warning at its line);
* a raw attribute after inline code or anywhere in prose gets its brace escaped (``\\{=latex}``),
  so it is literal text in every reader (our reader already showed it as text);
* attribute lists keep ids, classes and a short allow-list of inert keys (``lang``, ``dir``,
  ``title``, ``width``, ``height``, ``data-*``, ...); event handlers, ``style`` and every other
  key are removed, with a warning;
* in prose, ``\\`` before a letter is doubled (``\\\\input``: a literal backslash, where pandoc
  would pass the command to LaTeX and drop it from HTML) and ``$`` is escaped (``\\$``: never
  TeX math). Code, raw HTML tags (already cleaned by ``markdown_html``), autolinks and link
  destinations are left as they are.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from handbook_build.model import Diagnostic
from handbook_build.sources.markdown_fix import Fixed
from handbook_build.sources.markdown_scan import find_inline_links, split_code

__all__ = ["SAFE_ATTRIBUTE_KEYS", "make_inert"]

# Keys an attribute list may keep: none runs code or loads anything in any writer.
SAFE_ATTRIBUTE_KEYS = frozenset({"lang", "dir", "title", "role", "width", "height", "start",
                                 "type", "colspan", "rowspan", "align", "span", "value"})
_SAFE_PREFIXES = ("data-", "aria-")

# A fence opener on any line (inside quotes and list items too): the info string is what follows.
_FENCE = re.compile(r"^(?P<lead>(?:[ \t]*>)*[ \t]*(?:(?:[-+*]|\d{1,9}[.)])[ \t]+)*)"
                    r"(?P<fence>`{3,}|~{3,})(?P<info>[^\n]*)$", re.MULTILINE)
_TOKEN = re.compile(r"""[ \t\r\n]*(?:
      (?P<id>\#[^\s{}]*)
    | (?P<cls>\.[^\s{}]+)
    | (?P<raw>=[^\s{}]*)
    | (?P<dash>-(?=[\s}]))
    | (?P<key>[A-Za-z_:][\w:.-]*)=(?P<value>"[^"]*"|'[^']*'|[^\s{}"']*)
)""", re.VERBOSE)
_CLOSE = re.compile(r"[ \t\r\n]*\}")
_TAG_OR_AUTOLINK = re.compile(r"<(?:[A-Za-z/!?][^<>]*|[A-Za-z][A-Za-z0-9+.-]*:[^<>\s]*)>")
_UNSAFE_VALUE = re.compile(r"url\s*\(|javascript:|expression\s*\(|\\", re.IGNORECASE)
_FORMAT_NAME = re.compile(r"[^A-Za-z0-9_-]")
_SPECIAL = re.compile(r"[\\${]")
_COMMAND = re.compile(r"\\[A-Za-z]+")


@dataclass(frozen=True, slots=True)
class _Attributes:
    end: int  # index just past the closing brace
    tokens: tuple[tuple[str, str], ...]  # (kind, text as written)


def make_inert(text: str, shown: str) -> Fixed:
    """``text`` with every construct that plain pandoc would make active rewritten as inert."""
    diagnostics: list[Diagnostic] = []
    _LINE_STARTS.clear()  # line tables live for one text of one call (see _line_at)
    text = _fence_infos(text, shown, diagnostics)
    _LINE_STARTS.clear()
    if _SPECIAL.search(text) is None:  # most chapters: nothing to escape, skip the scans
        return Fixed(text, tuple(diagnostics))
    edits: list[tuple[int, int, str]] = []
    protected = _protected_spans(text)
    for segment in split_code(text):
        if segment.is_code:
            continue
        _prose_edits(text, segment.offset, segment.offset + len(segment.text), protected,
                     shown, edits, diagnostics)
    _LINE_STARTS.clear()
    pieces = []
    position = 0
    for start, end, replacement in sorted(edits):
        pieces += [text[position:start], replacement]
        position = end
    return Fixed("".join([*pieces, text[position:]]), tuple(diagnostics))


# --- fences --------------------------------------------------------------------------------------


def _fence_infos(text: str, shown: str, diagnostics: list[Diagnostic]) -> str:
    """Fence openers with a cleaned info string: a raw attribute becomes a ``raw-FMT`` class."""
    if "```" not in text and "~~~" not in text:
        return text

    def clean(match: re.Match[str]) -> str:
        info = match["info"]
        brace = info.find("{")
        if brace < 0:
            return match.group(0)
        parsed = _parse_attributes(info, brace)
        if parsed is None:
            return match.group(0)
        offset = match.start("info") + brace
        kept = []
        for kind, token in parsed.tokens:
            if kind == "raw":
                name = _FORMAT_NAME.sub("", token[1:]) or "unknown"
                kept.append(f".raw-{name}")
                diagnostics.append(_warning(
                    text, offset, shown, f"raw {name} block shown as code, never passed "
                    "through", "write it as Markdown", "raw-block-escaped"))
            elif kind == "key" and not _safe_key_value(token):
                diagnostics.append(_dropped(text, offset, shown, token))
            else:
                kept.append(token)
        rebuilt = "{" + " ".join(kept) + "}"  # "{}" where nothing is left: still a fence
        return (match["lead"] + match["fence"] + info[:brace] + rebuilt
                + info[parsed.end:])

    return _FENCE.sub(clean, text)


# --- prose ---------------------------------------------------------------------------------------


def _protected_spans(text: str) -> list[tuple[int, int]]:
    """Raw HTML tags, autolinks and link destinations: their characters are not Markdown text."""
    spans = [(m.start(), m.end()) for m in _TAG_OR_AUTOLINK.finditer(text)]
    stack = find_inline_links(text)
    while stack:
        link = stack.pop()
        spans.append((link.dest_start, link.dest_end))
        stack.extend(find_inline_links(text, link.text_start, link.text_end))
    return sorted(spans)


def _prose_edits(text: str, start: int, end: int, protected: list[tuple[int, int]],
                 shown: str, edits: list[tuple[int, int, str]],
                 diagnostics: list[Diagnostic]) -> None:
    """Edits for the prose ``text[start:end]``: one regex pass, protected spans skipped by
    bisection, so the cost is linear in the chapter."""
    starts = [lo for lo, _ in protected]
    warned_lines: set[int] = set()
    resume = start
    for match in _SPECIAL.finditer(text, start, end):
        index = match.start()
        if index < resume:
            continue  # inside an escape pair or an attribute list already handled
        covering = bisect.bisect_right(starts, index) - 1
        if covering >= 0 and protected[covering][1] > index:
            resume = protected[covering][1]
            continue
        char = text[index]
        if char == "\\":
            following = text[index + 1:index + 2]
            if following.isascii() and following.isalpha():
                edits.append((index, index, "\\"))  # a literal backslash, not a TeX command
                line = _line_at(text, index)
                if line not in warned_lines:
                    warned_lines.add(line)
                    command = _COMMAND.match(text, index)
                    name = command.group(0) if command else "\\"
                    diagnostics.append(_warning(
                        text, index, shown, f"LaTeX command {name} shown as text, never "
                        "passed to LaTeX", "write it as Markdown", "raw-tex-escaped"))
                resume = index + 1
            else:
                resume = index + 2  # an escape pair (or a hard line break) stays as it is
        elif char == "$":
            edits.append((index, index + 1, "\\$"))
        else:
            parsed = _parse_attributes(text, index)
            if parsed is not None and parsed.end <= end:
                _attribute_edits(text, index, parsed, shown, edits, diagnostics)
                resume = parsed.end


def _attribute_edits(text: str, start: int, parsed: _Attributes, shown: str,
                     edits: list[tuple[int, int, str]], diagnostics: list[Diagnostic]) -> None:
    if any(kind == "raw" for kind, _ in parsed.tokens):
        # Our reader shows `x`{=latex} as code and literal text; escaped, every reader does.
        edits.append((start, start, "\\"))
        raw = next(token for kind, token in parsed.tokens if kind == "raw")
        diagnostics.append(_warning(text, start, shown, f"raw attribute {{{raw}}} shown as "
                                    "text, never passed through", "write it as Markdown",
                                    "raw-block-escaped"))
        return
    kept = []
    dropped = False
    for kind, token in parsed.tokens:
        if kind == "key" and not _safe_key_value(token):
            diagnostics.append(_dropped(text, start, shown, token))
            dropped = True
        else:
            kept.append(token)
    if dropped:
        # "{}" where nothing is left, so a fenced div or a span stays what it was
        edits.append((start, parsed.end, "{" + " ".join(kept) + "}"))


def _parse_attributes(text: str, brace: int) -> _Attributes | None:
    """The pandoc attribute list opening at ``text[brace] == "{"``, or None if it is not one."""
    index = brace + 1
    tokens: list[tuple[str, str]] = []
    while True:
        close = _CLOSE.match(text, index)
        if close is not None:
            return _Attributes(close.end(), tuple(tokens)) if tokens else None
        token = _TOKEN.match(text, index)
        if token is None or token.end() == index:
            return None
        kind = token.lastgroup if token.lastgroup != "value" else "key"
        tokens.append((kind or "key", token.group(0).strip()))
        index = token.end()


def _safe_key_value(token: str) -> bool:
    key, _, value = token.partition("=")
    key = key.lower()
    if key not in SAFE_ATTRIBUTE_KEYS and not key.startswith(_SAFE_PREFIXES):
        return False
    return _UNSAFE_VALUE.search(value) is None


def _dropped(text: str, offset: int, shown: str, token: str) -> Diagnostic:
    key = token.partition("=")[0]
    return _warning(text, offset, shown, f"attribute {key}= removed",
                    "keep ids, classes, lang, dir, title, width, height and data-* attributes",
                    "attribute-dropped")


def _warning(text: str, offset: int, shown: str, message: str, hint: str,
             code: str) -> Diagnostic:
    line_start = text.rfind("\n", 0, offset) + 1
    return Diagnostic(shown, _line_at(text, offset), message, hint, "warning", code,
                      offset - line_start + 1)


# id(text) -> offsets of its newlines; cleared whenever make_inert moves to another text, so an
# id is never reused for a different string while its table is kept.
_LINE_STARTS: dict[int, list[int]] = {}


def _line_at(text: str, offset: int) -> int:
    """1-based line of ``offset``, by bisection over the text's newlines (linear overall)."""
    starts = _LINE_STARTS.get(id(text))
    if starts is None:
        starts = [i for i, c in enumerate(text) if c == "\n"]
        _LINE_STARTS.clear()
        _LINE_STARTS[id(text)] = starts
    return bisect.bisect_left(starts, offset) + 1
