"""Image rewriting of one chapter's Markdown (source-normalizing stage; reads only file headers).

Every image the book shows must be a local file under the book's allowed roots: renderers never
touch the network. ``ImageResolver`` maps an image reference to such a file:

* relative paths are resolved against the chapter's folder, then confined (``resolve()``, so a
  symlink pointing out of the roots is refused);
* remote URLs (including the old site's ``/wp-content/uploads/...``) are matched by *file name*
  to local copies in the image folders, tolerating case, URL-encoding, an interchangeable
  extension (.jpg/.jpeg/.png/.gif/.svg) and WordPress's ``-300x217`` size and ``-e1352754548930``
  edit suffixes (and Drupal's ``.img_assist_custom-800x694``), in both directions;
* the content decides the media type (magic bytes), so an empty or mislabelled file is refused.

``rewrite_images`` then rewrites ``![alt](src)`` and raw ``<img src>`` so that ``src`` is the
path relative to the output folder, or replaces the image with a placeholder span, and turns
WordPress ``[caption]...[/caption]`` shortcodes into Markdown figures.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from urllib.parse import quote, unquote, urlsplit

from handbook_build.alt_text import meaningless_alt
from handbook_build.display import shown
from handbook_build.guard import MAX_SVG_BYTES, file_kind, input_file_problem
from handbook_build.links import display_path
from handbook_build.markdown_scan import (
    InlineLink,
    column_of,
    find_inline_links,
    line_of,
    mask_code,
)
from handbook_build.model import Diagnostic, ImageAsset, Severity, TocNode

__all__ = [
    "ImageContext",
    "ImageResolution",
    "ImageResolver",
    "ImageResult",
    "escape_markdown",
    "placeholder",
    "rewrite_images",
    "sniff_media_type",
]

# Preferred order when the exact extension has no local copy.
EXTENSION_PREFERENCE = (".jpg", ".jpeg", ".png", ".gif", ".svg", ".webp")
_HEADER_BYTES = 2048  # enough for every magic number and an SVG's prolog
_SIZE_SUFFIX = re.compile(r"-\d{1,5}x\d{1,5}$")  # WordPress thumbnails: name-300x217.png
_EDIT_SUFFIX = re.compile(r"-e\d{9,}$")  # WordPress "edited image": name-e1352754548930.gif
_THUMB_PREFIX = re.compile(r"^\d{1,5}px-")  # Wikimedia thumbnails: 640px-Name.jpg
# Drupal image derivatives: Name.img_assist_custom-800x694.png, Name.thumbnail.png
_DRUPAL_SUFFIX = re.compile(r"\.(?:img_assist_custom|thumbnail|preview)$")


# --- media type detection ----------------------------------------------------------------------


def sniff_media_type(header: bytes, suffix: str = "") -> str | None:
    """The image media type from a file's first bytes, or None when it is not an image."""
    if header.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if header.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if header.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if header.startswith(b"RIFF") and header[8:12] == b"WEBP":
        return "image/webp"
    return "image/svg+xml" if _looks_like_svg(header, suffix) else None


def _looks_like_svg(header: bytes, suffix: str) -> bool:
    text = header.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if not text.startswith(b"<"):
        return False
    if b"<svg" in text:
        return True
    # Only the header is read: an XML prolog or long comment may push <svg past it, so trust
    # the extension then.
    return suffix.lower() == ".svg" and text.startswith((b"<?xml", b"<!--", b"<!doctype svg"))


SUPPORTED_FORMATS = "PNG, JPEG, GIF, WebP or SVG"
# Image formats people save from cameras and scanners that no edition can show: (name,
# offset, any of these signatures there).
_UNSUPPORTED_FORMATS: tuple[tuple[str, int, tuple[bytes, ...]], ...] = (
    ("TIFF", 0, (b"II*\x00", b"MM\x00*")),
    ("BMP", 0, (b"BM",)),
    ("HEIC/HEIF", 4, (b"ftypheic", b"ftypheix", b"ftyphevc", b"ftypheim", b"ftypheis",
                      b"ftypmif1", b"ftypmsf1")),
    ("AVIF", 4, (b"ftypavif", b"ftypavis")),
    ("JPEG XL", 0, (b"\xff\x0a", b"\x00\x00\x00\x0cJXL ")),
    ("JPEG 2000", 0, (b"\x00\x00\x00\x0cjP  ",)),
    ("Photoshop (PSD)", 0, (b"8BPS",)),
    ("Windows icon (ICO)", 0, (b"\x00\x00\x01\x00",)),
)


