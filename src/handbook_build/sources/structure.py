"""The book's structure as a reader sees it: parts, part and chapter numbers, shown titles.

One place decides, for every edition (contents, part pages, chapter openings, running heads,
EPUB nav), what a contents entry is:

- a *part*: a contents entry without a link (a real part), or a top-level entry that holds
  chapters (the next entry is deeper), whose own chapter file follows its part page as the
  part's introduction (deeper, a chapter with sub-chapters stays a chapter). Parts at depth 1
  are numbered ("Part II"; ``[book] part_label`` and ``part_numbers``); deeper (real) parts get
  the same page without a number.
- a *chapter*: every other entry. With ``[book] number_chapters = true`` chapters are numbered
  1, 2, 3 in book order across parts, except those before the first part of a book that has
  parts (a foreword, a preface: prefatory matter is not numbered).

Titles typed in capitals in the contents file (``PEER LEARNING``) are shown in title case
(``Peer Learning``; ``[book] title_case``), with a warning at the contents line; see
``title_case`` for the rule.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from handbook_build.model import Diagnostic, StructureSettings, TocNode

__all__ = ["SEPARATOR", "NodeRole", "book_roles", "is_shouting", "shown_title", "title_case",
           "titled_nodes", "to_roman"]

# Lower-case inside a title (Chicago's short conjunctions, articles and prepositions).
SMALL_WORDS = frozenset({
    "a", "an", "and", "as", "at", "but", "by", "en", "for", "from", "if", "in", "into", "nor",
    "of", "on", "onto", "or", "over", "per", "the", "to", "v", "vs", "via", "with",
})
# Roman numerals a title may carry ("PART II"): kept in capitals. "I" is the pronoun as well.
_ROMAN = frozenset({
    "II", "III", "IV", "VI", "VII", "VIII", "IX", "XI", "XII", "XIII", "XIV", "XV", "XVI",
    "XVII", "XVIII", "XIX", "XX",
})
_WORD = re.compile(r"\S+")
_PUNCTUATION = "\"'()[]{},.;:!?\u201c\u201d\u2018\u2019\u00ab\u00bb"
_CLAUSE_ENDS = (":", "\u2014", "\u2013")  # a word after a colon or a dash starts a clause
_LETTERS = re.compile(r"[^\W\d_]")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(?P<title>.+?)\s*#*\s*$")
SEPARATOR = "\u00a0\u00b7 "  # "Part II · Peer Learning": no line break before the dot


def is_shouting(title: str) -> bool:
    """True when every letter of ``title`` is a capital and it has at least four letters."""
    letters = _LETTERS.findall(title)
    return len(letters) >= 4 and all(letter == letter.upper() for letter in letters) and any(
        letter != letter.lower() for letter in letters)


def title_case(title: str, keep: Iterable[str] = ()) -> str:
    """``TECHNOLOGIES, SERVICES, AND PLATFORMS`` -> ``Technologies, Services, and Platforms``.

    Each word gets a capital first letter and lower-case others (each part of a hyphenated
    word too: ``Co-Facilitation``); small words (``and``, ``of``, ``the``...) are lower-case
    except first, last and after a colon. Kept as typed: words with a digit (``5PH1NX``, ``P2P``,
    ``K12``), roman numerals II to XX, and the words of ``keep`` (the capitals of the chapter's
    own heading, e.g. ``MOOC``). No guessing of acronyms by length: ``WIKI`` and ``PLAY`` are
    words; an acronym the chapter's heading does not show must be typed as such in the contents.
    """
    kept = {word.upper() for word in keep}
    words = _WORD.findall(title)
    out: list[str] = []
    starts_clause = True
    for index, word in enumerate(words):
        core = word.strip(_PUNCTUATION)
        is_last = index == len(words) - 1
        if any(ch.isdigit() for ch in core) or core.upper() in kept or core in _ROMAN:
            out.append(word)
        elif core.lower() in SMALL_WORDS and not starts_clause and not is_last:
            out.append(word.lower())
        else:
            out.append("-".join(_capitalized(piece) for piece in word.split("-")))
        starts_clause = word.endswith(_CLAUSE_ENDS) or word in ("-", "--", "\u2014", "\u2013")
    return " ".join(out)


def _in_capitals(word: str) -> bool:
    letters = _LETTERS.findall(word)
    return len(letters) >= 2 and all(letter == letter.upper() != letter.lower()
                                     for letter in letters)


def _capitalized(piece: str) -> str:
    lowered = piece.lower()
    for position, character in enumerate(lowered):
        if character.isalpha():
            return lowered[:position] + character.upper() + lowered[position + 1:]
    return lowered


def heading_capitals(chapter: Path | None) -> frozenset[str]:
    """Words in capitals in the chapter's first heading (when it is not all capitals itself):
    the author's own evidence that they are acronyms. Empty when the file has no heading."""
    if chapter is None:
        return frozenset()
    try:
        with chapter.open(encoding="utf-8", errors="replace") as handle:
            for _, line in zip(range(200), handle, strict=False):
                match = _HEADING.match(line)
                if match:
                    title = match.group("title")
                    if is_shouting(title):
                        return frozenset()
                    words = (word.strip("\"'(),.:;!?") for word in title.split())
                    return frozenset(word for word in words if _in_capitals(word))
    except OSError:
        return frozenset()
    return frozenset()


