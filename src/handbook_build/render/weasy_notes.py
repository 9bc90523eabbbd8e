"""WeasyPrint's list of pending footnotes, with membership in constant time.

WeasyPrint 70 keeps every footnote of a document not yet placed in one list
(``LayoutContext.footnotes``), and for each line it lays out asks, for every box on the line,
``box.footnote in context.footnotes``: a scan of that list. With N notes in a chapter that is
N lines x N notes, the quadratic part of laying out a chapter with many notes (benchmarks/
footnotes.py: most of the time at 10,000 notes). ``NoteList`` is that list with a count of its
members by identity (boxes compare by identity), so ``in`` costs nothing; every other list
operation WeasyPrint uses keeps the count. ``install`` makes each new layout context use one;
if WeasyPrint's internals differ from what this expects, it changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, SupportsIndex

__all__ = ["NoteList", "install"]


class NoteList(list[Any]):
    """A list whose ``in`` is a dictionary lookup by identity."""

    def __init__(self, items: Iterable[Any] = ()) -> None:
        super().__init__(items)
        self._counts: dict[int, int] = {}
        self._recount()

    def _recount(self) -> None:
        self._counts.clear()
        for item in self:
            self._added(item)

    def __contains__(self, item: object) -> bool:
        return id(item) in self._counts

    def _added(self, item: Any) -> None:
        self._counts[id(item)] = self._counts.get(id(item), 0) + 1

    def _removed(self, item: Any) -> None:
        left = self._counts[id(item)] - 1
        if left:
            self._counts[id(item)] = left
        else:
            del self._counts[id(item)]

    def append(self, item: Any) -> None:
        super().append(item)
        self._added(item)

    def extend(self, items: Iterable[Any]) -> None:
        for item in items:
            self.append(item)

    def insert(self, index: SupportsIndex, item: Any) -> None:
        super().insert(index, item)
        self._added(item)

    def remove(self, item: Any) -> None:
        # The first element that *is* the item (list.remove would also take an equal one).
        for index, member in enumerate(self):
            if member is item:
                super().pop(index)
                self._removed(item)
                return
        raise ValueError("NoteList.remove(x): x not in list")

    def pop(self, index: SupportsIndex = -1) -> Any:
        item = super().pop(index)
        self._removed(item)
        return item

    def clear(self) -> None:
        super().clear()
        self._counts.clear()

    def copy(self) -> NoteList:
        return NoteList(self)

    def __setitem__(self, index: Any, value: Any) -> None:  # not used by WeasyPrint; kept true
        super().__setitem__(index, value)
        self._recount()

    def __delitem__(self, index: Any) -> None:
        super().__delitem__(index)
        self._recount()

    def __iadd__(self, items: Iterable[Any]) -> NoteList:  # type: ignore[misc]
        self.extend(items)
        return self


def install(weasyprint: Any) -> bool:
    """Give every LayoutContext made from now on a NoteList; True if done (or done before)."""
    try:
        from weasyprint.layout import LayoutContext
    except ImportError:
        return False
    original = LayoutContext.__init__
    if getattr(original, "_note_list", False):
        return True

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        if type(getattr(self, "footnotes", None)) is list and not self.footnotes:
            self.footnotes = NoteList()

    init._note_list = True  # type: ignore[attr-defined]
    LayoutContext.__init__ = init
    return True
