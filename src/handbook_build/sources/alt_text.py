"""Alt text that says nothing: shared by the lint (``check``) and the EPUB's accessibility
metadata, so an image the lint warns about is never counted as described in the EPUB.

Meaningless: empty, a word that only says "there is an image" (``image``, ``picture``,
``screenshot``, ...), a file name (``IMG_1234.jpg``, or the image's own file stem), or a
camera's automatic name (``DSC01234``), or the words of a file name such as ``my-photo_2``.
"""

from __future__ import annotations

import posixpath
import re
from urllib.parse import unquote, urlsplit

PLACEHOLDER_WORDS = frozenset(
    ["image", "images", "img", "picture", "pic", "photo", "photograph", "figure", "fig",
     "graphic", "illustration", "screenshot", "screen shot", "icon", "alt", "alt text",
     "untitled", "diagram", "chart", "logo", "banner", "thumbnail", "placeholder", "null",
     "none", "image not available"]
)
_FILE_NAME = re.compile(r"^\S+\.(png|jpe?g|gif|svg|webp|bmp|tiff?|avif)$", re.I)
_CAMERA_NAME = re.compile(r"^(img|dsc|dscn|dcim|pict|p|photo|image|screenshot)[\s_-]*\d+$", re.I)
_NUMBERED = re.compile(r"^(.*?)[\s_-]*\d+$")


def _stem(src: str) -> str:
    """The image's file stem as words, when it looks made by a machine or for one (digits or
    separators: ``guy2-202x300``, ``peer_circle``); "" for a plain word such as ``kipling``,
    which, as alt text, may well name what the image shows."""
    try:
        path = urlsplit(src).path
    except ValueError:
        path = src
    stem = posixpath.splitext(posixpath.basename(unquote(path)))[0]
    return _words(stem) if re.search(r"[\d_\-. ]", stem) else ""


def _words(text: str) -> str:
    return " ".join(re.sub(r"[\W_]+", " ", text.lower()).split())


def meaningless_alt(alt: str, src: str = "") -> str:
    """Why ``alt`` describes nothing ("empty", "a file name", ...), or "" when it is fine."""
    text = " ".join(alt.split())
    if not text:
        return "empty"
    words = _words(text)
    numbered = _NUMBERED.match(words)
    if words in PLACEHOLDER_WORDS or (numbered and numbered.group(1) in PLACEHOLDER_WORDS):
        return f"only says {text!r}"
    if _FILE_NAME.match(text) or _CAMERA_NAME.match(words.replace(" ", "")):
        return "a file name"
    if src and words and words == _stem(src):
        return "the image's file name"
    return ""
