"""GitBook / HonKit: ``SUMMARY.md`` (summary.py: ``## Part`` headings are parts) + ``book.json``.

``book.json`` gives the title, author, language and description when it is there; without it
the title is the summary's first heading unless that is just "Summary", else the folder name,
and the build warns that the metadata was guessed. ``.gitbook.yaml``'s ``root:`` moves the book
into a subfolder.
"""

from __future__ import annotations

import json
from pathlib import Path

from handbook_build.model import Diagnostic, Manifest, Metadata, ReadOnlyMapping
from handbook_build.sources.contents import display_path
from handbook_build.sources.ecosystems.book_manifest import BookInfo, book_date, finish, start
from handbook_build.sources.ecosystems.summary import read_summary
from handbook_build.sources.ecosystems.values import Values
from handbook_build.sources.manifest import Report, read_text

BOOK_JSON = "book.json"


def read(summary_path: Path) -> tuple[Manifest | None, Report]:
    root_dir = summary_path.parent
    report = start(summary_path, root_dir)
    text = read_text(summary_path, report)
    if text is None:
        return None, report
    summary = read_summary(text, report.shown, report)
    settings = _book_json(root_dir / BOOK_JSON, report)
    values = Values(settings or {}, display_path(root_dir / BOOK_JSON), report)
    guessed = summary.title if summary.title.lower() not in ("summary", "table of contents",
                                                             "contents") else ""
    title = values.text("title") or guessed or root_dir.name
    info = BookInfo(summary_path, root_dir, summary_path, root_dir, summary.items, Metadata(
        title=title, authors=values.names("author") or values.names("authors"),
        description=values.text("description"), language=values.language("language"),
        date=book_date(None), identifiers=ReadOnlyMapping()))
    manifest = finish(info, report, defaulted=settings is None)
    if manifest is not None and settings is None:
        report.add(report.shown, None, f"no book.json: metadata defaulted (title {title!r}, "
                   f"date {manifest.metadata.date})", "add a book.json with \"title\" and "
                   "\"author\" for a release", code="no-manifest", severity="warning")
    return manifest, report


def _book_json(path: Path, report: Report) -> dict[str, object] | None:
    if not path.is_file():
        return None
    text = read_text(path, report)
    if text is None:
        return None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        report.items.append(Diagnostic(display_path(path), error.lineno, f"not valid JSON: "
                                       f"{error.msg}", "check the commas and quotes near this "
                                       "line", column=error.colno, code="json-syntax"))
        return None
    if not isinstance(data, dict):
        report.add(display_path(path), 1, "book.json is not a JSON object",
                   'write it as {"title": "...", "author": "..."}', code="json-shape")
        return None
    return data
