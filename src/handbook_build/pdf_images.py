"""The project's one PDF image inspector: every placed raster image, where it is, and whether its
data is what its dictionary says -> PlacedImage.

Two questions a viewer answers silently and a press answers on paper:
- **Does it decode?** A stream whose data disagrees with its ``/ColorSpace`` draws as smears,
  stripes or a black box (colour JPEG or PNG data under a ``/DeviceGray`` label is the case this
  was written for). For ``DCTDecode`` the component count in the JPEG's SOF marker must equal the
  colour space's; for the other general filters the decoded length must equal
  ``ceil(width * components * bpc / 8) * height`` (plus one filter byte per row under a PNG
  predictor). A soft mask is checked the same way, as the grey image it is.
- **How large is it printed?** Each page's content stream is walked (``q``/``Q``/``cm`` for the
  current transformation matrix, ``Do`` of image XObjects, form XObjects recursively, and the tile
  of a tiling pattern where a pattern is used): the unit square under the CTM is the placed
  rectangle, and pixels over inches at that size is the effective resolution.

pikepdf (qpdf) reads the file; no pixel is decoded except to inflate Flate data. Poppler's
``pdfimages -list`` gives the same colour, component and ppi figures (the tests compare).
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pikepdf

Matrix = tuple[float, float, float, float, float, float]
IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
POINTS_PER_INCH = 72.0
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
# JPEG markers C0-CF are start-of-frame except DHT (C4), JPG (C8) and DAC (CC).
SOF_MARKERS = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
WANTED_OPERATORS = "q Q cm Do scn SCN"
MAX_FORM_DEPTH = 12  # forms nest; a cycle (malformed file) stops here


@dataclass(frozen=True)
class PlacedImage:
    """One placement of one image XObject on one page (an image drawn twice is two of these)."""

    page_index: int  # 0-based physical page
    name: str  # XObject resource name as the content stream calls it ("/Im3")
    width_px: int
    height_px: int
    color_space: str  # "DeviceRGB", "DeviceGray", "DeviceCMYK", "ICCBased", "Indexed", ...
    components: int  # what the colour space declares (0: unknown, e.g. JPX without one)
    bits_per_component: int
    filter: str  # "DCTDecode", "FlateDecode", "" (several joined by spaces)
    decodes: bool  # the data agrees with the colour space
    problem: str  # "" or why not
    bbox_pt: tuple[float, float, float, float]  # (x0, y0, x1, y1) in default user space
    ppi: float  # effective resolution at the placed size: min of x and y
    has_smask: bool
    object_id: tuple[int, int] = (0, 0)  # (object number, generation): same image, same id
    ppi_xy: tuple[float, float] = (0.0, 0.0)
    in_pattern: bool = False  # the tile of a tiling pattern (drawn repeatedly), not a figure
    data_components: int = 0  # what the data holds, where it can be told (JPEG SOF); else 0
    # sha256 of the JPEG bytes (DCT) or of the decoded samples (Flate): which file it came from
    digest: str = ""

    @property
    def size_in(self) -> tuple[float, float]:
        """The placed rectangle's width and height in inches."""
        x0, y0, x1, y1 = self.bbox_pt
        return (x1 - x0) / POINTS_PER_INCH, (y1 - y0) / POINTS_PER_INCH


@dataclass(frozen=True)
class _Decode:
    color_space: str
    components: int
    bits: int
    filter: str
    problem: str
    has_smask: bool
    data_components: int
    digest: str = ""


def placed_images(pdf: Path | bytes) -> tuple[PlacedImage, ...]:
    """Every image placement in ``pdf`` (a path or the bytes), page by page, in drawing order."""
    source: Any = pdf if isinstance(pdf, Path) else _bytes_io(pdf)
    with pikepdf.open(source) as document:
        checked: dict[tuple[int, int], _Decode] = {}
        tiles: dict[tuple[int, int], list[PlacedImage]] = {}
        found: list[PlacedImage] = []
        for index, page in enumerate(document.pages):
            walker = _Walker(index, checked, tiles)
            walker.walk(page.obj, page.resources, IDENTITY, depth=0)
            found.extend(walker.found)
        return tuple(found)


def mislabelled(images: tuple[PlacedImage, ...]) -> tuple[PlacedImage, ...]:
    """The placements whose data does not decode as labelled."""
    return tuple(image for image in images if not image.decodes)


def _bytes_io(data: bytes) -> Any:
    import io

    return io.BytesIO(data)


