"""EPUB packaging, last step: the zip ebooklib wrote -> a byte-identical, spec-ordered zip.

ebooklib stamps every entry with the current time and writes entries in insertion order; an
EPUB must start with an uncompressed ``mimetype`` entry. Rewriting the archive ourselves makes
identical input give identical bytes (the same reason Sphinx and Standard Ebooks do it).
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile

MIMETYPE_NAME = "mimetype"
MIMETYPE_CONTENT = b"application/epub+zip"
# Unix regular file, rw-r--r--: the same on every build machine whatever its umask.
_FILE_ATTRIBUTES = (0o100644 & 0xFFFF) << 16
_ZIP_EPOCH = dt.date(1980, 1, 1)  # the earliest date a zip entry can carry
DateTime = tuple[int, int, int, int, int, int]


def zip_date_time(date: dt.date) -> DateTime:
    """The manifest date at midnight as a zip timestamp (clamped to the zip epoch)."""
    date = max(date, _ZIP_EPOCH)
    return (date.year, date.month, date.day, 0, 0, 0)


def _entry(name: str, date_time: DateTime, stored: bool) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=date_time)
    info.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
    info.create_system = 3  # "Unix", so external_attr means the same everywhere
    info.external_attr = _FILE_ATTRIBUTES
    return info


def normalize_epub_zip(data: bytes, date: dt.date) -> bytes:
    """Rewrite ``data``: mimetype first and stored, then every other entry sorted, fixed times."""
    date_time = zip_date_time(date)
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        contents = {
            info.filename: source.read(info)
            for info in source.infolist()
            if not info.is_dir() and info.filename != MIMETYPE_NAME
        }
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w") as target:
        target.writestr(_entry(MIMETYPE_NAME, date_time, stored=True), MIMETYPE_CONTENT)
        for name in sorted(contents):
            target.writestr(_entry(name, date_time, stored=False), contents[name], compresslevel=9)
    return output.getvalue()
