"""Safety checks on what contributors hand the build: images, SVG files and chapter sizes/shapes.

A handbook is built from pull requests, so every input is untrusted. This module answers, without
decoding more than it must, whether a file may go into the editions:

* ``check_image(path)``: a raster image must be identifiable by Pillow, declare at most
  ``MAX_IMAGE_PIXELS`` pixels (read from the header, so a decompression bomb costs nothing) and
  decode without error; an SVG must be well-formed XML that declares no entities (no external
  entity can read ``/etc/passwd``, no "billion laughs") with an ``<svg>`` root. Everything else
  in an SVG (scripts, handlers, references outside it) is removed by ``svg_clean.clean_svg``
  wherever its bytes are embedded. The answer is None (fine) or the reason, which the image
  resolver turns into a placeholder and a warning naming the chapter and line.
* ``check_chapter_size`` / ``check_chapter_text``: a chapter is at most ``MAX_CHAPTER_BYTES``,
  and its lists, block quotes and raw HTML nest at most ``MAX_NESTING`` / ``MAX_RAW_HTML_DEPTH``
  levels: pandoc takes minutes on a quote nested 500 deep and WeasyPrint's layout recurses
  once per level, so such a chapter is refused up front with its line.
* ``check_html_depth``: the same limit measured on each section's final HTML, the last line of
  defence before a renderer sees it.

Everything here reads files but never writes, never follows a URL and never raises on bad input.
"""

from __future__ import annotations

import re
import stat
import warnings
from collections.abc import Iterable
from pathlib import Path

from handbook_build.markdown_scan import mask_code
from handbook_build.model import Diagnostic, HtmlSection

__all__ = [
    "MAX_CHAPTER_BYTES",
    "MAX_HTML_DEPTH",
    "MAX_IMAGE_BYTES",
    "MAX_IMAGE_PIXELS",
    "MAX_MANIFEST_BYTES",
    "MAX_NESTING",
    "MAX_RAW_HTML_DEPTH",
    "MAX_STYLE_BYTES",
    "MAX_SVG_BYTES",
    "check_chapter_size",
    "check_chapter_text",
    "check_html_depth",
    "check_image",
    "check_svg_bytes",
    "file_kind",
    "html_depth",
    "input_file_problem",
    "system_folder",
]

# The largest chapter of the real handbook is 25 KB; a megabyte is a 600-page book in one file.
MAX_CHAPTER_BYTES = 1024 * 1024
# 64 megapixels: a 300 dpi photo across a whole A3 page; a real phone photo is 12 to 48.
MAX_IMAGE_PIXELS = 64_000_000
MAX_IMAGE_BYTES = 50 * 1024 * 1024
MAX_SVG_BYTES = 10 * 1024 * 1024
# Lists and block quotes, counted together. Real books use 3 or 4; each level is two HTML
# elements, and WeasyPrint's layout recursion gives out somewhere past 100 elements.
MAX_NESTING = 16
MAX_RAW_HTML_DEPTH = 32  # raw HTML elements open inside each other
MAX_HTML_DEPTH = 80  # elements below a chapter's <section> in the final HTML
# book.toml and the contents list: the real handbook's are 2 KB and 6 KB.
MAX_MANIFEST_BYTES = 1024 * 1024
MAX_BIBLIOGRAPHY_BYTES = 20 * 1024 * 1024  # [book] bibliography: a .bib of many thousand entries
# A style sheet or a font (the largest CJK fonts are about 20 MB).
MAX_STYLE_BYTES = 50 * 1024 * 1024

_RASTER_FORMATS = ("PNG", "JPEG", "GIF", "WEBP")
_CACHE: dict[tuple[str, int, int, str], str | None] = {}


# --- any input file -----------------------------------------------------------------------------


def file_kind(mode: int) -> str | None:
    """What a file that is not a regular file is ("a FIFO (named pipe)", ...); None if regular."""
    kinds = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
             (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
             (stat.S_ISSOCK, "a socket"))
    for test, name in kinds:
        if test(mode):
            return name
    return None if stat.S_ISREG(mode) else "not a regular file"


