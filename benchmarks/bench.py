"""Benchmark: handbook-build on the real handbook against a plain pandoc + WeasyPrint run.

Prints, for one run on this machine: the plain pipeline's time and peak memory, ours for a clean
build of every edition, a rebuild with nothing changed, a rebuild after editing one chapter
(checked byte for byte against a clean build of the edited book), a book four times as long,
and the ratios. Every measured step runs in its own process; its time is wall-clock and CPU
(user + system of the whole process tree), its peak memory the largest resident set of any one
process of the tree (``wait4``'s ``ru_maxrss``). The machine is shared, so the plain run and our
clean build alternate, ``--repeat`` times each, and medians are compared.

    python benchmarks/bench.py [--source PATH] [--repeat N] [--skip-4x]
"""

from __future__ import annotations

import argparse
import filecmp
import os
import platform
import shutil
import statistics
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
EDITED_CHAPTER = "play.md"
EARLY_CHAPTER = "introduction.md"
PAGE_OF_TEXT = "\n\n".join(
    "An added paragraph of plain words, long enough to fill part of a page, number "
    f"{number}, so that the chapter ends a page or more later than it did." for number in
    range(1, 41)) + "\n"  # 12 paragraphs fell into the chapter's last page: no page was added
# What a build writes besides the editions: the report holds timings, so it always differs.
NOT_EDITIONS = ("-report.json",)

# The baseline of the targets (docs: toolchain-facts.md): pandoc's standalone HTML laid out by
# WeasyPrint on 6x9 in pages with an offline fetcher, nothing else.
PLAIN_PIPELINE = r"""
import sys, time, pypandoc
from weasyprint import CSS, HTML
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
page = CSS(string="@page { size: 6in 9in; margin: 0.75in 0.6in 0.8in 0.8in }")
doc = HTML(string=html, base_url=sys.argv[3], url_fetcher=Offline()).render(stylesheets=[page])
doc.write_pdf(sys.argv[2])
t2 = time.perf_counter()
print(f"PAGES {len(doc.pages)} PANDOC {t1 - t0:.2f} WEASYPRINT {t2 - t1:.2f}")
"""


@dataclass(frozen=True)
class Measurement:
    label: str
    seconds: float
    cpu: float
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
    return Measurement(label, seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024,
                       output)


@dataclass(frozen=True)
class Series:
    """The same step measured several times."""

    label: str
    runs: tuple[Measurement, ...]

    @property
    def seconds(self) -> float:
        return statistics.median(run.seconds for run in self.runs)

    @property
    def cpu(self) -> float:
        return statistics.median(run.cpu for run in self.runs)

    @property
    def peak_mib(self) -> float:
        return max(run.peak_mib for run in self.runs)

    def row(self) -> str:
        spread = ""
        if len(self.runs) > 1:
            low = min(run.seconds for run in self.runs)
            high = max(run.seconds for run in self.runs)
            spread = f"  ({low:.2f}-{high:.2f}, n={len(self.runs)})"
        return (f"{self.label:<48} {self.seconds:>8.2f} {self.cpu:>8.2f} {self.peak_mib:>9.0f}"
                f"{spread}")


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


def build(label: str, corpus: Path, out: Path, *extra: str) -> Measurement:
    return measure(label, [*CLI, "build", str(MANIFEST), "-o", str(out), "-q", *extra],
                   {"HANDBOOK_SOURCE": str(corpus)})


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {p.name: (p.stat().st_mtime_ns, p.stat().st_size)
            for p in folder.iterdir() if p.is_file()}


