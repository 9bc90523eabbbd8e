"""What a reader found (``BookInfo``) -> the same frozen ``Manifest`` as ``book.toml`` gives:
every chapter checked as ``book.toml`` books are checked (confined to the book's folder,
existing, UTF-8). Problems are collected in the manifest's report, so they read
``file:line: what; how to fix`` like every other message."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from handbook_build.display import bases_for, use_book
from handbook_build.model import Manifest, Metadata, ReadOnlyMapping, TocNode
from handbook_build.sources.contents import (
    ContentsItem,
    chapter_slug,
    display_path,
    part_slug,
    slugify,
    unique_slug,
)
from handbook_build.sources.guard import system_folder
from handbook_build.sources.manifest import (
    Report,
    check_chapters,
    confined,
    find_styles_dir,
    outside_roots_hint,
    source_date_epoch,
)

DEFAULT_DATE = dt.date(2000, 1, 1)


def build_nodes(items: Iterable[ContentsItem], base_dir: Path, shown: str,
                report: Report) -> list[TocNode]:
    """Nodes in book order, matched by position (several items may share a line: a glob, a
    pandoc folder). A chapter's id is its file stem as in contents.py; where two files share a
    stem (``part1/index.md``, ``part2/index.md``: usual in these tools) it is their path."""
    listed = list(items)
    stems: dict[str, set[str]] = {}
    for entry in listed:
        if entry.target is not None:
            stems.setdefault(chapter_slug(entry.target), set()).add(entry.target)
    taken: set[str] = set()
    seen: dict[Path, int] = {}
    chapters: dict[int, TocNode] = {}
    for index, entry in enumerate(listed):
        if entry.target is None:
            continue
        try:
            path = (base_dir / entry.target).resolve()
        except (OSError, RuntimeError):
            report.add(shown, entry.line, f"chapter {entry.target} is a symlink loop",
                       "point the entry at a real chapter file", code="symlink-loop")
            continue
        if path in seen:  # these tools allow it (a summary page under two headings)
            report.add(shown, entry.line, f"chapter {entry.target} is listed again (first on "
                       f"line {seen[path]}); it is printed once, there", "list each chapter "
                       "file once to silence this", code="duplicate-chapter",
                       severity="warning")
            continue
        seen[path] = entry.line
        slug = chapter_slug(entry.target)
        if len(stems[slug]) > 1:
            slug = chapter_slug(Path(entry.target).with_suffix("").as_posix().replace("/", "-"))
        chapters[index] = TocNode("chapter", entry.title, entry.depth, unique_slug(slug, taken),
                                  entry.line, path)
    nodes: list[TocNode] = []
    for index, entry in enumerate(listed):
        if entry.target is None:
            nodes.append(TocNode("part", entry.title, entry.depth,
                                 unique_slug(part_slug(entry.title), taken), entry.line))
        elif index in chapters:
            nodes.append(chapters[index])
    return nodes


@dataclass(frozen=True, slots=True)
class BookInfo:
    """What a reader found: the files, the order of the book and its metadata."""

    entry_path: Path  # the file the user named (or that detect.py found)
    root_dir: Path  # the book's folder: nothing outside it is read
    contents_path: Path  # the file the contents lines refer to
    chapters_dir: Path  # what the items' targets are relative to
    items: tuple[ContentsItem, ...]
    metadata: Metadata


def start(entry_path: Path, root_dir: Path) -> Report:
    """A report for ``entry_path``, with messages shown relative to the book's folder."""
    use_book(*bases_for(root_dir, root_dir, (), find_styles_dir()))
    return Report(display_path(entry_path))


def book_date(date: dt.date | None) -> dt.date:
    """The date every output claims: SOURCE_DATE_EPOCH, else the entry file's, else 2000-01-01
    (reproducible either way: never the day of the build)."""
    return source_date_epoch() or date or DEFAULT_DATE


def finish(info: BookInfo, report: Report, *, defaulted: bool = False) -> Manifest | None:
    """The Manifest, after every chapter is checked; None when anything is an error."""
    roots = (info.root_dir,)
    shown = display_path(info.contents_path)
    if system_folder(info.root_dir):
        report.add(shown, None, f"{info.root_dir} is a system folder, not a book",
                   "give the folder that holds the book", code="system-folder")
        return None
    if not confined(info.chapters_dir, roots):
        report.add(shown, None, f"the chapters folder {info.chapters_dir} leaves the book's "
                   "folder", outside_roots_hint(roots), code="outside-root")
        return None
    nodes = build_nodes(info.items, info.chapters_dir.resolve(), shown, report)
    if not any(node.kind == "chapter" for node in nodes):
        if not any(d.severity == "error" for d in report.items):
            report.add(shown, 1, "the book lists no chapter", "list at least one Markdown "
                       "chapter file", code="empty-contents")
        return None
    check_chapters(nodes, info.contents_path, roots, report)
    if any(d.severity == "error" for d in report.items):
        return None
    title = info.metadata.title
    return Manifest(
        manifest_path=info.entry_path, root_dir=info.root_dir, source_dir=info.chapters_dir,
        allowed_roots=roots, stem=slugify(title) or "book", metadata=info.metadata,
        contents_path=info.contents_path, nodes=tuple(nodes), image_dirs=(),
        styles_dir=find_styles_dir(), site_aliases=ReadOnlyMapping(), is_defaulted=defaulted,
    )
