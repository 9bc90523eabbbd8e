"""What the services and PDF/X forbid or require: transparency, RGB colour (PDF/X-1a),
annotations and form fields, the declared PDF/X version and output intent."""

from __future__ import annotations

from collections.abc import Iterator

import pypdf

from handbook_build.checks.preflight.drawing import page_drawing, pdf_dict
from handbook_build.checks.preflight.results import Check, frozen_mapping_any
from handbook_build.render.pod import PodProfile


def check_transparency(reader: pypdf.PdfReader, profile: PodProfile) -> Check:
    found = sorted({number for number, _ in _transparency(reader)})
    forbidden = profile.pdf_variant == "pdf/x-1a"
    return Check(
        "transparency",
        not (forbidden and found),
        f"transparency on {len(found)} pages"
        + (" (PDF/X-1a forbids it)" if forbidden else " (allowed by this profile)"),
        frozen_mapping_any(pages=found[:50], forbidden=forbidden),
    )


def check_colour(reader: pypdf.PdfReader, profile: PodProfile) -> Check:
    if profile.pdf_variant != "pdf/x-1a":
        return Check("colour-space", True, "any colour space allowed by this profile")
    rgb_pages = [
        number for number, page in enumerate(reader.pages, start=1) if page_drawing(page).rgb
    ]
    return Check(
        "colour-space",
        not rgb_pages,
        f"RGB colour, images or shadings on {len(rgb_pages)} pages (PDF/X-1a: CMYK and grey)",
        frozen_mapping_any(rgb_pages=rgb_pages[:50]),
    )


def check_annotations(reader: pypdf.PdfReader) -> Check:
    annotated = [n for n, page in enumerate(reader.pages, start=1) if page.get("/Annots")]
    has_form = "/AcroForm" in pdf_dict(reader.trailer["/Root"])
    return Check(
        "no-annotations",
        not annotated and not has_form,
        f"{len(annotated)} page(s) with annotations; form fields: {'yes' if has_form else 'no'}",
        frozen_mapping_any(pages=annotated[:50], acroform=has_form),
    )


def check_variant(reader: pypdf.PdfReader, profile: PodProfile) -> Check:
    root = pdf_dict(reader.trailer["/Root"])
    info = reader.metadata
    declared = str(info.get("/GTS_PDFXVersion", "")) if info is not None else ""
    found = declared or None
    intent = "/OutputIntents" in root
    wanted = profile.pdf_variant
    ok = wanted is None or (intent and (wanted == "pdf/x-4" or found is not None))
    return Check(
        "pdf-variant",
        ok,
        f"wanted {wanted or 'plain PDF'}; file declares {found or 'no PDF/X version'}, "
        f"output intent {'present' if intent else 'absent'}",
        frozen_mapping_any(wanted=wanted, declared=found, output_intent=intent),
    )


def _transparency(reader: pypdf.PdfReader) -> Iterator[tuple[int, str]]:
    for number, page in enumerate(reader.pages, start=1):
        group = pdf_dict(page.get("/Group"))
        if group.get("/S") == "/Transparency":
            yield number, "page group"
        drawn = page_drawing(page)
        for state in drawn.states:
            alpha = [float(state.get(key, 1)) for key in ("/CA", "/ca")]
            mask = state.get("/SMask", "/None")
            blend = state.get("/BM", "/Normal")
            if min(alpha) < 1 or mask != "/None" or blend not in ("/Normal", "/Compatible"):
                yield number, "graphics state"
        if any("/SMask" in image for image in drawn.images):
            yield number, "soft mask"
