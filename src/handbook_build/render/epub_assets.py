"""EPUB packaging, binary resources: images, the cover and (optionally) fonts -> package files.

File names inside the package are ASCII, without spaces (EPUBCheck PKG-010/PKG-012, RSC-020)
and assigned in sorted order, so the same book always gets the same names. Images in a format
EPUB readers need not support (not a core media type) are converted to PNG.
"""

from __future__ import annotations

import io
import posixpath
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from handbook_build.errors import SourceError
from handbook_build.model import ImageAsset, Manifest, Metadata
from handbook_build.render.cover_image import LIBERTINE_DIR, typographic_cover
from handbook_build.sources.svg_clean import clean_svg

# EPUB 3.3 core media types for images, with the extension each is stored under.
CORE_IMAGE_TYPES = {"image/png": ".png", "image/jpeg": ".jpg", "image/gif": ".gif",
                    "image/svg+xml": ".svg", "image/webp": ".webp"}
_FONT_FACES = (("LinLibertine_R.otf", "normal", "normal"),
               ("LinLibertine_RI.otf", "italic", "normal"),
               ("LinLibertine_RB.otf", "normal", "bold"),
               ("LinLibertine_RBI.otf", "italic", "bold"))
EMBEDDED_FAMILY = "Linux Libertine O"


@dataclass(frozen=True, slots=True)
class PackageFile:
    href: str  # relative to the package folder
    media_type: str
    data: bytes


def safe_name(text: str, fallback: str = "file") -> str:
    """Lowercase ASCII letters, digits, '-', '_' and '.' only."""
    name = re.sub(r"[^a-z0-9._-]+", "-", text.lower()).strip("-.")
    return name[:80] or fallback


def unique_names(stems: Iterable[tuple[str, str]], taken: Iterable[str] = ()) -> dict[str, str]:
    """key -> file name, given (key, wanted name) pairs; later duplicates get -2, -3, ..."""
    used = set(taken)
    result: dict[str, str] = {}
    for key, wanted in stems:
        stem, extension = posixpath.splitext(wanted)
        name, counter = wanted, 1
        while name in used:
            counter += 1
            name = f"{stem}-{counter}{extension}"
        used.add(name)
        result[key] = name
    return result


def plan_images(images: Sequence[ImageAsset], reserved: Iterable[str] = ()) -> dict[str, str]:
    """HTML ``src`` -> package href (``images/name.ext``), for every image the book knows."""
    wanted = []
    for asset in sorted(images, key=lambda a: a.src):
        stem = safe_name(posixpath.splitext(posixpath.basename(asset.src))[0], "image")
        wanted.append((asset.src, stem + CORE_IMAGE_TYPES.get(asset.media_type, ".png")))
    names = unique_names(wanted, taken=[posixpath.basename(r) for r in reserved])
    return {src: f"images/{name}" for src, name in names.items()}


def is_animated(file: PackageFile) -> bool:
    """True for a moving image (animated GIF/WebP/PNG, SVG with SMIL or CSS animation)."""
    if file.media_type == "image/svg+xml":
        return any(marker in file.data for marker in (b"<animate", b"<set", b"@keyframes"))
    try:
        with Image.open(io.BytesIO(file.data)) as image:
            return bool(getattr(image, "is_animated", False))
    except (OSError, UnidentifiedImageError):
        return False


def _to_png(data: bytes) -> bytes:
    with Image.open(io.BytesIO(data)) as image:
        output = io.BytesIO()
        image.convert("RGBA" if "A" in image.getbands() else "RGB").save(output, "PNG")
        return output.getvalue()


def load_image(path: Path, media_type: str, href: str, where: str) -> tuple[PackageFile, list[str]]:
    """The file's bytes, converted to PNG when its type is not one every reader must support."""
    try:
        data = path.read_bytes()
        if media_type == "image/svg+xml":  # only what the allow-list keeps is packaged
            data = clean_svg(data)
        if media_type in CORE_IMAGE_TYPES:
            return PackageFile(href, media_type, data), []
        return PackageFile(href, "image/png", _to_png(data)), [
            f"{where}: converted to PNG ({media_type} is not an EPUB core media type)"]
    except (OSError, UnidentifiedImageError, ValueError) as error:
        raise SourceError(f"{where}: cannot read image: {error}; check the file") from error


def book_images(images: Sequence[ImageAsset], hrefs: Mapping[str, str],
                used: Iterable[str]) -> tuple[list[PackageFile], list[str]]:
    """The package files for the images the documents actually reference, in href order."""
    by_href = {hrefs[asset.src]: asset for asset in images if asset.src in hrefs}
    files: list[PackageFile] = []
    warnings: list[str] = []
    for href in sorted(set(used)):
        asset = by_href[href]
        file, notes = load_image(asset.path, asset.media_type, href, str(asset.src))
        files.append(file)
        warnings.extend(notes)
    return files, warnings


def cover_file(manifest: Manifest) -> tuple[PackageFile, list[str]]:
    """The manifest's ``cover_image`` if it names one, else the print cover's front panel
    (cover_pdf.front_cover_png), else, if that cannot be drawn, a typographic cover."""
    metadata: Metadata = manifest.metadata
    if metadata.cover_image is None:
        from handbook_build.render.cover_pdf import front_cover_png

        try:
            # At most 6 in wide: a cover is mostly seen as a thumbnail, and on a letter-sized
            # panel its type would be small there.
            front = front_cover_png(metadata, min(manifest.print.geometry.width_in, 6.0),
                                    manifest.styles_dir,
                                    (*manifest.allowed_roots, manifest.styles_dir))
            return PackageFile("images/cover.png", "image/png", front), []
        except Exception as error:  # WeasyPrint and pdfium raise anything from deep inside
            cover = typographic_cover(metadata.title, metadata.subtitle, metadata.authors)
            warnings = [f"cover: the print cover's front could not be drawn ({error}); "
                        "used a typographic cover", *cover.warnings]
            return PackageFile("images/cover.png", "image/png", cover.data), warnings
    path = metadata.cover_image
    path = path if path.is_absolute() else manifest.root_dir / path
    try:
        with Image.open(path) as image:
            kind = (image.format or "").lower()
    except (OSError, UnidentifiedImageError) as error:
        raise SourceError(f"{path}: cannot read the cover image: {error}; "
                          "use a PNG or JPEG file") from error
    media_type = {"png": "image/png", "jpeg": "image/jpeg"}.get(kind, f"image/{kind}")
    extension = ".jpg" if media_type == "image/jpeg" else ".png"
    return load_image(path, media_type, f"images/cover{extension}", str(path))


def font_files(font_dir: Path = LIBERTINE_DIR) -> tuple[list[PackageFile], str, list[str]]:
    """Linux Libertine O for embedding, and the @font-face rules that use it (styles/ -> fonts/)."""
    paths = [font_dir / name for name, _, _ in _FONT_FACES]
    missing = [str(path) for path in paths if not path.is_file()]
    if missing:
        return [], "", [f"fonts not embedded: {', '.join(missing)} missing; "
                        "install fonts-linuxlibertine"]
    files = [PackageFile(f"fonts/{path.name}", "font/otf", path.read_bytes()) for path in paths]
    rules = [f'@font-face {{ font-family: "{EMBEDDED_FAMILY}"; font-style: {style}; '
             f'font-weight: {weight}; src: url("../fonts/{name}"); }}'
             for name, style, weight in _FONT_FACES]
    rules.append(f'body {{ font-family: "{EMBEDDED_FAMILY}", serif; }}')
    return files, "\n".join(rules) + "\n", []
