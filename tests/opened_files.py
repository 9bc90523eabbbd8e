"""Which files a piece of work opens, from an audit hook (installed once per process, on
import): ``with recording_opens() as opened: ...`` gives their real paths."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["recording_opens"]

_OPENED: list[str] = []
_RECORDING = [False]


def _hook(event: str, args: tuple[object, ...]) -> None:
    if _RECORDING[0] and event == "open" and isinstance(args[0], str | bytes | os.PathLike):
        _OPENED.append(os.path.realpath(os.fsdecode(args[0])))


sys.addaudithook(_hook)


@contextmanager
def recording_opens() -> Iterator[list[str]]:
    _OPENED.clear()
    _RECORDING[0] = True
    try:
        yield _OPENED
    finally:
        _RECORDING[0] = False
