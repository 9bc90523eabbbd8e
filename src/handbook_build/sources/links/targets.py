"""The fate of one link target: an internal anchor (``#slug--frag``), a repaired or kept URL, or
unlinked with the reason, decided from the chapter's context."""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

from handbook_build.model import TocNode
from handbook_build.sources.links.site_map import SiteMap
from handbook_build.sources.links.url_repair import UNSAFE_SCHEMES, UrlRepair, repair_url, scheme_of

_GITHUB_HOSTS = frozenset({"github.com", "www.github.com", "raw.githubusercontent.com"})


@dataclass(frozen=True, slots=True)
class LinkContext:
    chapter: TocNode
    chapter_dir: Path  # folder of the chapter file: relative targets are resolved against it
    slug_by_file: Mapping[str, str]  # chapter file name -> slug ("convening.md" -> "convening")
    # SiteMap is a frozen dataclass: every context may share the one empty map.
    site_map: SiteMap = SiteMap()  # noqa: RUF009
    contents_path: Path | None = None  # shown in messages when the chapter has no source path


@dataclass(frozen=True, slots=True)
class LinkTarget:
    """What to do with one link target: a new href, or unlink (href None) with a diagnostic."""

    href: str | None
    internal: bool = False
    site_mapped: bool = False
    unmapped: str | None = None
    code: str = ""
    message: str = ""
    hint: str = ""


def decide_target(ctx: LinkContext, destination: str) -> LinkTarget:
    if not destination:
        return _unlink("unlinked-target", "empty link target", "give the link a target")
    if destination.startswith("#"):
        return LinkTarget(_anchor(ctx.chapter.slug, destination[1:]), internal=True)
    # Browsers ignore whitespace/controls in a scheme and pandoc decodes entities, so
    # "jav&#x61;script:" and "java\tscript:" must be caught as well.
    scheme = scheme_of(re.sub(r"[\s\x00-\x1f]", "", html.unescape(destination)))
    if scheme in UNSAFE_SCHEMES:
        return _unlink(
            "unsafe-link",
            f"unsafe {scheme}: link removed: {_shorten(destination)}",
            "books may only link to web pages, e-mail addresses and their own chapters",
        )
    if scheme == "mailto":
        return LinkTarget(destination)
    if scheme is None and not destination.startswith("//"):
        chapter = _chapter_file_target(ctx, destination)
        if chapter is not None:
            return chapter
    return _decide_url(ctx, destination)


def _decide_url(ctx: LinkContext, destination: str) -> LinkTarget:
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
    if scheme_of(url) is None:
        return _unlink(
            "unlinked-target",
            f"link to a file that is not a chapter of the book: {_shorten(destination)}",
            "link to a chapter's .md file as listed in the contents, or to a web address",
        )
    unmapped = _site_unmapped(ctx, url)
    if repair.note is not None:
        return LinkTarget(
            url,
            unmapped=unmapped,
            code="malformed-url",
            message=f"repaired malformed URL {_shorten(destination)!r} -> {_shorten(url)!r} "
            f"({repair.note})",
            hint="fix the link in the source",
        )
    return LinkTarget(url, unmapped=unmapped)


def _with_note(target: LinkTarget, destination: str, repair: UrlRepair) -> LinkTarget:
    return LinkTarget(
        target.href,
        internal=target.internal,
        site_mapped=target.site_mapped,
        code="malformed-url",
        message=f"repaired malformed URL {_shorten(destination)!r} ({repair.note})",
        hint="fix the link in the source",
    )


def _chapter_file_target(ctx: LinkContext, destination: str) -> LinkTarget | None:
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
        return LinkTarget(_anchor(slug, fragment), internal=True)
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


def _github_chapter(ctx: LinkContext, url: str) -> LinkTarget | None:
    parts = urlsplit(url)
    if (parts.hostname or "").lower() not in _GITHUB_HOSTS:
        return None
    name = PurePosixPath(unquote(parts.path)).name
    slug = ctx.slug_by_file.get(name)
    if slug is None:
        return None
    return LinkTarget(_anchor(slug, parts.fragment), internal=True)


def _site_target(ctx: LinkContext, url: str) -> LinkTarget | None:
    anchor = ctx.site_map.lookup(url)
    if anchor is None:
        return None
    return LinkTarget("#" + anchor, internal=True, site_mapped=True)


def _site_unmapped(ctx: LinkContext, url: str) -> str | None:
    """``"url: reason"`` for an own-site *page* not in the book (home page and uploads excluded)."""
    lookup = ctx.site_map.classify(url)
    if lookup.kind in ("query", "unknown-page"):
        return f"{url}: {lookup.reason}"
    return None


def _anchor(slug: str, fragment: str) -> str:
    return f"#{slug}--{fragment}" if fragment else f"#{slug}"


def _unlink(code: str, message: str, hint: str) -> LinkTarget:
    return LinkTarget(None, code=code, message=message, hint=hint)


def _shorten(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
