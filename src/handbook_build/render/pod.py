"""Print-on-demand service rules as data: bleed, marks, gutter, page counts, paper, PDF variant.

Each service's published figures (see ``docs/print-on-demand.md`` in the shared docs) live in
one frozen ``PodProfile``, so a change at a service is a one-line edit here, and the print
renderer, the cover and the preflight all read the same numbers.
"""

from __future__ import annotations

import base64
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Literal

from handbook_build.errors import ManifestError, MissingToolError
from handbook_build.model import PodProfileName

Paper = Literal["white", "cream", "color"]
PdfVariant = Literal["pdf/x-1a", "pdf/x-4"]

# Inches of spine per interior page, as KDP publishes them; the other services print on
# comparable stock and publish no other figure in our notes, so they share these.
PAPER_IN_PER_PAGE: Mapping[Paper, float] = MappingProxyType(
    {"white": 0.002252, "cream": 0.0025, "color": 0.002347}
)


@dataclass(frozen=True, slots=True)
class GutterStep:
    """Up to ``max_pages`` pages, the inside margin must be at least ``gutter_in``."""

    max_pages: int
    gutter_in: float


@dataclass(frozen=True, slots=True)
class BarcodeZone:
    """The area on the back cover the service keeps for its barcode (bottom right)."""

    width_in: float = 2.0
    height_in: float = 1.2
    edge_in: float = 0.25  # from the trim edges of the back cover


@dataclass(frozen=True, slots=True)
class PodProfile:
    """One service's rules for an interior file and its wraparound cover."""

    name: PodProfileName
    label: str
    # Interior bleed on the top, bottom and outside edges; the spine side never bleeds for
    # services that print single pages (KDP, IngramSpark), it does for Lulu (all four sides).
    bleed_in: float
    bleed_spine_side: bool
    crop_marks: bool
    gutter_steps: tuple[GutterStep, ...]  # ascending max_pages; empty: no rule
    min_outside_in: float  # top, bottom and outside margin (text to trim)
    min_outside_bleed_in: float  # the same when the interior bleeds
    min_pages: int
    max_pages: int
    page_multiple: int  # padding rule: 2 = even, 4 = multiple of four, 1 = none
    paper_in_per_page: Mapping[Paper, float] = field(default_factory=lambda: PAPER_IN_PER_PAGE)
    spine_text_min_pages: int = 79
    spine_fold_clearance_in: float = 0.0625
    cover_bleed_in: float = 0.125
    barcode: BarcodeZone | None = BarcodeZone()
    pdf_variant: PdfVariant | None = None
    allow_annotations: bool = False  # links, form fields: never in a print-ready file

    def gutter_for(self, page_count: int) -> float:
        """The minimum inside margin for a book of ``page_count`` pages (0 when no rule)."""
        for step in self.gutter_steps:
            if page_count <= step.max_pages:
                return step.gutter_in
        return self.gutter_steps[-1].gutter_in if self.gutter_steps else 0.0

    def padded_count(self, page_count: int) -> int:
        """The page count after padding with blank pages to the minimum and the multiple."""
        count = max(page_count, self.min_pages)
        remainder = count % self.page_multiple
        return count + (self.page_multiple - remainder if remainder else 0)

    def spine_width_in(self, page_count: int, paper: Paper) -> float:
        return page_count * self.paper_in_per_page[paper]

    def has_spine_text(self, page_count: int) -> bool:
        return page_count >= self.spine_text_min_pages

    def min_outside_margin(self) -> float:
        return self.min_outside_bleed_in if self.bleed_in else self.min_outside_in


KDP_GUTTER = (
    GutterStep(150, 0.375),
    GutterStep(300, 0.5),
    GutterStep(500, 0.625),
    GutterStep(700, 0.75),
    GutterStep(828, 0.875),
)

