"""The EPUB edition: HtmlBook -> ``<stem>.epub`` bytes (ebooklib, then a deterministic zip).

One XHTML file per part and chapter (``text/``), a cover, title and copyright page, nav.xhtml
(contents + landmarks) and an NCX for EPUB 2 readers; metadata and accessibility metadata from
the manifest. Nothing is written to disk: ebooklib writes into memory and ``epub_zip`` rewrites
the archive so that identical input gives identical bytes.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from lxml import etree

from handbook_build.errors import RenderError, SourceError
from handbook_build.model import HtmlBook, HtmlSection, Manifest
from handbook_build.render import epub_front as front
from handbook_build.render import epub_pages
from handbook_build.render.epub_assets import (
    PackageFile,
    book_images,
    cover_file,
    font_files,
    is_animated,
    plan_images,
    unique_names,
)
from handbook_build.render.epub_meta import Accessibility, apply_metadata, epub_identifier
from handbook_build.render.epub_refs import relative_href
from handbook_build.render.epub_sections import (
    SectionDocument,
    convert_section,
    link_targets,
    nav_tree,
    plan_section_files,
    resolve_references,
)
from handbook_build.render.epub_xhtml import (
    MATHML_NS,
    SVG_NS,
    XML_NS,
    uses_namespace,
    xhtml_document,
    xtag,
)
from handbook_build.render.epub_zip import normalize_epub_zip
from handbook_build.sources.alt_text import meaningless_alt
from handbook_build.sources.structure import book_roles

log = logging.getLogger(__name__)
XHTML_TYPE = "application/xhtml+xml"
STYLESHEET_HREF = "styles/epub.css"
FONTS_CSS_HREF = "styles/fonts.css"


@dataclass(frozen=True, slots=True)
class RenderedEpub:
    data: bytes  # the .epub file
    warnings: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Document:
    """One XHTML file of the package, in spine order."""

    href: str
    data: bytes
    properties: tuple[str, ...] = ()


def _where(section: HtmlSection, manifest: Manifest) -> str:
    """The chapter file as other messages show it: relative to the working directory."""
    path = section.node.source_path
    if path is None:
        return f"{manifest.contents_path.name}:{section.node.contents_line}"
    from handbook_build.display import shown

    return shown(path)


def _stylesheets(href: str, has_fonts: bool) -> list[str]:
    sheets = [FONTS_CSS_HREF, STYLESHEET_HREF] if has_fonts else [STYLESHEET_HREF]
    return [relative_href(sheet, href) for sheet in sheets]


def _section_file(document: SectionDocument, lang: str, has_fonts: bool) -> _Document:
    data = xhtml_document(title=document.section.node.title, lang=lang,
                          stylesheets=_stylesheets(document.href, has_fonts),
                          body=[document.root], body_type="bodymatter")
    properties = tuple(name for name, namespace in (("mathml", MATHML_NS), ("svg", SVG_NS))
                       if uses_namespace(document.root, namespace))
    return _Document(document.href, data, properties)


def _front_file(href: str, title: str, body: Sequence[etree._Element], lang: str,
                has_fonts: bool, body_type: str = "frontmatter") -> _Document:
    data = xhtml_document(title=title, lang=lang, stylesheets=_stylesheets(href, has_fonts),
                          body=body, body_type=body_type)
    return _Document(href, data)


def _stylesheet(manifest: Manifest) -> bytes:
    # epub.css, then the code, formula and bibliography rules every edition shares
    texts = []
    for path in (manifest.styles_dir / "epub.css", manifest.styles_dir / "technical.css"):
        try:
            texts.append(path.read_bytes())
        except OSError as error:
            raise SourceError(f"{path}: cannot read the EPUB stylesheet: {error.strerror}; "
                              f"restore styles/{path.name}") from error
    return b"\n".join(texts)


def _cover_alt(manifest: Manifest) -> str:
    metadata = manifest.metadata
    subtitle = f": {metadata.subtitle}" if metadata.subtitle else ""
    authors = f", by {front.join_names(metadata.authors)}" if metadata.authors else ""
    return f"Cover of {metadata.title}{subtitle}{authors}"


def _front_documents(manifest: Manifest, cover: PackageFile, identifier: str,
                     nav: Sequence[etree._Element], has_fonts: bool,
                     markers: dict[str, list[etree._Element]]) -> list[_Document]:
    """cover.xhtml, titlepage.xhtml, copyright.xhtml, nav.xhtml: the spine before the text;
    ``markers``: the print edition's front-matter page breaks, per file."""
    metadata, lang = manifest.metadata, manifest.metadata.language

    def marked(href: str, body: Sequence[etree._Element]) -> list[etree._Element]:
        return [*markers.get(href, []), *body]

    return [
        _front_file("cover.xhtml", "Cover", front.cover_page(cover.href, _cover_alt(manifest)),
                    lang, has_fonts, body_type="cover"),
        _front_file("titlepage.xhtml", metadata.title,
                    marked("titlepage.xhtml", front.title_page(metadata)), lang, has_fonts),
        _front_file("copyright.xhtml", "Copyright and license",
                    marked("copyright.xhtml", front.copyright_page(metadata, identifier)),
                    lang, has_fonts),
        _Document("nav.xhtml", xhtml_document(title="Contents", lang=lang,
                                              stylesheets=_stylesheets("nav.xhtml", has_fonts),
                                              body=marked("nav.xhtml", nav)), ("nav",)),
    ]


