"""Reading a book's manifest: ``book.toml`` (or a bare contents file) -> ``Manifest``."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from handbook_build.display import bases_for, use_book
from handbook_build.errors import ManifestError, fail_on_errors
from handbook_build.model import Diagnostic, Manifest, Metadata, ReadOnlyMapping
from handbook_build.sources.contents import display_path, slugify
from handbook_build.sources.guard import system_folder
from handbook_build.sources.manifest.book_files import (
    check_chapters,
    read_contents,
    read_contents_paths,
    read_source_dir,
)
from handbook_build.sources.manifest.metadata import (
    UNSET_DATE,
    read_aliases,
    read_metadata,
    read_stem,
    read_structure,
    source_date_epoch,
    with_bibliography,
    with_cover,
)
from handbook_build.sources.manifest.page_settings import read_epub, read_pdf, read_print
from handbook_build.sources.manifest.report import Report, read_text
from handbook_build.sources.manifest.styles_dir import find_styles_dir
from handbook_build.sources.manifest.toml_reader import Reader, key_lines, parse_toml
from handbook_build.sources.structure import titled_nodes

CONTENTS_NAMES = ("README.md", "SUMMARY.md", "contents.md")  # looked up in a bare folder


def load_manifest(path: Path, source_dir: Path | None = None) -> Manifest:
    """Read and validate ``book.toml``; raise ``ManifestError`` listing every problem.

    ``path`` may also be the folder holding book.toml. ``source_dir`` overrides
    ``[contents] source``. Warnings are logged; ``validate_manifest`` returns them instead.
    """
    manifest, diagnostics = validate_manifest(path, source_dir)
    return _accept(manifest, diagnostics)


def validate_manifest(
    path: Path, source_dir: Path | None = None
) -> tuple[Manifest | None, tuple[Diagnostic, ...]]:
    """Everything ``load_manifest`` checks, as diagnostics (for ``check``); None on any error."""
    manifest_path = path.resolve() / "book.toml" if path.is_dir() else path.resolve()
    # Messages name files relative to the book (display.py), from the first one on.
    use_book(manifest_path.parent, None, find_styles_dir().parent)
    report = Report(display_path(manifest_path))
    text = read_text(manifest_path, report)
    data = parse_toml(text, report) if text is not None else None
    if data is None or text is None:
        return None, report.finish()
    reader = Reader(data, key_lines(text), report)
    manifest = _build_manifest(reader, manifest_path, source_dir)
    diagnostics = report.finish()
    has_errors = any(d.severity == "error" for d in diagnostics)
    return (None if has_errors else manifest), diagnostics


def manifest_from_contents(path: Path) -> Manifest:
    """A defaulted manifest for a bare contents file, or a folder holding one.

    The folder may hold README.md, SUMMARY.md or contents.md (first found). The title is the
    contents file's first ``#`` heading, else the folder name; the date comes from
    SOURCE_DATE_EPOCH when set. ``is_defaulted`` is True: the caller should warn.
    """
    contents_path = _find_contents_file(path.resolve())
    root_dir = contents_path.parent
    if system_folder(root_dir):
        raise ManifestError(f"{display_path(path)}: {root_dir} is a system folder, not a "
                            "book; give the folder that holds the book's chapters")
    use_book(*bases_for(root_dir, root_dir, (), find_styles_dir()))
    report = Report(display_path(contents_path))
    roots = (root_dir,)
    result = read_contents(contents_path, root_dir, report)
    if result is not None:
        check_chapters(result.nodes, contents_path, roots, report)
    title = (result.title if result else "") or root_dir.name
    nodes = titled_nodes(result.nodes, True, contents_path, report.extend) if result else ()
    manifest = Manifest(
        manifest_path=contents_path, root_dir=root_dir, source_dir=root_dir,
        allowed_roots=roots, stem=slugify(title) or "book",
        metadata=Metadata(title=title, date=source_date_epoch() or UNSET_DATE,
                          identifiers=ReadOnlyMapping()),
        contents_path=contents_path, nodes=nodes, image_dirs=(),
        styles_dir=find_styles_dir(), site_aliases=ReadOnlyMapping(), is_defaulted=True,
    )
    return _accept(manifest, report.finish())


def _accept(manifest: Manifest | None, diagnostics: tuple[Diagnostic, ...]) -> Manifest:
    fail_on_errors(diagnostics, ManifestError)
    if manifest is None:  # unreachable: a missing manifest always comes with an error
        raise ManifestError("the manifest could not be read")
    # Kept on the manifest, not logged: the build lists them with its own, in one format.
    warnings = tuple(d for d in diagnostics if d.severity == "warning")
    return replace(manifest, warnings=warnings) if warnings else manifest


def _find_contents_file(path: Path) -> Path:
    if path.is_file():
        return path
    if path.is_dir():
        for name in CONTENTS_NAMES:
            if (path / name).is_file():
                return path / name
        names = ", ".join(CONTENTS_NAMES)
        raise ManifestError(f"{display_path(path)}: no contents file; add one of {names}")
    raise ManifestError(f"{display_path(path)}: no such file or folder")


def _build_manifest(reader: Reader, manifest_path: Path, source_override: Path | None
                    ) -> Manifest | None:
    reader.check_schema()
    root_dir = manifest_path.parent
    metadata = read_metadata(reader, root_dir)
    pdf, print_settings, epub = read_pdf(reader), read_print(reader), read_epub(reader)
    source_dir = read_source_dir(reader, root_dir, source_override)
    if source_dir is None:
        return None
    roots = tuple(dict.fromkeys((root_dir, source_dir)))
    use_book(*bases_for(root_dir, source_dir, (), find_styles_dir()))
    metadata = with_cover(reader, metadata, root_dir, roots)
    metadata = with_bibliography(reader, metadata, root_dir, roots)
    paths = read_contents_paths(reader, source_dir, roots)
    if paths is None:
        return None
    contents_path, chapters_dir, image_dirs = paths
    result = read_contents(contents_path, chapters_dir, reader.report)
    if result is None:
        return None
    check_chapters(result.nodes, contents_path, roots, reader.report)
    aliases = read_aliases(reader, result.nodes)
    structure = read_structure(reader)
    nodes = titled_nodes(result.nodes, structure.title_case, contents_path, reader.report.extend)
    return Manifest(
        manifest_path=manifest_path, root_dir=root_dir, source_dir=source_dir,
        allowed_roots=roots, stem=read_stem(reader, metadata.title), metadata=metadata,
        contents_path=contents_path, nodes=nodes, image_dirs=image_dirs,
        styles_dir=find_styles_dir(), pdf=pdf, print=print_settings, epub=epub,
        structure=structure, site_aliases=ReadOnlyMapping(aliases),
    )
