"""Every footnote on its call's page: two narrow corrections to WeasyPrint 70's note placement.

1. **No note moved to make room for a line.** When a line overflows the page and the
   paragraph could not be broken before it (fewer lines on the page than ``orphans``),
   WeasyPrint's ``_linebox_layout`` "reports" the page's footnotes, last first, to the next page
   until the line fits. Every footnote of the current page has its call on this page, so each one
   reported there is a note astray (the handbook's Foreword: call "a" on page 1, its note on
   page 2). With the change the paragraph is broken as when there are no notes: the line (and
   the orphans rule) goes to the next page, and the notes stay with their calls. The correction
   replaces the one assignment that decides it (``report = ... not could_break_before``) with
   ``report = False`` in a copy of the function compiled from WeasyPrint's own source; when the
   source does not hold that line (another WeasyPrint), nothing is changed.
2. **Reported notes belong to the page they were reported from.** A note that does not fit is
   put in ``context.reported_footnotes`` and laid out at the top of the next page made. When
   WeasyPrint lays out the document again (counters, ``target-counter``) it remakes only the
   pages that changed, but the list is not part of the saved page state: a remade page takes
   whatever the last *remade* page left there, so a note reported from page 40 in an earlier pass
   is printed again on page 57 (the next chapter's opening), and a page after an up-to-date one
   loses the notes reported to it. ``remake_page`` is wrapped so each page starts from the notes
   its predecessor reported when that page was last made. In the first pass, where every page is
   made in order, this is what WeasyPrint does already.

``install`` applies both once per process; it returns which were applied.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from typing import Any

from handbook_build.render.weasy_patch import find_target

__all__ = ["install"]

_REPORT_LINE = "report = not context.in_column and can_break_now and not could_break_before"
_PATCHED = "_handbook_note_pages"


def install(weasyprint: Any) -> tuple[bool, bool]:
    """(lines no longer push notes away, reported notes kept per page): True where applied."""
    del weasyprint  # imported by the caller; the layout modules are what is patched
    return _keep_notes_on_call_page(), _reported_notes_per_page()


def _keep_notes_on_call_page() -> bool:
    target = find_target("weasyprint.layout.block", "_linebox_layout", _PATCHED)
    if isinstance(target, bool):
        return target
    block, function = target
    try:
        source = textwrap.dedent(inspect.getsource(function))
        first_line = inspect.getsourcelines(function)[1]
    except (OSError, TypeError):
        return False
    if source.count(_REPORT_LINE) != 1:
        return False
    tree = ast.parse(source.replace(_REPORT_LINE, "report = False"))
    ast.increment_lineno(tree, first_line - 1)  # tracebacks point at WeasyPrint's own lines
    namespace: dict[str, Any] = {}
    # The copy runs in block.py's globals, so it calls the same helpers as the original.
    exec(compile(tree, block.__file__ or "block.py", "exec"), block.__dict__, namespace)
    patched = namespace["_linebox_layout"]
    setattr(patched, _PATCHED, True)
    block._linebox_layout = patched
    return True


def _reported_notes_per_page() -> bool:
    target = find_target("weasyprint.layout.page", "remake_page", _PATCHED)
    if isinstance(target, bool):
        return target
    page, original = target

    def remake_page(index: int, context: Any, *args: Any, **kwargs: Any) -> Any:
        saved: dict[int, list[Any]] | None = getattr(context, "handbook_reported_after", None)
        if saved is None:
            saved = {}
            context.handbook_reported_after = saved
        if index in saved:
            context.reported_footnotes = list(saved[index])
        result = original(index, context, *args, **kwargs)
        saved[index + 1] = list(context.reported_footnotes)
        return result

    setattr(remake_page, _PATCHED, True)
    page.remake_page = remake_page
    return True
