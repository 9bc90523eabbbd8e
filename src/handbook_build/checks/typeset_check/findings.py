"""What every check shares: the profiles, every threshold, and the findings being collected."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

from handbook_build.checks.pdf_layout import Line
from handbook_build.model import Diagnostic, Severity

Profile = Literal["print", "screen"]


# Every limit the check applies, in one place (docs/typesetting-check.md lists them).
THRESHOLDS: Mapping[str, float] = MappingProxyType({
    # images: effective resolution at the placed size, pixels per inch
    "print_ppi_warning": 300,  # below: visibly soft in offset or print-on-demand
    "print_ppi_error": 150,  # below: pixelated; every POD service rejects it
    "screen_ppi_warning": 96,  # below: blurry at 100 % zoom on an ordinary screen
    "screen_ppi_error": 48,  # below: blocky even on a phone
    "image_outside_pt": 2.0,  # an image edge this far past the text block or page
    # hyphenation
    "hyphenated_share_warning": 0.10,  # share of body lines ending in a hyphen
    "ladder_lines": 3,  # this many consecutive hyphenated lines make a ladder
    # overflow: a line's edge past the text block's edge by more than this, in points
    "overflow_pt": 3.0,
    # a line reaching this close to the page edge is cut by it (poppler drops what is past it)
    "page_edge_pt": 4.0,
    # headings: a line this many times the body line's height is a heading
    "heading_scale": 1.25,
    # a heading alone on a page in its lower part (share of the page height) is stranded
    "stranded_heading_from": 0.5,
    # notes: a note line is at most this share of the body line's height
    "note_scale": 0.92,
    # print: bleed on each outer edge, in points (0.125 in)
    "bleed_pt": 9.0,
    # a recto-opening edition: this share of chapter openings on rectos means it asks for rectos
    "recto_share": 0.8,
})


@dataclass(slots=True)
class Findings:
    shown: str
    folios: Sequence[str | None]
    items: list[Diagnostic] = field(default_factory=list)

    def add(self, page_index: int | None, severity: Severity, code: str, message: str,
            hint: str) -> None:
        page = None if page_index is None else page_index + 1
        folio = None if page_index is None else self.folios[page_index]
        self.items.append(Diagnostic(self.shown, None, message, hint, severity, code,
                                     page=page, folio=folio))


def quoted_tail(line: Line) -> str:
    text = line.text
    return repr(text if len(text) <= 40 else "..." + text[-37:])
