"""Image reference -> local file: confined to the book's roots, found by name where it is remote,
stat-ed and sniffed before it is used."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

from handbook_build.display import shown
from handbook_build.sources.guard import file_kind
from handbook_build.sources.images.media_type import (
    SUPPORTED_FORMATS,
    describe_header,
    sniff_media_type,
    unsupported_format,
)
from handbook_build.sources.images.name_index import NameIndex, remote_names

_HEADER_BYTES = 2048  # enough for every magic number and an SVG's prolog


@dataclass(frozen=True, slots=True)
class ImageResolution:
    """A local image file for a reference (``path`` None: not usable) and why."""

    path: Path | None
    reason: str
    media_type: str = ""
    refused: bool = False  # the file exists but guard.check_image found it unsafe or damaged
    missing_local: bool = False  # a local path with no such file anywhere: a typo to fix
    hint: str = ""  # how to fix it, when the general hint would not say


class ImageResolver:
    """Finds the local file for an image reference; indexes the image folders once."""

    def __init__(self, image_dirs: Sequence[Path], allowed_roots: Sequence[Path],
                 check: Callable[[Path, str], str | None] | None = None) -> None:
        # ``check(path, media_type)``: why a found file may not be used (guard.check_image).
        self.check = check
        self.allowed_roots: tuple[Path, ...] = tuple(root.resolve() for root in allowed_roots)
        resolved = [folder.resolve() for folder in image_dirs]
        self.image_dirs: tuple[Path, ...] = tuple(f for f in resolved if self._confined(f))
        # Folders (or symlinks to folders) outside the roots are never indexed; the caller may
        # report them.
        self.refused_dirs: tuple[Path, ...] = tuple(f for f in resolved if not self._confined(f))
        self._index = NameIndex()
        names: set[str] = set()
        for folder in self.image_dirs:
            for path in _image_files(folder):
                self._index.add(path)
                names.add(path.relative_to(folder).as_posix())
        self._names = tuple(sorted(names))

    def suggest(self, src: str) -> str | None:
        """The image file whose name is closest to ``src``'s (for "did you mean"), or None."""
        import difflib

        wanted = PurePosixPath(unquote(src.split("#", 1)[0]).replace("\\", "/")).name
        by_name = {PurePosixPath(name).name: name for name in self._names}
        close = difflib.get_close_matches(wanted, list(by_name), n=1, cutoff=0.6)
        return by_name[close[0]] if close else None

    def resolve(self, src: str, chapter_dir: Path) -> ImageResolution:
        """The local file for ``src`` as written in a chapter in ``chapter_dir``."""
        src = src.strip()
        if src.startswith("<") and src.endswith(">"):
            src = src[1:-1].strip()
        if not src:
            return ImageResolution(None, "empty image source")
        scheme = _scheme(src)
        if scheme in ("http", "https") or src.startswith("//"):
            return self._remote(src)
        if scheme is not None:
            return ImageResolution(None, f"{scheme}: image sources are not allowed")
        return self._local(src, chapter_dir)

    def _remote(self, url: str) -> ImageResolution:
        path = urlsplit(url if not url.startswith("//") else "http:" + url).path
        names = remote_names(path)
        if not names:
            return ImageResolution(None, "the URL names no file; the book never downloads images")
        for name in names:
            found = self._index.find(name)
            if found is not None:
                local, how = found
                return self._checked(local, f"local copy of {name!r} ({how})")
        return ImageResolution(
            None, f"no local copy of {unquote(names[0])!r} in the image folders (never downloaded)"
        )

    def _local(self, src: str, chapter_dir: Path) -> ImageResolution:
        relative = src.split("#", 1)[0].split("?", 1)[0]
        candidates = [relative] if unquote(relative) == relative else [relative, unquote(relative)]
        if Path(relative).is_absolute() and not self._confined(Path(os.path.normpath(relative))):
            return ImageResolution(
                None, f"absolute path {relative!r} is outside the book's folders"
            )
        for candidate in candidates:
            lexical = Path(os.path.normpath(chapter_dir / candidate))
            if not lexical.exists():
                continue
            if not self._confined(lexical):
                return ImageResolution(None, f"{shown(lexical)} is outside the book's folders")
            real = lexical.resolve()
            if not self._confined(real):
                return ImageResolution(
                    None, f"{shown(lexical)} is a link to {real}, outside the roots")
            return self._checked(real, "local file")
        found = self._index.find(PurePosixPath(unquote(relative).replace("\\", "/")).name)
        if found is not None:
            return self._checked(found[0], f"not at {relative!r}; found by name ({found[1]})")
        return ImageResolution(None, f"no file {relative!r} next to the chapter or in the images",
                               missing_local=True)

    def _checked(self, path: Path, how: str) -> ImageResolution:
        """Confine and sniff a candidate: only real, non-empty images under the roots pass."""
        real = path.resolve()
        if not self._confined(real):
            return ImageResolution(None, f"{shown(path)} leads outside the book's folders ({real})")
        try:
            kind = file_kind(real.stat().st_mode)  # stat first: a FIFO is never opened
        except OSError as error:
            return ImageResolution(None, f"{shown(real)} cannot be read: {error.strerror}")
        if kind is not None:
            return ImageResolution(None, f"{real.name} is {kind}, not a regular file",
                                   refused=True, hint="point the image at a picture file")
        try:
            with real.open("rb") as handle:
                header = handle.read(_HEADER_BYTES)
        except OSError as error:
            return ImageResolution(None, f"{shown(real)} cannot be read: {error.strerror}")
        if not header:
            return ImageResolution(None, f"{shown(real)} is empty (0 bytes)")
        media_type = sniff_media_type(header, real.suffix)
        unsupported = unsupported_format(header) if media_type is None else None
        if unsupported is not None:
            return ImageResolution(
                None, f"{real.name} is a {unsupported} image: the editions show only "
                f"{SUPPORTED_FORMATS}", refused=True,
                hint="convert it to PNG or JPEG")
        if media_type is None:
            return ImageResolution(
                None, f"{shown(real)} is not an image ({describe_header(header)})")
        unsafe = self.check(real, media_type) if self.check is not None else None
        if unsafe is not None:
            return ImageResolution(None, f"{real.name} {unsafe}", refused=True)
        return ImageResolution(real, how, media_type)

    def _confined(self, path: Path) -> bool:
        return any(path == root or path.is_relative_to(root) for root in self.allowed_roots)


def _image_files(folder: Path) -> Iterable[Path]:
    """Files under ``folder`` in a stable order (sorted, so the index is deterministic)."""
    if not folder.is_dir():
        return []
    return sorted(path for path in folder.rglob("*") if path.is_file())


def _scheme(src: str) -> str | None:
    match = re.match(r"^([A-Za-z][A-Za-z0-9+.-]*):", src)
    if match is None or len(match.group(1)) == 1:
        return None  # "C:\..." is a Windows drive, treated as a path (and refused as absolute)
    return match.group(1).lower()
