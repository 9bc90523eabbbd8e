"""Portable editions: ``<stem>.md`` and ``<stem>.html`` refer to copies in ``<stem>-files/``.

Inside the pipeline an image's ``src`` is relative to the output folder (the PDF renderers
resolve it from there into the book's folders). Written that way, the ``.md`` and the HTML
pointed into the source tree (``../../../../pictures/x.jpg``): they broke once copied, and two
output folders gave two different files. Both editions are written with each image's ``src``
replaced by its copy under ``<stem>-files/`` (named by the image's path in the book, so the
names do not depend on where the book or the build lives), and the copies are written too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path, PurePosixPath
from urllib.parse import quote

from handbook_build.display import book_bases
from handbook_build.model import ImageAsset

STYLESHEET_NAME = "style.css"


def files_folder(stem: str) -> str:
    """The folder beside ``<stem>.html`` holding its stylesheet and images."""
    return f"{stem}-files"


def portable_srcs(stem: str, images: Iterable[ImageAsset]) -> dict[str, str]:
    """Each image's pipeline ``src`` -> its ``src`` in the written editions (unique names)."""
    folder = files_folder(stem)
    mapping: dict[str, str] = {}
    taken: set[str] = {f"{folder}/{STYLESHEET_NAME}"}
    for asset in sorted(images, key=lambda a: a.src):
        name = f"{folder}/{_book_relative(asset.path)}"
        candidate, number = name, 2
        while candidate in taken:
            path = PurePosixPath(name)
            candidate = str(path.with_name(f"{path.stem}-{number}{path.suffix}"))
            number += 1
        taken.add(candidate)
        mapping[asset.src] = quote(candidate, safe="/-._~!$&'*+,;=@")
    return mapping


def image_files(images: Iterable[ImageAsset], srcs: Mapping[str, str]) -> dict[str, bytes]:
    """Output-relative file name -> bytes of each image copy."""
    from urllib.parse import unquote

    return {unquote(srcs[asset.src]): asset.path.read_bytes() for asset in images
            if asset.src in srcs}


def rewrite_srcs(text: str, srcs: Mapping[str, str]) -> str:
    """``text`` with every image reference (Markdown destination or HTML attribute) replaced.

    Only whole references are replaced: the ``src`` must stand between ``(``, ``"``, ``'`` or
    ``=`` and a closing ``)``, quote or space, as images/ writes them.
    """
    if not srcs:
        return text
    alternatives = "|".join(re.escape(src) for src in sorted(srcs, key=len, reverse=True))
    pattern = re.compile(rf"(?<=[(\"'=])({alternatives})(?=[)\"'\s])")
    return pattern.sub(lambda match: srcs[match.group(1)], text)


def _book_relative(path: Path) -> str:
    """The image's path inside the first book folder that holds it, else its file name."""
    resolved = path.resolve()
    for base in book_bases():
        if base in resolved.parents:
            return resolved.relative_to(base).as_posix()
    return f"images/{resolved.name}"
