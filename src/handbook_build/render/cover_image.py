"""The EPUB cover when the manifest names none: title, subtitle and authors -> a typographic PNG.

1600x2560 (the 1:1.6 ratio stores ask for), set in the book face (Linux Libertine O) when the
system has it, DejaVu otherwise. Same text, same fonts -> same bytes: Pillow's PNG writer adds
no timestamp and the layout uses no randomness.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

COVER_SIZE = (1600, 2560)
LIBERTINE_DIR = Path("/usr/share/fonts/opentype/linux-libertine")
DEJAVU_DIR = Path("/usr/share/fonts/truetype/dejavu")
_BACKGROUND = (29, 43, 58)  # deep ink blue: reads well as a thumbnail on light and dark shelves
_INK = (243, 237, 226)  # warm paper white
_ACCENT = (217, 164, 65)  # ochre rules
_MARGIN = 150
_TEXT_WIDTH = COVER_SIZE[0] - 2 * _MARGIN

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


@dataclass(frozen=True, slots=True)
class CoverFonts:
    """Font files for the three lines of the cover; None means Pillow's built-in face."""

    title: Path | None
    subtitle: Path | None
    authors: Path | None


@dataclass(frozen=True, slots=True)
class CoverImage:
    data: bytes  # PNG
    warnings: tuple[str, ...]


def find_fonts(libertine_dir: Path = LIBERTINE_DIR,
               dejavu_dir: Path = DEJAVU_DIR) -> tuple[CoverFonts, tuple[str, ...]]:
    """Linux Libertine O if installed, else DejaVu (with a warning), else Pillow's own face."""
    libertine = CoverFonts(libertine_dir / "LinLibertine_RB.otf",
                           libertine_dir / "LinLibertine_RI.otf",
                           libertine_dir / "LinBiolinum_R.otf")
    if all(path is not None and path.is_file() for path in _paths(libertine)):
        return libertine, ()
    dejavu = CoverFonts(dejavu_dir / "DejaVuSerif-Bold.ttf", dejavu_dir / "DejaVuSerif-Italic.ttf",
                        dejavu_dir / "DejaVuSans.ttf")
    if all(path is not None and path.is_file() for path in _paths(dejavu)):
        return dejavu, (f"cover: Linux Libertine O not found in {libertine_dir}; used DejaVu "
                        "(install fonts-linuxlibertine for the book face)",)
    return CoverFonts(None, None, None), (
        "cover: neither Linux Libertine O nor DejaVu is installed; used Pillow's built-in face "
        "(install fonts-linuxlibertine)",)


def _paths(fonts: CoverFonts) -> tuple[Path | None, ...]:
    return (fonts.title, fonts.subtitle, fonts.authors)


def _font(path: Path | None, size: int) -> Font:
    if path is None:
        return ImageFont.load_default(size)
    return ImageFont.truetype(str(path), size)


def _wrap(tokens: Sequence[str], font: Font, width: int) -> list[str]:
    """Greedy line breaking between tokens; a token longer than the line gets a line of its own."""
    lines: list[str] = []
    for word in tokens:
        candidate = f"{lines[-1]} {word}" if lines else word
        if lines and font.getlength(candidate) <= width:
            lines[-1] = candidate
        else:
            lines.append(word)
    return lines


def _fit(tokens: Sequence[str], path: Path | None, sizes: Sequence[int],
         max_lines: int, phrases: Sequence[Sequence[str]] = ()) -> tuple[Font, list[str], int]:
    """The largest size at which ``tokens`` fit the text width in ``max_lines`` lines;
    ``phrases`` (tokens in groups) start a line each: a title breaks at its colon."""
    groups = phrases or (tokens,)
    for size in sizes:
        font = _font(path, size)
        lines = [line for group in groups for line in _wrap(group, font, _TEXT_WIDTH)]
        if len(lines) <= max_lines and all(font.getlength(x) <= _TEXT_WIDTH for x in lines):
            return font, lines, size
    return font, lines[:max_lines], sizes[-1]


def _author_tokens(authors: Sequence[str], limit: int = 8) -> list[str]:
    """"A, B and C" as unbreakable names (a line never splits a name); past ``limit`` names,
    "and N others": a cover is not a contributor list."""
    names = [" ".join(name.split()) for name in authors if name.strip()]
    if len(names) > limit:
        names = [*names[:limit], f"{len(names) - limit} others"]
    tokens = [f"{name}," for name in names[:-2]]
    if len(names) > 1:
        tokens.append(f"{names[-2]} and")
    return [*tokens, *names[-1:]]


def _draw_lines(draw: ImageDraw.ImageDraw, lines: Sequence[str], font: Font, top: int,
                leading: int) -> int:
    """Centre each line; returns the y below the last one."""
    for index, line in enumerate(lines):
        draw.text((COVER_SIZE[0] // 2, top + index * leading), line, font=font, fill=_INK,
                  anchor="ma")
    return top + len(lines) * leading


def title_lines(title: str) -> tuple[str, ...]:
    """The title's phrases, one a line: broken after each ": " (as cover_pdf.title_lines)."""
    head, colon, rest = title.partition(": ")
    if not colon or not rest.strip():
        return (title,)
    return (head + ":", *title_lines(rest))


def typographic_cover(title: str, subtitle: str = "", authors: Sequence[str] = (),
                      fonts: CoverFonts | None = None) -> CoverImage:
    """Draw the cover: title high in the upper half, subtitle under an ochre rule, authors low."""
    warnings: tuple[str, ...] = ()
    if fonts is None:
        fonts, warnings = find_fonts()
    image = Image.new("RGB", COVER_SIZE, _BACKGROUND)
    draw = ImageDraw.Draw(image)
    centre = COVER_SIZE[0] // 2
    draw.rectangle((_MARGIN, 250, COVER_SIZE[0] - _MARGIN, 258), fill=_ACCENT)
    # One phrase a line, as on the print cover ("Making Open Books:" / "A Working Specimen").
    phrases = [line.split() for line in title_lines(title)]
    font, lines, size = _fit(title.split(), fonts.title, range(170, 59, -10), 5, phrases)
    bottom = _draw_lines(draw, lines, font, 420, int(size * 1.18))
    draw.rectangle((centre - 120, bottom + 60, centre + 120, bottom + 68), fill=_ACCENT)
    if subtitle.strip():
        font, lines, size = _fit(subtitle.split(), fonts.subtitle, range(84, 39, -4), 5)
        _draw_lines(draw, lines, font, bottom + 150, int(size * 1.3))
    author_tokens = _author_tokens(authors)
    if author_tokens:
        font, lines, size = _fit(author_tokens, fonts.authors, range(68, 31, -4), 6)
        leading = int(size * 1.35)
        _draw_lines(draw, lines, font, COVER_SIZE[1] - 330 - len(lines) * leading, leading)
    draw.rectangle((_MARGIN, COVER_SIZE[1] - 258, COVER_SIZE[0] - _MARGIN, COVER_SIZE[1] - 250),
                   fill=_ACCENT)
    buffer = io.BytesIO()
    image.save(buffer, "PNG", optimize=False, compress_level=9)
    return CoverImage(buffer.getvalue(), warnings)
