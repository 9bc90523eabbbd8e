"""Every check run on one PDF (on disk or in memory), and the summary the build report keeps."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pikepdf

from handbook_build.checks.pdf_fonts import embedded_faces, notdef_pages
from handbook_build.checks.pdf_images import placed_images
from handbook_build.checks.pdf_layout import folio_text, read_pdf_text
from handbook_build.checks.typeset_check.faces import check_faces, stylesheet_families
from handbook_build.checks.typeset_check.findings import Findings, Profile
from handbook_build.checks.typeset_check.hyphenation import check_hyphenation
from handbook_build.checks.typeset_check.images import check_images
from handbook_build.checks.typeset_check.notes import check_notes
from handbook_build.checks.typeset_check.overflow import check_overflow, check_rules
from handbook_build.checks.typeset_check.page_boxes import (
    guess_profile,
    page_boxes,
    page_labels,
    read_pdfx_claim,
)
from handbook_build.checks.typeset_check.pages import check_pages
from handbook_build.checks.typeset_check.print_boxes import check_pdfx, check_print_boxes
from handbook_build.model import Diagnostic


@dataclass(frozen=True, slots=True)
class TypesetResult:
    diagnostics: tuple[Diagnostic, ...]
    profile: Profile
    summary: str


def check_typesetting(path: Path, shown: str, profile: Profile | None = None,
                      cheap: bool = False, style_families: Iterable[str] | None = None,
                      image_files: Mapping[tuple[int, int], str] | None = None,
                      ) -> TypesetResult:
    """All typesetting findings about the PDF at ``path`` (``shown`` is its name in messages).

    ``image_files`` maps pixel sizes to the book's picture files (the build knows them), so a
    finding can name the file to replace; a PDF alone only names its XObjects.
    """
    with pikepdf.open(path) as document:
        boxes = page_boxes(document)
        labels = page_labels(document)
        claims_pdfx = read_pdfx_claim(document)
    chosen = profile or guess_profile(path, boxes)
    text = None if cheap else read_pdf_text(path)
    folios = [labels[i] if labels else (folio_text(text.pages[i]) if text else None)
              for i in range(len(boxes))]
    findings = Findings(shown, folios)
    images = placed_images(path)
    check_images(images, chosen, boxes, text, findings, image_files or {})
    faces = embedded_faces(path)
    for page_index in notdef_pages(path):
        findings.add(page_index, "error", "glyph-missing",
                     "the text draws glyph 0 (.notdef): the page shows a box or nothing",
                     "a character no face has, or a control character in the source: find it "
                     "with pdftotext and remove or replace it")
    families = tuple(style_families) if style_families is not None else stylesheet_families()
    check_faces(faces, families, text, findings, path)
    if text is not None:
        check_hyphenation(text, findings)
        check_overflow(text, boxes, findings)
        check_rules(path, text, boxes, findings)
        check_notes(text, findings)
        check_pages(text, images, findings)
    if chosen == "print":
        check_print_boxes(boxes, claims_pdfx.claimed, findings)
        check_pdfx(claims_pdfx, images, findings)
    ordered = sorted(findings.items, key=lambda d: (d.page or 0, d.code))
    summary = (f"{chosen} profile, {len(images)} image{'s' if len(images) != 1 else ''}, "
               f"{len(faces)} face{'s' if len(faces) != 1 else ''}"
               + ("" if text is None else f", {sum(len(p.lines) for p in text.pages)} lines"))
    return TypesetResult(tuple(ordered), chosen, summary)


def check_pdf_bytes(data: bytes, name: str, profile: Profile, cheap: bool,
                    image_files: Mapping[tuple[int, int], str] | None = None,
                    work_dir: Path | None = None) -> TypesetResult:
    """The same check on a PDF in memory (the build's, before it is written), as ``name``.

    poppler reads files, so the bytes go to a scratch folder under ``work_dir`` (the build's
    cache folder: a build writes nowhere outside its output folder) and are removed after.
    The folder is named as cache_entry names its temporaries (``.tmp-<pid>-``): one left by a
    worker killed mid-check is swept by the next build instead of staying in the cache.
    """
    import os
    import tempfile

    from handbook_build.cache_entry import TEMP_PREFIX

    with tempfile.TemporaryDirectory(prefix=f"{TEMP_PREFIX}{os.getpid()}-typeset-check-",
                                     dir=work_dir) as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        return check_typesetting(path, name, profile, cheap=cheap, image_files=image_files)


def image_files_by_size(paths: Iterable[Path]) -> dict[tuple[int, int], str]:
    """Pixel size -> "folder/file" of the book's pictures (only the header is read)."""
    from PIL import Image, UnidentifiedImageError

    found: dict[tuple[int, int], list[str]] = {}
    for path in paths:
        try:
            with Image.open(path) as image:
                size = image.size
        except (OSError, UnidentifiedImageError, ValueError):
            continue  # an SVG or a damaged file: WeasyPrint draws SVG as vectors anyway
        found.setdefault(size, []).append("/".join(path.parts[-2:]))
    return {size: " or ".join(sorted(names)[:2]) for size, names in found.items()}


def build_summary(result: TypesetResult, cheap: bool) -> dict[str, object]:
    """What goes into ``<stem>-report.json`` for one PDF: the counts and every finding."""
    return {
        "profile": result.profile,
        "checks": "images, glyphs, faces" if cheap else "all",
        "errors": sum(1 for d in result.diagnostics if d.severity == "error"),
        "warnings": sum(1 for d in result.diagnostics if d.severity == "warning"),
        "by_code": dict(sorted(Counter(d.code for d in result.diagnostics).items())),
        "findings": [d.compiler_style() for d in result.diagnostics],
    }
