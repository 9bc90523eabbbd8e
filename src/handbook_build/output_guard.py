"""Outputs never replace a file the tool did not write, and never a source of the book.

``-o .`` with a book titled "Intro" would otherwise write ``intro.md`` over the chapter of that
name. So before anything renders, every output path is checked:

* an output that would land on a source the book reads (the manifest, the contents file, a
  chapter, an image, a style sheet) is refused, whoever wrote it;
* an output path that exists and is not one of ours is refused. "Ours" means: a regular file
  that the ownership record ``<output>/.cache/written.json`` names (with the digests of what
  was last written there, for the record). A file of ours that was edited or damaged since is
  still ours and is rebuilt; a symbolic link or a folder in its place is not.

The record is written *before* the outputs are renamed into place (``claim``), so no file we
write is ever left unclaimed. Deleting ``.cache`` makes the tool forget what it wrote: the next
build then refuses to replace those editions until they are moved away.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

from handbook_build.errors import OutputError
from handbook_build.model import Book, Diagnostic, Manifest
from handbook_build.output import write_all
from handbook_build.sources.contents import display_path

RECORD_FILE = "written.json"
_DIGESTS_KEPT = 8  # per file name: enough for builds stopped between staging and renaming


def planned_names(stem: str, formats: Iterable[str]) -> tuple[str, ...]:
    """The file names a build with ``formats`` may write (checked before anything renders)."""
    names = [f"{stem}-report.json"]
    chosen = set(formats)
    by_format = {
        "md": (f"{stem}.md",),
        "html": (f"{stem}.html",),
        "pdf": (f"{stem}.pdf",),
        "epub": (f"{stem}.epub",),
        "print": (f"{stem}-print.pdf", f"{stem}-print-preflight.json", f"{stem}-cover.pdf",
                  f"{stem}-print-proof.png"),
        "print-fillable": (f"{stem}-print-fillable.pdf",),
    }
    for name, files in by_format.items():
        if name in chosen:
            names.extend(files)
    return tuple(names)


def book_sources(book: Book) -> dict[Path, str]:
    """Every file the book reads, resolved -> what it is (for the message)."""
    manifest = book.manifest
    sources: dict[Path, str] = {}
    for folder in (manifest.styles_dir,):
        for path in _files_in(folder):
            sources.setdefault(path, "a style sheet of the tool")
    for asset in book.images:
        sources.setdefault(_real(asset.path), "an image of the book")
    cover = manifest.metadata.cover_image
    if cover is not None:
        sources.setdefault(_real(cover if cover.is_absolute() else manifest.root_dir / cover),
                           "the cover image")
    for node in manifest.chapters:
        if node.source_path is not None:
            sources[_real(node.source_path)] = "a chapter"
    sources[_real(manifest.manifest_path)] = "the manifest"
    # After the manifest: without a book.toml the contents file is the manifest, named as such.
    sources[_real(manifest.contents_path)] = "the contents file"
    return sources


def check_outputs(names: Iterable[str], output_dir: Path, book: Book) -> None:
    """Raise ``OutputError`` listing every output that would replace a source or a file the
    tool did not write; nothing has been written or rendered when it does."""
    manifest = book.manifest
    sources = book_sources(book)
    record = load_record(output_dir)
    problems = []
    for name in sorted(set(names)):
        path = output_dir / name
        what = sources.get(_real(path))
        if what is not None:
            problems.append(_problem(manifest, output_dir, name, f"would overwrite {what} "
                                     f"({display_path(_real(path))})"))
        elif os.path.lexists(path) and not _is_ours(path, record.get(name, ())):
            problems.append(_problem(manifest, output_dir, name, _foreign(path)))
    if problems:
        count = len(problems)
        raise OutputError(f"{count} output{'s' if count > 1 else ''} refused; nothing was "
                          "written.", problems)


def claim(output_dir: Path, files: Mapping[Path, bytes]) -> None:
    """Record ``files`` as ours before they are renamed into place (atomic: temp + rename)."""
    record = load_record(output_dir)
    for path, data in files.items():
        digest = hashlib.sha256(data).hexdigest()
        kept = [digest, *(d for d in record.get(path.name, ()) if d != digest)]
        record[path.name] = tuple(kept[:_DIGESTS_KEPT])
    folder = output_dir / ".cache"
    with contextlib.suppress(OSError):
        folder.mkdir(parents=True, exist_ok=True)
    document = {name: list(digests) for name, digests in sorted(record.items())}
    write_all({folder / RECORD_FILE: (json.dumps(document, indent=1) + "\n").encode()})


def load_record(output_dir: Path) -> dict[str, tuple[str, ...]]:
    """File name -> digests of what the tool wrote there; empty when there is no record."""
    try:
        raw = json.loads((output_dir / ".cache" / RECORD_FILE).read_text(encoding="utf-8"))
        return {str(name): tuple(str(d) for d in digests) for name, digests in dict(raw).items()
                if isinstance(digests, list)}
    except (OSError, ValueError, TypeError, AttributeError):
        return {}


def _is_ours(path: Path, digests: Iterable[str]) -> bool:
    return bool(tuple(digests)) and not path.is_symlink() and path.is_file()


def _foreign(path: Path) -> str:
    if path.is_symlink():
        return "is a symbolic link handbook-build did not write; it would be replaced"
    if path.is_dir():
        return "is a folder; an edition cannot be written there"
    return "exists and was not written by handbook-build; it would be replaced"


def _problem(manifest: Manifest, output_dir: Path, name: str, what: str) -> Diagnostic:
    hint = "choose another -o"
    inside = _source_folder(manifest, output_dir)
    if inside:
        hint += f" (the output folder {display_path(output_dir)} is {inside})"
    else:
        hint += f", or move {name} away if it is not needed"
    return Diagnostic(display_path(manifest.manifest_path), None, f"output {name} {what}", hint,
                      code="output-collision")


def _source_folder(manifest: Manifest, output_dir: Path) -> str:
    """How ``output_dir`` relates to the book's source folders ("" when it lies outside)."""
    real = _real(output_dir)
    folders = [(manifest.contents_path.parent, "the folder of the contents file")]
    folders += [(node.source_path.parent, "a chapters folder") for node in manifest.chapters
                if node.source_path is not None]
    folders += [(folder, "an images folder") for folder in manifest.image_dirs]
    folders += [(manifest.root_dir, "the book's folder"),
                (manifest.source_dir, "the source folder"),
                (manifest.styles_dir, "the styles folder")]
    for folder, what in folders:
        folder = _real(folder)
        if real == folder:
            return what
    for folder, what in folders:
        folder = _real(folder)
        if real.is_relative_to(folder):
            return f"inside {what}"
    return ""


def _files_in(folder: Path) -> list[Path]:
    found: list[Path] = []
    for current, _, files in os.walk(folder):
        found.extend(_real(Path(current) / name) for name in files)
    return found


def _real(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return path.absolute()
