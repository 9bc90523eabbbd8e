"""Real signals on a real build of a multi-chapter book (every edition, two processes).

SIGINT (to the whole process group, as Ctrl-C in a terminal sends it), SIGTERM and SIGHUP (to
the main process, as ``kill``, ``timeout`` and CI cancellation send them) at several moments of
a build: the exit code is 128 + the signal, one line is printed and no traceback, no process of
the build is left (every process of its session is gone, zombies included), the previous
editions are byte-identical, and a rebuild is byte-identical to a build never interrupted.
``kill -9`` of the main process at several moments: its workers go too, and the rebuild is
byte-identical as well (print PDF included). Timeouts make a hang fail the test; no test
asserts how fast the stop is (benchmarks/signals.py measures it on the real handbook).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bookmaker import CLI, cli_env, edition_hashes, make_book, temp_leftovers

pytestmark = pytest.mark.slow

FORMATS = ("md", "html", "pdf", "print", "epub")
CHAPTERS = 6
STOP_TIMEOUT = 60  # a build that has not exited this long after the signal hangs


def _paragraph(chapter: int, number: int, edit: str) -> str:
    words = " ".join(f"word{(chapter * 31 + number * 7 + k) % 97}" for k in range(70))
    return f"Paragraph {number} of chapter {chapter}{edit}: {words}."


def _chapter(chapter: int, edit: str) -> str:
    lines = [f"# Chapter {chapter}", ""]
    for section in range(3):
        lines += [f"## Section {chapter}.{section}", ""]
        for number in range(6):
            lines += [_paragraph(chapter, section * 6 + number, edit), ""]
        following = (chapter % CHAPTERS) + 1
        lines += [f"More in [chapter {following}](chapter-{following:02}.md)."
                  f"[^n{chapter}-{section}]", "",
                  f"[^n{chapter}-{section}]: A note of chapter {chapter}{edit}.", ""]
    return "\n".join(lines)


def _write_chapters(root: Path, edit: str) -> None:
    for number in range(1, CHAPTERS + 1):
        (root / "chapters" / f"chapter-{number:02}.md").write_text(_chapter(number, edit))


@dataclass(frozen=True)
class Books:
    """The book (in its edited state), a build of it before the edit (the previous editions)
    and a clean build of the edited book (what every rebuild must equal)."""

    manifest: Path
    previous: Path
    clean: Path


def _build(manifest: Path, out: Path) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(_args(manifest, out), capture_output=True, env=cli_env(),
                          timeout=600, check=False)


def _args(manifest: Path, out: Path) -> list[str]:
    args = [str(CLI), "build", str(manifest), "-o", str(out), "-j", "2"]
    for name in FORMATS:
        args += ["-f", name]
    return args


@pytest.fixture(scope="module")
def books(tmp_path_factory: pytest.TempPathFactory) -> Books:
    root = tmp_path_factory.mktemp("signals")
    names = [f"chapter-{number:02}.md" for number in range(1, CHAPTERS + 1)]
    book = make_book(root / "book", dict.fromkeys(names, ""))
    _write_chapters(book.root, "")
    previous = root / "previous"
    first = _build(book.manifest, previous)
    assert first.returncode == 0, first.stderr.decode()
    _write_chapters(book.root, " (edited)")  # every chunk changes: the build has work to do
    clean = root / "clean"
    second = _build(book.manifest, clean)
    assert second.returncode == 0, second.stderr.decode()
    return Books(book.manifest, previous, clean)


def _editions(folder: Path) -> dict[str, str]:
    """The editions, without the report (it holds render times)."""
    return {name: digest for name, digest in edition_hashes(folder).items()
            if not name.endswith("-report.json")}


# --- watching a build ---------------------------------------------------------------------------

@dataclass
class Watched:
    process: subprocess.Popen[bytes]
    lines: list[str] = field(default_factory=list)
    changed: threading.Condition = field(default_factory=threading.Condition)

    def wait_for(self, text: str, timeout: float = 300) -> None:
        deadline = time.monotonic() + timeout
        with self.changed:
            while not any(text in line for line in self.lines):
                if self.process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"no {text!r} on stderr: {''.join(self.lines)}")
                self.changed.wait(0.05)

    @property
    def stderr(self) -> str:
        with self.changed:
            return "".join(self.lines)


def _reader(watched: Watched) -> None:
    assert watched.process.stderr is not None
    for raw in iter(watched.process.stderr.readline, b""):
        with watched.changed:
            watched.lines.append(raw.decode("utf-8", "replace"))
            watched.changed.notify_all()


@contextlib.contextmanager
def _started(manifest: Path, out: Path) -> Iterator[Watched]:
    """The build in a session of its own (so that no process of it can hide), stderr read
    line by line; whatever happens, nothing of it survives the test."""
    process = subprocess.Popen(_args(manifest, out), stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, env=cli_env(), start_new_session=True)
    watched = Watched(process)
    reader = threading.Thread(target=_reader, args=(watched,), daemon=True)
    reader.start()
    try:
        yield watched
    finally:
        if process.poll() is None:
            with contextlib.suppress(OSError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        for pid in _session(process.pid):
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        reader.join(10)


def _stat(pid: str) -> list[str] | None:
    try:
        return (Path("/proc") / pid / "stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def _session(sid: int) -> list[int]:
    """Every process (zombies included) of the session ``sid``: the build's main process, its
    workers, their children and any orphan of them re-parented elsewhere."""
    found = []
    for entry in Path("/proc").iterdir():
        fields = _stat(entry.name) if entry.name.isdigit() else None
        if fields is not None and int(fields[3]) == sid:
            found.append(int(entry.name))
    return found


def _descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        fields = _stat(entry.name) if entry.name.isdigit() else None
        if fields is not None:
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, waiting = [], list(children.get(root, ()))
    while waiting:
        pid = waiting.pop()
        found.append(pid)
        waiting.extend(children.get(pid, ()))
    return found


def _left_behind(sid: int, watched: list[int]) -> list[int]:
    """The build's processes still there a moment after it exited (they may take a few
    milliseconds to go once killed)."""
    deadline = time.monotonic() + 5
    while True:
        left = sorted({*_session(sid), *(pid for pid in watched if _alive(pid))})
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.05)


def _alive(pid: int) -> bool:
    fields = _stat(str(pid))
    return fields is not None and fields[0] not in ("Z", "X")


def _wait(process: subprocess.Popen[bytes], what: str) -> int:
    try:
        return process.wait(STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        pytest.fail(f"the build hung: still running {STOP_TIMEOUT} s after {what}")


# --- the moments ------------------------------------------------------------------------------

# (progress line to wait for, seconds after it): the pandoc stage, the start of the editions'
# processes, well into the layout of the chunks, after the first edition is done.
MOMENTS = {
    "reading": ("reading", 0.0),
    "pandoc": ("converting the manuscript", 0.0),
    "workers": ("in 2 processes", 0.3),
    "layout": ("in 2 processes", 2.0),
    "one-done": ("rendered ", 0.0),
}
CASES = [
    ("SIGINT", "pandoc"), ("SIGINT", "workers"), ("SIGINT", "layout"),
    ("SIGTERM", "reading"), ("SIGTERM", "layout"), ("SIGTERM", "one-done"),
    ("SIGHUP", "workers"), ("SIGHUP", "layout"),
]
EXIT_CODES = {"SIGINT": 130, "SIGTERM": 143, "SIGHUP": 129}


def _fresh_copy(books: Books, out: Path) -> dict[str, str]:
    shutil.copytree(books.previous, out, symlinks=True)
    return edition_hashes(out)


@pytest.mark.parametrize(("name", "moment"), CASES, ids=[f"{n}-{m}" for n, m in CASES])
def test_a_signal_stops_the_build_cleanly(books: Books, tmp_path: Path, name: str,
                                          moment: str) -> None:
    out = tmp_path / "out"
    before = _fresh_copy(books, out)
    number = signal.Signals[name]
    line, delay = MOMENTS[moment]
    with _started(books.manifest, out) as build:
        build.wait_for(line)
        time.sleep(delay)
        assert build.process.poll() is None, f"finished before the signal: {build.stderr}"
        processes = _descendants(build.process.pid)
        if moment in ("workers", "layout"):
            assert processes, "no worker process to stop"
        if name == "SIGINT":  # Ctrl-C: the terminal signals the whole foreground group
            os.killpg(build.process.pid, number)
        else:
            os.kill(build.process.pid, number)
        code = _wait(build.process, name)
        left = _left_behind(build.process.pid, processes)
        stderr = build.stderr
    assert code == EXIT_CODES[name], stderr
    interrupted = [text for text in stderr.splitlines() if "interrupted" in text]
    assert interrupted == [f"handbook-build: interrupted ({name}); previous editions kept"], stderr
    assert "Traceback" not in stderr, stderr
    assert left == [], f"processes left behind: {left}"
    assert edition_hashes(out) == before
    assert temp_leftovers(out) == []
    rebuilt = _build(books.manifest, out)
    assert rebuilt.returncode == 0, rebuilt.stderr.decode()
    assert _editions(out) == _editions(books.clean)


def test_a_second_ctrl_c_prints_nothing_more(books: Books, tmp_path: Path) -> None:
    out = tmp_path / "out"
    before = _fresh_copy(books, out)
    with _started(books.manifest, out) as build:
        build.wait_for("in 2 processes")
        time.sleep(1.0)
        processes = _descendants(build.process.pid)
        os.killpg(build.process.pid, signal.SIGINT)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(build.process.pid, signal.SIGINT)
            time.sleep(0.05)
            os.killpg(build.process.pid, signal.SIGINT)
        code = _wait(build.process, "three Ctrl-C")
        left = _left_behind(build.process.pid, processes)
        stderr = build.stderr
    assert code == 130, stderr
    assert stderr.count("interrupted") == 1 and "Traceback" not in stderr, stderr
    assert left == []
    assert edition_hashes(out) == before


@pytest.mark.parametrize("moment", ["workers", "layout", "one-done"])
def test_kill_9_then_a_rebuild_equals_a_clean_build(books: Books, tmp_path: Path,
                                                     moment: str) -> None:
    out = tmp_path / "out"
    before = _fresh_copy(books, out)
    line, delay = MOMENTS[moment]
    with _started(books.manifest, out) as build:
        build.wait_for(line)
        time.sleep(delay)
        assert build.process.poll() is None, f"finished before the kill: {build.stderr}"
        processes = _descendants(build.process.pid)
        os.kill(build.process.pid, signal.SIGKILL)
        _wait(build.process, "kill -9")
        # Its workers notice their parent's death (PR_SET_PDEATHSIG) and go too.
        left = [pid for pid in _left_behind(build.process.pid, processes) if _alive(pid)]
    assert left == [], f"workers outlived a kill -9 of the build: {left}"
    assert edition_hashes(out) == before
    rebuilt = _build(books.manifest, out)
    assert rebuilt.returncode == 0, rebuilt.stderr.decode()
    assert _editions(out) == _editions(books.clean)
    assert temp_leftovers(out) == []


@pytest.mark.parametrize("name", ["SIGINT", "SIGTERM", "SIGHUP"])
@pytest.mark.parametrize("delay", [0.15, 0.5])
def test_a_signal_while_the_command_starts(tmp_path: Path, name: str, delay: float) -> None:
    """Before the build is under way (the interpreter importing the CLI): the same one line
    and exit code, never a KeyboardInterrupt traceback from inside an import."""
    book = make_book(tmp_path / "b")
    out = tmp_path / "out"
    process = subprocess.Popen([str(CLI), "build", str(book.manifest), "-o", str(out)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               env=cli_env(), start_new_session=True)
    time.sleep(delay)
    os.kill(process.pid, signal.Signals[name])
    try:
        _, stderr_bytes = process.communicate(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        pytest.fail(f"the command hung after {name}")
    stderr = stderr_bytes.decode()
    if process.returncode == 0:
        pytest.skip("the build finished before the signal")
    assert process.returncode == EXIT_CODES[name], stderr
    assert f"handbook-build: interrupted ({name}); previous editions kept" in stderr, stderr
    assert "Traceback" not in stderr, stderr
    assert _left_behind(process.pid, []) == []


def _run_python(script: str, *args: str) -> subprocess.CompletedProcess[str]:
    """A script in the project's interpreter, in a process of its own (its watchdog may exit)."""
    return subprocess.run([str(Path(CLI).parent / "python"), "-c", script, *args],
                          capture_output=True, text=True, timeout=20, env=cli_env())