# The interiors of this book never print to the page edge (the note column's writing aid stops
# inside the safety margin), so KDP and Lulu get the simpler no-bleed upload; IngramSpark's
# standard interior template carries 0.125 in bleed on the top, bottom and outside edges.
PROFILES: Mapping[PodProfileName, PodProfile] = MappingProxyType(
    {
        "none": PodProfile(
            name="none", label="no service (home or office printing)",
            bleed_in=0.0, bleed_spine_side=False, crop_marks=False, gutter_steps=(),
            min_outside_in=0.25, min_outside_bleed_in=0.25,
            min_pages=1, max_pages=100_000, page_multiple=2, barcode=None,
        ),
        "kdp": PodProfile(
            name="kdp", label="Amazon KDP paperback",
            bleed_in=0.0, bleed_spine_side=False, crop_marks=False, gutter_steps=KDP_GUTTER,
            min_outside_in=0.25, min_outside_bleed_in=0.375,
            min_pages=24, max_pages=828, page_multiple=2,
        ),
        "lulu": PodProfile(
            # Lulu: 0.5 in safety margin for text plus about 0.25 in of gutter inside; its
            # perfect-bound range (32-800 pages) comes from Lulu's product pages, not our notes.
            name="lulu", label="Lulu paperback",
            bleed_in=0.0, bleed_spine_side=True, crop_marks=False,
            gutter_steps=(GutterStep(800, 0.75),),
            min_outside_in=0.5, min_outside_bleed_in=0.5,
            min_pages=32, max_pages=800, page_multiple=2,
        ),
        "ingramspark": PodProfile(
            # IngramSpark: 0.5 in from the trim, page count even, PDF/X-1a:2001 (its default).
            # The 18-1200 page range is Ingram's paperback range, not from our notes.
            name="ingramspark", label="IngramSpark paperback",
            bleed_in=0.125, bleed_spine_side=False, crop_marks=False,
            gutter_steps=(GutterStep(1200, 0.5),),
            min_outside_in=0.5, min_outside_bleed_in=0.5,
            min_pages=18, max_pages=1200, page_multiple=2, pdf_variant="pdf/x-1a",
        ),
    }
)


def get_profile(name: str) -> PodProfile:
    """The profile called ``name``; a ManifestError naming the choices otherwise."""
    for key, profile in PROFILES.items():
        if key == name:
            return profile
    choices = ", ".join(sorted(PROFILES))
    raise ManifestError(f"unknown print-on-demand profile {name!r}; use one of: {choices}")


# PDF/X output intent: the SWOP CMYK profile Debian ships with Ghostscript (libgs-common).
CMYK_PROFILE_PATH = Path("/usr/share/color/icc/ghostscript/default_cmyk.icc")
_XMP_DOCUMENT_ID = re.compile(rb"xmp\.did:[0-9a-f-]{36}")


def output_intent_css(profile_path: Path = CMYK_PROFILE_PATH) -> str:
    """The ``@color-profile`` rule WeasyPrint needs for a PDF/X file, the profile inlined.

    Inlined as a data: URI so the render needs no extra confined folder and the file carries no
    reference to the build machine. ``components`` is required: WeasyPrint 70 crashes without it.
    """
    try:
        icc = profile_path.read_bytes()
    except OSError:
        raise MissingToolError(
            f"{profile_path}: CMYK colour profile not found; "
            "install Debian's libgs-common (Ghostscript's ICC profiles) for PDF/X output"
        ) from None
    uri = "data:application/vnd.iccprofile;base64," + base64.b64encode(icc).decode("ascii")
    return f"@color-profile device-cmyk {{ src: url({uri}); components: c m y k }}\n"


def fixed_document_id(seed: str) -> Callable[[object, object], None]:
    """A WeasyPrint ``finisher`` replacing PDF/X-4's random XMP document id by one from ``seed``.

    WeasyPrint writes ``xmp.did:<uuid4>`` into PDF/X-4 metadata; a uuid5 of the book's identifier
    has the same length and makes two builds byte-identical. X-1a has no such id: a no-op there.
    """
    document_id = b"xmp.did:" + str(uuid.uuid5(uuid.NAMESPACE_URL, seed)).encode("ascii")

    def finisher(document: object, pdf: object) -> None:
        for obj in getattr(pdf, "objects", ()):
            chunks = getattr(obj, "stream", None)
            extra = getattr(obj, "extra", None)
            if isinstance(chunks, list) and isinstance(extra, dict) and (
                extra.get("Type") == "/Metadata"
            ):
                obj.stream = [
                    _XMP_DOCUMENT_ID.sub(document_id, chunk) if isinstance(chunk, bytes) else chunk
                    for chunk in chunks
                ]

    return finisher
