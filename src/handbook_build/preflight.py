"""Preflight of a print-ready PDF: print-on-demand rules checked on the rendered bytes -> Preflight.

Everything a service's automated intake would reject is measured from the PDF itself (page
boxes, text extents, image placements, fonts, transparency, annotations), not taken from the
settings that produced it, so a stylesheet mistake shows up here rather than at the printer.
"""

from __future__ import annotations

import io
import json
import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import pypdf
import pypdfium2 as pdfium
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, StreamObject

from handbook_build.model import frozen_mapping
from handbook_build.pdf_fonts import embedded_faces, pages_holding
from handbook_build.pdf_images import PlacedImage, placed_images
from handbook_build.pod import PodProfile

POINTS_PER_INCH = 72.0
WANTED_PPI = 300  # what print-on-demand services ask for: below it, a warning
MINIMUM_PPI = 150  # below it pixels show on paper: an error (the check fails)
# pixel size, or digest of the drawn data (PlacedImage.digest) -> source files
ImageSources = Mapping[tuple[int, int] | str, tuple[str, ...]]
# Half a point: WeasyPrint lays text out in CSS pixels, so exact edges come back as x.xxx pt.
TOLERANCE_IN = 0.5 / POINTS_PER_INCH
# Fill/stroke colour operators in RGB; PDF/X-1a allows only CMYK and grey.
RGB_OPERATOR = re.compile(rb"(?<![A-Za-z])(?:rg|RG)(?![A-Za-z])")


@dataclass(frozen=True, slots=True)
class Check:
    """One rule: its name, whether the file passes it, and the numbers behind the verdict."""

    rule: str
    passed: bool
    detail: str
    figures: Mapping[str, Any] = field(default_factory=frozen_mapping)
    # Findings to show one by one in the build output: (severity, text, hint).
    findings: tuple[tuple[str, str, str], ...] = ()

    def __str__(self) -> str:
        return f"{self.rule}: {'pass' if self.passed else 'FAIL'}: {self.detail}"


@dataclass(frozen=True, slots=True)
class Layout:
    """What the renderer intended, checked against what the PDF holds."""

    trim_in: tuple[float, float]
    page_count: int  # final, padding included
    padding_pages: int
    gutter_in: float  # inside margin the pages were laid out with


@dataclass(frozen=True, slots=True)
class Preflight:
    profile: str
    checks: tuple[Check, ...]

    @property
    def passed(self) -> bool:
        return all(check.passed for check in self.checks)

    @property
    def failures(self) -> tuple[Check, ...]:
        return tuple(check for check in self.checks if not check.passed)

    def to_dict(self) -> dict[str, Any]:
        return {
            "profile": self.profile,
            "passed": self.passed,
            "checks": [
                {"rule": c.rule, "passed": c.passed, "detail": c.detail, "figures": dict(c.figures),
                 "findings": [{"severity": severity, "message": text, "hint": hint}
                              for severity, text, hint in c.findings]}
                for c in self.checks
            ],
        }

    def to_json(self) -> str:
        """Stable text for ``build/<stem>-print-preflight.json`` (sorted keys, no clock)."""
        return json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n"


def run_preflight(pdf: bytes, profile: PodProfile, layout: Layout,
                  image_sources: ImageSources | None = None) -> Preflight:
    """Check ``pdf`` against ``profile``; never raises for a failed rule (``--strict`` decides).

    ``image_sources`` (pixel size -> source files) lets a finding name the picture to replace.
    """
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    images = placed_images(pdf)
    sources = image_sources or {}
    document = pdfium.PdfDocument(pdf)
    try:
        measured = _measure_pages(document)
    finally:
        document.close()
    checks = (
        _check_trim(reader, profile, layout),
        _check_page_count(len(reader.pages), profile, layout),
        _check_gutter(measured, profile, layout),
        _check_outside_margins(measured, profile),
        _check_fonts(reader),
        _check_glyphs(pdf),
        _check_image_data(images, sources),
        _check_images(images, sources),
        _check_transparency(reader, profile),
        _check_colour(reader, profile),
        _check_annotations(reader),
        _check_variant(reader, profile),
    )
    return Preflight(profile=profile.name, checks=checks)


@dataclass(frozen=True, slots=True)
class _PageMeasure:
    number: int
    inner_in: float  # closest text to the spine-side trim edge (inf on a blank page)
    outside_in: float  # closest text to the outside, top or bottom trim edge


