"""Where the book's files are: the source folder, the contents file, the chapters, the image
folders, each confined to the book's folders (after symlinks) and checked before it is read.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Iterable
from pathlib import Path

from handbook_build.model import TocNode
from handbook_build.sources.contents import ContentsResult, display_path, parse_contents
from handbook_build.sources.guard import (
    MAX_CHAPTER_BYTES,
    check_chapter_size,
    file_kind,
    system_folder,
)
from handbook_build.sources.manifest.report import Report, decode_utf8, read_text
from handbook_build.sources.manifest.toml_reader import Reader

_ENV_RE = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::-(?P<default>[^}]*))?\}")


def read_source_dir(reader: Reader, root_dir: Path, override: Path | None) -> Path | None:
    """The source folder: the override, else ``[contents] source`` (env-expanded), else root."""
    if override is not None:
        if not override.is_dir():
            reader.report.add(display_path(override), None, "the source folder does not exist",
                              code="missing-folder")
            return None
        if system_folder(override):
            reader.report.add(display_path(override), None, "the source folder is a system "
                              f"folder ({override.resolve()})", "give the folder that holds "
                              "the book's chapters", code="system-folder")
            return None
        return override.resolve()
    raw = reader.text("contents", "source")
    if not raw:
        return root_dir
    expanded = _expand_environment(reader, raw)
    if expanded is None:
        return None
    path = _resolved(root_dir / expanded)
    if path is None:
        reader.error(("contents", "source"), f"contents.source {expanded!r} is a symbolic link "
                     "loop", "point the link at a real folder", code="symlink-loop")
        return None
    if not path.is_dir():
        reader.error(("contents", "source"), f"contents.source folder {expanded!r} does not "
                     "exist", f"looked for {display_path(path)}; fix the path or set the "
                     "variable it names", code="missing-folder")
        return None
    if system_folder(path):
        reader.error(("contents", "source"), f'source = "{raw}" is a system folder ({path})',
                     "point it at the folder that holds the book's chapters",
                     code="system-folder")
        return None
    return path


def _expand_environment(reader: Reader, raw: str) -> str | None:
    missing: list[str] = []

    def substitute(match: re.Match[str]) -> str:
        value = os.environ.get(match.group("name"), "")
        if value:
            return value
        if match.group("default") is None:
            missing.append(match.group("name"))
        return match.group("default") or ""

    expanded = _ENV_RE.sub(substitute, raw)
    for name in missing:
        reader.error(("contents", "source"), f"contents.source uses ${{{name}}}, which is not "
                     "set", f"set {name} or give a default: ${{{name}:-../folder}}",
                     code="missing-variable")
    return None if missing else expanded


def confined_path(reader: Reader, key: tuple[str, ...], base_dir: Path, relative: str,
                   roots: tuple[Path, ...]) -> Path | None:
    """``base_dir / relative`` resolved, or None with an error if it leaves the book's roots."""
    path = _resolved(base_dir / relative)
    if path is None:
        reader.error(key, f"{'.'.join(key)} {relative!r} is a symbolic link loop",
                     "point the link at a real file or folder", code="symlink-loop")
        return None
    if confined(path, roots):
        return path
    reader.error(key, f"{'.'.join(key)} {relative!r} leaves the book's folders",
                 outside_roots_hint(roots), code="outside-root")
    return None


def confined(path: Path, roots: Iterable[Path]) -> bool:
    """Whether the resolved ``path`` lies under one of ``roots`` (symlinks already followed)."""
    resolved = _resolved(path)
    return resolved is not None and any(resolved.is_relative_to(root) for root in roots)


def _resolved(path: Path) -> Path | None:
    """``path.resolve()``, or None for a symlink loop (pathlib raises RuntimeError for one)."""
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return None


def outside_roots_hint(roots: Iterable[Path]) -> str:
    names = [display_path(root) for root in roots]
    shown = " or ".join("the folder of book.toml" if name == "." else name for name in names)
    return f"keep the book's files under {shown}"


