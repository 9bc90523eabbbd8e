"""The build cache under ``<output>/.cache`` (safe to delete): what the last build read and wrote.

A rebuild first fingerprints every input the book uses (manifest, contents, chapters, the images
they reference, styles, font folders, the tool's own code and versions, the options), and nothing
else under the book's folders. If nothing changed and every
output is still what the last build wrote, the build stops there and writes nothing.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from handbook_build import cache_entry
from handbook_build.model import Manifest, TocNode
from handbook_build.sources import guard
from handbook_build.sources.includes import expand_includes
from handbook_build.stat_digests import StatDigests, tree_state

CACHE_DIR_NAME = ".cache"
STATE_FILE = "state.json"
_SKIPPED_DIRS = frozenset({".git", ".venv", "__pycache__", ".cache", "node_modules",
                           ".pytest_cache", ".mypy_cache", ".ruff_cache", ".hypothesis"})
_VERSIONED = ("weasyprint", "pypandoc-binary", "ebooklib", "pydyf", "nh3", "pypdf", "pillow")
PACKAGE_DIR = Path(__file__).resolve().parent
# Every way a chapter can show an image: ![...], <img, [caption] (a superset, case-insensitive).
_MAY_HOLD_IMAGES = re.compile(r"!\[|<img|\[caption", re.IGNORECASE)


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


def fingerprint_inputs(manifest: Manifest, output_dir: Path, options: Iterable[str],
                       digests: StatDigests | None = None) -> str:
    """One hash over the files the book uses (the manifest, the contents file, the chapters, the
    images they reference, the cover, the styles), the tool's code, versions and options.

    Nothing else under the book's folders is read: an unused 2 GB file beside the book costs
    nothing. Each file is ``stat``-ed first; one that is not a regular file or is over its limit
    (``guard.input_file_problem``) is hashed by what it is, never read: the build then refuses it
    with its own message. A file whose stat is what it was when the last build hashed it is not
    read again (stat_digests.py), nor are the images of a chapter scanned again when neither the
    chapter nor any file under the book's folders changed: a rebuild with nothing changed opens
    no input file.
    """
    digests = digests or StatDigests(None)
    digest = hashlib.sha256()
    for option in options:
        digest.update(f"option:{option}\n".encode())
    digest.update(tool_versions().encode())
    digest.update(os.environ.get("SOURCE_DATE_EPOCH", "").encode())
    digest.update(font_folders_state().encode())
    excluded = output_dir.resolve()
    for path in _files_under(PACKAGE_DIR, excluded):
        _hash_file(digest, path, guard.MAX_STYLE_BYTES, digests)
    for path in _files_under(manifest.styles_dir, excluded):
        _hash_file(digest, path, guard.MAX_STYLE_BYTES, digests)
    _hash_file(digest, manifest.manifest_path, guard.MAX_MANIFEST_BYTES, digests)
    _hash_file(digest, manifest.contents_path, guard.MAX_MANIFEST_BYTES, digests)
    # What the image scan may see: every file under the book's folders, by stat only.
    tree = tree_state([*manifest.allowed_roots, *manifest.image_dirs], excluded)
    salt = f"{tree}\0{output_dir}\0{manifest.image_dirs}\0{manifest.allowed_roots}"
    chapters: list[tuple[TocNode, str | None, str]] = []  # (node, text if read, scan key)
    for node in manifest.chapters:
        if node.source_path is None:
            continue
        sha, data = _hash_file(digest, node.source_path, guard.MAX_CHAPTER_BYTES, digests,
                               want_data=False)
        if sha is None:
            continue
        key = hashlib.sha256(f"{salt}\0{node.slug}\0{node.source_path}\0{sha}".encode()
                             ).hexdigest()
        text = data.decode("utf-8", "replace") if data is not None else None
        # Included files are inputs too (a change in a listing must rebuild): which ones a
        # chapter includes is remembered with its scan key, like its images.
        included = digests.scan(_INCLUDES + key) if tree is not None else None
        if included is None:
            if text is None:
                text = _read_chapter(node)
            if text is None:
                digest.update(os.urandom(16))
                continue
            expanded = _expand(manifest, node, text)
            if expanded is None:  # a missing include may appear later: never skip on it
                digest.update(os.urandom(16))
                continue
            text, included = expanded
            if tree is not None:
                digests.remember_scan(_INCLUDES + key, included)
        elif text is not None:
            text = None  # read again, expanded, only if the image scan is not remembered
        for path in included:
            _hash_file(digest, path, guard.MAX_CHAPTER_BYTES, digests)
        chapters.append((node, text, key))
    images = _chapter_images(manifest, output_dir, chapters, digests, tree is not None)
    if images is None:  # the scan failed: never take the no-change path on a guess
        digest.update(os.urandom(16))
        images = []
    cover = manifest.metadata.cover_image
    if cover is not None:
        images.append(cover if cover.is_absolute() else manifest.root_dir / cover)
    for path in sorted(set(images)):
        _hash_file(digest, path, guard.MAX_IMAGE_BYTES, digests)
    if manifest.metadata.bibliography is not None:
        _hash_file(digest, manifest.metadata.bibliography, guard.MAX_BIBLIOGRAPHY_BYTES,
                   digests)
    return digest.hexdigest()


def _hash_file(digest: hashlib._Hash, path: Path, limit: int, digests: StatDigests,
               want_data: bool = False) -> tuple[str | None, bytes | None]:
    """Add ``path`` and its digest to ``digest``; a file that is missing, not regular or over
    ``limit`` bytes adds what it is instead and is never opened. Its sha256, and its bytes when
    they were read (always with ``want_data``)."""
    digest.update(f"{path}\n".encode())
    problem = guard.input_file_problem(path, limit)
    if problem is not None:
        digest.update(f"unusable:{problem}\n".encode())
        return None, None
    try:
        status = path.stat()
        sha = None if want_data else digests.known(path, status)
        if sha is not None:
            digest.update(bytes.fromhex(sha))
            return sha, None
        data = path.read_bytes()
    except OSError as error:
        digest.update(f"unreadable:{error.strerror}\n".encode())
        return None, None
    sha = hashlib.sha256(data).hexdigest()
    digests.remember(path, status, sha)
    digest.update(bytes.fromhex(sha))
    return sha, data


def _chapter_images(manifest: Manifest, output_dir: Path,
                    chapters: list[tuple[TocNode, str | None, str]], digests: StatDigests,
                    trust_scans: bool) -> list[Path] | None:
    """The image files the chapters reference: remembered per chapter when its scan key (its
    digest, the state of the book's folders) is known, else scanned; None when a scan fails."""
    found: list[Path] = []
    unknown: list[tuple[TocNode, str]] = []
    keys: dict[str, str] = {}
    for node, text, key in chapters:
        remembered = digests.scan(key) if trust_scans else None
        if remembered is not None:
            found.extend(remembered)
            continue
        if text is None:
            raw = _read_chapter(node)
            expanded = _expand(manifest, node, raw) if raw is not None else None
            if expanded is None:
                return None
            text = expanded[0]
        unknown.append((node, text))
        keys[node.slug] = key
    for node, text in unknown:
        scanned = _referenced_images(manifest, output_dir, [(node, text)])
        if scanned is None:
            return None
        if trust_scans:
            digests.remember_scan(keys[node.slug], scanned)
        found.extend(scanned)
    return found


_INCLUDES = "includes\0"  # the scan-memory keys of the files a chapter includes


def _read_chapter(node: TocNode) -> str | None:
    assert node.source_path is not None
    try:
        return node.source_path.read_text("utf-8", "replace")
    except OSError:
        return None


def _expand(manifest: Manifest, node: TocNode, text: str) -> tuple[str, list[Path]] | None:
    """The chapter with its includes expanded, as the sources stage sees it, and the files it
    included; None when an include fails (the build reports it)."""
    expanded = expand_includes(text, node.source_path, manifest.allowed_roots,
                               str(node.source_path))
    if expanded.diagnostics:
        return None
    return expanded.text, list(expanded.files)


def _referenced_images(manifest: Manifest, output_dir: Path,
                       texts: Iterable[tuple[TocNode, str]]) -> list[Path] | None:
    """The image files the chapters reference, found as the sources stage finds them (the
    transforms before the image step that change image references, the same resolver, which
    reads only file headers); None when the scan fails."""
    from handbook_build.sources import markdown_fix as fix
    from handbook_build.sources.images import ImageContext, ImageResolver, rewrite_images

    try:
        resolver = ImageResolver(manifest.image_dirs, manifest.allowed_roots)
        found: list[Path] = []
        for node, text in texts:
            shown = str(node.source_path)
            text = fix.clean_characters(text, shown).text  # as the chain's first step would
            if _MAY_HOLD_IMAGES.search(text) is None:
                continue  # no image syntax at all: nothing to resolve (the common case is cheap)
            # Of the steps before the image step, only this one changes image references
            # (``![a][ref]`` -> ``![a](src)``); the heading repairs leave them as written.
            prepared = fix.inline_reference_links(text, shown)
            chapter_dir = (node.source_path or manifest.contents_path).parent
            result = rewrite_images(prepared.text, ImageContext(
                node, chapter_dir, output_dir, resolver, manifest.contents_path))
            found.extend(asset.path for asset in result.assets)
        return found
    except Exception:  # a chapter the scan cannot follow: the build reports it properly
        return None


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


def outputs_intact(output_dir: Path, state: BuildState,
                   digests: StatDigests | None = None) -> bool:
    """True when every file the last build wrote is still there, unchanged (by its remembered
    digest when its stat has not changed since it was hashed)."""
    digests = digests or StatDigests(None)
    for name, digest in state.outputs.items():
        if digests.digest_of(output_dir / name) != digest:
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
