"""HtmlBook -> the annotatable print edition: print PDF, preflight, cover, proof, fillable variant.

Steps: build the paged document (document.py) with print.css, the print transform (notes pages,
URL notes, "see p. N") and a generated block (note column, bleed, PDF/X output intent); lay it
out; if the final page count needs a wider gutter than the one used, lay it out again; pad with
truly blank pages to the service's rule; write the print file without link annotations (and as
PDF/X where the service wants it); then preflight it, make the cover for the final page count,
the proof sheet, and on request the fillable variant (one text field per page, tablet use only).
"""

from __future__ import annotations

import base64
import copy
import dataclasses
import io
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from handbook_build.checks.preflight import Layout, Preflight, run_preflight
from handbook_build.errors import RenderError
from handbook_build.model import HtmlBook, Manifest, NoteStyle, PageGeometry, PrintSettings
from handbook_build.render.cover_pdf import render_cover
from handbook_build.render.document import PagedEdition, build_document
from handbook_build.render.notes_plan import NotesPlan, blank_owners, first_pages, plan_notes
from handbook_build.render.pod import PodProfile, fixed_document_id, get_profile, output_intent_css
from handbook_build.render.print_images import PrintImages, print_images
from handbook_build.render.print_transform import ImageUrls, make_print_transform
from handbook_build.render.proof import render_proof

log = logging.getLogger(__name__)
Laid = tuple[Any, tuple[str, ...]]  # a WeasyPrint Document (untyped) and its warnings

PRINT_STYLESHEETS = ("base.css", "technical.css", "pdf.css", "print.css")
NOTE_GAP_IN = 0.2  # between the text block and the note column
NOTE_EDGE_MIN_IN = 0.25  # between the note column and the trim, at least
MAX_LAYOUT_PASSES = 4  # gutter class and blank versos made notes pages: each may ask again
# Measure: Libertine at book sizes sets about 2.2 characters per em of line (spaces included),
# measured on the handbook's prose; 65 characters is the middle of the 60-70 wanted.
CHARACTERS_PER_EM = 2.2
MEASURE_RANGE = (60, 70)
FONT_RANGE_PT = (9.5, 12.5)
# Ruled lines and dots one text line apart: the pitch is the body's leading, so notes written on
# the rules sit level with the printed lines. base.css sets the body's line-height.
BODY_LINE_HEIGHT = 1.38  # when base.css cannot be read for it
AID_PPI = 1200
AID_GREY = 160  # of 255: light enough to write over, dark enough to survive the press
FIELD_APPEARANCE = "/Helv 9 Tf 0 g"
CSS_PX_PER_IN = 96  # an image's intrinsic size at the default image-resolution (1dppx)


@dataclass(frozen=True, slots=True)
class PrintEdition:
    pdf: bytes  # print-ready: no annotations, no fields, padded, PDF/X where asked
    page_count: int  # final, padding included
    padding_pages: int
    gutter_in: float  # the inside margin the pages were laid out with
    preflight: Preflight
    cover_pdf: bytes
    proof_png: bytes
    fillable_pdf: bytes | None
    spine_width_in: float = 0.0
    layout_passes: int = 1
    warnings: tuple[str, ...] = ()


def render_print(
    html_book: HtmlBook, fillable: bool = False, profile: PodProfile | None = None
) -> PrintEdition:
    """Lay out, pad, write and check the print edition of ``html_book``.

    ``profile`` defaults to the manifest's ``[print] profile``; pass one to try other rules.
    """
    manifest = html_book.manifest
    settings = manifest.print
    profile = profile or get_profile(settings.profile)
    gutter = max(settings.geometry.inner_in, profile.gutter_for(profile.min_pages))
    extra: frozenset[str] = frozenset()
    passes = 0
    while True:
        passes += 1
        geometry = print_geometry(settings, gutter)
        document, warnings = _layout(html_book, geometry, profile, extra)
        final_count = profile.padded_count(len(document.pages))
        required = max(settings.geometry.inner_in, profile.gutter_for(final_count))
        wanted = extra | notes_for_blanks(html_book, first_pages(document.pages))
        if (required <= gutter + 1e-9 and wanted == extra) or passes == MAX_LAYOUT_PASSES:
            break
        # The count crossed into a thicker gutter class, or blank versos are to be notes pages:
        # lay out again.
        log.info("%d pages need a %.3f in gutter, laid out with %.3f; %d blank versos to fill: "
                 "again", final_count, required, gutter, len(wanted - extra))  # fmt: skip
        gutter, extra = max(gutter, required), wanted
    padding = final_count - len(document.pages)
    pages = [*document.pages, *blank_pages(geometry, profile, len(document.pages), padding)]
    seed = print_seed(manifest)
    pdf = _write(document, [_without_links(page) for page in pages], profile, seed)
    trim = (geometry.width_in, geometry.height_in)
    preflight = run_preflight(pdf, profile, Layout(trim, final_count, padding, gutter),
                              print_images(html_book).image_sources())
    cover = render_cover(
        manifest.metadata, profile, settings.paper, trim, final_count, manifest.styles_dir,
        fetch_roots(manifest),
    )
    fillable_pdf = None
    if fillable:
        linked = _write(document, pages, dataclasses.replace(profile, pdf_variant=None), seed)
        fillable_pdf = add_note_fields(linked, geometry, profile)
    return PrintEdition(
        pdf=pdf, page_count=final_count, padding_pages=padding, gutter_in=gutter,
        preflight=preflight, cover_pdf=cover.pdf, proof_png=render_proof(pdf),
        fillable_pdf=fillable_pdf, spine_width_in=cover.geometry.spine_width_in,
        layout_passes=passes, warnings=warnings,
    )


