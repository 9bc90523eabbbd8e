"""Jupyter Book: ``_toc.yml`` (format ``jb-book``, ``jb-article``, or sphinx-external-toc's
own ``entries``/``subtrees`` without a ``format``) + ``_config.yml``.

``root`` is the first chapter; ``parts`` (each with a ``caption``) hold ``chapters``, which
hold ``sections`` (nested ``sections`` go one level deeper, up to three). Files are named
without their suffix (``intro`` -> ``intro.md``). ``_config.yml`` gives ``title``, ``author``
and ``sphinx: config: language``. ``url`` entries are web links, not chapters: a warning says
they are left out; ``glob`` entries take the matching Markdown files in name order.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from handbook_build.model import Manifest, Metadata, ReadOnlyMapping
from handbook_build.sources.contents import ContentsItem, display_path
from handbook_build.sources.ecosystems.book_manifest import BookInfo, book_date, finish, start
from handbook_build.sources.ecosystems.chapter_files import (
    chapter_file,
    chapter_title,
    glob_chapters,
    item,
    refuse_other_formats,
)
from handbook_build.sources.ecosystems.values import Values, shape
from handbook_build.sources.ecosystems.yaml_lines import YamlList, YamlMap, load_yaml
from handbook_build.sources.manifest import Report

SUFFIXES = (".md", ".markdown", ".myst")
# jb-book names its levels parts/chapters/sections, jb-article sections, and
# sphinx-external-toc's own format (no "format:" key) subtrees/entries.
FORMATS = ("jb-book", "jb-article", "default")
PART_LISTS = ("parts", "subtrees")
ENTRY_LISTS = ("chapters", "sections", "entries")
ENTRY_KEYS = frozenset({"file", "url", "glob", "title", "sections", "chapters", "parts",
                        "entries", "subtrees", "caption", "numbered", "maxdepth", "reversed",
                        "titlesonly", "hidden", "options"})
TOP_KEYS = frozenset({"format", "root", "parts", "chapters", "sections", "entries",
                      "subtrees", "defaults", "options", "meta"})


def read(toc_path: Path) -> tuple[Manifest | None, Report]:
    root_dir = toc_path.parent
    report = start(toc_path, root_dir)
    toc = load_yaml(toc_path, report)
    if toc is None:
        return None, report
    walker = _Walker(root_dir, report.shown, report)
    walker.top(toc)
    config = _config(root_dir / "_config.yml", report)
    values = Values(config, display_path(root_dir / "_config.yml"), report)
    sphinx = Values(Values(values.table("sphinx"), values.shown, report).table("config"),
                    values.shown, report, "sphinx.config.")
    title = values.text("title")
    info = BookInfo(toc_path, root_dir, toc_path, root_dir, tuple(walker.items), Metadata(
        title=title or root_dir.name, authors=values.names("author"),
        description=values.text("description"), language=sphinx.language("language"),
        date=book_date(None), bibliography=values.bibliography("bibtex_bibfiles", root_dir),
        identifiers=ReadOnlyMapping()))
    return finish(info, report), report


def _config(path: Path, report: Report) -> Mapping[str, object]:
    if not path.is_file():
        return {}
    return load_yaml(path, report) or {}


class _Walker:
    """The entries of a ``_toc.yml``, in book order, as contents items."""

    def __init__(self, root_dir: Path, shown: str, report: Report) -> None:
        self.root_dir, self.shown, self.report = root_dir, shown, report
        self.items: list[ContentsItem] = []

    def error(self, line: int, message: str, hint: str, code: str = "toc-shape") -> None:
        self.report.add(self.shown, line, message, hint, code)

    def top(self, toc: YamlMap) -> None:
        form = toc.get("format", "default")
        if form not in FORMATS:
            self.error(toc.line_of("format"), f"_toc.yml format {form!r} is not "
                       f"{', '.join(FORMATS)}", "write 'format: jb-book' on the first line")
            return
        for key in toc:
            if key not in TOP_KEYS:
                Values(toc, self.shown, self.report).unknown(key, TOP_KEYS, "_toc.yml")
        root = toc.get("root")
        if not isinstance(root, str):
            self.error(toc.line_of("root"), "_toc.yml has no 'root' file", "add 'root: intro' "
                       "naming the first page")
        else:
            self.chapter(root, None, toc.line_of("root"), 1)
        for key in toc:  # in the order written: a file may have parts, then more chapters
            if key in PART_LISTS:
                for part in self.entries(toc, key):
                    self.part(part)
            elif key in ENTRY_LISTS:
                for entry in self.entries(toc, key):
                    self.entry(entry, 1)

    def part(self, part: YamlMap) -> None:
        """A part (``parts:`` of jb-book, ``subtrees:`` of sphinx-external-toc)."""
        caption = part.get("caption")
        if not isinstance(caption, str):
            self.error(part.line, "a part has no caption", "add 'caption: Part title' to it: "
                       "the caption is the part's title")
            caption = "Part"
        self.items.append(item(part.line_of("caption"), 1, caption, None, self.shown,
                               self.report))
        self.children(part, 2)

    def entries(self, mapping: YamlMap, key: str) -> list[YamlMap]:
        value = mapping.get(key)
        if not isinstance(value, YamlList):
            self.error(mapping.line_of(key), f"{key} must be a list of entries, not "
                       f"{shape(value)}", f"write each as '- file: name' under '{key}:'")
            return []
        found = [entry for entry in value if isinstance(entry, YamlMap)]
        if len(found) != len(value):
            self.error(value.line, f"every entry of {key} must be a mapping such as "
                       "'- file: intro'", "write '- file: name', not '- name'")
        return found

    def entry(self, entry: YamlMap, depth: int) -> None:
        unknown = [key for key in entry if key not in ENTRY_KEYS]
        for key in unknown:
            Values(entry, self.shown, self.report).unknown(key, ENTRY_KEYS, "a _toc.yml entry")
        title = entry.get("title")
        if isinstance(entry.get("file"), str):
            self.chapter(str(entry["file"]), title if isinstance(title, str) else None,
                         entry.line_of("file"), depth)
        elif isinstance(entry.get("glob"), str):
            self.glob(str(entry["glob"]), entry.line_of("glob"), depth)
        elif "url" in entry:
            self.report.add(self.shown, entry.line_of("url"), f"the web link {entry['url']!r} "
                            "is not a chapter and is left out of the editions", "",
                            code="url-entry", severity="warning")
            return
        else:
            if not unknown:  # a misspelt "file" was just reported: once is enough
                self.error(entry.line, "an entry names no file", "write '- file: name' (the "
                           "file without its .md suffix)")
            return
        self.children(entry, depth + 1)
        for key in PART_LISTS:  # a subtree under a page: its entries are the page's sections
            for subtree in self.entries(entry, key) if key in entry else ():
                self.children(subtree, depth + 1)

    def children(self, mapping: YamlMap, depth: int) -> None:
        for key in ENTRY_LISTS:
            for child in self.entries(mapping, key) if key in mapping else ():
                self.entry(child, depth)

    def chapter(self, name: str, title: str | None, line: int, depth: int) -> None:
        target = chapter_file(self.root_dir, name, SUFFIXES)
        if not refuse_other_formats(target, line, self.shown, self.report):
            return
        title = title or chapter_title(self.root_dir, target, (self.root_dir,))
        self.items.append(item(line, depth, title, target, self.shown, self.report))

    def glob(self, pattern: str, line: int, depth: int) -> None:
        taken = {entry.target for entry in self.items}
        for target in glob_chapters(self.root_dir, pattern, SUFFIXES, line, self.shown,
                                    self.report):
            if target not in taken:
                self.chapter(target, None, line, depth)
