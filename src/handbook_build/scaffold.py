"""``handbook-build init [FOLDER]``: a new book that builds at once.

It writes ``book.toml`` (every key shown, the optional ones commented out, each with a line
saying what it does), ``contents.md``, two chapters that use what a reader of the docs asks
about first (a footnote, an image, a table, a link from one chapter to the other) and a small
PNG figure. ``styles/`` is not copied: the book uses the defaults until the editor adds one.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

from handbook_build.errors import HandbookError
from handbook_build.output import write_all


class FolderNotEmptyError(HandbookError):
    """init would mix a new book into existing files: a usage error (exit 2)."""

    exit_code = 2


@dataclass(frozen=True, slots=True)
class NewBook:
    folder: Path
    files: tuple[Path, ...]  # relative to folder, in the order written


def create_book(folder: Path, title: str = "", force: bool = False) -> NewBook:
    """Write a new book into ``folder`` (created if needed); refuse a non-empty one unless
    ``force``, and even then never overwrite a file that is there."""
    if folder.exists() and not folder.is_dir():
        raise FolderNotEmptyError(f"{folder}: is a file; give a folder for the new book")
    present = sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []
    files = book_files(title or _title_from(folder))
    if present and not force:
        raise FolderNotEmptyError(
            f"{folder}: not empty ({', '.join(present[:3])}{', ...' if len(present) > 3 else ''})"
            "; give an empty or new folder, or --force to add the book's files beside them")
    clashes = [name for name in files if (folder / name).exists()]
    if clashes:
        raise FolderNotEmptyError(f"{folder / clashes[0]}: already exists; init never "
                                  "overwrites a file: move it away or pick another folder")
    folder.mkdir(parents=True, exist_ok=True)
    for name in files:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
    write_all({folder / name: data for name, data in files.items()})
    return NewBook(folder, tuple(Path(name) for name in files))


def book_files(title: str) -> dict[str, bytes]:
    """Relative path -> bytes of every file of a new book."""
    return {
        "book.toml": _manifest(title).encode(),
        "contents.md": CONTENTS.format(title=title).encode(),
        "chapters/introduction.md": INTRODUCTION.encode(),
        "chapters/working-together.md": WORKING_TOGETHER.encode(),
        "images/cycle.png": figure_png(),
        ".gitignore": b"build/\n",
    }


def _title_from(folder: Path) -> str:
    name = folder.resolve().name.replace("-", " ").replace("_", " ").strip()
    return name[:1].upper() + name[1:] if name else "My Book"


def _today() -> dt.date:
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
    if epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC).date()
    return dt.datetime.now(tz=dt.UTC).date()


def _manifest(title: str) -> str:
    return MANIFEST.format(title=_toml_string(title), date=_today().isoformat(),
                           epub_id=uuid.uuid4(), print_id=uuid.uuid4())


def _toml_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


FIGURE_WIDTH = 1600  # pixels


def figure_png() -> bytes:
    """A diagram (four stages round a cycle) drawn with Pillow: same bytes every time.

    1600 px wide because the print edition sets it 5 in wide: 320 ppi, above the preflight's
    300, so the new book releases without a warning (480 px printed at 96 ppi).
    """
    from PIL import Image, ImageDraw

    scale = FIGURE_WIDTH / 480  # drawn on a 480x240 grid
    image = Image.new("RGB", (FIGURE_WIDTH, FIGURE_WIDTH // 2), "white")
    draw = ImageDraw.Draw(image)
    colours = ["#2f6f9f", "#3f8f5f", "#c08a2f", "#9f3f5f"]
    centres = [(x * scale, y * scale) for x, y in ((120, 60), (360, 60), (360, 180), (120, 180))]
    for (x, y), (nx, ny) in zip(centres, centres[1:] + centres[:1], strict=True):
        draw.line([(x, y), (nx, ny)], fill="#777777", width=round(4 * scale))
    for (x, y), colour in zip(centres, colours, strict=True):
        draw.ellipse([x - 40 * scale, y - 30 * scale, x + 40 * scale, y + 30 * scale],
                     fill=colour, outline="#222222", width=round(2 * scale))
    buffer = io.BytesIO()
    image.save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


MANIFEST = """\
# The book's manifest: its metadata, where the chapters are, and per-edition settings.
# Lines starting with # are comments: remove the # to use a setting. Every key is in
# docs/manifest.md; `handbook-build check` says what is wrong, with the line.

