"""Paged editions in chunks: laid out in pieces, cached per chunk, merged into one PDF.

Why a book can be cut: every part and chapter opens on a right-hand page (``break-before:
right``), so the layout of a run of sections does not depend on what precedes it except through
three things, each put back here:

- folios: a run document sets its first body page's ``page`` counter (``@page :nth(3)
  { counter-reset: page N }``; a run starts with the book's title page, which sets the running
  heads' strings as in the whole book, then a blank verso, then the sections on page 3);
- page numbers printed from other parts of the book (``target-counter()`` in the contents and in
  the print edition's "see p. N"): the rules using it are copied with ``attr(data-hb-tc)`` in
  its place and the links get the number, so the same glyphs are set without the target;
- the blank verso between two chunks: a blank page of the edition (``@page :blank``), laid out
  once and inserted by the merge where a chunk ends on a right-hand page.

A *group* is a few consecutive sections (``GROUP_CHARS``); its pages, written as their own PDF,
are a *chunk*. Chunks are cached under ``<output>/.cache/chunks/<edition>`` by a hash of
everything that shapes them: the group's HTML, the head with every stylesheet, the files of the
styles folder, the images, the installed fonts, tool versions and the rendering code (``_CODE``),
its first folio and the page numbers it prints from elsewhere. A build walks the groups in
order: a cached chunk is reused; a group whose page count is known (it was laid out before, at
another first folio) is laid out again later, side by side with the others; groups never seen
are laid out together, in runs of about ``run_chars`` characters (a clean build is a few runs,
one after the other: each run's first folio follows from the runs before). Every run is laid out
in a forked child, so the edition process does not grow run after run. The front matter (title,
copyright, contents) is laid out last, with the final numbers; printed page numbers that moved
make their chunks stale and the walk runs again (``MAX_PASSES``). Then ``pdf_merge`` joins the
chunks, their fonts (one subset per font for the whole book) and puts back links, named
destinations, outline and metadata. A clean build and a rebuild go through the same chunks, so
they give the same bytes; a run and a group laid out alone give the same chunk
(tests/test_chunked.py checks it, and the whole book against a single-pass layout, text, links,
outline and pixels).

The print edition (``render_print_edition``) follows ``print_pdf.render_print`` step by step
with chunks: gutter by final page count (laid out again when the count needs a wider one),
padding pages, PDF/X variant and fixed XMP id on every chunk, no links, preflight on the merged
file; its cover and proof sheet are cached by their inputs. Its "see p. N" across runs means
that, on a clean build, groups pointing into a later run are laid out a second time once that
run's pages are known; runs are cut where the fewest groups point across.

When a stylesheet uses something a cut book cannot reproduce (``counter(pages)``, other counters
or ``target-*`` functions, document-wide ``:nth()`` pages), ``analyse_styles`` says why and the
caller renders in one pass as before.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import json
import logging
import multiprocessing
import os
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from dataclasses import replace as dataclass_replace
from html import escape
from pathlib import Path
from typing import Any

import cssselect2  # type: ignore[import-untyped]
import lxml.html
import tinycss2  # type: ignore[import-untyped]

from handbook_build import __version__, cache_entry
from handbook_build import cache as build_cache
from handbook_build.errors import RenderError
from handbook_build.model import HtmlBook, HtmlSection, Manifest, Metadata, TocNode
from handbook_build.render import pdf_merge
from handbook_build.render.document import (
    PagedEdition,
    body_html,
    colophon_text,
    copyright_page_html,
    geometry_css,
    head_html,
    read_stylesheets,
    roles_of,
    structured_transform,
    title_page_html,
    toc_html,
)
from handbook_build.render.pdf_merge import Blank, Bookmark, Chunk, Link, PageInfo
from handbook_build.typography import paged_break_points

__all__ = [
    "CHUNK_DIR",
    "BookLayout",
    "ChunkStats",
    "Paged",
    "StyleSupport",
    "analyse_styles",
    "layout_book",
    "paged_for",
    "plan_groups",
    "render_reading_pdf",
]

log = logging.getLogger(__name__)

CHUNK_DIR = "chunks"
# A group: sections until about this much HTML (5-8 pages). An edit lays out its group again;
# fonts are joined by the merge, so small groups cost little more than big ones.
GROUP_CHARS = 12_000
# A run laid out in one document: memory grows with it (about 200 MiB for 280k characters,
# 140-180 pages), so a clean build lays the book out in runs of this size, one after the other.
RUN_CHARS = 280_000
# The print edition prints "see p. N" for targets anywhere: while a run is laid out the pages
# of later runs are unknown, and its groups pointing there are laid out again at the end (the
# cut between runs is placed where fewest groups point across). Fewer, longer runs cost less
# time and more memory: for the handbook, one run takes 290 MiB; two take 235 MiB and 15 % more
# time for the print edition.
PRINT_RUN_CHARS = 280_000
TITLE_PAGES = 2  # a run document: title page, blank verso, then the first section on page 3
MAX_PASSES = 4  # rounds of "lay out what is stale" before giving up on printed page numbers
TC_ATTRIBUTE = "data-hb-tc"
PLACEHOLDER = "0"  # printed for a target whose page is not known yet
PX_TO_PT = 0.75  # WeasyPrint: 72 PDF points per 96 CSS pixels


# --- what a stylesheet allows ---------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class StyleSupport:
    """Whether a cut book lays out like the whole one, and the CSS that makes it so."""

    reason: str = ""  # empty: supported
    override_css: str = ""  # target-counter rules with attr(data-hb-tc) in place
    link_selectors: tuple[str, ...] = ()  # elements whose target-counter we supply
    counter_style: str = "decimal"

    @property
    def supported(self) -> bool:
        return not self.reason


_COUNTER_NAMES = re.compile(r"(?<![-\w])counters?\(\s*([-\w]+)")
_COUNTER_PROPERTIES = re.compile(r"\bcounter-(?:reset|set|increment)\s*:\s*([^;}]*)")
_TARGET_FUNCTIONS = re.compile(r"\btarget-(?:counters|text)\s*\(")
_PAGE_NTH = re.compile(r"@page[^{]*:nth\(([^)]*)\)")
_STYLES = ("decimal", "lower-roman", "upper-roman")


def analyse_styles(css_texts: Iterable[str]) -> StyleSupport:
    """Check the edition's stylesheets and derive the override rules for ``target-counter``."""
    texts = [_without_comments(text) for text in css_texts]
    joined = "\n".join(texts)
    for name in _COUNTER_NAMES.findall(joined):
        if name not in ("page", "list-item"):
            return StyleSupport(f"counter({name}) may run across chunks")
    for value in _COUNTER_PROPERTIES.findall(joined):
        names = [token for token in value.split() if not token.lstrip("-").isdigit()]
        if any(name not in ("page", "none", "list-item") for name in names):
            return StyleSupport(f"counter-reset/set/increment '{value.strip()}' may run across "
                                "chunks")
    if "counter(pages" in joined or _TARGET_FUNCTIONS.search(joined):
        return StyleSupport("counter(pages), target-counters() or target-text() need the whole "
                            "book")
    for argument in _PAGE_NTH.findall(joined):
        if " of " not in f" {argument} ":
            return StyleSupport(f"@page :nth({argument}) counts pages of the whole document")
    overrides: list[str] = []
    selectors: list[str] = []
    styles: set[str] = set()
    for text in texts:
        for rule in tinycss2.parse_stylesheet(text, skip_comments=True, skip_whitespace=True):
            if rule.type == "at-rule" and "target-counter" in tinycss2.serialize(
                    rule.content or []):
                return StyleSupport(f"target-counter() inside @{rule.lower_at_keyword}")
            if rule.type != "qualified-rule":
                continue
            found = _target_counter_rule(rule, styles)
            if found is None:
                continue
            if isinstance(found, str):
                return StyleSupport(found)
            subject, override = found
            selectors.extend(subject)
            overrides.append(override)
    if len(styles) > 1:
        return StyleSupport(f"target-counter() with several counter styles: {sorted(styles)}")
    return StyleSupport("", "\n".join(overrides) + ("\n" if overrides else ""),
                        tuple(selectors), next(iter(styles), "decimal"))


