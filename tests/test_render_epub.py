"""The EPUB edition: hand-made HtmlBooks -> EPUB, checked by structure (OPF, nav, NCX, XHTML)."""

from __future__ import annotations

import datetime as dt
import io
import posixpath
import re
import shutil
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest
from lxml import etree
from PIL import Image

from handbook_build.checks.epubcheck import EpubCheckResult, run_epubcheck
from handbook_build.model import (
    EpubSettings,
    HtmlBook,
    HtmlSection,
    ImageAsset,
    Manifest,
    Metadata,
    TocNode,
    frozen_mapping,
)
from handbook_build.render.cover_image import LIBERTINE_DIR
from handbook_build.render.epub import render_epub
from shared_builds import SharedHandbook

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
            '<section id="welcome" class="chapter depth-2" data-title="Welcome">\n'
            '<h1>Welcome</h1>\n<p>Hello&nbsp;world'
            '<span class="footnote" id="fn-welcome-1" data-n="1">A <em>first</em> note.</span>'
            ' and more<span class="footnote" id="fn-welcome-2" data-n="2">Second.</span>.'
            '<br>Line two.</p>\n'
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
            '<h1>Elsewhere</h1><p>Back to <a href="#fn-welcome-1">the note</a>.'
            '<a href="https://example.org/empty"> </a></p>'
            '<table><tr><th>a</th><td>b</td></tr></table></section>')),
    )
    images = (ImageAsset("images/a diagram.png", image_path, "image/png"),)
    manifest = make_manifest(root, nodes, **manifest_options)  # type: ignore[arg-type]
    return HtmlBook(manifest, sections, images, (), root)


