"""Books kept in other tools' conventions: mdBook, Jupyter Book, MyST, Quarto, GitBook/HonKit
and a pandoc folder of numbered chapters. One small reader per convention turns its entry file
into the same frozen ``Manifest`` as ``book.toml`` gives; detect.py chooses the reader. What the
readers share: yaml_lines.py (YAML with key lines), values.py (typed values), chapter_files.py
(the chapters an entry names) and book_manifest.py (``finish``: the checked ``Manifest``).

``validate(path)`` returns the manifest (None on any error) and every diagnostic, for
``check``; ``load(path)`` raises ``ManifestError`` listing them, for ``build``.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from handbook_build.errors import ManifestError, fail_on_errors
from handbook_build.model import Diagnostic, Manifest
from handbook_build.sources.ecosystems.detect import Entry, find_entry

__all__ = ["Entry", "find_entry", "load", "validate"]


def validate(entry: Entry, source_dir: Path | None = None
             ) -> tuple[Manifest | None, tuple[Diagnostic, ...]]:
    manifest, report = entry.read(entry.path)
    if source_dir is not None:
        report.add(report.shown, None, f"--source applies to a book.toml of handbook-build, not "
                   f"to a {entry.convention} book", f"the {entry.path.name} names its own "
                   "chapters; drop --source", code="usage")
        manifest = None
    diagnostics = report.finish()
    if any(d.severity == "error" for d in diagnostics):
        manifest = None
    return manifest, diagnostics


def load(entry: Entry, source_dir: Path | None = None) -> Manifest:
    manifest, diagnostics = validate(entry, source_dir)
    fail_on_errors(diagnostics, ManifestError)
    if manifest is None:  # unreachable: a missing manifest always comes with an error
        raise ManifestError(f"{entry.path}: the book could not be read")
    warnings = tuple(d for d in diagnostics if d.severity == "warning")
    return replace(manifest, warnings=(*manifest.warnings, *warnings))
