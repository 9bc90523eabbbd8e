"""What stands in for an image that cannot be shown: a placeholder span with the alt text (or a
label for it) and, for a missing web image, its file name."""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from urllib.parse import unquote, urlsplit

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|~^$])")


def escape_markdown(text: str) -> str:
    """``text`` as literal Markdown inline text (one line, punctuation escaped)."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def placeholder(alt: str, src: str = "") -> str:
    """The span that stands in for an image that cannot be shown (design contract): the alt
    text, and a missing web image's file name in ``title`` (the PDFs print it under the alt
    text) when it says something the alt text does not."""
    # Only a web image's name: a local file refused (outside the book, unsafe, a bomb) is not
    # echoed into the book.
    web = src.strip("<> ").lower().startswith(("http://", "https://"))
    name = _short(file_label(src)).replace('"', "").replace("\\", "") if web else ""
    title = f' title="{name}"' if name and name != alt.strip() and name != "image" else ""
    return f"[Image not available: {escape_markdown(alt)}]{{.image-placeholder{title}}}"


PLACEHOLDER_NAME_CHARS = 40
_GENERIC_ALTS = frozenset({"", "image", "img", "picture", "photo"})


def placeholder_label(alt: str, title: str | None, src: str) -> str:
    """What a placeholder says: the alt text, unless it is a converter's generic "image"."""
    if alt.strip().lower() not in _GENERIC_ALTS:
        return alt.strip()
    if title and title.strip():
        return title.strip()
    return _short(file_label(src))  # "image" says nothing; the file's name identifies it


def _short(name: str) -> str:
    """A file name fit for a printed line: a web service's 120-character hash keeps its two
    ends (enough to find the file), joined by an ellipsis."""
    if len(name) <= PLACEHOLDER_NAME_CHARS:
        return name
    half = PLACEHOLDER_NAME_CHARS // 2
    return f"{name[:half]}\u2026{name[-half:]}"


def file_label(src: str) -> str:
    name = PurePosixPath(urlsplit(src.strip("<> ")).path).name
    return unquote(name) or "image"
