"""Preflight of a print-ready PDF: takes the rendered bytes, a print-on-demand profile and the
intended layout, gives a ``Preflight``: each rule checked.

Everything a service's automated intake would reject is measured from the PDF itself (page
boxes, text extents, image placements, fonts, transparency, annotations), not taken from the
settings that produced it, so a stylesheet mistake shows up here rather than at the printer.

Modules: run.py (run_preflight), results.py (Check, Preflight, Layout), geometry.py (trim, page
count, gutter, margins), images.py (image data and resolution), fonts.py (embedding, glyphs),
pdfx_rules.py (transparency, colour, annotations, PDF/X), drawing.py (what a page draws).
"""

from __future__ import annotations

from handbook_build.checks.preflight.images import MINIMUM_PPI, WANTED_PPI, ImageSources
from handbook_build.checks.preflight.results import Check, Layout, Preflight
from handbook_build.checks.preflight.run import run_preflight

__all__ = ["MINIMUM_PPI", "WANTED_PPI", "Check", "ImageSources", "Layout", "Preflight",
           "run_preflight"]
