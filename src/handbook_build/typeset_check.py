"""The typesetting check of a built PDF: what a book designer sees on the pages, as diagnostics.

``pdfcheck`` reads structure (fonts embedded, outline, links); this module reads the pages:
images (garbled, too coarse, misplaced), hyphenation (share, ladders, lone fragments, headings),
overflow (lines past the text block or the page), glyphs and faces (missing glyphs, fallback
faces, a script in a face that lacks it), notes (astray from their call, printed twice), pages
(stray blanks, a page holding only a heading or a placeholder, chapters opening on versos) and,
for print, the trim, bleed and PDF/X boxes. Each finding names its physical page and printed
folio: ``book.pdf: p. 34 (folio 24): error: ...; hint [code]``.

Every threshold is in ``THRESHOLDS`` below and in docs/typesetting-check.md. The text layer
comes from poppler (``pdf_layout``), fonts from pikepdf and fontTools (``pdf_fonts``), images
from ``pdf_images``. ``cheap=True`` runs only the checks that need no text layer (images,
glyphs and faces): the build runs those on every PDF it writes, and all of them with --validate.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Literal

import pikepdf

from handbook_build.model import Diagnostic, Severity
from handbook_build.pdf_fonts import EmbeddedFace, embedded_faces, notdef_pages, pages_holding
from handbook_build.pdf_images import PlacedImage, placed_images
from handbook_build.pdf_layout import (
    Line,
    PageText,
    PdfText,
    folio_text,
    is_body_line,
    is_margin_line,
    read_pdf_text,
)

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

_HYPHENS = ("\u2010", "-", "\u00ad")  # WeasyPrint's hyphenate-character is U+2010
_MARKER = re.compile(r"^(?P<mark>[a-z]{1,3}|\d{1,3})\.$")
_MARK = re.compile(r"^(?:[a-z]{1,3}|\d{1,3})$")
_PLACEHOLDER = "Image not available"
_SCRIPTS = (  # (name, first, last): scripts a Latin face does not cover
    ("CJK", 0x2E80, 0x9FFF), ("CJK", 0xAC00, 0xD7AF), ("CJK", 0xF900, 0xFAFF),
    ("CJK", 0x20000, 0x3FFFF), ("Arabic", 0x0600, 0x06FF), ("Arabic", 0x0750, 0x077F),
    ("Hebrew", 0x0590, 0x05FF), ("Devanagari", 0x0900, 0x097F), ("Bengali", 0x0980, 0x09FF),
    ("Thai", 0x0E00, 0x0E7F), ("Cyrillic", 0x0400, 0x04FF), ("Greek", 0x0370, 0x03FF),
)
_GENERIC_FAMILIES = ("serif", "sans-serif", "monospace", "cursive", "fantasy", "system-ui")
# What may follow the family in a PostScript name ("Noto Sans" names Noto-Sans-Bold, not
# Noto-Sans-CJK-JP).
_STYLE_WORDS = re.compile(r"^(?:bold|italic|regular|smallcaps|oblique|light|medium|semibold|"
                          r"demibold|extrabold|black|heavy|thin|semicondensed|condensed|"
                          r"expanded|book|roman|mt|ps)*$")
_FONT_FAMILY = re.compile(r"font-family\s*:\s*([^;}]+)", re.IGNORECASE)


@dataclass(slots=True)
class _Findings:
    shown: str
    folios: Sequence[str | None]
    items: list[Diagnostic] = field(default_factory=list)

    def add(self, page_index: int | None, severity: Severity, code: str, message: str,
            hint: str) -> None:
        page = None if page_index is None else page_index + 1
        folio = None if page_index is None else self.folios[page_index]
        self.items.append(Diagnostic(self.shown, None, message, hint, severity, code,
                                     page=page, folio=folio))


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
        boxes = _page_boxes(document)
        labels = _page_labels(document)
        claims_pdfx = _claims_pdfx(document)
    chosen = profile or _guess_profile(path, boxes)
    text = None if cheap else read_pdf_text(path)
    folios = [labels[i] if labels else (folio_text(text.pages[i]) if text else None)
              for i in range(len(boxes))]
    findings = _Findings(shown, folios)
    images = placed_images(path)
    _check_images(images, chosen, boxes, text, findings, image_files or {})
    faces = embedded_faces(path)
    for page_index in notdef_pages(path):
        findings.add(page_index, "error", "glyph-missing",
                     "the text draws glyph 0 (.notdef): the page shows a box or nothing",
                     "a character no face has, or a control character in the source: find it "
                     "with pdftotext and remove or replace it")
    families = tuple(style_families) if style_families is not None else stylesheet_families()
    _check_faces(faces, families, text, findings, path)
    if text is not None:
        _check_hyphenation(text, findings)
        _check_overflow(text, boxes, findings)
        _check_rules(path, text, boxes, findings)
        _check_notes(text, findings)
        _check_pages(text, images, findings)
    if chosen == "print":
        _check_print_boxes(boxes, claims_pdfx.claimed, findings)
        _check_pdfx(claims_pdfx, images, findings)
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


# --- pages, boxes, labels ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Boxes:
    media: tuple[float, float, float, float]
    trim: tuple[float, float, float, float] | None  # None: the page has no /TrimBox
    bleed: tuple[float, float, float, float] | None

    @property
    def page(self) -> tuple[float, float, float, float]:
        """The page a reader sees: the trim where there is one, else the media box."""
        return self.trim or self.media


def _page_boxes(document: pikepdf.Pdf) -> list[_Boxes]:
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
        boxes.append(_Boxes(media, box("/TrimBox"), box("/BleedBox")))
    return boxes


def _page_labels(document: pikepdf.Pdf) -> list[str] | None:
    """The folio of each page from /PageLabels (what a viewer shows), when the file has them."""
    if "/PageLabels" not in document.Root:
        return None
    try:
        return [str(page.label) for page in document.pages]
    except (AttributeError, ValueError, pikepdf.PdfError):
        return None


@dataclass(frozen=True, slots=True)
class _PdfX:
    """What the file claims about PDF/X: the version ("" for none) and its output intent."""

    version: str
    has_intent: bool
    has_profile: bool  # the output intent carries its ICC profile (DestOutputProfile)

    @property
    def claimed(self) -> bool:
        return bool(self.version) or self.has_intent


def _claims_pdfx(document: pikepdf.Pdf) -> _PdfX:
    info = document.trailer.get("/Info")
    version = str(info.get("/GTS_PDFXVersion", "")) if isinstance(info, pikepdf.Dictionary) \
        else ""
    intents = document.Root.get("/OutputIntents")
    pdfx = [i for i in intents if isinstance(i, pikepdf.Dictionary)
            and i.get("/S") == "/GTS_PDFX"] if isinstance(intents, pikepdf.Array) else []
    return _PdfX(version, bool(pdfx),
                 any(isinstance(i.get("/DestOutputProfile"), pikepdf.Stream) for i in pdfx))


def _guess_profile(path: Path, boxes: Sequence[_Boxes]) -> Profile:
    """Print when the file is named for print or is set up for a printer (trim inside media)."""
    if path.name.endswith(("-print.pdf", "-print-fillable.pdf", "-cover.pdf")):
        return "print"
    if boxes and all(b.trim is not None and b.trim != b.media for b in boxes):
        return "print"
    return "screen"


def guessed_profile(path: Path) -> Profile:
    with pikepdf.open(path) as document:
        return _guess_profile(path, _page_boxes(document))


# --- images -----------------------------------------------------------------------------------


def _check_images(images: Sequence[PlacedImage], profile: Profile, boxes: Sequence[_Boxes],
                  text: PdfText | None, findings: _Findings,
                  image_files: Mapping[tuple[int, int], str]) -> None:
    warn_below = THRESHOLDS[f"{profile}_ppi_warning"]
    error_below = THRESHOLDS[f"{profile}_ppi_error"]
    slack = THRESHOLDS["image_outside_pt"]
    for image in images:
        source = image_files.get((image.width_px, image.height_px))
        what = f"image {image.name}" if image.name else "an image"
        what += f" ({source})" if source else ""
        size = f"{image.width_px}x{image.height_px} px"
        if not image.decodes:
            findings.add(image.page_index, "error", "image-garbled",
                         f"{what} ({size}, {image.filter or 'raw'}) does not decode as its "
                         f"/ColorSpace says: {image.problem}",
                         "a viewer draws noise or a black box; the renderer relabelled the "
                         "stream: rebuild with a fixed renderer or convert the source image")
        if image.in_pattern:
            continue  # a tile of a background (the note column's ruling), not a figure
        ppi = round(image.ppi)  # 299.97 is the 300 ppi the renderer aimed at
        if ppi < warn_below:
            severity: Severity = "error" if ppi < error_below else "warning"
            limit = error_below if severity == "error" else warn_below
            findings.add(image.page_index, severity, "image-low-resolution",
                         f"{what} ({size}) is printed at {image.ppi:.0f} ppi, below "
                         f"{limit:.0f} for {profile}",
                         f"replace it with a larger original (at least "
                         f"{_pixels_needed(image, warn_below)} px wide) or set it smaller")
        page = boxes[image.page_index].page if image.page_index < len(boxes) else None
        if page is None:
            continue
        left, bottom, right, top = image.bbox_pt
        px0, py0, px1, py1 = page
        if left < px0 - slack or right > px1 + slack or bottom < py0 - slack or top > py1 + slack:
            findings.add(image.page_index, "error", "image-off-page",
                         f"{what} runs off the page (placed at {_pt_box(image.bbox_pt)}, the "
                         f"page is {_pt_box(page)})",
                         "give it max-width: 100% or a smaller size in the style sheet")
            continue
        block = text.block_for(text.pages[image.page_index]) if text else None
        if block is not None and text is not None:
            # pdftotext measures from the top left of the media box; images from the bottom left.
            media_left = boxes[image.page_index].media[0]
            x0, x1 = left - media_left, right - media_left
            if x0 < block.left - slack or x1 > block.right + slack:
                findings.add(image.page_index, "warning", "image-outside-text-block",
                             f"{what} reaches outside the text block (x {x0:.0f}-{x1:.0f} pt; "
                             f"the block is {block.left:.0f}-{block.right:.0f} pt)",
                             "limit figures to the text width (max-width: 100%)")


def _pixels_needed(image: PlacedImage, ppi: float) -> int:
    width_in = (image.bbox_pt[2] - image.bbox_pt[0]) / 72.0
    return max(1, round(width_in * ppi))


def _pt_box(box: tuple[float, float, float, float]) -> str:
    return "[" + " ".join(f"{v:.0f}" for v in box) + "] pt"


# --- glyphs and faces ---------------------------------------------------------------------------


def stylesheet_families(styles_dir: Path | None = None) -> tuple[str, ...]:
    """The font families the style sheets name, generic ones resolved through fontconfig."""
    from handbook_build.manifest import find_styles_dir

    folder = styles_dir or find_styles_dir()
    names: list[str] = []
    for sheet in sorted(folder.glob("*.css")):
        for value in _FONT_FAMILY.findall(sheet.read_text(encoding="utf-8", errors="replace")):
            for name in value.split(","):
                name = name.strip().strip("\"'").strip()
                if name and name.lower() not in ("inherit", "initial", "unset") \
                        and name not in names:
                    names.append(name)
    resolved = [_fontconfig_family(n) if n.lower() in _GENERIC_FAMILIES else n for n in names]
    return tuple(dict.fromkeys(n for n in resolved if n))


def _fontconfig_family(generic: str) -> str:
    tool = shutil.which("fc-match")
    if tool is None:
        return ""
    done = subprocess.run([tool, "-f", "%{family[0]}", generic], capture_output=True,
                          text=True, check=False)
    return done.stdout.strip() if done.returncode == 0 else ""


def _squashed(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _face_named(face: EmbeddedFace, families: Sequence[str]) -> bool:
    """``Linux-Libertine-O-Bold`` is named by ``Linux Libertine O``: the PostScript name is the
    family with the spaces dropped or turned into hyphens, then the style."""
    squashed = _squashed(face.base_font)
    return any(squashed.startswith(name := _squashed(family))
               and _STYLE_WORDS.match(squashed[len(name):]) is not None
               for family in families if family)


def _script_of(char: str) -> str | None:
    code = ord(char)
    for name, first, last in _SCRIPTS:
        if first <= code <= last:
            return name
    return None


def _check_faces(faces: Sequence[EmbeddedFace], families: Sequence[str], text: PdfText | None,
                 findings: _Findings, path: Path) -> None:
    for face in faces:
        pages = _pages_with(face.missing, face.pages, text, path) if face.missing else []
        for char in face.missing:
            script = _script_of(char)
            where = [p for p, chars in pages if char in chars] or list(face.pages[:1])
            for page_index in where[:3]:
                name = unicodedata.name(char, f"U+{ord(char):04X}")
                if script:
                    findings.add(page_index, "error", "script-not-covered",
                                 f"{script} text ({char!r}, {name}) is set in {face.base_font}, "
                                 "which has no glyph for it",
                                 "name a face that covers the script in the style sheet "
                                 "(e.g. Noto Sans CJK / Noto Naskh Arabic) for that language")
                else:
                    findings.add(page_index, "error", "glyph-missing",
                                 f"no glyph for U+{ord(char):04X} {name} in {face.base_font}: "
                                 "the page shows a box or nothing",
                                 "replace the character in the source or name a face that "
                                 "has it")
        if families and not _face_named(face, families):
            scripts = sorted({s for c in face.characters if (s := _script_of(c))})
            covering = f" for {', '.join(scripts)} text" if scripts else ""
            findings.add(face.pages[0] if face.pages else None, "warning", "face-fallback",
                         f"{face.base_font} is embedded{covering} on {len(face.pages)} page(s) "
                         f"but no style sheet names it (a fallback chosen by fontconfig)",
                         "name the face in the style sheet's font-family, or remove the "
                         "characters the named faces lack: "
                         + _sample(face.characters))


def _pages_with(chars: str, pages: Sequence[int], text: PdfText | None, path: Path
                ) -> list[tuple[int, set[str]]]:
    if text is None:  # the cheap check: only these pages' text, so the page named is the page
        return pages_holding(path, chars, pages)
    wanted = set(chars)
    found = []
    for index in pages:
        present = {c for line in text.pages[index].lines for c in line.text if c in wanted}
        if present:
            found.append((index, present))
    return found


def _sample(characters: str) -> str:
    shown = "".join(c for c in characters if not c.isspace())[:12]
    return repr(shown)


# --- hyphenation --------------------------------------------------------------------------------


def _hyphenated(line: Line) -> bool:
    """The line ends in a word broken at a hyphen (a letter, then the hyphen)."""
    last = line.words[-1].text
    return len(last) >= 2 and last.endswith(_HYPHENS) and last[-2].isalpha()


def _check_hyphenation(text: PdfText, findings: _Findings) -> None:
    body_lines = 0
    hyphenated = 0
    ladder_length = int(THRESHOLDS["ladder_lines"])
    heading_height = text.body_height * THRESHOLDS["heading_scale"]
    for page in text.pages:
        run: list[Line] = []
        for position, line in enumerate(page.lines):
            if is_margin_line(line, page):
                continue
            broken = _hyphenated(line) and _continues(page.lines, position)
            if is_body_line(line, text.body_height):
                body_lines += 1
                hyphenated += broken
            if broken and line.box.height >= heading_height:
                findings.add(page.index, "warning", "hyphen-in-heading",
                             f"a heading is hyphenated: {_tail(line)}",
                             "headings should not hyphenate: hyphens: manual on h1-h6")
            if broken and len(line.words) == 1 and is_body_line(line, text.body_height):
                findings.add(page.index, "warning", "hyphen-lone-fragment",
                             f"a line holds only the fragment {line.words[0].text!r}",
                             "set hyphenate-limit-chars (e.g. 6 3 3) so short fragments do "
                             "not break off")
            if broken and run and run[-1].block == line.block:
                run.append(line)
            elif broken:
                _end_ladder(run, page, ladder_length, findings)
                run = [line]
            else:
                _end_ladder(run, page, ladder_length, findings)
                run = []
        _end_ladder(run, page, ladder_length, findings)
    share = hyphenated / body_lines if body_lines else 0.0
    if share > THRESHOLDS["hyphenated_share_warning"]:
        findings.add(None, "warning", "hyphenation-share",
                     f"{share:.1%} of body lines ({hyphenated} of {body_lines}) end in a hyphen, "
                     f"above {THRESHOLDS['hyphenated_share_warning']:.0%}",
                     "limit hyphenation: hyphenate-limit-chars, no hyphens in names and links, "
                     "a wider measure or a smaller size")


def _continues(lines: Sequence[Line], position: int) -> bool:
    """A line break at a hyphen is a word break when the next line goes on in lower case."""
    for following in lines[position + 1:position + 2]:
        first = following.words[0].text[:1]
        return following.block == lines[position].block and (first.islower() or not first)
    return True  # the last line on the page: the word goes on overleaf


def _end_ladder(run: list[Line], page: PageText, length: int, findings: _Findings) -> None:
    if len(run) >= length:
        fragments = ", ".join(repr(line.words[-1].text) for line in run)
        findings.add(page.index, "warning", "hyphen-ladder",
                     f"{len(run)} consecutive lines end in a hyphen ({fragments})",
                     "a ladder of hyphens: rewrite a line or loosen the paragraph "
                     "(hyphenate-limit-chars, word-spacing)")


def _tail(line: Line) -> str:
    text = line.text
    return repr(text if len(text) <= 40 else "..." + text[-37:])


# --- overflow -----------------------------------------------------------------------------------


def _check_overflow(text: PdfText, boxes: Sequence[_Boxes], findings: _Findings) -> None:
    slack = THRESHOLDS["overflow_pt"]
    for page in text.pages:
        media = boxes[page.index].media
        x0, y0, x1, y1 = boxes[page.index].page
        # pdftotext coordinates run from the media box's top left corner.
        left, right = x0 - media[0], x1 - media[0]
        top, bottom = media[3] - y1, media[3] - y0
        block = text.block_for(page)
        reported_off = False
        for line in page.lines:
            box = line.box
            # poppler drops the glyphs past the page edge, so a line that reaches the edge
            # (within ``page_edge_pt``) is one the page cuts.
            edge = THRESHOLDS["page_edge_pt"]
            if box.right > right - edge or box.left < left + edge or box.top < top - 0.5 \
                    or box.bottom > bottom + 0.5:
                if not reported_off:
                    findings.add(page.index, "error", "text-off-page",
                                 f"text runs off the page and is cut: {_tail(line)}",
                                 "break long lines (overflow-wrap: anywhere for URLs; "
                                 "white-space: pre-wrap for code)")
                    reported_off = True
                continue
            if block is None or is_margin_line(line, page):
                continue
            if box.top < block.top - slack or box.bottom > block.bottom + slack * 4:
                continue  # not in the text block's band: a margin note, a running element
            past = max(box.right - block.right, block.left - box.left)
            if past > slack:
                findings.add(page.index, "warning", "text-overflow",
                             f"a line runs {past:.0f} pt past the text block: {_tail(line)}",
                             "break it: overflow-wrap: anywhere for long URLs, pre-wrap or a "
                             "smaller size for code, a narrower table")


def _check_rules(path: Path, text: PdfText, boxes: Sequence[_Boxes],
                 findings: _Findings) -> None:
    """Rules and borders (vector paths) that start in the text block and run past its edge: a
    wide table's frame, a rule set wider than the measure. Paths lying wholly in a margin are
    decoration placed there on purpose (the print edition's note column) and are left alone."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_raw

    slack = THRESHOLDS["overflow_pt"]
    document = pdfium.PdfDocument(str(path))
    try:
        for page in text.pages:
            block = text.block_for(page)
            if block is None:
                continue
            media_left = boxes[page.index].media[0]
            worst = 0.0
            for obj in document[page.index].get_objects(
                    filter=[pdfium_raw.FPDF_PAGEOBJ_PATH], max_depth=4):
                left, _, right, _ = obj.get_bounds()
                left, right = left - media_left, right - media_left
                starts_inside = block.left - slack <= left <= block.right
                ends_inside = block.left <= right <= block.right + slack
                if starts_inside and right > block.right + slack:
                    worst = max(worst, right - block.right)
                elif ends_inside and left < block.left - slack:
                    worst = max(worst, block.left - left)
            if worst:
                findings.add(page.index, "warning", "rule-overflow",
                             f"a rule or border runs {worst:.0f} pt past the text block",
                             "a table or box wider than the measure: set width: 100% and "
                             "table-layout: fixed, or a smaller size")
    finally:
        document.close()


# --- notes --------------------------------------------------------------------------------------


def _note_lines(page: PageText, body_height: float) -> list[tuple[str, Line]]:
    """The notes at the page foot: smaller lines below the body, each opening with "a." or "1."."""
    limit = body_height * THRESHOLDS["note_scale"]
    notes = []
    for line in page.lines:
        if is_margin_line(line, page) or line.box.top < page.height * 0.3:
            continue
        match = _MARKER.match(line.words[0].text)
        if match and line.box.height <= limit and len(line.words) > 1:
            notes.append((match["mark"], line))
    return notes


def _calls(page: PageText, body_height: float, note_lines: Sequence[Line]) -> Counter[str]:
    """Marks set as superscripts: a word whose top stands clearly above its line's top and that
    ends in a mark (poppler glues the call to the word it follows)."""
    found: Counter[str] = Counter()
    notes = {id(line) for line in note_lines}
    for line in page.lines:
        if id(line) in notes or is_margin_line(line, page):
            continue
        tops = sorted(word.box.top for word in line.words)
        bottoms = sorted(word.box.bottom for word in line.words)
        heights = sorted(word.box.height for word in line.words)
        usual_top, usual_bottom = tops[len(tops) // 2], bottoms[len(bottoms) // 2]
        usual_height = heights[len(heights) // 2]
        for word in line.words:
            small = word.box.height < 0.8 * usual_height
            tiny = word.box.height < 0.7 * body_height and _MARK.match(word.text) is not None
            if tiny or (small and word.box.bottom < usual_bottom - 0.15 * body_height):
                found[word.text.strip(".,;:")] += 1  # a call set apart as its own word
            elif word.box.top < usual_top - 0.2 * body_height:
                for mark in _trailing_marks(word.text):
                    found[mark] += 1
    return found


def _trailing_marks(word: str) -> list[str]:
    stripped = word.rstrip(".,;:!?)\u201d\u2019\"'")  # closing punctuation after the call
    digits = re.search(r"(\d{1,3})$", stripped)
    letters = re.search(r"([a-z]{1,3})$", stripped)
    marks = []
    if digits:
        marks.append(digits[1])
    if letters:
        # A letter call is glued to a word: any of its last letters may be the mark.
        tail = letters[1]
        marks.extend(tail[i:] for i in range(len(tail)))
    return marks


def _check_notes(text: PdfText, findings: _Findings) -> None:
    for page in text.pages:
        notes = _note_lines(page, text.body_height)
        if not notes:
            continue
        marks = Counter(mark for mark, _ in notes)
        for mark, count in sorted(marks.items()):
            if count > 1:
                findings.add(page.index, "error", "note-twice",
                             f"note {mark!r} is printed {count} times on this page",
                             "a note was carried over or repeated: report it as a rendering bug")
        calls = _calls(page, text.body_height, [line for _, line in notes])
        for mark, line in {mark: line for mark, line in notes}.items():
            if mark not in calls:
                findings.add(page.index, "warning", "note-astray",
                             f"note {mark!r} ({_tail(line)}) has no call on this page",
                             "the note slipped to another page: keep the call's line with its "
                             "note (footnote-policy: line) or shorten the note")


# --- pages --------------------------------------------------------------------------------------


def _content_lines(page: PageText) -> list[Line]:
    return [line for line in page.lines if not is_margin_line(line, page)]


def _check_pages(text: PdfText, images: Sequence[PlacedImage], findings: _Findings) -> None:
    with_images = {image.page_index for image in images}
    heading_height = text.body_height * THRESHOLDS["heading_scale"]
    openings = [page for page in text.pages if _opens_chapter(page, heading_height)]
    rectos = sum(1 for page in openings if page.number % 2)
    opens_rectos = (len(openings) >= 3
                    and rectos / len(openings) >= THRESHOLDS["recto_share"])
    asks_rectos = text.mirrored and opens_rectos
    # The blank that break-before: right (or left) leaves before an opening belongs in a book
    # layout. Mirrored margins show one, but a short book cannot show them (its versos are
    # blank, so they have no text block) and the reading PDF opens chapters on rectos with even
    # margins: openings that fall on rectos are the same evidence, for the blanks before them.
    opening_numbers = ({page.number for page in openings} if text.mirrored
                       else {page.number for page in openings if page.number % 2}
                       if opens_rectos else set())
    last = len(text.pages)
    while last > 0 and not _content_lines(text.pages[last - 1]) \
            and last - 1 not in with_images:
        last -= 1  # the blank pages padding the end of the book (a sheet has two sides)
    for page in text.pages:
        content = _content_lines(page)
        if not content and page.index not in with_images:
            expected = (page.number > last or page.number <= 4
                        or page.number + 1 in opening_numbers)
            if not expected:
                findings.add(page.index, "warning", "page-blank",
                             "the page is blank where no blank belongs",
                             "a forced break or an empty block leaves it: check break-before "
                             "and the section before it")
            continue
        if page.index not in with_images and all(
                line.text.lstrip("[").startswith(_PLACEHOLDER) for line in content):
            findings.add(page.index, "warning", "page-placeholder-only",
                         f"the page holds only an image placeholder: {_tail(content[0])}",
                         "supply the image or drop the reference; a placeholder should not "
                         "take a page of its own")
            continue
        if all(line.box.height >= heading_height for line in content) \
                and page.index not in with_images \
                and content[-1].box.top >= page.height * THRESHOLDS["stranded_heading_from"]:
            findings.add(page.index, "warning", "heading-stranded",
                         f"the page holds only a heading at its foot: {_tail(content[-1])}",
                         "keep headings with what follows (break-after: avoid)")
        if asks_rectos and page in openings and page.number % 2 == 0:
            heading = _first_heading(page, heading_height)
            findings.add(page.index, "error", "chapter-on-verso",
                         f"a chapter opens on a verso: {_tail(heading)}",
                         "the edition opens chapters on rectos: check break-before: right")


def _opens_chapter(page: PageText, heading_height: float) -> bool:
    """A chapter opening: its first text line is a large heading in the top third."""
    content = _content_lines(page)
    if not content:
        return False
    first = content[0]
    return (first.box.height >= heading_height * 1.25 and first.box.top < page.height / 3)


def _first_heading(page: PageText, heading_height: float) -> Line:
    return next(line for line in _content_lines(page) if line.box.height >= heading_height)


# --- print boxes --------------------------------------------------------------------------------


def _check_print_boxes(boxes: Sequence[_Boxes], claims_pdfx: bool, findings: _Findings) -> None:
    no_trim = [i for i, b in enumerate(boxes) if b.trim is None]
    if no_trim:
        findings.add(no_trim[0], "error" if claims_pdfx else "warning", "print-no-trim",
                     f"{len(no_trim)} page(s) have no /TrimBox"
                     + (", which PDF/X requires" if claims_pdfx else ""),
                     "a printer reads the finished size from the trim box: set bleed in @page")
    sizes = Counter(_size(b.page) for b in boxes)
    if len(sizes) > 1:
        usual = sizes.most_common(1)[0][0]
        odd = [i for i, b in enumerate(boxes) if _size(b.page) != usual]
        findings.add(odd[0], "error", "print-trim-size",
                     f"{len(odd)} page(s) differ from the book's trim {usual[0]:.0f}x"
                     f"{usual[1]:.0f} pt", "every interior page must have the same trim")
    bleed_needed = THRESHOLDS["bleed_pt"]
    for index, box in enumerate(boxes):
        if box.trim is None:
            continue
        outer = box.bleed or box.media
        margins = (box.trim[0] - outer[0], box.trim[1] - outer[1], outer[2] - box.trim[2],
                   outer[3] - box.trim[3])
        if max(margins) > 0 and min(margins) < bleed_needed - 0.5:
            findings.add(index, "warning", "print-bleed",
                         f"the bleed is {min(margins):.1f} pt on one edge, less than "
                         f"{bleed_needed:.0f} pt (0.125 in)",
                         "set @page { bleed: 0.125in } for art that runs to the edge")
            break


def _check_pdfx(pdfx: _PdfX, images: Sequence[PlacedImage], findings: _Findings) -> None:
    """A file that claims PDF/X must carry what a press reads: the output intent with its ICC
    profile, and, for PDF/X-1a, no RGB image (X-1a is CMYK and grey only)."""
    if not pdfx.claimed:
        return
    if not pdfx.has_intent or not pdfx.has_profile:
        findings.add(None, "error", "print-pdfx",
                     f"the file claims {pdfx.version or 'PDF/X'} but has no GTS_PDFX output "
                     "intent with an ICC profile", "set @color-profile and the pdf/x variant "
                     "in WeasyPrint (toolchain-facts.md)")
    if pdfx.version.upper().startswith("PDF/X-1"):
        for image in images:
            if image.color_space in ("DeviceRGB", "CalRGB"):
                findings.add(image.page_index, "error", "print-pdfx",
                             f"image {image.name} is {image.color_space} in a "
                             f"{pdfx.version} file, which allows CMYK and grey only",
                             "convert the image to CMYK or choose PDF/X-4")


def _size(box: tuple[float, float, float, float]) -> tuple[float, float]:
    return (round(box[2] - box[0], 1), round(box[3] - box[1], 1))


__all__ = ["THRESHOLDS", "TypesetResult", "build_summary", "check_pdf_bytes",
           "check_typesetting", "guessed_profile", "stylesheet_families"]
