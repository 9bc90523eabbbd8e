"""The scans ``check`` adds to what the manifest and ``read_book`` already report.

The build repairs what it can and says so; these rules find what it cannot see or does not need:
chapter files the contents forgot, titles listed twice, links to anchors that do not exist,
own-site links to pages that are not in the book, and raw HTML the sanitizer will drop. They read
the chapter files as written, so every line and column is one of the file the editor opens.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath
from urllib.parse import unquote, urlsplit

from handbook_build.html.sanitize import ALLOWED_TAGS, DROPPED_WITH_CONTENT
from handbook_build.model import Book, Diagnostic, Manifest, TocNode
from handbook_build.sources.contents import display_path
from handbook_build.sources.guard import MAX_CHAPTER_BYTES, input_file_problem
from handbook_build.sources.links import SiteMap, build_site_map, repair_url
from handbook_build.sources.markdown_fix import pandoc_identifier, unique_identifier
from handbook_build.sources.markdown_scan import (
    column_of,
    find_inline_links,
    line_of,
    mask_code,
    unescape_markdown,
)

CONTENTS_NAMES = frozenset({"readme.md", "summary.md", "contents.md"})  # never orphans


@dataclass(frozen=True, slots=True)
class ChapterText:
    """One chapter file as written (BOM removed, line ends kept), for the source scans."""

    node: TocNode
    shown: str  # the path as shown in messages
    text: str


@dataclass(frozen=True, slots=True)
class LinkIndex:
    """What a link may point at: chapter files, each chapter's heading ids, the own site."""

    slug_by_file: Mapping[str, str]  # "convening.md" -> "convening"
    anchors: Mapping[str, frozenset[str]]  # chapter slug -> its local heading ids
    site_map: SiteMap


# --- the contents list ---------------------------------------------------------------------------


def orphan_chapters(manifest: Manifest) -> list[Diagnostic]:
    """Markdown files in a chapters folder that the contents list does not name.

    Every folder that holds a listed chapter is a chapters folder; the contents file itself and
    README/SUMMARY/contents files are the book's furniture, not chapters.
    """
    listed = {node.source_path for node in manifest.chapters if node.source_path is not None}
    folders = sorted({path.parent for path in listed})
    shown_contents = display_path(manifest.contents_path)
    found: list[Diagnostic] = []
    for folder in folders:
        for path in sorted(folder.glob("*.md")):
            resolved = path.resolve()
            if (resolved in listed or resolved == manifest.contents_path.resolve()
                    or path.name.lower() in CONTENTS_NAMES or not path.is_file()):
                continue
            found.append(Diagnostic(
                display_path(path), None, "chapter file is not in the contents list",
                f"list it in {shown_contents} or delete it", "warning", "orphan-chapter"))
    return found


def duplicate_titles(manifest: Manifest) -> list[Diagnostic]:
    """Two entries with the same title make the table of contents and bookmarks ambiguous."""
    shown = display_path(manifest.contents_path)
    first: dict[str, TocNode] = {}
    found: list[Diagnostic] = []
    for node in manifest.nodes:
        key = " ".join(node.title.casefold().split())
        if key not in first:
            first[key] = node
            continue
        found.append(Diagnostic(
            shown, node.contents_line,
            f"title {node.title!r} is used twice (first on line {first[key].contents_line})",
            "give each part and chapter its own title", "warning", "duplicate-title"))
    return found


# --- the link index ------------------------------------------------------------------------------


_HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.*?)[ \t]*$")
_CLOSING = re.compile(r"(?:^|[ \t]+)#+$")
_ATTRIBUTES = re.compile(r"[ \t]*\{([^{}]*)\}$")
_ID_ATTRIBUTE = re.compile(r"(?:^|\s)#([^\s{}]+)")


def link_index(manifest: Manifest, chapters: Iterable[ChapterText], book: Book | None
               ) -> LinkIndex:
    """Heading ids from the book ``read_book`` made when there is one (the ids the assembly
    gives), else from the chapter files with pandoc's rules."""
    texts = list(chapters)
    anchors = _book_anchors(book) if book is not None else {
        chapter.node.slug: _source_anchors(chapter.text) for chapter in texts}
    slug_by_file = {node.source_path.name: node.slug
                    for node in manifest.chapters if node.source_path is not None}
    site_map = build_site_map(manifest.metadata.site_url, manifest.chapters,
                              manifest.site_aliases)
    return LinkIndex(slug_by_file, anchors, site_map)


