"""The ``handbook-build`` command: stop signals handled from its first line, then the CLI.

Importing the CLI (click, the pipeline, lxml...) takes about a second, longer on a loaded
machine; a Ctrl-C or SIGTERM in that second would otherwise print a KeyboardInterrupt traceback
from inside an import or end the process without a word. So the first thing this module does,
with nothing imported but ``os`` and ``signal`` (loaded by the interpreter anyway), is take the
three stop signals: nothing has started and nothing is written yet, so the one line and the
exit code are all there is to do. ``stopping.stop_early`` then also ends any child, and a build
installs its full guard (``stopping.signals_stop_the_build``).
"""

from __future__ import annotations

import os
import signal
from types import FrameType


def _stopped_at_start(signum: int, frame: FrameType | None) -> None:
    name = signal.Signals(signum).name
    os.write(2, f"handbook-build: interrupted ({name}); previous editions kept\n".encode())
    os._exit(128 + signum)


for _number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
    signal.signal(_number, _stopped_at_start)


def main() -> None:
    from handbook_build import stopping

    stopping.stop_early()
    from handbook_build.cli import main as cli_main

    cli_main()
