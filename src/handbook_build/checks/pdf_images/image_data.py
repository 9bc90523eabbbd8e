"""Whether an image's data is what its dictionary says: the component count of a JPEG's frame,
the decoded length of Flate and the other general filters (PNG predictor bytes counted), the soft
mask likewise; and a digest that tells which source file it came from."""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass
from typing import Any

import pikepdf

from handbook_build.checks.pdf_images.jpeg import jpeg_frame, undo_general_filters

DEVICE_COMPONENTS = {
    "DeviceGray": 1, "CalGray": 1, "G": 1,
    "DeviceRGB": 3, "CalRGB": 3, "Lab": 3, "RGB": 3,
    "DeviceCMYK": 4, "CMYK": 4,
    "Indexed": 1, "I": 1, "Separation": 1, "Pattern": 1,
}
# Filters whose output qpdf can produce (everything but the image codecs).
GENERAL_FILTERS = frozenset(
    {"FlateDecode", "LZWDecode", "RunLengthDecode", "ASCII85Decode", "ASCIIHexDecode"}
)


@dataclass(frozen=True)
class ImageCheck:
    color_space: str
    components: int
    bits: int
    filter: str
    problem: str
    has_smask: bool
    data_components: int
    digest: str = ""


def check_image(image: pikepdf.Stream, is_mask: bool = False) -> ImageCheck:
    """What ``image`` declares and whether its data agrees."""
    filters = _filters(image)
    width, height = pdf_int(image.get("/Width")), pdf_int(image.get("/Height"))
    is_stencil = bool(image.get("/ImageMask", False))
    if is_stencil:
        space, components, bits = "ImageMask", 1, 1
    elif is_mask:
        space, components = "DeviceGray", 1
        bits = pdf_int(image.get("/BitsPerComponent"), 8)
    else:
        space, components = _color_space(image.get("/ColorSpace"))
        bits = pdf_int(image.get("/BitsPerComponent"), 8)
    problem, data_components = _data_problem(image, filters, width, height, components, bits, space)
    smask = image.get("/SMask")
    has_smask = isinstance(smask, pikepdf.Stream)
    if isinstance(smask, pikepdf.Stream) and not problem:
        mask = check_image(smask, is_mask=True)
        if mask.problem:
            problem = f"its soft mask: {mask.problem}"
    digest = "" if is_mask else _digest(image, filters, problem)
    return ImageCheck(space, components, bits, " ".join(filters), problem, has_smask,
                      data_components, digest)


def _digest(image: pikepdf.Stream, filters: list[str], problem: str) -> str:
    """sha256 of what identifies the picture: a JPEG's bytes as embedded (WeasyPrint copies the
    file), else the decoded samples (it re-encodes PNG data); "" when neither can be had."""
    import hashlib

    try:
        if filters == ["DCTDecode"]:
            return hashlib.sha256(image.read_raw_bytes()).hexdigest()
        if not problem and filters and all(name in GENERAL_FILTERS for name in filters):
            return hashlib.sha256(image.read_bytes()).hexdigest()
    except pikepdf.PdfError:
        pass
    return ""


def _data_problem(image: pikepdf.Stream, filters: list[str], width: int, height: int,
                  components: int, bits: int, space: str) -> tuple[str, int]:
    if width <= 0 or height <= 0:
        return f"/Width {width} x /Height {height} is no image", 0
    if bits not in (1, 2, 4, 8, 16):
        return f"/BitsPerComponent {bits} is not 1, 2, 4, 8 or 16", 0
    last = filters[-1] if filters else ""
    if last == "DCTDecode":
        return _jpeg_problem(image, width, height, components, space)
    if last in ("JPXDecode", "CCITTFaxDecode", "JBIG2Decode"):
        return "", 0  # codecs with their own colour model; not checked here
    if components <= 0:
        return f"/ColorSpace {space} is unknown", 0
    if any(name not in GENERAL_FILTERS for name in filters):
        return f"unknown filter {' '.join(filters)}", 0
    try:
        data, predicted = _decoded_rows(image, filters)
    except (pikepdf.PdfError, zlib.error, ValueError) as error:
        return f"its data does not decompress ({error})", 0
    row = math.ceil(width * components * bits / 8) + (1 if predicted else 0)
    wanted = row * height
    if len(data) == wanted:
        return "", components
    problem = (f"{len(data)} bytes of data, {space} {width}x{height} at {bits} bit "
               f"needs {wanted}")
    for guess in (1, 2, 3, 4):
        guess_row = math.ceil(width * guess * bits / 8) + (1 if predicted else 0)
        if guess != components and guess_row * height == len(data):
            return (f"data has {guess} components, /ColorSpace says {components} ({space}); "
                    + problem), guess
    return problem, 0