def _book_anchors(book: Book) -> dict[str, frozenset[str]]:
    """Local ids from the normalized chapters: every ``{#slug--local}`` the assembly wrote."""
    anchors: dict[str, frozenset[str]] = {}
    for chapter in book.chapters:
        prefix = f"{chapter.node.slug}--"
        ids = re.findall(r"\{#([^\s{}]+)", mask_code(chapter.markdown))
        anchors[chapter.node.slug] = frozenset(
            ident.removeprefix(prefix) for ident in ids if ident.startswith(prefix))
    return anchors


def _source_anchors(text: str) -> frozenset[str]:
    """The ids pandoc gives the ATX headings of one chapter (explicit ``{#id}`` kept)."""
    used: set[str] = set()
    for line in mask_code(text).split("\n"):
        match = _HEADING.match(line)
        if match is None:
            continue
        title = _CLOSING.sub("", match.group(2))
        attributes = _ATTRIBUTES.search(title)
        explicit = _ID_ATTRIBUTE.search(attributes.group(1)) if attributes else None
        if explicit is not None:
            used.add(explicit.group(1))
        else:
            unique_identifier(pandoc_identifier(title), used)
    return frozenset(used)


# --- one chapter ---------------------------------------------------------------------------------


def scan_chapter(chapter: ChapterText, index: LinkIndex) -> list[Diagnostic]:
    """Link targets and raw HTML of one chapter, outside code."""
    masked = mask_code(chapter.text)
    found = list(_scan_links(chapter, masked, index))
    found += _scan_html(chapter, masked)
    return found


_REFERENCE = re.compile(r"^ {0,3}\[(?!\^)[^\]]+\]:[ \t]*<?(?P<dest>[^\s>]+)", re.MULTILINE)


def _scan_links(chapter: ChapterText, masked: str, index: LinkIndex) -> Iterator[Diagnostic]:
    for offset, destination in _destinations(chapter.text, masked):
        diagnostic = _check_destination(chapter, index, destination.strip())
        if diagnostic is not None:
            code, message, hint = diagnostic
            yield Diagnostic(chapter.shown, line_of(chapter.text, offset), message, hint,
                             "warning", code, column_of(chapter.text, offset))


def _destinations(text: str, masked: str) -> Iterator[tuple[int, str]]:
    """(offset, destination) of inline links, images and reference definitions, in order."""
    found: list[tuple[int, str]] = []
    pending = [(0, len(text))]
    while pending:
        start, end = pending.pop()
        for link in find_inline_links(text, start, end, masked):
            found.append((link.dest_start, link.destination))
            pending.append((link.text_start, link.text_end))  # [![alt](src)](href)
    for match in _REFERENCE.finditer(masked):
        found.append((match.start("dest"), unescape_markdown(text[match.start("dest"):
                                                                  match.end("dest")])))
    yield from sorted(found)


def _check_destination(chapter: ChapterText, index: LinkIndex, destination: str
                       ) -> tuple[str, str, str] | None:
    """(code, message, hint) when ``destination`` points inside the book at nothing."""
    if destination.startswith("#"):
        local = unquote(destination[1:])
        if any(local in ids for ids in index.anchors.values()):
            return None  # a label of another chapter: xrefs/ links it there (MyST [](#label))
        return _check_anchor(index, chapter.node.slug, local, destination)
    parts = _split(destination)
    if parts is None:
        return None
    scheme, host, path, fragment = parts
    name = PurePosixPath(unquote(path)).name
    if not scheme or host.lower().endswith(("github.com", "githubusercontent.com")):
        slug = index.slug_by_file.get(name)
        if slug is not None:
            return _check_anchor(index, slug, unquote(fragment), destination) if fragment else None
        if not scheme:
            return None  # a file that is not a chapter: read_book reports it (unlinked-target)
    url = repair_url(destination).url
    if url is None or not index.site_map.on_site(url):
        return None
    lookup = index.site_map.classify(url)
    if lookup.kind == "chapter" and lookup.target is not None and "--" in lookup.target:
        slug, _, local = lookup.target.partition("--")
        return _check_anchor(index, slug, unquote(local), destination)
    if lookup.kind in ("unknown-page", "query"):
        return ("site-unmapped", f"link to the book's web site maps to no chapter: "
                f"{_shorten(destination)} ({lookup.reason})",
                index.site_map.unmapped_hint(url))
    return None


def _split(destination: str) -> tuple[str, str, str, str] | None:
    try:
        parts = urlsplit(destination)
    except ValueError:
        return None  # malformed URLs are for links/ to report (malformed-url)
    return parts.scheme, parts.netloc, parts.path, parts.fragment


