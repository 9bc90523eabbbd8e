"""Run a command under memory and CPU limits and report its true peak memory.

Why a launcher: Linux carries a process's peak RSS across ``fork`` and ``exec`` (``exec`` folds
the forking parent's high-water mark into the child's ``ru_maxrss``), so a CLI started directly
from a pytest worker that holds 800 MB reports at least 800 MB, however little it used itself.
This script is small when it forks, so its child's ``ru_maxrss`` is the child's own (and that of
the child's children, such as pandoc).

Usage: ``python peak_memory_launcher.py REPORT MEMORY_MB CPU_SECONDS -- COMMAND...``. The child's
peak RSS in KiB and its exit code (negative: killed by that signal, as ``subprocess`` reports it)
are written to REPORT, one line.
"""

from __future__ import annotations

import os
import resource
import signal
import sys


def _limit_resources(memory_mb: int, cpu_seconds: int) -> None:
    # Data segment (heap) rather than address space: pandoc's runtime reserves a terabyte of
    # address space up front, which RLIMIT_AS would refuse.
    limit = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds))


def main(argv: list[str]) -> int:
    report, memory_mb, cpu_seconds, separator, *command = argv
    if separator != "--" or not command:
        sys.stderr.write("usage: peak_memory_launcher.py REPORT MEMORY_MB CPU_SECONDS -- CMD...\n")
        return 2
    child = os.fork()
    if child == 0:
        try:
            _limit_resources(int(memory_mb), int(cpu_seconds))
            os.execv(command[0], command)
        finally:
            os._exit(127)
    # A kill of this launcher (the caller's timeout) goes on to the child.
    signal.signal(signal.SIGTERM, lambda _signum, _frame: os.kill(child, signal.SIGKILL))
    _pid, status, usage = os.wait4(child, 0)
    code = os.waitstatus_to_exitcode(status)
    with open(report, "w", encoding="ascii") as out:
        out.write(f"{usage.ru_maxrss} {code}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
