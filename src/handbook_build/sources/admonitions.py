"""Admonitions from every dialect become one fenced div: ``::: {.admonition .admonition-KIND}``.

Written as:

* GitHub alerts: a block quote whose first line is ``> [!NOTE]`` (TIP, IMPORTANT, WARNING,
  CAUTION; any word is accepted), optionally followed by a title;
* pandoc fenced divs with a class: ``::: note``, ``::: {.warning}``, Quarto's
  ``::: {.callout-tip}``;
* MyST colon fences ``:::{note}`` and directive fences ```` ```{note} ```` (with ``:class:``
  style option lines, which are dropped).

The known kinds get a title paragraph (``Note``, ``Tip``...) and their own box style; any other
class becomes a plain box without a title. ``htmlbook`` turns each into an ``<aside
role="note">``. Nothing of the source syntax (``[!NOTE]``, ``:::``, ``{note}``) reaches a reader.
Code blocks are never touched: an alert shown inside a listing stays as written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml.html import HtmlElement

from handbook_build.sources.markdown_fix import Fixed
from handbook_build.sources.markdown_scan import mask_code, split_code

__all__ = ["KNOWN_KINDS", "convert_admonitions", "mark_admonitions"]

# Kind -> title. GitHub's five, MyST/reST's and Quarto's callouts (callout-KIND maps to KIND).
KNOWN_KINDS = {
    "note": "Note", "tip": "Tip", "important": "Important", "warning": "Warning",
    "caution": "Caution", "danger": "Danger", "attention": "Attention", "hint": "Hint",
    "error": "Error", "seealso": "See also", "admonition": "",
}
_ALERT = re.compile(r"^ {0,3}>[ \t]?\[!(?P<kind>[A-Za-z][\w-]*)\][ \t]*(?P<title>.*?)[ \t]*$")
_QUOTE = re.compile(r"^ {0,3}>[ \t]?")
_DIV_OPEN = re.compile(
    r"^(?P<indent> {0,3})(?P<colons>:{3,})[ \t]*"
    r"(?:\{(?P<myst>[A-Za-z][\w-]*)\}[ \t]*(?P<argument>.*?)"  # MyST :::{note} Title
    r"|(?P<word>[A-Za-z][\w-]*)"  # pandoc ::: note
    r"|\{(?P<attributes>[^{}]*)\})[ \t]*:*[ \t]*$")  # pandoc ::: {#id .note key=v}
_DIRECTIVE_FENCE = re.compile(
    r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})[ \t]*\{(?P<kind>[A-Za-z][\w-]*)\}"
    r"[ \t]*(?P<argument>[^`\n]*?)[ \t]*$")
_OPTION = re.compile(r"^[ \t]*:[\w-]+:.*$")
_TITLE_ATTRIBUTE = re.compile(r'(?:^|\s)title="(?P<title>[^"]*)"')
_CLASS = re.compile(r"(?:^|\s)\.(?P<name>[A-Za-z][\w-]*)")


@dataclass(frozen=True, slots=True)
class _Kind:
    name: str  # the class written: note, callout-tip, sidebar
    title: str  # shown at the top of the box; "" for none

    @property
    def opening(self) -> str:
        kind = _canonical(self.name)
        return f"::: {{.admonition .admonition-{kind}}}"


def _canonical(name: str) -> str:
    name = name.lower()
    return name.removeprefix("callout-")


def _kind(name: str, title: str = "") -> _Kind:
    canonical = _canonical(name)
    return _Kind(name, title.strip() or KNOWN_KINDS.get(canonical, ""))


def _title_block(kind: _Kind) -> list[str]:
    return [f"[{_escape(kind.title)}]{{.admonition-title}}", ""] if kind.title else []


def _escape(text: str) -> str:
    return re.sub(r"([\\\[\]*_`<>{}])", r"\\\1", text)


def convert_admonitions(text: str, path: str) -> Fixed:
    """Every alert, admonition div and directive of the chapter as an admonition div."""
    del path  # every form is accepted; nothing to warn about
    text = "".join(_directive_block(segment.text) if segment.is_code else segment.text
                   for segment in split_code(text))
    return Fixed(_prose(text))


def _directive_block(block: str) -> str:
    """A MyST directive fence (```` ```{note} ````) of an admonition kind, as a div."""
    first, newline, rest = block.partition("\n")
    match = _DIRECTIVE_FENCE.match(first)
    if match is None or not newline or not _is_admonition_name(match["kind"]):
        return block
    lines = rest.split("\n")
    trailing = "\n" if block.endswith("\n") else ""
    if trailing:
        lines = lines[:-1]
    if lines and lines[-1].strip().startswith(match["fence"][0] * 3):
        lines = lines[:-1]  # the closing fence
    while lines and _OPTION.match(lines[0]):
        lines = lines[1:]
    kind = _kind(match["kind"], match["argument"])  # MyST: {admonition} Its title
    body = [kind.opening, "", *_title_block(kind), *lines, "", ":::"]
    return "\n".join(body) + trailing


def _is_admonition_name(name: str) -> bool:
    return _canonical(name) in KNOWN_KINDS


def _prose(text: str) -> str:
    """Alerts and div openings, found on the text with its code masked (an alert's inline code,
    a listing that shows ``> [!NOTE]``), rewritten from the original lines."""
    lines = text.split("\n")
    masked = mask_code(text).split("\n")
    out: list[str] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        alert = _ALERT.match(line) if _ALERT.match(masked[index]) else None
        if alert is not None and (index == 0 or not _QUOTE.match(masked[index - 1])):
            end = index + 1
            while end < len(lines) and masked[end].strip():
                if not _QUOTE.match(masked[end]) and not _QUOTE.sub("", masked[end - 1]).strip():
                    break  # after an empty `>` line, an unquoted line is no lazy continuation
                end += 1
            body = [_QUOTE.sub("", inner, count=1) for inner in lines[index + 1:end]]
            kind = _kind(alert["kind"], alert["title"])
            if out and out[-1].strip():
                out.append("")  # a fenced div needs a blank line before it
            out += [kind.opening, "", *_title_block(kind), *body, "", ":::", ""]
            index = end
            continue
        opening = _div_opening(line) if _DIV_OPEN.match(masked[index]) else line
        out.append(opening)
        index += 1
        myst = _DIV_OPEN.match(line)
        if opening != line and myst is not None and myst["myst"]:
            while index < len(lines) and _OPTION.match(masked[index]):
                index += 1  # MyST options (:class: dropdown) configure the box, never show
    return "\n".join(out)


def _div_opening(line: str) -> str:
    """``::: note`` / ``::: {.note}`` / ``:::{note}`` -> the admonition opening; others as is."""
    match = _DIV_OPEN.match(line)
    if match is None:
        return line
    if match["myst"]:
        kind = _kind(match["myst"], match["argument"])
    elif match["word"]:
        kind = _kind(match["word"])
    else:
        attributes = match["attributes"] or ""
        found = _CLASS.search(attributes)
        if found is None or "admonition" in attributes.split():
            return line  # an id-only div, or one already converted
        if found["name"] == "admonition" or found["name"].startswith("admonition-"):
            return line
        named = _TITLE_ATTRIBUTE.search(attributes)  # Quarto: {.callout-tip title="Hey"}
        kind = _kind(found["name"], named["title"] if named else "")
    title = _title_block(kind)
    return "\n".join([kind.opening, "", *title]) if title else kind.opening


def mark_admonitions(root: HtmlElement) -> None:
    """Each admonition div becomes ``<aside class="admonition admonition-KIND" role="note">``:
    a box the reader may skip, in every edition (EPUB readers and screen readers announce it)."""
    for div in list(root.iter("div")):
        classes = (div.get("class") or "").split()
        if "admonition" not in classes:
            continue
        div.tag = "aside"
        div.set("role", "note")
        kinds = [name for name in classes if name.startswith("admonition-")
                 and name != "admonition-title"]
        if kinds and kinds[0].removeprefix("admonition-") not in KNOWN_KINDS:
            div.set("class", " ".join([*classes, "admonition-other"]))
