"""Images: a raster image identifiable, within ``MAX_IMAGE_PIXELS`` (read from the header, so a
decompression bomb costs nothing) and decoding without error; an SVG well-formed, without
entities, with an ``<svg>`` root."""

from __future__ import annotations

import warnings
from pathlib import Path

from handbook_build.sources.guard.limits import MAX_IMAGE_BYTES, MAX_IMAGE_PIXELS, MAX_SVG_BYTES

_RASTER_FORMATS = ("PNG", "JPEG", "GIF", "WEBP")
_CACHE: dict[tuple[str, int, int, str], str | None] = {}


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
    from handbook_build.sources.svg_clean import refusal

    return refusal(data)
