"""One placement of one image on one page (``PlacedImage``), and the lines a report gives them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

POINTS_PER_INCH = 72.0


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


def mislabelled(images: tuple[PlacedImage, ...]) -> tuple[PlacedImage, ...]:
    """The placements whose data does not decode as labelled."""
    return tuple(image for image in images if not image.decodes)


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
