"""Hyphenation: the share of hyphenated lines, ladders, lone fragments, hyphenated headings."""

from __future__ import annotations

from collections.abc import Sequence

from handbook_build.checks.pdf_layout import Line, PageText, PdfText, is_body_line, is_margin_line
from handbook_build.checks.typeset_check.findings import THRESHOLDS, Findings, quoted_tail

_HYPHENS = ("\u2010", "-", "\u00ad")  # WeasyPrint's hyphenate-character is U+2010


def _hyphenated(line: Line) -> bool:
    """The line ends in a word broken at a hyphen (a letter, then the hyphen)."""
    last = line.words[-1].text
    return len(last) >= 2 and last.endswith(_HYPHENS) and last[-2].isalpha()


def check_hyphenation(text: PdfText, findings: Findings) -> None:
    body_lines = 0
    hyphenated = 0
    ladder_length = int(THRESHOLDS["ladder_lines"])
    heading_height = text.body_height * THRESHOLDS["heading_scale"]
    for page in text.pages:
        run: list[Line] = []
        for position, line in enumerate(page.lines):
            if is_margin_line(line, page):
                continue
            broken = _hyphenated(line) and _continues(page.lines, position)
            if is_body_line(line, text.body_height):
                body_lines += 1
                hyphenated += broken
            if broken and line.box.height >= heading_height:
                findings.add(page.index, "warning", "hyphen-in-heading",
                             f"a heading is hyphenated: {quoted_tail(line)}",
                             "headings should not hyphenate: hyphens: manual on h1-h6")
            if broken and len(line.words) == 1 and is_body_line(line, text.body_height):
                findings.add(page.index, "warning", "hyphen-lone-fragment",
                             f"a line holds only the fragment {line.words[0].text!r}",
                             "set hyphenate-limit-chars (e.g. 6 3 3) so short fragments do "
                             "not break off")
            if broken and run and run[-1].block == line.block:
                run.append(line)
            elif broken:
                _end_ladder(run, page, ladder_length, findings)
                run = [line]
            else:
                _end_ladder(run, page, ladder_length, findings)
                run = []
        _end_ladder(run, page, ladder_length, findings)
    share = hyphenated / body_lines if body_lines else 0.0
    if share > THRESHOLDS["hyphenated_share_warning"]:
        findings.add(None, "warning", "hyphenation-share",
                     f"{share:.1%} of body lines ({hyphenated} of {body_lines}) end in a hyphen, "
                     f"above {THRESHOLDS['hyphenated_share_warning']:.0%}",
                     "limit hyphenation: hyphenate-limit-chars, no hyphens in names and links, "
                     "a wider measure or a smaller size")


def _continues(lines: Sequence[Line], position: int) -> bool:
    """A line break at a hyphen is a word break when the next line goes on in lower case."""
    for following in lines[position + 1:position + 2]:
        first = following.words[0].text[:1]
        return following.block == lines[position].block and (first.islower() or not first)
    return True  # the last line on the page: the word goes on overleaf


def _end_ladder(run: list[Line], page: PageText, length: int, findings: Findings) -> None:
    if len(run) >= length:
        fragments = ", ".join(repr(line.words[-1].text) for line in run)
        findings.add(page.index, "warning", "hyphen-ladder",
                     f"{len(run)} consecutive lines end in a hyphen ({fragments})",
                     "a ladder of hyphens: rewrite a line or loosen the paragraph "
                     "(hyphenate-limit-chars, word-spacing)")