def unsupported_format(header: bytes) -> str | None:
    """The name of a known image format the editions cannot show (TIFF, BMP, HEIC...)."""
    return next((name for name, offset, signatures in _UNSUPPORTED_FORMATS
                 if header[offset:].startswith(signatures)), None)


def _describe_header(header: bytes) -> str:
    if header.startswith(b"%PDF"):
        return "a PDF document"
    if header.lstrip().lower().startswith((b"<!doctype html", b"<html")):
        return "an HTML page"
    return f"content starting {header[:8]!r}"


# --- resolution --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ImageResolution:
    """A local image file for a reference (``path`` None: not usable) and why."""

    path: Path | None
    reason: str
    media_type: str = ""
    refused: bool = False  # the file exists but guard.check_image found it unsafe or damaged
    missing_local: bool = False  # a local path with no such file anywhere: a typo to fix
    hint: str = ""  # how to fix it, when the general hint would not say


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
class _NameIndex:
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
        self._index = _NameIndex()
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
        names = _remote_names(path)
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
                None, f"{shown(real)} is not an image ({_describe_header(header)})")
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


def _remote_names(path: str) -> list[str]:
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


# --- rewriting ---------------------------------------------------------------------------------

_IMG_TAG = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
_ATTRIBUTE = r"\b{name}\s*=\s*(?:\"(?P<dq>[^\"]*)\"|'(?P<sq>[^']*)'|(?P<bare>[^\s>\"']+))"
_CAPTION = re.compile(r"\[caption\b[^\]]*\](?P<body>.*?)\[/caption\]", re.DOTALL | re.IGNORECASE)
_HTML_LINK_AROUND = re.compile(r"<a\b[^>]*>\s*(<img\b[^>]*>)\s*</a\s*>", re.IGNORECASE)
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|~^$])")


@dataclass(frozen=True, slots=True)
class ImageContext:
    chapter: TocNode
    chapter_dir: Path  # folder of the chapter file: relative srcs are resolved against it
    output_dir: Path  # where <stem>.md is written: srcs become relative to it
    resolver: ImageResolver
    contents_path: Path | None = None  # shown in messages when the chapter has no source path


