"""MyST (mystmd): ``myst.yml`` with ``project: title, subtitle, authors, date, toc``.

``project.toc`` lists ``- file: intro.md``; an entry with ``title`` and ``children`` but no file
is a part (or, deeper, a heading of the contents); ``children`` of a file are its sections;
``pattern: "chapters/*.md"`` takes the matching files in name order; ``url`` entries are web
links, left out with a warning. Without a ``toc`` MyST orders the files itself, which a book
cannot rely on: that is an error naming the fix. A ``toc`` in a local file that myst.yml
``extends`` is used; an ``extends`` on the web is never fetched.
"""

from __future__ import annotations

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
from handbook_build.sources.manifest import Report, confined, outside_roots_hint

SUFFIXES = (".md", ".markdown", ".myst")
ENTRY_KEYS = frozenset({"file", "title", "children", "pattern", "url", "hidden"})


def read(myst_path: Path) -> tuple[Manifest | None, Report]:
    root_dir = myst_path.parent
    report = start(myst_path, root_dir)
    config = load_yaml(myst_path, report)
    if config is None:
        return None, report
    top = Values(config, report.shown, report)
    project_map = top.table("project")
    project = Values(project_map, report.shown, report, "project.")
    items: list[ContentsItem] = []
    toc, toc_path = _find_toc(config, myst_path, report)
    if toc is None:
        if not any(d.severity == "error" for d in report.items):
            report.add(report.shown, config.line_of("project"), "myst.yml has no project.toc "
                       "list", "add 'toc:' under 'project:' with '- file: intro.md' entries "
                       "in book order", code="toc-shape")
    else:
        _Toc(root_dir, report, items, display_path(toc_path)).entries(toc, 1)
    info = BookInfo(myst_path, root_dir, toc_path, root_dir, tuple(items), Metadata(
        title=project.text("title") or root_dir.name, subtitle=project.text("subtitle"),
        authors=project.names("authors") or project.names("author"),
        description=project.text("description"), keywords=project.texts("keywords"),
        license=_license(project), language=project.language("language"),
        date=book_date(project.date("date")),
        bibliography=project.bibliography("bibliography", root_dir),
        identifiers=ReadOnlyMapping()))
    return finish(info, report), report


def _find_toc(config: YamlMap, myst_path: Path, report: Report) -> tuple[YamlList | None, Path]:
    """``project.toc`` of myst.yml, else of the first local file it ``extends`` that has one
    (``extends: [./_data/toc.yml]``); the file it came from names the lines in messages."""
    project = config.get("project")
    if isinstance(project, YamlMap) and isinstance(project.get("toc"), YamlList):
        return project["toc"], myst_path  # type: ignore[return-value]
    extends = config.get("extends")
    names = [extends] if isinstance(extends, str) else extends if isinstance(extends, list) else []
    root_dir = myst_path.parent
    for name in names:
        if not isinstance(name, str) or "://" in name:
            continue  # a shared configuration on the web: never fetched
        path = (root_dir / name).resolve()
        if not confined(path, (root_dir,)):
            report.add(report.shown, config.line_of("extends"), f"extends {name!r} leaves the "
                       "book's folder", outside_roots_hint((root_dir,)), code="outside-root")
            continue
        if not path.is_file():
            continue
        other = load_yaml(path, report)
        if other is None:
            continue
        inner = other.get("project")
        toc = inner.get("toc") if isinstance(inner, YamlMap) else other.get("toc")
        if isinstance(toc, YamlList):
            return toc, path
    return None, myst_path


def _license(project: Values) -> str:
    value = project.data.get("license")
    if isinstance(value, dict):  # license: {content: CC-BY-4.0, code: MIT}
        content = value.get("content")
        return content if isinstance(content, str) else ""
    return project.text("license")


class _Toc:
    def __init__(self, root_dir: Path, report: Report, items: list[ContentsItem],
                 shown: str) -> None:
        self.root_dir, self.report, self.items = root_dir, report, items
        self.shown = shown  # the file the toc is in: myst.yml, or one it extends

    def entries(self, entries: YamlList, depth: int) -> None:
        for entry in entries:
            if not isinstance(entry, YamlMap):
                self.report.add(self.shown, entries.line, f"a toc entry is {shape(entry)}, not "
                                "a mapping", "write '- file: chapter.md'", code="toc-shape")
                continue
            self.entry(entry, depth)

    def entry(self, entry: YamlMap, depth: int) -> None:
        unknown = [key for key in entry if key not in ENTRY_KEYS]
        for key in unknown:
            Values(entry, self.shown, self.report).unknown(key, ENTRY_KEYS, "a toc entry")
        title = entry.get("title")
        title = title if isinstance(title, str) else None
        if isinstance(entry.get("file"), str):
            self.chapter(str(entry["file"]), title, entry.line_of("file"), depth)
        elif isinstance(entry.get("pattern"), str):
            for target in self.matches(str(entry["pattern"]), entry.line_of("pattern")):
                self.chapter(target, None, entry.line_of("pattern"), depth)
        elif "url" in entry:
            self.report.add(self.shown, entry.line_of("url"), f"the web link {entry['url']!r} "
                            "is not a chapter and is left out of the editions", code="url-entry",
                            severity="warning")
        elif title is not None and "children" in entry:
            self.items.append(item(entry.line_of("title"), depth, title, None, self.shown,
                                   self.report))
        else:
            if not unknown:  # a misspelt "file" was just reported: once is enough
                self.report.add(self.shown, entry.line, "a toc entry names no file", "write "
                                "'- file: chapter.md', or 'title:' with 'children:' for a "
                                "part", code="toc-shape")
            return
        children = entry.get("children")
        if isinstance(children, YamlList):
            self.entries(children, depth + 1)
        elif children is not None:
            self.report.add(self.shown, entry.line_of("children"), f"children must be a list, "
                            f"not {shape(children)}", "list them as '- file: section.md'",
                            code="toc-shape")

    def chapter(self, name: str, title: str | None, line: int, depth: int) -> None:
        target = chapter_file(self.root_dir, name, SUFFIXES)
        if refuse_other_formats(target, line, self.shown, self.report):
            title = title or chapter_title(self.root_dir, target, (self.root_dir,))
            self.items.append(item(line, depth, title, target, self.shown, self.report))

    def matches(self, pattern: str, line: int) -> list[str]:
        taken = {entry.target for entry in self.items}
        return [target for target in glob_chapters(self.root_dir, pattern, SUFFIXES, line,
                                                   self.shown, self.report)
                if target not in taken]
