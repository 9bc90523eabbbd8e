"""The build cache under ``<output>/.cache`` (safe to delete): what the last build read and wrote.

A rebuild first fingerprints every input (manifest, contents, chapters, images, styles, fonts
named in the styles, the tool's own code and versions, the options). If nothing changed and every
output is still what the last build wrote, the build stops there and writes nothing.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from handbook_build import cache_entry
from handbook_build.model import Manifest

CACHE_DIR_NAME = ".cache"
STATE_FILE = "state.json"
_SKIPPED_DIRS = frozenset({".git", ".venv", "__pycache__", ".cache", "node_modules",
                           ".pytest_cache", ".mypy_cache", ".ruff_cache", ".hypothesis"})
_VERSIONED = ("weasyprint", "pypandoc-binary", "ebooklib", "pydyf", "nh3", "pypdf", "pillow")
PACKAGE_DIR = Path(__file__).resolve().parent


@dataclass(frozen=True, slots=True)
class BuildState:
    fingerprint: str
    outputs: dict[str, str]  # file name -> sha256 of what was written


def cache_dir(output_dir: Path) -> Path:
    return output_dir / CACHE_DIR_NAME


def tool_versions() -> str:
    """Versions of everything that shapes the output; part of every cache key."""
    versions = []
    for name in _VERSIONED:
        try:
            versions.append(f"{name}={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{name}=absent")
    return ";".join(versions)


def fingerprint_inputs(manifest: Manifest, output_dir: Path, options: Iterable[str]) -> str:
    """One hash over every file the build may read, the tool's code, versions and options."""
    digest = hashlib.sha256()
    for option in options:
        digest.update(f"option:{option}\n".encode())
    digest.update(tool_versions().encode())
    digest.update(os.environ.get("SOURCE_DATE_EPOCH", "").encode())
    digest.update(font_folders_state().encode())
    roots = {*manifest.allowed_roots, *manifest.image_dirs, manifest.styles_dir, PACKAGE_DIR}
    excluded = output_dir.resolve()
    confined_to = tuple(root.resolve() for root in roots)
    for root in sorted(roots):
        for path in _files_under(root, excluded, confined_to):
            digest.update(f"{path}\n".encode())
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def font_folders_state() -> str:
    """Installing or removing a font changes its folder's mtime: cheap, and enough to notice."""
    folders = [Path("/usr/share/fonts"), Path("/usr/local/share/fonts"),
               Path.home() / ".local" / "share" / "fonts", Path.home() / ".fonts"]
    stamps = []
    for top in folders:
        if top.is_dir():
            for folder, _, _ in os.walk(top):
                with contextlib.suppress(OSError):
                    stamps.append(f"{folder}:{os.stat(folder).st_mtime_ns}")
    return ";".join(sorted(stamps))


def _files_under(root: Path, excluded: Path,
                 confined_to: tuple[Path, ...] | None = None) -> Iterator[Path]:
    """Regular files under ``root`` whose real location is inside one of the roots: a symlink
    out of the book is never read (the build refuses it too), and a FIFO never blocks us."""
    if not root.is_dir():
        return
    confined_to = confined_to or (root.resolve(),)
    for folder, subfolders, files in os.walk(root):
        current = Path(folder)
        subfolders[:] = sorted(
            name for name in subfolders
            if name not in _SKIPPED_DIRS and (current / name).resolve() != excluded
        )
        for name in sorted(files):
            path = current / name
            try:
                real = path.resolve(strict=True)
            except (OSError, RuntimeError):
                continue  # dangling link or symlink loop: the build reports it if it is used
            if real.is_file() and any(real.is_relative_to(top) for top in confined_to):
                yield path


def file_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def load_state(output_dir: Path) -> BuildState | None:
    data = cache_entry.read_entry(cache_dir(output_dir) / STATE_FILE)
    try:
        if data is None:
            return None  # none yet, or torn or foreign: build normally
        raw = json.loads(data.decode("utf-8"))
        return BuildState(str(raw["fingerprint"]), {str(k): str(v) for k, v in
                                                    dict(raw["outputs"]).items()})
    except (ValueError, KeyError, TypeError):
        return None  # no cache, or a damaged one: build normally


def outputs_intact(output_dir: Path, state: BuildState) -> bool:
    """True when every file the last build wrote is still there, unchanged."""
    for name, digest in state.outputs.items():
        try:
            if file_digest((output_dir / name).read_bytes()) != digest:
                return False
        except OSError:
            return False
    return True


def state_bytes(fingerprint: str, outputs: dict[str, bytes]) -> bytes:
    document = {"fingerprint": fingerprint,
                "outputs": {name: file_digest(data) for name, data in sorted(outputs.items())}}
    text = json.dumps(document, indent=1, sort_keys=True) + "\n"
    return cache_entry.encode(STATE_FILE, text.encode())  # a cache entry: checked on read


def ensure_cache_dir(output_dir: Path) -> Path:
    folder = cache_dir(output_dir)
    with contextlib.suppress(OSError):
        folder.mkdir(parents=True, exist_ok=True)
    return folder
