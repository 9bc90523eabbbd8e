"""The reading PDF, checked by content with pypdf: pages, contents, outline, notes, fonts, links."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pypdf
import pytest
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

from handbook_build.model import (
    HtmlBook,
    HtmlSection,
    ImageAsset,
    Manifest,
    Metadata,
    PageGeometry,
    PdfSettings,
    TocNode,
)
from handbook_build.render.document import PagedEdition, build_document, toc_html
from handbook_build.render.pdf import RenderedPdf, pdf_edition, render_pdf

PROJECT_DIR = Path(__file__).resolve().parent.parent
STYLES_DIR = PROJECT_DIR / "styles"

WORDS = (
    "peer learning works best when everyone shares responsibility for the questions the group "
    "asks and for the answers it tries; conversation becomes infrastructure, and "
    "infrastructure becomes a curriculum that nobody had to design alone. Participants "
    "negotiate their roles, document their experiments, and revisit decisions whenever the "
    "circumstances of the collaboration change substantially"
).split()


def prose(seed: int, words: int) -> str:
    """Deterministic English-like text of about ``words`` words."""
    out = [WORDS[(seed * 7 + i * 3) % len(WORDS)] for i in range(words)]
    out[0] = out[0].capitalize()
    return " ".join(out) + "."


# (kind, title, depth, slug)
OUTLINE = (
    ("part", "Getting Started", 1, "part-getting-started"),
    ("chapter", "Welcome to the Book", 2, "welcome"),
    ("chapter", "How to Read Footnotes", 2, "footnotes"),
    ("chapter", "A Nested Sub-chapter", 3, "nested"),
    ("part", "Practice", 1, "part-practice"),
    ("chapter", "Figures, Tables and Code", 2, "figures"),
    ("chapter", "Long Chapter With Many Notes", 2, "long"),
)


def chapter_html(slug: str, title: str, depth: int, body: str) -> str:
    return (
        f'<section id="{slug}" class="chapter depth-{depth}" data-title="{title}">\n'
        f"<h1>{title}</h1>\n{body}\n</section>"
    )


def note(slug: str, n: int, text: str) -> str:
    return f'<span class="footnote" id="fn-{slug}-{n}" data-n="{n}">{text}</span>'


def chapter_body(slug: str, index: int) -> tuple[str, tuple[tuple[int, str, str], ...]]:
    paragraphs = [f"<p>{prose(index + k, 90)}</p>" for k in range(4)]
    headings: list[tuple[int, str, str]] = [(2, f"{slug}--first", "A First Heading")]
    body = [f'<h2 id="{slug}--first">A First Heading</h2>', *paragraphs]
    if slug == "welcome":
        body.append('<p>See <a href="#figures--table">the table</a> and '
                    '<a href="https://example.org/peeragogy">an external page</a>.</p>')  # fmt: skip
    if slug in ("footnotes", "long"):
        count = 3 if slug == "footnotes" else 12
        for n in range(1, count + 1):
            body.append(f"<p>{prose(n, 60)}{note(slug, n, f'Note {slug}-{n}: ' + prose(n, 18))}"
                        f" {prose(n + 1, 40)}</p>")  # fmt: skip
    if slug == "figures":
        headings.append((2, "figures--table", "A Table"))
        body += FIGURES_BODY
    return "\n".join(body), tuple(headings)


FIGURES_BODY = [
    '<figure><img src="images/wide.png" alt="A wide picture">'
    "<figcaption>A picture wider than the text block.</figcaption></figure>",
    '<figure><img src="images/tall.svg" alt="Tall">'
    "<figcaption>A picture taller than the page.</figcaption></figure>",
    '<span class="image-placeholder" role="img" aria-label="Lost diagram">'
    "Image not available: Lost diagram</span>",
    '<h2 id="figures--table">A Table</h2>',
    "<table><thead><tr><th>Name</th><th>Link</th><th>Notes</th></tr></thead><tbody>"
    "<tr><td>Archive</td><td><a href='https://example.org/a/very/long/path/that/does/not/"
    "break/anywhere/naturally/index-of-the-whole-archive-2016.html'>https://example.org/a/very/"
    "long/path/that/does/not/break/anywhere/naturally/index-of-the-whole-archive-2016.html</a>"
    "</td><td>A long cell of text that wraps over several lines of the table.</td></tr>"
    "</tbody></table>",
    "<pre><code>def a_long_line_of_code(argument_one, argument_two, argument_three, "
    "argument_four, argument_five, argument_six):\n    return None</code></pre>",
    "<p>A bare URL: <a href='https://example.org/averyveryveryverylongpathsegmentwithoutany"
    "breakpointsatall/andmore'>https://example.org/averyveryveryverylongpathsegmentwithoutany"
    "breakpointsatall/andmore</a>.</p>",
]


def write_images(book_dir: Path) -> tuple[ImageAsset, ...]:
    from PIL import Image

    images_dir = book_dir / "images"
    images_dir.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (2400, 600), (90, 120, 160)).save(images_dir / "wide.png")
    (images_dir / "tall.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="300" height="2000">'
        '<rect width="300" height="2000" fill="#c96"/></svg>',
        encoding="utf-8",
    )
    return (
        ImageAsset("images/wide.png", images_dir / "wide.png", "image/png"),
        ImageAsset("images/tall.svg", images_dir / "tall.svg", "image/svg+xml"),
    )


def make_book(book_dir: Path, geometry: PageGeometry | None = None) -> HtmlBook:
    """A small hand-made HtmlBook following the HTML contract of docs/design.md."""
    book_dir.mkdir(parents=True, exist_ok=True)
    images = write_images(book_dir)
    nodes, sections = [], []
    for index, (kind, title, depth, slug) in enumerate(OUTLINE):
        node = TocNode(kind, title, depth, slug, index + 1)  # type: ignore[arg-type]
        nodes.append(node)
        if kind == "part":
            html = f'<section id="{slug}" class="part depth-{depth}"><h1>{title}</h1></section>'
            sections.append(HtmlSection(node, html))
        else:
            body, headings = chapter_body(slug, index)
            sections.append(HtmlSection(node, chapter_html(slug, title, depth, body), headings))
    metadata = Metadata(
        title="The Sample Handbook",
        subtitle="A Book for Testing",
        authors=("Ada Author", "Bea Writer"),
        edition="2.1",
        license="CC0-1.0",
        license_url="https://creativecommons.org/publicdomain/zero/1.0/",
        publisher="Sample Press",
        date=dt.date(2016, 1, 15),
        description="A short book that exercises the reading PDF.",
        keywords=("learning", "peers"),
        identifiers={"pdf": "urn:uuid:12345678-1234-5678-1234-567812345678"},
    )
    pdf = PdfSettings(geometry=geometry) if geometry else PdfSettings()
    manifest = Manifest(
        manifest_path=book_dir / "book.toml",
        root_dir=book_dir,
        source_dir=book_dir,
        allowed_roots=(book_dir,),
        stem="sample",
        metadata=metadata,
        contents_path=book_dir / "contents.md",
        nodes=tuple(nodes),
        image_dirs=(book_dir / "images",),
        styles_dir=STYLES_DIR,
        pdf=pdf,
    )
    return HtmlBook(manifest, tuple(sections), images, (), book_dir)