def differing_editions(first: Path, second: Path) -> list[str]:
    names = sorted(p.name for p in first.iterdir()
                   if p.is_file() and not p.name.endswith(NOT_EDITIONS))
    return [name for name in names
            if not (second / name).is_file()
            or not filecmp.cmp(first / name, second / name, shallow=False)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--source", type=Path, default=Path(os.environ.get(
        "HANDBOOK_SOURCE", DEFAULT_SOURCE)))
    parser.add_argument("--repeat", type=int, default=3,
                        help="times each 1x step is measured (medians are compared)")
    parser.add_argument("--skip-4x", action="store_true", help="skip the 4x book")
    args = parser.parse_args()
    if not (args.source / "en-md" / "README.md").is_file():
        sys.exit(f"the real handbook is not at {args.source}; pass --source")

    work = Path(tempfile.mkdtemp(prefix="handbook-bench-"))
    try:
        run(args.source.resolve(), work, max(1, args.repeat), not args.skip_4x)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run(source: Path, work: Path, repeat: int, with_4x: bool) -> None:
    corpus = work / "corpus"
    copy_corpus(source, corpus)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}, {platform.platform()}")
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")

    # The plain pipeline converts our assembled manuscript (<stem>.md).
    manuscript_dir = work / "manuscript"
    build("manuscript only", corpus, manuscript_dir, "-f", "md")
    stem = next(manuscript_dir.glob("*.md")).stem
    plain_runs, clean_runs = [], []
    out = work / "out"
    for number in range(repeat):  # alternate, so a busy moment hits both
        plain_runs.append(measure(
            "plain pandoc -s + WeasyPrint, 6x9 in (reading PDF)",
            [sys.executable, "-c", PLAIN_PIPELINE, str(manuscript_dir / f"{stem}.md"),
             str(work / "plain.pdf"), str(manuscript_dir) + "/"]))
        target = out if number == 0 else work / f"clean-{number}"
        clean_runs.append(build("ours: clean build, every edition", corpus, target))
    plain = Series(plain_runs[0].label, tuple(plain_runs))
    clean = Series(clean_runs[0].label, tuple(clean_runs))
    pages = pdf_pages(out / f"{stem}.pdf")
    print_pages = pdf_pages(out / f"{stem}-print.pdf")

    typesetting = measure_typesetting(out, stem)

    unchanged_runs, untouched = [], True
    for _ in range(repeat):
        before = snapshot(out)
        unchanged_runs.append(build("ours: rebuild, nothing changed", corpus, out))
        untouched = untouched and snapshot(out) == before
    unchanged = Series(unchanged_runs[0].label, tuple(unchanged_runs))

    chapter = corpus / "en-md" / EDITED_CHAPTER
    edited_runs = []
    for number in range(repeat):
        chapter.write_text(chapter.read_text(encoding="utf-8")
                           + f"\nOne more sentence, number {number + 1}.\n", encoding="utf-8")
        edited_runs.append(build("ours: rebuild after editing one chapter", corpus, out))
    edited = Series(edited_runs[0].label, tuple(edited_runs))
    # An edit that moves every later page: about a page of text added to an early chapter.
    early = corpus / "en-md" / EARLY_CHAPTER
    early.write_text(early.read_text(encoding="utf-8") + "\n" + PAGE_OF_TEXT, encoding="utf-8")
    paged = build("ours: rebuild after adding a page early", corpus, out)
    check = work / "clean-edited"
    clean_edited = build("ours: clean build of the edited book", corpus, check)
    differing = differing_editions(out, check)

    print()
    print(f"{'step':<48} {'seconds':>8} {'cpu s':>8} {'peak MiB':>9}")
    for series in (plain, clean, unchanged, edited, Series(paged.label, (paged,)),
                   Series(clean_edited.label, (clean_edited,))):
        print(series.row())
    print()
    print(f"plain: {plain_runs[-1].output.strip()}")
    print(f"ours: reading PDF {pages} pages, print PDF {print_pages} pages")
    print(f"clean build / plain reading PDF:   {clean.seconds / plain.seconds:.2f}x wall, "
          f"{clean.cpu / plain.cpu:.2f}x cpu")
    print(f"no-change rebuild:                 {unchanged.seconds:.2f} s, "
          f"{'nothing written' if untouched else 'FILES WERE WRITTEN'}")
    print(f"one-chapter edit / clean build:    {edited.seconds / clean.seconds:.2f}x "
          f"({edited.seconds:.2f} s)")
    print(f"page-adding edit / clean build:     {paged.seconds / clean.seconds:.2f}x "
          f"({paged.seconds:.2f} s; {paged.cpu / clean.cpu:.2f}x cpu)")
    print("edited rebuilds vs clean build of the edited book: "
          + ("byte-identical editions" if not differing else f"DIFFER: {', '.join(differing)}"))
    print(f"peak memory ours / plain:          {clean.peak_mib / plain.peak_mib:.2f}x "
          f"({clean.peak_mib:.0f} / {plain.peak_mib:.0f} MiB)")
    print(f"typesetting check, as the build runs it: {typesetting}")
    per_100 = clean.seconds / pages * 100
    print(f"seconds per 100 reading-PDF pages (1x book, all editions): {per_100:.2f}")
    if with_4x:
        measure_4x(source, work, pages, per_100, clean.peak_mib)


# What the build adds per PDF: the cheap checks (images, glyphs, faces) always, all of them
# with --validate. Each edition is checked in its own render worker, so the wall time added to
# a build is about the larger of the two, not the sum.
TYPESETTING = r"""
import os, sys, time
from pathlib import Path
from handbook_build.checks.typeset_check import check_pdf_bytes
for name, profile in ((sys.argv[1] + ".pdf", "screen"), (sys.argv[1] + "-print.pdf", "print")):
    data = (Path(sys.argv[2]) / name).read_bytes()
    check_pdf_bytes(data, name, profile, cheap=True)  # warm: imports, fontconfig
    for cheap in (True, False):
        started, cpu = time.perf_counter(), os.times()
        check_pdf_bytes(data, name, profile, cheap=cheap)
        spent = os.times()
        cpu_s = sum(spent[i] - cpu[i] for i in range(4))  # ours and pdftotext's, user + system
        print(f"{name} {'cheap' if cheap else 'all'} {time.perf_counter() - started:.2f} s "
              f"({cpu_s:.2f} s cpu)")
"""


def measure_typesetting(out: Path, stem: str) -> str:
    done = subprocess.run([sys.executable, "-c", TYPESETTING, stem, str(out)],
                          capture_output=True, text=True, check=True)
    return "; ".join(done.stdout.strip().splitlines())


def measure_4x(source: Path, work: Path, pages_1x: int, per_100_1x: float,
               peak_1x: float) -> None:
    corpus = work / "corpus-4x"
    copy_corpus(source, corpus, repeat=4)
    out = work / "out-4x"
    big = build("ours: clean build, 4x book", corpus, out)
    stem = next(out.glob("*.md")).stem
    pages = pdf_pages(out / f"{stem}.pdf")
    per_100 = big.seconds / pages * 100
    print(f"4x book: {pages} pages, {big.seconds:.2f} s ({big.cpu:.2f} s cpu), "
          f"peak {big.peak_mib:.0f} MiB (1x: {peak_1x:.0f}), {per_100:.2f} s per 100 pages "
          f"(1x: {per_100_1x:.2f}; {pages_1x} pages): {per_100 / per_100_1x:.2f}x per page")


if __name__ == "__main__":
    main()
