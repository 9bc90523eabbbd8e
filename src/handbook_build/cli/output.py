"""What the command line prints: log records as messages, progress, the build summary, the
warnings (at most 40 listed), colours where wanted. Only the CLI prints."""

from __future__ import annotations

import logging
import os
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

import click

from handbook_build.model import Diagnostic
from handbook_build.pipeline import BuildReport


class _EchoHandler(logging.Handler):
    """Library code logs; only the CLI prints, to stderr, one line per record."""

    def emit(self, record: logging.LogRecord) -> None:
        args = record.args if isinstance(record.args, tuple) else ()
        if args and isinstance(args[0], Diagnostic):  # in the one format of every message
            click.echo(paint(args[0].compiler_style()), err=True)
        elif record.levelno >= logging.WARNING:
            severity = "error" if record.levelno >= logging.ERROR else "warning"
            click.echo(paint(f"handbook-build: {severity}: {record.getMessage()}"), err=True)
        else:
            click.echo(record.getMessage(), err=True)


def setup_logging(verbosity: int) -> None:
    level = {-1: logging.ERROR, 0: logging.WARNING}.get(verbosity, logging.INFO)
    root = logging.getLogger("handbook_build")
    root.handlers[:] = [_EchoHandler()]
    root.setLevel(level)
    root.propagate = False


class Reporter:
    """Progress lines on stderr, and a bar while editions render when stderr is a terminal."""

    WIDTH = 30

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.is_terminal = sys.stderr.isatty()
        self.bar_shown = False

    def line(self, message: str) -> None:
        if not self.quiet:
            self._clear_bar()
            click.echo(f"· {message}", err=True)

    def bar(self, done: int, total: int) -> None:
        if self.quiet or not self.is_terminal or total == 0:
            return
        filled = self.WIDTH * done // total
        bar = "#" * filled + "-" * (self.WIDTH - filled)
        click.echo(f"\r  rendering [{bar}] {done}/{total} editions", err=True, nl=False)
        self.bar_shown = True

    def finish(self) -> None:
        self._clear_bar()

    def _clear_bar(self) -> None:
        if self.bar_shown:
            click.echo("\r" + " " * (self.WIDTH + 40) + "\r", err=True, nl=False)
            self.bar_shown = False


def progress_printer(quiet: bool) -> Callable[[str], None]:
    def report(message: str) -> None:
        if not quiet:
            click.echo(f"· {message}", err=True)

    return report


def print_summary(report: BuildReport, output_dir: Path) -> None:
    """What was written, named as the user gave the output folder, and the warnings."""
    if report.unchanged:
        click.echo(f"nothing changed: {len(report.written)} files up to date "
                   f"({report.seconds:.2f} s)")
        return
    _print_warnings(report)
    for written in report.written:
        pages = f", {written.pages} pages" if written.pages else ""
        shown = (output_dir / written.path.name).as_posix()
        slash = "/" if written.path.name.endswith("-files") else ""
        click.echo(f"wrote {shown}{slash} ({_size(written.size)}{pages})")
    click.echo(f"done in {report.seconds:.1f} s, {plural(len(report.warnings), 'warning')}")


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


MAX_LISTED_WARNINGS = 40


def _print_warnings(report: BuildReport) -> None:
    for line in warning_lines(report.warnings, MAX_LISTED_WARNINGS):
        click.echo(paint(line), err=True)


def warning_lines(warnings: Sequence[Diagnostic], limit: int) -> list[str]:
    """Every warning when there are few; otherwise the first ``limit`` and a count per kind of
    the ones not shown, so that the numbers add up."""
    lines = [diagnostic.compiler_style() for diagnostic in warnings[:limit]]
    rest = warnings[limit:]
    if rest:
        counts = Counter(d.code for d in rest)
        summary = ", ".join(f"{code}: {count}" for code, count in sorted(counts.items()))
        lines.append(f"... and {len(rest)} more ({summary}); `handbook-build check` lists "
                     f"all {len(warnings)}")
    return lines


def colour_wanted() -> bool:
    """Colours on a terminal only, and never when NO_COLOR is set (https://no-color.org)."""
    return "NO_COLOR" not in os.environ and sys.stderr.isatty()


def paint(line: str) -> str:
    """``error:``/``warning:`` in colour where wanted; the line unchanged otherwise."""
    if not colour_wanted():
        return line
    for severity, colour in (("error", "red"), ("warning", "yellow")):
        marker = f": {severity}: "
        if marker in line:
            return line.replace(marker, f": {click.style(severity, fg=colour, bold=True)}: ", 1)
    return line


def _size(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / (1024 * 1024):.1f} MB"
