"""Benchmark: one chapter with N footnotes (10,000 and 100,000), every edition, stage by stage.

Prints, per book and per stage (read + normalize, assemble, pandoc -> HTML, then each edition
rendered in its own forked process): wall seconds, CPU seconds and peak resident memory, then the
100k / 10k ratios (10x the notes: linear cost is a ratio near 10). The paged editions (reading
and print PDF) refuse a chapter with more than ``paged_limits.MAX_PAGED_FOOTNOTES`` notes before
laying anything out: above it, the figure is the whole CLI run to its error exit; run
``--counts 1000 4000 --formats pdf print`` for their cost per note below the limit. Each
edition is checked for loss: every note's unique text must be in the HTML, the EPUB and the
text of both PDFs.

The notes are inline (``x^[id]``) with a 4-character base-36 id each, so 100,000 of them fit in
one chapter under the 1 MiB chapter limit. The machine is shared: the load average is printed.

    python benchmarks/footnotes.py [--counts 10000 100000] [--formats html epub pdf print]
                                   [--profile STAGE] [--keep DIR]

``--profile pdf`` (or any stage name) runs that stage under cProfile and prints the 30 most
expensive functions by cumulative time.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from handbook_build.render.paged_limits import MAX_PAGED_FOOTNOTES, PAGED_FORMATS

PROJECT_DIR = Path(__file__).resolve().parent.parent
NOTES_PER_PARAGRAPH = 10
ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"

BOOK_TOML = """\
[book]
title = "Footnotes"
date = 2024-03-01
language = "en"
stem = "notes"

[contents]
file = "contents.md"
"""


def note_id(number: int) -> str:
    """Four base-36 digits, prefixed so no two ids are substrings of each other's context."""
    digits = ""
    for _ in range(4):
        number, digit = divmod(number, 36)
        digits = ALPHABET[digit] + digits
    return "q" + digits


def chapter_text(count: int) -> str:
    paragraphs = []
    for start in range(0, count, NOTES_PER_PARAGRAPH):
        stop = min(count, start + NOTES_PER_PARAGRAPH)
        paragraphs.append(" ".join(f"w^[{note_id(n)}]" for n in range(start, stop)))
    return "# Notes\n\n" + "\n\n".join(paragraphs) + "\n"


def write_book(root: Path, count: int) -> Path:
    (root / "chapters").mkdir(parents=True)
    (root / "book.toml").write_text(BOOK_TOML, encoding="utf-8")
    (root / "contents.md").write_text("# Footnotes\n\n- [Notes](chapters/notes.md)\n",
                                      encoding="utf-8")
    (root / "chapters" / "notes.md").write_text(chapter_text(count), encoding="utf-8")
    return root / "book.toml"


