"""What every convention's reader shares: YAML with line numbers, metadata values, the Manifest.

Each reader (mdbook.py, jupyterbook.py, ...) turns its entry file into ``ContentsItem``s and
metadata; ``finish`` checks every chapter as ``book.toml`` books are checked (confined to the
book's folder, existing, UTF-8) and builds the same frozen ``Manifest``. Problems are collected
in the manifest's report, so they read ``file:line: what; how to fix`` like every other message.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

from handbook_build.contents import (
    ContentsItem,
    chapter_slug,
    display_path,
    part_slug,
    slugify,
    unique_slug,
)
from handbook_build.display import bases_for, use_book
from handbook_build.front_matter import split_front_matter
from handbook_build.guard import MAX_CHAPTER_BYTES, input_file_problem, system_folder
from handbook_build.manifest import (
    IMAGE_SUFFIXES,
    Report,
    check_chapters,
    confined,
    find_styles_dir,
    outside_roots_hint,
    read_text,
    source_date_epoch,
)
from handbook_build.model import Manifest, Metadata, ReadOnlyMapping, Severity, TocNode

MAX_DEPTH = 3  # parts, chapters, sections: the levels the editions lay out
DEFAULT_DATE = dt.date(2000, 1, 1)
_LANGUAGE_RE = re.compile(r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*$")
_HEADING_RE = re.compile(r"^#[ \t]+(?P<title>.+?)[ \t#]*$")
NOT_MARKDOWN = {".ipynb": "a Jupyter notebook", ".rst": "reStructuredText",
                ".tex": "LaTeX", ".docx": "a Word file"}


# --- YAML that remembers where each key was ----------------------------------------------------


class YamlMap(dict[str, object]):
    """A YAML mapping with the line of each key (1-based) and of the mapping itself."""

    line: int = 1
    key_lines: dict[str, int]

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


class YamlList(list[object]):
    """A YAML list with its line and the line of each entry (strings keep none of their own)."""

    line: int = 1
    item_lines: list[int]

    def line_of(self, index: int) -> int:
        return self.item_lines[index] if index < len(self.item_lines) else self.line


class _LineLoader(yaml.SafeLoader):
    """SafeLoader (no Python objects) whose mappings and lists keep their lines."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> YamlMap:
    loader.flatten_mapping(node)
    result = YamlMap()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        name = str(key)
        result[name] = loader.construct_object(value_node, deep=True)
        result.key_lines.setdefault(name, key_node.start_mark.line + 1)
    return result


def _construct_sequence(loader: _LineLoader, node: yaml.SequenceNode) -> YamlList:
    result = YamlList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.item_lines = [child.start_mark.line + 1 for child in node.value]
    return result


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


MAX_YAML_NODES = 100_000  # an entry file lists hundreds of chapters, never this many values


def _expanded_size(node: yaml.Node, limit: int) -> int:
    """How many values ``node`` stands for with every alias expanded, counting up to ``limit``
    only: "billion laughs" aliases make a small file stand for 10^9 entries to walk."""
    count, stack = 0, [node]
    while stack and count <= limit:
        current = stack.pop()
        count += 1
        if isinstance(current, yaml.SequenceNode):
            stack.extend(current.value)
        elif isinstance(current, yaml.MappingNode):
            for key, value in current.value:
                stack.extend((key, value))
    return count


def load_yaml(path: Path, report: Report) -> YamlMap | None:
    """The YAML mapping in ``path``, or None with a ``file:line`` diagnostic."""
    shown = display_path(path)
    text = read_text(path, report)
    if text is None:
        return None
    try:
        loader = _LineLoader(text)
        try:
            node = loader.get_single_node()
            if node is not None and _expanded_size(node, MAX_YAML_NODES) > MAX_YAML_NODES:
                report.add(shown, node.start_mark.line + 1, "the file expands to more than "
                           f"{MAX_YAML_NODES:,} values (YAML aliases repeating each other)",
                           "write the entries out instead of through '*alias' references",
                           code="yaml-size")
                return None
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except RecursionError:
        report.add(shown, None, "the YAML nests too deeply to read", "an entry file needs a "
                   "few levels of nesting, not thousands", code="yaml-size")
        return None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else None
        column = mark.column + 1 if mark is not None else None
        problem = error.problem or error.context or "cannot be parsed"
        report.add(shown, line, f"not valid YAML: {problem}", "check the indentation and "
                   "quote values holding ': ' or '#'", code="yaml-syntax", column=column)
        return None
    except yaml.YAMLError as error:
        report.add(shown, None, f"not valid YAML: {error}", code="yaml-syntax")
        return None
    if data is None:
        data = YamlMap()
        data.key_lines = {}
    if not isinstance(data, YamlMap):
        report.add(shown, 1, "the file is not a YAML mapping of keys", "write it as "
                   "'key: value' lines", code="yaml-shape")
        return None
    return data


