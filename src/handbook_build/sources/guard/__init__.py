"""Safety checks on what contributors hand the build: takes a file (or a chapter's text, or the
final HTML), gives None or why it may not go into the editions.

A handbook is built from pull requests, so every input is untrusted. This module answers, without
decoding more than it must, whether a file may go into the editions:

* ``check_image(path)``: a raster image must be identifiable by Pillow, declare at most
  ``MAX_IMAGE_PIXELS`` pixels (read from the header, so a decompression bomb costs nothing) and
  decode without error; an SVG must be well-formed XML that declares no entities (no external
  entity can read ``/etc/passwd``, no "billion laughs") with an ``<svg>`` root. Everything else
  in an SVG (scripts, handlers, references outside it) is removed by ``svg_clean.clean_svg``
  wherever its bytes are embedded. The answer is None (fine) or the reason, which the image
  resolver turns into a placeholder and a warning naming the chapter and line.
* ``check_chapter_size`` / ``check_chapter_text``: a chapter is at most ``MAX_CHAPTER_BYTES``,
  and its lists, block quotes and raw HTML nest at most ``MAX_NESTING`` / ``MAX_RAW_HTML_DEPTH``
  levels: pandoc takes minutes on a quote nested 500 deep and WeasyPrint's layout recurses
  once per level, so such a chapter is refused up front with its line.
* ``check_html_depth``: the same limit measured on each section's final HTML, the last line of
  defence before a renderer sees it.

Everything here reads files but never writes, never follows a URL and never raises on bad input.

Modules: limits.py (every size limit), input_files.py (``input_file_problem``, ``file_kind``,
``system_folder``), images.py (``check_image``, ``check_svg_bytes``), chapters.py
(``check_chapter_size``, ``check_chapter_text``), html_depth.py (``check_html_depth``).
"""

from __future__ import annotations

from handbook_build.sources.guard.chapters import check_chapter_size, check_chapter_text
from handbook_build.sources.guard.html_depth import check_html_depth, html_depth
from handbook_build.sources.guard.images import check_image, check_svg_bytes
from handbook_build.sources.guard.input_files import (
    SYSTEM_FOLDERS,
    file_kind,
    input_file_problem,
    system_folder,
)
from handbook_build.sources.guard.limits import (
    MAX_BIBLIOGRAPHY_BYTES,
    MAX_CHAPTER_BYTES,
    MAX_HTML_DEPTH,
    MAX_IMAGE_BYTES,
    MAX_IMAGE_PIXELS,
    MAX_MANIFEST_BYTES,
    MAX_NESTING,
    MAX_RAW_HTML_DEPTH,
    MAX_STYLE_BYTES,
    MAX_SVG_BYTES,
)

__all__ = [
    "MAX_BIBLIOGRAPHY_BYTES",
    "MAX_CHAPTER_BYTES",
    "MAX_HTML_DEPTH",
    "MAX_IMAGE_BYTES",
    "MAX_IMAGE_PIXELS",
    "MAX_MANIFEST_BYTES",
    "MAX_NESTING",
    "MAX_RAW_HTML_DEPTH",
    "MAX_STYLE_BYTES",
    "MAX_SVG_BYTES",
    "SYSTEM_FOLDERS",
    "check_chapter_size",
    "check_chapter_text",
    "check_html_depth",
    "check_image",
    "check_svg_bytes",
    "file_kind",
    "html_depth",
    "input_file_problem",
    "system_folder",
]
