"""Structural check of a built PDF (``handbook-build check build/x.pdf``), with pypdf only.

This is the cheap sanity pass a release manager runs before uploading: the file opens, has
pages, embeds every font, has an outline, and every internal link lands on a page of the file.
A ``-print.pdf`` is for a printer, so it must also hold no annotations (links, widgets) and no
form, and have an even page count (a sheet has two sides). The full print-on-demand rules
(trim, bleed, image resolution, colour) are ``preflight/``'s job; they need the layout.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pypdf
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

from handbook_build.errors import HandbookError
from handbook_build.model import Diagnostic, Severity
from handbook_build.sources.contents import display_path

if TYPE_CHECKING:
    from handbook_build.checks.typeset_check import Profile

PRINT_SUFFIX = "-print.pdf"
FILLABLE_SUFFIX = "-print-fillable.pdf"
_FONT_FILES = ("/FontFile", "/FontFile2", "/FontFile3")
_UNREADABLE = ("missing-file", "pdf-unreadable", "pdf-encrypted", "pdf-empty")
_MAX_LISTED = 5  # pages or names quoted in one message; the count says how many in all


@dataclass(frozen=True, slots=True)
class PdfCheckResult:
    diagnostics: tuple[Diagnostic, ...]
    summary: str  # one line on what was checked, e.g. "212 pages, 6 fonts, 40 outline entries"


@dataclass(slots=True)
class _Findings:
    """Diagnostics about one file; every message is about the whole file (no line numbers)."""

    shown: str
    items: list[Diagnostic]

    def add(self, code: str, message: str, hint: str = "",
            severity: Severity = "error") -> None:
        self.items.append(Diagnostic(self.shown, None, message, hint, severity, code))


def check_pdf(path: Path, profile: Profile | None = None, typesetting: bool = True,
              cheap: bool = False) -> PdfCheckResult:
    """Check the PDF at ``path``; every problem becomes a diagnostic, nothing raises.

    With ``typesetting`` the pages are read too (typeset_check: images, hyphenation, overflow,
    glyphs, notes, pages); ``profile`` is print or screen (guessed from the file when None).
    """
    findings = _Findings(display_path(path), [])
    with _quiet_pypdf():
        result = _check(path, findings)
    if not typesetting or any(d.code in _UNREADABLE for d in result.diagnostics):
        return result
    from handbook_build.checks.typeset_check import check_typesetting

    try:
        typeset = check_typesetting(path, findings.shown, profile, cheap=cheap)
    except HandbookError as error:  # pdftotext missing: say so, keep the structure findings
        note = Diagnostic(findings.shown, None, f"pages not checked: {error.message}",
                          "install poppler-utils", "warning", "typesetting-not-checked")
        return PdfCheckResult((*result.diagnostics, note), result.summary)
    return PdfCheckResult((*result.diagnostics, *typeset.diagnostics),
                          f"{result.summary}, {typeset.summary}")


def _check(path: Path, findings: _Findings) -> PdfCheckResult:
    reader = _open(path, findings)
    if reader is None:
        return PdfCheckResult(tuple(findings.items), "not checked")
    page_count = len(reader.pages)
    if page_count == 0:
        findings.add("pdf-empty", "the PDF has no pages", "rebuild it")
        return PdfCheckResult(tuple(findings.items), "0 pages")
    page_numbers = {
        page.indirect_reference.idnum: number
        for number, page in enumerate(reader.pages, start=1)
        if page.indirect_reference is not None
    }
    is_print = path.name.endswith((PRINT_SUFFIX, FILLABLE_SUFFIX))
    fonts = _check_fonts(reader, findings)
    outline = _check_outline(reader, page_numbers, findings, required=not is_print)
    links = _check_links(reader, page_numbers, findings)
    if is_print:
        _check_print(reader, page_count, findings, fillable=path.name.endswith(FILLABLE_SUFFIX))
    summary = ", ".join(_counted(count, noun) for count, noun in (
        (page_count, "page"), (fonts, "font"), (outline, "outline entr"),
        (links, "internal link")))
    return PdfCheckResult(tuple(findings.items), summary)


def _open(path: Path, findings: _Findings) -> pypdf.PdfReader | None:
    try:
        reader = pypdf.PdfReader(path)
        if reader.is_encrypted:
            findings.add("pdf-encrypted", "the PDF is encrypted",
                         "editions must open without a password; rebuild it")
            return None
        len(reader.pages)  # forces the page tree to be read: a damaged one fails here
    except FileNotFoundError:
        findings.add("missing-file", "no such file", "build it first: handbook-build build")
        return None
    # pypdf reports damaged files with many exception types (PdfReadError, ValueError,
    # KeyError...); any of them means "this is not a PDF a reader can open".
    except Exception as error:
        findings.add("pdf-unreadable", f"not a readable PDF ({type(error).__name__}: {error})",
                     "rebuild it; a partial write or a wrong file may be the cause")
        return None
    return reader


# --- fonts ---------------------------------------------------------------------------------------


def _check_fonts(reader: pypdf.PdfReader, findings: _Findings) -> int:
    """Every font must carry its glyphs: a reader or printer would substitute another font."""
    embedded: dict[str, bool] = {}
    for font in _fonts(reader):
        name = str(font.get("/BaseFont", "(unnamed)"))
        embedded[name] = embedded.get(name, True) and _is_embedded(font)
    missing = sorted(name for name, ok in embedded.items() if not ok)
    if missing:
        findings.add("font-not-embedded", f"{len(missing)} font(s) not embedded: "
                     f"{_listed(missing)}", "install the fonts the style sheet names, rebuild")
    return len(embedded)


def _fonts(reader: pypdf.PdfReader) -> Iterator[DictionaryObject]:
    """Each font dictionary used by a page or by a form XObject on it, once."""
    seen: set[int] = set()
    for page in reader.pages:
        for resources in _resource_dicts(_dict(page.get("/Resources")), set()):
            for reference in _dict(resources.get("/Font")).values():
                key = reference.idnum if isinstance(reference, IndirectObject) else id(reference)
                if key not in seen:
                    seen.add(key)
                    yield _dict(reference)


def _resource_dicts(resources: DictionaryObject, visited: set[int]) -> Iterator[DictionaryObject]:
    """``resources`` and those of the form XObjects it names, recursively (each once)."""
    yield resources
    for reference in _dict(resources.get("/XObject")).values():
        if isinstance(reference, IndirectObject):
            if reference.idnum in visited:
                continue
            visited.add(reference.idnum)
        xobject = _dict(reference)
        if xobject.get("/Subtype") == "/Form":
            yield from _resource_dicts(_dict(xobject.get("/Resources")), visited)


def _is_embedded(font: DictionaryObject) -> bool:
    subtype = font.get("/Subtype")
    if subtype == "/Type3":
        return True  # glyphs are content streams inside the font itself
    if subtype == "/Type0":
        descendants = font.get("/DescendantFonts")
        descendants = descendants.get_object() if descendants is not None else None
        if not isinstance(descendants, ArrayObject) or not descendants:
            return False
        font = _dict(descendants[0])
    descriptor = _dict(font.get("/FontDescriptor"))
    return any(key in descriptor for key in _FONT_FILES)


# --- navigation ----------------------------------------------------------------------------------


def _check_outline(reader: pypdf.PdfReader, page_numbers: dict[int, int],
                   findings: _Findings, required: bool) -> int:
    """The outline (bookmarks) is the PDF's table of contents; each entry must land on a page."""
    entries = list(_outline_entries(reader.outline))
    if not entries:
        findings.add("pdf-no-outline", "the PDF has no outline (bookmarks)",
                     "headings give the outline; check the style sheet's bookmark-level",
                     "error" if required else "warning")
    broken = [str(entry.title) for entry in entries if _page_of(entry.page, page_numbers) is None]
    if broken:
        findings.add("pdf-broken-outline", f"{len(broken)} outline entries point to no page: "
                     f"{_listed(broken)}", "rebuild; this is a bug in rendering, please report it")
    return len(entries)


