"""Benchmark: handbook-build on the real handbook against a plain pandoc + WeasyPrint run.

Prints, for one run on this machine: the plain pipeline's time and peak memory, ours for a clean
build of every edition, a rebuild with nothing changed, a rebuild after editing one chapter, a
book four times as long, and the ratios. Every measured step runs in its own process, and its
peak memory is that process tree's largest resident set (``wait4``'s ``ru_maxrss``).

    python benchmarks/bench.py [--source PATH] [--skip-4x]
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
MANIFEST = PROJECT_DIR / "editions" / "peeragogy-v3" / "book.toml"
DEFAULT_SOURCE = PROJECT_DIR.parent / "shared" / "corpus" / "peeragogy-handbook-v3"
CLI = [sys.executable, "-m", "handbook_build"]

PLAIN_PIPELINE = r"""
import sys, time, pypandoc
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetchingError

class Offline(URLFetcher):
    def fetch(self, url, headers=None):
        if url.startswith("file:"):
            return super().fetch(url, headers)
        raise URLFetchingError("offline")

text = open(sys.argv[1], encoding="utf-8").read()
t0 = time.perf_counter()
html = pypandoc.convert_text(text, "html5", format="markdown", extra_args=["-s",
    "--metadata", "title=Plain"])
t1 = time.perf_counter()
doc = HTML(string=html, base_url=sys.argv[3], url_fetcher=Offline()).render()
doc.write_pdf(sys.argv[2])
t2 = time.perf_counter()
print(f"PAGES {len(doc.pages)} PANDOC {t1 - t0:.2f} WEASYPRINT {t2 - t1:.2f}")
"""


@dataclass(frozen=True)
class Measurement:
    label: str
    seconds: float
    peak_mib: float
    output: str


def measure(label: str, command: list[str], env: dict[str, str] | None = None) -> Measurement:
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               env={**os.environ, **(env or {})}, cwd=PROJECT_DIR)
    assert process.stdout is not None
    output = process.stdout.read().decode(errors="replace")
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{label} failed:\n{output}")
    return Measurement(label, seconds, usage.ru_maxrss / 1024, output)


def pdf_pages(path: Path) -> int:
    from pypdf import PdfReader

    return len(PdfReader(path).pages)


def copy_corpus(source: Path, target: Path, repeat: int = 1) -> None:
    """A copy of the handbook; with ``repeat`` > 1 every chapter appears that many times."""
    shutil.copytree(source, target)
    if repeat == 1:
        return
    contents_path = target / "en-md" / "README.md"
    original = contents_path.read_text(encoding="utf-8")
    copies = [original]
    for number in range(2, repeat + 1):
        copy = original
        for chapter in sorted((target / "en-md").glob("*.md")):
            if chapter.name == "README.md":
                continue
            twin = chapter.with_name(f"{chapter.stem}-{number}.md")
            twin.write_bytes(chapter.read_bytes())
            copy = copy.replace(f"/{chapter.name}", f"/{twin.name}")
        copies.append(copy.replace("**RESOURCES**", f"**RESOURCES {number}**"))
    contents_path.write_text("\n".join(copies), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--source", type=Path, default=Path(os.environ.get(
        "HANDBOOK_SOURCE", DEFAULT_SOURCE)))
    parser.add_argument("--skip-4x", action="store_true", help="skip the 4x book")
    args = parser.parse_args()
    if not (args.source / "en-md" / "README.md").is_file():
        sys.exit(f"the real handbook is not at {args.source}; pass --source")

    work = Path(tempfile.mkdtemp(prefix="handbook-bench-"))
    try:
        run(args.source.resolve(), work, not args.skip_4x)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run(source: Path, work: Path, with_4x: bool) -> None:
    corpus = work / "corpus"
    copy_corpus(source, corpus)
    env = {"HANDBOOK_SOURCE": str(corpus)}
    out = work / "out"
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}, {platform.platform()}")

    clean = measure("ours: clean build, every edition",
                    [*CLI, "build", str(MANIFEST), "-o", str(out), "-q"], env)
    stem = next(out.glob("*.md")).stem
    pages = pdf_pages(out / f"{stem}.pdf")
    print_pages = pdf_pages(out / f"{stem}-print.pdf")

    plain_pdf = work / "plain.pdf"
    plain = measure("plain pandoc -s + WeasyPrint (reading PDF only)",
                    [sys.executable, "-c", PLAIN_PIPELINE, str(out / f"{stem}.md"),
                     str(plain_pdf), str(out) + "/"])

    unchanged = measure("ours: rebuild, nothing changed",
                        [*CLI, "build", str(MANIFEST), "-o", str(out), "-q"], env)
    chapter = corpus / "en-md" / "play.md"
    chapter.write_text(chapter.read_text(encoding="utf-8") + "\nOne more sentence.\n",
                       encoding="utf-8")
    edited = measure("ours: rebuild after editing one chapter",
                     [*CLI, "build", str(MANIFEST), "-o", str(out), "-q"], env)

    rows = [plain, clean, unchanged, edited]
    print()
    print(f"{'step':<52} {'seconds':>8} {'peak MiB':>9}")
    for row in rows:
        print(f"{row.label:<52} {row.seconds:>8.2f} {row.peak_mib:>9.0f}")
    print()
    print(f"plain: {plain.output.strip()}")
    print(f"ours: reading PDF {pages} pages, print PDF {print_pages} pages")
    print(f"clean build / plain reading PDF:   {clean.seconds / plain.seconds:.2f}x")
    print(f"no-change rebuild:                 {unchanged.seconds:.2f} s")
    print(f"one-chapter edit / clean build:    {edited.seconds / clean.seconds:.2f}x")
    print(f"peak memory ours / plain:          {clean.peak_mib / plain.peak_mib:.2f}x")
    per_100 = clean.seconds / pages * 100
    print(f"seconds per 100 reading-PDF pages (1x book, all editions): {per_100:.2f}")
    if with_4x:
        measure_4x(source, work, pages, per_100)


def measure_4x(source: Path, work: Path, pages_1x: int, per_100_1x: float) -> None:
    corpus = work / "corpus-4x"
    copy_corpus(source, corpus, repeat=4)
    out = work / "out-4x"
    big = measure("ours: clean build, 4x book",
                  [*CLI, "build", str(MANIFEST), "-o", str(out), "-q"],
                  {"HANDBOOK_SOURCE": str(corpus)})
    stem = next(out.glob("*.md")).stem
    pages = pdf_pages(out / f"{stem}.pdf")
    per_100 = big.seconds / pages * 100
    print(f"4x book: {pages} pages, {big.seconds:.2f} s, peak {big.peak_mib:.0f} MiB, "
          f"{per_100:.2f} s per 100 pages (1x: {per_100_1x:.2f}; {pages_1x} pages)")


if __name__ == "__main__":
    main()
