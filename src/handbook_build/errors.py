"""Expected failures: each is a HandbookError whose message reads ``path[:line]: problem; hint``.

Anything that is not a HandbookError is a bug and keeps its traceback.
"""

from __future__ import annotations

from collections.abc import Iterable

import click

from handbook_build.model import Diagnostic


class HandbookError(click.ClickException):
    """A content or build error: exit status 1, no traceback."""

    exit_code = 1

    def __init__(self, message: str, diagnostics: Iterable[Diagnostic] = (),
                 warnings: Iterable[Diagnostic] = ()) -> None:
        self.diagnostics: tuple[Diagnostic, ...] = tuple(diagnostics)  # what stopped it
        self.warnings: tuple[Diagnostic, ...] = tuple(warnings)  # listed too, as check lists them
        shown = (*self.diagnostics, *self.warnings)
        if shown:  # in the one format of every message (Diagnostic.compiler_style)
            listed = "\n".join(d.compiler_style() for d in shown)
            message = f"{listed}\n{message}" if message else listed
        super().__init__(message)

    def format_message(self) -> str:
        return self.message

    def show(self, file: object = None) -> None:
        # click prefixes "Error: "; our messages already start with the file they are about.
        click.echo(self.format_message(), err=True)


class ManifestError(HandbookError):
    """book.toml or the contents list is wrong."""


class SourceError(HandbookError):
    """A chapter, image or style file cannot be used."""


class RenderError(HandbookError):
    """pandoc, WeasyPrint or ebooklib failed on content that passed validation."""


class OutputError(HandbookError):
    """An edition could not be written (permissions, full disk)."""


class MissingToolError(HandbookError):
    """A required program or system library is absent: exit status 3."""

    exit_code = 3


def fail_on_errors(diagnostics: Iterable[Diagnostic], error_type: type[HandbookError]) -> None:
    """Raise ``error_type`` if any diagnostic is an error, listing every diagnostic (the
    warnings too: a build that stops reports what check reports)."""
    found = list(diagnostics)
    errors = [d for d in found if d.severity == "error"]
    if errors:
        warnings = [d for d in found if d.severity != "error"]
        also = (f" and {len(warnings)} warning{'' if len(warnings) == 1 else 's'}"
                if warnings else "")
        noun = "problem" if len(errors) == 1 else "problems"
        raise error_type(f"{len(errors)} {noun} found{also}; nothing was built.", errors,
                         warnings)
