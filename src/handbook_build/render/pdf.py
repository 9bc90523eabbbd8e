"""HtmlBook -> the reading PDF (``<stem>.pdf``) through WeasyPrint, offline and confined.

Two steps, kept apart so the body can later be laid out in chunks in parallel processes:
``build_document`` (document.py) makes one self-contained HTML string, and ``layout_and_write``
turns such a string into PDF bytes. The latter takes only picklable arguments (strings and a
tuple of folder names) and returns a picklable ``LayoutResult``, so it can run in a
``ProcessPoolExecutor`` as is. WeasyPrint is imported inside functions: the import costs about
0.5 s and fails without Pango, which becomes a ``MissingToolError`` naming the apt-get command.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from handbook_build.errors import MissingToolError, RenderError
from handbook_build.model import HtmlBook, Manifest
from handbook_build.render.document import (
    PagedEdition,
    build_document,
    geometry_css,
    read_stylesheets,
)
from handbook_build.render.fonts import missing_font_families, unnamed_family_warnings

__all__ = [
    "PDF_STYLESHEETS",
    "CapturedWarnings",
    "LayoutResult",
    "RenderedPdf",
    "font_warnings",
    "layout_and_write",
    "load_weasyprint",
    "misplaced_footnotes",
    "note_label",
    "pdf_edition",
    "push_closing_blocks",
    "render_pdf",
]

PDF_STYLESHEETS = ("base.css", "technical.css", "pdf.css")
SCREEN_STYLESHEET = "screen.css"  # after pdf.css in the screen layout (the reading default)
NOTE_REPAIR_PASSES = 3
HEADING_TAGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
PANGO_INSTALL = "sudo apt-get install libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0"


@dataclass(frozen=True, slots=True)
class LayoutResult:
    """One WeasyPrint run: the PDF and what happened on the way (all picklable)."""

    data: bytes
    page_count: int
    warnings: tuple[str, ...]
    fetch_attempts: tuple[str, ...]
    fetch_refused: tuple[str, ...]
    font_families: tuple[str, ...] = ()  # the families of the faces embedded, sorted


@dataclass(frozen=True, slots=True)
class RenderedPdf:
    """The reading edition: bytes to write as ``<stem>.pdf``, plus what the pipeline reports."""

    data: bytes
    page_count: int
    warnings: tuple[str, ...]  # fonts missing, resources refused, CSS WeasyPrint ignored
    fetch_attempts: tuple[str, ...]  # every URL WeasyPrint asked for (proof of no network)
    fetch_refused: tuple[str, ...]
    font_families: tuple[str, ...] = ()  # the families of the faces embedded, sorted


def pdf_edition(manifest: Manifest) -> PagedEdition:
    """The reading edition's settings: base.css + pdf.css (+ screen.css in the screen layout)
    and the manifest's [pdf] geometry."""
    layout = manifest.pdf.layout
    names = (*PDF_STYLESHEETS, SCREEN_STYLESHEET) if layout == "screen" else PDF_STYLESHEETS
    return PagedEdition(
        stylesheet_paths=tuple(manifest.styles_dir / name for name in names),
        geometry=manifest.pdf.geometry,
        identifier_key="pdf",
        font_family=manifest.pdf.font_family,
        hyphenate=manifest.pdf.hyphenate,
        layout=layout,
        tagged=True,
    )


def render_pdf(html_book: HtmlBook, edition: PagedEdition | None = None) -> RenderedPdf:
    """Lay out ``html_book`` as the reading PDF (or as ``edition``) and return its bytes."""
    manifest = html_book.manifest
    edition = edition or pdf_edition(manifest)
    document = build_document(html_book, edition)
    roots = tuple(str(root) for root in (*manifest.allowed_roots, manifest.styles_dir))
    result = layout_and_write(document, _directory_url(html_book.output_dir), roots,
                              tagged=edition.tagged)
    return RenderedPdf(
        data=result.data,
        page_count=result.page_count,
        warnings=(*font_warnings(edition, result.font_families), *result.warnings),
        fetch_attempts=result.fetch_attempts,
        fetch_refused=result.fetch_refused,
        font_families=result.font_families,
    )