def _outline_entries(outline: object) -> Iterator[pypdf.generic.Destination]:
    if isinstance(outline, list):
        for item in outline:
            yield from _outline_entries(item)
    elif isinstance(outline, pypdf.generic.Destination):
        yield outline


def _check_links(reader: pypdf.PdfReader, page_numbers: dict[int, int],
                 findings: _Findings) -> int:
    """Each internal link (named or explicit destination) must resolve to a page of this file."""
    named = reader.named_destinations
    count = 0
    broken: list[str] = []
    for number, page in enumerate(reader.pages, start=1):
        for annotation in _annotations(page):
            if annotation.get("/Subtype") != "/Link":
                continue
            target = _link_target(annotation)
            if target is None:
                continue  # a URI or another file: not ours to resolve
            count += 1
            if isinstance(target, str):
                destination = named.get(target)
                ok = destination is not None and _page_of(destination.page, page_numbers)
                if not ok:
                    broken.append(f"page {number} -> #{target}")
            elif _page_of(target[0] if target else None, page_numbers) is None:
                broken.append(f"page {number} -> (no page)")
    if broken:
        findings.add("pdf-broken-link", f"{len(broken)} internal link(s) lead nowhere: "
                     f"{_listed(broken)}", "every internal link needs an existing target id")
    return count