def entries(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


NS = {"opf": "http://www.idpf.org/2007/opf", "dc": "http://purl.org/dc/elements/1.1/",
      "x": "http://www.w3.org/1999/xhtml", "epub": "http://www.idpf.org/2007/ops",
      "ncx": "http://www.daisy.org/z3986/2005/ncx/"}
EPUB_TYPE = "{http://www.idpf.org/2007/ops}type"
PACKAGE = "EPUB/"


class Epub:
    """A built EPUB opened for inspection: files, parsed OPF, XHTML documents."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.files = entries(data)
        self.opf = etree.fromstring(self.files[f"{PACKAGE}content.opf"])

    def xml(self, name: str) -> etree._Element:
        return etree.fromstring(self.files[name])  # strict XML parser: well-formed or fails

    def manifest_items(self) -> dict[str, etree._Element]:
        return {item.get("id"): item for item in self.opf.iterfind("opf:manifest/opf:item", NS)}

    def spine_hrefs(self) -> list[str]:
        items = self.manifest_items()
        return [items[ref.get("idref")].get("href")
                for ref in self.opf.iterfind("opf:spine/opf:itemref", NS)]

    def documents(self) -> dict[str, etree._Element]:
        return {name: self.xml(name) for name in self.files if name.endswith(".xhtml")}

    def meta(self, prop: str) -> list[str]:
        path = f"opf:metadata/opf:meta[@property='{prop}']"
        return [m.text or "" for m in self.opf.iterfind(path, NS)]

    def dc(self, name: str) -> list[str]:
        return [e.text or "" for e in self.opf.iterfind(f"opf:metadata/dc:{name}", NS)]


@pytest.fixture
def book(tmp_path: Path) -> HtmlBook:
    return make_book(tmp_path)


@pytest.fixture
def built(book: HtmlBook) -> Epub:
    return Epub(render_epub(book).data)


def resolve(base: str, href: str) -> tuple[str, str]:
    """(file inside the zip, fragment) of ``href`` written in file ``base``."""
    path, _, fragment = href.partition("#")
    target = posixpath.normpath(posixpath.join(posixpath.dirname(base), path)) if path else base
    return target, fragment


def test_zip_layout_mimetype_first_and_stored(built: Epub) -> None:
    with zipfile.ZipFile(io.BytesIO(built.data)) as archive:
        infos = archive.infolist()
    assert infos[0].filename == "mimetype"
    assert infos[0].compress_type == zipfile.ZIP_STORED
    assert built.data[30:38] == b"mimetype"  # the name right after the first local header
    assert built.data[38:58] == b"application/epub+zip"
    rest = [info.filename for info in infos[1:]]
    assert rest == sorted(rest)
    assert {info.date_time for info in infos} == {(2016, 1, 15, 0, 0, 0)}


def test_two_builds_are_byte_identical(tmp_path: Path) -> None:
    first = render_epub(make_book(tmp_path / "one")).data
    second = render_epub(make_book(tmp_path / "two")).data
    assert first == second
    assert str(tmp_path).encode() not in first


def test_spine_is_front_matter_then_contents_order(built: Epub, book: HtmlBook) -> None:
    spine = built.spine_hrefs()
    assert spine[:4] == ["cover.xhtml", "titlepage.xhtml", "copyright.xhtml", "nav.xhtml"]
    slugs = [posixpath.splitext(posixpath.basename(href))[0] for href in spine[4:]]
    assert slugs == [section.node.slug for section in book.sections]


def test_every_document_is_xhtml_with_title_and_language(built: Epub) -> None:
    for name, root in built.documents().items():
        assert root.tag == "{http://www.w3.org/1999/xhtml}html", name
        assert root.get("lang") == "en"
        assert root.get("{http://www.w3.org/XML/1998/namespace}lang") == "en"
        title = root.find("x:head/x:title", NS)
        assert title is not None and (title.text or "").strip(), name
        if name.startswith(f"{PACKAGE}text/"):
            section = root.find("x:body/x:section", NS)
            assert section is not None and section[0].tag == f"{{{NS['x']}}}h1", name
            assert section.get(EPUB_TYPE) in ("chapter", "part")


def test_every_internal_href_resolves_to_a_file_and_id(built: Epub) -> None:
    documents = built.documents()
    ids = {name: {e.get("id") for e in root.iter() if e.get("id")}
           for name, root in documents.items()}
    checked = 0
    for name, root in documents.items():
        for element in root.iter("{*}a", "{*}img", "{*}link"):
            href = element.get("href") or element.get("src")
            if href is None or href.startswith(("http://", "https://", "mailto:")):
                continue
            target, fragment = resolve(name, href)
            assert target in built.files, (name, href)
            if fragment:
                assert fragment in ids[target], (name, href)
            checked += 1
    ncx = built.xml(f"{PACKAGE}toc.ncx")
    for content in ncx.iterfind(".//ncx:content", NS):
        target, fragment = resolve(f"{PACKAGE}toc.ncx", content.get("src"))
        assert target in built.files and (not fragment or fragment in ids[target])
    assert checked > 20


def test_cross_chapter_links_point_at_file_and_fragment(built: Epub) -> None:
    welcome = built.xml(f"{PACKAGE}text/welcome.xhtml")
    hrefs = {a.text: a.get("href") for a in welcome.iter("{*}a")}
    assert hrefs["how"] == "deeper.xhtml#deeper--how"
    assert hrefs["elsewhere"] == "elsewhere.xhtml"
    assert hrefs["here"] == "#welcome--why"
    assert hrefs["the web"] == "https://example.org/"
    elsewhere = built.xml(f"{PACKAGE}text/elsewhere.xhtml")
    assert [a.get("href") for a in elsewhere.iter("{*}a")] == ["welcome.xhtml#fn-welcome-1"]


def test_unfollowable_links_are_unlinked_keeping_text(book: HtmlBook) -> None:
    rendered = render_epub(book)
    text = Epub(rendered.data).files[f"{PACKAGE}text/welcome.xhtml"].decode()
    assert "<span>a broken one</span>" in text and "<span>a missing one</span>" in text
    assert any("'other.md' removed" in w for w in rendered.warnings)
    assert any("'#nowhere' removed" in w for w in rendered.warnings)
    assert any("empty link to 'https://example.org/empty'" in w for w in rendered.warnings)


def test_no_remote_resource_is_referenced(book: HtmlBook) -> None:
    rendered = render_epub(book)
    built = Epub(rendered.data)
    for name, root in built.documents().items():
        for element in root.iter():
            for attribute in ("src", "data", "poster", "srcset"):
                assert not (element.get(attribute) or "").startswith(("http:", "https:")), name
            if etree.QName(element).localname == "link":
                assert not element.get("href", "").startswith(("http:", "https:"))
    for item in built.manifest_items().values():
        assert "remote-resources" not in (item.get("properties") or "")
        assert not item.get("href").startswith("http")
    assert b"url(http" not in built.files[f"{PACKAGE}styles/epub.css"]
    assert any("remote image 'https://example.org/remote.png'" in w for w in rendered.warnings)


def test_images_packaged_safely_with_alt_text_and_placeholders_kept(built: Epub) -> None:
    images = sorted(name for name in built.files if name.startswith(f"{PACKAGE}images/"))
    assert images == [f"{PACKAGE}images/a-diagram.png", f"{PACKAGE}images/cover.png"]
    for name, root in built.documents().items():
        for img in root.iter("{*}img"):
            assert (img.get("alt") or "").strip(), name
    welcome = built.xml(f"{PACKAGE}text/welcome.xhtml")
    placeholders = [s for s in welcome.iter("{*}span") if s.get("class") == "image-placeholder"]
    assert [p.get("aria-label") for p in placeholders] == ["Remote", "Lost"]
    assert all(p.get("role") == "img" for p in placeholders)


def test_footnotes_are_noteref_and_footnote_pairs_with_back_links(built: Epub) -> None:
    welcome = built.xml(f"{PACKAGE}text/welcome.xhtml")
    refs = [a for a in welcome.iter("{*}a") if a.get(EPUB_TYPE) == "noteref"]
    assert [a.text for a in refs] == ["1", "2"]
    for ref in refs:
        assert ref.get("role") == "doc-noteref"
        aside = welcome.find(f".//x:aside[@id='{ref.get('href')[1:]}']", NS)
        assert aside is not None and aside.get(EPUB_TYPE) == "footnote"
        assert aside.get("role") == "doc-footnote"
        back = aside.find(".//x:a[@role='doc-backlink']", NS)
        assert back is not None and back.get("href") == f"#{ref.get('id')}"
    first = welcome.find(".//x:aside[@id='fn-welcome-1']", NS)
    assert "".join(first.itertext()) == "1. A first note."
    assert first.find(".//x:em", NS) is not None
    deeper = built.xml(f"{PACKAGE}text/deeper.xhtml")  # numbering restarts per chapter
    assert [a.text for a in deeper.iter("{*}a") if a.get(EPUB_TYPE) == "noteref"] == ["1"]
    assert not welcome.xpath("//*[contains(@class, 'footnote') and self::x:span]", namespaces=NS)


def test_nav_nests_parts_chapters_and_sections(built: Epub) -> None:
    nav = built.xml(f"{PACKAGE}nav.xhtml")
    toc = nav.find(".//x:nav[@id='toc']", NS)
    assert toc.get(EPUB_TYPE) == "toc"

    def tree(ordered: etree._Element) -> list[object]:
        result: list[object] = []
        for item in ordered.iterfind("x:li", NS):
            child = item.find("x:ol", NS)
            label = item.find("x:a", NS).text
            result.append((label, tree(child)) if child is not None else label)
        return result

    assert tree(toc.find("x:ol", NS)) == [
        # The part's label as the contents gives it (structure.py).
        ("Part I\xa0· Getting started", [("Welcome", ["Why", ("Deeper", ["How"])])]),
        "Elsewhere"]
    landmarks = nav.find(".//x:nav[@id='landmarks']", NS)
    kinds = [a.get(EPUB_TYPE) for a in landmarks.iter("{*}a")]
    assert kinds == ["cover", "titlepage", "copyright-page", "toc", "bodymatter"]
    assert landmarks.get("hidden") is not None
    items = built.manifest_items()
    assert [i.get("href") for i in items.values() if i.get("properties") == "nav"] == ["nav.xhtml"]


def test_ncx_lists_the_same_entries_in_play_order(built: Epub) -> None:
    ncx = built.xml(f"{PACKAGE}toc.ncx")
    labels = [t.text for t in ncx.iterfind(".//ncx:navPoint/ncx:navLabel/ncx:text", NS)]
    assert labels == ["Part I\xa0· Getting started", "Welcome", "Why", "Deeper", "How",
                      "Elsewhere"]
    orders = [int(p.get("playOrder")) for p in ncx.iter("{*}navPoint")]
    assert orders == list(range(1, len(orders) + 1))
    assert built.opf.find("opf:spine", NS).get("toc") == "ncx"


def test_metadata_equals_the_manifest(built: Epub, book: HtmlBook) -> None:
    metadata = book.manifest.metadata
    assert built.dc("identifier") == [metadata.identifiers["epub"]]
    assert built.dc("title") == [metadata.title, metadata.subtitle]
    assert built.dc("creator") == list(metadata.authors)
    assert built.dc("contributor") == list(metadata.contributors)
    assert built.dc("language") == ["en"]
    assert built.dc("publisher") == [metadata.publisher]
    assert built.dc("rights") == [metadata.license]
    assert built.dc("date") == ["2016-01-15"]
    assert built.dc("subject") == list(metadata.keywords)
    assert built.meta("dcterms:modified") == ["2016-01-15T00:00:00Z"]
    assert built.meta("schema:bookEdition") == [metadata.edition]
    assert built.meta("belongs-to-collection") == [metadata.series]
    assert built.meta("group-position") == [metadata.series_position]
    types = {m.get("refines"): m.text for m in built.opf.iterfind(
        "opf:metadata/opf:meta[@property='title-type']", NS)}
    assert types == {"#title": "main", "#subtitle": "subtitle"}
    roles = [m.text for m in built.opf.iterfind("opf:metadata/opf:meta[@property='role']", NS)]
    assert roles == ["aut", "aut", "ctb"]
    cover = [i for i in built.manifest_items().values() if i.get("properties") == "cover-image"]
    assert [i.get("href") for i in cover] == ["images/cover.png"]


def test_accessibility_metadata_is_present(built: Epub) -> None:
    assert built.meta("schema:accessMode") == ["textual", "visual"]
    assert "textual" in built.meta("schema:accessModeSufficient")
    features = built.meta("schema:accessibilityFeature")
    assert {"tableOfContents", "readingOrder", "structuralNavigation",
            "alternativeText"} <= set(features)
    assert built.meta("schema:accessibilityHazard") == ["none"]
    assert "Footnotes" in built.meta("schema:accessibilitySummary")[0]


def test_identifier_is_derived_stably_when_absent(tmp_path: Path) -> None:
    def identifier(metadata: Metadata) -> str:
        html_book = make_book(tmp_path)
        html_book = replace(html_book, manifest=replace(html_book.manifest, metadata=metadata))
        return Epub(render_epub(html_book).data).dc("identifier")[0]

    plain = Metadata(title="Untitled Book", edition="1")
    first, again = identifier(plain), identifier(plain)
    assert first == again and first.startswith("urn:uuid:")
    assert identifier(replace(plain, edition="2")) != first
    isbn = replace(plain, identifiers=frozen_mapping({"epub": "978-3-16-148410-0"}))
    assert identifier(isbn) == "urn:isbn:9783161484100"


def test_inline_svg_gets_its_namespace_and_manifest_property(tmp_path: Path) -> None:
    html_book = make_book(tmp_path)
    svg = HtmlSection(html_book.sections[3].node, (
        '<section id="elsewhere" class="chapter depth-1"><h1>Elsewhere</h1>'
        '<p><svg viewBox="0 0 10 10" role="img" aria-label="dot"><circle cx="5" cy="5" r="4"/>'
        "</svg></p></section>"))
    html_book = replace(html_book, sections=(*html_book.sections[:3], svg))
    built = Epub(render_epub(html_book).data)
    item = built.manifest_items()["i-text-elsewhere-xhtml"]
    assert item.get("properties") == "svg"
    root = built.xml(f"{PACKAGE}text/elsewhere.xhtml")
    circle = root.find(".//{http://www.w3.org/2000/svg}svg")
    assert circle is not None and circle.get("viewBox") == "0 0 10 10"


def test_given_cover_image_is_used(tmp_path: Path) -> None:
    cover_path = tmp_path / "my cover.jpg"
    Image.new("RGB", (160, 256), (10, 80, 10)).save(cover_path, "JPEG")
    html_book = make_book(tmp_path)
    metadata = replace(html_book.manifest.metadata, cover_image=cover_path)
    html_book = replace(html_book, manifest=replace(html_book.manifest, metadata=metadata))
    built = Epub(render_epub(html_book).data)
    assert built.files[f"{PACKAGE}images/cover.jpg"] == cover_path.read_bytes()
    assert f"{PACKAGE}images/cover.png" not in built.files


def test_fonts_embedded_only_when_asked(tmp_path: Path) -> None:
    plain = Epub(render_epub(make_book(tmp_path)).data)
    assert not any(name.endswith(".otf") for name in plain.files)
    if not (LIBERTINE_DIR / "LinLibertine_R.otf").is_file():
        pytest.skip("Linux Libertine O is not installed")
    embedded = Epub(render_epub(make_book(tmp_path, embed_fonts=True)).data)
    fonts = [i for i in embedded.manifest_items().values() if i.get("media-type") == "font/otf"]
    assert len(fonts) == 4
    css = embedded.files[f"{PACKAGE}styles/fonts.css"].decode()
    assert css.count("@font-face") == 4


def test_stylesheet_is_reflowable_and_night_mode_friendly(project_dir: Path) -> None:
    css = (project_dir / "styles" / "epub.css").read_text()
    body_rules = re.findall(r"(?:^|\n)\s*(?:html,\s*)?body\s*\{([^}]*)\}", css)
    assert body_rules and not any(re.search(r"\b(background|color)\s*:", r) for r in body_rules)
    assert "@page" not in css
    assert not re.search(r"\bcolor\s*:\s*(#000|black)", css)


# --- EPUBCheck: the official validator; these tests need Java --------------------------------

requires_java = pytest.mark.skipif(
    shutil.which("java") is None,
    reason="EPUBCheck needs Java: apt-get install openjdk-17-jre-headless")


def epubcheck(data: bytes, folder: Path) -> EpubCheckResult:
    path = folder / "book.epub"
    path.write_bytes(data)
    return run_epubcheck(path)


def assert_clean(result: EpubCheckResult) -> None:
    listed = "\n".join(str(message) for message in result.messages)
    assert (result.fatals, result.errors, result.warnings) == (0, 0, 0), listed


@requires_java
def test_epubcheck_passes_the_hand_made_book(book: HtmlBook, tmp_path: Path) -> None:
    assert_clean(epubcheck(render_epub(book).data, tmp_path))


@requires_java
def test_epubcheck_passes_minimal_metadata_given_cover_fonts_and_svg(tmp_path: Path) -> None:
    html_book = make_book(tmp_path, embed_fonts=True)
    cover_path = tmp_path / "cover.jpg"
    Image.new("RGB", (160, 256), (10, 80, 10)).save(cover_path, "JPEG")
    metadata = Metadata(title="Bare", cover_image=cover_path, language="en")
    svg = HtmlSection(html_book.sections[3].node, (
        '<section id="elsewhere" class="chapter depth-1"><h1>Elsewhere</h1>'
        '<p><svg viewBox="0 0 10 10" role="img" aria-label="dot"><circle cx="5" cy="5" r="4"/>'
        "</svg></p></section>"))
    html_book = replace(html_book, sections=(*html_book.sections[:3], svg),
                        manifest=replace(html_book.manifest, metadata=metadata))
    assert_clean(epubcheck(render_epub(html_book).data, tmp_path))


# --- Through the real pipeline: the sample book and the real handbook --------------------------

def pipeline_html_book(manifest_path: Path, output_dir: Path) -> HtmlBook:
    from handbook_build.html.assemble import assemble
    from handbook_build.html.htmlbook import to_html
    from handbook_build.sources.chapters import read_book
    from handbook_build.sources.manifest import load_manifest

    return to_html(assemble(read_book(load_manifest(manifest_path), output_dir)))


def assert_structurally_sound(built: Epub, html_book: HtmlBook) -> None:
    """Spine in contents order, every internal reference resolves, nothing remote."""
    slugs = [posixpath.splitext(posixpath.basename(h))[0] for h in built.spine_hrefs()[4:]]
    assert len(slugs) == len(html_book.sections)
    documents = built.documents()
    ids = {name: {e.get("id") for e in root.iter() if e.get("id")}
           for name, root in documents.items()}
    for name, root in documents.items():
        for element in root.iter("{*}a", "{*}img", "{*}link"):
            href = element.get("href") or element.get("src") or ""
            if element.tag.endswith("}a") and href.startswith(("http", "mailto:")):
                continue
            assert not href.startswith(("http:", "https:")), (name, href)
            if href:
                target, fragment = resolve(name, href)
                assert target in built.files and (not fragment or fragment in ids[target]), href


@pytest.mark.slow
def test_sample_book_through_the_pipeline(project_dir: Path, tmp_path: Path) -> None:
    html_book = pipeline_html_book(project_dir / "manuscript" / "book.toml", tmp_path)
    rendered = render_epub(html_book)
    built = Epub(rendered.data)
    assert_structurally_sound(built, html_book)
    assert built.dc("title")[0] == html_book.manifest.metadata.title
    assert rendered.data == render_epub(html_book).data
    if shutil.which("java"):
        assert_clean(epubcheck(rendered.data, tmp_path))


@pytest.mark.slow
@pytest.mark.corpus
def test_real_handbook_through_the_pipeline(built_handbook: SharedHandbook, project_dir: Path,
                                            tmp_path: Path) -> None:
    """The EPUB of the run's one build of the real handbook, against the book it was made of
    (read again here: its chapters come from the build's HTML cache)."""
    html_book = pipeline_html_book(project_dir / "editions" / "peeragogy-v3" / "book.toml",
                                   built_handbook.out)
    data = built_handbook.output(".epub").read_bytes()
    built = Epub(data)
    assert_structurally_sound(built, html_book)
    assert len(built.spine_hrefs()) == 4 + len(html_book.sections)
    if shutil.which("java"):
        assert_clean(epubcheck(data, tmp_path))


def test_animated_image_withdraws_the_no_hazard_claim(tmp_path: Path) -> None:
    html_book = make_book(tmp_path)
    gif = tmp_path / "images" / "a diagram.png"  # same src, now an animated GIF
    frames = [Image.new("RGB", (4, 4), color) for color in ((255, 0, 0), (0, 0, 255))]
    frames[0].save(gif, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    html_book = replace(html_book, images=(ImageAsset("images/a diagram.png", gif, "image/gif"),))
    built = Epub(render_epub(html_book).data)
    hazards = built.meta("schema:accessibilityHazard")
    assert "none" not in hazards and "unknownFlashingHazard" in hazards
    assert "animated" in built.meta("schema:accessibilitySummary")[0]


def test_deeper_nav_levels_nest_by_heading_level(book: HtmlBook) -> None:
    deeper = replace(book, manifest=replace(book.manifest, epub=EpubSettings(nav_depth=3)))
    nav = Epub(render_epub(deeper).data).xml(f"{PACKAGE}nav.xhtml")
    how = nav.find(".//x:a[@href='text/deeper.xhtml#deeper--how']", NS).getparent()
    assert [a.text for a in how.iterfind("x:ol/x:li/x:a", NS)] == ["Detail"]
