"""The EPUB edition: hand-made HtmlBooks -> EPUB, checked by structure (OPF, nav, NCX, XHTML)."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from handbook_build.model import (
    EpubSettings,
    HtmlBook,
    HtmlSection,
    ImageAsset,
    Manifest,
    Metadata,
    TocNode,
)
from handbook_build.render.epub import render_epub

PROJECT_DIR = Path(__file__).resolve().parent.parent


def make_manifest(root: Path, nodes: tuple[TocNode, ...], metadata: Metadata | None = None,
                  embed_fonts: bool = False) -> Manifest:
    metadata = metadata or Metadata(
        title="A Small Handbook", subtitle="Learning together", authors=("Ada One", "Bo Two"),
        contributors=("Cy Three",), edition="2.1", language="en", license="CC0-1.0",
        license_url="https://creativecommons.org/publicdomain/zero/1.0/",
        publisher="Peer Press", date=dt.date(2016, 1, 15), description="A test book.",
        keywords=("learning", "peers"), series="Handbooks", series_position="3",
        identifiers={"epub": "urn:uuid:12345678-1234-5678-1234-567812345678"})
    return Manifest(manifest_path=root / "book.toml", root_dir=root, source_dir=root,
                    allowed_roots=(root,), stem="small", metadata=metadata,
                    contents_path=root / "contents.md", nodes=nodes, image_dirs=(root,),
                    styles_dir=PROJECT_DIR / "styles", epub=EpubSettings(embed_fonts))


def node(kind: str, title: str, depth: int, slug: str, line: int, root: Path) -> TocNode:
    source = root / "chapters" / f"{slug}.md" if kind == "chapter" else None
    return TocNode(kind, title, depth, slug, line, source)  # type: ignore[arg-type]


def make_book(root: Path, **manifest_options: object) -> HtmlBook:
    """A part with chapters at depths 2 and 3, a chapter outside any part, notes, links, images."""
    image_path = root / "images" / "a diagram.png"
    image_path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (8, 6), (200, 30, 30)).save(image_path)
    nodes = (node("part", "Getting started", 1, "part-getting-started", 1, root),
             node("chapter", "Welcome", 2, "welcome", 2, root),
             node("chapter", "Deeper", 3, "deeper", 3, root),
             node("chapter", "Elsewhere", 1, "elsewhere", 4, root))
    sections = (
        HtmlSection(nodes[0], '<section id="part-getting-started" class="part depth-1">'
                              "<h1>Getting started</h1></section>"),
        HtmlSection(nodes[1], (
            '<section id="welcome" class="chapter depth-2" data-title="Welcome">\n<h1>Welcome</h1>\n'
            '<p>Hello&nbsp;world<span class="footnote" id="fn-welcome-1" data-n="1">A <em>first</em>'
            ' note.</span> and more<span class="footnote" id="fn-welcome-2" data-n="2">Second.'
            '</span>.<br>Line two.</p>\n'
            '<section id="welcome--why" class="level2"><h2>Why</h2>\n'
            '<p>See <a href="#deeper--how">how</a>, <a href="#elsewhere">elsewhere</a>, '
            '<a href="#welcome--why">here</a>, <a href="https://example.org/">the web</a>, '
            '<a href="mailto:a@example.org">mail</a>, <a href="other.md">a broken one</a> and '
            '<a href="#nowhere">a missing one</a>.</p>\n'
            '<figure><img src="images/a diagram.png" alt="A red box"><figcaption>A red box'
            '</figcaption></figure>\n'
            '<p><img src="https://example.org/remote.png" alt="Remote"></p>\n'
            '<p><span class="image-placeholder" role="img" aria-label="Lost">Image not available:'
            ' Lost</span></p></section>\n</section>'),
            ((2, "welcome--why", "Why"),)),
        HtmlSection(nodes[2], (
            '<section id="deeper" class="chapter depth-3" data-title="Deeper"><h1>Deeper</h1>'
            '<p>Deep.<span class="footnote" id="fn-deeper-1" data-n="1">Deep note with '
            '<a href="#welcome">a link</a>.</span></p>'
            '<section id="deeper--how" class="level2"><h2>How</h2><p>Thus.</p>'
            '<section id="deeper--detail" class="level3"><h3>Detail</h3><p>Fine.</p></section>'
            '</section></section>'),
            ((2, "deeper--how", "How"), (3, "deeper--detail", "Detail"))),
        HtmlSection(nodes[3], (
            '<section id="elsewhere" class="chapter depth-1" data-title="Elsewhere">'
            '<h1>Elsewhere</h1><p>Back to <a href="#fn-welcome-1">the note</a>.</p>'
            '<table><tr><th>a</th><td>b</td></tr></table></section>')),
    )
    images = (ImageAsset("images/a diagram.png", image_path, "image/png"),)
    manifest = make_manifest(root, nodes, **manifest_options)  # type: ignore[arg-type]
    return HtmlBook(manifest, sections, images, (), root)


def entries(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


@pytest.fixture
def small_epub(tmp_path: Path) -> bytes:
    return render_epub(make_book(tmp_path)).data
