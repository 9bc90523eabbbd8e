"""Id and link integrity of the split HTML: every id unique in the book, every ``#`` link lands.

Assembly prefixes heading ids and rewrites links, but raw HTML in a chapter can still carry its
own ids (``<span id="x">`` in two chapters) and a link can name an anchor that does not exist
(``other.md#gone``). Both would be silent breakage in a PDF and EPUBCheck errors in an EPUB, so
they are repaired here, once, for every edition, with a warning for the editors.
"""

from __future__ import annotations

from collections.abc import Sequence

from lxml.html import HtmlElement

from handbook_build.model import Diagnostic, TocNode
from handbook_build.sources.contents import display_path
from handbook_build.sources.markdown_fix import unique_identifier


def make_ids_unique(sections: Sequence[tuple[TocNode, HtmlElement]]) -> None:
    """Give raw-HTML ids their chapter's prefix, as assembly does for headings, and dedupe
    them the way pandoc numbers repeated ids (``x``, ``x-1``, ...), as headings are."""
    taken: set[str] = set()
    for node, element in sections:
        taken.add(node.slug)
        for child in element.iterdescendants():
            identifier = child.get("id")
            if identifier is None:
                continue
            if not _is_chapter_id(identifier, node.slug):
                identifier = f"{node.slug}--{identifier}"
            child.set("id", unique_identifier(identifier, taken))


def repair_internal_links(sections: Sequence[tuple[TocNode, HtmlElement]]) -> list[Diagnostic]:
    """Point ``#slug--gone`` at its chapter; unlink a ``#target`` that names nothing."""
    known = {str(e.get("id")) for _, section in sections for e in section.iter() if e.get("id")}
    diagnostics: list[Diagnostic] = []
    for node, element in sections:
        for link in element.iter("a"):
            href = link.get("href", "")
            if not href.startswith("#") or href[1:] in known:
                continue
            chapter = href[1:].split("--", 1)[0]
            if chapter in known:
                link.set("href", f"#{chapter}")
                diagnostics.append(_warning(node, f"link to a missing anchor {href}: it now "
                                            f"opens the chapter '{chapter}'",
                                            "fix the anchor in the link or add the heading"))
            else:
                del link.attrib["href"]
                diagnostics.append(_warning(node, f"link to {href}, which is not in the book, "
                                            "was unlinked", "fix the link target"))
    return diagnostics


def _is_chapter_id(identifier: str, slug: str) -> bool:
    return identifier == slug or identifier.startswith((f"{slug}--", f"fn-{slug}-"))


def _warning(node: TocNode, message: str, hint: str) -> Diagnostic:
    path = display_path(node.source_path) if node.source_path else node.title
    return Diagnostic(path, None, message, hint, "warning", "broken-anchor")