class _Walker:
    """Walks one page's content (and the forms and patterns it calls) collecting placements."""

    def __init__(self, page_index: int, checked: dict[tuple[int, int], _Decode],
                 tiles: dict[tuple[int, int], list[PlacedImage]]) -> None:
        self.page_index = page_index
        self.checked = checked
        self.tiles = tiles  # a pattern's placements, the same on every page that uses it
        self.found: list[PlacedImage] = []
        self._patterns_seen: set[tuple[int, int]] = set()

    def walk(self, stream: Any, resources: Any, ctm: Matrix, depth: int,
             in_pattern: bool = False) -> None:
        if depth > MAX_FORM_DEPTH:
            return
        if not _may_draw_images(resources):
            return  # no XObject and no pattern: text and rules only (most pages of a book)
        try:
            # Only the operators that place images: qpdf filters in C++, text is not built up.
            instructions = pikepdf.parse_content_stream(stream, WANTED_OPERATORS)
        except pikepdf.PdfError:
            return  # an unreadable stream draws nothing; pdfcheck reports broken files
        stack: list[Matrix] = []
        for instruction in instructions:
            operator = str(instruction.operator)
            if operator == "q":
                stack.append(ctm)
            elif operator == "Q":
                ctm = stack.pop() if stack else ctm
            elif operator == "cm" and len(instruction.operands) == 6:
                ctm = _multiply(tuple(float(v) for v in instruction.operands), ctm)  # type: ignore[arg-type]
            elif operator == "Do" and instruction.operands:
                self._do(str(instruction.operands[0]), resources, ctm, depth, in_pattern)
            elif operator in ("scn", "SCN") and instruction.operands:
                last = instruction.operands[-1]
                if isinstance(last, pikepdf.Name):
                    self._pattern(str(last), resources, depth)

    def _do(self, name: str, resources: Any, ctm: Matrix, depth: int, in_pattern: bool) -> None:
        xobject = _lookup(resources, "/XObject", name)
        if not isinstance(xobject, pikepdf.Stream):
            return
        subtype = xobject.get("/Subtype")
        if subtype == pikepdf.Name.Form:
            matrix = _matrix(xobject.get("/Matrix"))
            inner = xobject.get("/Resources", resources)
            self.walk(xobject, inner, _multiply(matrix, ctm), depth + 1, in_pattern)
        elif subtype == pikepdf.Name.Image:
            self.found.append(self._placement(name, xobject, ctm, in_pattern))

    def _pattern(self, name: str, resources: Any, depth: int) -> None:
        pattern = _lookup(resources, "/Pattern", name)
        if not isinstance(pattern, pikepdf.Stream) or pattern.get("/PatternType") != 1:
            return  # shading patterns hold no image
        key = pattern.objgen
        if key in self._patterns_seen:
            return
        self._patterns_seen.add(key)
        known = self.tiles.get(key)
        if known is not None:
            self.found.extend(replace(image, page_index=self.page_index) for image in known)
            return
        # A pattern's matrix maps pattern space to the default space of the page that uses it,
        # whatever the CTM where it is used: its tile is placed by the matrix alone (and so is
        # the same on every page: walked once per document).
        start = len(self.found)
        inner = pattern.get("/Resources", resources)
        self.walk(pattern, inner, _matrix(pattern.get("/Matrix")), depth + 1, in_pattern=True)
        self.tiles[key] = self.found[start:]

    def _placement(self, name: str, image: pikepdf.Stream, ctm: Matrix,
                   in_pattern: bool) -> PlacedImage:
        key = image.objgen
        decode = self.checked.get(key)
        if decode is None:
            decode = self.checked[key] = _check_image(image)
        width, height = _int(image.get("/Width")), _int(image.get("/Height"))
        a, b, c, d, e, f = ctm
        corners = [(e, f), (a + e, b + f), (c + e, d + f), (a + c + e, b + d + f)]
        xs, ys = [x for x, _ in corners], [y for _, y in corners]
        # The image's own axes under the CTM (rotation and skew included), in inches.
        across_in = math.hypot(a, b) / POINTS_PER_INCH
        down_in = math.hypot(c, d) / POINTS_PER_INCH
        ppi_x = width / across_in if across_in > 0 else 0.0
        ppi_y = height / down_in if down_in > 0 else 0.0
        return PlacedImage(
            page_index=self.page_index, name=name, width_px=width, height_px=height,
            color_space=decode.color_space, components=decode.components,
            bits_per_component=decode.bits, filter=decode.filter,
            decodes=not decode.problem, problem=decode.problem,
            bbox_pt=(round(min(xs), 3), round(min(ys), 3), round(max(xs), 3), round(max(ys), 3)),
            ppi=round(min(ppi_x, ppi_y), 2), has_smask=decode.has_smask, object_id=key,
            ppi_xy=(round(ppi_x, 2), round(ppi_y, 2)), in_pattern=in_pattern,
            data_components=decode.data_components, digest=decode.digest,
        )