def _check_anchor(index: LinkIndex, slug: str, local: str, destination: str
                  ) -> tuple[str, str, str] | None:
    anchors = index.anchors.get(slug)
    if anchors is None or local in anchors:
        return None
    known = ", ".join(sorted(anchors)[:6]) or "none"
    return ("broken-anchor", f"link {_shorten(destination)!r}: no heading with id {local!r} "
            f"in chapter {slug!r}", f"heading ids there: {known}")


# --- raw HTML ------------------------------------------------------------------------------------


_TAG = re.compile(r"<(?P<name>[A-Za-z][A-Za-z0-9-]*)(?P<attrs>(?:\s[^<>]*)?)/?>")
_EVENT = re.compile(r"\s(on[a-z]+)\s*=", re.IGNORECASE)
_SCRIPT_URL = re.compile(
    r"""\b(?P<attr>href|src)\s*=\s*["']?\s*(?P<scheme>javascript|vbscript|data|file):""",
    re.IGNORECASE)
_ATTACHMENT = re.compile(r"""\brel\s*=\s*["']?[^"'>]*\battachment""", re.IGNORECASE)
_HTML_HINT = "write it in Markdown; the sanitizer keeps only safe, static HTML (sanitize.py)"


def _scan_html(chapter: ChapterText, masked: str) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    for match in _TAG.finditer(masked):
        for offset, message in _html_problems(match):
            found.append(Diagnostic(
                chapter.shown, line_of(chapter.text, offset), message, _HTML_HINT, "warning",
                "raw-html", column_of(chapter.text, offset)))
    return found


def _html_problems(match: re.Match[str]) -> Iterator[tuple[int, str]]:
    """What the sanitizer will remove from one start tag, at the offset to report."""
    tag = match.group("name").lower()
    if tag in DROPPED_WITH_CONTENT:
        yield match.start(), f"raw HTML <{tag}> will be dropped with its content"
    elif tag not in ALLOWED_TAGS:
        yield match.start(), f"raw HTML <{tag}> will be dropped (its text is kept)"
    attrs, base = match.group("attrs"), match.start("attrs")
    for event in _EVENT.finditer(attrs):
        yield base + event.start(1), f"event handler {event.group(1)}= will be dropped"
    for url in _SCRIPT_URL.finditer(attrs):
        if (tag, url.group("attr").lower()) in (("a", "href"), ("img", "src")):
            continue  # links/ and images/ drop these and say so themselves
        yield base + url.start("scheme"), f"{url.group('scheme').lower()}: URL will be dropped"
    for rel in _ATTACHMENT.finditer(attrs):
        yield base + rel.start(), 'rel="attachment" will be dropped'


def _shorten(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def read_chapter_texts(manifest: Manifest) -> list[ChapterText]:
    """Each listed chapter that can be read as UTF-8 (the manifest reports the others)."""
    texts: list[ChapterText] = []
    for node in manifest.chapters:
        path = node.source_path
        if path is None:
            continue
        if input_file_problem(path, MAX_CHAPTER_BYTES) is not None:
            continue  # not a regular file or too large: never read (the manifest reports it)
        try:
            text = path.read_bytes().decode("utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        texts.append(ChapterText(node, display_path(path), text.removeprefix("\ufeff")))
    return texts


LINK_CODES = frozenset({"site-unmapped", "broken-anchor"})


def without_duplicate_raw_html(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    """The sanitizer's ``raw-html-dropped`` where the lint's ``raw-html`` (which says the same
    with more detail) has nothing on that line; build and check both report this set."""
    found = list(diagnostics)
    linted = {(d.path, d.line, _raw_html_subject(d.message)) for d in found
              if d.code == "raw-html"}
    return [d for d in found if d.code != "raw-html-dropped"
            or (d.path, d.line, _raw_html_subject(d.message)) not in linted]


def _raw_html_subject(message: str) -> str:
    """What a raw-HTML message is about: the tag (``<script>``) or event handlers."""
    if "event" in message:
        return "event"
    tag = re.search(r"<\w+>", message)
    return tag.group(0) if tag else message


def book_link_diagnostics(book: Book) -> list[Diagnostic]:
    """Every scan of ``check`` over a book already read, so builds report what check does
    (the same set, not only the link findings)."""
    chapters = [ChapterText(c.node, display_path(c.node.source_path), c.source_text)
                for c in book.chapters if c.node.source_path is not None]
    index = link_index(book.manifest, chapters, book)
    found: list[Diagnostic] = [*orphan_chapters(book.manifest),
                               *duplicate_titles(book.manifest)]
    for chapter in chapters:
        found += scan_chapter(chapter, index)
    return found
