"""The pictures as printed: data that decodes as labelled, and resolution at the printed size
(warning below 300 ppi, error below 150), naming the source file to replace."""

from __future__ import annotations

import math
from collections.abc import Mapping

from handbook_build.checks.pdf_images import PlacedImage
from handbook_build.checks.preflight.results import Check, frozen_mapping_any

WANTED_PPI = 300  # what print-on-demand services ask for: below it, a warning
MINIMUM_PPI = 150  # below it pixels show on paper: an error (the check fails)
# pixel size, or digest of the drawn data (PlacedImage.digest) -> source files
ImageSources = Mapping[tuple[int, int] | str, tuple[str, ...]]


def check_image_data(images: tuple[PlacedImage, ...], sources: ImageSources) -> Check:
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


def check_images(images: tuple[PlacedImage, ...], sources: ImageSources) -> Check:
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