def print_geometry(settings: PrintSettings, gutter_in: float) -> PageGeometry:
    """The manifest's geometry with the gutter applied and a font size giving 60-70 characters."""
    base = settings.geometry
    inner = max(base.inner_in, gutter_in)
    measure_pt = (base.width_in - inner - base.outer_in) * 72
    size = base.font_size_pt
    characters = measure_pt / size * CHARACTERS_PER_EM
    if not MEASURE_RANGE[0] <= characters <= MEASURE_RANGE[1]:
        wanted = sum(MEASURE_RANGE) / 2
        size = min(max(measure_pt * CHARACTERS_PER_EM / wanted, FONT_RANGE_PT[0]), FONT_RANGE_PT[1])
    return dataclasses.replace(base, inner_in=inner, font_size_pt=round(size, 2))


def notes_for_blanks(html_book: HtmlBook, page_of: dict[str, int]) -> frozenset[str]:
    """The sections that get one notes page more: those followed by a blank page, when the
    manifest turns blank versos into notes pages (``[print] blank_versos``)."""
    if html_book.manifest.print.blank_versos != "notes":
        return frozenset()
    return blank_owners(html_book.sections, page_of)


def print_edition(
    manifest: Manifest, geometry: PageGeometry, image_urls: ImageUrls | None = None,
    notes: NotesPlan | None = None,
) -> PagedEdition:
    """``notes``: the notes pages and their prompts (``notes_plan.plan_notes``); none if None."""
    return PagedEdition(
        stylesheet_paths=tuple(manifest.styles_dir / name for name in PRINT_STYLESHEETS),
        geometry=geometry,
        identifier_key="print",
        font_family=manifest.pdf.font_family,
        hyphenate=manifest.pdf.hyphenate,
        transform_section=make_print_transform(notes or NotesPlan(), image_urls),
    )


def generated_css(settings: PrintSettings, profile: PodProfile,
                  image_dpi: float | None = None, leading_pt: float | None = None) -> str:
    """What print.css cannot know: the note column's edge, the writing aid (its pitch the text's
    ``leading_pt``), bleed, PDF/X, and the resolution that sizes images as the reading edition
    does (``image_dpi``)."""
    pitch = leading_pt or settings.geometry.font_size_pt * BODY_LINE_HEIGHT
    aid_uri, aid_size = note_aid_tile(settings.note_style, pitch)
    aid = f"url({aid_uri})" if aid_uri else "none"
    lines = [
        "/* generated by print_pdf.py from the manifest's [print] settings and the profile */",
        f":root {{ --note-gap: {NOTE_GAP_IN:g}in; --note-edge: {_note_edge(profile):g}in; "
        f"--note-aid: {aid}; --note-aid-size: {aid_size}; }}",
        f"@page {{ marks: {'crop' if profile.crop_marks else 'none'}; }}",
    ]
    if image_dpi:
        # The intrinsic size, not a width: max-width and max-height then keep the proportions.
        lines.append(f"img {{ image-resolution: {image_dpi:.3f}dpi; }}")
    if profile.bleed_in:
        b = f"{profile.bleed_in:g}in"
        spine = b if profile.bleed_spine_side else "0"
        # Outer, top and bottom edges bleed; the spine side only where the service wants it.
        lines.append(f"@page :right {{ bleed: {b} {b} {b} {spine}; }}")
        lines.append(f"@page :left {{ bleed: {b} {spine} {b} {b}; }}")
    if profile.pdf_variant:
        lines.append(output_intent_css())
    return "\n".join(lines) + "\n"


def image_dpi(manifest: Manifest, geometry: PageGeometry) -> float:
    """The ``image-resolution`` that gives a picture the share of the print text block it has
    of the reading PDF's (where it is drawn at 96 px to the inch): sized by the layout, never
    shrunk to reach a resolution; the preflight reports the resolution that results."""
    reading = manifest.pdf.geometry
    reading_measure = reading.width_in - reading.inner_in - reading.outer_in
    print_measure = geometry.width_in - geometry.inner_in - geometry.outer_in
    if reading_measure <= 0 or print_measure <= 0:
        return float(CSS_PX_PER_IN)
    return CSS_PX_PER_IN * reading_measure / print_measure


