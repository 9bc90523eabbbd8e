"""Cost without a clock: count the function calls (Python and C) a piece of work makes.

A test of linear cost compares the counts for an input and for one several times larger: the
ratio is the same on an idle machine and under any load, so the test can only fail for a real
change in the code. A quadratic loop of Python calls (a scan per item, a list rebuilt per
item) shows as a ratio near the square of the size ratio. Work hidden inside one C call is not
seen here: ``benchmarks/`` measures time for that.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from types import FrameType
from typing import Any

__all__ = ["call_count", "growth", "line_count", "line_growth"]


def call_count(work: Callable[[], Any]) -> int:
    """How many functions ``work()`` calls, C functions included."""
    calls = 0

    def profiler(frame: FrameType, event: str, arg: Any) -> None:
        nonlocal calls
        if event in ("call", "c_call"):
            calls += 1

    previous = sys.getprofile()
    sys.setprofile(profiler)
    try:
        work()
    finally:
        sys.setprofile(previous)
    return calls


def growth(work: Callable[[int], Any], small: int, large: int) -> float:
    """calls(large) / calls(small), divided by large / small: about 1 when cost is linear."""
    return (call_count(lambda: work(large)) / call_count(lambda: work(small))) / (large / small)


def line_count(work: Callable[[], Any]) -> int:
    """How many lines of Python ``work()`` executes: sees a character loop in pure Python
    (indexing and comparing make no calls, so ``call_count`` misses a quadratic scan)."""
    lines = 0

    def tracer(frame: FrameType, event: str, arg: Any) -> Any:
        nonlocal lines
        if event == "line":
            lines += 1
        return tracer

    previous = sys.gettrace()
    sys.settrace(tracer)
    try:
        work()
    finally:
        sys.settrace(previous)
    return lines


def line_growth(work: Callable[[int], Any], small: int, large: int) -> float:
    """lines(large) / lines(small), divided by large / small: about 1 when cost is linear."""
    return (line_count(lambda: work(large)) / line_count(lambda: work(small))) / (large / small)
