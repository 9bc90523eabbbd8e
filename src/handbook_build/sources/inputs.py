"""What the command line may be given as a book: a book.toml, a bare contents file, or a folder.

A bare contents file or folder gets default metadata, and a warning says so, so that nobody
releases an edition titled after a folder name by accident.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

from handbook_build.errors import ManifestError
from handbook_build.model import Diagnostic, Manifest

log = logging.getLogger(__name__)


def load_any(path: Path, source_dir: Path | None = None) -> Manifest:
    from handbook_build.sources import ecosystems
    from handbook_build.sources.manifest import load_manifest, manifest_from_contents

    if not path.exists():
        raise ManifestError(f"{path}: no such file or folder; give a book.toml, a contents "
                            "file or a folder of chapters (default: manuscript/book.toml)")
    entry = ecosystems.find_entry(path)  # mdBook, Jupyter Book, MyST, Quarto, GitBook, pandoc
    if entry is not None:
        return ecosystems.load(entry, source_dir)
    if path.is_file() and path.suffix == ".toml":
        return load_manifest(path, source_dir)
    manifest = manifest_from_contents(path)
    return replace(manifest, warnings=(*manifest.warnings, defaulted_warning(manifest)))


def defaulted_warning(manifest: Manifest) -> Diagnostic:
    """The warning of a book without book.toml (build and check give the same)."""
    from handbook_build.sources.contents import display_path

    return Diagnostic(
        display_path(manifest.contents_path), None,
        f"no book.toml: metadata defaulted (title {manifest.metadata.title!r}, "
        f"date {manifest.metadata.date})", "write a book.toml for a release", "warning",
        "no-manifest")
