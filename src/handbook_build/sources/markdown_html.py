"""Raw HTML inside a chapter's Markdown, made inert for the assembled manuscript (``<stem>.md``).

The rendered editions are sanitized by nh3 after pandoc (sanitize.py). The manuscript is an
edition too, and people open it in previewers that render raw HTML, so the same allow-list is
applied to the tags written in the Markdown: the standard library's HTML tokenizer finds them
(never inside code), executable elements go with their content, unknown elements lose their
tags but keep their text, and allowed elements keep only allowed attributes and safe URLs.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from html.parser import HTMLParser

from handbook_build.html.sanitize import (
    ALLOWED_ATTRIBUTES,
    ALLOWED_TAGS,
    DROPPED_WITH_CONTENT,
    URL_SCHEMES,
)
from handbook_build.sources.markdown_scan import split_code

_URL_ATTRIBUTES = frozenset({"href", "src", "cite"})
# Link targets and image sources are checked next by links/ and images/, which unlink or
# replace them with a placeholder and say where: leave them to those, for one clear message.
_CHECKED_LATER = frozenset({("a", "href"), ("img", "src")})
# Markdown that looks like a tag to an HTML tokenizer: autolinks <http://x>, <me@example.org>.
_NOT_HTML_CHARS = (":", "@", ".")


@dataclass(frozen=True, slots=True)
class _Tag:
    start: int
    end: int
    name: str
    attrs: tuple[tuple[str, str | None], ...]
    is_end: bool


class _TagFinder(HTMLParser):
    """Records every start/end tag with its offsets in the fed text."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=False)
        self.text = text
        self.line_starts = [0] + [i + 1 for i, c in enumerate(text) if c == "\n"]
        self.tags: list[_Tag] = []

    def _offset(self) -> int:
        line, column = self.getpos()
        return self.line_starts[line - 1] + column

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        raw = self.get_starttag_text() or ""
        start = self._offset()
        self.tags.append(_Tag(start, start + len(raw), tag, tuple(attrs), False))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        start = self._offset()
        end = self.text.find(">", start)
        self.tags.append(_Tag(start, end + 1 if end >= 0 else len(self.text), tag, (), True))


@dataclass(frozen=True, slots=True)
class CleanedMarkdown:
    text: str
    removed: tuple[tuple[int, str], ...]  # (offset in the input, what was removed)


def sanitize_markdown_html(text: str) -> CleanedMarkdown:
    """Apply the sanitizer's allow-list to the raw HTML tags in the prose of ``text``."""
    pieces: list[str] = []
    removed: list[tuple[int, str]] = []
    for segment in split_code(text):
        if segment.is_code or "<" not in segment.text:
            pieces.append(segment.text)
            continue
        cleaned, dropped = _clean_until_stable(segment.text)
        pieces.append(cleaned)
        removed += [(segment.offset + offset, what) for offset, what in dropped]
    return CleanedMarkdown("".join(pieces), tuple(removed))


_MAX_PASSES = 8
_TAG_START = re.compile(r"<(?=[A-Za-z/!?])")


def _clean_until_stable(text: str) -> tuple[str, list[tuple[int, str]]]:
    """Removing a tag can join text into a new one (``<<c>c>`` -> ``<c>``): clean again until
    nothing changes; past a few passes, what still looks like a tag is escaped."""
    cleaned, dropped = _clean_segment(text)
    for _ in range(_MAX_PASSES):
        again, more = _clean_segment(cleaned)
        if again == cleaned:
            return cleaned, dropped
        cleaned = again
        dropped += [(0, what) for _, what in more]
    return _TAG_START.sub("&lt;", cleaned), dropped


def _clean_segment(text: str) -> tuple[str, list[tuple[int, str]]]:
    finder = _TagFinder(text)
    try:
        finder.feed(text)
        finder.close()
    except (AssertionError, ValueError):
        # The standard tokenizer gives up on some malformed declarations (``<![``): escape
        # whatever looks like markup after the last tag it understood, so nothing is executable.
        last_end = max((tag.end for tag in finder.tags), default=0)
        text = text[:last_end] + _TAG_START.sub("&lt;", text[last_end:])
    tags = [t for t in finder.tags if not any(c in t.name for c in _NOT_HTML_CHARS)]
    output: list[str] = []
    dropped: list[tuple[int, str]] = []
    position = 0
    for index, tag in enumerate(tags):
        if tag.start < position:
            continue  # inside an element already dropped with its content
        output.append(text[position:tag.start])
        position = tag.end
        if tag.name in DROPPED_WITH_CONTENT:
            if not tag.is_end:
                dropped.append((tag.start, f"<{tag.name}>"))
                position = _end_of_element(tags, index, tag.end)
            continue
        output.append(_replacement(tag, dropped))
    output.append(text[position:])
    return "".join(output), dropped


def _end_of_element(tags: list[_Tag], index: int, fallback: int) -> int:
    """Where the element opened by ``tags[index]`` ends; just the tag when it is never closed
    (void elements such as <embed>), so that no text after it is lost."""
    name, depth = tags[index].name, 1
    for tag in tags[index + 1:]:
        if tag.name == name:
            depth += -1 if tag.is_end else 1
            if depth == 0:
                return tag.end
    return fallback


def _replacement(tag: _Tag, dropped: list[tuple[int, str]]) -> str:
    if tag.name not in ALLOWED_TAGS:
        if not tag.is_end:
            dropped.append((tag.start, f"<{tag.name}>"))
        return ""
    if tag.is_end:
        return f"</{tag.name}>"
    kept = []
    for name, value in tag.attrs:
        if _attribute_allowed(tag.name, name, value):
            kept.append(name if value is None else f'{name}="{html.escape(value)}"')
        elif (report := _dangerous(name, value)) is not None:
            dropped.append((tag.start, report))
    return f"<{tag.name}{''.join(' ' + a for a in kept)}>"


def _dangerous(name: str, value: str | None) -> str | None:
    """The words sanitize.py uses for what matters; harmless attributes go without a warning."""
    if name.startswith("on"):
        return "on* event attribute"
    if name == "rel" and value is not None and "attachment" in value.lower():
        return 'rel="attachment"'
    if name in _URL_ATTRIBUTES:
        return "script/data/file URL"
    return None


def _attribute_allowed(tag: str, name: str, value: str | None) -> bool:
    allowed = ALLOWED_ATTRIBUTES.get("*", set()) | ALLOWED_ATTRIBUTES.get(tag, set())
    if name not in allowed and not name.startswith(("data-", "aria-")):
        return False
    if (tag, name) in _CHECKED_LATER:
        return True
    if name in _URL_ATTRIBUTES and value is not None:
        scheme = html.unescape(value).strip().split(":", 1)
        has_scheme = len(scheme) == 2 and "/" not in scheme[0]
        return not has_scheme or scheme[0].lower() in URL_SCHEMES
    return True