# --- values --------------------------------------------------------------------------------------


@dataclass(slots=True)
class Values:
    """Typed reading of one YAML (or TOML) mapping; a wrong shape is an error at its line."""

    data: Mapping[str, object]
    shown: str
    report: Report
    prefix: str = ""  # "book." in messages about _quarto.yml's book: mapping
    lines: Mapping[str, int] | None = None  # key -> line, for TOML (tomllib keeps no lines)

    def line(self, key: str) -> int | None:
        if self.lines is not None:
            return self.lines.get(key)
        data = self.data
        return data.line_of(key) if isinstance(data, YamlMap) else None

    def error(self, key: str, message: str, hint: str = "", code: str = "wrong-type") -> None:
        self.report.add(self.shown, self.line(key), message, hint, code)

    def warn(self, key: str, message: str, hint: str = "", code: str = "ignored") -> None:
        self.report.add(self.shown, self.line(key), message, hint, code, "warning")

    def text(self, key: str, default: str = "") -> str:
        value = self.data.get(key)
        if value is None:
            return default
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            return str(value).strip()
        self.error(key, f"{self.prefix}{key} must be text, not {shape(value)}",
                   f"write it as '{key}: text'")
        return default

    def table(self, key: str) -> Mapping[str, object]:
        value = self.data.get(key)
        if value is None:
            return {}
        if isinstance(value, Mapping):
            return value
        self.error(key, f"{self.prefix}{key} must be a mapping of keys, not {shape(value)}",
                   f"indent its keys under '{key}:'")
        return {}

    def names(self, key: str) -> tuple[str, ...]:
        """Authors as written by every convention: a string, a list, or {name: ...} mappings."""
        value = self.data.get(key)
        if value is None:
            return ()
        items = value if isinstance(value, list) else [value]
        names: list[str] = []
        for item in items:
            name = person_name(item)
            if name is None:
                self.error(key, f"{self.prefix}{key} holds {shape(item)}, not a name",
                           f"write '{key}: [Ada Lovelace, Grace Hopper]' or list "
                           "'- name: Ada Lovelace'")
            elif name:
                names.append(name)
        return tuple(names)

    def texts(self, key: str) -> tuple[str, ...]:
        value = self.data.get(key)
        if value is None:
            return ()
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        if isinstance(value, list) and all(isinstance(item, str) for item in value):
            return tuple(item.strip() for item in value if item.strip())
        self.error(key, f"{self.prefix}{key} must be a list of words, not {shape(value)}",
                   f"write it as '{key}: [one, two]'")
        return ()

    def date(self, key: str) -> dt.date | None:
        value = self.data.get(key)
        if value is None:
            return None
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str):
            parsed = _parse_date(value.strip())
            if parsed is not None:
                return parsed
        self.warn(key, f"{self.prefix}{key} {value!r} is not a calendar date; the editions use "
                  "SOURCE_DATE_EPOCH or 2000-01-01", f"write '{key}: 2024-01-31' so every "
                  "build gives the same date", code="bad-date")
        return None

    def language(self, key: str) -> str:
        language = self.text(key)
        if not language:
            return "en"
        if not _LANGUAGE_RE.match(language):
            self.error(key, f"{self.prefix}{key} {language!r} is not a language tag",
                       "use a BCP 47 tag such as 'en', 'en-GB' or 'es'", code="bad-value")
            return "en"
        return language.replace("_", "-")

    def cover(self, key: str, root_dir: Path) -> Path | None:
        """A cover image named by ``key``, under the book's folder; else None with a warning."""
        name = self.text(key)
        if not name:
            return None
        path = (root_dir / name).resolve()
        if not confined(path, (root_dir,)):
            self.error(key, f"{self.prefix}{key} {name!r} leaves the book's folder",
                       outside_roots_hint((root_dir,)), code="outside-root")
        elif path.suffix.lower() not in IMAGE_SUFFIXES or not path.is_file():
            self.warn(key, f"{self.prefix}{key} {name!r} is not an image file here; the "
                      "editions have no cover image", f"use one of {', '.join(IMAGE_SUFFIXES)}",
                      code="no-cover")
        else:
            return path
        return None

    def bibliography(self, key: str, root_dir: Path) -> Path | None:
        """The bibliography file ``key`` names (a name or a list whose first entry is used),
        under the book's folder and a BibTeX / CSL file; else None with an error."""
        from handbook_build.citations import BIBLIOGRAPHY_SUFFIXES
        from handbook_build.guard import MAX_BIBLIOGRAPHY_BYTES

        value = self.data.get(key)
        if isinstance(value, list):
            if len(value) > 1:
                self.warn(key, f"{self.prefix}{key} names {len(value)} files; only the first "
                          "is read", "merge the bibliographies into one file")
            value = value[0] if value else None
        if value is None or value == "":
            return None
        if not isinstance(value, str):
            self.error(key, f"{self.prefix}{key} should be a file name, not {shape(value)}")
            return None
        path = (root_dir / value).resolve()
        problem = input_file_problem(path, MAX_BIBLIOGRAPHY_BYTES)
        if not confined(path, (root_dir,)):
            self.error(key, f"{self.prefix}{key} {value!r} leaves the book's folder",
                       outside_roots_hint((root_dir,)), code="outside-root")
        elif problem is not None:
            self.error(key, f"{self.prefix}{key} {value!r} {problem}", "name the .bib or CSL "
                       "file beside the book's files", code="missing-file")
        elif path.suffix.lower() not in BIBLIOGRAPHY_SUFFIXES:
            self.error(key, f"{self.prefix}{key} {value!r} is not a bibliography file",
                       f"use one of {', '.join(BIBLIOGRAPHY_SUFFIXES)} (BibTeX, CSL JSON or "
                       "CSL YAML)", code="bad-value")
        else:
            return path
        return None

    def unknown(self, key: str, known: Iterable[str], where: str,
                severity: Severity = "error") -> None:
        options = sorted(known)
        close = difflib.get_close_matches(key, options, n=1, cutoff=0.6)
        hint = f"did you mean {close[0]!r}?" if close else "expected one of " + ", ".join(options)
        self.report.add(self.shown, self.line(key), f"unknown key {key!r} in {where}", hint,
                        "unknown-key", severity)


