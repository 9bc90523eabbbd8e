"""The wraparound paperback cover: Metadata + final page count + profile -> ``<stem>-cover.pdf``.

The spine depends on the interior's final page count, so this runs after the interior is laid
out. Geometry (spine width, wrap size, spine type size) is computed here and handed to
``styles/cover.css`` as CSS variables; the look lives in the stylesheet.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path

from handbook_build.model import Metadata
from handbook_build.pod import Paper, PodProfile, fixed_document_id, output_intent_css

MAX_SPINE_PT = 14.0
MIN_SPINE_PT = 6.0  # below this, spine type is not legible: better none at all
# Biolinum's ascender + descender is about 1.15 em; capitals and lower case average about
# 0.55 em wide. Estimates are enough: the box is sized, WeasyPrint does the exact fitting.
LINE_EXTENT_EM = 1.15
CHAR_WIDTH_EM = 0.55
SAFETY_IN = 0.5  # keep in step with --safety in cover.css
SPINE_SEPARATOR = "\u2003"  # an em space between title and authors


@dataclass(frozen=True, slots=True)
class CoverGeometry:
    trim_in: tuple[float, float]
    page_count: int
    spine_width_in: float
    bleed_in: float
    fold_clearance_in: float
    spine_font_pt: float  # 0: no spine text
    spine_text_reason: str

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
    font_pt, reason = _spine_font(metadata, profile, page_count, spine, trim_in[1])
    return CoverGeometry(
        trim_in=trim_in, page_count=page_count, spine_width_in=spine,
        bleed_in=profile.cover_bleed_in, fold_clearance_in=profile.spine_fold_clearance_in,
        spine_font_pt=font_pt, spine_text_reason=reason,
    )


def _spine_font(
    metadata: Metadata, profile: PodProfile, page_count: int, spine_in: float, height_in: float
) -> tuple[float, str]:
    if not profile.has_spine_text(page_count):
        return 0.0, f"{page_count} pages: {profile.label} allows spine text from " \
                    f"{profile.spine_text_min_pages} pages"
    usable_pt = (spine_in - 2 * profile.spine_fold_clearance_in) * 72
    length_pt = (height_in - 2 * SAFETY_IN) * 72
    characters = max(1, len(_spine_words(metadata)))
    size = min(MAX_SPINE_PT, usable_pt / LINE_EXTENT_EM, length_pt / (characters * CHAR_WIDTH_EM))
    if size < MIN_SPINE_PT:
        return 0.0, f"spine {spine_in:.3f} in: type would be {size:.1f} pt, under {MIN_SPINE_PT:g}"
    return round(size, 2), f"spine {spine_in:.3f} in: {size:.1f} pt type"


def _spine_words(metadata: Metadata) -> str:
    return metadata.title + SPINE_SEPARATOR + ", ".join(metadata.authors)


def cover_html(metadata: Metadata, geometry: CoverGeometry, css: str, variant_css: str) -> str:
    """The one-page cover document: a geometry block, the stylesheet, then the panels."""
    esc = html.escape
    page_w, page_h = geometry.wrap_in
    variables = {
        "--trim-width": f"{geometry.trim_in[0]:.4f}in",
        "--trim-height": f"{geometry.trim_in[1]:.4f}in",
        "--spine-width": f"{geometry.spine_width_in:.4f}in",
        "--bleed": f"{geometry.bleed_in:g}in",
        "--fold-clearance": f"{geometry.fold_clearance_in:g}in",
        "--spine-font-size": f"{geometry.spine_font_pt:g}pt",
        "--barcode-width": "2in", "--barcode-height": "1.2in", "--barcode-edge": "0.25in",
    }
    root = " ".join(f"{name}: {value};" for name, value in variables.items())
    geometry_css = (
        f"{variant_css}@page {{ size: {page_w:.4f}in {page_h:.4f}in; margin: 0; "
        f"bleed: {geometry.bleed_in:g}in; marks: none }}\n:root {{ {root} }}\n"
    )
    stamp = metadata.timestamp.isoformat().replace("+00:00", "Z")
    authors = "".join(f'<meta name="author" content="{esc(a)}">' for a in metadata.authors)
    return (
        f'<!DOCTYPE html>\n<html lang="{esc(metadata.language)}"><head><meta charset="utf-8">'
        f"<title>{esc(metadata.title)} (cover)</title>{authors}"
        f'<meta name="dcterms.created" content="{stamp}">'
        f'<meta name="dcterms.modified" content="{stamp}">'
        f"<style>{geometry_css}</style><style>{css}</style></head>\n<body>"
        f'<div class="wrap"></div>{_back(metadata)}{_spine(metadata, geometry)}{_front(metadata)}'
        "</body></html>\n"
    )


def _front(metadata: Metadata) -> str:
    esc = html.escape
    parts = [f'<h1 class="title">{esc(metadata.title)}</h1>']
    if metadata.subtitle:
        parts.append(f'<p class="subtitle">{esc(metadata.subtitle)}</p>')
    parts.append('<div class="rule"></div>')
    if metadata.edition:
        parts.append(f'<p class="edition">{esc(_edition_label(metadata.edition))}</p>')
    if metadata.cover_image is not None:
        parts.append(f'<img class="cover-image" src="{esc(metadata.cover_image.as_uri())}" alt="">')
    if metadata.authors:
        parts.append(f'<p class="authors">{"<br>".join(esc(a) for a in metadata.authors)}</p>')
    return f'<div class="front">{"".join(parts)}</div>'


def _edition_label(edition: str) -> str:
    return edition if "edition" in edition.lower() else f"Edition {edition}"


def _spine(metadata: Metadata, geometry: CoverGeometry) -> str:
    if not geometry.has_spine_text:
        return ""
    esc = html.escape
    authors = ", ".join(metadata.authors)
    return (
        f'<div class="spine-text"><span class="spine-title">{esc(metadata.title)}</span>'
        f'<span class="spine-authors">{esc(authors)}</span></div>'
    )


def _back(metadata: Metadata) -> str:
    esc = html.escape
    paragraphs = [p.strip() for p in (metadata.blurb or metadata.description).split("\n\n")]
    blurb = "".join(f"<p>{esc(' '.join(p.split()))}</p>" for p in paragraphs if p)
    imprint = [esc(metadata.publisher)] if metadata.publisher else []
    if metadata.license:
        imprint.append(f'<span class="license">{esc(metadata.license)}</span>')
    isbn = metadata.identifiers.get("print", "")
    if _is_isbn(isbn):  # a urn:uuid identifies the file, not the book: not for the cover
        imprint.append(f"ISBN {esc(isbn.upper().removeprefix('ISBN').strip())}")
    return (
        f'<div class="back"><div class="blurb">{blurb}</div>'
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

    from handbook_build.fetch import ConfinedFetcher

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