def _landmarks(first_text: str | None) -> list[front.Landmark]:
    marks = [front.Landmark("cover", "Cover", "cover.xhtml"),
             front.Landmark("titlepage", "Title page", "titlepage.xhtml"),
             front.Landmark("copyright-page", "Copyright and license", "copyright.xhtml"),
             front.Landmark("toc", "Contents", "nav.xhtml#toc")]
    if first_text:
        marks.append(front.Landmark("bodymatter", "Start of content", first_text))
    return marks


def _guide(first_text: str | None) -> list[dict[str, str]]:
    """The EPUB 2 <guide>, for readers that predate nav landmarks (its own type names)."""
    guide = [{"href": "cover.xhtml", "title": "Cover", "type": "cover"},
             {"href": "titlepage.xhtml", "title": "Title page", "type": "title-page"},
             {"href": "copyright.xhtml", "title": "Copyright", "type": "copyright-page"},
             {"href": "nav.xhtml", "title": "Contents", "type": "toc"}]
    if first_text:
        guide.append({"href": first_text, "title": "Start of content", "type": "text"})
    return guide


def _ncx_toc(epub: Any, entries: Sequence[front.NavEntry], counter: list[int]) -> list[Any]:
    """NavEntry tree -> ebooklib's toc (Link, or (Link, [children])); uids unique and stable."""
    toc: list[Any] = []
    for entry in entries:
        counter[0] += 1
        link = epub.Link(entry.href, entry.title, f"navpoint-{counter[0]}")
        toc.append((link, _ncx_toc(epub, entry.children, counter)) if entry.children else link)
    return toc


def _item_ids(hrefs: Sequence[str]) -> dict[str, str]:
    """href -> manifest id (an XML name derived from the href, so the OPF reads well)."""
    wanted = [(href, "i-" + "".join(c if c.isalnum() else "-" for c in href)) for href in hrefs]
    return unique_names(wanted, taken=["cover-img", "ncx"])


def _package(manifest: Manifest, facts: Accessibility, cover: PackageFile,
             documents: Sequence[_Document], resources: Sequence[PackageFile],
             entries: Sequence[front.NavEntry], first_text: str | None) -> bytes:
    """Hand everything to ebooklib; returns its zip (not yet normalized)."""
    from ebooklib import epub  # lazily: only the EPUB edition needs it

    book = epub.EpubBook()
    apply_metadata(book, manifest.metadata, facts)
    book.set_cover(cover.href, cover.data, create_page=False)
    ids = _item_ids([d.href for d in documents] + [r.href for r in resources])
    spine = []
    for document in documents:
        item = epub.EpubItem(uid=ids[document.href], file_name=document.href,
                             media_type=XHTML_TYPE, content=document.data)
        item.properties = list(document.properties)  # ebooklib writes them into the manifest
        book.add_item(item)
        spine.append(item)
    for resource in resources:
        book.add_item(epub.EpubItem(uid=ids[resource.href], file_name=resource.href,
                                    media_type=resource.media_type, content=resource.data))
    book.add_item(epub.EpubNcx())
    book.toc = _ncx_toc(epub, entries, [0])
    book.spine = spine
    book.guide = _guide(first_text)
    options = {"epub3_landmark": False, "epub3_pages": False, "raise_exceptions": True,
               "mtime": manifest.metadata.timestamp, "play_order": {"enabled": True,
                                                                    "start_from": 1}}
    buffer = io.BytesIO()
    try:
        epub.write_epub(buffer, book, options)
    except (OSError, ValueError, etree.LxmlError) as error:
        raise RenderError(f"{manifest.manifest_path}: ebooklib could not write the EPUB: "
                          f"{error}; please report this with the book") from error
    return _with_package_language(buffer.getvalue(), manifest.metadata.language)


