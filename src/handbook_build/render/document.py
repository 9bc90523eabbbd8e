"""HtmlBook -> one complete HTML document for a paged edition (reading PDF, print PDF).

The document carries everything WeasyPrint needs, so it can be rendered from a plain string (also
in another process): ``<head>`` metadata (title, authors, subject, keywords, dates from the
manifest, never the clock), the edition's stylesheets inlined as author CSS (user stylesheets
passed to ``render()`` lose to author CSS), a small generated ``@page`` block with the manifest's
geometry, the front matter (title page, copyright page with colophon, contents with page
numbers), then the book's sections. What an edition changes is a ``PagedEdition``: stylesheets,
geometry, which identifier to print, and a hook that rewrites each section's HTML.
"""

from __future__ import annotations

import importlib.metadata
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path

from handbook_build import __version__
from handbook_build.errors import SourceError
from handbook_build.html.typography import paged_break_points
from handbook_build.model import (
    HtmlBook,
    HtmlSection,
    Metadata,
    PageGeometry,
    PdfLayout,
    TocNode,
)
from handbook_build.render.fonts import SCRIPT_FALLBACKS_SERIF, family_declarations
from handbook_build.render.imprint import (
    credit_lines,
    edition_words,
    license_name,
    license_url,
)
from handbook_build.sources.structure import SEPARATOR, NodeRole, book_roles, shown_title

__all__ = [
    "PagedEdition",
    "body_html",
    "build_document",
    "colophon_text",
    "copyright_page_html",
    "geometry_css",
    "head_html",
    "read_stylesheets",
    "structured_transform",
    "title_page_html",
    "toc_html",
]

SectionTransform = Callable[[HtmlSection], str]

_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")  # fmt: skip
ROOT_SELECTORS = frozenset({"html", ":root", "body"})
_EDITION_LABELS = {"pdf": "PDF edition", "print": "Print edition", "epub": "EPUB edition"}


def _section_html(section: HtmlSection) -> str:
    return section.html


@dataclass(frozen=True, slots=True)
class PagedEdition:
    """What differs between paged editions; everything else comes from the HtmlBook."""

    stylesheet_paths: tuple[Path, ...]  # inlined in this order (base.css first)
    geometry: PageGeometry
    identifier_key: str = "pdf"  # key of Metadata.identifiers printed on the copyright page
    font_family: str | None = None  # the manifest's body face; None keeps the stylesheets' one
    hyphenate: bool = True
    transform_section: SectionTransform = _section_html  # e.g. add notes pages after chapters
    # "book": mirrored margins, openings on rectos; "screen": symmetric, openings on the next
    # page (the reading PDF's default; screen.css)
    layout: PdfLayout = "book"
    tagged: bool = False  # a tagged PDF (structure tree, /MarkInfo): the reading edition


def build_document(html_book: HtmlBook, edition: PagedEdition) -> str:
    """The whole HTML document (a string) of ``html_book`` laid out as ``edition``."""
    css_texts = read_stylesheets(edition.stylesheet_paths)
    generated = geometry_css(edition.geometry, edition.font_family, edition.hyphenate,
                             edition.layout)
    metadata = html_book.manifest.metadata
    colophon = colophon_text(css_texts, edition.font_family)
    identifier = metadata.identifiers.get(edition.identifier_key, "")
    roles = roles_of(html_book)
    front = (
        title_page_html(metadata)
        + copyright_page_html(metadata, edition.identifier_key, identifier, colophon)
        + toc_html((section.node for section in html_book.sections), roles)
    )
    return (
        f'<!DOCTYPE html>\n<html lang="{escape(metadata.language)}">\n'
        f"{head_html(metadata, (*css_texts, generated))}\n<body>\n"
        f'<div class="front-matter">\n{front}</div>\n'
        f'<div class="body-matter">\n'
        f"{body_html(html_book.sections, structured_transform(html_book, edition))}</div>\n"
        "</body>\n</html>\n"
    )


