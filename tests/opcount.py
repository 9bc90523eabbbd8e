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

__all__ = ["call_count", "growth"]


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
