"""The project's one PDF image inspector: takes a PDF, gives every placed raster image, where it
is, and whether its data is what its dictionary says (``PlacedImage``).

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

Modules: placed_image.py (PlacedImage, report lines), page_walk.py (placed_images: the content
walk), image_data.py (does it decode), jpeg.py (JPEG frame headers).
"""

from __future__ import annotations

from handbook_build.checks.pdf_images.page_walk import placed_images
from handbook_build.checks.pdf_images.placed_image import (
    POINTS_PER_INCH,
    PlacedImage,
    describe,
    iter_problems,
    mislabelled,
)

__all__ = ["POINTS_PER_INCH", "PlacedImage", "describe", "iter_problems", "mislabelled",
           "placed_images"]
