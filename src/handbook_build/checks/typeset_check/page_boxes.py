"""The file's page boxes (media, trim, bleed), page labels and PDF/X claims; the profile a PDF
was made for."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pikepdf

from handbook_build.checks.typeset_check.findings import Profile


@dataclass(frozen=True, slots=True)
class PageBoxes:
    media: tuple[float, float, float, float]
    trim: tuple[float, float, float, float] | None  # None: the page has no /TrimBox
    bleed: tuple[float, float, float, float] | None

    @property
    def page(self) -> tuple[float, float, float, float]:
        """The page a reader sees: the trim where there is one, else the media box."""
        return self.trim or self.media


def page_boxes(document: pikepdf.Pdf) -> list[PageBoxes]:
    boxes = []
    for page in document.pages:
        def box(key: str, obj: pikepdf.Dictionary = page.obj
                ) -> tuple[float, float, float, float] | None:
            value = obj.get(key)
            if not isinstance(value, pikepdf.Array) or len(value) != 4:
                return None
            a, b, c, d = (float(v) for v in value)
            return (min(a, c), min(b, d), max(a, c), max(b, d))
        media = box("/MediaBox") or (0.0, 0.0, 612.0, 792.0)
        boxes.append(PageBoxes(media, box("/TrimBox"), box("/BleedBox")))
    return boxes


def page_labels(document: pikepdf.Pdf) -> list[str] | None:
    """The folio of each page from /PageLabels (what a viewer shows), when the file has them."""
    if "/PageLabels" not in document.Root:
        return None
    try:
        return [str(page.label) for page in document.pages]
    except (AttributeError, ValueError, pikepdf.PdfError):
        return None


@dataclass(frozen=True, slots=True)
class PdfXClaim:
    """What the file claims about PDF/X: the version ("" for none) and its output intent."""

    version: str
    has_intent: bool
    has_profile: bool  # the output intent carries its ICC profile (DestOutputProfile)

    @property
    def claimed(self) -> bool:
        return bool(self.version) or self.has_intent


def read_pdfx_claim(document: pikepdf.Pdf) -> PdfXClaim:
    info = document.trailer.get("/Info")
    version = str(info.get("/GTS_PDFXVersion", "")) if isinstance(info, pikepdf.Dictionary) \
        else ""
    intents = document.Root.get("/OutputIntents")
    pdfx = [i for i in intents if isinstance(i, pikepdf.Dictionary)
            and i.get("/S") == "/GTS_PDFX"] if isinstance(intents, pikepdf.Array) else []
    return PdfXClaim(version, bool(pdfx),
                 any(isinstance(i.get("/DestOutputProfile"), pikepdf.Stream) for i in pdfx))


def guess_profile(path: Path, boxes: Sequence[PageBoxes]) -> Profile:
    """Print when the file is named for print or is set up for a printer (trim inside media)."""
    if path.name.endswith(("-print.pdf", "-print-fillable.pdf", "-cover.pdf")):
        return "print"
    if boxes and all(b.trim is not None and b.trim != b.media for b in boxes):
        return "print"
    return "screen"


def guessed_profile(path: Path) -> Profile:
    with pikepdf.open(path) as document:
        return guess_profile(path, page_boxes(document))
