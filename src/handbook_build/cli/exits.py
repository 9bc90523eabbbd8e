"""A command's action run to an exit code: a book's error exits with its code after its message,
a stop signal with 128 + its number after one line (stopping.py)."""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable
from typing import NoReturn, TypeVar

from handbook_build import stopping
from handbook_build.errors import HandbookError

T = TypeVar("T")


def run_or_exit(action: Callable[[], T], before_message: Callable[[], None] = lambda: None) -> T:
    try:
        return action()
    except KeyboardInterrupt as error:
        exit_interrupted(getattr(error, "signum", signal.SIGINT), before_message)
    except HandbookError as error:
        if stopping.received() is not None:  # a worker ended by the stop: not the book's fault
            exit_interrupted(stopping.received() or signal.SIGINT, before_message)
        error.show()
        sys.exit(error.exit_code)
    except Exception:
        if stopping.received() is not None:
            exit_interrupted(stopping.received() or signal.SIGINT, before_message)
        raise


def exit_interrupted(signum: int, before_message: Callable[[], None]) -> NoReturn:
    """One line, then 128 + the signal's number (130 for Ctrl-C)."""
    before_message()
    stopping.report_once(signum)
    stopping.end_descendants()  # one started while the build unwound
    stopping.reap_ended()
    stopping.ignore_until_exit()  # a later Ctrl-C must not turn 130 into death by SIGINT
    sys.exit(128 + signum)