[book]
title = {title}
date = {date}                         # every date in every edition comes from here
# subtitle = ""
authors = ["Your Name"]
# contributors = ["A Helper (editor)"]
# edition = "1.0"                       # quote it
language = "en"                         # a BCP 47 tag: "en", "fr", "pt-BR"
# license = "CC-BY-4.0"                 # an SPDX id
# license_url = "https://creativecommons.org/licenses/by/4.0/"
# publisher = ""
# description = "One or two sentences for the EPUB's and the web page's metadata."
# keywords = ["learning", "collaboration"]
# series = ""
# series_position = 1
# site_url = "https://example.org"     # links to this site become links inside the book
# blurb = "Back-cover text of the print cover."
# cover = "images/cover.png"            # a cover image; without one a typographic cover is made
# bibliography = "refs.bib"             # .bib or CSL JSON: [@key] citations, a References chapter
# stem = "my-book"                      # output file names; default: the title, slugged
# number_chapters = false               # "3 · Title" in the contents, openings, outline, nav
# title_case = true                     # titles typed in capitals shown in title case
# part_label = "Part"                   # "Part II" over a part's title
# part_numbers = "roman"                # "roman", "arabic" or "none"

[identifiers]
# One per edition, never shared: an ISBN ("978-...") or a urn:uuid (made fresh by init).
epub = "urn:uuid:{epub_id}"
print = "urn:uuid:{print_id}"
# pdf = "urn:isbn:..."

[contents]
file = "contents.md"                    # the order of the book: a nested list of links
images = ["images"]                     # folders where images are looked up
# source = "."                          # folder of the chapters and the contents file
# chapters = "."                        # folder the contents list's links are relative to

# [site]
# aliases = {{ about = "introduction.md" }}   # site pages whose address differs from the file

[pdf]                                   # the reading PDF
# trim = "6x9in"                        # "5.5x8.5in", "a5", "a4", "letter", or "WxH" in in/mm/cm
# margins = {{ top = "0.75in", bottom = "0.8in", inner = "0.8in", outer = "0.6in" }}
# font_size = "10.5pt"
# font_family = "Linux Libertine O"
# hyphenate = true
# layout = "screen"                     # "screen": symmetric, no blanks; "book": rectos, mirrored

[print]                                 # the annotatable print edition (wide note margins)
# trim = "letter"
# margins = {{ inner = "0.75in" }}
# font_size = "10.5pt"
# note_style = "ruled"                  # "ruled", "dots" or "blank"
# notes_pages = 1                       # notes pages after each chapter; 0 turns them off
# prompts = ["What will you try first?"]
# blank_versos = "notes"                # a blank verso before a recto opening: "notes" or "blank"
# profile = "none"                      # "kdp", "lulu", "ingramspark"
# paper = "white"                       # "cream", "color"

[epub]
# embed_fonts = false
"""

CONTENTS = """\
# {title}

- [Introduction](chapters/introduction.md)
- Practice
  - [Working together](chapters/working-together.md)
"""

INTRODUCTION = """\
# Introduction

This is the first chapter of your book. Each chapter is a Markdown file in `chapters/`;
`contents.md` gives their order, and nesting a link under a plain item makes a part.

A footnote looks like this.[^notes] The next chapter, [Working together](working-together.md),
shows a figure and a table.

[^notes]: Footnotes are numbered per chapter, at the page bottom in the PDF and as pop-ups in
    the EPUB.

## Building the book

Run `handbook-build build` in this folder: every edition is written to `build/`.
`handbook-build serve` shows the book in your browser and reloads it after each save.
"""

WORKING_TOGETHER = """\
# Working together

Images are looked up in the folders `book.toml` names (`images/` here):

![Four stages round a cycle: plan, do, share, reflect](../images/cycle.png)

A table:

| Stage   | What happens                  |
|---------|-------------------------------|
| Plan    | agree on a goal and a date    |
| Do      | work, each on a part          |
| Share   | show what was made            |
| Reflect | say what to change next time  |
"""
