"""EPUB content documents, per section: ``HtmlSection`` -> one XHTML file, plus the contents tree.

Two passes over the book: first every section is converted (and its notes moved) so the ids of
the whole book are known, then links and images are rewritten against that id -> file map.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from lxml import etree

from handbook_build.model import HtmlSection
from handbook_build.render import epub_a11y
from handbook_build.render.epub_assets import safe_name, unique_names
from handbook_build.render.epub_front import NavEntry
from handbook_build.render.epub_notes import convert_footnotes
from handbook_build.render.epub_refs import LinkTargets, rewrite_images, rewrite_links
from handbook_build.render.epub_xhtml import EPUB_TYPE, clean_text, html_to_xhtml, xtag
from handbook_build.sources.structure import NodeRole, shown_title

# By default nav lists the h2 sections of a chapter, not deeper: a contents list, not an index
# (``[epub] nav_depth``: 1 lists parts and chapters only, 3 adds their h3 sections, ...).
NAV_HEADING_LEVEL = 2
_SEMANTICS = {"part": ("part", "doc-part"), "chapter": ("chapter", "doc-chapter")}


@dataclass(frozen=True, slots=True)
class SectionDocument:
    section: HtmlSection
    href: str  # text/<slug>.xhtml, relative to the package folder
    root: etree._Element  # the section element, mutated in place by the second pass
    note_count: int


@dataclass(slots=True)
class _Branch:
    """A contents entry while the tree is being built (NavEntry is frozen)."""

    entry: NavEntry
    depth: int
    children: list[_Branch] = field(default_factory=list)

    def freeze(self) -> NavEntry:
        kids = self.entry.children + tuple(branch.freeze() for branch in self.children)
        return NavEntry(self.entry.title, self.entry.href, kids)


def plan_section_files(sections: Sequence[HtmlSection]) -> dict[str, str]:
    """slug -> ``text/<safe slug>.xhtml``."""
    names = unique_names((s.node.slug, safe_name(s.node.slug, "section") + ".xhtml")
                         for s in sections)
    return {slug: f"text/{name}" for slug, name in names.items()}


def _ensure_heading(root: etree._Element, title: str) -> None:
    """Each file starts with its <h1> (readers and Ace expect one); add the title if missing."""
    first = next((child for child in root if isinstance(child.tag, str)), None)
    if first is None or first.tag != xtag("h1"):
        heading = etree.Element(xtag("h1"))
        heading.text = clean_text(title)
        heading.tail = root.text
        root.text = "\n"
        root.insert(0, heading)


def convert_section(section: HtmlSection, href: str) -> SectionDocument:
    root = html_to_xhtml(section.html)
    epub_type, role = _SEMANTICS[section.node.kind]
    root.set(EPUB_TYPE, epub_type)
    root.set("role", role)
    root.set("id", root.get("id") or section.node.slug)
    _ensure_heading(root, section.node.title)
    epub_a11y.repair(root)
    return SectionDocument(section, href, root, convert_footnotes(root, section.node.slug))


def link_targets(documents: Sequence[SectionDocument]) -> LinkTargets:
    """Every id in the book -> the file that holds it (first one wins if the HTML repeats one)."""
    files: dict[str, str] = {}
    for document in documents:
        for element in document.root.iter():
            element_id = element.get("id") if isinstance(element.tag, str) else None
            if element_id:
                files.setdefault(element_id, document.href)
    roots = frozenset(str(document.root.get("id")) for document in documents)
    return LinkTargets(files, roots)


def resolve_references(document: SectionDocument, targets: LinkTargets,
                       image_hrefs: Mapping[str, str], where: str) -> tuple[set[str], list[str]]:
    """Second pass: links and images of one document; returns the images used and warnings."""
    warnings = rewrite_links(document.root, document.href, targets, where)
    used, image_warnings = rewrite_images(document.root, document.href, image_hrefs, where)
    return used, warnings + image_warnings


def _nest(branches: Sequence[_Branch]) -> list[_Branch]:
    """Nest a flat, ordered list by depth: each branch goes under the last shallower one."""
    top: list[_Branch] = []
    stack: list[_Branch] = []
    for branch in branches:
        while stack and stack[-1].depth >= branch.depth:
            stack.pop()
        (stack[-1].children if stack else top).append(branch)
        stack.append(branch)
    return top


def _heading_entries(document: SectionDocument, targets: LinkTargets,
                     depth: int) -> tuple[NavEntry, ...]:
    """The chapter's sections down to heading level ``depth`` (levels as in the EPUB, after
    ``epub_a11y`` renumbered them), nested by level; bibliographies are left out."""
    branches = []
    for section in document.root.iter(xtag("section")):
        section_id = section.get("id")
        if (section is document.root or not section_id
                or section.get(EPUB_TYPE) == "bibliography"
                or targets.files.get(section_id) != document.href):
            continue
        heading = next((child for child in section if child.tag in epub_a11y.HEADING_TAGS), None)
        level = epub_a11y.heading_level(heading) if heading is not None else None
        text = epub_a11y.heading_text(heading) if heading is not None else ""
        if level is not None and level <= depth and text:
            branches.append(_Branch(NavEntry(text, f"{document.href}#{section_id}"), level))
    return tuple(branch.freeze() for branch in _nest(branches))


def nav_tree(documents: Sequence[SectionDocument], targets: LinkTargets,
             depth: int = NAV_HEADING_LEVEL,
             roles: Mapping[str, NodeRole] | None = None) -> list[NavEntry]:
    """Parts and chapters nested by contents depth; each chapter lists its sections first.
    With ``roles`` (structure.book_roles), entries carry their labels as the paged contents
    does ("Part II · Peer Learning", "3 · Title")."""
    roles = roles or {}
    branches = [_Branch(NavEntry(clean_text(shown_title(d.section.node,
                                                        roles.get(d.section.node.slug)))
                                 or d.section.node.slug,
                                 d.href, _heading_entries(d, targets, depth)),
                        d.section.node.depth)
                for d in documents]
    return [branch.freeze() for branch in _nest(branches)]
