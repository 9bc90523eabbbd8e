"""Notes at the page foot: printed twice, or astray from their call."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from handbook_build.checks.pdf_layout import Line, PageText, PdfText, is_margin_line
from handbook_build.checks.typeset_check.findings import THRESHOLDS, Findings, quoted_tail

_MARKER = re.compile(r"^(?P<mark>[a-z]{1,3}|\d{1,3})\.$")
_MARK = re.compile(r"^(?:[a-z]{1,3}|\d{1,3})$")


def _note_lines(page: PageText, body_height: float) -> list[tuple[str, Line]]:
    """The notes at the page foot: smaller lines below the body, each opening with "a." or "1."."""
    limit = body_height * THRESHOLDS["note_scale"]
    notes = []
    for line in page.lines:
        if is_margin_line(line, page) or line.box.top < page.height * 0.3:
            continue
        match = _MARKER.match(line.words[0].text)
        if match and line.box.height <= limit and len(line.words) > 1:
            notes.append((match["mark"], line))
    return notes


def _calls(page: PageText, body_height: float, note_lines: Sequence[Line]) -> Counter[str]:
    """Marks set as superscripts: a word whose top stands clearly above its line's top and that
    ends in a mark (poppler glues the call to the word it follows)."""
    found: Counter[str] = Counter()
    notes = {id(line) for line in note_lines}
    for line in page.lines:
        if id(line) in notes or is_margin_line(line, page):
            continue
        tops = sorted(word.box.top for word in line.words)
        bottoms = sorted(word.box.bottom for word in line.words)
        heights = sorted(word.box.height for word in line.words)
        usual_top, usual_bottom = tops[len(tops) // 2], bottoms[len(bottoms) // 2]
        usual_height = heights[len(heights) // 2]
        for word in line.words:
            small = word.box.height < 0.8 * usual_height
            tiny = word.box.height < 0.7 * body_height and _MARK.match(word.text) is not None
            if tiny or (small and word.box.bottom < usual_bottom - 0.15 * body_height):
                found[word.text.strip(".,;:")] += 1  # a call set apart as its own word
            elif word.box.top < usual_top - 0.2 * body_height:
                for mark in _trailing_marks(word.text):
                    found[mark] += 1
    return found


def _trailing_marks(word: str) -> list[str]:
    stripped = word.rstrip(".,;:!?)\u201d\u2019\"'")  # closing punctuation after the call
    digits = re.search(r"(\d{1,3})$", stripped)
    letters = re.search(r"([a-z]{1,3})$", stripped)
    marks = []
    if digits:
        marks.append(digits[1])
    if letters:
        # A letter call is glued to a word: any of its last letters may be the mark.
        tail = letters[1]
        marks.extend(tail[i:] for i in range(len(tail)))
    return marks


def check_notes(text: PdfText, findings: Findings) -> None:
    for page in text.pages:
        notes = _note_lines(page, text.body_height)
        if not notes:
            continue
        marks = Counter(mark for mark, _ in notes)
        for mark, count in sorted(marks.items()):
            if count > 1:
                findings.add(page.index, "error", "note-twice",
                             f"note {mark!r} is printed {count} times on this page",
                             "a note was carried over or repeated: report it as a rendering bug")
        calls = _calls(page, text.body_height, [line for _, line in notes])
        for mark, line in {mark: line for mark, line in notes}.items():
            if mark not in calls:
                findings.add(page.index, "warning", "note-astray",
                             f"note {mark!r} ({quoted_tail(line)}) has no call on this page",
                             "the note slipped to another page: keep the call's line with its "
                             "note (footnote-policy: line) or shorten the note")
