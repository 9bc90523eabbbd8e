"""How large each image is printed: every page's content stream walked (``q``/``Q``/``cm`` for
the current transformation matrix, ``Do`` of image XObjects, form XObjects recursively, and the
tile of a tiling pattern where a pattern is used), the unit square under the CTM being the placed
rectangle."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path
from typing import Any

import pikepdf

from handbook_build.checks.pdf_images.image_data import ImageCheck, check_image, pdf_int
from handbook_build.checks.pdf_images.placed_image import POINTS_PER_INCH, PlacedImage

Matrix = tuple[float, float, float, float, float, float]
IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


WANTED_OPERATORS = "q Q cm Do scn SCN"
MAX_FORM_DEPTH = 12  # forms nest; a cycle (malformed file) stops here


def placed_images(pdf: Path | bytes) -> tuple[PlacedImage, ...]:
    """Every image placement in ``pdf`` (a path or the bytes), page by page, in drawing order."""
    source: Any = pdf if isinstance(pdf, Path) else _bytes_io(pdf)
    with pikepdf.open(source) as document:
        checked: dict[tuple[int, int], ImageCheck] = {}
        tiles: dict[tuple[int, int], list[PlacedImage]] = {}
        found: list[PlacedImage] = []
        for index, page in enumerate(document.pages):
            walker = _Walker(index, checked, tiles)
            walker.walk(page.obj, page.resources, IDENTITY, depth=0)
            found.extend(walker.found)
        return tuple(found)


def _bytes_io(data: bytes) -> Any:
    import io

    return io.BytesIO(data)


class _Walker:
    """Walks one page's content (and the forms and patterns it calls) collecting placements."""

    def __init__(self, page_index: int, checked: dict[tuple[int, int], ImageCheck],
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
            decode = self.checked[key] = check_image(image)
        width, height = pdf_int(image.get("/Width")), pdf_int(image.get("/Height"))
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
