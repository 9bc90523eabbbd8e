"""The HTML edition: HtmlBook -> ``<stem>.html`` and ``<stem>-files/`` (stylesheet, images).

The page refers only to its own folder (portable.py), so the pair works wherever it is copied
and embeds no path of the build machine; footnotes become endnotes after each chapter.
"""

from __future__ import annotations

import html
from pathlib import Path

import lxml.html
from lxml.html import HtmlElement

from handbook_build.model import HtmlBook, HtmlSection
from handbook_build.sources.structure import book_roles, shown_title

STYLE_FILES = ("base.css", "technical.css", "html.css")


def render_html_files(html_book: HtmlBook) -> dict[str, bytes]:
    """Output-relative file name -> bytes: the page, its stylesheet and its image copies."""
    from handbook_build.portable import (
        STYLESHEET_NAME,
        files_folder,
        image_files,
        portable_srcs,
        rewrite_srcs,
    )

    manifest = html_book.manifest
    folder = files_folder(manifest.stem)
    srcs = portable_srcs(manifest.stem, html_book.images)
    page = render_html(html_book, stylesheet=f"{folder}/{STYLESHEET_NAME}")
    css = "\n".join(_read_style(manifest.styles_dir / name) for name in STYLE_FILES)
    return {f"{manifest.stem}.html": rewrite_srcs(page.decode("utf-8"), srcs).encode("utf-8"),
            f"{folder}/{STYLESHEET_NAME}": css.encode("utf-8"),
            **image_files(html_book.images, srcs)}


def render_html(html_book: HtmlBook, stylesheet: str | None = None) -> bytes:
    """The page; with ``stylesheet`` it links that file instead of inlining the styles."""
    manifest = html_book.manifest
    meta = manifest.metadata
    css = "\n".join(_read_style(manifest.styles_dir / name) for name in STYLE_FILES)
    style = (f'<link rel="stylesheet" href="{html.escape(stylesheet)}">' if stylesheet
             else f"<style>\n{css}\n</style>")
    body = "\n".join(_section_with_endnotes(section) for section in html_book.sections)
    authors = ", ".join(meta.authors)
    document = f"""<!DOCTYPE html>
<html lang="{html.escape(meta.language)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(meta.title)}</title>
<meta name="author" content="{html.escape(authors)}">
<meta name="description" content="{html.escape(meta.description)}">
{style}
</head>
<body class="html-edition">
<header class="book-title">
<h1 class="title">{html.escape(meta.title)}</h1>
{_subtitle(meta.subtitle)}<p class="authors">{html.escape(authors)}</p>
</header>
{_contents(html_book)}
<main>
{body}
</main>
</body>
</html>
"""
    return document.encode("utf-8")


def _read_style(path: Path) -> str:
    return path.read_text(encoding="utf-8") if path.is_file() else ""


def _subtitle(subtitle: str) -> str:
    return f'<p class="subtitle">{html.escape(subtitle)}</p>\n' if subtitle else ""


def _contents(html_book: HtmlBook) -> str:
    """The contents, labelled as in the other editions (structure.py: parts, numbers)."""
    manifest = html_book.manifest
    roles = book_roles([section.node for section in html_book.sections], manifest.structure,
                       manifest.metadata.title)
    items = []
    for section in html_book.sections:
        node = section.node
        role = roles.get(node.slug)
        label = html.escape(shown_title(node, role))
        entry = label if node.kind == "part" else f'<a href="#{node.slug}">{label}</a>'
        kind = "part" if role is not None and role.is_part else node.kind
        items.append(f'<li class="toc-{kind} toc-depth-{node.depth}">{entry}</li>')
    return '<nav class="toc" aria-label="Contents"><h2>Contents</h2>\n<ul>\n' + "\n".join(
        items) + "\n</ul></nav>"


def _section_with_endnotes(section: HtmlSection) -> str:
    """Inline footnote spans become numbered calls and a list of notes after the chapter."""
    element = lxml.html.fragment_fromstring(section.html)
    notes: list[HtmlElement] = []
    for span in list(element.find_class("footnote")):
        number = span.get("data-n", "?")
        note_id = span.get("id", f"fn-{section.node.slug}-{number}")
        call = lxml.html.fromstring(
            f'<sup class="footnote-ref"><a id="{note_id}-ref" href="#{note_id}">{number}</a></sup>'
        )
        call.tail = span.tail
        span.getparent().replace(span, call)
        span.tag, span.tail = "li", None
        span.attrib.clear()
        span.set("id", note_id)
        back = lxml.html.fromstring(f'<a class="footnote-back" href="#{note_id}-ref">↩</a>')
        span.append(back)
        notes.append(span)
    if notes:
        endnotes = lxml.html.fromstring('<ol class="footnotes"></ol>')
        endnotes.extend(notes)
        element.append(endnotes)
    return str(lxml.html.tostring(element, encoding="unicode"))
