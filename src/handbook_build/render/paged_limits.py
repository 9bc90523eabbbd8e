"""What the paged editions (reading PDF, print PDF) refuse before laying anything out.

WeasyPrint lays a chapter out as one document, and each footnote costs it far more than a line
of text: the page's whole footnote area is laid out again for every note added to it, and the
pending notes are kept in one list that every placed note is removed from. Measured with
``benchmarks/footnotes.py`` (README): the cost per note grows with the chapter's note count,
and tens of thousands of notes in one chapter take many minutes and gigabytes. Rather than
appear to hang, a build whose paged editions would lay out more than ``MAX_PAGED_FOOTNOTES``
notes in one chapter stops at once, names the chapter and the way out; the Markdown, HTML and
EPUB editions have no such limit (linear, seconds for 100,000 notes).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable

from handbook_build.model import Diagnostic, HtmlSection

__all__ = ["MAX_PAGED_FOOTNOTES", "PAGED_FORMATS", "check_paged_footnotes", "footnote_count"]

MAX_PAGED_FOOTNOTES = 5_000  # per chapter: about 2-4 minutes of layout on one idle core
PAGED_FORMATS = ("pdf", "print", "print-fillable")

# The inline spans the pandoc filter (data/footnotes.lua) makes of every note.
_NOTE_SPAN = re.compile(r'<span\b[^>]*\sclass="footnote"')


def footnote_count(html: str) -> int:
    return len(_NOTE_SPAN.findall(html))


def check_paged_footnotes(sections: Iterable[HtmlSection], formats: Iterable[str]
                          ) -> list[Diagnostic]:
    """Errors for chapters with more notes than the paged editions lay out, if any of those
    editions is requested."""
    paged = [name for name in formats if name in PAGED_FORMATS]
    if not paged:
        return []
    others = " ".join(f"-f {name}" for name in ("md", "html", "epub"))
    problems = []
    for section in sections:
        count = footnote_count(section.html)
        if count > MAX_PAGED_FOOTNOTES:
            node = section.node
            shown = _shown(node.source_path) if node.source_path else node.title
            problems.append(Diagnostic(
                shown, None, f"the chapter has {count:,} footnotes, more than the "
                f"{MAX_PAGED_FOOTNOTES:,} the {' and '.join(paged)} editions lay out in one "
                "chapter (WeasyPrint would take hours and gigabytes)",
                f"split the chapter, or build the other editions only ({others})",
                code="too-many-footnotes"))
    return problems


def _shown(path: os.PathLike[str]) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)
