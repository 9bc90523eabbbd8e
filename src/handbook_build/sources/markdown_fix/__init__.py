"""Sources stage, text half: takes one chapter's Markdown, gives it fixed (pure, no I/O).

``sources.read_book`` runs these on every chapter, in this order::

    clean_characters -> split_glued_headings -> convert_setext_headings
    -> inline_reference_links -> (images, links: other modules) -> relabel_footnotes
    -> shift_headings -> close_open_blocks

Each transform returns the new text and ``Diagnostic`` warnings whose line numbers are lines of
the text it was *given*; ``line_origins`` maps lines of a transform's output back to its input so
the caller can report every warning against the file as written.

Everything here is code-aware: Markdown shown inside code blocks or code spans is an example and
is never rewritten (``markdown_scan.split_code`` finds it, ``scan.code_scan`` hides it from the
regular expressions). The one exception is control characters, which are removed everywhere:
they are never meant as content and render as missing-glyph boxes even inside code.

The reader the output is written for is pandoc's ``markdown`` (see ``assemble``); every rewrite
is chosen so pandoc reads the result the way these functions assume, e.g. an ATX heading always
gets a blank line before it, because pandoc reads ``text\\n## Heading`` as one paragraph.

Modules, one job each:
    transforms.py       Fixed (text + warnings), chain, line_origins and the other line maps
    characters.py       clean_characters
    scan.py             the code-aware scan and line classification every transform shares
    heading_repair.py   split_glued_headings, convert_setext_headings (and ``---`` rules)
    reference_links.py  inline_reference_links
    footnotes.py        relabel_footnotes
    identifiers.py      pandoc_identifier, unique_identifier (the ids pandoc gives headings)
    heading_levels.py   shift_headings
    open_blocks.py      close_open_blocks
"""

from __future__ import annotations

from handbook_build.sources.markdown_fix.characters import clean_characters
from handbook_build.sources.markdown_fix.footnotes import relabel_footnotes
from handbook_build.sources.markdown_fix.heading_levels import shift_headings
from handbook_build.sources.markdown_fix.heading_repair import (
    THEMATIC_BREAK,
    convert_setext_headings,
    split_glued_headings,
)
from handbook_build.sources.markdown_fix.identifiers import pandoc_identifier, unique_identifier
from handbook_build.sources.markdown_fix.open_blocks import close_open_blocks
from handbook_build.sources.markdown_fix.reference_links import inline_reference_links
from handbook_build.sources.markdown_fix.transforms import (
    Chained,
    Fixed,
    chain,
    compose_origins,
    identity_origins,
    line_origins,
    remap_line,
)

__all__ = [
    "THEMATIC_BREAK",
    "Chained",
    "Fixed",
    "chain",
    "clean_characters",
    "close_open_blocks",
    "compose_origins",
    "convert_setext_headings",
    "identity_origins",
    "inline_reference_links",
    "line_origins",
    "pandoc_identifier",
    "relabel_footnotes",
    "remap_line",
    "shift_headings",
    "split_glued_headings",
    "unique_identifier",
]
