"""Assemble stage: ``Book`` -> ``Manuscript``, the one Markdown document of the whole book.

The document follows docs/design.md ("The assembled Markdown contract"): a part is
``# Title {#part-slug .part}``, a chapter is ``# Title {#slug .chapter data-depth="N"}`` followed
by its normalized body (headings from ``##`` down, ids and note labels already prefixed by
``sources``). Output depends only on the book, so the same sources give the same bytes.
"""

from __future__ import annotations

import re

from handbook_build.model import Book, Chapter, Manuscript, TocNode
from handbook_build.sources.markdown_scan import split_code

__all__ = ["PANDOC_MARKDOWN_FORMAT", "assemble", "chapter_heading", "escape_title",
           "part_heading"]

# The single reader format for the assembled document (and for any chapter read on its own):
# - yaml_metadata_block off: a `---` line anywhere would otherwise open a YAML block (sources
#   also rewrites thematic breaks as `* * *` so other readers are safe too);
# - tex_math_dollars off: two `$` in a paragraph (prices, shell prompts) would become TeX math;
# - tex_math_single_backslash off: `\(` and `\[` would become math too;
# - raw_attribute off: `` `...`{=latex} `` would be silently dropped from HTML and EPUB; with the
#   extension off the author sees the text instead of losing it;
# - blank_before_blockquote off, lists_without_preceding_blankline on: the handbook's editors write
#   for GitHub, where a `>` quote or a list right under a paragraph line is a quote or a list;
#   pandoc's default would swallow them into the paragraph with literal `>` and `-` markers.
PANDOC_MARKDOWN_FORMAT = (
    "markdown-yaml_metadata_block-tex_math_dollars-tex_math_single_backslash-raw_attribute"
    "-blank_before_blockquote+lists_without_preceding_blankline"
)

# Everything that could start Markdown structure inside a heading's text; `-`, `.`, `'` and `"`
# stay unescaped so smart typography (dashes, quotes) applies to titles as to the body.
_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#!|~^$@&])")


def escape_title(title: str) -> str:
    """``title`` as literal inline Markdown on one line, except its code spans, which stay code
    (a contents entry ``[The `Rc<T>` type](rc.md)`` shows no backticks anywhere)."""
    pieces = []
    for segment in split_code(" ".join(title.split())):
        pieces.append(segment.text if segment.is_code else _SPECIAL.sub(r"\\\1", segment.text))
    return "".join(pieces)


def part_heading(node: TocNode) -> str:
    return f"# {escape_title(node.title)} {{#{node.slug} .part}}"


def chapter_heading(node: TocNode) -> str:
    return f'# {escape_title(node.title)} {{#{node.slug} .chapter data-depth="{node.depth}"}}'


def assemble(book: Book) -> Manuscript:
    """The whole book as one Markdown document, blocks separated by blank lines."""
    by_slug: dict[str, Chapter] = {chapter.node.slug: chapter for chapter in book.chapters}
    blocks: list[str] = []
    for node in book.manifest.nodes:
        if node.kind == "part":
            blocks.append(part_heading(node))
            continue
        chapter = by_slug.get(node.slug)
        if chapter is None:
            continue  # sources reported it; a book with errors never gets here
        blocks.append(chapter_heading(node))
        body = chapter.markdown.strip("\n")
        if body.strip():
            blocks.append(body)
    return Manuscript(book, "\n\n".join(blocks) + "\n")
