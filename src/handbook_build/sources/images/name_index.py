"""Tolerant matching by file name: the local copy of a remote image despite case, URL-encoding,
an interchangeable extension and the size and edit suffixes WordPress, Drupal and Wikimedia add."""

from __future__ import annotations

import os
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

# Preferred order when the exact extension has no local copy.
EXTENSION_PREFERENCE = (".jpg", ".jpeg", ".png", ".gif", ".svg", ".webp")


_SIZE_SUFFIX = re.compile(r"-\d{1,5}x\d{1,5}$")  # WordPress thumbnails: name-300x217.png
_EDIT_SUFFIX = re.compile(r"-e\d{9,}$")  # WordPress "edited image": name-e1352754548930.gif
_THUMB_PREFIX = re.compile(r"^\d{1,5}px-")  # Wikimedia thumbnails: 640px-Name.jpg
# Drupal image derivatives: Name.img_assist_custom-800x694.png, Name.thumbnail.png
_DRUPAL_SUFFIX = re.compile(r"\.(?:img_assist_custom|thumbnail|preview)$")


def _normalize_name(name: str) -> str:
    return unicodedata.normalize("NFC", unquote(name)).casefold()


def _stripped_stem(stem: str) -> str:
    """The stem without CMS size/edit suffixes (``a-e123456789-300x200`` -> ``a``)."""
    previous = None
    while previous != stem:
        previous = stem
        stem = _SIZE_SUFFIX.sub("", stem)
        stem = _EDIT_SUFFIX.sub("", stem)
        stem = _DRUPAL_SUFFIX.sub("", stem)
    return stem


@dataclass(slots=True)
class NameIndex:
    """Image files by normalized stem, then extension; the first folder listed wins."""

    exact: dict[str, dict[str, Path]] = field(default_factory=dict)
    stripped: dict[str, dict[str, Path]] = field(default_factory=dict)

    def add(self, path: Path) -> None:
        stem, suffix = os.path.splitext(_normalize_name(path.name))
        self.exact.setdefault(stem, {}).setdefault(suffix, path)
        self.stripped.setdefault(_stripped_stem(stem), {}).setdefault(suffix, path)

    def find(self, name: str) -> tuple[Path, str] | None:
        """A local file for ``name`` and how it matched, trying the most exact match first."""
        stem, suffix = os.path.splitext(_normalize_name(name))
        bare = _stripped_stem(stem)
        attempts = (
            (self.exact, stem, "same name"),
            (self.exact, bare, "name without the WordPress size suffix"),
            (self.stripped, stem, "a resized copy"),
            (self.stripped, bare, "a resized copy"),
        )
        for table, key, how in attempts:
            by_suffix = table.get(key)
            if by_suffix:
                picked = _pick_extension(by_suffix, suffix)
                if picked is not None:
                    found, exact_ext = picked
                    return found, how if exact_ext else f"{how}, other extension"
        return None


def _pick_extension(by_suffix: dict[str, Path], suffix: str) -> tuple[Path, bool] | None:
    if suffix in by_suffix:
        return by_suffix[suffix], True
    if suffix and suffix not in EXTENSION_PREFERENCE:
        return None  # "x.pdf" never stands in for "x.png"
    for candidate in EXTENSION_PREFERENCE:
        if candidate in by_suffix:
            return by_suffix[candidate], False
    return None


def remote_names(path: str) -> list[str]:
    """Candidate file names of a remote image, best first."""
    segments = [segment for segment in path.split("/") if segment]
    if not segments:
        return []
    names = [segments[-1]]
    thumb = _THUMB_PREFIX.sub("", segments[-1])
    if thumb != segments[-1]:
        names.append(thumb)
        # Wikimedia: .../thumb/a/ab/Original.svg/300px-Original.svg.png
        if len(segments) >= 2:
            names.append(segments[-2])
    return [name for name in names if "." in name]