def _parse_date(text: str) -> dt.date | None:
    """``2024-01-31`` (also with a time after it) or ``1/31/2024`` (Quarto's template, US
    order); None for ``today``, ``last-modified`` and other words."""
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        pass
    match = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", text)
    if match:
        try:
            return dt.date(int(match[3]), int(match[1]), int(match[2]))
        except ValueError:
            return None
    return None


def person_name(item: object) -> str | None:
    """``"Ada"``, ``{name: Ada}``, ``{name: {given: Ada, family: Lovelace}}`` -> the name."""
    if isinstance(item, str):
        return item.strip()
    if isinstance(item, Mapping):
        name = item.get("name", item.get("literal"))
        if isinstance(name, Mapping):
            return person_name(name)
        if isinstance(name, str):
            return name.strip()
        given, family = item.get("given"), item.get("family")
        if isinstance(given, str) or isinstance(family, str):
            return " ".join(part for part in (given, family) if isinstance(part, str)).strip()
    return None


def shape(value: object) -> str:
    names = [(bool, "true/false"), (int, "a number"), (float, "a number"), (str, "text"),
             (list, "a list"), (dict, "a mapping")]
    return next((name for kind, name in names if isinstance(value, kind)), "another value")


# --- chapters ------------------------------------------------------------------------------------


