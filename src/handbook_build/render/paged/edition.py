"""The edition as data: ``Paged``, everything a worker needs to lay out an edition's documents,
made from an ``HtmlBook`` by ``paged_for``; and the salt, the hash of everything outside the
documents' text that shapes a chunk (tools, code, fonts, the styles folder, the images)."""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from handbook_build import __version__
from handbook_build import cache as build_cache
from handbook_build.html.typography import paged_break_points
from handbook_build.model import HtmlBook, Manifest
from handbook_build.render.document import (
    PagedEdition,
    colophon_text,
    copyright_page_html,
    geometry_css,
    head_html,
    read_stylesheets,
    roles_of,
    structured_transform,
    title_page_html,
    toc_html,
)
from handbook_build.render.paged.styles import StyleSupport, analyse_styles

__all__ = ["GROUP_CHARS", "RUN_CHARS", "Paged", "edition_salt", "paged_for"]

# A group: sections until about this much HTML (5-8 pages). An edit lays out its group again;
# fonts are joined by the merge, so small groups cost little more than big ones.
GROUP_CHARS = 12_000
# A run laid out in one document: memory grows with it (about 200 MiB for 280k characters,
# 140-180 pages), so a clean build lays the book out in runs of this size, one after the other.
RUN_CHARS = 280_000


@dataclass(frozen=True, slots=True)
class Paged:
    """Everything a worker needs to lay out an edition's documents (picklable)."""

    edition: str  # "pdf", "print": the cache folder
    lang: str
    head: str  # <head>...</head>: metadata and every stylesheet, as build_document makes it
    title_page: str  # the book's title page section
    front: str  # title page, copyright page and contents
    sections: tuple[str, ...]  # each section's HTML as the edition shows it
    slugs: tuple[str, ...]
    base_url: str
    roots: tuple[str, ...]
    support: StyleSupport
    repair_notes: bool = False  # the reading PDF keeps notes on their call's page (pdf.py)
    # (print-image: URL, file) of the print edition's converted pictures (print_images.py)
    image_copies: tuple[tuple[str, str], ...] = ()
    pdf_variant: str | None = None
    document_seed: str | None = None  # pod.fixed_document_id for the print file's XMP id
    salt: str = ""  # tools, code, fonts, style folder: anything else that shapes a page
    run_chars: int = RUN_CHARS
    group_chars: int = GROUP_CHARS
    # Book layout: every section opens on a right-hand page (a blank verso between chunks where
    # needed). Screen layout: on the next page, so chunks follow each other with no blank.
    recto_openings: bool = True
    tagged: bool = False  # chunks written with pdf_tags; pdf_merge joins their structure trees


def paged_for(html_book: HtmlBook, edition: PagedEdition, name: str, *,
              extra_head_css: str = "", repair_notes: bool = False,
              pdf_variant: str | None = None, document_seed: str | None = None,
              run_chars: int = RUN_CHARS) -> Paged:
    """The pieces ``document.build_document`` joins, kept apart (see
    ``chunk_document.whole_document``)."""
    manifest = html_book.manifest
    metadata = manifest.metadata
    css_texts = read_stylesheets(edition.stylesheet_paths)
    generated = geometry_css(edition.geometry, edition.font_family, edition.hyphenate,
                             edition.layout)
    head = head_html(metadata, (*css_texts, generated))
    if extra_head_css:
        # As print_pdf.py does: the edition's generated block goes last in <head>.
        head = head.replace("</head>", f"<style>\n{extra_head_css}</style>\n</head>", 1)
    colophon = colophon_text(css_texts, edition.font_family)  # as document.build_document
    identifier = metadata.identifiers.get(edition.identifier_key, "")
    title = title_page_html(metadata)
    front = (title + copyright_page_html(metadata, edition.identifier_key, identifier, colophon)
             + toc_html((section.node for section in html_book.sections), roles_of(html_book)))
    support = analyse_styles((*css_texts, generated, extra_head_css))
    transform = structured_transform(html_book, edition)
    return Paged(
        edition=name, lang=metadata.language, head=head, title_page=title, front=front,
        sections=tuple(paged_break_points(transform(section))
                       for section in html_book.sections),
        slugs=tuple(section.node.slug for section in html_book.sections),
        base_url=_directory_url(html_book.output_dir),
        roots=tuple(str(root) for root in (*manifest.allowed_roots, manifest.styles_dir)),
        support=support, repair_notes=repair_notes,
        pdf_variant=pdf_variant, document_seed=document_seed,
        salt=edition_salt(manifest, html_book), run_chars=run_chars,
        recto_openings=edition.layout == "book", tagged=edition.tagged,
    )


def _directory_url(directory: Path) -> str:
    return directory.resolve().as_uri().rstrip("/") + "/"


# The code that turns a document into pages (what comes before is in the documents' text):
# every module of this package, then those it draws on.
_CODE = (*(f"render/paged/{path.name}" for path in sorted(Path(__file__).parent.glob("*.py"))),
         "render/document.py", "render/pdf.py", "render/print_pdf.py",
         "render/print_transform.py", "render/print_images.py", "render/cover_pdf.py",
         "render/fetch.py", "sources/svg_clean.py", "render/pod.py", "render/proof.py",
         "render/fonts.py",
         "render/weasy_notes.py", "render/weasy_note_pages.py", "render/weasy_line_end.py",
         "render/weasy_speed.py", "render/weasy_patch.py")


def edition_salt(manifest: Manifest, html_book: HtmlBook) -> str:
    """Everything outside the documents' text that shapes a chunk, as one hash."""
    digest = hashlib.sha256()
    digest.update(build_cache.tool_versions().encode())
    digest.update(build_cache.font_folders_state().encode())
    digest.update(__version__.encode())
    for name in _CODE:
        with contextlib.suppress(OSError):
            digest.update(name.encode() + (build_cache.PACKAGE_DIR / name).read_bytes())
    for name, path in _style_files(manifest.styles_dir):
        digest.update(f"{name}\n".encode())
        with contextlib.suppress(OSError):
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    images = sorted((asset.src, str(asset.path)) for asset in html_book.images)
    for src, image_path in images:
        digest.update(f"{src}\n".encode())
        with contextlib.suppress(OSError):
            digest.update(hashlib.sha256(Path(image_path).read_bytes()).digest())
    return digest.hexdigest()


def _style_files(folder: Path) -> Iterator[tuple[str, Path]]:
    """Regular files of the styles folder (which url() may name), never a link out of it."""
    try:
        top = folder.resolve(strict=True)
    except (OSError, RuntimeError):
        return
    for current, subfolders, files in os.walk(top):
        subfolders[:] = sorted(name for name in subfolders if not name.startswith("."))
        for name in sorted(files):
            path = Path(current) / name
            try:
                real = path.resolve(strict=True)
            except (OSError, RuntimeError):
                continue
            if real.is_file() and real.is_relative_to(top):
                yield str(path.relative_to(top)), real