def _decoded_rows(image: pikepdf.Stream, filters: list[str]) -> tuple[bytes, bool]:
    """The image's bytes with the general filters undone, and whether rows still carry PNG
    predictor bytes. Plain Flate is inflated by hand and the predictor bytes counted: qpdf would
    undo the predictor with the /DecodeParms' own /Colors, which a mislabelled stream may get
    right while its /ColorSpace is wrong."""
    parms = image.get("/DecodeParms")
    if isinstance(parms, pikepdf.Array):
        parms = parms[-1] if len(parms) else None
    predictor = (pdf_int(parms.get("/Predictor"), 1) if isinstance(parms, pikepdf.Dictionary)
                 else 1)
    if filters == ["FlateDecode"]:
        inflate = zlib.decompressobj()
        data = inflate.decompress(image.read_raw_bytes())
        if predictor >= 10:
            return data, True
        if predictor == 1:
            return data, False
    data = image.read_bytes(decode_level=pikepdf.StreamDecodeLevel.generalized)
    return data, False  # qpdf applied any predictor


def _jpeg_problem(image: pikepdf.Stream, width: int, height: int, components: int,
                  space: str) -> tuple[str, int]:
    try:
        data = undo_general_filters(image.read_raw_bytes(), _filters(image)[:-1])
    except (pikepdf.PdfError, zlib.error, ValueError) as error:
        return f"its JPEG data cannot be read ({error})", 0
    frame = jpeg_frame(data)
    if frame is None:
        return "its DCT data has no JPEG frame header (SOF)", 0
    jpeg_width, jpeg_height, jpeg_components = frame
    if components > 0 and jpeg_components != components:
        return (f"JPEG has {jpeg_components} components, /ColorSpace says {components} "
                f"({space})"), jpeg_components
    if (jpeg_width, jpeg_height) != (width, height):
        return (f"JPEG is {jpeg_width}x{jpeg_height}, the image dictionary says "
                f"{width}x{height}"), jpeg_components
    return "", jpeg_components


def _color_space(value: Any) -> tuple[str, int]:
    """(family name, component count) of an image's /ColorSpace; (name, 0) when unknown."""
    if value is None:
        return "", 0
    if isinstance(value, pikepdf.Name):
        name = str(value)[1:]
        return name, DEVICE_COMPONENTS.get(name, 0)
    if isinstance(value, pikepdf.Array) and len(value):
        family = str(value[0])[1:]
        if family == "ICCBased" and isinstance(value[1], pikepdf.Stream):
            return family, pdf_int(value[1].get("/N"))
        if family == "DeviceN" and len(value) > 1 and isinstance(value[1], pikepdf.Array):
            return family, len(value[1])
        return family, DEVICE_COMPONENTS.get(family, 0)
    return str(value), 0


def _filters(image: pikepdf.Stream) -> list[str]:
    value = image.get("/Filter")
    if value is None:
        return []
    if isinstance(value, pikepdf.Array):
        return [str(item)[1:] for item in value]
    return [str(value)[1:]]


def pdf_int(value: Any, default: int = 0) -> int:
    try:
        return int(value) if value is not None else default
    except (TypeError, ValueError):
        return default
