"""What a file's first bytes say it is: a supported image type, a known unsupported format, or
something else (named for the message)."""

from __future__ import annotations


def sniff_media_type(header: bytes, suffix: str = "") -> str | None:
    """The image media type from a file's first bytes, or None when it is not an image."""
    if header.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if header.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if header.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if header.startswith(b"RIFF") and header[8:12] == b"WEBP":
        return "image/webp"
    return "image/svg+xml" if _looks_like_svg(header, suffix) else None


def _looks_like_svg(header: bytes, suffix: str) -> bool:
    text = header.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if not text.startswith(b"<"):
        return False
    if b"<svg" in text:
        return True
    # Only the header is read: an XML prolog or long comment may push <svg past it, so trust
    # the extension then.
    return suffix.lower() == ".svg" and text.startswith((b"<?xml", b"<!--", b"<!doctype svg"))


SUPPORTED_FORMATS = "PNG, JPEG, GIF, WebP or SVG"
# Image formats people save from cameras and scanners that no edition can show: (name,
# offset, any of these signatures there).
_UNSUPPORTED_FORMATS: tuple[tuple[str, int, tuple[bytes, ...]], ...] = (
    ("TIFF", 0, (b"II*\x00", b"MM\x00*")),
    ("BMP", 0, (b"BM",)),
    ("HEIC/HEIF", 4, (b"ftypheic", b"ftypheix", b"ftyphevc", b"ftypheim", b"ftypheis",
                      b"ftypmif1", b"ftypmsf1")),
    ("AVIF", 4, (b"ftypavif", b"ftypavis")),
    ("JPEG XL", 0, (b"\xff\x0a", b"\x00\x00\x00\x0cJXL ")),
    ("JPEG 2000", 0, (b"\x00\x00\x00\x0cjP  ",)),
    ("Photoshop (PSD)", 0, (b"8BPS",)),
    ("Windows icon (ICO)", 0, (b"\x00\x00\x01\x00",)),
)


def unsupported_format(header: bytes) -> str | None:
    """The name of a known image format the editions cannot show (TIFF, BMP, HEIC...)."""
    return next((name for name, offset, signatures in _UNSUPPORTED_FORMATS
                 if header[offset:].startswith(signatures)), None)


def describe_header(header: bytes) -> str:
    if header.startswith(b"%PDF"):
        return "a PDF document"
    if header.lstrip().lower().startswith((b"<!doctype html", b"<html")):
        return "an HTML page"
    return f"content starting {header[:8]!r}"
