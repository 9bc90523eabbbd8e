"""Code-aware scanning of one chapter's Markdown (shared by the source-normalizing stage): takes
the text, gives its code and prose apart, its inline links, and positions in it.

Every transform of chapter text (link and image rewriting, heading and footnote fixes) must leave
code alone: a URL or ``[x](y)`` shown inside a code span or block is an example, not a link.
``split_code`` cuts a document into prose and code segments; joining the segments' text gives the
input back exactly, so callers can rewrite the prose segments and join again.

The rules follow CommonMark closely enough for real books, erring towards *prose* when unsure
(a missed code block only risks rewriting an example; a false one hides real links):

* fenced blocks: a line of 3+ backticks or tildes (up to 3 spaces of indentation, or any
  indentation inside a list item) up to a closing fence of the same character at least as long;
  a fence never closed is literal text (as pandoc, the reader that matters, treats it);
* indented blocks: lines indented 4+ columns, only after a blank line; inside a list item they
  must be indented 4 more than the item's text (4-space list continuation lines are prose);
* inline code spans: a run of N backticks up to the next run of exactly N backticks in the
  same paragraph; when there is none, the first backtick is literal and the rest of the run is
  tried again (pandoc's rule; CommonMark would make the whole run literal).

Modules: code.py (split_code, mask_code), inline_links.py (find_inline_links), brackets.py
(matching_bracket), positions.py (line_of, column_of, is_escaped).
"""

from __future__ import annotations

from handbook_build.sources.markdown_scan.brackets import matching_bracket
from handbook_build.sources.markdown_scan.code import Segment, mask_code, split_code
from handbook_build.sources.markdown_scan.inline_links import (
    InlineLink,
    find_inline_links,
    unescape_markdown,
)
from handbook_build.sources.markdown_scan.positions import column_of, is_escaped, line_of

__all__ = [
    "InlineLink",
    "Segment",
    "column_of",
    "find_inline_links",
    "is_escaped",
    "line_of",
    "mask_code",
    "matching_bracket",
    "split_code",
    "unescape_markdown",
]