def peak_mib(who: int = resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024


def cpu_seconds() -> float:
    usage = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    return sum(u.ru_utime + u.ru_stime for u in usage)


def profiled(stage: str, wanted: str | None, work: Callable[[], Any]) -> Any:
    if stage != wanted:
        return work()
    profile = cProfile.Profile()
    result = profile.runcall(work)
    text = io.StringIO()
    pstats.Stats(profile, stream=text).sort_stats("cumulative").print_stats(30)
    print(text.getvalue(), file=sys.stderr)
    return result


def in_fork(work: Callable[[], dict[str, Any]]) -> tuple[dict[str, Any], float, float, float]:
    """Run ``work`` in a forked child: (its JSON result, wall s, CPU s, peak MiB of the child
    or any process it started)."""
    read_end, write_end = os.pipe()
    started = time.perf_counter()
    pid = os.fork()
    if pid == 0:  # the child: report and leave without running the parent's cleanup
        os.close(read_end)
        try:
            payload = json.dumps(work()).encode()
        except BaseException as error:  # a failed edition is a result, not a hang
            payload = json.dumps({"error": repr(error)}).encode()
        with os.fdopen(write_end, "wb") as pipe:
            pipe.write(payload)
        os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        payload = pipe.read()
    _, _, usage = os.wait4(pid, 0)
    seconds = time.perf_counter() - started
    cpu = usage.ru_utime + usage.ru_stime
    # ru_maxrss of wait4 is the child's own; its children (pandoc, gs) are measured by the
    # child itself in "peak_children_mib".
    result = json.loads(payload or b"{}")
    peak = max(usage.ru_maxrss / 1024, float(result.pop("peak_children_mib", 0.0)))
    return result, seconds, cpu, peak


def pdf_text(data: bytes) -> str:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as pdf:
        pdf.write(data)
        pdf.flush()
        return subprocess.run(["pdftotext", "-q", pdf.name, "-"], capture_output=True,
                              check=True).stdout.decode("utf-8", "replace")


def missing_notes(text: str, count: int) -> int:
    found = set(re.findall(r"q[0-9a-z]{4}", text))
    return sum(1 for n in range(count) if note_id(n) not in found)


def edition_summary(name: str, outputs: tuple[Any, ...], count: int) -> dict[str, Any]:
    """Sizes and pages of what the edition made, and how many notes its text lacks."""
    summary: dict[str, Any] = {"files": {o.name: len(o.data) for o in outputs}}
    main = outputs[0]
    if main.pages is not None:
        summary["pages"] = main.pages
    if name == "html":
        text = main.data.decode("utf-8")
    elif name == "epub":
        with zipfile.ZipFile(io.BytesIO(main.data)) as epub:
            text = "".join(epub.read(n).decode("utf-8", "replace") for n in epub.namelist()
                           if n.endswith(".xhtml"))
    else:
        print_pdf = next((o for o in outputs if o.name.endswith("-print.pdf")), main)
        text = pdf_text(print_pdf.data)
    summary["missing_notes"] = missing_notes(text, count)
    return summary


def child(manifest_path: Path, out: Path, count: int, formats: list[str],
          profile: str | None) -> None:
    """Runs in its own process: the stages in order, one JSON line per stage on stdout."""
    from handbook_build import cache, editions
    from handbook_build.html.assemble import assemble
    from handbook_build.html.htmlbook import to_html
    from handbook_build.sources.chapters import read_book
    from handbook_build.sources.manifest import load_manifest

    def report(stage: str, seconds: float, cpu: float, peak: float, **extra: Any) -> None:
        print(json.dumps({"count": count, "stage": stage, "seconds": round(seconds, 2),
                          "cpu": round(cpu, 2), "peak_mib": round(peak), **extra}), flush=True)

    manifest = load_manifest(manifest_path)
    stages: list[tuple[str, Callable[[Any], Any]]] = [
        ("read", lambda _: read_book(manifest, out)),
        ("assemble", assemble),
        ("html-convert", lambda manuscript: to_html(manuscript, cache.ensure_cache_dir(out))),
    ]
    value: Any = None
    for stage, work in stages:
        started, cpu = time.perf_counter(), cpu_seconds()
        value = profiled(stage, profile, lambda work=work, value=value: work(value))
        report(stage, time.perf_counter() - started, cpu_seconds() - cpu,
               max(peak_mib(), peak_mib(resource.RUSAGE_CHILDREN)))
    html_book = value
    for name in formats:
        if name in PAGED_FORMATS and count > MAX_PAGED_FOOTNOTES:
            stage, seconds, cpu, peak, extra = refusal(manifest_path, out, name)
            report(stage, seconds, cpu, peak, **extra)
            continue
        def render(name: str = name) -> dict[str, Any]:
            result = profiled(name, profile, lambda: editions.render_edition(
                name, html_book, False, tuple(formats)))
            summary = edition_summary(name, result.outputs, count)
            summary["warnings"] = len(result.diagnostics)
            summary["peak_children_mib"] = peak_mib(resource.RUSAGE_CHILDREN)
            return summary

        summary, seconds, cpu, peak = in_fork(render)
        report(name, seconds, cpu, peak, **summary)


def refusal(manifest_path: Path, out: Path, name: str) -> tuple[str, float, float, float, Any]:
    """A paged edition over the per-chapter note limit (paged_limits.py) is refused before any
    layout: the whole CLI run, from start to its error exit, is the figure a user sees."""
    started = time.perf_counter()
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    run = subprocess.run([str(Path(sys.executable).parent / "handbook-build"), "build",
                          str(manifest_path), "-f", name, "-o", str(out / f"refused-{name}")],
                         capture_output=True, text=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    error = next((line for line in run.stderr.splitlines() if "error:" in line), "")
    return (f"{name} (refused)", time.perf_counter() - started,
            after.ru_utime + after.ru_stime - usage.ru_utime - usage.ru_stime,
            after.ru_maxrss / 1024, {"exit": run.returncode, "error": error[:120]})


def parent(counts: list[int], formats: list[str], profile: str | None,
           keep: Path | None) -> None:
    print(f"{os.cpu_count()} cores; load average at start: "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    work = keep or Path(tempfile.mkdtemp(prefix="footnote-bench-"))
    rows: dict[tuple[int, str], dict[str, Any]] = {}
    try:
        for count in counts:
            manifest = write_book(work / f"book-{count}", count)
            size = (work / f"book-{count}" / "chapters" / "notes.md").stat().st_size
            print(f"\n{count} footnotes (chapter {size / 1024:.0f} KiB)")
            print(f"{'stage':<14} {'seconds':>8} {'cpu s':>8} {'peak MiB':>9}  details")
            command = [sys.executable, __file__, "--child", str(manifest),
                       str(work / f"out-{count}"), str(count), "--formats", *formats]
            if profile:
                command += ["--profile", profile]
            process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
            assert process.stdout is not None
            for line in process.stdout:
                row = json.loads(line)
                rows[(count, row["stage"])] = row
                details = {k: v for k, v in row.items()
                           if k not in ("count", "stage", "seconds", "cpu", "peak_mib")}
                print(f"{row['stage']:<14} {row['seconds']:>8.2f} {row['cpu']:>8.2f} "
                      f"{row['peak_mib']:>9}  {json.dumps(details) if details else ''}",
                      flush=True)
            if process.wait() != 0:
                sys.exit(f"the {count}-footnote build failed (exit {process.returncode})")
        if len(counts) == 2:
            small, large = counts
            print(f"\nratios {large} / {small} notes ({large / small:.0f}x the notes; "
                  "linear is about that):")
            for (count, stage), row in rows.items():
                base = rows.get((small, stage))
                if count == large and base:
                    print(f"  {stage:<14} time {row['seconds'] / max(base['seconds'], 0.01):6.1f}x"
                          f"   cpu {row['cpu'] / max(base['cpu'], 0.01):6.1f}x"
                          f"   peak memory {row['peak_mib'] / max(base['peak_mib'], 1):5.1f}x")
        print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    finally:
        if keep is None:
            shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--counts", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--formats", nargs="+", default=["html", "epub", "pdf", "print"])
    parser.add_argument("--profile", help="a stage to run under cProfile")
    parser.add_argument("--keep", type=Path, help="build in this folder and keep it")
    parser.add_argument("--child", nargs=3, metavar=("MANIFEST", "OUT", "COUNT"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        manifest, out, count = args.child
        child(Path(manifest), Path(out), int(count), args.formats, args.profile)
    else:
        parent(args.counts, args.formats, args.profile, args.keep)


if __name__ == "__main__":
    main()