def _check_image(image: pikepdf.Stream, is_mask: bool = False) -> _Decode:
    """What ``image`` declares and whether its data agrees."""
    filters = _filters(image)
    width, height = _int(image.get("/Width")), _int(image.get("/Height"))
    is_stencil = bool(image.get("/ImageMask", False))
    if is_stencil:
        space, components, bits = "ImageMask", 1, 1
    elif is_mask:
        space, components = "DeviceGray", 1
        bits = _int(image.get("/BitsPerComponent"), 8)
    else:
        space, components = _color_space(image.get("/ColorSpace"))
        bits = _int(image.get("/BitsPerComponent"), 8)
    problem, data_components = _data_problem(image, filters, width, height, components, bits, space)
    smask = image.get("/SMask")
    has_smask = isinstance(smask, pikepdf.Stream)
    if isinstance(smask, pikepdf.Stream) and not problem:
        mask = _check_image(smask, is_mask=True)
        if mask.problem:
            problem = f"its soft mask: {mask.problem}"
    digest = "" if is_mask else _digest(image, filters, problem)
    return _Decode(space, components, bits, " ".join(filters), problem, has_smask,
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
    predictor = _int(parms.get("/Predictor"), 1) if isinstance(parms, pikepdf.Dictionary) else 1
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
        data = _undo_general_filters(image.read_raw_bytes(), _filters(image)[:-1])
    except (pikepdf.PdfError, zlib.error, ValueError) as error:
        return f"its JPEG data cannot be read ({error})", 0
    frame = _jpeg_frame(data)
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


def _undo_general_filters(data: bytes, filters: list[str]) -> bytes:
    """``data`` with the filters applied before DCTDecode undone (qpdf will only decode a
    chain it can finish, and it cannot finish a JPEG)."""
    import base64
    import binascii

    for name in filters:
        if name == "FlateDecode":
            data = zlib.decompressobj().decompress(data)
        elif name == "ASCII85Decode":
            data = base64.a85decode(data.strip().removesuffix(b"~>"), adobe=False)
        elif name == "ASCIIHexDecode":
            data = binascii.unhexlify(b"".join(data.split()).removesuffix(b">"))
        else:
            raise ValueError(f"{name} before DCTDecode")
    return data


def _jpeg_frame(data: bytes) -> tuple[int, int, int] | None:
    """(width, height, components) from the first SOF marker, or None."""
    if data[:2] != b"\xff\xd8":
        return None
    at = 2
    while at + 4 <= len(data):
        if data[at] != 0xFF:
            return None
        marker = data[at + 1]
        if marker == 0xFF:  # fill byte
            at += 1
            continue
        if marker in (0x01, *range(0xD0, 0xD8)):  # standalone markers, no length
            at += 2
            continue
        length = int.from_bytes(data[at + 2:at + 4], "big")
        if marker in SOF_MARKERS:
            if at + 10 > len(data):
                return None
            height = int.from_bytes(data[at + 5:at + 7], "big")
            width = int.from_bytes(data[at + 7:at + 9], "big")
            return width, height, data[at + 9]
        if marker == 0xDA:  # start of scan before any frame: not a JPEG we can read
            return None
        at += 2 + length
    return None


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
            return family, _int(value[1].get("/N"))
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


def _may_draw_images(resources: Any) -> bool:
    if not isinstance(resources, pikepdf.Dictionary):
        return False
    for key in ("/XObject", "/Pattern"):
        group = resources.get(key)
        if isinstance(group, pikepdf.Dictionary) and len(group):
            return True
    return False


def _lookup(resources: Any, category: str, name: str) -> Any:
    if not isinstance(resources, pikepdf.Dictionary):
        return None
    group = resources.get(category)
    if not isinstance(group, pikepdf.Dictionary):
        return None
    return group.get(name)


def _matrix(value: Any) -> Matrix:
    if isinstance(value, pikepdf.Array) and len(value) == 6:
        a, b, c, d, e, f = (float(item) for item in value)
        return a, b, c, d, e, f
    return IDENTITY


def _multiply(m: Matrix, n: Matrix) -> Matrix:
    """m x n: a point goes through m first, then n (``cm`` gives CTM' = M x CTM)."""
    a, b, c, d, e, f = m
    a2, b2, c2, d2, e2, f2 = n
    return (
        a * a2 + b * c2, a * b2 + b * d2,
        c * a2 + d * c2, c * b2 + d * d2,
        e * a2 + f * c2 + e2, e * b2 + f * d2 + f2,
    )


def _int(value: Any, default: int = 0) -> int:
    try:
        return int(value) if value is not None else default
    except (TypeError, ValueError):
        return default


def describe(image: PlacedImage) -> str:
    """One line for a report: page, size, space, ppi, and the problem if any."""
    width_in, height_in = image.size_in
    text = (f"p. {image.page_index + 1}: {image.name} {image.width_px}x{image.height_px} px "
            f"{image.color_space} ({image.components}) {image.filter or 'raw'}, "
            f"{width_in:.2f}x{height_in:.2f} in, {image.ppi:.0f} ppi")
    return text + (f": {image.problem}" if image.problem else "")


def iter_problems(images: tuple[PlacedImage, ...]) -> Iterator[str]:
    """One line per distinct mislabelled image object (a shared image is reported once)."""
    seen: set[tuple[int, int]] = set()
    for image in images:
        if image.decodes or image.object_id in seen:
            continue
        seen.add(image.object_id)
        yield describe(image)
