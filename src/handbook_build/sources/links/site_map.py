"""Own-site mapping: links to the book's own web site (the handbook used to live on WordPress)
that name chapters of the book, found so they can become internal links."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Literal
from urllib.parse import unquote, urlsplit

from handbook_build.model import TocNode, frozen_mapping

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
