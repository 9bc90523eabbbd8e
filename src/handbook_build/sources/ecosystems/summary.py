"""``SUMMARY.md`` as mdBook and GitBook/HonKit write it -> contents items, in book order.

Beyond the plain nested list that contents.py reads, a summary has:

- a first heading (``# Summary``) that only names the file;
- later headings (mdBook ``# Part``, GitBook ``## Part``): part titles, whose list items sit one
  level under them;
- unbulleted links before the first list (prefix chapters: title page, foreword) and after the
  last (suffix chapters: appendices, colophon), kept at the top level in their place;
- ``---`` separators (kept out: they only draw a line in mdBook's sidebar);
- draft chapters ``- [Title]()``, which have no file yet: a warning with the line, left out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from handbook_build.model import Diagnostic
from handbook_build.sources.contents import (
    BREAK_RE,
    ITEM_RE,
    ContentsItem,
    fence_after,
    item_depth,
    make_item,
    source_lines,
    unwrap_title,
)
from handbook_build.sources.ecosystems.chapter_files import item
from handbook_build.sources.manifest import Report

_HEADING_RE = re.compile(r"^(?P<marks>#{1,6})[ \t]+(?P<title>.+?)[ \t#]*$")
_BARE_LINK_RE = re.compile(r"^[ \t]*\[(?P<text>[^\]]+)\]\((?P<target>[^()]*)\)[ \t]*$")
# "[Title]()" (mdBook's draft chapter), also with a remark after it: "[FFI]() (?)".
_DRAFT_RE = re.compile(r"^\[(?P<text>(?:[^\[\]]|\[[^\[\]]*\])*)\]\([ \t]*\)")


@dataclass(frozen=True, slots=True)
class Summary:
    items: tuple[ContentsItem, ...]
    title: str  # the first heading, when it comes before any chapter ("Summary" is not one)


def read_summary(text: str, shown: str, report: Report) -> Summary:
    """The items of a summary; problems go to ``report`` at their lines."""
    items: list[ContentsItem] = []
    indents: list[int] = []
    title, fence, in_part, in_comment = "", "", False, False
    for number, line in enumerate(source_lines(text), start=1):
        if in_comment or (not fence and line.lstrip().startswith("<!--")):
            # A comment hides what it holds, commented-out chapters included, up to "-->".
            in_comment = "-->" not in line.split("<!--", 1)[-1]
            continue
        after = fence_after(line, fence)
        if after is not None:
            fence = after
            continue
        if fence or BREAK_RE.match(line):
            continue
        heading = _HEADING_RE.match(line)
        if heading:
            if not items and not title and not in_part:
                title = unwrap_title(heading.group("title"))  # "# Summary": the file's own name
            else:
                items.append(item(number, 1, unwrap_title(heading.group("title")), None, shown,
                                  report))
                in_part, indents = True, []
            continue
        bullet = ITEM_RE.match(line)
        if bullet:
            width = len(bullet.group("indent").expandtabs(4))
            depth = item_depth(indents, width) + (1 if in_part else 0)
            _add(items, number, depth, (bullet.group("text") or "").strip(), shown, report)
            continue
        bare = _BARE_LINK_RE.match(line)
        if bare:  # a prefix or suffix chapter: top level, outside any part
            in_part, indents = False, []
            _add(items, number, 1, line.strip(), shown, report)
    return Summary(tuple(items), title)


def _add(items: list[ContentsItem], number: int, depth: int, text: str, shown: str,
         report: Report) -> None:
    draft = _DRAFT_RE.match(text)
    if draft:
        report.add(shown, number, f"draft chapter {unwrap_title(draft.group('text'))!r} has no "
                   "file and is left out", "link it to its .md file once it is written",
                   code="draft-chapter", severity="warning")
        return
    diagnostics: list[Diagnostic] = []
    found = make_item(number, 1, text, shown, diagnostics)
    report.extend(diagnostics)
    if found is not None:
        items.append(item(number, depth, found.title, found.target, shown, report))


def summary_lists(target: str, path: Path) -> bool:
    """Whether the summary at ``path`` links ``target`` (GitBook's ``README.md`` intro)."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return re.search(rf"\]\(\s*(?:\./)?{re.escape(target)}\s*\)", text) is not None
