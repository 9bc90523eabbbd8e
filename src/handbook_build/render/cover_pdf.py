"""The wraparound paperback cover: Metadata + final page count + profile -> ``<stem>-cover.pdf``.

The spine depends on the interior's final page count, so this runs after the interior is laid
out. Geometry (spine width, wrap size, spine type size) is computed here and handed to
``styles/cover.css`` as CSS variables; the look lives in the stylesheet.
"""

from __future__ import annotations

import html
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from handbook_build.model import Metadata
from handbook_build.render.cover_image import title_lines
from handbook_build.render.imprint import edition_words, license_name
from handbook_build.render.pod import Paper, PodProfile, fixed_document_id, output_intent_css

MAX_SPINE_PT = 20.0  # the title's largest size on a wide spine
WANTED_SPINE_PT = 14.0  # what the title gets whenever the spine's width allows it
MIN_SPINE_PT = 6.0  # below this, spine type is not legible: better none at all
AUTHORS_SCALE = 0.75  # the spine's authors, against the title's size
MIN_AUTHORS_PT = 7.0
# Biolinum's ascender + descender is about 1.15 em; capitals and lower case average about
# 0.55 em wide. Estimates are enough: the box is sized, WeasyPrint does the exact fitting.
LINE_EXTENT_EM = 1.15
CHAR_WIDTH_EM = 0.55
SPINE_GAP_EM = 2.0  # between the title and the authors along the spine
TITLE_SHARE = 0.7  # of the spine's length, at most, for the title
SAFETY_IN = 0.5  # keep in step with --safety in cover.css
FRONT_TITLE_PT = 40.0  # the front's title at most; smaller where a line would not fit
FRONT_TITLE_MIN_PT = 22.0
EPUB_COVER_PX = (1600, 2560)  # the 1:1.6 ratio stores ask for


@dataclass(frozen=True, slots=True)
class CoverGeometry:
    trim_in: tuple[float, float]
    page_count: int
    spine_width_in: float
    bleed_in: float
    fold_clearance_in: float
    spine_font_pt: float  # the spine title's size; 0: no spine text
    spine_text_reason: str
    spine_authors: str = ""  # as the spine prints them (shortened to fit); "" for none
    spine_authors_pt: float = 0.0

    @property
    def wrap_in(self) -> tuple[float, float]:
        """The trimmed wrap: back + spine + front, without the bleed."""
        return 2 * self.trim_in[0] + self.spine_width_in, self.trim_in[1]

    @property
    def page_in(self) -> tuple[float, float]:
        """The PDF page: the wrap plus bleed on every side."""
        width, height = self.wrap_in
        return width + 2 * self.bleed_in, height + 2 * self.bleed_in

    @property
    def has_spine_text(self) -> bool:
        return self.spine_font_pt > 0


@dataclass(frozen=True, slots=True)
class Cover:
    pdf: bytes
    geometry: CoverGeometry


def cover_geometry(
    metadata: Metadata, profile: PodProfile, paper: Paper,
    trim_in: tuple[float, float], page_count: int,
) -> CoverGeometry:
    """Spine width from the page count; spine type only where the profile and the width allow."""
    spine = profile.spine_width_in(page_count, paper)
    spine_type = _spine_type(metadata, profile, page_count, spine, trim_in[1])
    return CoverGeometry(
        trim_in=trim_in, page_count=page_count, spine_width_in=spine,
        bleed_in=profile.cover_bleed_in, fold_clearance_in=profile.spine_fold_clearance_in,
        spine_font_pt=spine_type.title_pt, spine_text_reason=spine_type.reason,
        spine_authors=spine_type.authors, spine_authors_pt=spine_type.authors_pt,
    )


@dataclass(frozen=True, slots=True)
class _SpineType:
    title_pt: float
    reason: str
    authors: str = ""
    authors_pt: float = 0.0


def _spine_type(
    metadata: Metadata, profile: PodProfile, page_count: int, spine_in: float, height_in: float
) -> _SpineType:
    """The title as large as the spine's width allows (up to ``MAX_SPINE_PT``, with at most
    ``TITLE_SHARE`` of the length), then the authors in what is left: all of them, else the
    first one's surname "et al.", else none."""
    if not profile.has_spine_text(page_count):
        return _SpineType(0.0, f"{page_count} pages: {profile.label} allows spine text from "
                               f"{profile.spine_text_min_pages} pages")
    usable_pt = (spine_in - 2 * profile.spine_fold_clearance_in) * 72
    length_pt = (height_in - 2 * SAFETY_IN) * 72
    title_em = max(1, len(metadata.title)) * CHAR_WIDTH_EM
    size = min(MAX_SPINE_PT, usable_pt / LINE_EXTENT_EM, length_pt * TITLE_SHARE / title_em)
    if size < MIN_SPINE_PT:
        return _SpineType(0.0, f"spine {spine_in:.3f} in: type would be {size:.1f} pt, "
                               f"under {MIN_SPINE_PT:g}")
    title_pt = round(size, 2)
    left_pt = length_pt - title_pt * (title_em + SPINE_GAP_EM)
    authors_pt = round(max(MIN_AUTHORS_PT, title_pt * AUTHORS_SCALE), 2)
    authors = next((text for text in spine_author_forms(metadata.authors)
                    if len(text) * CHAR_WIDTH_EM * authors_pt <= left_pt), "")
    reason = f"spine {spine_in:.3f} in: title {title_pt:.1f} pt" + (
        f", authors {authors_pt:.1f} pt" if authors else ", no room for the authors")
    return _SpineType(title_pt, reason, authors, authors_pt if authors else 0.0)