def _without_comments(text: str) -> str:
    return re.sub(r"/\*.*?\*/", "", text, flags=re.S)


def _target_counter_rule(rule: Any, styles: set[str]) -> tuple[list[str], str] | str | None:
    """(subject selectors, override rule) for a rule whose content uses target-counter()."""
    declarations = tinycss2.parse_declaration_list(rule.content, skip_comments=True,
                                                   skip_whitespace=True)
    for declaration in declarations:
        if declaration.type != "declaration" or declaration.lower_name != "content":
            continue
        value = list(declaration.value)
        if not any(t.type == "function" and t.lower_name == "target-counter" for t in value):
            continue
        replaced = []
        for token in value:
            if token.type == "function" and token.lower_name == "target-counter":
                arguments = [a for a in token.arguments
                             if a.type not in ("whitespace", "comment")]
                parts = _split_commas(arguments)
                if (len(parts) not in (2, 3) or len(parts[0]) != 1
                        or parts[0][0].type != "function" or parts[0][0].lower_name != "attr"
                        or "href" not in tinycss2.serialize(parts[0][0].arguments)
                        or len(parts[1]) != 1 or parts[1][0].type != "ident"
                        or parts[1][0].lower_value != "page"):
                    return f"unsupported target-counter({tinycss2.serialize(token.arguments)})"
                style = parts[2][0].lower_value if len(parts) == 3 else "decimal"
                if style not in _STYLES:
                    return f"target-counter() with counter style {style}"
                styles.add(style)
                replaced.append(f"attr({TC_ATTRIBUTE})")
            else:
                replaced.append(tinycss2.serialize([token]))
        prelude = tinycss2.serialize(rule.prelude).strip()
        subjects, marked = [], []
        for selector in _split_selector_list(prelude):
            subject, pseudo = _split_pseudo(selector)
            subjects.append(subject)
            marked.append(f"{subject}[{TC_ATTRIBUTE}]{pseudo}")
        important = " !important" if declaration.important else ""
        return subjects, f"{', '.join(marked)} {{ content:{''.join(replaced)}{important}; }}"
    return None


def _split_commas(tokens: list[Any]) -> list[list[Any]]:
    parts: list[list[Any]] = [[]]
    for token in tokens:
        if token.type == "literal" and token.value == ",":
            parts.append([])
        else:
            parts[-1].append(token)
    return parts