def _with_package_language(data: bytes, lang: str) -> bytes:
    """``xml:lang`` on the OPF's <package> (ebooklib writes none; Ace: epub-lang), so reading
    systems know the language of the metadata itself."""
    import zipfile

    source = zipfile.ZipFile(io.BytesIO(data))
    output = io.BytesIO()
    with source, zipfile.ZipFile(output, "w") as target:
        for info in source.infolist():
            content = source.read(info)
            if info.filename.endswith(".opf"):
                root = etree.fromstring(content)
                root.set(f"{{{XML_NS}}}lang", lang)
                content = etree.tostring(root, xml_declaration=True, encoding="utf-8")
            target.writestr(info, content)
    return output.getvalue()


def _image_facts(documents: Sequence[SectionDocument]) -> tuple[int, int, int]:
    """(images, described, placeholders) of the text: an image counts as described only when
    its alt text says something (``alt_text.meaningless_alt``); decorative ones are left out."""
    images = described = placeholders = 0
    for document in documents:
        for element in document.root.iter():
            if element.tag == xtag("img"):
                if element.get("role") in ("presentation", "none"):
                    continue
                alt, src = element.get("alt", ""), element.get("src", "")
            elif element.get("role") == "img" and "image-placeholder" in (
                    element.get("class") or ""):
                placeholders += 1
                label = element.get("aria-label", "")
                alt, src = label.removeprefix("Image not available:").strip(), ""
            else:
                continue
            images += 1
            described += not meaningless_alt(alt, src)
    return images, described, placeholders


def render_epub(html_book: HtmlBook, print_pages: Sequence[Sequence[str]] = (),
                print_identifier: str = "") -> RenderedEpub:
    """Build the EPUB 3 edition in memory; warnings list what was unlinked, replaced, converted.

    ``print_pages``: the print edition's text, page by page (``epub_pages.pdf_page_lines``);
    when given, the EPUB gets a page list and page-break markers of that edition, and
    ``pageBreakSource`` names ``print_identifier``."""
    manifest = html_book.manifest
    lang = manifest.metadata.language
    hrefs = plan_section_files(html_book.sections)
    documents = [convert_section(s, hrefs[s.node.slug]) for s in html_book.sections]
    targets = link_targets(documents)
    cover, warnings = cover_file(manifest)
    image_hrefs = plan_images(html_book.images, reserved=[cover.href])
    used: set[str] = set()
    for document in documents:
        referenced, notes = resolve_references(document, targets, image_hrefs,
                                               _where(document.section, manifest))
        used |= referenced
        warnings += notes
    images, notes = book_images(html_book.images, image_hrefs, used)
    warnings += notes
    fonts, fonts_css, notes = font_files() if manifest.epub.embed_fonts else ([], "", [])
    warnings += notes
    has_fonts = bool(fonts)
    first_text = documents[0].href if documents else None
    roles = book_roles([section.node for section in html_book.sections], manifest.structure,
                       manifest.metadata.title)
    entries = nav_tree(documents, targets, manifest.epub.nav_depth, roles)
    images_count, described, placeholders = _image_facts(documents)  # before page markers
    front_markers: dict[str, list[etree._Element]] = {}
    nav = front.nav_page(entries, _landmarks(first_text))
    if print_pages and documents:
        marks, front_markers = epub_pages.place_page_breaks(
            [d.root for d in documents], [d.href for d in documents], print_pages)
        nav.append(epub_pages.page_list_nav(marks))
    identifier = epub_identifier(manifest.metadata)
    files = (_front_documents(manifest, cover, identifier, nav, has_fonts, front_markers)
             + [_section_file(d, lang, has_fonts) for d in documents])
    resources = [PackageFile(STYLESHEET_HREF, "text/css", _stylesheet(manifest)), *images, *fonts]
    if has_fonts:
        resources.append(PackageFile(FONTS_CSS_HREF, "text/css", fonts_css.encode()))
    facts = Accessibility(has_images=True,  # the cover at least, always with alt text
                          has_footnotes=any(d.note_count for d in documents),
                          has_animation=any(is_animated(image) for image in images),
                          images=images_count, described=described, placeholders=placeholders,
                          has_mathml=any("mathml" in f.properties for f in files),
                          page_list=bool(print_pages and documents),
                          print_identifier=print_identifier)
    data = _package(manifest, facts, cover, files, resources, entries, first_text)
    # Not logged: the pipeline lists them with the build's other warnings, in one format.
    return RenderedEpub(normalize_epub_zip(data, manifest.metadata.date), tuple(warnings))