def spine_author_forms(authors: Sequence[str]) -> tuple[str, ...]:
    """The authors as the spine may print them, longest first: every name; the surnames; the
    first surname "et al." (one author: the whole name, then the surname)."""
    names = [" ".join(name.split()) for name in authors if name.strip()]
    if not names:
        return ()
    surnames = [name.split()[-1] for name in names]
    if len(names) == 1:
        return tuple(dict.fromkeys((names[0], surnames[0])))
    return (", ".join(names), ", ".join(surnames), f"{surnames[0]} et al.")


def front_title_pt(title: str, measure_in: float) -> float:
    """The front's title size: the longest line of ``title_lines`` fits the measure."""
    longest = max(len(line) for line in title_lines(title))
    fitting = measure_in * 72 / (longest * CHAR_WIDTH_EM)
    return round(max(FRONT_TITLE_MIN_PT, min(FRONT_TITLE_PT, fitting)), 2)


def cover_html(metadata: Metadata, geometry: CoverGeometry, css: str, variant_css: str,
               front_only: bool = False) -> str:
    """The one-page cover document: a geometry block, the stylesheet, then the panels
    (``front_only``: the front panel alone, in its place on the wrap, for the EPUB's cover)."""
    esc = html.escape
    page_w, page_h = geometry.wrap_in
    variables = {
        "--trim-width": f"{geometry.trim_in[0]:.4f}in",
        "--trim-height": f"{geometry.trim_in[1]:.4f}in",
        "--spine-width": f"{geometry.spine_width_in:.4f}in",
        "--bleed": f"{geometry.bleed_in:g}in",
        "--fold-clearance": f"{geometry.fold_clearance_in:g}in",
        "--spine-font-size": f"{geometry.spine_font_pt:g}pt",
        "--spine-authors-size": f"{geometry.spine_authors_pt:g}pt",
        "--front-title-size":
            f"{front_title_pt(metadata.title, geometry.trim_in[0] - 2 * SAFETY_IN):g}pt",
        "--barcode-width": "2in", "--barcode-height": "1.2in", "--barcode-edge": "0.25in",
    }
    root = " ".join(f"{name}: {value};" for name, value in variables.items())
    geometry_css = (
        f"{variant_css}@page {{ size: {page_w:.4f}in {page_h:.4f}in; margin: 0; "
        f"bleed: {geometry.bleed_in:g}in; marks: none }}\n:root {{ {root} }}\n"
    )
    stamp = metadata.timestamp.isoformat().replace("+00:00", "Z")
    panels = _front(metadata) if front_only else (
        f'{_back(metadata)}{_spine(metadata, geometry)}{_front(metadata)}'
        # The service prints its barcode here: paper white, nothing else in it.
        '<div class="barcode-zone"></div>')
    authors = "".join(f'<meta name="author" content="{esc(a)}">' for a in metadata.authors)
    return (
        f'<!DOCTYPE html>\n<html lang="{esc(metadata.language)}"><head><meta charset="utf-8">'
        f"<title>{esc(metadata.title)} (cover)</title>{authors}"
        f'<meta name="dcterms.created" content="{stamp}">'
        f'<meta name="dcterms.modified" content="{stamp}">'
        f"<style>{geometry_css}</style><style>{css}</style></head>\n<body>"
        f'<div class="wrap"></div>{panels}</body></html>\n'
    )


def _front(metadata: Metadata) -> str:
    esc = html.escape
    lines = "".join(f'<span class="title-line">{esc(line)}</span>'
                    for line in title_lines(metadata.title))
    parts = [f'<h1 class="title">{lines}</h1>']
    if metadata.subtitle:
        parts.append(f'<p class="subtitle">{esc(metadata.subtitle)}</p>')
    parts.append('<div class="rule"></div>')
    if metadata.edition:
        parts.append(f'<p class="edition">{esc(edition_words(metadata.edition))}</p>')
    if metadata.cover_image is not None:
        parts.append(f'<img class="cover-image" src="{esc(metadata.cover_image.as_uri())}" alt="">')
    if metadata.authors:
        parts.append(f'<p class="authors">{"<br>".join(esc(a) for a in metadata.authors)}</p>')
    return f'<div class="front">{"".join(parts)}</div>'


