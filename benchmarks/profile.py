"""Profile: where the CPU of a clean handbook build goes, stage by stage.

Builds the real handbook (and, with ``--4x``, a book of its chapters four times over) in a child
process whose pipeline functions are wrapped by stage clocks, and prints a table of CPU seconds
and shares. CPU time (``time.process_time``, plus the CPU of the programs a stage runs: pandoc,
pdftotext, Java) is measured, not wall-clock: on a shared machine the wall time of a stage says
more about the other users than about the stage. Each stage's figure is its own time: a stage
called inside another (fonts subset inside the merge) is subtracted from the outer one. Forked
workers (the editions, the chunk layouts) inherit the clocks and append what they measured to a
file per process; the parent adds them up. ``unaccounted`` is the whole process tree's CPU
(``wait4``) minus the stages: imports, process start, glue.

The floor is the layout of the pages the editions really need: the layout CPU of each chunked
edition, scaled by (pages in the edition) / (pages laid out), so second layouts (page references
that moved) and re-layouts for a wider gutter do not count.

    python benchmarks/profile.py [--source PATH] [--4x | --only-4x] [--plain] [--jobs N]
                                 [--rebuild] [--edits]

The profiled child imports every module it wraps before the build starts (WeasyPrint too), so
its "rebuild with nothing changed" total is not the real one (which imports almost nothing):
bench.py measures that.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import (
    DEFAULT_SOURCE,
    EARLY_CHAPTER,
    EDITED_CHAPTER,
    MANIFEST,
    PAGE_OF_TEXT,
    PLAIN_PIPELINE,
    PROJECT_DIR,
    copy_corpus,
    measure,
    pdf_pages,
)

# (stage, module, attribute, counts the CPU of programs it runs, per edition)
# The attribute may be "Class.method". Stages nest: each reports its own time only.
STAGES: tuple[tuple[str, str, str, bool, bool], ...] = (
    ("no-change check (fingerprint)", "handbook_build.cache", "fingerprint_inputs", False, False),
    ("no-change check (outputs)", "handbook_build.cache", "outputs_intact", False, False),
    ("read chapters + transforms", "handbook_build.sources.chapters", "read_book", False, False),
    ("assemble manuscript", "handbook_build.html.assemble", "assemble", False, False),
    # pandoc runs in threads (html_cache.py): the clock wraps the whole conversion.
    ("pandoc (batches, split)", "handbook_build.html.html_cache", "convert", True, False),
    ("HTML split + sanitize", "handbook_build.html.htmlbook", "to_html", False, False),
    ("HTML checks (depth, notes)", "handbook_build.sources.guard", "check_html_depth", False,
     False),
    ("HTML checks (depth, notes)", "handbook_build.render.paged_limits", "check_paged_footnotes",
     False, False),
    ("edition setup (styles, groups)", "handbook_build.render.paged.edition", "paged_for",
     False, True),
    ("layout", "handbook_build.render.paged.renderer", "Renderer.layout", False, True),
    ("layout (one pass)", "handbook_build.render.pdf", "render_pdf", False, True),
    ("layout (one pass)", "handbook_build.render.print_pdf", "render_print", False, True),
    ("drawing (write_pdf per chunk)", "handbook_build.render.paged.renderer", "Renderer.write",
     False, True),
    ("chunk bookkeeping", "handbook_build.render.paged.layout", "layout_book", False, True),
    ("chunk cache I/O", "handbook_build.render.paged.chunk_cache", "ChunkCache.load", False, True),
    ("chunk cache I/O", "handbook_build.render.paged.chunk_cache", "ChunkCache.store", False, True),
    ("merge", "handbook_build.render.pdf_merge", "merge", False, True),
    ("font merge (widths, ToUnicode)", "handbook_build.render.pdf_merge.fonts", "merge_fonts",
     False, True),
    ("font subsetting", "handbook_build.render.pdf_merge.fonts", "subset_font", False, True),
    ("print image copies", "handbook_build.render.print_images", "print_images", False, True),
    ("preflight", "handbook_build.checks.preflight", "run_preflight", False, True),
    ("cover", "handbook_build.render.cover_pdf", "render_cover", False, True),
    ("proof", "handbook_build.render.proof", "render_proof", False, True),
    ("proof (pages shown)", "handbook_build.render.proof", "pages_shown", False, True),
    ("page labels", "handbook_build.render.page_labels", "add_page_labels", False, True),
    ("typesetting check", "handbook_build.checks.typeset_check", "check_pdf_bytes", True, True),
    ("EPUB", "handbook_build.render.epub", "render_epub", False, True),
    ("EPUB page list (print PDF's text)", "handbook_build.render.epub_pages", "pdf_page_lines",
     False, True),
    ("warm start (before the fork)", "handbook_build.render.warm", "warm_renderer", False, False),
    ("EPUBCheck", "handbook_build.checks.epubcheck", "run_epubcheck", True, True),
    ("HTML edition", "handbook_build.render.html", "render_html_files", False, True),
    ("write outputs", "handbook_build.pipeline", "write_all", False, False),
)


# --- the child: a build with stage clocks -------------------------------------------------------

class _Clock:
    """This process's stage stack; what it measured is appended to ``<folder>/<pid>.jsonl``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.edition = ""
        self.stack: list[list[float]] = []  # per open stage: nested stages' own, children CPU
        self.records: list[dict[str, Any]] = []
        self.pid = os.getpid()

    def flush(self) -> None:
        if os.getpid() != self.pid:  # a forked child: what the parent measured is not ours
            self.pid, self.records = os.getpid(), []
            return
        if self.records:
            with (self.folder / f"{self.pid}.jsonl").open("a", encoding="utf-8") as file:
                for record in self.records:
                    file.write(json.dumps(record) + "\n")
            self.records = []


