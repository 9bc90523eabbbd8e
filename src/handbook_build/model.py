"""The frozen data that crosses stage boundaries: Manifest -> Book -> Manuscript -> HtmlBook.

Every type here is immutable (frozen dataclasses, tuples, read-only mappings) so a stage can never
change what an earlier stage produced; variants are made with ``dataclasses.replace``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

Severity = Literal["error", "warning"]
NodeKind = Literal["part", "chapter"]


class ReadOnlyMapping(Mapping[str, Any]):
    """An immutable mapping that, unlike ``MappingProxyType``, can be pickled.

    Editions render in worker processes, so everything that crosses a stage must pickle.
    """

    __slots__ = ("_items",)

    def __init__(self, items: Mapping[str, Any] | None = None) -> None:
        self._items = dict(items or {})

    def __getitem__(self, key: str) -> Any:
        return self._items[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"ReadOnlyMapping({self._items!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Mapping) and dict(self._items) == dict(other)

    def __hash__(self) -> int:
        return hash(tuple(sorted(self._items.items())))

    def __reduce__(self) -> tuple[type[ReadOnlyMapping], tuple[dict[str, Any]]]:
        return (ReadOnlyMapping, (self._items,))


def frozen_mapping(items: Mapping[str, Any] | None = None) -> Mapping[str, Any]:
    """A read-only, picklable copy of ``items`` (dataclass default factories need a callable)."""
    return ReadOnlyMapping(items)


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One problem in the input, reported like a compiler: ``path:line:col: sev: msg; hint``."""

    path: str  # as shown to the user: relative to the working directory where possible
    line: int | None
    message: str
    hint: str = ""
    severity: Severity = "error"
    code: str = "error"
    column: int | None = None
    page: int | None = None  # a built PDF's physical page (1-based), for findings on pages
    folio: str | None = None  # the number printed on that page, when it has one

    def location(self) -> str:
        if self.page is not None:
            folio = f" (folio {self.folio})" if self.folio else ""
            return f"{self.path}: p. {self.page}{folio}"
        parts = [self.path]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)

    def __str__(self) -> str:
        hint = f"; {self.hint}" if self.hint else ""
        return f"{self.location()}: {self.message}{hint}"

    def compiler_style(self) -> str:
        """``file:line:col: error|warning: message; hint [code]`` for ``check``."""
        hint = f"; {self.hint}" if self.hint else ""
        return f"{self.location()}: {self.severity}: {self.message}{hint} [{self.code}]"


@dataclass(frozen=True, slots=True)
class Metadata:
    title: str
    subtitle: str = ""
    authors: tuple[str, ...] = ()
    contributors: tuple[str, ...] = ()
    edition: str = ""
    language: str = "en"
    license: str = ""
    license_url: str = ""
    publisher: str = ""
    date: dt.date = dt.date(2000, 1, 1)
    description: str = ""
    keywords: tuple[str, ...] = ()
    series: str = ""
    series_position: str = ""
    site_url: str = ""  # links to this site become internal links
    blurb: str = ""  # back-cover text of the print cover
    cover_image: Path | None = None
    bibliography: Path | None = None  # .bib / CSL JSON / CSL YAML for citeproc (citations.py)
    # One identifier per edition: keys "epub", "print", "pdf". EPUB and print ISBNs differ.
    identifiers: Mapping[str, str] = field(default_factory=frozen_mapping)

    @property
    def timestamp(self) -> dt.datetime:
        """The moment every output claims it was made: the manifest date at midnight UTC."""
        return dt.datetime(self.date.year, self.date.month, self.date.day, tzinfo=dt.UTC)


@dataclass(frozen=True, slots=True)
class TocNode:
    """One item of the contents list, in book order: a part title or a chapter."""

    kind: NodeKind
    title: str
    depth: int  # 1..3, the nesting level in the contents list
    slug: str  # unique across the book; chapters: from the file name, parts: "part-" + title
    contents_line: int  # line in the contents file, for messages
    source_path: Path | None = None  # absolute, resolved, confined; None for parts


@dataclass(frozen=True, slots=True)
class PageGeometry:
    """A trim size and margins in inches; inner/outer are mirrored on facing pages."""

    width_in: float
    height_in: float
    top_in: float
    bottom_in: float
    inner_in: float
    outer_in: float
    font_size_pt: float = 10.5

    @property
    def size_css(self) -> str:
        return f"{self.width_in:g}in {self.height_in:g}in"


PdfLayout = Literal["screen", "book"]
PartNumbers = Literal["roman", "arabic", "none"]


