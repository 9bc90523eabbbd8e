"""Sources stage: read each chapter of a ``Manifest`` (confined, UTF-8), normalize it -> ``Book``.

Each chapter goes through, in order: includes (``includes``) -> control characters/BOM ->
front matter (blanked, ``front_matter``) -> admonitions (``admonitions``) -> code fence info
strings (``fences``) -> glued headings -> setext headings -> reference-link inlining -> images
-> links -> footnote labels -> heading levels and ids -> closing divs left open (see
``markdown_fix``; images and links are ``images/`` and ``links/``). Every warning carries
the line of the file as written, however many lines the transforms before it added or removed.
Errors from all chapters are collected first and raised together, so one build lists every
problem at once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from handbook_build.errors import SourceError, fail_on_errors
from handbook_build.model import Book, Chapter, Diagnostic, ImageAsset, Manifest, TocNode
from handbook_build.sources import markdown_fix as fix
from handbook_build.sources.admonitions import convert_admonitions
from handbook_build.sources.citations import (
    bibliography_keys,
    convert_cite_roles,
    mark_citations,
    with_references_chapter,
)
from handbook_build.sources.fences import normalize_fences
from handbook_build.sources.front_matter import split_front_matter
from handbook_build.sources.guard import (
    check_chapter_size,
    check_chapter_text,
    check_image,
    file_kind,
)
from handbook_build.sources.images import ImageContext, ImageResolver, rewrite_images
from handbook_build.sources.includes import expand_includes
from handbook_build.sources.links import (
    LinkContext,
    SiteMap,
    build_site_map,
    display_path,
    rewrite_links,
)
from handbook_build.sources.listings import mark_listings
from handbook_build.sources.markdown_html import sanitize_markdown_html
from handbook_build.sources.markdown_inert import make_inert
from handbook_build.sources.markdown_scan import column_of, line_of
from handbook_build.sources.math_marks import mark_math
from handbook_build.sources.site_junk import remove_site_junk
from handbook_build.sources.task_lists import convert_task_lists
from handbook_build.sources.xrefs import (
    Labels,
    collect_labels,
    convert_myst_figures,
    mark_targets,
    resolve_xrefs,
)

__all__ = ["EMPTY_CHAPTER_NOTE", "read_book", "read_chapter_text"]

# What an empty chapter shows instead of nothing, so the page is visibly a placeholder.
EMPTY_CHAPTER_NOTE = "[This chapter has no content yet.]{.empty-chapter}"


@dataclass(frozen=True, slots=True)
class _BookContext:
    """What every chapter's transforms share: built once per book."""

    manifest: Manifest
    output_dir: Path
    resolver: ImageResolver
    site_map: SiteMap
    slug_by_file: dict[str, str]
    citation_keys: frozenset[str] | None  # None: no bibliography, citations left to pandoc
    labels: Labels = field(default_factory=lambda: Labels({}))  # book-wide xref targets


@dataclass(slots=True)
class _Normalized:
    markdown: str
    diagnostics: list[Diagnostic] = field(default_factory=list)
    assets: list[ImageAsset] = field(default_factory=list)


def read_book(manifest: Manifest, output_dir: Path) -> Book:
    """Read and normalize every chapter; raise ``SourceError`` listing every error found."""
    output_dir = Path(output_dir).absolute()
    context = _BookContext(
        manifest=manifest,
        output_dir=output_dir,
        resolver=ImageResolver(manifest.image_dirs, manifest.allowed_roots, check_image),
        site_map=build_site_map(manifest.metadata.site_url, manifest.chapters,
                                manifest.site_aliases),
        slug_by_file={node.source_path.name: node.slug
                      for node in manifest.chapters if node.source_path is not None},
        citation_keys=_citation_keys(manifest),
    )
    chapters: list[Chapter] = []
    diagnostics: list[Diagnostic] = []
    images: dict[str, ImageAsset] = {}
    texts: list[tuple[TocNode, str, str]] = []
    for node in manifest.chapters:
        shown = display_path(node, manifest.contents_path)
        text, problems = read_chapter_text(node, manifest.allowed_roots, shown)
        diagnostics += problems
        if text is not None:
            texts.append((node, shown, text))
    # Labels first, book-wide: a reference may point at a later chapter.
    context = replace(context, labels=collect_labels(
        [(node.slug, _label_text(text, node, manifest)) for node, _, text in texts],
        {node.source_path.stem: (node.slug, node.title)
         for node, _, _ in texts if node.source_path is not None}))
    for node, shown, text in texts:
        normalized = _normalize_chapter(text, node, context, shown)
        diagnostics += normalized.diagnostics
        for asset in normalized.assets:
            images.setdefault(asset.src, asset)
        chapters.append(Chapter(node, normalized.markdown, text))
    diagnostics += _check_cover(manifest)
    fail_on_errors(diagnostics, SourceError)
    book = Book(manifest, tuple(chapters), tuple(images.values()), tuple(diagnostics), output_dir)
    return with_references_chapter(book)


