"""The HTML stage: Manuscript -> HtmlBook. One pandoc run for the whole book, split per section.

Every edition (reading PDF, print PDF, EPUB, HTML) starts from these sections, so footnotes, ids
and typography agree everywhere. Raw HTML is sanitized here, once, before any renderer sees it.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

import lxml.html
from lxml.html import HtmlElement

from handbook_build.errors import RenderError
from handbook_build.html.code_blocks import number_listings, tidy_code_blocks
from handbook_build.html.headshots import image_sizes, mark_headshots
from handbook_build.html.html_ids import make_ids_unique, repair_internal_links
from handbook_build.html.math_html import protect_math, restore_math, self_closing_mathml
from handbook_build.html.pandoc import markdown_to_html
from handbook_build.html.sanitize import sanitize_html
from handbook_build.html.signatures import mark_signatures
from handbook_build.html.typography import mark_line_breaks
from handbook_build.html.wide_tables import mark_wide_tables
from handbook_build.model import Diagnostic, HtmlBook, HtmlSection, Manuscript, TocNode
from handbook_build.sources.admonitions import mark_admonitions
from handbook_build.sources.alt_text import meaningless_alt
from handbook_build.sources.contents import display_path

log = logging.getLogger(__name__)


def to_html(manuscript: Manuscript, cache_dir: Path | None = None, jobs: int = 2) -> HtmlBook:
    """``cache_dir`` (``<output>/.cache``): convert only the sections changed since the last
    build (html_cache.py), in up to ``jobs`` pandoc processes at a time; the HTML is the same
    as from one pandoc run over the manuscript."""
    book = manuscript.book
    html = _convert(manuscript, cache_dir, jobs)
    elements = _top_level_sections(html)
    nodes_by_slug = {node.slug: node for node in book.manifest.nodes}
    placed: list[tuple[TocNode, HtmlElement]] = []
    size_of = image_sizes({asset.src: asset.path for asset in book.images})
    for element in elements:
        node = nodes_by_slug.get(str(element.get("id", "")))
        if node is None:
            raise RenderError(f"{book.manifest.contents_path}: pandoc produced a section "
                              f"'{element.get('id')}' that is not in the contents; "
                              "this is a bug in assembly, please report it")
        node = _typeset_title(element, node)
        _normalize_section(element, node)
        mark_headshots(element, size_of)  # small in-text pictures: floats or rows
        placed.append((node, element))
    number_listings(element for _, element in placed)
    make_ids_unique(placed)
    diagnostics = repair_internal_links(placed)
    sections: list[HtmlSection] = []
    sources = {chapter.node.slug: chapter.source_text for chapter in book.chapters}
    for node, element in placed:
        protected = protect_math(element, _shown(node), sources.get(node.slug, ""))
        diagnostics.extend(protected.diagnostics)
        mark_line_breaks(element)
        section_html = lxml.html.tostring(element, encoding="unicode")
        sanitized = sanitize_html(section_html)
        for dropped in sanitized.dropped:
            diagnostics.append(_dropped_warning(node, dropped))
        sections.append(HtmlSection(node, restore_math(sanitized.html, protected),
                                    _headings(element)))
    _check_complete(book.manifest.nodes, sections, str(book.manifest.contents_path))
    manifest = replace(book.manifest, nodes=tuple(section.node for section in sections))
    return HtmlBook(manifest, tuple(sections), book.images,
                    book.diagnostics + tuple(diagnostics), book.output_dir)


def _convert(manuscript: Manuscript, cache_dir: Path | None, jobs: int) -> str:
    bibliography = manuscript.book.manifest.metadata.bibliography
    if bibliography is not None:
        # citeproc needs the whole book at once (numbering, the one bibliography): no
        # per-section cache
        return markdown_to_html(manuscript.text, bibliography)
    if cache_dir is not None:
        from handbook_build.html import html_cache

        cached = html_cache.convert(manuscript, cache_dir, jobs)
        if cached is not None:
            return cached.html
    return markdown_to_html(manuscript.text)


def _top_level_sections(html: str) -> list[HtmlElement]:
    html = self_closing_mathml(html)
    fragments = lxml.html.fragments_fromstring(html) if html.strip() else []
    return [f for f in fragments if isinstance(f, HtmlElement) and f.tag == "section"]


def _typeset_title(element: HtmlElement, node: TocNode) -> TocNode:
    """Take the title as pandoc set it (smart quotes and dashes, Markdown resolved to text).

    Every edition shows titles outside the body too (contents, running heads, bookmarks, nav):
    using pandoc's version there keeps "Theory -- Practice" from printing two hyphens.
    """
    heading = element.find("h1")
    if heading is None:
        return node
    title = " ".join(heading.text_content().split())
    return replace(node, title=title) if title and title != node.title else node


def _normalize_section(element: HtmlElement, node: TocNode) -> None:
    """Give each top-level section the classes of the HTML contract: part|chapter depth-N."""
    element.attrib.pop("data-depth", None)
    element.set("class", f"{node.kind} depth-{node.depth}")
    if node.kind == "chapter":
        element.set("data-title", node.title)
    heading = element.find("h1")
    if heading is not None:
        heading.attrib.clear()
    mark_wide_tables(element)
    mark_admonitions(element)
    tidy_code_blocks(element)
    if node.kind == "chapter":
        mark_signatures(element)
    for placeholder in element.find_class("image-placeholder"):
        _mark_placeholder(placeholder)
    _drop_meaningless_captions(element)


def _drop_meaningless_captions(element: HtmlElement) -> None:
    """pandoc captions a lone image with its alt text: "image" (or a file name) is no caption.
    The alt text stays on the <img> (the lint and the EPUB's metadata judge it there)."""
    for caption in list(element.iter("figcaption")):
        figure = caption.getparent()
        image = figure.find(".//img") if figure is not None else None
        src = image.get("src", "") if image is not None else ""
        if meaningless_alt(" ".join(caption.text_content().split()), src):
            caption.drop_tree()


_HEADINGS = frozenset(["h1", "h2", "h3", "h4", "h5", "h6"])


def _mark_placeholder(placeholder: HtmlElement) -> None:
    """role="img" on the placeholder's span. An image alone in a heading (``### ![x](url)``)
    gives pandoc ``### [Image not available: x]{.image-placeholder}``, read as a heading with
    that class (and its <section> with it): role="img" is not allowed on either, and a section
    holding links cannot be an image, so there the label goes on a span inside the heading."""
    if placeholder.tag == "span":
        placeholder.set("role", "img")
        placeholder.set("aria-label", placeholder.text_content())
        return
    classes = [name for name in placeholder.get("class", "").split()
               if name != "image-placeholder"]
    if classes:
        placeholder.set("class", " ".join(classes))
    else:
        placeholder.attrib.pop("class", None)
    if placeholder.tag not in _HEADINGS:
        return
    label = " ".join(placeholder.text_content().split()).removeprefix("[").removesuffix("]")
    span = lxml.html.Element("span", {"class": "image-placeholder", "role": "img",
                                      "aria-label": label})
    span.text = label
    for child in list(placeholder):
        placeholder.remove(child)
    placeholder.text = None
    placeholder.append(span)


def _headings(element: HtmlElement) -> tuple[tuple[int, str, str], ...]:
    """(level, id, text) of each sub-section heading; pandoc puts the id on the <section>."""
    found: list[tuple[int, str, str]] = []
    for section in element.iter("section"):
        if section is element:
            continue
        for level in range(2, 7):
            heading = section.find(f"h{level}")
            if heading is not None:
                text = " ".join(heading.text_content().split())
                found.append((level, str(section.get("id", "")), text))
                break
    return tuple(found)


def _shown(node: TocNode) -> str:
    return display_path(node.source_path) if node.source_path else node.title


def _dropped_warning(node: TocNode, dropped: str) -> Diagnostic:
    path = _shown(node)
    return Diagnostic(path, None, f"raw HTML {dropped} removed", "write it as Markdown",
                      severity="warning", code="raw-html-dropped")


def _check_complete(nodes: tuple[TocNode, ...], sections: list[HtmlSection], where: str) -> None:
    expected = [node.slug for node in nodes]
    produced = [section.node.slug for section in sections]
    if expected != produced:
        missing = sorted(set(expected) - set(produced))
        raise RenderError(f"{where}: sections missing after conversion: {', '.join(missing)}; "
                          "a chapter may contain an unclosed raw HTML element")