def titled_nodes(nodes: Sequence[TocNode], enabled: bool, contents_path: Path,
                 report: Callable[[Iterable[Diagnostic]], None]) -> tuple[TocNode, ...]:
    """``nodes`` with titles typed in capitals in title case (when ``enabled``), and a warning
    for each such title at its contents line (given to ``report``)."""
    from handbook_build.sources.contents import display_path

    shown = display_path(contents_path)
    diagnostics: list[Diagnostic] = []
    out: list[TocNode] = []
    for node in nodes:
        if not enabled or not is_shouting(node.title):
            out.append(node)
            continue
        cased = title_case(node.title, heading_capitals(node.source_path))
        diagnostics.append(Diagnostic(
            shown, node.contents_line,
            f"title {node.title!r} is typed in capitals; shown as {cased!r}",
            "type it in title case in the contents file (or set [book] title_case = false "
            "to keep the capitals)", severity="warning", code="capital-title"))
        out.append(replace(node, title=cased))
    report(diagnostics)
    return tuple(out)


@dataclass(frozen=True, slots=True)
class NodeRole:
    """What one contents entry is in the book as printed."""

    is_part: bool  # a real part, or an entry that holds chapters
    has_text: bool  # a part with its own chapter file (its text follows the part page)
    label: str  # "Part II", "3", or ""
    running_part: str  # the verso head on its pages: its part's title, else the book's title


def to_roman(number: int) -> str:
    values = ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
              (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"))
    out = []
    for value, letters in values:
        while number >= value:
            out.append(letters)
            number -= value
    return "".join(out)


def book_roles(nodes: Sequence[TocNode], settings: StructureSettings, book_title: str
               ) -> Mapping[str, NodeRole]:
    """slug -> ``NodeRole`` for every entry of ``nodes`` (the manifest's, in book order)."""
    # Only a top-level entry that holds chapters becomes a part: deeper, a chapter with
    # sub-chapters stays a chapter.
    parts = [node.kind == "part" or (node.depth == 1 and index + 1 < len(nodes)
                                     and nodes[index + 1].depth > node.depth)
             for index, node in enumerate(nodes)]
    first_part = next((index for index, is_part in enumerate(parts) if is_part), None)
    roles: dict[str, NodeRole] = {}
    part_count, chapter_count = 0, 0
    open_parts: list[tuple[int, str]] = []  # (depth, title) of the parts around the entry
    for index, (node, is_part) in enumerate(zip(nodes, parts, strict=True)):
        while open_parts and open_parts[-1][0] >= node.depth:
            open_parts.pop()
        label = ""
        if is_part:
            if node.depth == 1 and settings.part_numbers != "none":
                part_count += 1
                number = (to_roman(part_count) if settings.part_numbers == "roman"
                          else str(part_count))
                label = f"{settings.part_label} {number}".strip()
            open_parts.append((node.depth, node.title))
        elif settings.number_chapters and (first_part is None or index > first_part):
            chapter_count += 1
            label = str(chapter_count)
        # The verso head: the nearest part's title (a part's own pages show its title).
        running = open_parts[-1][1] if open_parts else book_title
        roles[node.slug] = NodeRole(is_part, is_part and node.kind == "chapter", label, running)
    return roles


def shown_title(node: TocNode, role: NodeRole | None) -> str:
    """The entry as the contents and the EPUB nav list it: "Part II · Peer Learning",
    "3 · Which is more fun", or the bare title."""
    if role is None or not role.label:
        return node.title
    return f"{role.label}{SEPARATOR}{node.title}"
