"""Raw-HTML sanitizing of pandoc's output with nh3 (the Ammonia sanitizer): an allow-list.

Chapters come from contributors' pull requests, and EPUB readers run scripts: nothing executable,
no frames or objects, no event handlers, no ``javascript:`` URLs and no ``rel=attachment`` (which
makes WeasyPrint embed the target file) may reach any edition.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import nh3

from handbook_build.html.css_subset import safe_style

ALLOWED_TAGS = frozenset({
    "a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "col", "colgroup", "dd",
    "del", "details", "dfn", "div", "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3",
    "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s",
    "samp", "section", "small", "span", "strong", "sub", "summary", "sup", "table", "tbody",
    "td", "tfoot", "th", "thead", "tr", "u", "ul", "var", "wbr", "aside", "header", "footer",
    "nav", "article",
})
ALLOWED_ATTRIBUTES = {
    "*": {"id", "class", "lang", "dir", "title", "role"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height", "style"},
    "figure": {"style"},
    "ol": {"start", "type", "reversed"},
    "li": {"value"},
    "td": {"colspan", "rowspan", "align", "style"},
    "th": {"colspan", "rowspan", "align", "scope", "style"},
    "col": {"span", "style"},
    "q": {"cite"},
    "blockquote": {"cite"},
}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
# Elements whose content goes too: a script's text must not turn into visible prose.
DROPPED_WITH_CONTENT = frozenset({"script", "style", "iframe", "object", "embed", "applet",
                                  "noscript", "template", "frameset", "frame", "math", "svg",
                                  "form", "textarea", "select", "audio", "video", "canvas"})

_TAG = re.compile(r"<\s*([a-zA-Z][a-zA-Z0-9-]*)")
_EVENT_ATTR = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)
_JS_URL = re.compile(r"""(?:href|src)\s*=\s*["']?\s*(?:javascript|vbscript|data|file):""",
                     re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class SanitizedHtml:
    html: str
    dropped: tuple[str, ...]  # what was removed, for warnings ("<script>", "on* attribute", ...)


def sanitize_html(html: str) -> SanitizedHtml:
    """Clean one section's HTML and say what was dropped (the lint reports it too)."""
    clean = nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(DROPPED_WITH_CONTENT),
        attributes={key: set(value) for key, value in ALLOWED_ATTRIBUTES.items()},
        generic_attribute_prefixes={"data-", "aria-"},
        url_schemes=set(URL_SCHEMES),
        link_rel=None,
        strip_comments=True,
        attribute_filter=_filter_attribute,
    )
    return SanitizedHtml(clean, _describe_dropped(html) if clean != html else ())


def _filter_attribute(tag: str, attribute: str, value: str) -> str | None:
    """nh3's per-attribute hook: ``style`` keeps only css_subset's declarations."""
    return safe_style(tag, value) if attribute == "style" else value


def _describe_dropped(html: str) -> tuple[str, ...]:
    """A short, deterministic list of the kinds of markup the sanitizer removed."""
    found: set[str] = set()
    for match in _TAG.finditer(html):
        tag = match.group(1).lower()
        if tag not in ALLOWED_TAGS:
            found.add(f"<{tag}>")
    if _EVENT_ATTR.search(html):
        found.add("on* event attribute")
    if _JS_URL.search(html):
        found.add("script/data/file URL")
    if re.search(r"rel\s*=\s*[\"']?attachment", html, re.IGNORECASE):
        found.add('rel="attachment"')
    return tuple(sorted(found))