def _link_target(annotation: DictionaryObject) -> str | ArrayObject | None:
    """A named destination, an explicit one ``[page /Fit ...]``, or None for external links."""
    destination = annotation.get("/Dest")
    action = _dict(annotation.get("/A"))
    if destination is None and action.get("/S") == "/GoTo":
        destination = action.get("/D")
    if destination is None:
        return None
    destination = destination.get_object()
    if isinstance(destination, ArrayObject):
        return destination
    return str(destination)


def _page_of(reference: object, page_numbers: dict[int, int]) -> int | None:
    if isinstance(reference, IndirectObject):
        return page_numbers.get(reference.idnum)
    if isinstance(reference, int) and 0 <= reference < len(page_numbers):
        return reference + 1  # remote-style destinations give a page index
    return None


# --- print ---------------------------------------------------------------------------------------


def _check_print(reader: pypdf.PdfReader, page_count: int, findings: _Findings,
                 fillable: bool) -> None:
    """What a printer's intake rejects: interactive content, and an odd number of pages."""
    if page_count % 2:
        findings.add("pdf-odd-pages", f"the print PDF has {page_count} pages, an odd number",
                     "a printed book has an even page count; the print renderer pads with "
                     "blank pages, so rebuild it")
    if fillable:
        return  # the fillable copy is for screens: its form fields are the point
    annotated = [number for number, page in enumerate(reader.pages, start=1)
                 if list(_annotations(page))]
    if annotated:
        findings.add("pdf-annotations", f"{len(annotated)} page(s) hold annotations (links or "
                     f"widgets): pages {_listed([str(n) for n in annotated])}",
                     "a print-ready file must have none; rebuild the print edition")
    if "/AcroForm" in _dict(reader.trailer.get("/Root")):
        findings.add("pdf-form-fields", "the print PDF has form fields (an /AcroForm)",
                     "form fields belong in the -print-fillable.pdf only")


# --- helpers -------------------------------------------------------------------------------------


@contextmanager
def _quiet_pypdf() -> Iterator[None]:
    """pypdf logs what it repairs on the fly; the diagnostics already say what matters."""
    logger = logging.getLogger("pypdf")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


def _annotations(page: pypdf.PageObject) -> Iterator[DictionaryObject]:
    annotations = page.get("/Annots")
    annotations = annotations.get_object() if annotations is not None else None
    if isinstance(annotations, ArrayObject):
        for annotation in annotations:
            yield _dict(annotation)


def _dict(value: object) -> DictionaryObject:
    """``value`` dereferenced if it is a dictionary, else an empty one (damaged files)."""
    if isinstance(value, IndirectObject):
        value = value.get_object()
    return value if isinstance(value, DictionaryObject) else DictionaryObject()


def _counted(count: int, noun: str) -> str:
    if noun.endswith("entr"):
        return f"{count} {noun}{'y' if count == 1 else 'ies'}"
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _listed(items: list[str]) -> str:
    shown = ", ".join(items[:_MAX_LISTED])
    return shown + (f" and {len(items) - _MAX_LISTED} more" if len(items) > _MAX_LISTED else "")
