"""Which notes pages the annotatable print edition gets, and the prompts heading each one.

Every part and chapter opens on a right-hand page, so a section whose pages (its notes pages
included) end on a right-hand page is followed by a blank verso. In an edition sold for writing
in, that page is a notes page instead (``[print] blank_versos = "notes"``, the default): the
first layout says where the blanks fell (``blank_owners``: a gap between one section's last page
and the next one's first), and the next layout gives those sections one notes page more. The
page count does not change (a notes page takes the blank's place), so the layout converges.

Prompts: a chapter's front matter ``prompts:`` list, else the manifest's ``[print] prompts``,
else ``DEFAULT_PROMPTS``; each notes page shows ``PROMPTS_PER_PAGE`` of them, the next ones in
turn over the book's notes pages, so neighbouring notes pages differ.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from handbook_build.model import HtmlSection, PrintSettings
from handbook_build.sources.front_matter import front_matter_list

PROMPTS_PER_PAGE = 2
# General enough for any non-fiction book; a book sets its own with [print] prompts.
DEFAULT_PROMPTS: tuple[str, ...] = (
    "What is the one idea here you want to remember?",
    "Where have you seen this happen?",
    "What would you try with your own group?",
    "What questions does this leave you with?",
    "Where do you disagree, and why?",
    "Who would you share this with?",
    "How does this connect with something you already know?",
    "What example from your own experience fits here?",
    "What would you change in how you work?",
    "What will you do next, and when?",
)
END_PREFIX = "hb-end-"  # the id marking a section's last page (its last notes page, or a marker)

PagePrompts = tuple[str, ...]


def end_anchor(slug: str) -> str:
    return END_PREFIX + slug


@dataclass(frozen=True, slots=True)
class NotesPlan:
    """Per section (by slug): the prompts of each of its notes pages, in order."""

    pages: tuple[tuple[str, tuple[PagePrompts, ...]], ...] = ()

    def pages_for(self, slug: str) -> tuple[PagePrompts, ...]:
        return next((pages for owner, pages in self.pages if owner == slug), ())


def plan_notes(sections: Sequence[HtmlSection], settings: PrintSettings,
               extra: frozenset[str] = frozenset()) -> NotesPlan:
    """``settings.notes_pages`` pages after each chapter, one more for each slug in ``extra``
    (part or chapter), with their prompts."""
    pool = settings.prompts or DEFAULT_PROMPTS
    plan = []
    shown = 0  # notes pages so far that took their prompts from the pool: the next one's turn
    for section in sections:
        node = section.node
        count = (settings.notes_pages if node.kind == "chapter" else 0) + (node.slug in extra)
        if count <= 0:
            continue
        own = chapter_prompts(section) if node.kind == "chapter" else ()
        if own:
            pages = tuple(_pick(own, page) for page in range(count))
        else:
            pages = tuple(_pick(pool, shown + page) for page in range(count))
            shown += count
        plan.append((node.slug, pages))
    return NotesPlan(tuple(plan))


def chapter_prompts(section: HtmlSection) -> tuple[str, ...]:
    """The chapter file's front matter ``prompts:`` (a list or one line), or ()."""
    path = section.node.source_path
    if path is None:
        return ()
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):  # the sources stage has read it and said why
        return ()
    return front_matter_list(text, "prompts")


def _pick(pool: Sequence[str], turn: int) -> PagePrompts:
    """The prompts of the ``turn``-th notes page: ``PROMPTS_PER_PAGE`` of them in turn, or one
    a page from a pool too small to give neighbouring pages different pairs."""
    count = PROMPTS_PER_PAGE if len(pool) >= 2 * PROMPTS_PER_PAGE else 1
    start = turn * count
    if count > 1 and len(pool) % count == 0:
        # One step further after each round of the pool, so that the pairs change too (a pool
        # of an odd size shifts by itself).
        start += turn // (len(pool) // count)
    return tuple(pool[(start + index) % len(pool)] for index in range(count))


def blank_owners(sections: Sequence[HtmlSection], page_of: Mapping[str, int]) -> frozenset[str]:
    """Slugs of the sections followed by a blank page: between a section's last page (its end
    anchor) and the next section's first (its slug) lies at least one page; and the last
    section when it ends on a right-hand page. ``page_of`` maps an anchor to its page number:
    physical, or the body's folio (folio 1 is a recto, so the parity is the same)."""
    owners = set()
    for section, following in itertools.pairwise(sections):
        end = page_of.get(end_anchor(section.node.slug))
        start = page_of.get(following.node.slug)
        if end is not None and start is not None and start - end >= 2:
            owners.add(section.node.slug)
    if sections:
        # The book's last page on a right-hand page: its back is a blank page (or the
        # printer's padding); the body opens on a recto, so an odd number is a recto in either
        # numbering.
        last = page_of.get(end_anchor(sections[-1].node.slug))
        if last is not None and last % 2 == 1:
            owners.add(sections[-1].node.slug)
    return frozenset(owners)


def first_pages(pages: Sequence[object]) -> dict[str, int]:
    """Anchor -> the physical page (1-based) it first appears on, from WeasyPrint pages."""
    found: dict[str, int] = {}
    for number, page in enumerate(pages, start=1):
        for name in getattr(page, "anchors", {}):
            found.setdefault(str(name), number)
    return found