@dataclass(frozen=True, slots=True)
class PdfSettings:
    trim: str = "6x9in"
    geometry: PageGeometry = PageGeometry(6.0, 9.0, 0.75, 0.8, 0.8, 0.6)
    font_family: str = "Linux Libertine O"
    hyphenate: bool = True
    # "screen": symmetric margins, every chapter on the next page, tagged; "book": rectos
    layout: PdfLayout = "screen"


@dataclass(frozen=True, slots=True)
class StructureSettings:
    """How parts and chapters are labelled in every edition (sources/structure.py)."""

    number_chapters: bool = False
    title_case: bool = True  # titles typed in capitals in the contents file shown in title case
    part_label: str = "Part"  # the word before a part's number ("Part II")
    part_numbers: PartNumbers = "roman"


NoteStyle = Literal["ruled", "dots", "blank"]
PodProfileName = Literal["none", "kdp", "lulu", "ingramspark"]


@dataclass(frozen=True, slots=True)
class PrintSettings:
    trim: str = "letter"
    geometry: PageGeometry = PageGeometry(8.5, 11.0, 0.8, 0.9, 0.75, 2.75)
    note_style: NoteStyle = "ruled"
    notes_pages: int = 1  # ruled pages after each chapter; 0 turns them off
    prompts: tuple[str, ...] = ()  # reflection prompts heading the notes pages, cycled
    blank_versos: Literal["notes", "blank"] = "notes"  # a blank verso before a recto opening
    profile: PodProfileName = "none"
    paper: Literal["white", "cream", "color"] = "white"


@dataclass(frozen=True, slots=True)
class EpubSettings:
    embed_fonts: bool = False
    nav_depth: int = 2  # heading levels the EPUB's contents list goes down to (1: chapters)


@dataclass(frozen=True, slots=True)
class Manifest:
    manifest_path: Path  # absolute
    root_dir: Path  # the folder of book.toml: the book's root
    source_dir: Path  # where chapters are looked up (may be outside root_dir, e.g. a checkout)
    allowed_roots: tuple[Path, ...]  # every file read must lie under one of these (plus styles)
    stem: str  # output file stem
    metadata: Metadata
    contents_path: Path
    nodes: tuple[TocNode, ...]
    image_dirs: tuple[Path, ...]
    styles_dir: Path
    pdf: PdfSettings = PdfSettings()
    print: PrintSettings = PrintSettings()
    epub: EpubSettings = EpubSettings()
    structure: StructureSettings = StructureSettings()
    # site slug -> chapter file name, for own-site pages whose slug differs from the file name
    site_aliases: Mapping[str, str] = field(default_factory=frozen_mapping)
    is_defaulted: bool = False  # built from a bare contents file or folder: metadata guessed
    # The manifest's own warnings: the build reports them with the others, as check does.
    warnings: tuple[Diagnostic, ...] = ()

    @property
    def chapters(self) -> tuple[TocNode, ...]:
        return tuple(node for node in self.nodes if node.kind == "chapter")


@dataclass(frozen=True, slots=True)
class ImageAsset:
    """An image the book uses: ``src`` as written in the manuscript/HTML -> the file on disk."""

    src: str  # relative POSIX path from the output folder, as it appears in <stem>.md / HTML
    path: Path  # absolute, confined
    media_type: str


@dataclass(frozen=True, slots=True)
class Chapter:
    node: TocNode
    markdown: str  # normalized body, headings shifted, ids/labels prefixed, links rewritten
    source_text: str  # the file as read (for line numbers in messages)


@dataclass(frozen=True, slots=True)
class Book:
    manifest: Manifest
    chapters: tuple[Chapter, ...]
    images: tuple[ImageAsset, ...]
    diagnostics: tuple[Diagnostic, ...]
    output_dir: Path  # where <stem>.md will be written; image srcs are relative to it


@dataclass(frozen=True, slots=True)
class Manuscript:
    book: Book
    text: str  # the whole assembled Markdown document


@dataclass(frozen=True, slots=True)
class HtmlSection:
    """One part page or chapter, as sanitized pandoc HTML (``<section>`` element, serialized)."""

    node: TocNode
    html: str
    # (level, id, text) of the headings inside a chapter, h2 and below, for TOC/nav/outline
    headings: tuple[tuple[int, str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class HtmlBook:
    manifest: Manifest
    sections: tuple[HtmlSection, ...]
    images: tuple[ImageAsset, ...]
    diagnostics: tuple[Diagnostic, ...]
    output_dir: Path
