"""mdBook: ``book.toml`` (``[book] title, authors, language, src``) + ``src/SUMMARY.md``.

mdBook's ``book.toml`` has no ``[contents]`` table and no date; its chapters are in ``src``
(default ``src/``) in the order of ``SUMMARY.md`` (summary.py). Output settings (``[output.*]``,
``[build]``, ``[rust]``) are mdBook's own and ignored; a preprocessor other than mdBook's built-in
ones would change the text, so it is named in a warning.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from handbook_build.model import Manifest, Metadata, ReadOnlyMapping
from handbook_build.sources.contents import display_path
from handbook_build.sources.ecosystems.book_manifest import BookInfo, book_date, finish, start
from handbook_build.sources.ecosystems.summary import read_summary
from handbook_build.sources.ecosystems.values import Values
from handbook_build.sources.manifest import (
    Report,
    confined,
    outside_roots_hint,
    parse_toml,
    read_text,
)

MDBOOK_TABLES = frozenset({"build", "output", "preprocessor", "rust"})
BOOK_KEYS = frozenset({"title", "authors", "author", "description", "src", "language",
                       "multilingual", "text-direction"})
BUILTIN_PREPROCESSORS = frozenset({"links", "index"})
# Preprocessors whose work handbook-build does itself: mdbook-bib's {{#cite key}} and its
# bibliography (citations.convert_cite_roles, citeproc).
HANDLED_PREPROCESSORS = frozenset({"bib"})


def is_mdbook_toml(data: Mapping[str, object], folder: Path) -> bool:
    """mdBook's book.toml rather than ours: its own tables or ``src``, or no ``[contents]``, no
    date and a ``src/SUMMARY.md`` (ours needs a date; its contents list is contents.md)."""
    if "contents" in data:
        return False
    book = data.get("book")
    book = book if isinstance(book, dict) else {}
    if "src" in book or MDBOOK_TABLES & set(data):
        return True
    return "date" not in book and (folder / "src" / "SUMMARY.md").is_file()


def read(entry: Path) -> tuple[Manifest | None, Report]:
    root_dir = entry.parent
    report = start(entry, root_dir)
    text = read_text(entry, report)
    if text is None:
        return None, report
    data = parse_toml(text, report)
    if data is None:
        return None, report
    raw_book = data.get("book", {})
    lines = _key_lines(text)
    values = Values(raw_book if isinstance(raw_book, dict) else {}, report.shown, report,
                    "book.", lines)
    for key in values.data:
        if key not in BOOK_KEYS:
            # mdBook itself ignores keys it does not know: a warning, not a refusal.
            values.unknown(key, BOOK_KEYS, "[book] of mdBook's book.toml", "warning")
    _warn_preprocessors(data, lines, report)
    src = values.text("src", "src")
    src_dir = (root_dir / src).resolve()
    if not confined(src_dir, (root_dir,)):
        values.error("src", f"book.src {src!r} leaves the book's folder",
                     outside_roots_hint((root_dir,)), code="outside-root")
        return None, report
    summary_path = src_dir / "SUMMARY.md"
    summary_text = read_text(summary_path, report) if summary_path.is_file() else None
    if summary_text is None:
        if not summary_path.is_file():
            values.error("src", f"{display_path(summary_path)} does not exist",
                         "mdBook lists the chapters in SUMMARY.md inside the src folder",
                         code="missing-file")
        return None, report
    summary = read_summary(summary_text, display_path(summary_path), report)
    title = values.text("title")
    if not title:
        report.add(report.shown, None, "book.title is missing; the title is the folder name",
                   "add title = \"...\" under [book]", code="no-title", severity="warning")
    info = BookInfo(entry, root_dir, summary_path, src_dir, summary.items, Metadata(
        title=title or root_dir.name, authors=values.names("authors") or values.names("author"),
        description=values.text("description"), language=values.language("language"),
        date=book_date(None), bibliography=_bibliography(data, lines, root_dir, report),
        identifiers=ReadOnlyMapping()))
    return finish(info, report), report


def _bibliography(data: Mapping[str, object], lines: Mapping[str, int], root_dir: Path,
                  report: Report) -> Path | None:
    """mdbook-bib's ``[preprocessor.bib] bibliography = "refs.bib"`` (relative to the book's
    root), the citation convention of mdBook books."""
    table = data.get("preprocessor")
    bib = table.get("bib") if isinstance(table, dict) else None
    if not isinstance(bib, dict):
        return None
    values = Values(bib, report.shown, report, "preprocessor.bib.",
                    {"bibliography": lines.get("preprocessor.bib", 0)})
    return values.bibliography("bibliography", root_dir)


def _warn_preprocessors(data: Mapping[str, object], lines: Mapping[str, int],
                        report: Report) -> None:
    table = data.get("preprocessor")
    for name in sorted(table) if isinstance(table, dict) else ():
        if name not in BUILTIN_PREPROCESSORS | HANDLED_PREPROCESSORS:
            report.add(report.shown, lines.get(f"preprocessor.{name}"), f"mdBook preprocessor "
                       f"{name!r} is not run: its syntax stays as written in the chapters",
                       "expand it beforehand, or remove the table", code="preprocessor",
                       severity="warning")


def _key_lines(text: str) -> dict[str, int]:
    """Lines of ``[book]`` keys (``title``) and of table headers (``preprocessor.katex``)."""
    lines: dict[str, int] = {}
    table = ""
    for number, line in enumerate(text.split("\n"), start=1):
        stripped = line.strip()
        if stripped.startswith("[") and stripped.endswith("]"):
            table = stripped.strip("[]").strip()
            lines.setdefault(table, number)
        elif table == "book" and "=" in stripped and not stripped.startswith("#"):
            lines.setdefault(stripped.split("=", 1)[0].strip().strip("\"'"), number)
    return lines
