"""Reference-style links and images made inline, their definitions dropped."""

from __future__ import annotations

import re
from dataclasses import dataclass

from handbook_build.model import Diagnostic
from handbook_build.sources.markdown_fix.scan import blank, code_scan, is_atx
from handbook_build.sources.markdown_fix.transforms import Fixed, warning
from handbook_build.sources.markdown_scan import is_escaped, matching_bracket

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
    scan = code_scan(text)
    masked, code = scan.masked.split("\n"), scan.code_lines
    targets: dict[str, _Target] = {}
    kept: list[str] = []
    diagnostics: list[Diagnostic] = []
    block_start = True
    index = 0
    while index < len(lines):
        match = None if index in code else _REF_DEF.match(masked[index])
        if match is None or not block_start:
            block_start = (blank(_QUOTE_MARKERS.sub("", lines[index]))
                           or is_atx(masked[index]) or index in code)
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
            diagnostics.append(warning(
                path, index + 1, "duplicate-reference",
                f"reference [{original['label']}] is defined twice; the first definition wins",
                "give each link target its own label"))
        else:
            targets[key] = _Target(url, title[1:-1] if title else "")
        index += consumed
        prefix = original["prefix"]
        if ">" in prefix or len(prefix) > 3:
            kept.append(prefix.rstrip())  # keep the quote or list item it was in
        elif kept and blank(kept[-1]) and index < len(lines) and blank(lines[index]):
            index += 1  # keep one blank line where the definitions were, not two
    return targets, kept, diagnostics


class _RefRewriter:
    """Rewrites reference uses in ``text`` (whose definitions are already gone)."""

    def __init__(self, text: str, targets: dict[str, _Target], path: str) -> None:
        self.text = text
        self.masked = code_scan(text).masked
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
            if is_escaped(masked, index) or close is None:
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
                    self.diagnostics.append(warning(
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
