"""The workers: runs laid out in forked processes, a pool of at most ``jobs``, each process
given its share of the runs in one task so it keeps its fonts and images warm. They start
warm too: WeasyPrint is imported here before the fork (and ``render/warm.py`` has laid out a
page in the process that forks them)."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor

from handbook_build.render.paged.edition import Paged
from handbook_build.render.paged.groups import RunJob
from handbook_build.render.paged.runs import RunResult, layout_run

__all__ = ["ISOLATE_RUNS", "RunFunction", "run_in_workers"]

# How runs are laid out: ``layout_book``'s default is ``run_in_workers``; tests pass their own.
RunFunction = Callable[[Paged, Sequence[RunJob]], list[RunResult]]


ISOLATE_RUNS = True  # False: single runs in this process (for profiling)


def run_in_workers(paged: Paged, batch: Sequence[RunJob], jobs: int) -> list[RunResult]:
    """Lay out runs in forked processes, side by side when there are several.

    Even a single run gets its own process: a laid-out document leaves this process's memory
    fragmented when freed, so laying out run after run here would grow it with the book; a
    child returns its memory when it exits."""
    if not ISOLATE_RUNS and (len(batch) == 1 or jobs <= 1):
        return [layout_run(paged, job) for job in batch]
    from handbook_build.render.pdf import load_weasyprint

    load_weasyprint()  # imported once, here, not in every child
    context = multiprocessing.get_context("fork")
    workers = max(1, min(jobs, len(batch)))
    # Consecutive jobs in one task each, so a process keeps its fonts and images warm.
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        futures = [pool.submit(_layout_runs, paged, list(batch[i::workers]))
                   for i in range(workers)]
        by_worker = [future.result() for future in futures]
    results: list[RunResult | None] = [None] * len(batch)
    for worker, worker_results in enumerate(by_worker):
        for offset, result in enumerate(worker_results):
            results[worker + offset * workers] = result
    return [result for result in results if result is not None]


def _layout_runs(paged: Paged, batch: Sequence[RunJob]) -> list[RunResult]:
    return [layout_run(paged, job) for job in batch]
