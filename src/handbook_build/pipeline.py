"""The one place that runs the stages in order: manifest -> book -> manuscript -> HTML -> editions.

Renderers return bytes; only this module hands them to ``output`` to be written, and only after
every requested edition rendered, so a failed build leaves the previous good build in place.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field, replace
from pathlib import Path

from handbook_build import cache, cache_entry, editions, output_guard, stopping
from handbook_build.editions import EditionOutput
from handbook_build.errors import HandbookError, fail_on_errors
from handbook_build.model import Diagnostic, HtmlBook, Manifest
from handbook_build.output import ensure_output_dir, remove_staged, write_all
from handbook_build.stat_digests import StatDigests

log = logging.getLogger(__name__)

ALL_FORMATS = ("md", "html", "pdf", "print", "epub")
OPTIONAL_FORMATS = ("print-fillable",)
Progress = Callable[[str], None]
Advance = Callable[[int, int], None]  # (editions rendered, editions in all): drives a progress bar


@dataclass(frozen=True, slots=True)
class BuildRequest:
    manifest: Manifest
    output_dir: Path
    formats: tuple[str, ...] = ALL_FORMATS
    strict: bool = False
    validate: bool = False  # run EPUBCheck on the EPUB after building it
    jobs: int = 2


@dataclass(frozen=True, slots=True)
class WrittenFile:
    path: Path
    size: int
    pages: int | None = None


@dataclass(frozen=True, slots=True)
class BuildReport:
    written: tuple[WrittenFile, ...]
    diagnostics: tuple[Diagnostic, ...]
    seconds: float
    edition_seconds: tuple[tuple[str, float], ...] = ()
    details: dict[str, object] = field(default_factory=dict)
    unchanged: bool = False  # nothing changed since the last build: nothing was written

    @property
    def warnings(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if d.severity == "warning")


def build(request: BuildRequest, progress: Progress = lambda _: None,
          advance: Advance = lambda done, total: None) -> BuildReport:
    output_dir = request.output_dir.resolve()
    ensure_output_dir(output_dir)
    # Temporary cache files of a build that was killed (kill -9, a crash) are of no use.
    cache_entry.sweep_temporaries(cache.cache_dir(output_dir))
    def remove_temporaries() -> None:
        remove_staged()
        cache_entry.sweep_temporaries(cache.cache_dir(output_dir),
                                      {*stopping.ended_processes(), os.getpid()})

    try:
        with stopping.cleanup_if_cut_short(remove_temporaries):
            return _build(request, output_dir, progress, advance)
    except KeyboardInterrupt:
        # Workers ended by the stop (stopping.py) may have left one half-written each.
        cache_entry.sweep_temporaries(cache.cache_dir(output_dir), stopping.ended_processes())
        raise


def _build(request: BuildRequest, output_dir: Path, progress: Progress,
           advance: Advance) -> BuildReport:
    started = time.perf_counter()
    manifest = request.manifest
    options = (*sorted(request.formats), f"strict={request.strict}",
                f"validate={request.validate}")
    # Files whose stat is unchanged since they were hashed are not read again (stat_digests.py).
    digests = StatDigests(cache.cache_dir(output_dir))
    fingerprint = cache.fingerprint_inputs(manifest, output_dir, options, digests)
    previous = cache.load_state(output_dir)
    unchanged = (previous is not None and previous.fingerprint == fingerprint
                 and cache.outputs_intact(output_dir, previous, digests))
    if unchanged:
        assert previous is not None
        digests.save()
        progress("nothing changed since the last build; nothing written")
        return _unchanged_report(output_dir, previous, started)

    # Imported only now: a rebuild with nothing changed stops above without them (lxml, the
    # transforms, their regular expressions: most of its CPU was these imports).
    from handbook_build.checks.lint_rules import book_link_diagnostics, without_duplicate_raw_html
    from handbook_build.html.assemble import assemble
    from handbook_build.html.htmlbook import to_html
    from handbook_build.render.paged_limits import check_paged_footnotes
    from handbook_build.sources.chapters import read_book
    from handbook_build.sources.guard import check_html_depth

    count = len(manifest.chapters)
    progress(f"reading {count} chapter{'' if count == 1 else 's'}")
    book = read_book(manifest, output_dir)
    # Before anything renders: no output may land on a source or on a file we did not write.
    output_guard.check_outputs(output_guard.planned_names(manifest.stem, request.formats),
                               output_dir, book)
    # What check reports, in its order.
    found = [*manifest.warnings, *book.diagnostics, *book_link_diagnostics(book)]
    diagnostics = _ordered(without_duplicate_raw_html(found), manifest)
    _enforce_strict(diagnostics, request.strict)
    manuscript = assemble(book)
    outputs: list[EditionOutput] = []
    if "md" in request.formats:
        outputs += [editions.manuscript_output(manuscript), *editions.manuscript_images(manuscript)]
    timings: list[tuple[str, float]] = []

    renderable = editions.render_jobs(request.formats)
    if "epub" in renderable:
        progress("the EPUB's page list follows the print edition: "
                 + ("after its layout" if "print" in renderable else
                    "its layout is taken from the cache, or laid out first"))
    if renderable:
        progress("converting the manuscript to HTML (pandoc)")
        html_book = to_html(manuscript, cache.ensure_cache_dir(output_dir), request.jobs)
        diagnostics.extend(html_book.diagnostics[len(book.diagnostics):])
        diagnostics.extend(check_html_depth(html_book.sections))  # WeasyPrint recurses per level
        diagnostics.extend(check_paged_footnotes(html_book.sections, request.formats))
        _enforce_strict(diagnostics, request.strict)
        for name, result, seconds in _render_editions(html_book, renderable, request, progress,
                                                         advance):
            outputs.extend(result.outputs)
            diagnostics.extend(result.diagnostics)
            timings.append((name, seconds))
        _enforce_strict(diagnostics, request.strict)

    files = {output_dir / output.name: output.data for output in outputs}
    report_path = output_dir / f"{manifest.stem}-report.json"
    report = BuildReport(
        written=_listed(output_dir, outputs, manifest.stem),
        diagnostics=tuple(diagnostics),
        seconds=time.perf_counter() - started,
        edition_seconds=tuple(timings),
        details=_merged_details(outputs),
    )
    files[report_path] = _report_json(report, manifest)
    report = replace(report, written=(*report.written,
                                      WrittenFile(report_path, len(files[report_path]))))
    output_guard.check_outputs([path.name for path in files], output_dir, book)
    output_guard.claim(output_dir, files)  # before the renames: no file of ours goes unclaimed
    changed = _changed_files(files, previous, output_dir)
    progress(f"writing {len(changed)} of {len(files)} files to {request.output_dir}")
    for folder in sorted({path.parent for path in changed} - {output_dir}):
        ensure_output_dir(folder)
    write_all(changed)
    state = cache.state_bytes(fingerprint, {_key(path, output_dir): data
                                            for path, data in files.items()})
    write_all({cache.ensure_cache_dir(output_dir) / cache.STATE_FILE: state})
    digests.save()  # only after a build that wrote its files: a refused one writes nothing
    return report


def _key(path: Path, output_dir: Path) -> str:
    """An output's name in the build state: relative to the output folder (POSIX slashes)."""
    return path.relative_to(output_dir).as_posix()