def chapter_file(base_dir: Path, name: str, suffixes: tuple[str, ...]) -> str:
    """``name`` relative to ``base_dir`` with the first suffix that exists (``intro`` ->
    ``intro.md``); the first suffix when none does, so the missing file is reported."""
    name = name.strip().removeprefix("./")
    if Path(name).suffix.lower() in (*suffixes, *NOT_MARKDOWN, ".ipynb"):
        return name
    for suffix in suffixes:
        if (base_dir / f"{name}{suffix}").is_file():
            return f"{name}{suffix}"
    for suffix in NOT_MARKDOWN:
        if (base_dir / f"{name}{suffix}").is_file():
            return f"{name}{suffix}"
    return f"{name}{suffixes[0]}"


def refuse_other_formats(target: str, line: int, shown: str, report: Report) -> bool:
    """False (with an error) for a chapter in a format this tool cannot read as Markdown."""
    kind = NOT_MARKDOWN.get(Path(target).suffix.lower())
    if kind is None:
        return True
    hint = ("convert it to Markdown first, e.g. 'jupytext --to myst " + target + "'"
            if kind == "a Jupyter notebook" else "convert it to Markdown (pandoc can) and "
            "list the .md file")
    report.add(shown, line, f"chapter {target} is {kind}, which handbook-build cannot read",
               hint, code="not-markdown")
    return False


def chapter_title(base_dir: Path, target: str, roots: tuple[Path, ...]) -> str:
    """A chapter's title when its entry file gives none: front matter ``title``, else its
    first ``#`` heading, else its file name. Only a confined, regular, small file is read."""
    fallback = Path(target).stem.replace("-", " ").replace("_", " ").strip() or target
    text = chapter_text(base_dir, target, roots)
    if not text:
        return fallback
    front = split_front_matter(text)
    if front.title:
        return front.title
    for line in front.body.split("\n"):
        match = _HEADING_RE.match(line.rstrip("\r"))
        if match:
            return match.group("title")
    return fallback


def chapter_text(base_dir: Path, target: str, roots: tuple[Path, ...]) -> str:
    """The text of a confined, regular, small UTF-8 file, else "" (the chapter check reports
    what is wrong with it, at the entry file's line)."""
    path = base_dir / target
    if not confined(path, roots) or input_file_problem(path, MAX_CHAPTER_BYTES) is not None:
        return ""
    try:
        return path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return ""


def has_body(text: str) -> bool:
    """Whether a page holds more than its front matter and its ``#`` title."""
    body = split_front_matter(text).body
    return any(line.strip() and not _HEADING_RE.match(line) for line in body.split("\n"))


def item(line: int, depth: int, title: str, target: str | None, shown: str,
         report: Report) -> ContentsItem:
    """A contents item; deeper than three levels is kept at the third, with a warning."""
    if depth > MAX_DEPTH:
        report.add(shown, line, f"{title!r} is nested {depth} levels deep; it is kept at level "
                   f"{MAX_DEPTH} (the deepest the editions lay out)", "nest it less deeply to "
                   "silence this", code="contents-depth", severity="warning")
        depth = MAX_DEPTH
    return ContentsItem(line, depth, title, target)


# --- the manifest ----------------------------------------------------------------------------


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


# Folders that hold builds, not chapters: ours (build/: its <stem>.md would be read back on the
# next build), Jupyter Book's, Quarto's and the sites', and hidden ones (.git, .cache).
GENERATED_FOLDERS = frozenset({"build", "_build", "_book", "_site", "site", "node_modules",
                               "__pycache__"})


def _generated(relative: Path) -> bool:
    return any(part in GENERATED_FOLDERS or part.startswith(".") for part in relative.parts[:-1])


def glob_chapters(root_dir: Path, pattern: str, suffixes: tuple[str, ...], line: int,
                  shown: str, report: Report) -> list[str]:
    """Files matching ``pattern`` under the book's folder, in name order, relative to it."""
    try:
        found = sorted(path for path in root_dir.glob(pattern) if path.suffix in suffixes
                       and not _generated(path.relative_to(root_dir))
                       and confined(path, (root_dir,)) and path.is_file())
    except (NotImplementedError, ValueError):  # an absolute or empty pattern
        report.add(shown, line, f"the pattern {pattern!r} cannot be used", "write a pattern "
                   "relative to the book's folder, e.g. 'chapters/*.md'", code="toc-shape")
        return []
    if not found:
        report.add(shown, line, f"the pattern {pattern!r} matches no Markdown file",
                   "check the folder and the suffix", code="empty-pattern", severity="warning")
    return [path.relative_to(root_dir).as_posix() for path in found]
