"""Merge separately written PDF chunks into one book, as if WeasyPrint had written it in one go.

Takes the parts of a book in page order (``Chunk``: a PDF and a ``PageInfo`` per page;
``Blank``: a blank page) and gives the bytes of one PDF (``merge``).

Chunks are written by WeasyPrint without their interactive parts: a page of a chunk cannot link
to a page of another chunk, and an outline cut in pieces loses its nesting. So each chunk comes
with a ``PageInfo`` per page (links, anchors and bookmarks, in PDF user space) and this package
puts them back for the whole book the way WeasyPrint 70 writes them (pdf/anchors.py):

- anchors become named destinations ``[page /XYZ x y 0]`` in the catalog's ``/Names /Dests``
  tree, sorted by name; when a name repeats, the first one in page order wins;
- an internal link is a ``/Link`` annotation with ``/Dest (name)``, dropped when no anchor has
  that name (WeasyPrint does the same, with an error in its log); an external link has a
  ``/URI`` action; annotations keep their order on the page;
- the outline is built from every page's bookmarks in order with WeasyPrint's own nesting rule
  (a skipped level nests one deeper, not two);
- the document information dictionary, the catalog's ``/Lang`` and other document-level entries
  (output intents, XMP metadata) come from one chosen chunk (the front matter);
- ``Blank`` inserts a truly blank page shaped like the page before it (where WeasyPrint would
  have made a blank page to open the next chunk on a right-hand page);
- tagged chunks (``pdf_tags``) keep their structure: the elements under each chunk's
  ``/Document`` become children of one ``/Document`` of the book, each page's
  ``/StructParents`` key is moved past the keys of the chunks before it and the parent tree is
  rebuilt with those keys (see ``StructureTree``). A chunk repeated (the blank verso) adds no
  structure: it has no content to tag. Link annotations, which the merge writes, are not tagged.

The output is deterministic: objects are numbered in page order and the trailer's ``/ID`` is a
hash of the inputs, so the same chunks always give the same bytes.

The modules: parts (the parts and their pages' records), writer (``merge``), navigation (links,
destinations, outline), structure (the structure tree), fonts (one subset per font for the
book), objects (PDF numbers and strings).
"""

from handbook_build.render.pdf_merge.navigation import outline_tree
from handbook_build.render.pdf_merge.parts import (
    Blank,
    Bookmark,
    Chunk,
    FontRef,
    Link,
    PageInfo,
    page_info_from_json,
    page_info_to_json,
)
from handbook_build.render.pdf_merge.writer import merge

__all__ = [
    "Blank",
    "Bookmark",
    "Chunk",
    "FontRef",
    "Link",
    "PageInfo",
    "merge",
    "outline_tree",
    "page_info_from_json",
    "page_info_to_json",
]