def _measure_pages(document: pdfium.PdfDocument) -> list[_PageMeasure]:
    pages = []
    for index in range(len(document)):
        page = document[index]
        left, bottom, right, top = page.get_trimbox()
        text = page.get_textpage()
        rects = [text.get_rect(i) for i in range(text.count_rects())]
        is_recto = index % 2 == 0  # page 1 is a right-hand page: its spine is on the left
        inner = [(r[0] - left) if is_recto else (right - r[2]) for r in rects]
        outer = [
            min((right - r[2]) if is_recto else (r[0] - left), top - r[3], r[1] - bottom)
            for r in rects
        ]
        pages.append(
            _PageMeasure(
                number=index + 1,
                inner_in=min(inner, default=float("inf")) / POINTS_PER_INCH,
                outside_in=min(outer, default=float("inf")) / POINTS_PER_INCH,
            )
        )
    return pages


def _check_trim(reader: pypdf.PdfReader, profile: PodProfile, layout: Layout) -> Check:
    width_in, height_in = layout.trim_in
    wrong = []
    for number, page in enumerate(reader.pages, start=1):
        trim = page.trimbox
        size = (float(trim.width) / 72, float(trim.height) / 72)
        if abs(size[0] - width_in) > TOLERANCE_IN or abs(size[1] - height_in) > TOLERANCE_IN:
            wrong.append(number)
    first = reader.pages[0]
    media = (float(first.mediabox.width) / 72, float(first.mediabox.height) / 72)
    bleed_sides = 2 if profile.bleed_spine_side else 1
    expected = (width_in + bleed_sides * profile.bleed_in, height_in + 2 * profile.bleed_in)
    media_ok = all(abs(a - b) <= TOLERANCE_IN for a, b in zip(media, expected, strict=True))
    return Check(
        "trim-size",
        not wrong and media_ok,
        f"trim {width_in:g} x {height_in:g} in, page {media[0]:.3f} x {media[1]:.3f} in "
        f"(bleed {profile.bleed_in:g} in)"
        + (f"; wrong trim on pages {wrong[:10]}" if wrong else ""),
        frozen_mapping_any(
            trim_in=[width_in, height_in], page_in=[round(media[0], 4), round(media[1], 4)],
            expected_page_in=[round(expected[0], 4), round(expected[1], 4)],
            bleed_in=profile.bleed_in, pages_with_wrong_trim=wrong,
        ),
    )


def _check_page_count(count: int, profile: PodProfile, layout: Layout) -> Check:
    in_range = profile.min_pages <= count <= profile.max_pages
    multiple_ok = count % profile.page_multiple == 0
    return Check(
        "page-count",
        in_range and multiple_ok and count == layout.page_count,
        f"{count} pages ({layout.padding_pages} blank pages of padding); the service takes "
        f"{profile.min_pages}-{profile.max_pages} pages, a multiple of {profile.page_multiple}",
        frozen_mapping_any(
            page_count=count, padding_pages=layout.padding_pages, min_pages=profile.min_pages,
            max_pages=profile.max_pages, page_multiple=profile.page_multiple,
        ),
    )


def _check_gutter(pages: list[_PageMeasure], profile: PodProfile, layout: Layout) -> Check:
    required = profile.gutter_for(len(pages))
    closest = min((page.inner_in for page in pages), default=float("inf"))
    offenders = [page.number for page in pages if page.inner_in + TOLERANCE_IN < required]
    return Check(
        "gutter",
        layout.gutter_in + TOLERANCE_IN >= required and not offenders,
        f"inside margin {layout.gutter_in:g} in, {required:g} in required for {len(pages)} "
        f"pages; closest text to the spine {_inches(closest)}",
        frozen_mapping_any(
            gutter_in=layout.gutter_in, required_in=required, page_count=len(pages),
            closest_text_in=_rounded(closest), pages_too_close=offenders[:20],
        ),
    )


def _check_outside_margins(pages: list[_PageMeasure], profile: PodProfile) -> Check:
    required = profile.min_outside_margin()
    closest = min((page.outside_in for page in pages), default=float("inf"))
    offenders = [page.number for page in pages if page.outside_in + TOLERANCE_IN < required]
    return Check(
        "outside-margins",
        not offenders,
        f"text at least {_inches(closest)} from the outside, top and bottom trim; "
        f"{required:g} in required",
        frozen_mapping_any(
            required_in=required, closest_text_in=_rounded(closest),
            pages_too_close=offenders[:20],
        ),
    )