def text_leading_pt(geometry: PageGeometry, styles_dir: Path | None = None) -> float:
    """The body text's line pitch: the font size times base.css's body line-height."""
    return geometry.font_size_pt * body_line_height(styles_dir)


def body_line_height(styles_dir: Path | None) -> float:
    """base.css's ``body { line-height: N }`` (a unitless number), else ``BODY_LINE_HEIGHT``."""
    try:
        css = (styles_dir / "base.css").read_text(encoding="utf-8") if styles_dir else ""
    except OSError:
        css = ""
    match = re.search(r"(?m)^body\s*\{[^}]*?line-height:\s*([0-9.]+)\s*;", css)
    return float(match.group(1)) if match else BODY_LINE_HEIGHT


def note_aid_tile(style: NoteStyle, pitch_pt: float = 18.0) -> tuple[str, str]:
    """The writing aid as a grey PNG tile (data: URI) and its CSS size; ("", "auto") for blank.

    A grey image, not a CSS gradient or SVG: WeasyPrint 70 draws gradients and SVG in RGB
    (device-cmyk gradient stops crash it), and PDF/X-1a allows only grey and CMYK. At 1200 ppi
    the tile prints as crisp as vector lines, and it is drawn once, as a pattern. Its CSS size is
    the exact pitch in points (the pixels only approximate it), so the lines never drift
    against the text over a page.
    """
    from PIL import Image, ImageDraw

    if style == "blank":
        return "", "auto"
    pitch = round(pitch_pt / 72 * AID_PPI)
    if style == "ruled":
        image = Image.new("L", (12, pitch), 255)
        ImageDraw.Draw(image).rectangle((0, pitch - 5, 11, pitch - 1), fill=AID_GREY)
        size = f"{12 / AID_PPI:g}in {pitch_pt:.3f}pt"
    else:
        image = Image.new("L", (pitch, pitch), 255)
        centre, radius = pitch // 2, 7
        ImageDraw.Draw(image).ellipse(
            (centre - radius, centre - radius, centre + radius, centre + radius), fill=AID_GREY
        )
        size = f"{pitch_pt:.3f}pt {pitch_pt:.3f}pt"
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)  # no text chunks, no time: same bytes
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii"), size


def add_note_fields(pdf: bytes, geometry: PageGeometry, profile: PodProfile) -> bytes:
    """The fillable variant: one multi-line text field over each page's note column.

    Each field has its own name (``notes-p<page>``, the physical page number): fields sharing a
    name share one value. Never applied to the print-ready file.
    """
    from pypdf import PdfWriter
    from pypdf.generic import (
        ArrayObject,
        BooleanObject,
        DictionaryObject,
        FloatObject,
        NameObject,
        NumberObject,
        TextStringObject,
    )

    writer = PdfWriter(clone_from=io.BytesIO(pdf))
    fields = ArrayObject()
    edge, column = _note_edge(profile), geometry.outer_in - NOTE_GAP_IN - _note_edge(profile)
    for index, page in enumerate(writer.pages):
        trim = page.trimbox
        is_recto = index % 2 == 0
        left_in = geometry.width_in - edge - column if is_recto else edge
        x0 = float(trim.left) + left_in * 72
        y0 = float(trim.bottom) + geometry.bottom_in * 72
        y1 = float(trim.top) - geometry.top_in * 72
        field = DictionaryObject({
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/Widget"),
            NameObject("/FT"): NameObject("/Tx"),
            NameObject("/T"): TextStringObject(f"notes-p{index + 1}"),
            NameObject("/TU"): TextStringObject(f"Notes, page {index + 1}"),
            NameObject("/Rect"): ArrayObject(
                FloatObject(round(v, 3)) for v in (x0, y0, x0 + column * 72, y1)
            ),
            NameObject("/F"): NumberObject(4),  # print flag: shows when the tablet prints it
            NameObject("/Ff"): NumberObject(4096),  # multi-line
            NameObject("/DA"): TextStringObject(FIELD_APPEARANCE),
        })
        added = writer.add_annotation(index, field)
        fields.append(added.indirect_reference)
    helvetica = DictionaryObject({
        NameObject("/Type"): NameObject("/Font"), NameObject("/Subtype"): NameObject("/Type1"),
        NameObject("/BaseFont"): NameObject("/Helvetica"),
    })
    writer.root_object[NameObject("/AcroForm")] = DictionaryObject({
        NameObject("/Fields"): fields,
        NameObject("/NeedAppearances"): BooleanObject(True),
        NameObject("/DA"): TextStringObject(FIELD_APPEARANCE),
        NameObject("/DR"): DictionaryObject({
            NameObject("/Font"): DictionaryObject({NameObject("/Helv"): helvetica})
        }),
    })
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _note_edge(profile: PodProfile) -> float:
    return max(NOTE_EDGE_MIN_IN, profile.min_outside_margin())