def _spine(metadata: Metadata, geometry: CoverGeometry) -> str:
    if not geometry.has_spine_text:
        return ""
    esc = html.escape
    authors = (f'<span class="spine-authors">{esc(geometry.spine_authors)}</span>'
               if geometry.spine_authors else "")
    return (f'<div class="spine-text"><span class="spine-title">{esc(metadata.title)}</span>'
            f"{authors}</div>")


def _back(metadata: Metadata) -> str:
    """The description (or blurb) as a set block under the title; the imprint at the foot, left
    of the barcode zone."""
    esc = html.escape
    paragraphs = [p.strip() for p in (metadata.blurb or metadata.description).split("\n\n")]
    blurb = "".join(f"<p>{esc(' '.join(p.split()))}</p>" for p in paragraphs if p)
    headline = (f'<p class="back-title">{esc(metadata.title)}</p>'
                if blurb and len([p for p in paragraphs if p]) == 1 else "")
    imprint = [esc(metadata.publisher)] if metadata.publisher else []
    if metadata.license:
        imprint.append(f'<span class="license">{esc(license_name(metadata.license))}</span>')
    isbn = metadata.identifiers.get("print", "")
    if _is_isbn(isbn):  # a urn:uuid identifies the file, not the book: not for the cover
        imprint.append(f"ISBN {esc(isbn.upper().removeprefix('ISBN').strip())}")
    return (
        f'<div class="back"><div class="blurb">{headline}{blurb}</div>'
        f'<p class="imprint">{"<br>".join(imprint)}</p></div>'
    )


def _is_isbn(identifier: str) -> bool:
    digits = identifier.upper().removeprefix("ISBN").replace("-", "").replace(" ", "")
    return len(digits) in (10, 13) and digits[:-1].isdigit() and (digits[-1].isdigit()
                                                                   or digits[-1] == "X")


def render_cover(
    metadata: Metadata, profile: PodProfile, paper: Paper, trim_in: tuple[float, float],
    page_count: int, styles_dir: Path, roots: tuple[Path, ...],
) -> Cover:
    """Lay out and write the cover PDF (PDF/X when the profile asks for it)."""
    from weasyprint import HTML

    from handbook_build.render.fetch import ConfinedFetcher

    geometry = cover_geometry(metadata, profile, paper, trim_in, page_count)
    variant_css = output_intent_css() if profile.pdf_variant else ""
    css = (styles_dir / "cover.css").read_text(encoding="utf-8")
    document = cover_html(metadata, geometry, css, variant_css)
    fetcher = ConfinedFetcher(roots)
    seed = metadata.identifiers.get("print") or metadata.title
    pdf: bytes = HTML(string=document, base_url=str(styles_dir), url_fetcher=fetcher).write_pdf(
        pdf_variant=profile.pdf_variant, finisher=fixed_document_id(seed + "#cover")
    )
    return Cover(pdf=pdf, geometry=geometry)


def front_cover_png(metadata: Metadata, width_in: float, styles_dir: Path,
                    roots: tuple[Path, ...], size_px: tuple[int, int] = EPUB_COVER_PX) -> bytes:
    """The EPUB's cover: the print cover's front panel, from the same stylesheet and words, on a
    panel ``width_in`` wide (the print trim's) at the stores' 1:1.6 ratio, drawn by pdfium.

    Same metadata and fonts -> same bytes: the PDF has fixed dates, pdfium draws the same
    pixels, and Pillow's PNG writer adds no time.
    """
    import pypdfium2 as pdfium
    from PIL import Image
    from weasyprint import HTML

    from handbook_build.render.fetch import ConfinedFetcher

    width_px, height_px = size_px
    height_in = width_in * height_px / width_px
    geometry = CoverGeometry(trim_in=(width_in, height_in), page_count=0, spine_width_in=0.0,
                             bleed_in=0.0, fold_clearance_in=0.0, spine_font_pt=0.0,
                             spine_text_reason="the EPUB cover has no spine")
    css = (styles_dir / "cover.css").read_text(encoding="utf-8")
    document = cover_html(metadata, geometry, css, "", front_only=True)
    pdf = HTML(string=document, base_url=str(styles_dir),
               url_fetcher=ConfinedFetcher(roots)).write_pdf()
    page = pdfium.PdfDocument(pdf)[0]
    bitmap = page.render(scale=width_px / (width_in * 72)).to_pil().convert("RGB")
    # The wrap is back (empty here) + front: the front is its right half.
    front = bitmap.crop((bitmap.width - width_px, 0, bitmap.width, bitmap.height))
    if front.size != size_px:
        front = front.resize(size_px, Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    front.save(buffer, "PNG", optimize=False, compress_level=9)
    return buffer.getvalue()