def _split_selector_list(prelude: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for character in prelude:
        if character in "([":
            depth += 1
        elif character in ")]":
            depth -= 1
        if character == "," and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += character
    parts.append(current.strip())
    return [part for part in parts if part]


_PSEUDO_ELEMENT = re.compile(r"(::?(?:after|before|marker)|::[-\w]+)$")


def _split_pseudo(selector: str) -> tuple[str, str]:
    match = _PSEUDO_ELEMENT.search(selector)
    if match is None:
        return selector, ""
    return selector[: match.start()], match.group(1)


# --- the edition as data ---------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Paged:
    """Everything a worker needs to lay out an edition's documents (picklable)."""

    edition: str  # "pdf", "print": the cache folder
    lang: str
    head: str  # <head>...</head>: metadata and every stylesheet, as build_document makes it
    title_page: str  # the book's title page section
    front: str  # title page, copyright page and contents
    sections: tuple[str, ...]  # each section's HTML as the edition shows it
    slugs: tuple[str, ...]
    base_url: str
    roots: tuple[str, ...]
    support: StyleSupport
    repair_notes: bool = False  # the reading PDF keeps notes on their call's page (pdf.py)
    # (print-image: URL, file) of the print edition's converted pictures (print_images.py)
    image_copies: tuple[tuple[str, str], ...] = ()
    pdf_variant: str | None = None
    document_seed: str | None = None  # pod.fixed_document_id for the print file's XMP id
    salt: str = ""  # tools, code, fonts, style folder: anything else that shapes a page
    run_chars: int = RUN_CHARS
    group_chars: int = GROUP_CHARS
    # Book layout: every section opens on a right-hand page (a blank verso between chunks where
    # needed). Screen layout: on the next page, so chunks follow each other with no blank.
    recto_openings: bool = True
    tagged: bool = False  # chunks written with pdf_tags; pdf_merge joins their structure trees


def paged_for(html_book: HtmlBook, edition: PagedEdition, name: str, *,
              extra_head_css: str = "", repair_notes: bool = False,
              pdf_variant: str | None = None, document_seed: str | None = None,
              run_chars: int = RUN_CHARS) -> Paged:
    """The pieces ``document.build_document`` joins, kept apart (see ``whole_document``)."""
    manifest = html_book.manifest
    metadata = manifest.metadata
    css_texts = read_stylesheets(edition.stylesheet_paths)
    generated = geometry_css(edition.geometry, edition.font_family, edition.hyphenate,
                             edition.layout)
    head = head_html(metadata, (*css_texts, generated))
    if extra_head_css:
        # As print_pdf.py does: the edition's generated block goes last in <head>.
        head = head.replace("</head>", f"<style>\n{extra_head_css}</style>\n</head>", 1)
    colophon = colophon_text(css_texts, edition.font_family)  # as document.build_document
    identifier = metadata.identifiers.get(edition.identifier_key, "")
    title = title_page_html(metadata)
    front = (title + copyright_page_html(metadata, edition.identifier_key, identifier, colophon)
             + toc_html((section.node for section in html_book.sections), roles_of(html_book)))
    support = analyse_styles((*css_texts, generated, extra_head_css))
    transform = structured_transform(html_book, edition)
    return Paged(
        edition=name, lang=metadata.language, head=head, title_page=title, front=front,
        sections=tuple(paged_break_points(transform(section))
                       for section in html_book.sections),
        slugs=tuple(section.node.slug for section in html_book.sections),
        base_url=_directory_url(html_book.output_dir),
        roots=tuple(str(root) for root in (*manifest.allowed_roots, manifest.styles_dir)),
        support=support, repair_notes=repair_notes,
        pdf_variant=pdf_variant, document_seed=document_seed,
        salt=_salt(manifest, html_book), run_chars=run_chars,
        recto_openings=edition.layout == "book", tagged=edition.tagged,
    )


def whole_document(paged: Paged) -> str:
    """The single-pass document: what ``build_document`` gives for the same edition."""
    return (
        f'<!DOCTYPE html>\n<html lang="{escape(paged.lang)}">\n{paged.head}\n<body>\n'
        f'<div class="front-matter">\n{paged.front}</div>\n'
        f'<div class="body-matter">\n{_body(paged.sections)}</div>\n'
        "</body>\n</html>\n"
    )


def _body(sections: Sequence[str]) -> str:
    return body_html([HtmlSection(_NO_NODE, html) for html in sections])


def _directory_url(directory: Path) -> str:
    return directory.resolve().as_uri().rstrip("/") + "/"


# The code that turns a document into pages (what comes before is in the documents' text).
_CODE = ("render/chunked.py", "render/document.py", "render/pdf.py", "render/print_pdf.py",
         "render/print_transform.py", "render/print_images.py", "render/cover_pdf.py", "fetch.py",
         "svg_clean.py", "pod.py", "proof.py", "fonts.py",
         "render/weasy_notes.py", "render/weasy_note_pages.py", "render/weasy_line_end.py",
         "render/weasy_speed.py", "render/weasy_patch.py")


def _salt(manifest: Manifest, html_book: HtmlBook) -> str:
    """Everything outside the documents' text that shapes a chunk, as one hash."""
    digest = hashlib.sha256()
    digest.update(build_cache.tool_versions().encode())
    digest.update(build_cache.font_folders_state().encode())
    digest.update(__version__.encode())
    for name in _CODE:
        with contextlib.suppress(OSError):
            digest.update(name.encode() + (build_cache.PACKAGE_DIR / name).read_bytes())
    for name, path in _style_files(manifest.styles_dir):
        digest.update(f"{name}\n".encode())
        with contextlib.suppress(OSError):
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    images = sorted((asset.src, str(asset.path)) for asset in html_book.images)
    for src, image_path in images:
        digest.update(f"{src}\n".encode())
        with contextlib.suppress(OSError):
            digest.update(hashlib.sha256(Path(image_path).read_bytes()).digest())
    return digest.hexdigest()


def _style_files(folder: Path) -> Iterator[tuple[str, Path]]:
    """Regular files of the styles folder (which url() may name), never a link out of it."""
    try:
        top = folder.resolve(strict=True)
    except (OSError, RuntimeError):
        return
    for current, subfolders, files in os.walk(top):
        subfolders[:] = sorted(name for name in subfolders if not name.startswith("."))
        for name in sorted(files):
            path = Path(current) / name
            try:
                real = path.resolve(strict=True)
            except (OSError, RuntimeError):
                continue
            if real.is_file() and real.is_relative_to(top):
                yield str(path.relative_to(top)), real


# --- groups -------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Group:
    index: int
    first: int  # index of its first section
    html: str  # its sections joined as in the whole document's body
    slug: str  # id of its first section: where its pages start
    ids: frozenset[str]
    targets: tuple[str, ...]  # ids of other groups whose page number it prints (sorted)
    content_key: str  # without first folio and printed numbers


def plan_groups(sizes: Sequence[int], kinds: Sequence[str], limit: int = GROUP_CHARS
                ) -> list[range]:
    """Consecutive sections, a new group once the current one holds ``limit`` characters or a
    part opens (a part is a natural cut and keeps boundaries where edits do not move them)."""
    groups: list[range] = []
    start, size = 0, 0
    for index, (length, kind) in enumerate(zip(sizes, kinds, strict=True)):
        if index > start and (size >= limit or kind == "part"):
            groups.append(range(start, index))
            start, size = index, 0
        size += length
    if sizes:
        groups.append(range(start, len(sizes)))
    return groups


_ID = re.compile(r'\sid="([^"]+)"')
_HREF = re.compile(r'\shref="#([^"]+)"')
_A_TAG = re.compile(r"<a(?=[\s>])")


def _groups(paged: Paged, kinds: Sequence[str]) -> list[Group]:
    sizes = [len(html) for html in paged.sections]
    groups = []
    for number, span in enumerate(plan_groups(sizes, kinds, paged.group_chars)):
        htmls = list(paged.sections[span.start:span.stop])
        if span.start == 0:
            htmls[0] = f'<div class="body-start">\n{htmls[0]}\n</div>'
        html = "\n".join(htmls)
        ids = frozenset(_ID.findall(html))
        targets = tuple(sorted({t for t in _marked_targets(paged, html) if t not in ids}))
        key = _hash(paged.salt, paged.edition, paged.head, paged.title_page, html)
        groups.append(Group(number, span.start, html, paged.slugs[span.start], ids, targets, key))
    return groups


def _marked_targets(paged: Paged, html: str) -> list[str]:
    """Targets of the links in ``html`` that print a page number (a target-counter rule)."""
    return [target for target, marked in _links_marked(paged, html) if marked]


def _links_marked(paged: Paged, html: str) -> list[tuple[str, bool]]:
    """(target, prints its page number) for each <a> of ``html``, in document order."""
    if not paged.support.link_selectors or "<a" not in html:
        return [("", False)] * len(_A_TAG.findall(html))
    front = html is paged.front
    key = (paged.support.link_selectors, hashlib.sha256(html.encode()).digest() + bytes(front))
    found = _MARKED.get(key)
    if found is None:
        found = _match_links(paged.support.link_selectors, html, front)
        if len(_MARKED) > 512:
            _MARKED.clear()
        _MARKED[key] = found
    return found


_MARKED: dict[tuple[tuple[str, ...], bytes], list[tuple[str, bool]]] = {}


def _match_links(selectors: Sequence[str], html: str, front: bool) -> list[tuple[str, bool]]:
    # The HTML inside the structure of the whole document, so selectors naming ancestors
    # (.body-matter, .front-matter) match as they do there.
    inside = (f'<div class="front-matter">{html}</div><div class="body-matter"></div>' if front
              else f'<div class="front-matter"></div><div class="body-matter">{html}</div>')
    document = f"<html><body>{inside}</body></html>"
    root = lxml.html.document_fromstring(document)
    matcher = cssselect2.Matcher()
    for selector in selectors:
        for compiled in cssselect2.compile_selector_list(selector):
            matcher.add_selector(compiled, selector)
    found = []
    for element in cssselect2.ElementWrapper.from_html_root(root).iter_subtree():
        if element.local_name != "a":
            continue
        href = element.etree_element.get("href") or ""
        marked = href.startswith("#") and bool(matcher.match(element))
        found.append((href[1:], marked))
    return found


def _mark_links(paged: Paged, html: str, values: Mapping[str, str]) -> str:
    """``html`` with data-hb-tc="N" on each page-number link whose target is in ``values``."""
    if not values:
        return html
    links = _links_marked(paged, html)
    positions = [m.end() for m in _A_TAG.finditer(html)]
    if len(positions) != len(links):
        raise RenderError("chunked layout: the links of a section could not be matched; "
                          "this is a bug, please report it")
    out, last = [], 0
    for position, (target, marked) in zip(positions, links, strict=True):
        if marked and target in values:
            out.append(html[last:position])
            out.append(f' {TC_ATTRIBUTE}="{escape(values[target])}"')
            last = position
    out.append(html[last:])
    return "".join(out)


def format_counter(value: int, style: str) -> str:
    if style == "decimal" or value <= 0:
        return str(value)
    numerals = (("m", 1000), ("cm", 900), ("d", 500), ("cd", 400), ("c", 100), ("xc", 90),
                ("l", 50), ("xl", 40), ("x", 10), ("ix", 9), ("v", 5), ("iv", 4), ("i", 1))
    text = ""
    for letters, amount in numerals:
        while value >= amount:
            text += letters
            value -= amount
    return text.upper() if style == "upper-roman" else text


# --- laying out a run (in a worker) -------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class RunJob:
    groups: tuple[Group, ...]
    start: int  # folio of the first body page
    values: tuple[tuple[str, str], ...]  # printed page numbers of targets outside the run


@dataclass(frozen=True, slots=True)
class GroupChunk:
    """A group's chunk: the PDF, its pages' links/anchors/bookmarks, what shaped it."""

    data: bytes
    pages: tuple[PageInfo, ...]
    start: int
    values: tuple[tuple[str, str], ...]  # the page numbers it prints from other groups
    warnings: tuple[str, ...] = ()
    fonts: tuple[pdf_merge.FontRef, ...] = ()  # fonts the merge may join with other chunks'

    def part(self) -> Chunk:
        return Chunk(self.data, self.pages, self.fonts)

    @property
    def anchors(self) -> Iterator[tuple[str, int]]:
        """(anchor, page offset in the chunk)."""
        for offset, info in enumerate(self.pages):
            for name, _, _ in info.anchors:
                yield name, offset


@dataclass(frozen=True, slots=True)
class RunResult:
    chunks: tuple[GroupChunk, ...]
    warnings: tuple[str, ...]
    fetch_attempts: tuple[str, ...]
    fetch_refused: tuple[str, ...]
    seconds: float
    programs: dict[str, bytes] = field(default_factory=dict)  # font files, by sha256


def run_document(paged: Paged, job: RunJob, title_pages: int = TITLE_PAGES) -> str:
    """Title page, then the groups' sections; folios start at ``job.start``."""
    values = dict(job.values)
    html = "\n".join(_mark_links(paged, group.html, values) for group in job.groups)
    page_rule = (f"@page :nth({title_pages + 1}) {{ counter-reset: page {job.start}; }}\n"
                 if job.groups[0].first != 0 else "")
    if not paged.recto_openings and job.groups[0].first != 0:
        # Screen layout: a section opens on the next page, so a run's first section follows the
        # title page directly; this rule puts it on page ``title_pages + 1`` all the same.
        side = "right" if title_pages % 2 == 0 else "left"
        page_rule += f".body-matter > :first-child {{ break-before: {side}; }}\n"
    return (
        f'<!DOCTYPE html>\n<html lang="{escape(paged.lang)}">\n'
        f"{_head(paged, page_rule)}\n<body>\n"
        f'<div class="front-matter">\n{paged.title_page}</div>\n'
        f'<div class="body-matter">\n{html}\n</div>\n'
        "</body>\n</html>\n"
    )


def front_document(paged: Paged, values: Mapping[str, str]) -> str:
    front = _mark_links(paged, paged.front, values)
    return (f'<!DOCTYPE html>\n<html lang="{escape(paged.lang)}">\n{_head(paged, "")}\n'
            f'<body>\n<div class="front-matter">\n{front}</div>\n</body>\n</html>\n')


def blank_document(paged: Paged) -> str:
    """Three pages: the second is a blank verso as the edition styles it (``@page :blank``)."""
    return (f'<!DOCTYPE html>\n<html lang="{escape(paged.lang)}">\n{_head(paged, "")}\n'
            '<body>\n<div style="height: 1px"></div><div style="break-before: right; '
            'height: 1px"></div>\n</body>\n</html>\n')


def _head(paged: Paged, page_rule: str) -> str:
    extra = paged.support.override_css + page_rule
    if not extra:
        return paged.head
    return paged.head.replace("</head>", f"<style>\n{extra}</style>\n</head>", 1)


class _Renderer:
    """One process's WeasyPrint: fetcher, image cache and warnings shared by its documents."""

    def __init__(self, paged: Paged) -> None:
        from handbook_build.render.pdf import load_weasyprint

        self.weasyprint = load_weasyprint()
        self.paged = paged
        self.fetcher = _fetcher(paged)
        self.cache: dict[str, Any] = {}
        self.programs: dict[str, bytes] = {}  # whole font files by sha256
        self.font_files: dict[tuple[str, int, int], str] = {}

    def layout(self, document_html: str) -> tuple[Any, tuple[str, ...]]:
        from handbook_build.render.pdf import _CapturedWarnings

        with _CapturedWarnings() as captured:
            try:
                html = self.weasyprint.HTML(string=document_html, base_url=self.paged.base_url,
                                            url_fetcher=self.fetcher)
                document = html.render(cache=self.cache)
                if self.paged.repair_notes:
                    document = self._repair_notes(html, document)
            except RenderError:
                raise
            except Exception as error:  # WeasyPrint raises anything from deep in layout
                raise RenderError(f"WeasyPrint failed: {type(error).__name__}: {error}"
                                  ) from error
        return document, captured.messages()

    def _repair_notes(self, html: Any, document: Any) -> Any:
        """pdf.py's repair of notes evicted from their call's page, on this document."""
        from handbook_build.render.pdf import NOTE_REPAIR_PASSES, push_closing_blocks

        for _ in range(NOTE_REPAIR_PASSES):
            pushed = push_closing_blocks(html, document)
            if not any(pushed):
                break
            document = html.render(cache=self.cache)
        return document

    def write(self, document: Any, pages: Sequence[Any]
              ) -> tuple[bytes, tuple[pdf_merge.FontRef, ...]]:
        """The pages as a PDF, and the fonts in it that the merge may join across chunks."""
        from handbook_build.render.pdf import _CapturedWarnings

        options: dict[str, Any] = {}
        if self.paged.pdf_variant:
            options["pdf_variant"] = self.paged.pdf_variant
        if self.paged.tagged:
            options["pdf_tags"] = True
        if self.paged.document_seed is not None:
            from handbook_build.pod import fixed_document_id

            options["finisher"] = fixed_document_id(self.paged.document_seed)
        copied = document.copy([_bare(page) for page in pages])
        with _CapturedWarnings():
            data: bytes = copied.write_pdf(**options)
        return bytes(data), tuple(self._font_refs(copied.fonts.values()))

    def _font_refs(self, fonts: Iterable[Any]) -> Iterator[pdf_merge.FontRef]:
        return font_refs(fonts, self.font_files, self.programs)


def font_refs(fonts: Iterable[Any], files: dict[tuple[str, int, int], str],
              programs: dict[str, bytes]) -> Iterator[pdf_merge.FontRef]:
    """The fonts of a written WeasyPrint document the merge may join with other chunks': plain
    outline fonts (no bitmap, colour, variation or missing glyph), by the file they come from.
    ``files`` and ``programs`` remember the files already read (by face, by sha256)."""
    from weasyprint.text.fonts import get_hb_object_data

    for font in fonts:
        if (getattr(font, "bitmap", True) or getattr(font, "missing", True)
                or getattr(font, "used_in_forms", True)
                or "fvar" in getattr(font, "tables", ("fvar",))
                or any(getattr(font, name, None) for name in ("png", "svg", "colr"))):
            continue
        memo = (str(font.hash), int(getattr(font, "index", 0)), id(font.hb_face))
        if memo not in files:
            program = get_hb_object_data(font.hb_face)
            if not program:
                continue
            sha = hashlib.sha256(program).hexdigest()
            programs[sha] = bytes(program)
            files[memo] = sha
        yield str(font.hash), files[memo], memo[1]


def _fetcher(paged: Paged) -> Any:
    roots = tuple(Path(root) for root in paged.roots)
    if paged.image_copies:
        from handbook_build.render.print_images import copies_fetcher

        return copies_fetcher(roots, paged.image_copies)
    from handbook_build.fetch import ConfinedFetcher

    return ConfinedFetcher(roots=list(roots))


def _bare(page: Any) -> Any:
    """The page without what the merge writes for the whole book."""
    stripped = copy.copy(page)
    stripped.links = []
    stripped.anchors = {}
    stripped.bookmarks = []
    return stripped


def page_info(page: Any) -> PageInfo:
    """A WeasyPrint page's links, anchors and bookmarks in PDF user space (as it writes them)."""
    height = page.height

    def point(x: float, y: float) -> tuple[float, float]:
        return PX_TO_PT * x, PX_TO_PT * (height - y)

    links = []
    for kind, target, rectangle, _ in page.links:
        if kind in ("internal", "external"):
            x1, y1 = point(rectangle[0], rectangle[1])
            x2, y2 = point(rectangle[2], rectangle[3])
            links.append(Link(kind, str(target), (x1, y1, x2, y2)))
    anchors = tuple((str(name), *point(x, y)) for name, (x, y, _, _) in page.anchors.items())
    bookmarks = tuple(Bookmark(int(level), str(label), *point(x, y), closed=state == "closed")
                      for level, label, (x, y), state in page.bookmarks)
    return PageInfo(tuple(links), anchors, bookmarks)


_RENDERERS: dict[str, _Renderer] = {}


def _renderer(paged: Paged) -> _Renderer:
    key = _hash(paged.salt, paged.edition, paged.head, paged.base_url, *paged.roots,
                *(url + "\n" + path for url, path in paged.image_copies))
    if key not in _RENDERERS:
        _RENDERERS.clear()
        _RENDERERS[key] = _Renderer(paged)
    return _RENDERERS[key]


def layout_run(paged: Paged, job: RunJob) -> RunResult:
    """Lay out ``job``'s groups in one document and cut its pages into one chunk per group."""
    started = time.perf_counter()
    renderer = _renderer(paged)
    attempts = len(renderer.fetcher.attempts)
    refused = len(renderer.fetcher.refused)
    title_pages = TITLE_PAGES
    document, warnings = renderer.layout(run_document(paged, job, title_pages))
    firsts = _first_pages(document.pages, [group.slug for group in job.groups])
    if firsts[0] != title_pages and job.groups[0].first != 0:
        # The title page took more (or fewer) pages than expected: put the folio reset on the
        # page where the first section really starts.
        title_pages = firsts[0]
        document, warnings = renderer.layout(run_document(paged, job, title_pages))
        firsts = _first_pages(document.pages, [group.slug for group in job.groups])
    pages = document.pages
    ends = [*firsts[1:], len(pages)]
    chunks = []
    start = job.start
    values = dict(job.values)
    spans = []
    for first, end in zip(firsts, ends, strict=True):
        while end - 1 > first and pages[end - 1]._page_box.page_type.blank:
            end -= 1
        spans.append((first, end, start))
        start = next_start(start, end - first, paged.recto_openings)
    folios: dict[str, int] = {}
    for first, end, group_start in spans:
        for offset, page in enumerate(pages[first:end]):
            for name in page.anchors:
                folios.setdefault(name, group_start + offset)
    style = paged.support.counter_style
    notes = _misplaced_notes(paged, document)
    for group, (first, end, group_start) in zip(job.groups, spans, strict=True):
        used = []
        for target in group.targets:
            if target in values:
                used.append((target, values[target]))
            elif target in folios:
                used.append((target, format_counter(folios[target], style)))
        chunk_pages = pages[first:end]
        data, fonts = renderer.write(document, chunk_pages)
        chunks.append(GroupChunk(
            data=data, pages=tuple(page_info(page) for page in chunk_pages),
            start=group_start, values=tuple(used), warnings=(*warnings, *notes), fonts=fonts,
        ))
    shas = {sha for chunk in chunks for _, sha, _ in chunk.fonts}
    return RunResult(tuple(chunks), (*warnings, *notes),
                     tuple(renderer.fetcher.attempts[attempts:]),
                     tuple(renderer.fetcher.refused[refused:]), time.perf_counter() - started,
                     {sha: renderer.programs[sha] for sha in shas})


def _misplaced_notes(paged: Paged, document: Any) -> tuple[str, ...]:
    if not paged.repair_notes:
        return ()
    from handbook_build.render.pdf import _note_label, misplaced_footnotes

    return tuple(f"footnote {_note_label(element)} is not on the page of its call"
                 for _, element in misplaced_footnotes(document))


def _first_pages(pages: Sequence[Any], slugs: Sequence[str]) -> list[int]:
    wanted = {slug: None for slug in slugs}
    found: dict[str, int] = {}
    for index, page in enumerate(pages):
        for name in page.anchors:
            if name in wanted and name not in found:
                found[name] = index
    missing = [slug for slug in slugs if slug not in found]
    if missing:
        raise RenderError(f"chunked layout: section '{missing[0]}' has no page; "
                          "this is a bug, please report it")
    firsts = [found[slug] for slug in slugs]
    if firsts != sorted(firsts):
        raise RenderError("chunked layout: sections out of order; this is a bug, please report it")
    return firsts


def next_start(start: int, pages: int, recto: bool = True) -> int:
    """The folio where the next chunk opens: on a right-hand page, after a blank if needed
    (``recto``, the book layout); else on the next page."""
    return start + pages + (pages % 2 if recto else 0)


def layout_front(paged: Paged, values: tuple[tuple[str, str], ...]) -> GroupChunk:
    renderer = _renderer(paged)
    document, warnings = renderer.layout(front_document(paged, dict(values)))
    data, fonts = renderer.write(document, document.pages)
    return GroupChunk(data, tuple(page_info(page) for page in document.pages), 1, values,
                      warnings, fonts)


def layout_blank(paged: Paged) -> GroupChunk:
    renderer = _renderer(paged)
    document, _ = renderer.layout(blank_document(paged))
    if len(document.pages) != 3 or not document.pages[1]._page_box.page_type.blank:
        raise RenderError("chunked layout: the edition's blank page could not be made")
    data, _ = renderer.write(document, document.pages[1:2])
    return GroupChunk(data, (PageInfo(),), 0, ())


# --- the cache ----------------------------------------------------------------------------------

class ChunkCache:
    """``<output>/.cache/chunks/<edition>``: <key>.pdf + <key>.json, and what a group's content
    is known to need (pages, anchors) under info-<content key>.json. Every file is a
    ``cache_entry`` (atomic, its digest checked on read): a torn or foreign one reads as missing
    and is laid out and written again; the .json also holds the digest of its .pdf, so a pair
    from two different writes is refused too."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self.used: set[str] = set()

    @classmethod
    def for_edition(cls, cache_dir: Path | None, edition: str) -> ChunkCache:
        return cls(cache_dir / CHUNK_DIR / edition if cache_dir is not None else None)

    def _json(self, name: str) -> Any:
        """The JSON of entry ``name``, or None when it is missing or damaged."""
        if self.folder is None:
            return None
        data = cache_entry.read_entry(self.folder / name)
        if data is None:
            return None
        try:
            return json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return None

    def load(self, key: str) -> GroupChunk | None:
        if self.folder is None:
            return None
        meta = self._json(f"{key}.json")
        data = cache_entry.read_entry(self.folder / f"{key}.pdf")
        if meta is None or data is None:
            return None
        try:
            if hashlib.sha256(data).hexdigest() != meta["sha256"]:
                return None
            chunk = GroupChunk(
                data, tuple(pdf_merge.page_info_from_json(p) for p in meta["pages"]),
                int(meta["start"]), tuple((str(k), str(v)) for k, v in meta["values"]),
                tuple(str(w) for w in meta.get("warnings", ())),
                tuple((str(k), str(h), int(i)) for k, h, i in meta.get("fonts", ())),
            )
        except (ValueError, KeyError, TypeError, AttributeError):
            return None
        self._use(f"{key}.json", f"{key}.pdf")
        return chunk

    def store(self, key: str, chunk: GroupChunk, content_key: str | None = None) -> None:
        if self.folder is None:
            return
        meta = {
            "sha256": hashlib.sha256(chunk.data).hexdigest(),
            "pages": [pdf_merge.page_info_to_json(info) for info in chunk.pages],
            "start": chunk.start, "values": [list(v) for v in chunk.values],
            "warnings": list(chunk.warnings), "fonts": [list(f) for f in chunk.fonts],
        }
        cache_entry.write_entry(self.folder / f"{key}.pdf", chunk.data)
        cache_entry.write_entry(self.folder / f"{key}.json", json.dumps(meta).encode())
        self._use(f"{key}.json", f"{key}.pdf")
        if content_key is not None:
            info = {"pages": len(chunk.pages), "anchors": list(chunk.anchors)}
            cache_entry.write_entry(self.folder / f"info-{content_key}.json",
                                    json.dumps(info).encode())
            self._use(f"info-{content_key}.json")

    def info(self, content_key: str) -> tuple[int, list[tuple[str, int]]] | None:
        """(page count, anchors with page offsets) of a group laid out before."""
        raw = self._json(f"info-{content_key}.json")
        if raw is None:
            return None
        try:
            result = int(raw["pages"]), [(str(a), int(o)) for a, o in raw["anchors"]]
        except (ValueError, KeyError, TypeError):
            return None
        self._use(f"info-{content_key}.json")
        return result

    def store_font(self, sha: str, program: bytes) -> None:
        """A whole font file the chunks were cut from (shared by the editions' caches); its
        name is its digest, checked on read."""
        if self.folder is not None:
            path = self.folder.parent / "fonts" / f"{sha}.font"
            if self.font(sha) is None:
                cache_entry.write_raw(path, program)
            with contextlib.suppress(OSError):
                os.utime(path)

    def font(self, sha: str) -> bytes | None:
        if self.folder is None:
            return None
        path = self.folder.parent / "fonts" / f"{sha}.font"
        try:
            program = path.read_bytes() if path.is_file() else b""
        except OSError:
            return None
        return program if hashlib.sha256(program).hexdigest() == sha else None

    def load_blob(self, key: str) -> bytes | None:
        """A cached byte string (a cover, a proof sheet)."""
        if self.folder is None:
            return None
        data = cache_entry.read_entry(self.folder / f"{key}.bin")
        if data is not None:
            self._use(f"{key}.bin")
        return data

    def store_blob(self, key: str, data: bytes) -> None:
        if self.folder is not None:
            cache_entry.write_entry(self.folder / f"{key}.bin", data)
            self._use(f"{key}.bin")

    def load_map(self) -> dict[str, int]:
        raw = self._json("pagemap.json")
        try:
            return {str(k): int(v) for k, v in raw.items()} if raw is not None else {}
        except (ValueError, AttributeError, TypeError):
            return {}

    def store_map(self, folios: Mapping[str, int]) -> None:
        if self.folder is not None:
            cache_entry.write_entry(self.folder / "pagemap.json",
                                    json.dumps(dict(folios)).encode())
            self._use("pagemap.json")

    def _use(self, *names: str) -> None:
        self.used.update(names)
        if self.folder is not None:
            for name in names:
                with contextlib.suppress(OSError):
                    os.utime(self.folder / name)

    def prune(self, keep_factor: int = 3) -> None:
        """Drop the least recently used files beyond ``keep_factor`` x what this build used."""
        if self.folder is None:
            return
        try:
            spare = [p for p in self.folder.iterdir() if p.name not in self.used]
        except OSError:
            return
        allowed = (keep_factor - 1) * max(len(self.used), 1)
        if len(spare) <= allowed:
            return
        spare.sort(key=_mtime)
        for path in spare[: len(spare) - allowed]:
            with contextlib.suppress(OSError):
                path.unlink()


def _mtime(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except OSError:  # removed meanwhile (another build pruning the same folder)
        return 0


def _hash(*parts: str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode("utf-8"))
        digest.update(b"\0")
    return digest.hexdigest()


def chunk_key(paged: Paged, group: Group, start: int, values: Iterable[tuple[str, str]]) -> str:
    return _hash(group.content_key, str(start), *(f"{k}={v}" for k, v in sorted(values)))


# --- the book ------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class ChunkStats:
    groups: int
    reused: int  # chunks taken from the cache
    laid_out: int  # groups laid out in this build
    runs: int  # WeasyPrint documents laid out for the body
    passes: int


@dataclass(frozen=True, slots=True)
class BookLayout:
    """The merged parts of an edition, before the merge (the print edition pads them)."""

    parts: tuple[Chunk | Blank, ...]
    page_count: int
    folios: dict[str, int]  # anchor -> page counter value
    warnings: tuple[str, ...]
    fetch_attempts: tuple[str, ...]
    fetch_refused: tuple[str, ...]
    stats: ChunkStats
    blank: GroupChunk | None = None
    programs: Callable[[str], bytes | None] | None = None  # font files for the merge

    def merge(self, *, links: bool = True, seed: bytes = b"") -> bytes:
        return pdf_merge.merge(self.parts, links=links, seed=seed,
                               font_programs=self.programs)


RunFunction = Callable[[Paged, Sequence[RunJob]], list[RunResult]]


def layout_book(paged: Paged, kinds: Sequence[str], cache: ChunkCache, jobs: int = 2,
                run_jobs: RunFunction | None = None) -> BookLayout:
    """Lay out (or take from the cache) every chunk of ``paged`` and return the parts to merge."""
    if not paged.support.supported:
        raise RenderError(f"chunked layout not possible: {paged.support.reason}")
    groups = _groups(paged, kinds)
    runner = run_jobs or (lambda p, batch: _run_jobs(p, batch, jobs))
    style = paged.support.counter_style
    guess = cache.load_map()
    warnings: list[str] = []
    attempts: list[str] = []
    refused: list[str] = []
    programs: dict[str, bytes] = {}  # font files met in this build
    owners = {anchor: group.index for group in reversed(groups) for anchor in group.ids}
    chunks: list[GroupChunk | None] = [None] * len(groups)
    laid_out, runs, reused = 0, 0, 0
    passes = 0
    final: dict[str, int] = {}
    front: GroupChunk | None = None
    front_reused = False
    for passes in range(1, MAX_PASSES + 1):  # noqa: B007 - reported in the stats
        chunks = [None] * len(groups)
        deferred: list[tuple[int, int]] = []  # (group, start): page count known, lay out later
        folios = dict(guess)
        learned: set[str] = set()
        index, start = 0, 1
        while index < len(groups):
            group = groups[index]
            values = _values(group, folios, style)
            key = chunk_key(paged, group, start, values)
            hit = cache.load(key)
            if hit is not None:
                chunks[index] = hit
                reused += 1
                _learn(folios, hit.anchors, start, learned)
                start = next_start(start, len(hit.pages), paged.recto_openings)
                index += 1
                continue
            known = cache.info(group.content_key)
            if known is not None:
                deferred.append((index, start))
                _learn(folios, known[1], start, learned)
                start = next_start(start, known[0], paged.recto_openings)
                index += 1
                continue
            # Never laid out: lay it out now, with the following unknown groups as one run.
            stop = _run_stop(groups, index, paged.run_chars, owners,
                             lambda g: cache.info(g.content_key) is None)
            run = groups[index:stop]
            job = RunJob(tuple(run), start, _outside_values(run, folios, style))
            (result,) = runner(paged, [job])
            runs += 1
            laid_out += len(run)
            _collect(result, warnings, attempts, refused, programs, cache)
            for group_here, chunk in zip(run, result.chunks, strict=True):
                chunks[group_here.index] = chunk
                _learn(folios, chunk.anchors, chunk.start, learned)
                cache.store(chunk_key(paged, group_here, chunk.start, chunk.values), chunk,
                            group_here.content_key)
            last = result.chunks[-1]
            start = next_start(last.start, len(last.pages), paged.recto_openings)
            index = stop
        if deferred:
            pieces = _deferred_runs(deferred, groups, jobs, paged.run_chars)
            batch = [RunJob(tuple(groups[i] for i, _ in piece), piece[0][1],
                            _outside_values([groups[i] for i, _ in piece], folios, style))
                     for piece in pieces]
            results = runner(paged, batch)
            runs += len(batch)
            laid_out += len(deferred)
            for piece, result in zip(pieces, results, strict=True):
                _collect(result, warnings, attempts, refused, programs, cache)
                for (i, _), chunk in zip(piece, result.chunks, strict=True):
                    chunks[i] = chunk
                    cache.store(chunk_key(paged, groups[i], chunk.start, chunk.values), chunk,
                                groups[i].content_key)
        # The front matter last: its contents print the body's final page numbers. Its own
        # anchors are numbered from 1, like its pages.
        final = _final_folios(chunks)
        front_values = _front_values(paged, final, style)
        front_key = _hash(paged.salt, paged.edition, paged.head, "front", paged.front,
                          *(f"{k}={v}" for k, v in front_values))
        front = cache.load(front_key)
        front_reused = front is not None
        if front is None:
            front = layout_front(paged, front_values)
            cache.store(front_key, front)
            warnings.extend(front.warnings)
        for name, offset in front.anchors:
            final.setdefault(name, 1 + offset)
        stale = _stale(groups, chunks, final, style, paged.recto_openings)
        if not stale:
            break
        log.info("chunked %s: %d chunks print page numbers that moved; again", paged.edition,
                 len(stale))
        guess = final
        reused = 0
    else:
        raise RenderError(f"chunked layout of the {paged.edition} edition did not settle after "
                          f"{MAX_PASSES} passes (page numbers keep moving)")
    body = [chunk for chunk in chunks if chunk is not None]
    folios = final
    blank_key = _hash(paged.salt, paged.edition, paged.head, "blank")
    blank = cache.load(blank_key)
    if blank is None:
        blank = layout_blank(paged)
        cache.store(blank_key, blank)
    for sha, program in _renderer(paged).programs.items() if not front_reused else ():
        if sha not in programs:
            programs[sha] = program
            cache.store_font(sha, program)
    assert front is not None  # the loop ran at least once
    parts: list[Chunk | Blank] = []
    blank_chunk = blank.part()
    sequence = [front, *body]
    for position, chunk in enumerate(sequence):
        parts.append(chunk.part())
        if position < len(sequence) - 1 and len(chunk.pages) % 2 and paged.recto_openings:
            parts.append(blank_chunk)
    for chunk in body:
        warnings.extend(chunk.warnings)
    cache.store_map(folios)
    page_count = sum(len(part.pages) for part in parts if isinstance(part, Chunk))
    stats = ChunkStats(len(groups), reused, laid_out, runs, passes)
    log.info("%s: %d chunks, %d reused, %d laid out in %d documents (%d passes), front %s",
             paged.edition, stats.groups, stats.reused, stats.laid_out, stats.runs, stats.passes,
             "reused" if front_reused else "laid out")
    return BookLayout(tuple(parts), page_count, folios, tuple(dict.fromkeys(warnings)),
                      tuple(attempts), tuple(refused), stats, blank,
                      lambda sha: programs.get(sha) or cache.font(sha))


def _deferred_runs(deferred: Sequence[tuple[int, int]], groups: Sequence[Group], jobs: int,
                   limit: int) -> list[list[tuple[int, int]]]:
    """Groups to lay out again at known first folios, as runs: neighbours share a document
    (one title page and style sheet to parse, not one per group), split so that every process
    gets work and no run passes ``limit`` characters."""
    pieces: list[list[tuple[int, int]]] = []
    for item in deferred:
        if pieces and pieces[-1][-1][0] == item[0] - 1:
            pieces[-1].append(item)
        else:
            pieces.append([item])

    def size(piece: list[tuple[int, int]]) -> int:
        return sum(len(groups[i].html) for i, _ in piece)

    while True:
        longest = max(pieces, key=size)
        if len(longest) < 2 or (len(pieces) >= jobs and size(longest) <= limit):
            return pieces
        middle, running, half = 1, 0, size(longest) / 2
        for offset, (i, _) in enumerate(longest):
            running += len(groups[i].html)
            if running >= half:
                middle = max(1, min(offset + 1, len(longest) - 1))
                break
        at = pieces.index(longest)
        pieces[at:at + 1] = [longest[:middle], longest[middle:]]


def _run_stop(groups: Sequence[Group], index: int, limit: int, owners: Mapping[str, int],
              unknown: Callable[[Group], bool]) -> int:
    """Where a run of never-seen groups starting at ``index`` ends: at about ``limit``
    characters, at the cut that the fewest of its groups print page numbers across (each such
    group is laid out again once the pages after the cut are known)."""
    stop, size = index + 1, len(groups[index].html)
    while stop < len(groups) and size < limit and unknown(groups[stop]):
        size += len(groups[stop].html)
        stop += 1
    if stop == len(groups) or not unknown(groups[stop]):
        return stop
    best, fewest, size = stop, len(groups), 0
    for candidate in range(index + 1, stop + 1):
        size += len(groups[candidate - 1].html)
        if size < limit * 0.6:
            continue
        across = sum(1 for group in groups[index:candidate]
                     if any(owners.get(target, -1) >= candidate for target in group.targets))
        if across < fewest or (across == fewest and candidate > best):
            best, fewest = candidate, across
    return best


def _values(group: Group, folios: Mapping[str, int], style: str) -> tuple[tuple[str, str], ...]:
    return tuple((t, format_counter(folios[t], style)) for t in group.targets if t in folios)


def _outside_values(run: Sequence[Group], folios: Mapping[str, int], style: str
                    ) -> tuple[tuple[str, str], ...]:
    """The numbers a run prints for targets outside it; a target not placed yet gets a
    placeholder (the chunk is then stale and laid out again once the target has a page)."""
    inside = frozenset().union(*(group.ids for group in run))
    wanted = sorted({t for group in run for t in group.targets if t not in inside})
    return tuple((t, format_counter(folios[t], style) if t in folios else PLACEHOLDER)
                 for t in wanted)


def _learn(folios: dict[str, int], anchors: Iterable[tuple[str, int]], start: int,
           learned: set[str]) -> None:
    """Place a chunk's anchors: over a guess, but a name placed earlier in the book wins (a
    split element has an anchor on each of its pages; WeasyPrint keeps the first)."""
    for name, offset in anchors:
        if name not in learned:
            folios[name] = start + offset
            learned.add(name)


def _final_folios(chunks: Sequence[GroupChunk | None]) -> dict[str, int]:
    folios: dict[str, int] = {}
    for chunk in chunks:
        if chunk is not None:
            for name, offset in chunk.anchors:
                folios.setdefault(name, chunk.start + offset)
    return folios


def _stale(groups: Sequence[Group], chunks: Sequence[GroupChunk | None],
           folios: Mapping[str, int], style: str, recto: bool = True) -> list[int]:
    """Groups whose printed page numbers or first folio no longer match the book."""
    stale = []
    start = 1
    for group, chunk in zip(groups, chunks, strict=True):
        if chunk is None:
            stale.append(group.index)
            continue
        expected = _values(group, folios, style)
        if chunk.start != start or tuple(sorted(chunk.values)) != tuple(sorted(expected)):
            stale.append(group.index)
        start = next_start(start, len(chunk.pages), recto)
    return stale


def _front_values(paged: Paged, folios: Mapping[str, int], style: str
                  ) -> tuple[tuple[str, str], ...]:
    targets = sorted({t for t in _marked_targets(paged, paged.front)})
    return tuple((t, format_counter(folios[t], style)) for t in targets if t in folios)


def _collect(result: RunResult, warnings: list[str], attempts: list[str],
             refused: list[str], programs: dict[str, bytes], cache: ChunkCache) -> None:
    warnings.extend(result.warnings)
    attempts.extend(result.fetch_attempts)
    refused.extend(result.fetch_refused)
    for sha, program in result.programs.items():
        if sha not in programs:
            programs[sha] = program
            cache.store_font(sha, program)


ISOLATE_RUNS = True  # False: single runs in this process (for profiling)


def _run_jobs(paged: Paged, batch: Sequence[RunJob], jobs: int) -> list[RunResult]:
    """Lay out runs in forked processes, side by side when there are several.

    Even a single run gets its own process: a laid-out document leaves this process's memory
    fragmented when freed, so laying out run after run here would grow it with the book; a
    child returns its memory when it exits."""
    if not ISOLATE_RUNS and (len(batch) == 1 or jobs <= 1):
        return [layout_run(paged, job) for job in batch]
    from handbook_build.render.pdf import load_weasyprint

    load_weasyprint()  # imported once, here, not in every child
    context = multiprocessing.get_context("fork")
    workers = max(1, min(jobs, len(batch)))
    # Consecutive jobs in one task each, so a process keeps its fonts and images warm.
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        futures = [pool.submit(_layout_runs, paged, list(batch[i::workers]))
                   for i in range(workers)]
        by_worker = [future.result() for future in futures]
    results: list[RunResult | None] = [None] * len(batch)
    for worker, worker_results in enumerate(by_worker):
        for offset, result in enumerate(worker_results):
            results[worker + offset * workers] = result
    return [result for result in results if result is not None]


def _layout_runs(paged: Paged, batch: Sequence[RunJob]) -> list[RunResult]:
    return [layout_run(paged, job) for job in batch]


# --- the reading PDF ------------------------------------------------------------------------------

def render_reading_pdf(html_book: HtmlBook, cache_dir: Path | None, jobs: int = 2) -> Any:
    """The reading PDF (``RenderedPdf``) through cached chunks; None if its styles do not allow
    cutting (the caller then lays it out in one pass)."""
    from handbook_build.render.pdf import RenderedPdf, font_warnings, pdf_edition

    edition = pdf_edition(html_book.manifest)
    paged = paged_for(html_book, edition, "pdf", repair_notes=True)
    if not paged.support.supported:
        log.info("reading PDF in one pass: %s", paged.support.reason)
        return None
    kinds = [section.node.kind for section in html_book.sections]
    cache = ChunkCache.for_edition(cache_dir, "pdf")
    book = layout_book(paged, kinds, cache, jobs)
    data = book.merge(seed=_seed(html_book.manifest.metadata, "pdf"))
    cache.prune()
    return RenderedPdf(
        data=data, page_count=book.page_count,
        warnings=(*font_warnings(edition), *book.warnings),
        fetch_attempts=book.fetch_attempts, fetch_refused=book.fetch_refused,
    )


def _seed(metadata: Metadata, edition: str) -> bytes:
    return f"{edition}\0{metadata.identifiers.get(edition, '')}\0{metadata.title}".encode()


_NO_NODE = TocNode("chapter", "", 1, "-", 0)  # body_html only reads each section's html

__all__ += ["ChunkCache", "GroupChunk", "RunJob", "RunResult", "blank_document",
            "chunk_key", "format_counter", "front_document", "layout_run", "next_start",
            "page_info", "run_document", "whole_document"]


# --- the print edition ----------------------------------------------------------------------------

def render_print_edition(html_book: HtmlBook, cache_dir: Path | None, jobs: int = 2,
                         profile: Any = None) -> Any:
    """The print edition (``print_pdf.PrintEdition``) through cached chunks, following
    ``print_pdf.render_print`` step by step: gutter for the final page count (laid out again
    when the count needs a wider one), padding pages, a link-free file (PDF/X where the profile
    wants it), preflight, cover, proof. None when the styles do not allow cutting."""
    from handbook_build.pod import get_profile
    from handbook_build.preflight import Layout, run_preflight
    from handbook_build.proof import render_proof
    from handbook_build.render import print_pdf
    from handbook_build.render.cover_pdf import cover_geometry as cover_geometry_of
    from handbook_build.render.cover_pdf import render_cover
    from handbook_build.render.notes_plan import plan_notes
    from handbook_build.render.print_images import print_images

    manifest = html_book.manifest
    settings = manifest.print
    profile = profile or get_profile(settings.profile)
    gutter = max(settings.geometry.inner_in, profile.gutter_for(profile.min_pages))
    pictures = print_images(html_book)
    kinds = [section.node.kind for section in html_book.sections]
    seed = print_pdf._seed(manifest)
    cache = ChunkCache.for_edition(cache_dir, "print")
    passes, extra = 0, frozenset[str]()
    while True:
        passes += 1
        geometry = print_pdf.print_geometry(settings, gutter)
        notes = plan_notes(html_book.sections, settings, extra)
        paged = paged_for(
            html_book, print_pdf.print_edition(manifest, geometry, pictures.urls(), notes),
            "print", extra_head_css=print_pdf.generated_css(
                settings, profile, print_pdf.image_dpi(manifest, geometry),
                print_pdf.text_leading_pt(geometry, manifest.styles_dir)),
            pdf_variant=profile.pdf_variant, document_seed=seed, run_chars=PRINT_RUN_CHARS,
        )
        # Converted pictures are drawn from their own files and URLs (print_images.py).
        paged = dataclass_replace(paged, image_copies=pictures.copies())
        if not paged.support.supported:
            log.info("print edition in one pass: %s", paged.support.reason)
            return None
        book = layout_book(paged, kinds, cache, jobs)
        final_count = profile.padded_count(book.page_count)
        required = max(settings.geometry.inner_in, profile.gutter_for(final_count))
        wanted = extra | print_pdf.notes_for_blanks(html_book, book.folios)  # blank versos
        if (required <= gutter + 1e-9 and wanted == extra) or passes == print_pdf.MAX_LAYOUT_PASSES:
            break
        log.info("%d pages need a %.3f in gutter, laid out with %.3f; %d blank versos to fill: "
                 "again", final_count, required, gutter, len(wanted - extra))  # fmt: skip
        gutter, extra = max(gutter, required), wanted
    padding = final_count - book.page_count
    parts = list(book.parts)
    if padding:
        parts.append(_padding_chunk(paged, geometry, profile, book.page_count, padding, cache))
    pdf = pdf_merge.merge(parts, links=False, seed=seed.encode(), font_programs=book.programs)
    trim = (geometry.width_in, geometry.height_in)
    preflight = run_preflight(pdf, profile, Layout(trim, final_count, padding, gutter),
                              pictures.image_sources())
    # The cover depends on the page count, not on the pages: laid out again only when its
    # inputs change; the proof sheet only when one of the pages it shows changed.
    cover_key = _hash(paged.salt, "cover", repr(manifest.metadata), repr(profile),
                      settings.paper, repr(trim), str(final_count),
                      _file_digest(manifest.metadata.cover_image))
    cover_geometry = cover_geometry_of(manifest.metadata, profile, settings.paper, trim,
                                       final_count)
    cover_pdf = cache.load_blob(cover_key)
    if cover_pdf is None:
        cover = render_cover(manifest.metadata, profile, settings.paper, trim, final_count,
                             manifest.styles_dir, print_pdf._roots(manifest))
        cover_pdf, cover_geometry = cover.pdf, cover.geometry
        cache.store_blob(cover_key, cover_pdf)
    proof_key = _proof_key(paged.salt, parts, final_count, pdf)
    proof_png = cache.load_blob(proof_key)
    if proof_png is None:
        proof_png = render_proof(pdf)
        cache.store_blob(proof_key, proof_png)
    cache.prune()
    return print_pdf.PrintEdition(
        pdf=pdf, page_count=final_count, padding_pages=padding, gutter_in=gutter,
        preflight=preflight, cover_pdf=cover_pdf, proof_png=proof_png,
        fillable_pdf=None, spine_width_in=cover_geometry.spine_width_in,
        layout_passes=passes, warnings=book.warnings,
    )


def _file_digest(path: Path | None) -> str:
    if path is None:
        return ""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return "unreadable"


def _proof_key(salt: str, parts: Sequence[Chunk | Blank], page_count: int, pdf: bytes) -> str:
    """The proof sheet's inputs: the chunks holding the pages it shows (the first spreads and
    those of the first picture and the first footnote), and the page count."""
    from handbook_build.proof import pages_shown

    shown = pages_shown(pdf)
    digests, number = [], 1
    for part in parts:
        count = len(part.pages) if isinstance(part, Chunk) else 1
        if isinstance(part, Chunk) and any(number <= n < number + count for n in shown):
            digests.append(f"{number}:{hashlib.sha256(part.data).hexdigest()}")
        number += count
    return _hash(salt, "proof", str(page_count), *sorted(map(str, shown)), *digests)


def _padding_chunk(paged: Paged, geometry: Any, profile: Any, after: int, count: int,
                   cache: ChunkCache) -> Chunk:
    """print_pdf's padding pages (truly blank, right or left as they fall), as a chunk."""
    from handbook_build.render import print_pdf

    key = _hash(paged.salt, paged.edition, paged.head, "padding", repr(geometry),
                repr(profile), str(after % 2), str(count))
    chunk = cache.load(key)
    if chunk is None:
        pages = print_pdf._blank_pages(geometry, profile, after, count)
        renderer = _renderer(paged)
        document, _ = renderer.layout(blank_document(paged))
        data, _ = renderer.write(document, pages)
        chunk = GroupChunk(data, tuple(PageInfo() for _ in pages), 0, ())
        cache.store(key, chunk)
    return chunk.part()
