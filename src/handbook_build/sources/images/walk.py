"""The state of one chapter's image rewrite, and one ``src`` made an asset (recorded once) or
reported: what the Markdown images, ``<img>`` tags and captions all go through."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from handbook_build.model import Diagnostic, ImageAsset, Severity, TocNode
from handbook_build.sources.guard import MAX_SVG_BYTES, input_file_problem
from handbook_build.sources.images.resolver import ImageResolver
from handbook_build.sources.links import display_path
from handbook_build.sources.markdown_scan import column_of, line_of

IMG_TAG = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
_ATTRIBUTE = r"\b{name}\s*=\s*(?:\"(?P<dq>[^\"]*)\"|'(?P<sq>[^']*)'|(?P<bare>[^\s>\"']+))"


@dataclass(frozen=True, slots=True)
class ImageContext:
    chapter: TocNode
    chapter_dir: Path  # folder of the chapter file: relative srcs are resolved against it
    output_dir: Path  # where <stem>.md is written: srcs become relative to it
    resolver: ImageResolver
    contents_path: Path | None = None  # shown in messages when the chapter has no source path


@dataclass(slots=True)
class ImageWalk:
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


def html_attribute(text: str, tag: re.Match[str], name: str) -> tuple[str, int, int, bool] | None:
    """(value, value start, value end, was quoted) of an attribute of an HTML tag match."""
    pattern = re.compile(_ATTRIBUTE.format(name=name), re.IGNORECASE)
    match = pattern.search(text, tag.start(), tag.end())
    if match is None:
        return None
    group = next(group for group in ("dq", "sq", "bare") if match.group(group) is not None)
    return match.group(group), match.start(group), match.end(group), group != "bare"


def html_unescape(value: str) -> str:
    return (
        value.replace("&quot;", '"').replace("&#39;", "'").replace("&lt;", "<")
        .replace("&gt;", ">").replace("&amp;", "&")
    )  # fmt: skip


def resolve_asset(walk: ImageWalk, src: str, offset: int) -> ImageAsset | None:
    """The asset for ``src`` (recorded once), or None with a diagnostic: a local file that is
    not there is an error (a typo the editor must fix, with a "did you mean"); a web image
    without a local copy is a warning (it is shown as a placeholder)."""
    resolution = walk.ctx.resolver.resolve(src, walk.ctx.chapter_dir)
    if resolution.path is None and resolution.missing_local:
        walk.unresolved.append(src)
        close = walk.ctx.resolver.suggest(src)
        walk.warn(offset, "missing-image",
                  f"image not found: {shorten(src)} ({resolution.reason})",
                  f"did you mean {close!r}? fix the file name" if close else
                  "fix the path, or put the file in one of the image folders", "error")
        return None
    if resolution.path is None:
        walk.unresolved.append(src)
        walk.warn(
            offset,
            "unresolved-image",
            f"image {'refused' if resolution.refused else 'not found'}: {shorten(src)} "
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


def _note_svg_cleaning(walk: ImageWalk, src: str, offset: int, path: Path) -> None:
    """A warning naming what the SVG allow-list removes, so the author knows what will not show."""
    from handbook_build.sources.svg_clean import removed_parts

    if input_file_problem(path, MAX_SVG_BYTES) is not None:
        return  # the image check refuses it (the cache key's scan runs without that check)
    try:
        removed = removed_parts(path.read_bytes())
    except OSError:
        return
    if removed:
        shown = ", ".join(removed[:6]) + (", ..." if len(removed) > 6 else "")
        walk.warn(offset, "svg-cleaned", f"image {shorten(src)}: removed {shown} (scripts and "
                  "references outside the image are never embedded)",
                  "make the SVG self-contained (only #id references)")


def shorten(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