def _layout(html_book: HtmlBook, geometry: PageGeometry, profile: PodProfile,
            extra_notes: frozenset[str] = frozenset()) -> Laid:
    """One WeasyPrint layout of the whole edition: the Document (pages kept) and its warnings.
    ``extra_notes``: sections that get one notes page more (where a blank verso fell)."""
    manifest = html_book.manifest
    pictures: PrintImages = print_images(html_book)
    notes = plan_notes(html_book.sections, manifest.print, extra_notes)
    edition = print_edition(manifest, geometry, pictures.urls(), notes)
    document_html = build_document(html_book, edition)
    # document.py has no hook for extra generated CSS: it goes last in <head>, after its own.
    css = generated_css(manifest.print, profile, image_dpi(manifest, geometry),
                        text_leading_pt(geometry, manifest.styles_dir))
    document_html = document_html.replace("</head>", f"<style>\n{css}</style>\n</head>", 1)
    base_url = html_book.output_dir.resolve().as_uri().rstrip("/") + "/"
    return _render(document_html, base_url, fetch_roots(manifest), pictures.copies())


def _render(document_html: str, base_url: str, roots: tuple[Path, ...],
            copies: tuple[tuple[str, str], ...] = ()) -> Laid:
    from handbook_build.render.pdf import load_weasyprint
    from handbook_build.render.print_images import copies_fetcher

    weasyprint = load_weasyprint()
    fetcher = copies_fetcher(roots, copies) if copies else _plain_fetcher(roots)
    with _Warnings() as captured:
        try:
            html = weasyprint.HTML(string=document_html, base_url=base_url, url_fetcher=fetcher)
            return html.render(), captured.messages()
        except Exception as error:  # WeasyPrint raises anything from deep in layout
            raise RenderError(f"WeasyPrint failed: {type(error).__name__}: {error}") from error


def _plain_fetcher(roots: tuple[Path, ...]) -> Any:
    from handbook_build.render.fetch import ConfinedFetcher

    return ConfinedFetcher(roots)


def blank_pages(geometry: PageGeometry, profile: PodProfile, after: int, count: int) -> list[Any]:
    """``count`` truly blank pages (same size and boxes) to follow page ``after``."""
    if count <= 0:
        return []
    css = f"@page {{ size: {geometry.size_css}; margin: 0 }}\n" + generated_css(
        PrintSettings(note_style="blank"), profile
    )
    # Two empty boxes, no text: a font with no glyphs in use breaks WeasyPrint's PDF/X-1a writer.
    page = '<div style="height: 1px; break-after: page"></div>'
    html = f"<html><head><style>{css}</style></head><body>{page * 2}</body></html>"
    document, _ = _render(html, "file:///", ())
    right, left = document.pages[0], document.pages[1]
    # Page n (1-based) is a right-hand page when n is odd.
    return [right if (after + i) % 2 == 1 else left for i in range(1, count + 1)]


def _without_links(page: Any) -> Any:
    """A page that draws the same but carries no link annotations (paper cannot click)."""
    stripped = copy.copy(page)
    stripped.links = []
    return stripped


def _write(document: Any, pages: list[Any], profile: PodProfile, seed: str) -> bytes:
    data: bytes = document.copy(pages).write_pdf(
        pdf_variant=profile.pdf_variant, finisher=fixed_document_id(seed)
    )
    return data


def print_seed(manifest: Manifest) -> str:
    """The seed of the print file's fixed XMP document id (``pod.fixed_document_id``)."""
    return manifest.metadata.identifiers.get("print") or manifest.metadata.title


def fetch_roots(manifest: Manifest) -> tuple[Path, ...]:
    """The folders WeasyPrint may read for the print edition: the book's and the styles."""
    return (*manifest.allowed_roots, manifest.styles_dir)


class _Warnings(logging.Handler):
    """WeasyPrint's warnings during one layout (pdf.CapturedWarnings also lowers the logger's
    level when the CLI raised it; this one leaves it alone)."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self._messages: dict[str, None] = {}
        self._logger = logging.getLogger("weasyprint")

    def emit(self, record: logging.LogRecord) -> None:
        self._messages.setdefault(f"WeasyPrint: {record.getMessage()}", None)

    def messages(self) -> tuple[str, ...]:
        return tuple(self._messages)

    def __enter__(self) -> _Warnings:
        self._logger.addHandler(self)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._logger.removeHandler(self)