def _citation_keys(manifest: Manifest) -> frozenset[str] | None:
    path = manifest.metadata.bibliography
    if path is None:
        return None
    try:
        return bibliography_keys(path)
    except OSError:
        return frozenset()  # the manifest checked it; a file gone since: every key unknown


def _label_text(text: str, node: TocNode, manifest: Manifest) -> str:
    """The chapter as the cross-reference step will see its targets (errors come later)."""
    shown = str(node.source_path)
    expanded = expand_includes(text, node.source_path, manifest.allowed_roots, shown).text
    return convert_myst_figures(split_front_matter(expanded).body, shown).text


def _check_cover(manifest: Manifest) -> list[Diagnostic]:
    """The cover image goes through the same safety check as the chapters' images."""
    cover = manifest.metadata.cover_image
    if cover is None:
        return []
    unsafe = check_image(cover if cover.is_absolute() else manifest.root_dir / cover)
    if unsafe is None:
        return []
    from handbook_build.display import shown as shown_path

    shown = shown_path(manifest.manifest_path)
    return [Diagnostic(shown, None, f"the cover image {cover.name} {unsafe}",
                       "set book.cover to a sound PNG or JPEG file", code="bad-cover")]


def read_chapter_text(node: TocNode, roots: Sequence[Path], shown: str
                      ) -> tuple[str | None, list[Diagnostic]]:
    """The chapter file as text, or None with error diagnostics saying why it cannot be used."""
    if node.source_path is None:
        return None, [Diagnostic(shown, node.contents_line, f"chapter {node.title!r} has no file",
                                 code="missing-chapter")]
    try:
        resolved = node.source_path.resolve(strict=True)
    except (OSError, RuntimeError):
        return None, [Diagnostic(shown, None, "the chapter file does not exist",
                                 "check its name in the contents list", code="missing-chapter")]
    # Resolve symlinks first: a link inside the book must not lead to a file outside it.
    if not any(resolved.is_relative_to(root.resolve()) for root in roots):
        return None, [Diagnostic(
            shown, None, f"the chapter file leads outside the book ({resolved})",
            "keep chapters under the book's folders", code="outside-root")]
    try:
        status = resolved.stat()  # stat before a byte is read: a FIFO would block for good
        kind = file_kind(status.st_mode)
        if kind is not None:
            return None, [Diagnostic(shown, None, f"the chapter is {kind}, not a regular file",
                                     "list a Markdown file", code="not-a-file")]
        too_large = check_chapter_size(status.st_size, shown)
        if too_large is not None:
            return None, [too_large]
        data = resolved.read_bytes()
    except OSError as error:
        return None, [Diagnostic(shown, None, f"cannot read the chapter: {error.strerror}",
                                 code="unreadable")]
    text, problems = _decode(data, shown)
    if text is not None:
        problems = check_chapter_text(text, shown)
        if problems:
            return None, problems
    return text, problems