def input_file_problem(path: Path, limit: int) -> str | None:
    """Why ``path`` may not be read (missing, not a regular file, over ``limit`` bytes), from
    ``stat`` alone: nothing is opened, so a FIFO never blocks and a 2 GB file costs nothing."""
    try:
        status = path.stat()
    except FileNotFoundError:
        return "does not exist"
    except OSError as error:
        return f"cannot be read ({error.strerror})"
    kind = file_kind(status.st_mode)
    if kind is not None:
        return f"is {kind}, not a regular file"
    if status.st_size > limit:
        return f"is {_size(status.st_size)}, more than the {_size(limit)} allowed"
    return None


# Folders that hold a system, not a book: as a book's source or images folder they would put
# every file of the machine within reach (and /proc/kmsg blocks whoever reads it).
SYSTEM_FOLDERS = frozenset({
    "/", "/bin", "/boot", "/dev", "/etc", "/home", "/lib", "/lib32", "/lib64", "/libx32",
    "/media", "/mnt", "/opt", "/proc", "/root", "/run", "/sbin", "/snap", "/srv", "/sys", "/tmp",
    "/usr", "/usr/bin", "/usr/lib", "/usr/local", "/usr/sbin", "/usr/share", "/var",
    "/var/lib", "/var/log", "/var/tmp",
})
# Pseudo file systems: nothing under them is ever a book's file.
_PSEUDO_FOLDERS = ("/proc", "/sys", "/dev", "/run")


def system_folder(path: Path) -> bool:
    """Whether the resolved folder ``path`` is a system folder, the home folder itself, or
    inside a pseudo file system (``/proc``, ``/sys``, ``/dev``, ``/run``)."""
    import os

    real = os.path.realpath(path)
    home = os.path.realpath(os.path.expanduser("~"))
    if real in SYSTEM_FOLDERS or real == home:
        return True
    return any(real.startswith(folder + "/") for folder in _PSEUDO_FOLDERS)


def _size(count: int) -> str:
    if count >= 1024 ** 3:
        return f"{count / 1024 ** 3:.1f} GB"
    if count >= 1024 * 1024:
        return f"{count / 1024 / 1024:.1f} MB".replace(".0 MB", " MB")
    return f"{count / 1024:.0f} KB"


# --- images -------------------------------------------------------------------------------------


def check_image(path: Path, media_type: str | None = None) -> str | None:
    """None when the image at ``path`` is safe to embed, else why not (a short clause).

    ``media_type`` is the sniffed type when the caller knows it; otherwise the file's first
    bytes decide between SVG and raster. Results are cached per (path, size, mtime).
    """
    try:
        status = path.stat()
    except OSError as error:
        return f"cannot be read ({error.strerror})"
    if status.st_size == 0:
        return "is empty (0 bytes)"
    kind = media_type or ""
    key = (str(path), status.st_size, status.st_mtime_ns, kind)
    if key not in _CACHE:
        if len(_CACHE) > 4096:
            _CACHE.clear()
        _CACHE[key] = _check_uncached(path, status.st_size, kind)
    return _CACHE[key]