def font_warnings(edition: PagedEdition, used: Iterable[str] = ()) -> tuple[str, ...]:
    """Families the styles name but fontconfig lacks, and families embedded but never named."""
    css_texts = read_stylesheets(edition.stylesheet_paths)
    generated = geometry_css(edition.geometry, edition.font_family, edition.hyphenate,
                             edition.layout)
    texts = (*css_texts, generated)
    return (*missing_font_families(texts), *unnamed_family_warnings(used, texts))


def layout_and_write(document_html: str, base_url: str, roots: tuple[str, ...],
                     tagged: bool = False) -> LayoutResult:
    """HTML document string -> WeasyPrint layout -> PDF bytes, fetching only under ``roots``.

    ``tagged``: a tagged PDF (WeasyPrint's ``pdf_tags``: a structure tree for screen readers,
    ``/MarkInfo``; the language comes from ``<html lang>``)."""
    weasyprint = load_weasyprint()
    from handbook_build.render.fetch import (
        ConfinedFetcher,  # imports WeasyPrint: only after the check
    )

    fetcher = ConfinedFetcher(roots=[Path(root) for root in roots])
    with CapturedWarnings() as captured:
        try:
            html = weasyprint.HTML(string=document_html, base_url=base_url, url_fetcher=fetcher)
            document = _layout_keeping_notes_with_calls(html)
            data = document.write_pdf(pdf_tags=tagged)
        except Exception as error:  # WeasyPrint raises anything from deep in layout
            raise RenderError(f"WeasyPrint failed: {type(error).__name__}: {error}") from error
    notes = [f"footnote {note_label(element)} is not on the page of its call (page {page + 1})"
             for page, element in misplaced_footnotes(document)]  # fmt: skip
    return LayoutResult(
        data=bytes(data),
        page_count=len(document.pages),
        warnings=(*captured.messages(), *notes),
        fetch_attempts=tuple(fetcher.attempts),
        fetch_refused=tuple(fetcher.refused),
        # Known only after write_pdf: the faces WeasyPrint really embedded.
        font_families=tuple(sorted({str(font.family) for font in document.fonts.values()})),
    )


def _layout_keeping_notes_with_calls(html: Any) -> Any:
    """Lay out ``html``; re-lay it out (at most ``NOTE_REPAIR_PASSES`` times) to keep notes home.

    WeasyPrint 70 evicts the last footnote of a page to the next page when that makes room for
    the first two lines (orphans) of a paragraph starting at the foot of the page, whatever
    ``footnote-policy`` says. The repair pushes that closing paragraph (with any heading just
    before it) to the next page, as WeasyPrint would have without the footnote, and lays out
    again. Images are fetched once: the passes share WeasyPrint's image cache.
    """
    cache: dict[str, Any] = {}
    document = html.render(cache=cache)
    for _ in range(NOTE_REPAIR_PASSES):
        pushed = push_closing_blocks(html, document)
        if not any(pushed):
            break
        document = html.render(cache=cache)
    return document


def push_closing_blocks(html: Any, document: Any) -> list[bool]:
    """``_push_closing_block`` for the page of each misplaced note, with one map of the tree
    for all of them: rebuilding it per page made a book with many notes quadratic."""
    misplaced = misplaced_footnotes(document)
    if not misplaced:
        return []
    siblings = _sibling_map(html.etree_element)
    return [_push_closing_block(html, document.pages[page], siblings) for page, _ in misplaced]


def _sibling_map(root: Any) -> dict[Any, tuple[Any, int]]:
    """element -> (its parent, its index among the parent's children)."""
    return {child: (parent, index) for parent in root.iter()
            for index, child in enumerate(parent)}


def misplaced_footnotes(document: Any) -> list[tuple[int, Any]]:
    """(page index of the call, footnote element) for each note printed on another page."""
    call_pages: dict[int, tuple[int, Any]] = {}
    note_pages: dict[int, int] = {}
    for index, page in enumerate(document.pages):
        # A laid-out page box's children: the root box, then the footnote area if any notes.
        root_box, *areas = page._page_box.children
        for box in root_box.descendants():
            if box.footnote is not None:  # only ::footnote-call boxes carry their footnote
                call_pages.setdefault(id(box.footnote.element), (index, box.footnote.element))
        for area in areas:
            if type(area).__name__ == "FootnoteAreaBox":
                for box in area.children:
                    note_pages.setdefault(id(box.element), index)
    return [(page, element) for key, (page, element) in call_pages.items()
            if note_pages.get(key) != page]  # fmt: skip


