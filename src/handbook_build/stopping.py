"""Stopping a build on SIGINT, SIGTERM or SIGHUP: every worker ended, one line, exit 128 + N.

A build runs in several processes: edition workers forked by pipeline.py, the layout children
each of them forks (render/paged/workers.py), pandoc and EPUBCheck's java started as subprocesses.
Left to the defaults, a signal stops them badly: SIGTERM or SIGHUP to the main process kills it
alone and the workers go on rendering (and writing the cache) for good; Ctrl-C raises
KeyboardInterrupt in every process of the terminal's group at once, so each worker prints its
own traceback and the main process waits in the pool's join (``shutdown(wait=True)``) for
workers that are still rendering or already stuck.

So while ``signals_stop_the_build`` is active, in the main process:

- the three signals run ``_on_signal``: it ends every descendant with SIGKILL (found through
  ``/proc``; the main process is a child subreaper, so a grandchild whose parent died first is
  re-parented to it and found on the next pass), then raises ``BuildInterrupted`` (a
  KeyboardInterrupt), which unwinds the build: nothing is written, so the previous editions
  stay; the pools' joins return at once, their workers being gone;
- a second signal only ends the descendants again: no second exception, no traceback;
- a ``BuildInterrupted`` raised where Python cannot propagate it (the signal arrived while a
  ``__del__`` or a weakref callback ran, as WeasyPrint's font objects have) would be printed as
  "Exception ignored in ..." with a traceback, and the build would go on: ``_on_unraisable``
  swallows it quietly and delivers the signal again, so that it is raised at the next point
  where it can unwind the build;
- a watchdog thread ends the process with the same exit code if the unwinding has not finished
  within ``GRACE_SECONDS``, so no stop ever hangs.

In every process forked from it (``os.register_at_fork``), SIGINT and SIGHUP are ignored and
SIGTERM is back to its default: a worker leaves the stopping to the main process and prints
nothing; and it asks the kernel for SIGKILL when its parent dies (``PR_SET_PDEATHSIG``), so
even a ``kill -9`` of the main process leaves no worker behind for long.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType

__all__ = ["GRACE_SECONDS", "STOP_SIGNALS", "BuildInterrupted", "cleanup_if_cut_short",
           "descendants", "end_descendants", "ended_processes", "ignore_until_exit", "message",
           "reap_ended", "received", "report_once", "signals_stop_the_build", "stop_early"]

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
GRACE_SECONDS = 3.0  # the unwinding after a signal; the watchdog exits after this
_PR_SET_PDEATHSIG = 1
_PR_SET_CHILD_SUBREAPER = 36

_owner: int | None = None  # the main process of the build being guarded
_guarded = False  # inherited by forked children: they reset their signals (_in_forked_child)
_received: int | None = None  # the first stop signal
_ended: set[int] = set()  # processes ended because of it
_reported = threading.Event()
_cleanups: list[Callable[[], None]] = []  # what the watchdog does before it exits
_redeliver = False  # the last BuildInterrupted was lost in a finalizer: raise it once more
_outer_unraisable_hook = sys.unraisablehook  # the one the guard replaced


class BuildInterrupted(KeyboardInterrupt):
    """A stop signal arrived: the build unwinds without writing anything."""

    def __init__(self, signum: int = signal.SIGINT) -> None:
        super().__init__(signum)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


def message(signum: int = signal.SIGINT) -> str:
    return (f"handbook-build: interrupted ({signal.Signals(signum).name}); "
            "previous editions kept")


def received() -> int | None:
    """The stop signal this process received, if any."""
    return _received


def ended_processes() -> frozenset[int]:
    """The processes ended because of it (their temporary files may be removed)."""
    return frozenset(_ended)


def report_once(signum: int) -> None:
    """Print the one line (from the CLI, or from the watchdog if the CLI never gets there)."""
    if not _reported.is_set():
        _reported.set()
        with contextlib.suppress(OSError, ValueError):
            sys.stderr.write(message(signum) + "\n")
            sys.stderr.flush()


@contextlib.contextmanager
def signals_stop_the_build() -> Iterator[None]:
    """Guard a build in this (main) process; see the module docstring. Elsewhere (a thread,
    a test runner's worker) there is nothing to guard: it does nothing."""
    global _owner, _received, _guarded, _outer_unraisable_hook
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {number: signal.getsignal(number) for number in STOP_SIGNALS}
    _owner, _received, _guarded = os.getpid(), None, True
    _ended.clear()
    _reported.clear()
    _prctl(_PR_SET_CHILD_SUBREAPER, 1)
    _outer_unraisable_hook = sys.unraisablehook
    sys.unraisablehook = _on_unraisable
    for number in STOP_SIGNALS:
        signal.signal(number, _on_signal)
    try:
        yield
    finally:
        if _received is None:  # after a stop, stay quiet until the exit: a second Ctrl-C too
            for number, handler in previous.items():
                signal.signal(number, handler)
            sys.unraisablehook = _outer_unraisable_hook
            _owner, _guarded = None, False
            _prctl(_PR_SET_CHILD_SUBREAPER, 0)


_early_owner: int | None = None


def stop_early() -> None:
    """From the command's first line (entry.py), before its imports (about a second): a stop
    signal that comes before a build is guarded ends any child and exits 128 + N with the one
    line; nothing has been written yet, and a KeyboardInterrupt traceback from inside an import
    is never printed."""
    global _early_owner
    if threading.current_thread() is threading.main_thread():
        _early_owner = os.getpid()
        for number in STOP_SIGNALS:
            signal.signal(number, _on_early_signal)


def ignore_until_exit() -> None:
    """After the stop is done (descendants ended and reaped, the line printed): the stop
    signals are ignored until the process is gone. Leaving ``_on_signal`` in place is not
    enough: Python's finalization puts ``SIG_DFL`` back wherever a Python handler was (it
    leaves ``SIG_IGN`` alone), so a second Ctrl-C arriving while the interpreter shuts down
    killed the process by SIGINT (status -2) instead of letting it exit 130. Only after a
    real signal (whose handlers stay anyway): a KeyboardInterrupt raised in-process, as tests
    do, leaves the caller's handlers as they were."""
    if _received is None or threading.current_thread() is not threading.main_thread():
        return
    for number in STOP_SIGNALS:
        with contextlib.suppress(OSError, ValueError):
            signal.signal(number, signal.SIG_IGN)


def _on_early_signal(signum: int, frame: FrameType | None) -> None:
    if os.getpid() != _early_owner:
        return  # a forked child: the main process stops it
    end_descendants()
    report_once(signum)
    reap_ended()
    with contextlib.suppress(OSError, ValueError):
        sys.stdout.flush()
    os._exit(128 + signum)


def _on_signal(signum: int, frame: FrameType | None) -> None:
    global _received, _redeliver
    if os.getpid() != _owner:
        return  # a child forked a moment ago, before its handlers were reset
    first = _received is None
    if first:
        _received = signum
    end_descendants()
    if first:
        _start_watchdog(signum)
    if first or _redeliver:
        _redeliver = False
        raise BuildInterrupted(signum)


def _on_unraisable(unraisable: sys.UnraisableHookArgs) -> None:
    """A finalizer swallowed the stop: no "Exception ignored" traceback, and the signal once
    more, from a thread a moment later: raised from here it would run its handler inside this
    hook, which swallows it too. Should it land in a finalizer again, this repeats; the watchdog
    ends the process if it never lands."""
    global _redeliver
    stop = unraisable.exc_value
    if isinstance(stop, BuildInterrupted) and os.getpid() == _owner:
        _redeliver = True
        again = threading.Timer(0.01, _deliver_again, args=(stop.signum,))
        again.daemon = True  # never holds up the exit
        again.start()
        return
    _outer_unraisable_hook(unraisable)


def _deliver_again(signum: int) -> None:
    if _redeliver:
        with contextlib.suppress(OSError):
            os.kill(os.getpid(), signum)


@contextlib.contextmanager
def cleanup_if_cut_short(work: Callable[[], None]) -> Iterator[None]:
    """Run ``work`` if the watchdog ends the process while this block is open: the unwinding
    that would have removed the build's temporary files never ran (a loaded machine can take
    longer than the grace period to unwind a pool)."""
    _cleanups.append(work)
    try:
        yield
    finally:
        _cleanups.remove(work)


def _run_cleanups() -> None:
    for work in list(_cleanups):
        with contextlib.suppress(Exception):
            work()


def _start_watchdog(signum: int) -> None:
    def expire() -> None:
        time.sleep(GRACE_SECONDS)
        end_descendants()
        _run_cleanups()
        report_once(signum)
        reap_ended()
        os._exit(128 + signum)

    threading.Thread(target=expire, name="handbook-build-stop", daemon=True).start()


def end_descendants(passes: int = 50) -> None:
    """SIGKILL every living descendant of this process, until none is left."""
    for _ in range(passes):
        found = descendants(os.getpid())
        if not found:
            return
        for pid in found:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
            _ended.add(pid)
        time.sleep(0.01)


def reap_ended(timeout: float = 1.0) -> None:
    """Collect the exit status of the ended processes that are (or became, as a subreaper)
    this process's children, so that none is left as a zombie for an init that may never
    reap it. Called just before exiting: statuses taken from the pools do not matter then."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return  # no child left at all
        if pid == 0:
            if not descendants(os.getpid(), zombies=True):
                return
            time.sleep(0.01)


def descendants(root: int, zombies: bool = False) -> list[int]:
    """Processes below ``root`` (the living ones, or zombies too), from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if fields[0] in ("Z", "X") and not zombies:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, waiting = [], list(children.get(root, ()))
    while waiting:
        pid = waiting.pop()
        found.append(pid)
        waiting.extend(children.get(pid, ()))
    return found


_libc: ctypes.CDLL | None = None


def _prctl(option: int, value: int) -> None:
    """Linux only; elsewhere the build still stops, through the /proc walk where it exists.
    libc is opened once, in the main process, so that forked children need not open it."""
    global _libc
    with contextlib.suppress(OSError, AttributeError):
        _libc = _libc or ctypes.CDLL(None, use_errno=True)
        _libc.prctl(option, value, 0, 0, 0)


def _in_forked_child() -> None:
    global _owner
    if not _guarded:
        return
    _owner = None
    with contextlib.suppress(ValueError):  # forked from a thread: signals stay as they were
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


os.register_at_fork(after_in_child=_in_forked_child)
