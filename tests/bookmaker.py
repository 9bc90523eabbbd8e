"""Small books for the robustness tests, written into a temporary folder, and ways to build them.

``make_book`` writes ``book.toml``, ``contents.md``, ``chapters/*`` and ``images/*``; every part
can be replaced (raw bytes are accepted everywhere, so broken encodings can be written too).
``run_cli`` builds in-process through click's CliRunner with a wall-clock limit (``signal.alarm``)
and ``run_cli_subprocess`` builds in a child process with a timeout and memory/CPU limits; both
return the exit code and everything the command printed.

pytest puts this folder on ``sys.path`` (rootdir-relative "prepend" import mode, no
``__init__.py``), so tests import it as ``from bookmaker import make_book``.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import signal
import subprocess
import sys
import time
import zlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from click.testing import CliRunner

PROJECT_DIR = Path(__file__).resolve().parent.parent
CLI = PROJECT_DIR / ".venv" / "bin" / "handbook-build"
LAUNCHER = Path(__file__).resolve().parent / "peak_memory_launcher.py"

DEFAULT_TOML = """\
[book]
title = "Test Book"
date = 2024-03-01
language = "en"
stem = "book"

[contents]
file = "contents.md"
images = ["images"]
"""

Content = str | bytes


@dataclass(frozen=True, slots=True)
class Book:
    """A book written by ``make_book``: its folder and the paths tests poke at."""

    root: Path

    @property
    def manifest(self) -> Path:
        return self.root / "book.toml"

    @property
    def contents(self) -> Path:
        return self.root / "contents.md"

    @property
    def chapters(self) -> Path:
        return self.root / "chapters"

    @property
    def images(self) -> Path:
        return self.root / "images"

    def chapter(self, name: str) -> Path:
        return self.chapters / name


def _write(path: Path, content: Content) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_bytes(content.encode("utf-8"))


def contents_for(names: Sequence[str]) -> str:
    """A contents list linking each chapter file under ``chapters/``, titled by its stem."""
    lines = ["# Test Book", ""]
    lines += [f"- [{Path(name).stem.replace('-', ' ').title()}](chapters/{name})"
              for name in names]
    return "\n".join(lines) + "\n"


def make_book(
    root: Path,
    chapters: Mapping[str, Content] | None = None,
    *,
    contents: Content | None = None,
    toml: Content | None = None,
    toml_extra: str = "",
    images: Mapping[str, Content] | None = None,
    files: Mapping[str, Content] | None = None,
) -> Book:
    """Write a small book under ``root`` and return it.

    ``chapters``: file name -> text (default: one short chapter); ``contents``: the contents list
    (default: every chapter in order); ``toml``: the whole book.toml (default: a valid one, with
    ``toml_extra`` appended); ``images``: file name -> data under images/; ``files``: any other
    path relative to ``root`` -> data.
    """
    root.mkdir(parents=True, exist_ok=True)
    chapters = {"intro.md": "# Intro\n\nHello, reader.\n"} if chapters is None else chapters
    _write(root / "book.toml", toml if toml is not None else DEFAULT_TOML + toml_extra)
    _write(root / "contents.md", contents if contents is not None else contents_for(list(chapters)))
    (root / "chapters").mkdir(exist_ok=True)
    (root / "images").mkdir(exist_ok=True)
    for name, text in chapters.items():
        _write(root / "chapters" / name, text)
    for name, data in (images or {}).items():
        _write(root / "images" / name, data)
    for name, data in (files or {}).items():
        _write(root / name, data)
    return Book(root)


# --- images -------------------------------------------------------------------------------------


def png_bytes(width: int = 4, height: int = 4,
              color: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    """A small, valid RGB PNG (Pillow)."""
    import io

    from PIL import Image

    output = io.BytesIO()
    Image.new("RGB", (width, height), color).save(output, "PNG")
    return output.getvalue()


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return (len(data).to_bytes(4, "big") + kind + data
            + zlib.crc32(kind + data).to_bytes(4, "big"))


def bomb_png(width: int = 100_000, height: int = 100_000) -> bytes:
    """A tiny PNG whose header declares ``width`` x ``height`` pixels (10 gigapixels by default).

    The image data is a few bytes of one compressed empty row: decoding it fully would need
    tens of gigabytes, reading the header needs nothing.
    """
    header = (width.to_bytes(4, "big") + height.to_bytes(4, "big")
              + bytes([8, 0, 0, 0, 0]))  # 8-bit greyscale, deflate, no filter, no interlace
    data = zlib.compress(b"\x00" * (width + 1), 9)
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header) + _png_chunk(b"IDAT", data)
            + _png_chunk(b"IEND", b""))


def cut_stream_png(width: int = 64, height: int = 64) -> bytes:
    """A PNG whose chunks are all well-formed (CRCs right) but whose image data stops halfway:
    ``verify()`` passes, only decoding finds it damaged."""
    rows = b"".join(b"\x00" + bytes((x * 7 + y) % 256 for x in range(width))
                    for y in range(height))
    data = zlib.compress(rows, 9)
    header = (width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([8, 0, 0, 0, 0]))
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header)
            + _png_chunk(b"IDAT", data[: len(data) // 2]) + _png_chunk(b"IEND", b""))


def corrupt_png() -> bytes:
    """A PNG signature and header followed by garbage where the image data should be."""
    good = png_bytes(16, 16)
    return good[:40] + b"\x13\x37" * 40


# --- running the command line -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Run:
    exit_code: int
    output: str  # stdout and stderr together
    seconds: float
    max_rss_mb: float = 0.0  # subprocess runs only

    @property
    def has_traceback(self) -> bool:
        return "Traceback (most recent call last)" in self.output


class BuildTimeout(Exception):
    """The build took longer than the test allows."""


@contextlib.contextmanager
def time_limit(seconds: int) -> Iterator[None]:
    """Fail the current test (from the main thread) when its body runs longer than ``seconds``."""

    def expired(signum: int, frame: FrameType | None) -> None:
        raise BuildTimeout(f"did not finish within {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    except BuildTimeout as error:
        # A fresh exception: one raised from a signal handler can carry a traceback entry
        # without a line number (CPython 3.11), which pytest cannot format.
        raise BuildTimeout(str(error)) from None
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def build_args(book: Book | Path, out: Path, formats: Sequence[str] = ("md",),
               extra: Sequence[str] = ()) -> list[str]:
    manifest = book.manifest if isinstance(book, Book) else book
    args = ["build", str(manifest), "-o", str(out), "-j", "1"]
    for name in formats:
        args += ["-f", name]
    return [*args, *extra]


def run_cli(args: Sequence[str], timeout: int = 60) -> Run:
    """The CLI in this process (CliRunner), stopped after ``timeout`` seconds."""
    from handbook_build.cli import main

    started = time.perf_counter()
    with time_limit(timeout):
        result = CliRunner().invoke(main, list(args), catch_exceptions=True)
    output = result.output
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        import traceback

        output += "".join(traceback.format_exception(result.exception))
        if isinstance(result.exception, BuildTimeout):
            raise BuildTimeout(str(result.exception)) from None
    return Run(result.exit_code, output, time.perf_counter() - started)


def cli_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("SOURCE_DATE_EPOCH",)}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.update(extra or {})
    return env


def run_cli_subprocess(args: Sequence[str], timeout: float = 120, memory_mb: int = 2048,
                       cpu_seconds: int = 240, env: Mapping[str, str] | None = None,
                       cwd: Path | None = None) -> Run:
    """The CLI in a child process with a timeout and memory/CPU limits; its peak RSS reported
    (the child's own or its children's, such as pandoc, whichever is larger).

    The CLI is started by ``peak_memory_launcher.py``, not forked from this worker: Linux folds
    the forking process's peak RSS into the child's, so a worker holding 800 MB would make every
    CLI it starts look 800 MB big."""
    import tempfile

    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as scratch:
        report = Path(scratch) / "peak"
        out_path, err_path = Path(scratch) / "out", Path(scratch) / "err"
        with out_path.open("wb") as out, err_path.open("wb") as err:
            process = subprocess.Popen(
                [sys.executable, str(LAUNCHER), str(report), str(memory_mb), str(cpu_seconds), "--",
                 str(CLI), *args],
                stdout=out, stderr=err, env=cli_env(env), cwd=cwd,
            )
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                process.terminate()  # the launcher kills the CLI, then exits
                process.wait()
                raise
        seconds = time.perf_counter() - started
        peak_kib, exit_code = (int(field) for field in report.read_text("ascii").split())
        output = (out_path.read_bytes().decode("utf-8", "replace")
                  + err_path.read_bytes().decode("utf-8", "replace"))
    return Run(exit_code, output, seconds, peak_kib / 1024)


def python_cli() -> list[str]:
    """How to start the CLI with this interpreter (for subprocess tests that need -c tricks)."""
    return [sys.executable, "-m", "handbook_build"]


# --- inspecting outputs -------------------------------------------------------------------------


def tree_hashes(folder: Path) -> dict[str, str]:
    """Relative path -> sha256 of every file under ``folder`` (hidden files included)."""
    if not folder.exists():
        return {}
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*")) if path.is_file()
    }


def edition_hashes(folder: Path) -> dict[str, str]:
    """``tree_hashes`` without the build cache (``.cache/``, safe to delete, may be refreshed
    by a build that then fails): the editions and the report."""
    return {name: digest for name, digest in tree_hashes(folder).items()
            if not name.startswith(".cache")}


def temp_leftovers(folder: Path) -> list[str]:
    """Temporary files a build may have left behind anywhere under ``folder`` (the output
    module's ``.handbook-build-*``, the caches' ``.tmp-*``, ``*.tmp``, ``*.part``)."""
    if not folder.exists():
        return []
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*")
                  if path.name.startswith((".handbook-build-", ".tmp"))
                  or path.suffix in (".tmp", ".part"))


def readable_bytes(path: Path) -> bytes:
    """Everything an output holds, uncompressed: EPUB entries unzipped, PDF streams decoded."""
    data = path.read_bytes()
    if path.suffix == ".epub":
        import zipfile

        with zipfile.ZipFile(path) as archive:
            return b"\n".join([data, *(archive.read(name) + name.encode()
                                       for name in archive.namelist())])
    if path.suffix == ".pdf":
        import io

        from pypdf import PdfReader
        from pypdf.generic import IndirectObject, StreamObject

        parts = [data]
        reader = PdfReader(io.BytesIO(data))
        numbers = {(number, 0) for number in reader.xref_objStm}
        numbers |= {(number, generation) for generation, table in reader.xref.items()
                    for number in table}
        for number, generation in sorted(numbers):
            obj = reader.get_object(IndirectObject(number, generation, reader))
            if obj is None:
                continue
            if isinstance(obj, StreamObject):
                try:
                    parts.append(obj.get_data())
                except Exception:  # images with filters pypdf cannot undo
                    parts.append(obj._data)
            parts.append(repr(obj).encode("utf-8", "replace"))
        return b"\n".join(parts)
    return data