def _check_uncached(path: Path, size: int, media_type: str) -> str | None:
    try:
        with path.open("rb") as handle:
            head = handle.read(512)
    except OSError as error:
        return f"cannot be read ({error.strerror})"
    is_svg = media_type == "image/svg+xml" or (
        not media_type and head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"))
    if is_svg:
        if size > MAX_SVG_BYTES:
            return f"is an SVG of {size / 1e6:.1f} MB (at most {MAX_SVG_BYTES // 10**6} MB)"
        try:
            data = path.read_bytes()
        except OSError as error:
            return f"cannot be read ({error.strerror})"
        return check_svg_bytes(data)
    if size > MAX_IMAGE_BYTES:
        return f"is {size / 1e6:.0f} MB (at most {MAX_IMAGE_BYTES // 10**6} MB)"
    return _check_raster(path)


def _check_raster(path: Path) -> str | None:
    from PIL import ImageFile

    # WeasyPrint sets this on import, for the whole process: a check must not inherit it.
    saved, ImageFile.LOAD_TRUNCATED_IMAGES = ImageFile.LOAD_TRUNCATED_IMAGES, False
    try:
        return _decode_checked(path)
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = saved


def _decode_checked(path: Path) -> str | None:
    from PIL import Image

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # DecompressionBombWarning: we judge the size ourselves
        try:
            with Image.open(path, formats=_RASTER_FORMATS) as image:  # reads the header only
                width, height = image.size
                if width <= 0 or height <= 0:
                    return f"declares an empty size ({width} x {height} pixels)"
                if width * height > MAX_IMAGE_PIXELS:
                    return _bomb_reason(width, height)
                image.verify()
            with Image.open(path, formats=_RASTER_FORMATS) as image:
                if image.format == "JPEG":
                    image.draft("RGB", (max(1, width // 8), max(1, height // 8)))
                image.load()
        except Image.DecompressionBombError:
            return _bomb_reason(*_declared_size(path))
        except OSError as error:
            if "truncated" in str(error) and _is_jpeg(path):
                return None  # a JPEG cut short still shows, as in every viewer
            return f"is damaged or not a readable image ({_short(error)})"
        except Exception as error:  # Pillow raises many kinds on hostile data: never crash
            return f"is damaged or not a readable image ({type(error).__name__}: {_short(error)})"
    return None


def _bomb_reason(width: int, height: int) -> str:
    pixels = width * height
    return (f"declares {width} x {height} pixels ({pixels / 1e6:,.0f} megapixels, at most "
            f"{MAX_IMAGE_PIXELS // 10**6}): a decompression bomb or far too large to print")


def _declared_size(path: Path) -> tuple[int, int]:
    """Width and height from a PNG header without Pillow (for its DecompressionBombError)."""
    try:
        with path.open("rb") as handle:
            head = handle.read(24)
    except OSError:
        return 0, 0
    if head.startswith(b"\x89PNG\r\n\x1a\n") and head[12:16] == b"IHDR":
        return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")
    return 0, 0


def _is_jpeg(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return handle.read(3) == b"\xff\xd8\xff"
    except OSError:
        return False


def _short(error: BaseException) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return text if len(text) <= 100 else text[:97] + "..."


# --- SVG ----------------------------------------------------------------------------------------


def check_svg_bytes(data: bytes) -> str | None:
    """None when the SVG ``data`` can be made safe by ``svg_clean.clean_svg`` (which every
    edition applies before embedding it), else why it is refused (entities, malformed XML, a
    root that is not ``<svg>``)."""
    from handbook_build.svg_clean import refusal

    return refusal(data)


# --- chapters -----------------------------------------------------------------------------------


def check_chapter_size(size: int, shown: str) -> Diagnostic | None:
    """An error when a chapter file of ``size`` bytes is too large to build in bounded time."""
    if size <= MAX_CHAPTER_BYTES:
        return None
    return Diagnostic(
        shown, 1, f"the chapter is {_size(size)}, more than the {_size(MAX_CHAPTER_BYTES)} a "
        "chapter may be",
        "split it into several chapters (or check that it is the right file)",
        code="chapter-too-large")


_FENCE = re.compile(r"^[ \t]*(`{3,}|~{3,})")
_QUOTE = re.compile(r"^[ \t]{0,3}>[ \t]?")
_ITEM = re.compile(r"^([ \t]*)(?:[-*+]|\d{1,9}[.)])(?:[ \t]+|$)")
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)\b(?:[^<>\"']|\"[^\"]*\"|'[^']*')*?(/?)>")
# Void elements never nest; these others close themselves when a sibling opens (or are often
# left open by hand-written HTML), so they do not count towards depth.
_NOT_NESTING = frozenset({
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
    "source", "track", "wbr", "p", "li", "dt", "dd", "tr", "td", "th", "thead", "tbody",
    "tfoot", "option", "colgroup", "caption", "rt", "rp",
})


def check_chapter_text(text: str, shown: str) -> list[Diagnostic]:
    """Errors for lists/quotes nested deeper than ``MAX_NESTING`` and raw HTML deeper than
    ``MAX_RAW_HTML_DEPTH``, each at the line where the limit is first passed."""
    problems: list[Diagnostic] = []
    depth, line = _block_nesting(text, MAX_NESTING)
    if depth > MAX_NESTING:
        problems.append(Diagnostic(
            shown, line, f"lists and block quotes nest more than {MAX_NESTING} levels deep "
            f"from here ({depth} at the deepest)",
            "flatten the list: readers cannot follow that many levels",
            code="nesting-too-deep"))
    depth, line = _raw_html_nesting(text, MAX_RAW_HTML_DEPTH)
    if depth > MAX_RAW_HTML_DEPTH:
        problems.append(Diagnostic(
            shown, line, f"raw HTML elements nest more than {MAX_RAW_HTML_DEPTH} deep from "
            f"here ({depth} at the deepest)", "write it as Markdown or close the open tags",
            code="nesting-too-deep"))
    return problems


def _block_nesting(text: str, limit: int) -> tuple[int, int]:
    """(deepest list + quote nesting, first line nested deeper than ``limit``), outside fenced
    code blocks.

    An estimate that errs low: an item is nested under the open items indented less than it,
    and a line of unindented prose ends every open list.
    """
    deepest, first_over = 0, 1
    fence = ""
    indents: list[int] = []
    quotes_before = 0
    for number, raw in enumerate(text.split("\n"), start=1):
        quotes = 0
        line = raw
        while (match := _QUOTE.match(line)) is not None:
            quotes += 1
            line = line[match.end():]
        fence_match = _FENCE.match(line)
        if fence_match is not None:
            marker = fence_match.group(1)
            if not fence:
                fence = marker
            elif marker[0] == fence[0] and len(marker) >= len(fence):
                fence = ""
            continue
        if fence or not line.strip():
            continue
        if quotes != quotes_before:
            indents = []
            quotes_before = quotes
        item = _ITEM.match(line)
        width = len(line) - len(line.lstrip(" \t")) if item is None else len(
            item.group(1).expandtabs(4))
        if item is None:
            if width == 0:
                indents = []
            depth = quotes + len(indents)
        else:
            while indents and indents[-1] >= width:
                indents.pop()
            indents.append(width)
            depth = quotes + len(indents)
        if depth > limit and deepest <= limit:
            first_over = number
        deepest = max(deepest, depth)
    return deepest, first_over


def _raw_html_nesting(text: str, limit: int) -> tuple[int, int]:
    """(deepest raw HTML nesting, first line nested deeper than ``limit``), counting only
    elements that really nest, and none inside code: ``Rc<T>`` in a code span or a listing is
    text, not an open tag (pandoc prints it as written)."""
    if "<" not in text:
        return 0, 1
    text = mask_code(text, " ")  # same offsets and lines, so the line reported stays right
    stack: list[str] = []
    deepest, first_over = 0, 1
    for match in _TAG.finditer(text):
        closing, name, self_closing = match.group(1), match.group(2).lower(), match.group(3)
        if name in _NOT_NESTING or self_closing:
            continue
        if closing:
            if name in stack:
                while stack and stack.pop() != name:
                    pass
            continue
        stack.append(name)
        if len(stack) > limit and deepest <= limit:
            first_over = text.count("\n", 0, match.start()) + 1
        deepest = max(deepest, len(stack))
    return deepest, first_over


# --- the final HTML -----------------------------------------------------------------------------


def html_depth(fragment_html: str) -> int:
    """How many elements deep the HTML fragment nests (the fragment's root counts as 1)."""
    from lxml import etree, html

    try:
        root = html.fragment_fromstring(fragment_html, create_parent="div")
    except (etree.ParserError, ValueError):
        return 0
    deepest = 0
    stack = [(root, 0)]
    while stack:
        element, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in element)
    return deepest


def check_html_depth(sections: Iterable[HtmlSection]) -> list[Diagnostic]:
    """Errors for sections whose HTML nests deeper than ``MAX_HTML_DEPTH`` elements."""
    problems: list[Diagnostic] = []
    for section in sections:
        depth = html_depth(section.html)
        if depth > MAX_HTML_DEPTH:
            node = section.node
            shown = _shown(node.source_path) if node.source_path else node.title
            problems.append(Diagnostic(
                shown, None, f"the chapter's HTML nests {depth} elements deep (at most "
                f"{MAX_HTML_DEPTH}); no renderer can lay that out",
                "flatten nested lists, quotes and raw HTML", code="nesting-too-deep"))
    return problems


def _shown(path: Path) -> str:
    from handbook_build.display import shown

    return shown(path)