def _cpu() -> tuple[float, float]:
    """This process's CPU, and that of the children it waited for (pandoc, pdftotext, Java)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time(), usage.ru_utime + usage.ru_stime


def _wrap(clock: _Clock, stage: str, function: Callable[..., Any], children: bool,
          per_edition: bool) -> Callable[..., Any]:
    def timed(*args: Any, **kwargs: Any) -> Any:
        if os.getpid() != clock.pid:  # first call in a forked child: start clean
            clock.pid, clock.records, clock.stack = os.getpid(), [], []
        clock.stack.append([0.0, 0.0])
        own_before, children_before = _cpu()
        try:
            result = function(*args, **kwargs)
        finally:
            own_after, children_after = _cpu()
            own = own_after - own_before
            # Children's CPU counts only for stages that run programs: the chunk layouts are
            # forked children too, and they report their own time.
            child = children_after - children_before if children else 0.0
            nested_own, nested_child = clock.stack.pop()
            if clock.stack:
                clock.stack[-1][0] += own
                clock.stack[-1][1] += child + nested_child
            spent = own - nested_own + child - (nested_child if children else 0.0)
            label = f"{clock.edition or 'book'}: {stage}" if per_edition else stage
            record: dict[str, Any] = {"stage": label, "cpu": spent}
            if stage == "layout" and isinstance(result, tuple):
                record["pages"] = len(result[0].pages)
                record["edition"] = clock.edition
            clock.records.append(record)
            if not clock.stack:
                clock.flush()
        return result
    return timed


def install_clocks(folder: Path) -> None:
    import importlib

    from handbook_build import editions

    clock = _Clock(folder)
    for stage, module_name, attribute, children, per_edition in STAGES:
        module = importlib.import_module(module_name)
        owner: Any = module
        name = attribute
        if "." in attribute:
            class_name, name = attribute.split(".")
            owner = getattr(module, class_name)
        original = getattr(owner, name)
        wrapped = _wrap(clock, stage, original, children, per_edition)
        setattr(owner, name, wrapped)
        # ``from x import f`` elsewhere bound the original: rebind those names too.
        for other in list(sys.modules.values()):
            if (owner is module and getattr(other, "__name__", "").startswith("handbook_build")
                    and getattr(other, name, None) is original):
                setattr(other, name, wrapped)

    render_edition = editions.render_edition

    def in_edition(name: str, *args: Any, **kwargs: Any) -> Any:
        clock.edition = name
        return render_edition(name, *args, **kwargs)

    editions.render_edition = in_edition  # type: ignore[assignment]


def child_main(folder: Path, arguments: list[str]) -> None:
    # Import what the clocks wrap before wrapping (the build imports them lazily).
    for _, module_name, _, _, _ in STAGES:
        __import__(module_name)
    install_clocks(folder)
    from handbook_build.cli import main

    main(arguments, standalone_mode=True)


# --- the parent: run, add up, print ---------------------------------------------------------------

def profiled_build(label: str, corpus: Path, out: Path, jobs: int | None) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix="handbook-profile-"))
    arguments = ["build", str(MANIFEST), "-o", str(out), "-q"]
    if jobs is not None:
        arguments += ["-j", str(jobs)]
    run = measure(label, [sys.executable, __file__, "--child", str(folder), *arguments],
                  {"HANDBOOK_SOURCE": str(corpus)})
    stages: dict[str, float] = defaultdict(float)
    laid_out: dict[str, int] = defaultdict(int)
    layout_cpu: dict[str, float] = defaultdict(float)
    for path in folder.glob("*.jsonl"):
        for line in path.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            stages[record["stage"]] += record["cpu"]
            if "pages" in record:
                laid_out[record["edition"]] += record["pages"]
                layout_cpu[record["edition"]] += record["cpu"]
    shutil.rmtree(folder, ignore_errors=True)
    return {"run": run, "stages": dict(stages), "laid_out": dict(laid_out),
            "layout_cpu": dict(layout_cpu)}


def edition_pages(out: Path) -> dict[str, int]:
    stem = next(out.glob("*.md")).stem
    pages = {}
    for edition, name in (("pdf", f"{stem}.pdf"), ("print", f"{stem}-print.pdf")):
        if (out / name).is_file():
            pages[edition] = pdf_pages(out / name)
    return pages


def print_table(title: str, profile: dict[str, Any], pages: dict[str, int]) -> None:
    run = profile["run"]
    stages: dict[str, float] = profile["stages"]
    accounted = sum(stages.values())
    rows = sorted(stages.items(), key=lambda item: -item[1])
    rows.append(("unaccounted (imports, process start, glue)", run.cpu - accounted))
    print(f"\n{title}: {run.cpu:.2f} CPU-s in all ({run.seconds:.2f} s wall, under load), "
          f"peak {run.peak_mib:.0f} MiB; pages: "
          + ", ".join(f"{k} {v}" for k, v in pages.items()))
    print(f"| {'stage':<48} | {'CPU s':>7} | {'share':>6} |")
    print(f"|{'-' * 50}|{'-' * 9}:|{'-' * 8}:|")
    for stage, cpu in rows:
        if cpu >= 0.005 or stage.startswith("unaccounted"):
            print(f"| {stage:<48} | {cpu:>7.2f} | {100 * cpu / run.cpu:>5.1f}% |")
    floor = 0.0
    for edition, cpu in profile["layout_cpu"].items():
        laid = profile["laid_out"].get(edition, 0)
        needed = pages.get(edition, laid)
        share = min(1.0, needed / laid) if laid else 1.0
        floor += cpu * share
        print(f"{edition}: {laid} pages laid out for {needed} in the edition "
              f"({cpu:.2f} CPU-s of layout; {cpu * share:.2f} for the pages needed)")
    print(f"floor (layout of the pages the editions need): {floor:.2f} CPU-s, "
          f"{100 * floor / run.cpu:.0f}% of the build")
    total_pages = sum(pages.values())
    if total_pages:
        print(f"CPU-s per 100 pages (reading + print): {100 * run.cpu / total_pages:.2f}")


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        child_main(Path(sys.argv[2]), sys.argv[3:])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--source", type=Path, default=Path(os.environ.get(
        "HANDBOOK_SOURCE", DEFAULT_SOURCE)))
    parser.add_argument("--4x", dest="four", action="store_true", help="also the 4x book")
    parser.add_argument("--only-4x", action="store_true", help="only the 4x book")
    parser.add_argument("--plain", action="store_true",
                        help="also a plain pandoc + WeasyPrint reading PDF (bench.py's baseline)")
    parser.add_argument("--rebuild", action="store_true",
                        help="also profile a rebuild with nothing changed")
    parser.add_argument("--edits", action="store_true",
                        help="also profile a rebuild after editing one chapter (a sentence) and "
                        "after an edit adding a page to an early chapter")
    parser.add_argument("--jobs", type=int, default=None, help="handbook-build -j")
    args = parser.parse_args()
    if not (args.source / "en-md" / "README.md").is_file():
        sys.exit(f"the real handbook is not at {args.source}; pass --source")
    work = Path(tempfile.mkdtemp(prefix="handbook-profile-work-"))
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}, {platform.platform()}; load average "
          + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    print("CPU seconds (user + system) per stage; wall seconds are under the machine's load.")
    try:
        books = [] if args.only_4x else [("1x book", 1)]
        if args.four or args.only_4x:
            books.append(("4x book", 4))
        for title, repeat in books:
            corpus = work / f"corpus-{repeat}"
            copy_corpus(args.source.resolve(), corpus, repeat)
            out = work / f"out-{repeat}"
            profile = profiled_build(title, corpus, out, args.jobs)
            print_table(f"{title}, clean build of every edition", profile, edition_pages(out))
            if args.rebuild and repeat == 1:
                again = profiled_build(title, corpus, out, args.jobs)
                print_table(f"{title}, rebuild with nothing changed", again, {})
            if args.edits and repeat == 1:
                clean_cpu = profile["run"].cpu
                chapter = corpus / "en-md" / EDITED_CHAPTER
                chapter.write_text(chapter.read_text(encoding="utf-8")
                                   + "\nOne more sentence.\n", encoding="utf-8")
                edited = profiled_build(title, corpus, out, args.jobs)
                print_table(f"{title}, rebuild after a one-sentence edit of {EDITED_CHAPTER}",
                            edited, {})
                early = corpus / "en-md" / EARLY_CHAPTER
                early.write_text(early.read_text(encoding="utf-8") + "\n" + PAGE_OF_TEXT,
                                 encoding="utf-8")
                paged = profiled_build(title, corpus, out, args.jobs)
                print_table(f"{title}, rebuild after adding about a page to {EARLY_CHAPTER}",
                            paged, edition_pages(out))
                print(f"\none-chapter edit / clean build: {edited['run'].cpu / clean_cpu:.2f}x CPU"
                      f"; page-adding edit / clean build: {paged['run'].cpu / clean_cpu:.2f}x CPU")
            if args.plain and repeat == 1:
                stem = next(out.glob("*.md")).stem
                plain = measure("plain", [sys.executable, "-c", PLAIN_PIPELINE,
                                          str(out / f"{stem}.md"), str(work / "plain.pdf"),
                                          str(out) + "/"])
                print(f"\nplain pandoc + WeasyPrint reading PDF: {plain.cpu:.2f} CPU-s "
                      f"({plain.seconds:.2f} s wall), peak {plain.peak_mib:.0f} MiB; "
                      f"{plain.output.strip()}")
                print(f"ours / plain: {profile['run'].cpu / plain.cpu:.2f}x CPU")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    _ = PROJECT_DIR  # the child runs from the project (bench.measure's cwd)
    main()