def _push_closing_block(html: Any, page: Any,
                        parents: dict[Any, tuple[Any, int]] | None = None) -> bool:
    """Force a page break before the paragraph that ends ``page``; False if nothing to do."""
    element = _last_paragraph_element(page._page_box.children[0])
    if element is None:
        return False
    parents = parents if parents is not None else _sibling_map(html.etree_element)
    # Keep a heading with its paragraph: move the break above the headings that precede it.
    while (previous := _previous_sibling(element, parents)) is not None and \
            str(previous.tag).rsplit("}", 1)[-1] in HEADING_TAGS:  # fmt: skip
        element = previous
    style = element.get("style") or ""
    if "break-before: page" in style:
        return False  # pushed in an earlier pass already: give up on this one
    element.set("style", f"{style}; break-before: page".lstrip("; "))
    return True


def _last_paragraph_element(box: Any) -> Any:
    """The element of the last block on the page that holds lines of text."""
    last = None
    for child in getattr(box, "children", ()):
        if type(child).__name__ == "LineBox":
            last = box.element
        elif (found := _last_paragraph_element(child)) is not None:
            last = found
    return last


def _previous_sibling(element: Any, parents: dict[Any, tuple[Any, int]]) -> Any:
    parent, index = parents.get(element, (None, 0))
    # Nothing before it, or the tree changed since the map was made (never within a pass:
    # setting a style attribute moves no element).
    return parent[index - 1] if parent is not None and index > 0 else None


def note_label(element: Any) -> str:
    """How a warning names a footnote: its id, else its number, else "?"."""
    return str(element.get("id") or element.get("data-n") or "?")


def load_weasyprint() -> ModuleType:
    """``import weasyprint``, or a MissingToolError with the command that installs Pango."""
    try:
        import weasyprint
    except (ImportError, OSError) as error:
        raise MissingToolError(
            f"WeasyPrint cannot be loaded ({error}); it needs the Pango libraries: {PANGO_INSTALL}"
        ) from error
    from handbook_build.render import weasy_line_end, weasy_note_pages, weasy_notes, weasy_speed

    weasy_notes.install(weasyprint)  # footnote lookups in constant time: see weasy_notes.py
    weasy_note_pages.install(weasyprint)  # every note on its call's page: weasy_note_pages.py
    weasy_line_end.install(weasyprint)  # no word hyphenated alone on a line: weasy_line_end.py
    weasy_speed.install(weasyprint)  # font subsetting without a C parse per array length
    module: ModuleType = weasyprint
    return module


def _directory_url(directory: Path) -> str:
    # Relative image srcs in the HTML are relative to the output folder; the trailing slash
    # makes them resolve inside it rather than next to it. (fetch.directory_url without the
    # WeasyPrint import that module brings.)
    return directory.resolve().as_uri().rstrip("/") + "/"


class CapturedWarnings(logging.Handler):
    """Collects WeasyPrint's warnings and errors during one render, in order, once each."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self._messages: dict[str, None] = {}
        self._logger = logging.getLogger("weasyprint")
        self._saved_level = logging.NOTSET

    def emit(self, record: logging.LogRecord) -> None:
        self._messages.setdefault(f"WeasyPrint: {record.getMessage()}", None)

    def messages(self) -> tuple[str, ...]:
        return tuple(self._messages)

    def __enter__(self) -> CapturedWarnings:
        # The CLI may have raised the root level; warnings must still reach this handler.
        self._saved_level = self._logger.level
        if self._logger.getEffectiveLevel() > logging.WARNING:
            self._logger.setLevel(logging.WARNING)
        self._logger.addHandler(self)
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self._logger.removeHandler(self)
        self._logger.setLevel(self._saved_level)
