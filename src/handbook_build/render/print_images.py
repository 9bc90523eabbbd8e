"""The print edition's pictures: HtmlBook images -> PrintImages (the files the print PDF draws).

The paper decides: on a colour interior every picture is drawn from its own file, untouched; on
white or cream paper a raster picture that is not already plain grey gets a grey copy, alpha
flattened onto white (PDF/X-1a forbids transparency), orientation applied, saved as a **new file
with its own name** under ``<output>/.cache/print-images/`` and drawn from its own URL,
``print-image:<name>`` (``copies_fetcher`` serves it from the file). The URL names the copy by
its content, not by where the output folder is: WeasyPrint names each image in the PDF after the
md5 of its URL, so an absolute path would make the PDF depend on the output folder.

Why a file and not a fetcher that converts on the fly: WeasyPrint (70) keeps the *path* of a
``file:`` response and embeds that file's bytes, and it keys its image cache by URL. A fetcher
that answered the source URL with grey bytes got a grey label (from the bytes it decoded) on the
colour data it read again from disk: 43 of the handbook's 47 print images were colour JPEG and
PNG streams under ``/DeviceGray``. A converted image with its own URL cannot be confused with
its source by any cache, and a ``print-image:`` response has no file path for WeasyPrint to
read again: it embeds the bytes served. ``pdf_images`` checks the result in the preflight.
"""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from handbook_build.cache_entry import TEMP_PREFIX
from handbook_build.model import HtmlBook, ImageAsset

CONVERTED_DIR = "print-images"
COPY_SCHEME = "print-image:"
# Bump when the conversion changes: the copies' names (and so the pages' cache keys) change too.
CONVERSION_VERSION = "grey-1"
GREY_JPEG_QUALITY = 92


@dataclass(frozen=True, slots=True)
class PrintImage:
    src: str  # as the book's HTML writes it
    source: Path  # the manuscript's file
    path: Path  # the file the print edition draws: the source itself or its converted copy
    pixels: tuple[int, int]
    converted: str = ""  # "" (the source as it is) or "grey"
    name: str = ""  # the source as a report names it (relative to the book's sources)

    @property
    def url(self) -> str:
        """Where the print edition draws it from: its copy's own URL, else the source's."""
        return COPY_SCHEME + self.path.name if self.converted else self.path.as_uri()


@dataclass(frozen=True, slots=True)
class PrintImages:
    images: tuple[PrintImage, ...] = ()
    folder: Path | None = None  # where the converted copies are, when there are any

    def urls(self) -> dict[str, str]:
        """src -> the URL to draw, for the pictures drawn from a converted copy."""
        return {image.src: image.url for image in self.images if image.converted}

    def copies(self) -> tuple[tuple[str, str], ...]:
        """(``print-image:`` URL, path of the copy) pairs, for ``copies_fetcher`` (picklable)."""
        return tuple(sorted({(image.url, str(image.path)) for image in self.images
                             if image.converted}))

    def sources_by_pixels(self) -> dict[tuple[int, int], tuple[str, ...]]:
        """Pixel size -> the source files of that size (how a placed image finds its file)."""
        found: dict[tuple[int, int], list[str]] = {}
        for image in self.images:
            name = image.name or image.source.name
            if name not in found.setdefault(image.pixels, []):
                found[image.pixels].append(name)
        return {pixels: tuple(names) for pixels, names in found.items()}

    def image_sources(self) -> dict[tuple[int, int] | str, tuple[str, ...]]:
        """What the preflight needs to name the file behind a placed image: pixel size ->
        files, and where several files share a size (headshots), the digest of each drawn
        file's data (``pdf_images.PlacedImage.digest``) -> its file."""
        by_pixels = self.sources_by_pixels()
        sources: dict[tuple[int, int] | str, tuple[str, ...]] = {
            pixels: names for pixels, names in by_pixels.items()
        }
        for image in self.images:
            if len(by_pixels[image.pixels]) > 1:
                digest = drawn_digest(image.path)
                if digest:
                    sources[digest] = (image.name or image.source.name,)
        return sources


def copies_fetcher(roots: Sequence[Path], copies: Sequence[tuple[str, str]]) -> Any:
    """The confined fetcher, also serving each ``print-image:`` URL of ``copies`` from its file
    (and nothing else under that scheme). The response carries the copy's own URL and no file
    path, so WeasyPrint embeds exactly the bytes served."""
    from weasyprint.urls import URLFetcherResponse

    from handbook_build.render.fetch import ConfinedFetcher, content_type

    files = {url: Path(path) for url, path in copies}

    class PrintImageFetcher(ConfinedFetcher):
        def fetch(self, url: str, headers: object = None) -> Any:
            path = files.get(url)
            if path is None:
                return super().fetch(url, headers)
            self.attempts.append(url)
            return URLFetcherResponse(url, path.read_bytes(),
                                      {"Content-Type": content_type(path)})

    return PrintImageFetcher(roots)


def drawn_digest(path: Path) -> str:
    """sha256 of the data WeasyPrint embeds for ``path``: a JPEG's bytes, else the samples it
    re-encodes (palette and transparency expanded as it does, alpha split off)."""
    from PIL import Image, UnidentifiedImageError

    try:
        data = path.read_bytes()
        with Image.open(io.BytesIO(data)) as opened:
            if opened.format == "JPEG":
                return hashlib.sha256(data).hexdigest()
            image: Image.Image = opened
            if "transparency" in image.info:
                image = image.convert("RGBA")
            elif image.mode in ("1", "P", "I"):
                image = image.convert("RGB")
            if image.mode in ("RGBA", "LA"):
                image = image.convert(image.mode[:-1])
            return hashlib.sha256(image.tobytes()).hexdigest()
    except (OSError, UnidentifiedImageError, ValueError):
        return ""


