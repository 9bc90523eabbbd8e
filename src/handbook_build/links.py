"""Link rewriting of one chapter's Markdown (source-normalizing stage; pure, no I/O).

Three jobs, all on text:

* ``repair_url``: fix the malformed URLs a wiki/WordPress conversion leaves behind
  (``http://%20http://x``, ``http:http://x``, stray ``%20``, scheme-less domains, broken percent
  escapes) where the fix is unambiguous, and recognise plain text used as a link target;
* ``SiteMap``: links to the book's own web site (the handbook used to live on WordPress) point at
  chapters that are in the book, so they become internal links;
* ``rewrite_links``: walk the prose (never code) and rewrite every inline link, autolink and raw
  ``<a href>`` per the manuscript contract: ``#frag`` -> ``#slug--frag``, ``other.md#x`` ->
  ``#otherslug--x``, own-site pages -> ``#slug``, the rest repaired or unlinked with a warning.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Literal
from urllib.parse import unquote, urlsplit

from handbook_build.markdown_scan import (
    InlineLink,
    column_of,
    find_inline_links,
    line_of,
    mask_code,
)
from handbook_build.model import Diagnostic, TocNode, frozen_mapping

__all__ = [
    "LinkContext",
    "LinkResult",
    "SiteLookup",
    "SiteMap",
    "UrlRepair",
    "build_site_map",
    "display_path",
    "is_site_asset",
    "repair_url",
    "rewrite_links",
    "slugify",
]

# --- URL repair --------------------------------------------------------------------------------

UNSAFE_SCHEMES = frozenset({"javascript", "data", "file", "vbscript"})
WEB_SCHEMES = frozenset({"http", "https", "ftp"})
# Endings that make a dotted word a file name rather than a domain (".md" is also Moldova's TLD,
# but in a book's sources it is a chapter file).
# fmt: off
FILE_EXTENSIONS = frozenset((
    "md", "markdown", "txt", "html", "htm", "xhtml", "php", "asp", "aspx", "jsp", "png", "jpg",
    "jpeg", "gif", "svg", "webp", "pdf", "doc", "docx", "odt", "ppt", "pptx", "xls", "xlsx",
    "csv", "zip", "gz", "tar", "epub", "mobi", "css", "js", "json", "xml", "yml", "yaml",
    "toml", "py", "rb", "sh", "mp3", "mp4", "mov", "avi", "wav", "ogg",
))
# fmt: on

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
# One or more "http:" / "http://" / "http://%20" prefixes glued in front of a real URL.
_DOUBLED_SCHEME = re.compile(r"^(?:https?:/{0,3}(?:%20|\s)*)+(?=https?:)", re.IGNORECASE)
_EDGE_SPACE = re.compile(r"^(?:%20|\s)+|(?:%20|\s)+$", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_BARE_DOMAIN = re.compile(
    r"^(?P<host>(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+(?P<tld>[a-z]{2,24}))(?::\d{1,5})?(?:[/?#].*)?$",
    re.IGNORECASE,
)
_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
# ASCII characters that may never appear raw in a URL (RFC 3986); non-ASCII is left alone
# because IRIs are valid in HTML and EPUB.
_ILLEGAL_URL_CHARS = frozenset(' "<>\\^`{|}')
_PATH_LIKE = re.compile(r"(?:^[./#?])|/|\.[A-Za-z0-9]{1,5}(?:[?#]|$)")


@dataclass(frozen=True, slots=True)
class UrlRepair:
    """The repaired URL (None: not a URL or path, unlink it) and what was done (None: nothing)."""

    url: str | None
    note: str | None = None


def repair_url(url: str) -> UrlRepair:
    """Repair a link target where the fix is unambiguous; ``url=None`` for plain text."""
    notes: list[str] = []
    text = _strip_edges(url, notes)
    if not text:
        return UrlRepair(None, "empty link target")
    unglued = _DOUBLED_SCHEME.sub("", text)
    if unglued != text:
        notes.append("removed a doubled scheme")
        text = unglued
    if text.startswith("//"):
        notes.append("added http: to a scheme-relative address")
        text = "http:" + text
    scheme = _scheme_of(text)
    if scheme is None:
        return _repair_schemeless(text, url, notes)
    if scheme in UNSAFE_SCHEMES:
        return UrlRepair(None, f"unsafe {scheme}: link")
    if scheme not in WEB_SCHEMES:
        return _result(text, url, notes)  # mailto:, tel:, ... are kept as written
    if not urlsplit(text).netloc:
        return UrlRepair(None, f"{scheme}: address without a host")
    return _result(_encode_illegal(text, notes), url, notes)


def _strip_edges(url: str, notes: list[str]) -> str:
    text = url
    cleaned = _CONTROL.sub("", text)
    if cleaned != text:
        notes.append("removed control characters")
        text = cleaned
    stripped = _EDGE_SPACE.sub("", text)
    if stripped != text.strip():
        notes.append("removed leading/trailing %20")
    return stripped


def _scheme_of(text: str) -> str | None:
    match = _SCHEME.match(text)
    if match is None:
        return None
    scheme = match.group(1).lower()
    if "." in scheme:
        return None  # "www.example.org:8080/x": a host and port, not a scheme
    return scheme


def _repair_schemeless(text: str, original: str, notes: list[str]) -> UrlRepair:
    domain = _BARE_DOMAIN.match(text)
    if domain is not None and _looks_like_domain(domain["host"], domain["tld"]):
        notes.append("added http:// to a scheme-less address")
        return _result(_encode_illegal("http://" + text, notes), original, notes)
    if re.search(r"\s", unquote(text)) or not _PATH_LIKE.search(text):
        return UrlRepair(None, f"plain text used as a link target: {unquote(text)!r}")
    return _result(text, original, notes)  # a relative path: the caller decides


def _looks_like_domain(host: str, tld: str) -> bool:
    if host.lower().startswith("www."):
        return True
    return tld.isalpha() and tld.lower() not in FILE_EXTENSIONS


def _encode_illegal(url: str, notes: list[str]) -> str:
    """Percent-encode stray ``%`` and characters that may not appear raw in a URL."""
    encoded = _BAD_PERCENT.sub("%25", url)
    encoded = "".join(f"%{ord(c):02X}" if c in _ILLEGAL_URL_CHARS else c for c in encoded)
    if encoded != url:
        notes.append("percent-encoded invalid characters")
    return encoded


def _result(url: str, original: str, notes: list[str]) -> UrlRepair:
    if url == original and not notes:
        return UrlRepair(url, None)
    return UrlRepair(url, "; ".join(notes) or "removed surrounding spaces")


# --- own-site mapping --------------------------------------------------------------------------

_SITE_PAGE_SUFFIXES = (".html", ".htm", ".php")
SiteLinkKind = Literal["off-site", "chapter", "asset", "query", "home", "unknown-page"]


def slugify(text: str) -> str:
    """A WordPress-like slug: ASCII lowercase words joined by hyphens, apostrophes dropped."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    folded = re.sub(r"['\u2019]", "", folded.lower())
    return re.sub(r"[^a-z0-9]+", "-", folded).strip("-")


def _compact(key: str) -> str:
    """``co-working`` and ``coworking`` (and ``co_working``) compare equal."""
    return re.sub(r"[-_]", "", key)


def _host_key(host: str) -> str:
    host = host.lower().rstrip(".")
    return host[4:] if host.startswith("www.") else host


@dataclass(frozen=True, slots=True)
class SiteLookup:
    """Where an own-site URL leads: a chapter anchor (``slug`` or ``slug--frag``) or why not."""

    target: str | None
    kind: SiteLinkKind
    reason: str

    @property
    def on_site(self) -> bool:
        return self.kind != "off-site"


@dataclass(frozen=True, slots=True)
class SiteMap:
    """Own-site page slugs -> chapter slugs. Build it with ``build_site_map``."""

    host: str = ""  # lowercase, without "www."; empty: no site, nothing maps
    path_prefix: str = ""  # the site's own path ("/book"), without trailing slash
    keys: Mapping[str, str] = field(default_factory=frozen_mapping)  # page slug -> chapter slug
    compact_keys: Mapping[str, str] = field(default_factory=frozen_mapping)

    def on_site(self, url: str) -> bool:
        """True when ``url`` is an http(s) address on the site (any scheme, with/without www)."""
        parts = _split_web_url(url)
        if parts is None or not self.host:
            return False
        return _host_key(parts.hostname or "") == self.host and (
            self._site_path(parts.path) is not None
        )

    def is_site_asset(self, url: str) -> bool:
        """Uploads (``/wp-content/uploads/...``) are images and files, never chapters."""
        parts = _split_web_url(url)
        if parts is None or not self.on_site(url):
            return False
        path = self._site_path(parts.path) or ""
        return path.lower().startswith("/wp-content/")

    def lookup(self, url: str) -> str | None:
        """The chapter anchor for an own-site page URL (``slug`` or ``slug--frag``), or None."""
        return self.classify(url).target

    def classify(self, url: str) -> SiteLookup:
        """Like ``lookup`` but says why a URL does not map."""
        if not self.on_site(url):
            return SiteLookup(None, "off-site", "not on the site")
        parts = _split_web_url(url)
        assert parts is not None  # on_site checked it
        if self.is_site_asset(url):
            return SiteLookup(None, "asset", "an uploaded file, not a page")
        if parts.query:
            return SiteLookup(None, "query", f"a query URL (?{parts.query}) names no page")
        path = self._site_path(parts.path) or ""
        page = _page_slug(path)
        if not page:
            return SiteLookup(None, "home", "the site's home page")
        slug = self._match(page)
        if slug is None:
            parent = self._parent_chapter(path)
            if parent is not None:
                # WordPress gives every uploaded image a page below the page that shows it
                # (/co-working/initial-design/): the reader wants that chapter.
                return SiteLookup(parent, "chapter",
                                  f"{page!r} is an image's page in chapter {parent!r}")
            return SiteLookup(None, "unknown-page", self._unknown_reason(page, path))
        target = f"{slug}--{parts.fragment}" if parts.fragment else slug
        return SiteLookup(target, "chapter", f"page {page!r} is chapter {slug!r}")

    def _match(self, page: str) -> str | None:
        return self.keys.get(page) or self.compact_keys.get(_compact(page))

    def _parent_chapter(self, path: str) -> str | None:
        """The chapter a sub-page URL lies under (its nearest parent segment that maps)."""
        parents = [segment.lower() for segment in path.split("/") if segment][:-1]
        for parent in reversed(parents):
            chapter = self._match(parent)
            if chapter is not None:
                return chapter
        return None

    def _unknown_reason(self, page: str, path: str) -> str:
        return f"no chapter matches the page slug {page!r}"

    def unmapped_hint(self, url: str) -> str:
        """The fix for an own-site page that maps to no chapter, naming the page's slug and the
        closest chapter: a [site] alias, or a link to the chapter's file."""
        import difflib

        parts = _split_web_url(url)
        page = _page_slug(self._site_path(parts.path) or "") if parts is not None else ""
        if not page:
            return "link to the chapter's .md file, or leave the link to the web site"
        chapters = sorted(set(self.keys.values()))
        close = difflib.get_close_matches(page, chapters, n=1, cutoff=0.75)
        chapter = close[0] if close else "<chapter>"
        alias = f'{page} = "{chapter}.md"'
        if any(not ch.isalnum() and ch not in "-_" for ch in page):
            alias = f'"{page}" = "{chapter}.md"'
        return (f"if the page is a chapter of the book, map it in book.toml: [site] aliases = "
                f"{{ {alias} }}; else the link stays external")

    def _site_path(self, path: str) -> str | None:
        """The URL path below the site's own path, or None when outside it."""
        if not self.path_prefix:
            return path
        if path == self.path_prefix or path.startswith(self.path_prefix + "/"):
            return path[len(self.path_prefix) :]
        return None


def _split_web_url(url: str) -> _UrlParts | None:
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return _UrlParts(parts.hostname, unquote(parts.path), parts.query, parts.fragment)


@dataclass(frozen=True, slots=True)
class _UrlParts:
    hostname: str | None
    path: str
    query: str
    fragment: str


def _page_slug(path: str) -> str:
    """Last non-empty path segment, lowercased, ``.html``/``.php`` dropped; ``index`` skipped."""
    segments = [segment for segment in path.split("/") if segment]
    while segments:
        last = segments.pop().lower()
        for suffix in _SITE_PAGE_SUFFIXES:
            last = last.removesuffix(suffix)
        if last != "index":
            return last
    return ""


def build_site_map(
    site_url: str, chapters: Sequence[TocNode], aliases: Mapping[str, str]
) -> SiteMap:
    """Index chapters by alias, file stem and slugified title (in that priority)."""
    if not site_url.strip():
        return SiteMap()
    base = urlsplit(site_url.strip() if "//" in site_url else "http://" + site_url.strip())
    keys: dict[str, str] = {}
    compact: dict[str, str] = {}
    book_chapters = [node for node in chapters if node.kind == "chapter"]
    slug_by_name = {_file_name(node).lower(): node.slug for node in book_chapters}
    slug_by_name.update({node.slug.lower(): node.slug for node in book_chapters})
    for alias, file_name in aliases.items():
        name = file_name.strip().lower()
        slug = slug_by_name.get(name) or slug_by_name.get(name.removesuffix(".md"))
        if slug is not None:
            keys.setdefault(_page_slug(alias) or alias.lower(), slug)
    for node in book_chapters:
        for key in (PurePosixPath(_file_name(node)).stem.lower(), slugify(node.title)):
            if key:
                keys.setdefault(key, node.slug)
    for key, slug in keys.items():
        compact.setdefault(_compact(key), slug)
    return SiteMap(
        host=_host_key(base.hostname or ""),
        path_prefix=base.path.rstrip("/"),
        keys=frozen_mapping(keys),
        compact_keys=frozen_mapping(compact),
    )


def _file_name(node: TocNode) -> str:
    return node.source_path.name if node.source_path is not None else f"{node.slug}.md"


def is_site_asset(url: str, site_map: SiteMap) -> bool:
    """Module-level spelling of ``SiteMap.is_site_asset``."""
    return site_map.is_site_asset(url)


# --- rewriting ---------------------------------------------------------------------------------

_GITHUB_HOSTS = frozenset({"github.com", "www.github.com", "raw.githubusercontent.com"})
_AUTOLINK = re.compile(r"<([A-Za-z][A-Za-z0-9+.-]{1,31}:[^\s<>]*)>")
_HTML_ANCHOR = re.compile(
    r"<a\b[^>]*?\bhref\s*=\s*(?:\"(?P<dq>[^\"]*)\"|'(?P<sq>[^']*)'|(?P<bare>[^\s>]+))[^>]*>",
    re.IGNORECASE,
)
_HTML_ANCHOR_END = re.compile(r"</a\s*>", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class LinkContext:
    chapter: TocNode
    chapter_dir: Path  # folder of the chapter file: relative targets are resolved against it
    slug_by_file: Mapping[str, str]  # chapter file name -> slug ("convening.md" -> "convening")
    site_map: SiteMap = SiteMap()
    contents_path: Path | None = None  # shown in messages when the chapter has no source path


@dataclass(frozen=True, slots=True)
class LinkResult:
    markdown: str
    diagnostics: tuple[Diagnostic, ...] = ()
    internal_links: int = 0  # links that now point inside the book (#slug...)
    site_links_mapped: int = 0  # own-site page URLs turned into internal links
    site_links_unmapped: tuple[str, ...] = ()  # "url: reason" for own-site pages not in the book


@dataclass(frozen=True, slots=True)
class _Target:
    """What to do with one link target: a new href, or unlink (href None) with a diagnostic."""

    href: str | None
    internal: bool = False
    site_mapped: bool = False
    unmapped: str | None = None
    code: str = ""
    message: str = ""
    hint: str = ""


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
    """Rewrite every link in the prose of one chapter (see the module docstring for the rules)."""
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
            # Images belong to images.py, but an image's alt may hold a link (a figure caption).
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


def _classify(walk: _Walk, destination: str, offset: int) -> _Target:
    """Decide a link target's fate and record the counts and diagnostics."""
    target = _decide(walk.ctx, destination.strip())
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


def _decide(ctx: LinkContext, destination: str) -> _Target:
    if not destination:
        return _unlink("unlinked-target", "empty link target", "give the link a target")
    if destination.startswith("#"):
        return _Target(_anchor(ctx.chapter.slug, destination[1:]), internal=True)
    # Browsers ignore whitespace/controls in a scheme and pandoc decodes entities, so
    # "jav&#x61;script:" and "java\tscript:" must be caught as well.
    scheme = _scheme_of(re.sub(r"[\s\x00-\x1f]", "", html.unescape(destination)))
    if scheme in UNSAFE_SCHEMES:
        return _unlink(
            "unsafe-link",
            f"unsafe {scheme}: link removed: {_shorten(destination)}",
            "books may only link to web pages, e-mail addresses and their own chapters",
        )
    if scheme == "mailto":
        return _Target(destination)
    if scheme is None and not destination.startswith("//"):
        chapter = _chapter_file_target(ctx, destination)
        if chapter is not None:
            return chapter
    return _decide_url(ctx, destination)


def _decide_url(ctx: LinkContext, destination: str) -> _Target:
    repair = repair_url(destination)
    if repair.url is None:
        return _unlink(
            "unlinked-target",
            f"link target is not a URL ({repair.note}); kept the text without a link",
            "fix the target or remove the link in the source",
        )
    url = repair.url
    internal = _github_chapter(ctx, url) or _site_target(ctx, url)
    if internal is not None:
        return internal if repair.note is None else _with_note(internal, destination, repair)
    if _scheme_of(url) is None:
        return _unlink(
            "unlinked-target",
            f"link to a file that is not a chapter of the book: {_shorten(destination)}",
            "link to a chapter's .md file as listed in the contents, or to a web address",
        )
    unmapped = _site_unmapped(ctx, url)
    if repair.note is not None:
        return _Target(
            url,
            unmapped=unmapped,
            code="malformed-url",
            message=f"repaired malformed URL {_shorten(destination)!r} -> {_shorten(url)!r} "
            f"({repair.note})",
            hint="fix the link in the source",
        )
    return _Target(url, unmapped=unmapped)


def _with_note(target: _Target, destination: str, repair: UrlRepair) -> _Target:
    return _Target(
        target.href,
        internal=target.internal,
        site_mapped=target.site_mapped,
        code="malformed-url",
        message=f"repaired malformed URL {_shorten(destination)!r} ({repair.note})",
        hint="fix the link in the source",
    )


def _chapter_file_target(ctx: LinkContext, destination: str) -> _Target | None:
    """``other.md``, ``./other.md``, ``../en-md/other.md#x`` -> internal, or None."""
    path, _, fragment = destination.partition("#")
    path = unquote(path.split("?", 1)[0])
    if not path:
        return None
    name = PurePosixPath(path.replace("\\", "/")).name
    slug = ctx.slug_by_file.get(name)
    if slug is None and name.lower().endswith((".html", ".htm")):
        slug = _rendered_chapter(ctx, name)  # mdBook and Sphinx books link the built pages
    if slug is not None:
        return _Target(_anchor(slug, fragment), internal=True)
    if name.lower().endswith((".md", ".markdown")):
        return _unlink(
            "unlinked-target",
            f"link to {path!r}, which is not a chapter of the book; kept the text",
            "add the file to the contents list or link to a web address",
        )
    return None


def _rendered_chapter(ctx: LinkContext, name: str) -> str | None:
    """The slug of the chapter whose source ``chapter.md`` (or any ending) is ``chapter.html``."""
    stem = PurePosixPath(name).stem
    matches = [slug for file, slug in ctx.slug_by_file.items() if PurePosixPath(file).stem == stem]
    return matches[0] if len(matches) == 1 else None


def _github_chapter(ctx: LinkContext, url: str) -> _Target | None:
    parts = urlsplit(url)
    if (parts.hostname or "").lower() not in _GITHUB_HOSTS:
        return None
    name = PurePosixPath(unquote(parts.path)).name
    slug = ctx.slug_by_file.get(name)
    if slug is None:
        return None
    return _Target(_anchor(slug, parts.fragment), internal=True)


def _site_target(ctx: LinkContext, url: str) -> _Target | None:
    anchor = ctx.site_map.lookup(url)
    if anchor is None:
        return None
    return _Target("#" + anchor, internal=True, site_mapped=True)


def _site_unmapped(ctx: LinkContext, url: str) -> str | None:
    """``"url: reason"`` for an own-site *page* not in the book (home page and uploads excluded)."""
    lookup = ctx.site_map.classify(url)
    if lookup.kind in ("query", "unknown-page"):
        return f"{url}: {lookup.reason}"
    return None


def _anchor(slug: str, fragment: str) -> str:
    return f"#{slug}--{fragment}" if fragment else f"#{slug}"


def _unlink(code: str, message: str, hint: str) -> _Target:
    return _Target(None, code=code, message=message, hint=hint)


def _shorten(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