@dataclass(frozen=True, slots=True)
class ImageResult:
    markdown: str
    assets: tuple[ImageAsset, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = ()
    unresolved: tuple[str, ...] = ()  # srcs as written that have no usable local file


@dataclass(slots=True)
class _Walk:
    """Mutable state of one ``rewrite_images`` call (never escapes it)."""

    text: str
    masked: str
    ctx: ImageContext
    assets: dict[str, ImageAsset] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    unresolved: list[str] = field(default_factory=list)

    def warn(self, offset: int, code: str, message: str, hint: str,
             severity: Severity = "warning") -> None:
        self.diagnostics.append(
            Diagnostic(
                path=display_path(self.ctx.chapter, self.ctx.contents_path),
                line=line_of(self.text, offset),
                column=column_of(self.text, offset),
                message=message,
                hint=hint,
                severity=severity,
                code=code,
            )
        )


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
    name = _short(_file_label(src)).replace('"', "").replace("\\", "") if web else ""
    title = f' title="{name}"' if name and name != alt.strip() and name != "image" else ""
    return f"[Image not available: {escape_markdown(alt)}]{{.image-placeholder{title}}}"


def rewrite_images(markdown: str, ctx: ImageContext) -> ImageResult:
    """Rewrite every image of one chapter's prose (see the module docstring)."""
    walk = _Walk(markdown, mask_code(markdown), ctx)
    edits: list[tuple[int, int, str]] = []
    pos = 0
    for caption in _CAPTION.finditer(walk.masked):
        edits += _images_in(walk, pos, caption.start())
        edits.append(_caption_edit(walk, caption))
        pos = caption.end()
    edits += _images_in(walk, pos, len(markdown))
    return ImageResult(
        markdown=_apply(markdown, edits),
        assets=tuple(walk.assets.values()),
        diagnostics=tuple(walk.diagnostics),
        unresolved=tuple(walk.unresolved),
    )


def _apply(text: str, edits: list[tuple[int, int, str]]) -> str:
    parts: list[str] = []
    pos = 0
    for start, end, replacement in sorted(edits):
        parts.append(text[pos:start])
        parts.append(replacement)
        pos = end
    parts.append(text[pos:])
    return "".join(parts)


def _images_in(walk: _Walk, start: int, end: int) -> list[tuple[int, int, str]]:
    """Edits for the Markdown images (also inside link texts) and ``<img>`` tags in a range."""
    edits: list[tuple[int, int, str]] = []
    covered = start
    for link in find_inline_links(walk.text, start, end, walk.masked):
        edits += _img_tag_edits(walk, covered, link.start)
        if link.is_image:
            edits.append((link.start, link.end, _markdown_image(walk, link)))
        else:
            edits += _images_in(walk, link.text_start, link.text_end)  # [![alt](src)](href)
        covered = link.end
    edits += _img_tag_edits(walk, covered, end)
    return edits


def unescape_alt(alt: str) -> str:
    """The alt text as read (backslash escapes and emphasis marks do not describe anything)."""
    return re.sub(r"\\(.)", r"\1", alt).strip("*_ ")


def _markdown_image(walk: _Walk, link: InlineLink) -> str:
    text = walk.text
    alt = text[link.text_start : link.text_end]
    if not alt.strip():
        walk.warn(
            link.start,
            "missing-alt",
            f"image without alt text: {link.destination}",
            "describe the image in ![...] for readers who cannot see it",
        )
    elif why := meaningless_alt(unescape_alt(alt), link.destination):
        walk.warn(link.start, "meaningless-alt",
                  f"alt text says nothing ({why}): {link.destination}",
                  "describe what the image shows in ![...]; the EPUB does not count it as "
                  "described")
    asset = _resolve(walk, link.destination, link.start)
    if asset is None:
        return placeholder(_label(alt, link.title, link.destination), link.destination)
    return text[link.start : link.dest_start] + asset.src + text[link.dest_end : link.end]


def _img_tag_edits(walk: _Walk, start: int, end: int) -> list[tuple[int, int, str]]:
    edits: list[tuple[int, int, str]] = []
    for tag in _IMG_TAG.finditer(walk.masked, start, end):
        src = _attribute(walk.text, tag, "src")
        alt = _attribute(walk.text, tag, "alt")
        alt_text = _html_unescape(alt[0]) if alt is not None else ""
        if src is None:
            continue
        if not alt_text.strip():
            walk.warn(
                tag.start(),
                "missing-alt",
                f"image without alt text: {src[0]}",
                'add alt="..." describing the image',
            )
        elif why := meaningless_alt(alt_text, _html_unescape(src[0])):
            walk.warn(tag.start(), "meaningless-alt",
                      f"alt text says nothing ({why}): {src[0]}",
                      'describe what the image shows in alt="..."; the EPUB does not count it '
                      "as described")
        asset = _resolve(walk, _html_unescape(src[0]), tag.start())
        if asset is None:
            title = _attribute(walk.text, tag, "title")
            label = _label(alt_text, _html_unescape(title[0]) if title else None, src[0])
            edits.append((tag.start(), tag.end(), placeholder(label, _html_unescape(src[0]))))
        else:
            value_start, value_end, quoted = src[1], src[2], src[3]
            new_value = asset.src if quoted else f'"{asset.src}"'
            edits.append((value_start, value_end, new_value))
    return edits


def _attribute(text: str, tag: re.Match[str], name: str) -> tuple[str, int, int, bool] | None:
    """(value, value start, value end, was quoted) of an attribute of an HTML tag match."""
    pattern = re.compile(_ATTRIBUTE.format(name=name), re.IGNORECASE)
    match = pattern.search(text, tag.start(), tag.end())
    if match is None:
        return None
    group = next(group for group in ("dq", "sq", "bare") if match.group(group) is not None)
    return match.group(group), match.start(group), match.end(group), group != "bare"


def _html_unescape(value: str) -> str:
    return (
        value.replace("&quot;", '"').replace("&#39;", "'").replace("&lt;", "<")
        .replace("&gt;", ">").replace("&amp;", "&")
    )  # fmt: skip


PLACEHOLDER_NAME_CHARS = 40
_GENERIC_ALTS = frozenset({"", "image", "img", "picture", "photo"})


def _label(alt: str, title: str | None, src: str) -> str:
    """What a placeholder says: the alt text, unless it is a converter's generic "image"."""
    if alt.strip().lower() not in _GENERIC_ALTS:
        return alt.strip()
    if title and title.strip():
        return title.strip()
    return _short(_file_label(src))  # "image" says nothing; the file's name identifies it


def _short(name: str) -> str:
    """A file name fit for a printed line: a web service's 120-character hash keeps its two
    ends (enough to find the file), joined by an ellipsis."""
    if len(name) <= PLACEHOLDER_NAME_CHARS:
        return name
    half = PLACEHOLDER_NAME_CHARS // 2
    return f"{name[:half]}\u2026{name[-half:]}"


def _file_label(src: str) -> str:
    name = PurePosixPath(urlsplit(src.strip("<> ")).path).name
    return unquote(name) or "image"


def _resolve(walk: _Walk, src: str, offset: int) -> ImageAsset | None:
    """The asset for ``src`` (recorded once), or None with a diagnostic: a local file that is
    not there is an error (a typo the editor must fix, with a "did you mean"); a web image
    without a local copy is a warning (it is shown as a placeholder)."""
    resolution = walk.ctx.resolver.resolve(src, walk.ctx.chapter_dir)
    if resolution.path is None and resolution.missing_local:
        walk.unresolved.append(src)
        close = walk.ctx.resolver.suggest(src)
        walk.warn(offset, "missing-image",
                  f"image not found: {_shorten(src)} ({resolution.reason})",
                  f"did you mean {close!r}? fix the file name" if close else
                  "fix the path, or put the file in one of the image folders", "error")
        return None
    if resolution.path is None:
        walk.unresolved.append(src)
        walk.warn(
            offset,
            "unresolved-image",
            f"image {'refused' if resolution.refused else 'not found'}: {_shorten(src)} "
            f"({resolution.reason}); shown as a placeholder",
            (resolution.hint or
            "replace it with a sound, self-contained image file") if resolution.refused else
            "put a copy of the file in one of the image folders, named like the URL's file",
        )
        return None
    rel = os.path.relpath(resolution.path, walk.ctx.output_dir).replace(os.sep, "/")
    # Percent-encode what Markdown or HTML could misread (spaces, parentheses); the encoded form
    # is the key renderers look images up by, so it must be identical in <stem>.md and the HTML.
    src_key = quote(rel, safe="/-._~!$&'*+,;=@")
    if src_key not in walk.assets and resolution.media_type == "image/svg+xml":
        _note_svg_cleaning(walk, src, offset, resolution.path)
    asset = walk.assets.setdefault(
        src_key, ImageAsset(src=src_key, path=resolution.path, media_type=resolution.media_type)
    )
    return asset


def _note_svg_cleaning(walk: _Walk, src: str, offset: int, path: Path) -> None:
    """A warning naming what the SVG allow-list removes, so the author knows what will not show."""
    from handbook_build.svg_clean import removed_parts

    if input_file_problem(path, MAX_SVG_BYTES) is not None:
        return  # the image check refuses it (the cache key's scan runs without that check)
    try:
        removed = removed_parts(path.read_bytes())
    except OSError:
        return
    if removed:
        shown = ", ".join(removed[:6]) + (", ..." if len(removed) > 6 else "")
        walk.warn(offset, "svg-cleaned", f"image {_shorten(src)}: removed {shown} (scripts and "
                  "references outside the image are never embedded)",
                  "make the SVG self-contained (only #id references)")


def _caption_edit(walk: _Walk, caption: re.Match[str]) -> tuple[int, int, str]:
    """``[caption ...]<image> caption text[/caption]`` -> a figure paragraph ``![text](src)``."""
    text = walk.text
    body_start, body_end = caption.start("body"), caption.end("body")
    image = _caption_image(walk, body_start, body_end)
    if image is None:
        walk.warn(
            caption.start(),
            "caption-shortcode",
            "WordPress [caption] shortcode without an image; kept its text",
            "remove the [caption] shortcode from the source",
        )
        return caption.start(), caption.end(), text[body_start:body_end].strip()
    src, alt, title, image_end, dropped_href = image
    caption_text = " ".join(text[image_end:body_end].split()) or " ".join(alt.split())
    if not _balanced_brackets(caption_text):
        caption_text = escape_markdown(caption_text)
    dropped = f"; its link to {_shorten(dropped_href)} was dropped" if dropped_href else ""
    walk.warn(
        caption.start(),
        "caption-shortcode",
        f"WordPress [caption] shortcode turned into a figure{dropped}",
        "write the figure as ![caption](src) on its own paragraph in the source",
    )
    asset = _resolve(walk, src, caption.start())
    if asset is None:
        figure = placeholder(_plain(caption_text) or _file_label(src), src)
    else:
        title_part = f' "{title}"' if title else ""
        figure = f"![{caption_text}]({asset.src}{title_part})"
    return _as_paragraph(text, caption.start(), caption.end(), figure)


def _caption_image(
    walk: _Walk, start: int, end: int
) -> tuple[str, str, str | None, int, str | None] | None:
    """(src, alt, title, end of the image, href of a link around it) at the body's start."""
    text, masked = walk.text, walk.masked
    lead = start + len(text[start:end]) - len(text[start:end].lstrip())
    links = find_inline_links(text, lead, end, masked)
    first = links[0] if links and links[0].start == lead else None
    if first is not None and first.is_image:
        alt = text[first.text_start : first.text_end]
        return first.destination, alt, first.title, first.end, None
    if first is not None:
        inner = find_inline_links(text, first.text_start, first.text_end, masked)
        if len(inner) == 1 and inner[0].is_image:
            image = inner[0]
            alt = text[image.text_start : image.text_end]
            return image.destination, alt, image.title, first.end, first.destination
    return _caption_html_image(walk, lead, end)


def _caption_html_image(
    walk: _Walk, lead: int, end: int
) -> tuple[str, str, str | None, int, str | None] | None:
    """The ``<img>`` (maybe wrapped in ``<a>``) opening a caption body."""
    text, masked = walk.text, walk.masked
    tag = _HTML_LINK_AROUND.match(masked, lead, end) or _IMG_TAG.match(masked, lead, end)
    if tag is None:
        return None
    img = _IMG_TAG.search(masked, tag.start(), tag.end())
    assert img is not None  # both patterns contain an <img>
    src = _attribute(text, img, "src")
    if src is None:
        return None
    alt = _attribute(text, img, "alt")
    title = _attribute(text, img, "title")
    return (
        _html_unescape(src[0]),
        _html_unescape(alt[0]) if alt else "",
        _html_unescape(title[0]) if title else None,
        tag.end(),
        None,
    )


def _as_paragraph(text: str, start: int, end: int, block: str) -> tuple[int, int, str]:
    """Replace text[start:end] by ``block`` standing alone in its paragraph (a pandoc figure)."""
    before = text[:start].rstrip(" \t")
    start = len(before)
    end += len(text[end:]) - len(text[end:].lstrip(" \t"))
    return start, end, _separator(before, leading=True) + block + _separator(text[end:], False)


def _separator(neighbour: str, leading: bool) -> str:
    """The line breaks that make a blank line between ``neighbour`` and the new paragraph."""
    if not neighbour.strip():
        return ""  # start or end of the document
    edge = neighbour[-2:] if leading else neighbour[:2]
    if edge == "\n\n":
        return ""
    touching = edge[-1:] if leading else edge[:1]  # the character next to the new paragraph
    return "\n" if touching == "\n" else "\n\n"


def _balanced_brackets(text: str) -> bool:
    depth = 0
    for char in re.sub(r"\\.", "", text):
        depth += {"[": 1, "]": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0


def _plain(markdown: str) -> str:
    """Rough plain text of inline Markdown, for a placeholder's label."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", markdown)
    return re.sub(r"\\(.)", r"\1", text)


def _shorten(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
