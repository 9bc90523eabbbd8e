"""Rewriting one chapter's links: walk the prose (never code) and rewrite every inline link,
autolink and raw ``<a href>`` as ``targets`` decides, counting and reporting as it goes."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from pathlib import Path

from handbook_build.model import Diagnostic, TocNode
from handbook_build.sources.links.targets import LinkContext, LinkTarget, decide_target
from handbook_build.sources.markdown_scan import (
    InlineLink,
    column_of,
    find_inline_links,
    line_of,
    mask_code,
)

_AUTOLINK = re.compile(r"<([A-Za-z][A-Za-z0-9+.-]{1,31}:[^\s<>]*)>")
_HTML_ANCHOR = re.compile(
    r"<a\b[^>]*?\bhref\s*=\s*(?:\"(?P<dq>[^\"]*)\"|'(?P<sq>[^']*)'|(?P<bare>[^\s>]+))[^>]*>",
    re.IGNORECASE,
)
_HTML_ANCHOR_END = re.compile(r"</a\s*>", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class LinkResult:
    markdown: str
    diagnostics: tuple[Diagnostic, ...] = ()
    internal_links: int = 0  # links that now point inside the book (#slug...)
    site_links_mapped: int = 0  # own-site page URLs turned into internal links
    site_links_unmapped: tuple[str, ...] = ()  # "url: reason" for own-site pages not in the book


@dataclass(slots=True)
class _Walk:
    """Mutable state of one ``rewrite_links`` call (never escapes it)."""

    text: str
    masked: str
    ctx: LinkContext
    diagnostics: list[Diagnostic] = field(default_factory=list)
    internal: int = 0
    mapped: int = 0
    unmapped: list[str] = field(default_factory=list)


def display_path(chapter: TocNode, contents_path: Path | None) -> str:
    """The chapter file as shown in messages: relative to the working directory where possible."""
    path = chapter.source_path or contents_path
    if path is None:
        return chapter.slug
    from handbook_build.display import shown

    return shown(path)


def rewrite_links(markdown: str, ctx: LinkContext) -> LinkResult:
    """Rewrite every link in the prose of one chapter (the rules: the links package docstring)."""
    walk = _Walk(markdown, mask_code(markdown), ctx)
    rewritten = _rewrite_range(walk, 0, len(markdown))
    return LinkResult(
        markdown=rewritten,
        diagnostics=tuple(walk.diagnostics),
        internal_links=walk.internal,
        site_links_mapped=walk.mapped,
        site_links_unmapped=tuple(walk.unmapped),
    )


def _rewrite_range(walk: _Walk, start: int, end: int, in_link: bool = False) -> str:
    """``text[start:end]`` with its links rewritten (recursing into image alts).

    Inside a link's text (``in_link``) pandoc reads nested Markdown links as literal text, so
    only raw HTML anchors, autolinks and images' alts are rewritten there.
    """
    links = find_inline_links(walk.text, start, end, walk.masked)
    edits: list[tuple[int, int, str]] = []
    covered = start
    for link in links:
        edits += _raw_edits(walk, covered, link.start)
        if link.is_image:
            # Images belong to images/, but an image's alt may hold a link (a figure caption).
            inner = _rewrite_range(walk, link.text_start, link.text_end)
            edits.append((link.text_start, link.text_end, inner))
        elif not in_link:
            edits.append((link.start, link.end, _rewrite_inline(walk, link)))
        else:
            # A link nested in a link's text is literal, but raw HTML in it is still HTML.
            inner = _rewrite_range(walk, link.text_start, link.text_end, in_link=True)
            edits.append((link.text_start, link.text_end, inner))
        covered = link.end
    edits += _raw_edits(walk, covered, end)
    return _apply(walk.text, start, end, edits)


def _apply(text: str, start: int, end: int, edits: list[tuple[int, int, str]]) -> str:
    parts: list[str] = []
    pos = start
    for edit_start, edit_end, replacement in sorted(edits):
        parts.append(text[pos:edit_start])
        parts.append(replacement)
        pos = edit_end
    parts.append(text[pos:end])
    return "".join(parts)


def _rewrite_inline(walk: _Walk, link: InlineLink) -> str:
    text = walk.text
    target = _classify(walk, link.destination, link.dest_start)
    # Unlinking frees the text: links nested in it become real links then.
    inner = _rewrite_range(walk, link.text_start, link.text_end, in_link=target.href is not None)
    if target.href is None:
        # Unlinked: the text stays. Dropping the brackets could glue backtick runs together
        # and re-pair code spans (turning code into links), so text with backticks, or none at
        # all, keeps its brackets as a pandoc span.
        if "`" in inner or not inner.strip():
            return f"[{inner}]{{.unlinked}}"
        return inner
    if target.href == link.destination:
        dest = text[link.dest_start : link.dest_end]
    else:
        dest = _markdown_destination(target.href)
    return (
        text[link.start : link.text_start]
        + inner
        + text[link.text_end : link.dest_start]
        + dest
        + text[link.dest_end : link.end]
    )


def _markdown_destination(href: str) -> str:
    """``href`` as a Markdown link destination (angle brackets when parentheses are unbalanced)."""
    depth = 0
    for char in href:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0:
            break
    if depth != 0 or re.search(r"[\s<>]", href):
        return "<" + href.replace("<", "%3C").replace(">", "%3E") + ">"
    return href


def _raw_edits(walk: _Walk, start: int, end: int) -> list[tuple[int, int, str]]:
    """Edits for autolinks and raw ``<a href>`` tags in prose between inline links."""
    edits: list[tuple[int, int, str]] = []
    for match in _AUTOLINK.finditer(walk.masked, start, end):
        edits += _autolink_edit(walk, match)
    for match in _HTML_ANCHOR.finditer(walk.masked, start, end):
        edits += _anchor_edits(walk, match, end)
    return edits


def _autolink_edit(walk: _Walk, match: re.Match[str]) -> list[tuple[int, int, str]]:
    url = walk.text[match.start(1) : match.end(1)]
    if "@" in url and not url.lower().startswith(("http:", "https:", "ftp:")):
        return []  # e-mail style autolinks stay
    target = _classify(walk, url, match.start(1))
    if target.href is None:
        return [(match.start(), match.end(), _escape_text(url))]
    if target.internal:
        return [(match.start(), match.end(), f"[{_escape_text(url)}]({target.href})")]
    if target.href != url:
        return [(match.start(), match.end(), f"<{target.href}>")]
    return []


def _anchor_edits(walk: _Walk, match: re.Match[str], end: int) -> list[tuple[int, int, str]]:
    group = next(name for name in ("dq", "sq", "bare") if match.group(name) is not None)
    value_start, value_end = match.start(group), match.end(group)
    href = _html_unescape(walk.text[value_start:value_end])
    target = _classify(walk, href, value_start)
    if target.href is None:
        closing = _HTML_ANCHOR_END.search(walk.masked, match.end(), end)
        edits = [(match.start(), match.end(), "")]
        if closing is not None:
            edits.append((closing.start(), closing.end(), ""))
        return edits
    if target.href == href:
        return []
    quoted = target.href.replace("&", "&amp;").replace('"', "&quot;")
    if group == "bare":
        quoted = f'"{quoted}"'
    return [(value_start, value_end, quoted)]


def _html_unescape(value: str) -> str:
    return html.unescape(value)


def _escape_text(text: str) -> str:
    return re.sub(r"([\\`*_\[\]<>])", r"\\\1", text)


def _classify(walk: _Walk, destination: str, offset: int) -> LinkTarget:
    """Decide a link target's fate and record the counts and diagnostics."""
    target = decide_target(walk.ctx, destination.strip())
    if target.internal:
        walk.internal += 1
    if target.site_mapped:
        walk.mapped += 1
    if target.unmapped is not None:
        walk.unmapped.append(target.unmapped)
    if target.code:
        walk.diagnostics.append(
            Diagnostic(
                path=display_path(walk.ctx.chapter, walk.ctx.contents_path),
                line=line_of(walk.text, offset),
                column=column_of(walk.text, offset),
                message=target.message,
                hint=target.hint,
                severity="warning",
                code=target.code,
            )
        )
    return target