def print_images(html_book: HtmlBook) -> PrintImages:
    """The book's raster pictures as the print edition draws them (converted where the paper
    asks), copies written under the output folder's cache."""
    from handbook_build.cache import cache_dir

    manifest = html_book.manifest
    grey = manifest.print.paper != "color"
    bases = (manifest.source_dir, manifest.root_dir)
    return prepare_print_images(html_book.images, grey,
                                cache_dir(html_book.output_dir) / CONVERTED_DIR, bases)


def prepare_print_images(assets: Sequence[ImageAsset], grey: bool, folder: Path,
                         bases: Sequence[Path] = ()) -> PrintImages:
    """``assets`` with a grey copy in ``folder`` for each that needs one when ``grey``; names
    relative to the first of ``bases`` holding the file."""
    from PIL import Image, UnidentifiedImageError

    images: list[PrintImage] = []
    for asset in assets:
        try:
            with Image.open(asset.path) as opened:
                pixels = opened.size
                needs_copy = grey and not _plain_grey(opened)
        except (OSError, UnidentifiedImageError, Image.DecompressionBombError):
            continue  # SVG (vector art has no pixels) or unreadable (images.py reported it)
        data = asset.path.read_bytes()
        pixels = _oriented(data, pixels)  # as WeasyPrint draws it (it turns by EXIF too)
        if not needs_copy:
            images.append(PrintImage(asset.src, asset.path, asset.path, pixels,
                                     name=_name(asset.path, bases)))
            continue
        copy = _grey_copy(data, asset.path, folder)
        images.append(PrintImage(asset.src, asset.path, copy, pixels, "grey",
                                 _name(asset.path, bases)))
    copies = {image.path for image in images if image.converted}
    _prune(folder, copies)
    return PrintImages(tuple(images), folder if copies else None)


def _prune(folder: Path, keep: set[Path]) -> None:
    """Remove the copies of pictures the book no longer has (or had in another version)."""
    if not folder.is_dir():
        return
    for path in folder.iterdir():
        if path not in keep and path.is_file() and "-grey." in path.name:
            path.unlink(missing_ok=True)


def _plain_grey(image: object) -> bool:
    """Grey already, with nothing to flatten or turn: drawn from the source as it is."""
    mode = getattr(image, "mode", "")
    info = getattr(image, "info", {})
    exif = image.getexif() if hasattr(image, "getexif") else {}
    return mode == "L" and "transparency" not in info and exif.get(0x0112, 1) == 1


def _grey_copy(data: bytes, source: Path, folder: Path) -> Path:
    """The grey copy of ``data``: named by the source's stem and a digest of its bytes, so an
    edited picture gets a new name; written once, atomically."""
    digest = hashlib.sha256(CONVERSION_VERSION.encode() + data).hexdigest()[:16]
    body, suffix = grey_image_bytes(data)
    target = folder / f"{_safe_stem(source)}-{digest}-grey{suffix}"
    if not target.is_file() or target.read_bytes() != body:
        folder.mkdir(parents=True, exist_ok=True)
        # Named as cache_entry names its temporaries, so that one left by a killed worker is
        # swept by the next build (or by this one's stop), never left in the cache for good.
        partial = folder / f"{TEMP_PREFIX}{os.getpid()}-{target.name}"
        try:
            partial.write_bytes(body)
            os.replace(partial, target)
        finally:
            partial.unlink(missing_ok=True)
    return target


def grey_image_bytes(data: bytes) -> tuple[bytes, str]:
    """``data`` as an 8-bit grey picture without alpha, orientation applied: (bytes, suffix).

    A JPEG stays a JPEG (photographs), anything else becomes PNG (line art keeps its edges).
    Same input, same bytes: no time or text chunk is written.
    """
    from PIL import Image, ImageOps

    with Image.open(io.BytesIO(data)) as opened:
        is_jpeg = opened.format == "JPEG"
        upright = ImageOps.exif_transpose(opened)
        rgba = upright.convert("RGBA")
    white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    grey = Image.alpha_composite(white, rgba).convert("L")
    buffer = io.BytesIO()
    if is_jpeg:
        grey.save(buffer, format="JPEG", quality=GREY_JPEG_QUALITY)
        return buffer.getvalue(), ".jpg"
    grey.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue(), ".png"


def _oriented(data: bytes, pixels: tuple[int, int]) -> tuple[int, int]:
    """The pixel size after EXIF orientation (a turned photo's width and height swap)."""
    from PIL import Image

    with Image.open(io.BytesIO(data)) as opened:
        turned = opened.getexif().get(0x0112, 1) in (5, 6, 7, 8)
    return (pixels[1], pixels[0]) if turned else pixels


def _name(path: Path, bases: Sequence[Path]) -> str:
    real = path.resolve()
    for base in bases:
        if real.is_relative_to(base.resolve()):
            return real.relative_to(base.resolve()).as_posix()
    return str(path)


def _safe_stem(path: Path) -> str:
    stem = "".join(c if c.isalnum() or c in "-_" else "-" for c in path.stem)
    return stem[:60] or "image"
