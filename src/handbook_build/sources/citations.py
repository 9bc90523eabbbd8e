"""Citations: ``[@key]`` and ``@key`` against the bibliography the manifest names.

``[book] bibliography = "refs.bib"`` (BibTeX/BibLaTeX ``.bib``, CSL JSON ``.json``, CSL YAML
``.yaml``) turns pandoc's citeproc on for the one pandoc run (pandoc.py), and a "References"
chapter is added at the end of the book, where citeproc writes the entries (its ``#refs`` div).
Every edition gets both, since they all come from that run.

A key the bibliography does not hold would print as "(key?)": it is reported here, at its
chapter line, and its ``@`` escaped, so the reader sees the text as written. Without a
bibliography nothing changes (pandoc shows ``[@key]`` as written; ``@name`` handles in prose
stay text).
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

from handbook_build.model import Book, Chapter, Diagnostic, TocNode
from handbook_build.sources.markdown_fix import Fixed
from handbook_build.sources.markdown_scan import find_inline_links, line_of, split_code

__all__ = ["BIBLIOGRAPHY_SUFFIXES", "REFERENCES_TITLE", "bibliography_keys", "convert_cite_roles",
           "mark_citations", "with_references_chapter"]

BIBLIOGRAPHY_SUFFIXES = (".bib", ".bibtex", ".json", ".yaml", ".yml")
REFERENCES_TITLE = "References"
REFERENCES_BODY = "::: {#refs .references}\n:::\n"

_BIB_ENTRY = re.compile(r"@(?P<type>[A-Za-z]+)[ \t]*[{(][ \t]*(?P<key>[^,\s{}()]+)[ \t]*,")
_YAML_ID = re.compile(r"^[ \t-]*id:[ \t]*[\"']?(?P<key>[^\"'\s#]+)", re.MULTILINE)
# pandoc's citation: "@" after a non-word character, a key of word characters with internal
# punctuation (trailing punctuation belongs to the sentence), or @{any key}.
_CITATION = re.compile(
    r"(?<![\w@.\\])(?P<at>-?@)(?:\{(?P<braced>[^{}\s]+)\}|(?P<key>\w(?:[\w:.#$%&+?<>~/-]*\w)?))")
_TAG_OR_AUTOLINK = re.compile(r"<(?:[A-Za-z/!?][^<>]*|[A-Za-z][A-Za-z0-9+.-]*:[^<>\s]*)>")


def bibliography_keys(path: Path) -> frozenset[str]:
    """The citation keys of a .bib, CSL JSON or CSL YAML file (read as text; pandoc parses it)."""
    text = path.read_text(encoding="utf-8", errors="replace")
    suffix = path.suffix.lower()
    if suffix == ".json":
        try:
            data = json.loads(text)
        except ValueError:
            return frozenset()
        items = data if isinstance(data, list) else data.get("references", []) \
            if isinstance(data, dict) else []
        return frozenset(str(item["id"]) for item in items
                         if isinstance(item, dict) and "id" in item)
    if suffix in (".yaml", ".yml"):
        return frozenset(match["key"] for match in _YAML_ID.finditer(text))
    return frozenset(match["key"] for match in _BIB_ENTRY.finditer(text)
                     if match["type"].lower() not in ("comment", "preamble", "string"))


def _protected(text: str) -> list[tuple[int, int]]:
    spans = [(m.start(), m.end()) for m in _TAG_OR_AUTOLINK.finditer(text)]
    stack = find_inline_links(text)
    while stack:
        link = stack.pop()
        spans.append((link.dest_start, link.dest_end))
        stack.extend(find_inline_links(text, link.text_start, link.text_end))
    return spans


# MyST's citation roles: {cite}`a,b` and {cite:p}`a` are parenthetical, {cite:t}`a` textual.
_CITE_ROLE = re.compile(r"\{cite(?::(?P<kind>[a-z]+))?\}`(?P<keys>[^`\n]+)`")


# mdbook-bib's citation: {{#cite key}} (one key).
_MDBOOK_CITE = re.compile(r"\{\{#cite\s+(?P<keys>[^\s{}]+)\s*\}\}")


def convert_cite_roles(text: str, path: str) -> Fixed:
    """MyST citation roles and mdbook-bib's ``{{#cite key}}`` as pandoc citations
    (``[@a; @b]``, ``@a``), which citeproc sets like any other; never left as a role and a
    code span. Roles shown inside code stay."""
    if "{cite" not in text and "{{#cite" not in text:
        return Fixed(text)
    code = [(s.offset, s.offset + len(s.text)) for s in split_code(text) if s.is_code]
    if "{{#cite" in text:
        text = _MDBOOK_CITE.sub(
            lambda m: m.group(0) if any(lo <= m.start() < hi for lo, hi in code)
            else f"[@{m['keys']}]", text)
        code = [(s.offset, s.offset + len(s.text)) for s in split_code(text) if s.is_code]

    def replace_role(match: re.Match[str]) -> str:
        if any(lo <= match.start() < hi for lo, hi in code):
            return match.group(0)
        keys = [key.strip() for key in match["keys"].split(",") if key.strip()]
        cited = "; ".join(f"@{key}" for key in keys)
        return cited if match["kind"] in ("t", "ts") else f"[{cited}]"

    return Fixed(_CITE_ROLE.sub(replace_role, text))


def mark_citations(text: str, path: str, keys: frozenset[str] | None) -> Fixed:
    """Unknown citation keys reported at their line and shown as written; ``keys`` None (no
    bibliography): the chapter as it is."""
    if keys is None or "@" not in text:
        return Fixed(text)
    protected = _protected(text)
    diagnostics: list[Diagnostic] = []
    edits: list[int] = []
    for segment in split_code(text):
        if segment.is_code:
            continue
        for match in _CITATION.finditer(segment.text):
            start = segment.offset + match.start("at")
            if any(lo <= start < hi for lo, hi in protected):
                continue
            key = match["braced"] or match["key"]
            if key in keys:
                continue
            at = start + (1 if match["at"].startswith("-") else 0)
            edits.append(at)
            diagnostics.append(Diagnostic(
                path, line_of(text, at), f"citation @{key} is not in the bibliography; shown "
                "as written", "check the key, or add the entry to the bibliography file",
                "warning", "citation-unknown", at - (text.rfind("\n", 0, at) + 1) + 1))
    if not edits:
        return Fixed(text)
    pieces = []
    position = 0
    for at in sorted(edits):
        pieces += [text[position:at], "\\"]  # \@: a literal @, never a citation
        position = at
    pieces.append(text[position:])
    return Fixed("".join(pieces), tuple(diagnostics))


def cites_anything(chapters: tuple[Chapter, ...], keys: frozenset[str]) -> bool:
    for chapter in chapters:
        for segment in split_code(chapter.markdown):
            if not segment.is_code and any(
                    (m["braced"] or m["key"]) in keys for m in _CITATION.finditer(segment.text)):
                return True
    return False


def with_references_chapter(book: Book) -> Book:
    """The book with a last chapter, "References", where citeproc writes the bibliography
    (only when a bibliography is named and something cites it)."""
    bibliography = book.manifest.metadata.bibliography
    if bibliography is None:
        return book
    try:
        keys = bibliography_keys(bibliography)
    except OSError:
        return book
    if not cites_anything(book.chapters, keys):
        return book
    used = {node.slug for node in book.manifest.nodes}
    slug = next(name for name in ("references", "bibliography", *(f"references-{n}"
                                                                   for n in range(2, 1000)))
                if name not in used)
    node = TocNode("chapter", REFERENCES_TITLE, 1, slug, 0, None)
    manifest = replace(book.manifest, nodes=(*book.manifest.nodes, node))
    chapter = Chapter(node, REFERENCES_BODY, "")
    return replace(book, manifest=manifest, chapters=(*book.chapters, chapter))
