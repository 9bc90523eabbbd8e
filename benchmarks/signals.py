"""Stop a real-handbook build with signals at ten moments and measure how it stops.

    python benchmarks/signals.py [--manifest editions/peeragogy-v3/book.toml] [--work DIR]
                                 [--delays 1,3,...] [--kill9 5,20,40]

1. A clean build (the previous editions, and the reference every rebuild must equal).
2. For each delay: the cache is removed (so the build is a clean one, with every worker at
   work), the build started in a session of its own, and after the delay SIGINT (to the whole
   group, as Ctrl-C does), SIGTERM or SIGHUP (to the main process) in turn. Measured: the exit
   code, the seconds from the signal to the exit and until no process of the session is left,
   the processes there before the signal and after the exit, the lines about the interruption,
   tracebacks, whether the previous editions are byte-identical.
3. A rebuild in that folder (its cache as the stopped builds left it): byte-identical to the
   clean build?
4. ``kill -9`` of the main process at a few moments, one after the other into one folder (the
   cache accumulates what each killed build wrote), then a rebuild: byte-identical?

Reads the handbook through HANDBOOK_SOURCE (default ../shared/corpus/peeragogy-handbook-v3).
Prints a markdown table. Heavy: run it once, on a quiet machine, not in a loop.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
CLI = PROJECT / ".venv" / "bin" / "handbook-build"
SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def _session(sid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if int(fields[3]) == sid:
                found.append(int(entry.name))
    return found


def _editions(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())
            if p.is_file() and not p.name.endswith("-report.json")}


def _all_outputs(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())
            if p.is_file()}


def _args(manifest: Path, out: Path) -> list[str]:
    return [str(CLI), "build", str(manifest), "-o", str(out)]


def _build(manifest: Path, out: Path) -> float:
    started = time.monotonic()
    result = subprocess.run(_args(manifest, out), capture_output=True, check=False)
    if result.returncode != 0:
        sys.exit(f"build failed: {result.stderr.decode()[-2000:]}")
    return time.monotonic() - started


def _stop(manifest: Path, out: Path, delay: float, number: int) -> dict[str, object]:
    with tempfile.TemporaryFile() as err:
        process = subprocess.Popen(_args(manifest, out), stdout=subprocess.DEVNULL, stderr=err,
                                   start_new_session=True)
        time.sleep(delay)
        before = len(_session(process.pid)) - 1
        running = process.poll() is None
        sent = time.monotonic()
        if number == signal.SIGINT:
            os.killpg(process.pid, number)
        elif number != signal.SIGKILL or running:
            os.kill(process.pid, number)
        try:
            code = process.wait(60)
        except subprocess.TimeoutExpired:
            code = None  # a hang
        exited = time.monotonic() - sent
        while _session(process.pid) and time.monotonic() - sent < 30:
            time.sleep(0.02)
        empty = time.monotonic() - sent
        left = _session(process.pid)
        for pid in left:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        if code is None:
            process.kill()
            code = process.wait()
        err.seek(0)
        text = err.read().decode("utf-8", "replace")
    return {"signal": signal.Signals(number).name, "delay": delay, "running": running,
            "code": code, "exit_s": exited, "empty_s": empty, "before": before,
            "left": len(left), "lines": [t for t in text.splitlines() if "interrupted" in t],
            "tracebacks": text.count("Traceback")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--manifest", type=Path,
                        default=PROJECT / "editions" / "peeragogy-v3" / "book.toml")
    parser.add_argument("--work", type=Path, default=None)
    parser.add_argument("--delays", default="1,3,5,8,12,17,23,30,40,55")
    parser.add_argument("--kill9", default="6,20,45")
    options = parser.parse_args()
    os.environ.setdefault("HANDBOOK_SOURCE",
                          str(PROJECT.parent / "shared" / "corpus" / "peeragogy-handbook-v3"))
    work = options.work or Path(tempfile.mkdtemp(prefix="hb-signals-"))
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    clean = work / "clean"
    print(f"clean build: {_build(options.manifest, clean):.1f} s", flush=True)
    reference = _editions(clean)

    stopped = work / "stopped"
    shutil.copytree(clean, stopped, ignore=shutil.ignore_patterns(".cache"))
    previous = _all_outputs(stopped)
    print("\n| # | signal | after s | code | exit s | no process s | processes before | left "
          "| message | tracebacks | previous editions identical |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---|---:|---|")
    delays = [float(d) for d in options.delays.split(",")]
    for index, delay in enumerate(delays):
        shutil.rmtree(stopped / ".cache", ignore_errors=True)
        number = SIGNALS[index % len(SIGNALS)]
        row = _stop(options.manifest, stopped, delay, number)
        same = _all_outputs(stopped) == previous
        note = "" if row["running"] else " (build had ended)"
        print(f"| {index + 1} | {row['signal']} | {delay:g}{note} | {row['code']} | "
              f"{row['exit_s']:.2f} | {row['empty_s']:.2f} | {row['before']} | {row['left']} | "
              f"{' / '.join(map(str, row['lines'])) or '-'} | {row['tracebacks']} | "
              f"{'yes' if same else 'NO'} |", flush=True)
    seconds = _build(options.manifest, stopped)
    print(f"\nrebuild after the stops ({seconds:.1f} s): "
          f"{'byte-identical' if _editions(stopped) == reference else 'DIFFERENT'} "
          "to the clean build", flush=True)

    killed = work / "killed"
    shutil.copytree(clean, killed, ignore=shutil.ignore_patterns(".cache"))
    for delay in (float(d) for d in options.kill9.split(",")):
        row = _stop(options.manifest, killed, delay, signal.SIGKILL)
        print(f"kill -9 after {delay:g} s: exit {row['code']}, processes before "
              f"{row['before']}, none left after {row['empty_s']:.2f} s, left {row['left']}",
              flush=True)
    seconds = _build(options.manifest, killed)
    different = sorted(name for name, digest in reference.items()
                       if _editions(killed).get(name) != digest)
    print(f"rebuild after kill -9 ({seconds:.1f} s): "
          f"{'byte-identical' if not different else f'DIFFERENT: {different}'} "
          "to the clean build", flush=True)


if __name__ == "__main__":
    main()