def _listed(output_dir: Path, outputs: Sequence[EditionOutput], stem: str
            ) -> tuple[WrittenFile, ...]:
    """The files the summary lists: ``<stem>-files/`` (stylesheet, image copies) as one entry."""
    from handbook_build.portable import files_folder

    folder = files_folder(stem)
    listed = [WrittenFile(output_dir / o.name, len(o.data), o.pages) for o in outputs
              if not o.name.startswith(f"{folder}/")]
    attached = [o for o in outputs if o.name.startswith(f"{folder}/")]
    if attached:
        listed.append(WrittenFile(output_dir / folder, sum(len(o.data) for o in attached)))
    return tuple(listed)


def _ordered(diagnostics: list[Diagnostic], manifest: Manifest) -> list[Diagnostic]:
    from handbook_build.checks.check import order_diagnostics

    return order_diagnostics(diagnostics, manifest)


def _changed_files(files: dict[Path, bytes], previous: cache.BuildState | None,
                   output_dir: Path) -> dict[Path, bytes]:
    """The outputs whose bytes differ from the file there (an edit rewrites only those)."""
    if previous is None:
        return files
    changed = {}
    for path, data in files.items():
        digest = previous.outputs.get(_key(path, output_dir))
        if digest is not None and digest == cache.file_digest(data):
            try:
                if cache.file_digest(path.read_bytes()) == digest:
                    continue
            except OSError:
                pass
        changed[path] = data
    return changed


def _unchanged_report(output_dir: Path, state: cache.BuildState, started: float) -> BuildReport:
    written = tuple(WrittenFile(output_dir / name, (output_dir / name).stat().st_size)
                    for name in sorted(state.outputs) if "/" not in name)
    return BuildReport(written, (), time.perf_counter() - started, unchanged=True)


