"""Quarto: ``_quarto.yml`` with ``project: type: book`` and ``book: title, author, chapters``.

``chapters`` lists files (``index.qmd`` first, by Quarto's rule) and ``- part: "Title"`` entries
holding their own ``chapters``; ``appendices`` become a last part, "Appendices". A ``part:``
that names a file takes its title from it (a warning says when that file holds more than a
title: only the title is printed). ``.qmd`` files are read as
Markdown; the language is the top-level ``lang``.
"""

from __future__ import annotations

from pathlib import Path

from handbook_build.model import Manifest, Metadata, ReadOnlyMapping
from handbook_build.sources.contents import ContentsItem
from handbook_build.sources.ecosystems.book_manifest import BookInfo, book_date, finish, start
from handbook_build.sources.ecosystems.chapter_files import (
    chapter_file,
    chapter_text,
    chapter_title,
    has_body,
    item,
    refuse_other_formats,
)
from handbook_build.sources.ecosystems.values import Values, shape
from handbook_build.sources.ecosystems.yaml_lines import YamlList, YamlMap, load_yaml
from handbook_build.sources.manifest import Report

SUFFIXES = (".qmd", ".md", ".markdown")
PART_KEYS = frozenset({"part", "chapters"})


def read(quarto_path: Path) -> tuple[Manifest | None, Report]:
    root_dir = quarto_path.parent
    report = start(quarto_path, root_dir)
    config = load_yaml(quarto_path, report)
    if config is None:
        return None, report
    top = Values(config, report.shown, report)
    project = Values(top.table("project"), report.shown, report, "project.")
    if project.text("type", "book") != "book":
        project.error("type", f"this _quarto.yml is a Quarto {project.text('type')!r} project, "
                      "not a book", "handbook-build builds 'project: type: book'",
                      code="not-a-book")
        return None, report
    book_map = top.table("book")
    book = Values(book_map, report.shown, report, "book.")
    items: list[ContentsItem] = []
    walker = _Chapters(root_dir, report, items)
    chapters = book_map.get("chapters")
    if not isinstance(chapters, YamlList):
        line = book_map.line_of("chapters") if isinstance(book_map, YamlMap) else config.line
        report.add(report.shown, line, "_quarto.yml has no book.chapters list", "add "
                   "'chapters:' under 'book:' listing index.qmd and the chapter files",
                   code="toc-shape")
    else:
        walker.entries(chapters, 1)
    appendices = book_map.get("appendices")
    if isinstance(appendices, YamlList) and appendices:
        line = book_map.line_of("appendices") if isinstance(book_map, YamlMap) else 1
        items.append(item(line, 1, "Appendices", None, report.shown,
                          report))
        walker.entries(appendices, 2)
    info = BookInfo(quarto_path, root_dir, quarto_path, root_dir, tuple(items), Metadata(
        title=book.text("title") or root_dir.name, subtitle=book.text("subtitle"),
        authors=book.names("author"), description=book.text("description"),
        publisher=book.text("publisher"), license=book.text("license"),
        language=top.language("lang"), date=book_date(book.date("date")),
        cover_image=book.cover("cover-image", root_dir),
        # Quarto reads `bibliography:` at the top level (pandoc's metadata) or under book:
        bibliography=(book.bibliography("bibliography", root_dir)
                      or top.bibliography("bibliography", root_dir)),
        identifiers=ReadOnlyMapping()))
    return finish(info, report), report


class _Chapters:
    def __init__(self, root_dir: Path, report: Report, items: list[ContentsItem]) -> None:
        self.root_dir, self.report, self.items = root_dir, report, items
        self.shown = report.shown

    def entries(self, entries: YamlList, depth: int) -> None:
        for index, entry in enumerate(entries):
            line = self.line_of_entry(entries, index)
            if isinstance(entry, str):
                self.chapter(entry, line, depth)
            elif isinstance(entry, YamlMap) and "part" in entry:
                self.part(entry, depth)
            elif isinstance(entry, YamlMap) and isinstance(entry.get("href"), str):
                self.chapter(str(entry["href"]), entry.line_of("href"), depth)
            else:
                self.report.add(self.shown, line, f"a chapters entry is {shape(entry)}, not a "
                                "file name or a part", "write '- chapter.qmd' or "
                                "'- part: \"Title\"' with its own 'chapters:'", code="toc-shape")

    def line_of_entry(self, entries: YamlList, index: int) -> int:
        entry = entries[index]
        return entry.line if isinstance(entry, YamlMap) else entries.line_of(index)

    def part(self, entry: YamlMap, depth: int) -> None:
        for key in entry:
            if key not in PART_KEYS:
                Values(entry, self.shown, self.report).unknown(key, PART_KEYS, "a part entry")
        name = entry.get("part")
        if not isinstance(name, str) or not name.strip():
            self.report.add(self.shown, entry.line_of("part"), "part: needs a title or a file",
                            "write 'part: \"Part title\"'", code="toc-shape")
            return
        title = name.strip()
        if Path(title).suffix.lower() in SUFFIXES and (self.root_dir / title).is_file():
            if has_body(chapter_text(self.root_dir, title, (self.root_dir,))):
                self.report.add(self.shown, entry.line_of("part"), f"the part page {title} "
                                "holds more than its title; only the title is printed",
                                "move its text into a chapter of the part", code="part-text",
                                severity="warning")
            title = chapter_title(self.root_dir, title, (self.root_dir,))
        self.items.append(item(entry.line_of("part"), depth, title, None, self.shown,
                               self.report))
        chapters = entry.get("chapters")
        if isinstance(chapters, YamlList):
            self.entries(chapters, depth + 1)
        elif chapters is not None:
            self.report.add(self.shown, entry.line_of("chapters"), f"chapters must be a list, "
                            f"not {shape(chapters)}", "list them as '- chapter.qmd'",
                            code="toc-shape")

    def chapter(self, name: str, line: int, depth: int) -> None:
        target = chapter_file(self.root_dir, name, SUFFIXES)
        if refuse_other_formats(target, line, self.shown, self.report):
            title = chapter_title(self.root_dir, target, (self.root_dir,))
            self.items.append(item(line, depth, title, target, self.shown, self.report))
