"""A folder of numbered chapters (``01-intro.md``, ``02-methods.md``) with pandoc's
``metadata.yaml``: the book is the numbered files (beside it, else in ``chapters/`` or
``src/``) in number order, as ``pandoc *.md`` reads them. ``title``, ``subtitle``, ``author``,
``lang``, ``date``, ``rights``, ``publisher``, ``description`` (or ``abstract``) and
``keywords`` (or ``subject``) come from the metadata. Other Markdown files in the chapters'
folder are not chapters: a warning names them, so none is lost in silence. Each chapter's
title is its front matter ``title`` or first ``#`` heading.
"""

from __future__ import annotations

import re
from pathlib import Path

from handbook_build.checks.lint_rules import CONTENTS_NAMES
from handbook_build.model import Manifest, Metadata, ReadOnlyMapping
from handbook_build.sources.contents import ContentsItem
from handbook_build.sources.ecosystems.book_manifest import BookInfo, book_date, finish, start
from handbook_build.sources.ecosystems.chapter_files import chapter_title, item
from handbook_build.sources.ecosystems.values import Values
from handbook_build.sources.ecosystems.yaml_lines import load_yaml
from handbook_build.sources.manifest import Report

METADATA_NAMES = ("metadata.yaml", "metadata.yml")
NUMBERED_RE = re.compile(r"^(?P<number>\d+)(?:[-_. ].*)?\.(?:md|markdown)$", re.IGNORECASE)
FURNITURE = frozenset({*CONTENTS_NAMES, "license.md", "changelog.md", "contributing.md"})


CHAPTER_FOLDERS = ("", "chapters", "src")  # where pandoc book templates keep the chapters


def _number(path: Path) -> int:
    match = NUMBERED_RE.match(path.name)
    return int(match["number"]) if match else 0


def numbered_chapters(book_dir: Path) -> list[Path]:
    """The numbered Markdown files beside the metadata (else in ``chapters/`` or ``src/``), in
    number order, then name order."""
    for name in CHAPTER_FOLDERS:
        folder = book_dir / name
        if not folder.is_dir() or folder.is_symlink():
            continue
        found = [path for path in folder.iterdir()
                 if NUMBERED_RE.match(path.name) and path.is_file()]
        if found:
            return sorted(found, key=lambda path: (_number(path), path.name))
    return []


def read(metadata_path: Path) -> tuple[Manifest | None, Report]:
    root_dir = metadata_path.parent
    report = start(metadata_path, root_dir)
    data = load_yaml(metadata_path, report)
    if data is None:
        return None, report
    values = Values(data, report.shown, report)
    items: list[ContentsItem] = []
    chapters = numbered_chapters(root_dir)
    for path in chapters:
        target = path.relative_to(root_dir).as_posix()
        items.append(item(1, 1, chapter_title(root_dir, target, (root_dir,)), target,
                          report.shown, report))
    if not items:
        report.add(report.shown, None, f"{root_dir.name}/ has no numbered chapter files",
                   "name the chapters in reading order: 01-intro.md, 02-next.md, ... (beside "
                   "the metadata, or in chapters/)", code="empty-contents")
        return None, report
    for path in sorted(chapters[0].parent.glob("*.md")):
        if not NUMBERED_RE.match(path.name) and path.name.lower() not in FURNITURE:
            report.add(report.shown, None, f"{path.name} is not numbered, so it is not a "
                       "chapter of the book", f"rename it (e.g. {len(items) + 1:02d}-"
                       f"{path.name}) to add it", code="unnumbered", severity="warning")
    description = values.text("description") or values.text("abstract")
    info = BookInfo(metadata_path, root_dir, metadata_path, root_dir, tuple(items), Metadata(
        title=_title(values) or root_dir.name, subtitle=values.text("subtitle"),
        authors=values.names("author"), language=values.language("lang"),
        license=values.text("rights"), publisher=values.text("publisher"),
        description=description,
        keywords=values.texts("keywords") or values.texts("subject"),
        date=book_date(values.date("date")), cover_image=values.cover("cover-image", root_dir),
        bibliography=values.bibliography("bibliography", root_dir),
        identifiers=ReadOnlyMapping()))
    return finish(info, report), report


def _title(values: Values) -> str:
    """pandoc's EPUB metadata may give ``title`` as a list of ``{type, text}`` mappings."""
    raw = values.data.get("title")
    if isinstance(raw, list):
        for entry in raw:
            if isinstance(entry, dict) and entry.get("type", "main") == "main":
                text = entry.get("text")
                return text.strip() if isinstance(text, str) else ""
    return values.text("title")