def _render_editions(
    html_book: HtmlBook, formats: Sequence[str], request: BuildRequest, progress: Progress,
    advance: Advance,
) -> list[tuple[str, editions.EditionResult, float]]:
    """Render each edition in its own process (2 cores: the two PDFs run side by side).

    ``-j N`` is N processes in all: N editions side by side, each laying out its chunks in
    N // (editions at a time) processes."""
    ordered = sorted(formats, key=editions.expected_cost, reverse=True)
    if {"pdf", "print"} & set(ordered):
        from handbook_build.render.warm import warm_renderer

        warm_renderer()  # once here: every forked worker and chunk layout starts warm
    if request.jobs <= 1 or len(ordered) == 1:
        results: list[tuple[str, editions.EditionResult, float]] = []
        for name in ordered:
            progress(f"rendering {name}")
            started = time.perf_counter()
            result = editions.render_edition(name, html_book, request.validate,
                                             request.formats, _print_pdf(results, html_book),
                                             request.jobs)
            results.append((name, result, time.perf_counter() - started))
            advance(len(results), len(ordered))
        return _in_request_order(results, formats)
    # fork: the workers inherit the HtmlBook instead of unpickling it, and start instantly.
    context = multiprocessing.get_context("fork")
    workers = min(request.jobs, len(ordered))
    jobs = max(1, request.jobs // workers)
    # The EPUB's page list reads the print edition's layout from the chunk cache: it starts
    # once the print edition is done, instead of laying the same pages out a second time.
    waiting = ["epub"] if "epub" in ordered and "print" in ordered else []
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        names: dict[Future[tuple[editions.EditionResult, float]], str] = {
            pool.submit(_timed_render, name, html_book, request, None, jobs): name
            for name in ordered if name not in waiting
        }
        progress(f"rendering {', '.join(ordered)} in {workers} processes")
        advance(0, len(ordered))
        results = []
        pending = set(names)
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                result, seconds = future.result()
                results.append((names[future], result, seconds))
                advance(len(results), len(ordered))
                progress(f"rendered {names[future]} in {seconds:.1f} s")
                if names[future] == "print" and waiting:
                    follower = pool.submit(_timed_render, waiting.pop(), html_book, request,
                                           _print_pdf(results, html_book), jobs)
                    names[follower] = "epub"
                    pending.add(follower)
    return _in_request_order(results, formats)


def _timed_render(name: str, html_book: HtmlBook, request: BuildRequest,
                  print_pdf: bytes | None = None, jobs: int = 2) -> tuple[
    editions.EditionResult, float
]:
    started = time.perf_counter()
    result = editions.render_edition(name, html_book, request.validate, request.formats,
                                     print_pdf, jobs)
    return result, time.perf_counter() - started


def _print_pdf(results: Sequence[tuple[str, editions.EditionResult, float]],
               html_book: HtmlBook) -> bytes | None:
    """The print PDF this build made, if it did: the EPUB's page list reads it instead of
    assembling the print edition again from the chunk cache (merge, preflight, proof)."""
    wanted = f"{html_book.manifest.stem}-print.pdf"
    for name, result, _ in results:
        if name == "print":
            for output in result.outputs:
                if output.name == wanted:
                    return output.data
    return None


def _in_request_order(
    results: list[tuple[str, editions.EditionResult, float]], jobs: Sequence[str]
) -> list[tuple[str, editions.EditionResult, float]]:
    return sorted(results, key=lambda item: list(jobs).index(item[0]))


def _enforce_strict(diagnostics: Sequence[Diagnostic], strict: bool) -> None:
    fail_on_errors(diagnostics, HandbookError)
    if strict:
        warnings = [d for d in diagnostics if d.severity == "warning"]
        if warnings:
            noun = "warning" if len(warnings) == 1 else "warnings"
            raise HandbookError(f"{len(warnings)} {noun} and --strict is on: each counts as an "
                                "error; nothing was written.", warnings)


def _merged_details(outputs: Sequence[EditionOutput]) -> dict[str, object]:
    details: dict[str, object] = {}
    for output in outputs:
        if output.details:
            details[output.name] = output.details
    return details


def _report_json(report: BuildReport, manifest: Manifest) -> bytes:
    """The build report: per edition pages, size and render time, and the lists editors act on."""
    document = {
        "book": manifest.metadata.title,
        "stem": manifest.stem,
        "files": [
            {"name": f.path.name, "bytes": f.size, "pages": f.pages} for f in report.written
        ],
        "warnings": [d.compiler_style() for d in report.warnings],
        "unresolved_images": sorted(
            {f"{d.location()}: {d.message}" for d in report.diagnostics
             if d.code in ("unresolved-image", "missing-image")}
        ),
        "unmapped_site_links": sorted(
            {f"{d.location()}: {d.message}" for d in report.diagnostics
             if d.code == "site-unmapped"}
        ),
        "editions": report.details,
        # No render times: the report is an output like the others, byte-identical for the
        # same book wherever it is built (the CLI prints the times).
    }
    return (json.dumps(document, indent=2, sort_keys=True, default=str) + "\n").encode()