def _check_image_data(images: tuple[PlacedImage, ...], sources: ImageSources) -> Check:
    """Every image's data is what its colour space says: else a viewer and the press draw
    smears or black boxes (colour data under a grey label was the print edition's bug)."""
    bad = [image for image in images if not image.decodes]
    entries = [
        {"page": image.page_index + 1, "name": image.name, "pixels": [image.width_px,
         image.height_px], "color_space": image.color_space, "filter": image.filter,
         "problem": image.problem, "source": _source(image, sources)}
        for image in _distinct(bad)
    ]
    findings = tuple(
        ("error", f"p. {e['page']}: image {_named(e['source'], e['pixels'])} does not decode "
         f"as labelled: {e['problem']}",
         "a defect of the build, not of the picture: report it; re-saving the picture "
         "(another format) works around it")
        for e in entries
    )
    return Check(
        "image-data",
        not bad,
        f"{len(images)} image placement(s); {len(entries)} image(s) whose data disagrees "
        f"with its colour space" + "".join(f"; p. {e['page']}: {e['problem']}"
                                          for e in entries[:5]),
        frozen_mapping_any(checked=len(images), mislabelled=entries),
        findings,
    )


def _check_images(images: tuple[PlacedImage, ...], sources: ImageSources) -> Check:
    """Effective resolution at the printed size: warning below 300 ppi, error below 150."""
    listed, low, too_low, findings = [], [], [], []
    for image in images:
        width_in, height_in = image.size_in
        if image.in_pattern or width_in <= 0 or height_in <= 0:
            continue  # a pattern tile (the note aid), a clipped-away or degenerate placement
        entry = {
            "page": image.page_index + 1, "pixels": [image.width_px, image.height_px],
            "printed_in": [round(width_in, 3), round(height_in, 3)], "ppi": round(image.ppi),
            "source": _source(image, sources),
        }
        listed.append(entry)
        if image.ppi + 0.5 >= WANTED_PPI:
            continue
        low.append(entry)
        severity = "warning"
        if image.ppi + 0.5 < MINIMUM_PPI:
            too_low.append(entry)
            severity = "error"
        wanted_px = math.ceil(width_in * WANTED_PPI)
        findings.append((
            "warning",
            f"p. {entry['page']}: image {_named(entry['source'], entry['pixels'])} prints "
            f"{width_in:.2f} in wide at {entry['ppi']} ppi ({severity}: below "
            f"{MINIMUM_PPI if severity == 'error' else WANTED_PPI} ppi)",
            f"replace {entry['source'] or 'the picture'} with one at least {wanted_px} px "
            f"wide, or give it a smaller width in the source",
        ))
    return Check(
        "image-resolution",
        not too_low,
        f"{len(listed)} image(s); {len(low)} below {WANTED_PPI} ppi at their printed size "
        f"(warning), {len(too_low)} below {MINIMUM_PPI} (error)"
        + "".join(f"; p. {e['page']}: {e['ppi']} ppi" for e in low[:10]),
        frozen_mapping_any(wanted_ppi=WANTED_PPI, minimum_ppi=MINIMUM_PPI, images=listed,
                           below=low, below_minimum=too_low),
        tuple(findings),
    )


def _distinct(images: list[PlacedImage]) -> list[PlacedImage]:
    seen: set[tuple[int, int]] = set()
    kept = []
    for image in images:
        if image.object_id not in seen:
            seen.add(image.object_id)
            kept.append(image)
    return kept


def _source(image: PlacedImage, sources: ImageSources) -> str | None:
    """The source file a placed image was drawn from, by its data where several files share
    its pixel size, else by pixel size; None when unknown."""
    names = (image.digest and sources.get(image.digest)) or sources.get(
        (image.width_px, image.height_px), ())
    return " or ".join(names) if names else None


def _named(source: object, pixels: object) -> str:
    width, height = pixels if isinstance(pixels, list) else (0, 0)
    return f"{source} ({width}x{height} px)" if source else f"{width}x{height} px"


def _check_fonts(reader: pypdf.PdfReader) -> Check:
    fonts: dict[str, bool] = {}
    for font in _fonts(reader):
        name = str(font.get("/BaseFont", "(unnamed)"))
        fonts[name] = fonts.get(name, True) and _is_embedded(font)
    missing = sorted(name for name, embedded in fonts.items() if not embedded)
    return Check(
        "fonts-embedded",
        not missing,
        f"{len(fonts)} font(s), {len(missing)} not embedded" + (f": {missing}" if missing else ""),
        frozen_mapping_any(fonts=sorted(fonts), not_embedded=missing),
    )