def _decode(data: bytes, shown: str) -> tuple[str | None, list[Diagnostic]]:
    nul = data.find(b"\x00")
    if nul >= 0:
        return None, [Diagnostic(
            shown, data.count(b"\n", 0, nul) + 1,
            "the chapter contains a NUL byte: it is not a text file",
            "check that the contents list names a Markdown file", code="binary-file",
            column=nul - (data.rfind(b"\n", 0, nul) + 1) + 1)]
    try:
        return data.decode("utf-8"), []
    except UnicodeDecodeError as error:
        bad = error.start
        return None, [Diagnostic(
            shown, data.count(b"\n", 0, bad) + 1,
            f"the chapter is not valid UTF-8 (byte 0x{data[bad]:02x})",
            "save the file as UTF-8", code="not-utf8",
            column=bad - (data.rfind(b"\n", 0, bad) + 1) + 1)]


def _normalize_chapter(text: str, node: TocNode, context: _BookContext, shown: str) -> _Normalized:
    """Run every transform on one chapter; diagnostics carry lines of ``text``."""
    cleaned = fix.clean_characters(text, shown)
    if not cleaned.text.strip():
        empty = Diagnostic(shown, 1, "the chapter is empty", "write it or take it out of the "
                           "contents list", "warning", "empty-chapter")
        return _Normalized(EMPTY_CHAPTER_NOTE + "\n", [*cleaned.diagnostics, empty])
    assets: list[ImageAsset] = []
    chapter_dir = (node.source_path or context.manifest.contents_path).parent
    manifest = context.manifest

    def images(markdown: str) -> fix.Fixed:
        result = rewrite_images(markdown, ImageContext(
            node, chapter_dir, context.output_dir, context.resolver, manifest.contents_path))
        assets.extend(result.assets)
        return fix.Fixed(result.markdown, result.diagnostics)

    def raw_html(markdown: str) -> fix.Fixed:
        cleaned = sanitize_markdown_html(markdown)
        return fix.Fixed(cleaned.text, tuple(
            Diagnostic(shown, line_of(markdown, offset), f"raw HTML {what} removed",
                       "write it as Markdown", "warning", "raw-html-dropped",
                       column_of(markdown, offset))
            for offset, what in cleaned.removed))

    def includes(markdown: str) -> fix.Fixed:
        result = expand_includes(markdown, node.source_path, manifest.allowed_roots, shown)
        return fix.Fixed(result.text, result.diagnostics)

    def links(markdown: str) -> fix.Fixed:
        result = rewrite_links(markdown, LinkContext(
            node, chapter_dir, context.slug_by_file, context.site_map, manifest.contents_path))
        return fix.Fixed(result.markdown, result.diagnostics)

    steps: list[Callable[[str], fix.Fixed]] = [
        includes,  # first: every later step sees included text as the chapter's own
        lambda t: fix.clean_characters(t, shown),
        lambda t: fix.Fixed(split_front_matter(t).body),  # metadata, not text
        lambda t: convert_myst_figures(t, shown),  # before admonitions: a figure is no box
        lambda t: mark_targets(t, node.slug, context.labels),
        lambda t: convert_admonitions(t, shown),  # before fences: ```{note} is a box, not code
        lambda t: mark_math(t, shown),  # before fences: ```{math} is a formula, not code
        lambda t: convert_cite_roles(t, shown),  # {cite}`key`: a citation, not a code span
        lambda t: mark_listings(t, shown),  # before fences, which drop captions
        lambda t: normalize_fences(t, shown),  # first: every later step must see code as code
        lambda t: remove_site_junk(t, shown),
        lambda t: fix.split_glued_headings(t, shown),
        lambda t: fix.convert_setext_headings(t, shown),
        lambda t: fix.inline_reference_links(t, shown),
        images,
        links,
        lambda t: resolve_xrefs(t, shown, node.slug, context.labels),  # after links, see xrefs
        lambda t: convert_task_lists(t),
        raw_html,  # after images and links, which check their own src/href and keep columns
        lambda t: fix.relabel_footnotes(t, shown, node.slug),
        lambda t: fix.shift_headings(t, shown, node.slug, node.title),
        lambda t: fix.close_open_blocks(t, shown),
        lambda t: mark_citations(t, shown, context.citation_keys),
        lambda t: make_inert(t, shown),  # last: plain pandoc finds nothing active in <stem>.md
    ]
    result = fix.chain(text, steps)
    return _Normalized(result.text.strip("\n") + "\n", list(result.diagnostics), assets)
