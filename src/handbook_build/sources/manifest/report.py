"""Diagnostics collected while reading a book's manifest, and the UTF-8 text of its files.

Shared with the readers of other conventions (ecosystems/), which report the same way.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from handbook_build.model import Diagnostic, Severity
from handbook_build.sources.contents import display_path
from handbook_build.sources.guard import MAX_MANIFEST_BYTES, input_file_problem


@dataclass(slots=True)
class Report:
    """Diagnostics collected for one manifest; ``shown`` is book.toml as the user sees it."""

    shown: str
    items: list[Diagnostic] = field(default_factory=list)

    def add(self, path: str, line: int | None, message: str, hint: str = "", code: str = "error",
            severity: Severity = "error", column: int | None = None) -> None:
        self.items.append(Diagnostic(path, line, message, hint, severity, code, column))

    def extend(self, diagnostics: Iterable[Diagnostic]) -> None:
        self.items.extend(diagnostics)

    def finish(self) -> tuple[Diagnostic, ...]:
        # Keep files in the order they were first reported, lines in order within each file.
        order = {path: index for index, path in reversed(list(enumerate(
            d.path for d in self.items)))}
        return tuple(sorted(self.items, key=lambda d: (order[d.path], d.line or 0)))


def read_text(path: Path, report: Report) -> str | None:
    """The UTF-8 text of ``path``, or None with a diagnostic pointing at the first bad byte."""
    shown = display_path(path)
    problem = input_file_problem(path, MAX_MANIFEST_BYTES)  # stat first: a FIFO never blocks
    if problem is not None and problem != "does not exist":
        report.add(shown, None, f"the file {problem}", "give a UTF-8 text file",
                   code="unreadable")
        return None
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        report.add(shown, None, "no such file", "give the path of a book.toml or a contents file",
                   code="missing-file")
        return None
    except OSError as error:
        report.add(shown, None, f"cannot be read: {error.strerror}", code="unreadable")
        return None
    return decode_utf8(data, shown, report)


def decode_utf8(data: bytes, shown: str, report: Report) -> str | None:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        column = error.start - (data.rfind(b"\n", 0, error.start) + 1) + 1
        report.add(shown, line, f"the file is not valid UTF-8 (byte 0x{data[error.start]:02x})",
                   "save the file as UTF-8", code="not-utf8", column=column)
        return None