def _check_glyphs(pdf: bytes) -> Check:
    """A character no embedded face can draw prints as a box or nothing, while the text layer
    (and so every text check) still has it: read from the font programs (pdf_fonts.py). Its
    pages from pdfium's text (pypdf misreads WeasyPrint's custom-encoded fonts)."""
    missing: list[dict[str, Any]] = []
    findings: list[tuple[str, str, str]] = []
    for face in embedded_faces(pdf):
        holding = pages_holding(pdf, face.missing, face.pages) if face.missing else []
        for char in face.missing:
            pages = [index + 1 for index, chars in holding if char in chars]
            pages = pages or [index + 1 for index in face.pages[:1]]
            code = f"U+{ord(char):04X}"
            missing.append({"character": code, "face": face.base_font, "pages": pages[:20]})
            # a warning of the build, as for images: the rule fails, --strict stops the release
            findings.append(("warning", f"{code} has no glyph in {face.base_font} (p. "
                             f"{', '.join(str(p) for p in pages[:5])}): the page shows a box "
                             "or nothing", "replace the character in the source or name a "
                             "face that has it in the style sheet"))
    return Check(
        "glyphs",
        not missing,
        f"{len(missing)} character(s) without a glyph in their face",
        frozen_mapping_any(missing=missing[:50]),
        tuple(findings[:20]),
    )


def _check_transparency(reader: pypdf.PdfReader, profile: PodProfile) -> Check:
    found = sorted({number for number, _ in _transparency(reader)})
    forbidden = profile.pdf_variant == "pdf/x-1a"
    return Check(
        "transparency",
        not (forbidden and found),
        f"transparency on {len(found)} pages"
        + (" (PDF/X-1a forbids it)" if forbidden else " (allowed by this profile)"),
        frozen_mapping_any(pages=found[:50], forbidden=forbidden),
    )


def _check_colour(reader: pypdf.PdfReader, profile: PodProfile) -> Check:
    if profile.pdf_variant != "pdf/x-1a":
        return Check("colour-space", True, "any colour space allowed by this profile")
    rgb_pages = [
        number for number, page in enumerate(reader.pages, start=1) if _drawn(page).rgb
    ]
    return Check(
        "colour-space",
        not rgb_pages,
        f"RGB colour, images or shadings on {len(rgb_pages)} pages (PDF/X-1a: CMYK and grey)",
        frozen_mapping_any(rgb_pages=rgb_pages[:50]),
    )


def _check_annotations(reader: pypdf.PdfReader) -> Check:
    annotated = [n for n, page in enumerate(reader.pages, start=1) if page.get("/Annots")]
    has_form = "/AcroForm" in _dict(reader.trailer["/Root"])
    return Check(
        "no-annotations",
        not annotated and not has_form,
        f"{len(annotated)} page(s) with annotations; form fields: {'yes' if has_form else 'no'}",
        frozen_mapping_any(pages=annotated[:50], acroform=has_form),
    )


def _check_variant(reader: pypdf.PdfReader, profile: PodProfile) -> Check:
    root = _dict(reader.trailer["/Root"])
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


def _fonts(reader: pypdf.PdfReader) -> Iterator[DictionaryObject]:
    seen: set[int] = set()
    for page in reader.pages:
        for resources in _resource_dicts(page):
            for ref in _dict(resources.get("/Font")).values():
                key = ref.idnum if isinstance(ref, IndirectObject) else id(ref)
                if key not in seen:
                    seen.add(key)
                    yield _dict(ref)


def _is_embedded(font: DictionaryObject) -> bool:
    if font.get("/Subtype") == "/Type3":
        return True  # glyphs are drawn by the font's own procedures
    if font.get("/Subtype") == "/Type0":
        descendants = font.get("/DescendantFonts")
        if isinstance(descendants, IndirectObject):
            descendants = descendants.get_object()
        font = _dict(descendants[0]) if isinstance(descendants, ArrayObject) else font
    descriptor = _dict(font.get("/FontDescriptor"))
    return any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3"))