def read_stylesheets(paths: Iterable[Path]) -> tuple[str, ...]:
    """The text of each stylesheet, in order; a missing one is a SourceError naming it."""
    texts = []
    for path in paths:
        try:
            texts.append(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as error:
            hint = "restore it from the project's styles/ folder"
            raise SourceError(f"{path}: cannot read the stylesheet ({error}); {hint}") from error
    return tuple(texts)


def geometry_css(geometry: PageGeometry, font_family: str | None, hyphenate: bool,
                 layout: PdfLayout = "book") -> str:
    """The only CSS made in Python: the manifest's page size, margins and font size. Mirrored
    margins for a book; the screen layout gives both sides the mean of inner and outer, so the
    text block keeps its width and stays put as the reader pages."""
    g = geometry
    if layout == "screen":
        side = (g.inner_in + g.outer_in) / 2
        g = PageGeometry(g.width_in, g.height_in, g.top_in, g.bottom_in, side, side,
                         g.font_size_pt)
    text_height = g.height_in - g.top_in - g.bottom_in
    lines = [
        "/* generated from the manifest's page geometry */",
        f":root {{ font-size: {g.font_size_pt:g}pt; --text-block-height: {text_height:g}in; }}",
        f"@page {{ size: {g.size_css}; margin: {g.top_in:g}in {g.outer_in:g}in "
        f"{g.bottom_in:g}in {g.inner_in:g}in; }}",
        # Inner margins face the spine: right on a left-hand page, left on a right-hand page.
        f"@page :left {{ margin-left: {g.outer_in:g}in; margin-right: {g.inner_in:g}in; }}",
        f"@page :right {{ margin-left: {g.inner_in:g}in; margin-right: {g.outer_in:g}in; }}",
    ]
    if font_family:
        # The manifest's face first, then the same script fallbacks base.css names.
        # Notes too: their box keeps the style of the element they float from (a heading).
        # (html .footnote: one element more than the style sheets' .footnote, so it wins wherever
        # the generated sheet comes.)
        lines.append(f"html, html .footnote, html .url-note {{ font-family: "
                     f"{_css_string(font_family)}, "
                     f"{SCRIPT_FALLBACKS_SERIF}, serif; }}")
    if not hyphenate:
        lines.append("p, li, dd, blockquote, figcaption, td, th, .footnote { hyphens: manual; }")
    return "\n".join(lines) + "\n"


def _css_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def head_html(metadata: Metadata, css_texts: Sequence[str]) -> str:
    """``<head>``: WeasyPrint reads the PDF's metadata from these elements."""
    stamp = metadata.timestamp.isoformat()
    metas = [("author", author) for author in metadata.authors]
    metas += [("description", metadata.description)] if metadata.description else []
    metas += [("keywords", ", ".join(metadata.keywords))] if metadata.keywords else []
    metas += [("generator", f"handbook-build {__version__}")]
    metas += [("dcterms.created", stamp), ("dcterms.modified", stamp)]
    lines = ["<head>", '<meta charset="utf-8">', f"<title>{escape(metadata.title)}</title>"]
    lines += [f'<meta name="{name}" content="{escape(value)}">' for name, value in metas]
    # CSS text is not HTML: only a literal "</style" could end the element early.
    lines += [f"<style>\n{_style_text(css)}\n</style>" for css in css_texts]
    return "\n".join([*lines, "</head>"])


def _style_text(css: str) -> str:
    # CSS is not HTML: only a literal "</style" could end the element early; "\\/" is a valid
    # CSS escape for "/", so the rule means the same.
    return css.replace("</style", "<\\/style")


def title_page_html(metadata: Metadata) -> str:
    parts = [f'<h1 class="book-title">{escape(metadata.title)}</h1>']
    if metadata.subtitle:
        parts.append(f'<p class="subtitle">{escape(metadata.subtitle)}</p>')
    if metadata.authors:
        parts.append(f'<p class="authors">{escape(_join_names(metadata.authors))}</p>')
    if metadata.publisher:
        parts.append(f'<p class="publisher">{escape(metadata.publisher)}</p>')
    return '<section class="title-page">\n' + "\n".join(parts) + "\n</section>\n"


def copyright_page_html(
    metadata: Metadata, identifier_key: str, identifier: str, colophon: str
) -> str:
    """Edition, date, license, this edition's identifier, publisher, and the colophon."""
    title = metadata.title + (f": {metadata.subtitle}" if metadata.subtitle else "")
    lines = [f'<p class="copyright-title">{escape(title)}</p>']
    lines += [f"<p>{escape(line)}</p>"  # each person once (authors who edit: "Edited by")
              for line in credit_lines(metadata.authors, metadata.contributors)]
    edition = edition_words(metadata.edition)
    published = f"{edition}, published" if edition else "Published"
    publisher = f" by {metadata.publisher}" if metadata.publisher else ""
    lines.append(f"<p>{escape(published)} {_long_date(metadata)}{escape(publisher)}.</p>")
    if metadata.license:
        lines.append(f"<p>License: {_license_html(metadata)}.</p>")
    if identifier:
        label = _EDITION_LABELS.get(identifier_key, f"{identifier_key} edition")
        lines.append(f'<p class="identifier">{label}: {escape(_identifier_text(identifier))}</p>')
    if metadata.site_url:
        lines.append(f"<p>Online: {_link(metadata.site_url)}</p>")
    lines.append(f'<p class="colophon">{escape(colophon)}</p>')
    block = '<div class="copyright-block">\n' + "\n".join(lines) + "\n</div>"
    return f'<section class="copyright-page">\n{block}\n</section>\n'


def colophon_text(css_texts: Iterable[str], body_family: str | None = None) -> str:
    """The colophon line: the tools and the faces the styles really use, by name.

    ``body_family`` (the manifest's face) replaces the family the stylesheets give the root
    element; faces named by other rules (headings, code) are listed after it.
    """
    declarations = family_declarations(css_texts)
    if body_family:
        # Rules that repeat the root's face (notes keep the body face in any context) set the
        # manifest's face too (page_css): they are the body face, not another one.
        root = {family for selector, family in declarations if selector in ROOT_SELECTORS}
        declarations = [(selector, family) for selector, family in declarations
                        if selector not in ROOT_SELECTORS and family not in root]
        declarations.insert(0, ("html", body_family))
    families = list(dict.fromkeys(family for _, family in declarations))
    faces = _join_names(tuple(families)) if families else "the system's default fonts"
    weasyprint = importlib.metadata.version("weasyprint")
    return f"Typeset with handbook-build {__version__} and WeasyPrint {weasyprint} in {faces}."


def toc_html(nodes: Iterable[TocNode], roles: Mapping[str, NodeRole] | None = None) -> str:
    """The contents: parts and chapters as nested lists, each with a leader and page number.

    With ``roles`` (structure.book_roles), entries that hold chapters are listed as parts and
    parts and numbered chapters carry their label ("Part II · Peer Learning", "3 · Title")."""
    roles = roles or {}
    out = ['<nav class="toc" id="contents">', "<h1>Contents</h1>"]
    open_depths: list[int] = []
    for node in nodes:
        depth = max(1, node.depth)
        while open_depths and open_depths[-1] > depth:
            out.append("</li></ol>")
            open_depths.pop()
        if open_depths and open_depths[-1] == depth:
            out.append("</li>")
        else:
            # Deeper than the current list (or the first item): open a nested list.
            out.append(f'<ol class="toc-level-{depth}">')
            open_depths.append(depth)
        role = roles.get(node.slug)
        kind = "part" if node.kind == "part" or (role is not None and role.is_part) else "chapter"
        out.append(f'<li class="toc-{kind} toc-depth-{depth}">'
                   f'<a href="#{escape(node.slug)}">{escape(shown_title(node, role))}</a>')
    out.extend("</li></ol>" for _ in open_depths)
    return "\n".join([*out, "</nav>"]) + "\n"


def roles_of(html_book: HtmlBook) -> Mapping[str, NodeRole]:
    """structure.book_roles for the sections of ``html_book`` (their pandoc-typeset titles)."""
    manifest = html_book.manifest
    return book_roles([section.node for section in html_book.sections], manifest.structure,
                      manifest.metadata.title)


def structured_transform(html_book: HtmlBook, edition: PagedEdition) -> SectionTransform:
    """``edition.transform_section`` after the structure's markup (``structure_markup``)."""
    roles = roles_of(html_book)

    def transform(section: HtmlSection) -> str:
        role = roles.get(section.node.slug)
        if role is None:
            return edition.transform_section(section)
        marked = HtmlSection(section.node, structure_markup(section.html, role),
                             section.headings)
        return edition.transform_section(marked)

    return transform


_SECTION_CLASS = re.compile(r'^(\s*<section\b[^>]*?\sclass=")(?:chapter|part)( depth-\d)"')
_FIRST_H1 = re.compile(r"<h1(?=[\s>])")


def structure_markup(section_html: str, role: NodeRole) -> str:
    """The paged editions' markup of one section's structure:

    - its ``<h1>`` carries ``data-part``: the verso running head of its pages (pdf.css);
    - a part (real, or an entry that holds chapters) is ``section.part``, its label ("Part II")
      a ``p.part-label`` before the title; a part's own text follows in ``div.part-text``,
      which opens on the page after the part page;
    - a numbered chapter's number is a ``p.chapter-label`` before its title;
    - a labelled heading carries ``data-label`` ("Part II · "), for the PDF outline.
    """
    match = _FIRST_H1.search(section_html)
    if match is None:
        return section_html
    head, rest = section_html[: match.start()], section_html[match.end():]
    label_class = "part-label" if role.is_part else "chapter-label"
    label = f'<p class="{label_class}">{escape(role.label)}</p>\n' if role.label else ""
    heading = f'{label}<h1 data-part="{escape(role.running_part)}"'
    if role.label:
        # The PDF outline lists the entry as the contents does (pdf.css: bookmark-label).
        heading += f' data-label="{escape(role.label + SEPARATOR)}"'
    if role.is_part:
        head = _SECTION_CLASS.sub(
            lambda m: f'{m.group(1)}part{m.group(2)}{" part-with-text" if role.has_text else ""}"',
            head, count=1)
        if role.has_text:
            close = rest.find("</h1>")
            end = rest.rfind("</section>")
            if 0 <= close < end:
                close += len("</h1>")
                body = rest[close:end]
                if body.strip():
                    rest = (rest[:close] + '\n<div class="part-text">' + body + "</div>\n"
                            + rest[end:])
    return head + heading + rest


def body_html(sections: Sequence[HtmlSection], transform: SectionTransform = _section_html) -> str:
    """The sections in order; the first is wrapped so the body's page numbers restart at 1."""
    if not sections:
        return ""
    first, *rest = (paged_break_points(transform(section)) for section in sections)
    return "\n".join([f'<div class="body-start">\n{first}\n</div>', *rest]) + "\n"


def _join_names(names: Sequence[str]) -> str:
    if len(names) <= 2:
        return " and ".join(names)
    return ", ".join(names[:-1]) + f", and {names[-1]}"


def _long_date(metadata: Metadata) -> str:
    # Month names spelled here, not by strftime, so the locale cannot change the output.
    date = metadata.date
    return f"{date.day} {_MONTHS[date.month - 1]} {date.year}"


def _license_html(metadata: Metadata) -> str:
    name = license_name(metadata.license)
    url = license_url(metadata.license, metadata.license_url)
    return f"{escape(name)}, {_link(url)}" if url else escape(name)


def _link(url: str) -> str:
    return f'<a href="{escape(url)}">{escape(url)}</a>'


def _identifier_text(identifier: str) -> str:
    digits = identifier.replace("-", "").replace(" ", "")
    is_isbn = digits.isdigit() and len(digits) in (10, 13)
    return f"ISBN {identifier}" if is_isbn else identifier