def read_contents_paths(reader: Reader, source_dir: Path, roots: tuple[Path, ...]
                         ) -> tuple[Path, Path, tuple[Path, ...]] | None:
    """The contents file, the chapters folder and the image folders, confined and existing."""
    file_name = reader.text("contents", "file", "contents.md")
    contents_path = confined_path(reader, ("contents", "file"), source_dir, file_name, roots)
    if contents_path is not None and not contents_path.is_file():
        reader.error(("contents", "file") if reader.raw("contents", "file") else ("contents",),
                     f"contents file {file_name!r} does not exist",
                     f"looked for {display_path(contents_path)}; set [contents] file",
                     code="missing-file")
        contents_path = None
    chapters_dir = _existing_dir(reader, ("contents", "chapters"), source_dir, roots,
                                 reader.text("contents", "chapters"))
    image_dirs = tuple(
        path for name in reader.texts("contents", "images")
        if (path := _existing_dir(reader, ("contents", "images"), source_dir, roots, name))
    )
    if contents_path is None or (reader.text("contents", "chapters") and chapters_dir is None):
        return None
    return contents_path, chapters_dir or contents_path.parent, image_dirs


def _existing_dir(reader: Reader, key: tuple[str, ...], source_dir: Path,
                  roots: tuple[Path, ...], name: str) -> Path | None:
    if not name:
        return None
    path = confined_path(reader, key, source_dir, name, roots)
    if path is not None and not path.is_dir():
        reader.error(key, f"{'.'.join(key)} folder {name!r} does not exist",
                     f"looked for {display_path(path)}", code="missing-folder")
        return None
    if path is not None and system_folder(path):
        reader.error(key, f'{key[-1]} = "{name}" is a system folder ({path})',
                     "point it at a folder of the book", code="system-folder")
        return None
    return path


def read_contents(contents_path: Path, chapters_dir: Path, report: Report
                   ) -> ContentsResult | None:
    shown = display_path(contents_path)
    text = read_text(contents_path, report)
    if text is None:
        return None
    result = parse_contents(text, contents_path=contents_path, chapters_dir=chapters_dir)
    report.extend(result.diagnostics)
    if not any(node.kind == "chapter" for node in result.nodes):
        if not any(d.severity == "error" for d in result.diagnostics):
            report.add(shown, 1, "the contents list links to no chapter", code="empty-contents")
        return None  # a book without chapters cannot be checked any further
    return result


def check_chapters(nodes: Iterable[TocNode], contents_path: Path, roots: tuple[Path, ...],
                   report: Report) -> None:
    """Each chapter file: under a root, existing, UTF-8. Reported at its line of the contents."""
    shown = display_path(contents_path)
    for node in nodes:
        path = node.source_path
        if path is None:
            continue
        if not confined(path, roots):
            report.add(shown, node.contents_line, f"chapter {path.name} leaves the book's "
                       f"folders (it is {path})", outside_roots_hint(roots), code="outside-root")
        else:
            _check_chapter_file(path, node, shown, report)


def _check_chapter_file(path: Path, node: TocNode, shown: str, report: Report) -> None:
    """A chapter file: stat-ed first, so a FIFO, a device or a 2 GB file is never read."""
    name = display_path(path)
    try:
        status = path.stat()
    except OSError:
        report.add(shown, node.contents_line, f"chapter file {name} does not exist",
                   _closest_chapter_hint(path), code="missing-chapter")
        return
    kind = file_kind(status.st_mode)
    if kind is not None:
        report.add(shown, node.contents_line, f"chapter file {name} is {kind}, not a regular "
                   "file", "list a Markdown file", code="not-a-file")
        return
    if status.st_size > MAX_CHAPTER_BYTES:
        too_large = check_chapter_size(status.st_size, name)  # at the chapter, as sources says
        report.extend([too_large] if too_large is not None else [])
        return
    try:
        decode_utf8(path.read_bytes(), name, report)
    except OSError as error:
        report.add(shown, node.contents_line, f"chapter file {name} cannot be read: "
                   f"{error.strerror}", code="unreadable")


def _closest_chapter_hint(path: Path) -> str:
    if not path.parent.is_dir():
        return f"the folder {display_path(path.parent)} does not exist"
    names = sorted(candidate.name for candidate in path.parent.glob("*.md"))
    close = difflib.get_close_matches(path.name, names, n=1, cutoff=0.6)
    if close:
        return f"did you mean {close[0]}?"
    return f"no similar .md file in {display_path(path.parent)}"