def _transparency(reader: pypdf.PdfReader) -> Iterator[tuple[int, str]]:
    for number, page in enumerate(reader.pages, start=1):
        group = _dict(page.get("/Group"))
        if group.get("/S") == "/Transparency":
            yield number, "page group"
        drawn = _drawn(page)
        for state in drawn.states:
            alpha = [float(state.get(key, 1)) for key in ("/CA", "/ca")]
            mask = state.get("/SMask", "/None")
            blend = state.get("/BM", "/Normal")
            if min(alpha) < 1 or mask != "/None" or blend not in ("/Normal", "/Compatible"):
                yield number, "graphics state"
        if any("/SMask" in image for image in drawn.images):
            yield number, "soft mask"


# Names a content stream uses: "/Im3 Do" (XObjects), "/a0.5 gs" (graphics states),
# "/P1 scn" (patterns), "/Sh2 sh" (shadings). WeasyPrint shares one resource dictionary among
# all pages, so what a page *uses* has to be read from its content, not from its resources.
_USE = re.compile(rb"/([^\s/\[\]<>(){}%]+)\s+(Do|gs|scn|SCN|sh)(?![A-Za-z])")


@dataclass(slots=True)
class _Drawn:
    images: list[DictionaryObject] = field(default_factory=list)
    states: list[DictionaryObject] = field(default_factory=list)
    rgb: bool = False


def _drawn(page: pypdf.PageObject) -> _Drawn:
    """The images, graphics states and RGB colour a page really draws (forms and patterns too)."""
    drawn = _Drawn()
    contents = page.get_contents()
    stack = [(contents.get_data() if contents is not None else b"", _dict(page.get("/Resources")))]
    seen: set[int] = set()
    while stack:
        data, resources = stack.pop()
        drawn.rgb = drawn.rgb or bool(RGB_OPERATOR.search(data))
        for name_bytes, operator in _USE.findall(data):
            name = "/" + name_bytes.decode("latin-1")
            kind = {b"Do": "/XObject", b"gs": "/ExtGState", b"sh": "/Shading"}.get(
                operator, "/Pattern"
            )
            ref = _dict(resources.get(kind)).get(name)
            key = ref.idnum if isinstance(ref, IndirectObject) else -1
            if ref is None or key in seen:
                continue
            seen.add(key)
            target = ref.get_object() if isinstance(ref, IndirectObject) else ref
            _visit(target, kind, resources, drawn, stack)
    return drawn


def _visit(
    target: object, kind: str, resources: DictionaryObject, drawn: _Drawn,
    stack: list[tuple[bytes, DictionaryObject]],
) -> None:
    if not isinstance(target, DictionaryObject):
        return
    if kind == "/ExtGState":
        drawn.states.append(target)
        return
    if target.get("/Subtype") == "/Image":
        drawn.images.append(target)
        drawn.rgb = drawn.rgb or "RGB" in str(target.get("/ColorSpace", ""))
        return
    shading = _dict(target.get("/Shading")) if kind == "/Pattern" else target
    if "/ColorSpace" in shading:
        drawn.rgb = drawn.rgb or "RGB" in str(shading.get("/ColorSpace"))
    if isinstance(target, StreamObject) and kind in ("/XObject", "/Pattern"):
        # A form or a tiling pattern: its own content, with its own resources if it has them.
        own = target.get("/Resources")
        stack.append((target.get_data(), _dict(own) if own is not None else resources))


def _resource_dicts(page: pypdf.PageObject) -> Iterator[DictionaryObject]:
    """The page's resources and those of the form XObjects they hold, depth first."""
    stack = [_dict(page.get("/Resources"))]
    seen: set[int] = set()
    while stack:
        resources = stack.pop()
        yield resources
        for ref in _dict(resources.get("/XObject")).values():
            key = ref.idnum if isinstance(ref, IndirectObject) else id(ref)
            xobject = _dict(ref)
            if key not in seen and xobject.get("/Subtype") == "/Form":
                seen.add(key)
                stack.append(_dict(xobject.get("/Resources")))


def _dict(value: object) -> DictionaryObject:
    if isinstance(value, IndirectObject):
        value = value.get_object()
    return value if isinstance(value, DictionaryObject) else DictionaryObject()


def _inches(value: float) -> str:
    return "n/a (no text)" if value == float("inf") else f"{value:.3f} in"


def _rounded(value: float) -> float | None:
    return None if value == float("inf") else round(value, 4)


def frozen_mapping_any(**items: Any) -> Mapping[str, Any]:
    """Read-only figures for a Check (``model.frozen_mapping`` is typed for strings only)."""
    return MappingProxyType(items)