_SLOW_UNWINDING = """
import sys, time
from pathlib import Path
from handbook_build import stopping
stopping.GRACE_SECONDS = 0.3
marker = Path(sys.argv[1])
with stopping.signals_stop_the_build():
    with stopping.cleanup_if_cut_short(lambda: marker.write_text("swept")):
        try:
            import os, signal
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(5)
        except stopping.BuildInterrupted:
            time.sleep(30)  # an unwinding slower than the grace period (a loaded machine)
"""


def test_the_watchdog_removes_the_temporaries_when_the_unwinding_is_too_slow(
        tmp_path: Path) -> None:
    """The watchdog ends a stop that unwinds too slowly; before it exits it runs what the
    unwinding would have done (pipeline.build registers the removal of its temporary files), so
    a loaded machine leaves nothing half-written behind."""
    marker = tmp_path / "marker"
    run = _run_python(_SLOW_UNWINDING, str(marker))
    assert run.returncode == 130, run.stderr
    assert marker.read_text() == "swept"
    assert "Traceback" not in run.stderr


_SIGNAL_IN_A_FINALIZER = """
import os, signal, time
from handbook_build import stopping

class Finalized:
    def __del__(self) -> None:  # the signal arrives while a finalizer runs (WeasyPrint's fonts)
        os.kill(os.getpid(), signal.SIGINT)
        for _ in range(1000):
            pass

with stopping.signals_stop_the_build():
    try:
        Finalized()  # freed at once: no reference is kept
        for _ in range(200):
            time.sleep(0.01)
        print("the build went on")
    except stopping.BuildInterrupted as stop:
        print("unwound", stop.exit_code)
"""


def test_a_signal_during_a_finalizer_still_unwinds_the_build_without_a_traceback() -> None:
    """Python cannot raise out of a ``__del__``: it prints "Exception ignored in" with a
    traceback and carries on (seen in CI: WeasyPrint's FontConfiguration.__del__ got the
    Ctrl-C). The stop must still unwind the build, quietly."""
    run = _run_python(_SIGNAL_IN_A_FINALIZER)
    assert run.stdout.strip() == "unwound 130", (run.stdout, run.stderr)
    assert "Traceback" not in run.stderr and "Exception ignored" not in run.stderr, run.stderr
