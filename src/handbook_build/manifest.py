"""Manifest stage: ``book.toml`` (+ its contents list) -> ``Manifest``, every problem at once.

The schema (also in docs/manifest.md). ``source`` and ``cover`` are relative to the folder of
book.toml; the other ``[contents]`` paths are relative to ``source``. Lengths take in/mm/cm/pt.

    [book]          title (required), date (required TOML date, e.g. 2024-01-31: every date in
                    every output comes from it), subtitle, authors = [..], contributors = [..],
                    edition, language ("en"), license, license_url, publisher, description,
                    keywords = [..], series, series_position, site_url, blurb (back cover),
                    cover (image file), stem (output file stem; default: slug of the title)
    [identifiers]   epub, print, pdf: an ISBN or "urn:uuid:..."; no two editions share one
    [contents]      file ("contents.md"), source (folder of chapters and contents file; may use
                    ${VAR} / ${VAR:-default}; the source_dir argument overrides it), chapters
                    (subfolder of source holding the chapter files; default: the contents
                    file's folder), images = [..] (folders where local copies of images live)
    [site]          url (same as book.site_url), aliases = { site-slug = "chapter.md", .. }
    [pdf]           trim ("6x9in" | "5.5x8.5in" | "a5" | "a4" | "letter" | "WxH" in/mm/cm),
                    margins = { top, bottom, inner, outer }, font_size ("10.5pt"),
                    font_family, hyphenate (true)
    [print]         trim ("letter"), margins, font_size (default: fitted to the text block),
                    note_style ("ruled" | "dots" | "blank"), notes_pages (int >= 0, default 1),
                    prompts = [..], blank_versos ("notes" | "blank"),
                    profile ("none" | "kdp" | "lulu" | "ingramspark"),
                    paper ("white" | "cream" | "color")
    [epub]          embed_fonts (false), nav_depth (2: chapters and their sections)

Relative chapter links in the contents list resolve against the chapters folder; full URLs name
a chapter by their last path segment. Every file the book reads must lie under the folder of
book.toml or the source folder, after symlinks are resolved.
"""

from __future__ import annotations

import datetime as dt
import difflib
import logging
import os
import re
import tomllib
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

from handbook_build.contents import ContentsResult, display_path, parse_contents, slugify
from handbook_build.display import bases_for, use_book
from handbook_build.errors import ManifestError, MissingToolError, fail_on_errors
from handbook_build.guard import (
    MAX_CHAPTER_BYTES,
    MAX_MANIFEST_BYTES,
    check_chapter_size,
    file_kind,
    input_file_problem,
    system_folder,
)
from handbook_build.model import (
    Diagnostic,
    EpubSettings,
    Manifest,
    Metadata,
    NoteStyle,
    PageGeometry,
    PartNumbers,
    PdfLayout,
    PdfSettings,
    PodProfileName,
    PrintSettings,
    ReadOnlyMapping,
    Severity,
    StructureSettings,
    TocNode,
)
from handbook_build.structure import titled_nodes

logger = logging.getLogger(__name__)

CONTENTS_NAMES = ("README.md", "SUMMARY.md", "contents.md")  # looked up in a bare folder
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp")
UNSET_DATE = dt.date(2000, 1, 1)  # the model's default, used only when the date is wrong
DATE_HINT = "add 'date = 2024-01-31' under [book]: every date in every output comes from it"

_STR, _STRS, _DATE, _INT, _BOOL, _TABLE = "str", "strs", "date", "int", "bool", "table"
_SCALAR = "scalar"  # a string or a number: "10.5pt" or 10.5, "2" or 2
SCHEMA: Mapping[str, Mapping[str, str]] = {
    "book": {
        "title": _STR, "subtitle": _STR, "authors": _STRS, "contributors": _STRS,
        "edition": _STR, "language": _STR, "license": _STR, "license_url": _STR,
        "publisher": _STR, "date": _DATE, "description": _STR, "keywords": _STRS,
        "series": _STR, "series_position": _SCALAR, "site_url": _STR, "blurb": _STR,
        "cover": _STR, "stem": _STR, "bibliography": _STR, "number_chapters": _BOOL,
        "title_case": _BOOL, "part_label": _STR, "part_numbers": _STR,
    },
    "identifiers": {"epub": _STR, "print": _STR, "pdf": _STR},
    "contents": {"file": _STR, "source": _STR, "chapters": _STR, "images": _STRS},
    "site": {"url": _STR, "aliases": _TABLE},
    "pdf": {
        "trim": _STR, "margins": _TABLE, "font_size": _SCALAR, "font_family": _STR,
        "hyphenate": _BOOL, "layout": _STR,
    },
    "print": {
        "trim": _STR, "margins": _TABLE, "font_size": _SCALAR, "note_style": _STR,
        "notes_pages": _INT, "prompts": _STRS, "blank_versos": _STR, "profile": _STR,
        "paper": _STR,
    },
    "epub": {"embed_fonts": _BOOL, "nav_depth": _INT},
}
_TYPE_NAMES = {
    _STR: "a string", _STRS: "a list of strings", _DATE: "a date", _INT: "an integer",
    _BOOL: "true or false", _TABLE: "a table", _SCALAR: "a string or a number",
}
_EXAMPLES = {
    _STR: 'key = "text"', _STRS: 'key = ["one", "two"]', _DATE: "key = 2024-01-31",
    _INT: "key = 1", _BOOL: "key = true", _TABLE: "key = { name = \"value\" }",
    _SCALAR: 'key = "2"',
}
MARGIN_KEYS = ("top", "bottom", "inner", "outer")
NOTE_STYLES: tuple[NoteStyle, ...] = ("ruled", "dots", "blank")
PROFILES: tuple[PodProfileName, ...] = ("none", "kdp", "lulu", "ingramspark")
PDF_LAYOUTS: tuple[PdfLayout, ...] = ("screen", "book")
PART_NUMBERS: tuple[PartNumbers, ...] = ("roman", "arabic", "none")
Paper = Literal["white", "cream", "color"]
PAPERS: tuple[Paper, ...] = ("white", "cream", "color")

_UNITS_IN = {"in": 1.0, "mm": 1 / 25.4, "cm": 1 / 2.54, "pt": 1 / 72}
_NAMED_TRIMS = {
    "6x9in": (6.0, 9.0), "5.5x8.5in": (5.5, 8.5), "letter": (8.5, 11.0),
    "a5": (148 / 25.4, 210 / 25.4), "a4": (210 / 25.4, 297 / 25.4),
}
_TRIM_RE = re.compile(r"^(\d+(?:\.\d+)?)x(\d+(?:\.\d+)?)(in|mm|cm)$")
_LENGTH_RE = re.compile(r"^(\d+(?:\.\d+)?)\s*(in|mm|cm|pt)$")
_ENV_RE = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::-(?P<default>[^}]*))?\}")
_LANGUAGE_RE = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*$")
_STEM_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_TOML_POSITION_RE = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")
_HEADER_RE = re.compile(r"^\s*\[\[?\s*(?P<name>[^\[\]#]+?)\s*\]\]?\s*(?:#.*)?$")
_KEY_RE = re.compile(r"""^\s*(?P<key>(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*'))*)\s*=""")  # noqa: E501
_INLINE_KEY_RE = re.compile(r"[{,]\s*([A-Za-z0-9_-]+)\s*=")


# --- public entry points ----------------------------------------------------------------------


def load_manifest(path: Path, source_dir: Path | None = None) -> Manifest:
    """Read and validate ``book.toml``; raise ``ManifestError`` listing every problem.

    ``path`` may also be the folder holding book.toml. ``source_dir`` overrides
    ``[contents] source``. Warnings are logged; ``validate_manifest`` returns them instead.
    """
    manifest, diagnostics = validate_manifest(path, source_dir)
    return _accept(manifest, diagnostics)


def validate_manifest(
    path: Path, source_dir: Path | None = None
) -> tuple[Manifest | None, tuple[Diagnostic, ...]]:
    """Everything ``load_manifest`` checks, as diagnostics (for ``check``); None on any error."""
    manifest_path = path.resolve() / "book.toml" if path.is_dir() else path.resolve()
    # Messages name files relative to the book (display.py), from the first one on.
    use_book(manifest_path.parent, None, find_styles_dir().parent)
    report = _Report(display_path(manifest_path))
    text = _read_text(manifest_path, report)
    data = _parse_toml(text, report) if text is not None else None
    if data is None or text is None:
        return None, report.finish()
    reader = _Reader(data, _key_lines(text), report)
    manifest = _build_manifest(reader, manifest_path, source_dir)
    diagnostics = report.finish()
    has_errors = any(d.severity == "error" for d in diagnostics)
    return (None if has_errors else manifest), diagnostics


def manifest_from_contents(path: Path) -> Manifest:
    """A defaulted manifest for a bare contents file, or a folder holding one.

    The folder may hold README.md, SUMMARY.md or contents.md (first found). The title is the
    contents file's first ``#`` heading, else the folder name; the date comes from
    SOURCE_DATE_EPOCH when set. ``is_defaulted`` is True: the caller should warn.
    """
    contents_path = _find_contents_file(path.resolve())
    root_dir = contents_path.parent
    if system_folder(root_dir):
        raise ManifestError(f"{display_path(path)}: {root_dir} is a system folder, not a "
                            "book; give the folder that holds the book's chapters")
    use_book(*bases_for(root_dir, root_dir, (), find_styles_dir()))
    report = _Report(display_path(contents_path))
    roots = (root_dir,)
    result = _read_contents(contents_path, root_dir, report)
    if result is not None:
        check_chapters(result.nodes, contents_path, roots, report)
    title = (result.title if result else "") or root_dir.name
    nodes = titled_nodes(result.nodes, True, contents_path, report.extend) if result else ()
    manifest = Manifest(
        manifest_path=contents_path, root_dir=root_dir, source_dir=root_dir,
        allowed_roots=roots, stem=slugify(title) or "book",
        metadata=Metadata(title=title, date=_source_date_epoch() or UNSET_DATE,
                          identifiers=ReadOnlyMapping()),
        contents_path=contents_path, nodes=nodes, image_dirs=(),
        styles_dir=find_styles_dir(), site_aliases=ReadOnlyMapping(), is_defaulted=True,
    )
    return _accept(manifest, report.finish())


def find_styles_dir() -> Path:
    """The project's ``styles/`` folder, else the copy packaged with the code."""
    package_dir = Path(__file__).parent
    candidates = (package_dir.parents[1] / "styles", package_dir / "data" / "styles",
                  package_dir / "styles")
    for candidate in candidates:
        if candidate.is_dir():
            return candidate.resolve()
    looked = ", ".join(str(candidate) for candidate in candidates)
    raise MissingToolError(f"the style sheets are missing (looked in {looked}); "
                           "reinstall handbook-build")


def _accept(manifest: Manifest | None, diagnostics: tuple[Diagnostic, ...]) -> Manifest:
    fail_on_errors(diagnostics, ManifestError)
    if manifest is None:  # unreachable: a missing manifest always comes with an error
        raise ManifestError("the manifest could not be read")
    # Kept on the manifest, not logged: the build lists them with its own, in one format.
    warnings = tuple(d for d in diagnostics if d.severity == "warning")
    return replace(manifest, warnings=warnings) if warnings else manifest


def _find_contents_file(path: Path) -> Path:
    if path.is_file():
        return path
    if path.is_dir():
        for name in CONTENTS_NAMES:
            if (path / name).is_file():
                return path / name
        names = ", ".join(CONTENTS_NAMES)
        raise ManifestError(f"{display_path(path)}: no contents file; add one of {names}")
    raise ManifestError(f"{display_path(path)}: no such file or folder")


def _source_date_epoch() -> dt.date | None:
    value = os.environ.get("SOURCE_DATE_EPOCH", "")
    if not value.isdigit():
        return None
    try:
        return dt.datetime.fromtimestamp(int(value), tz=dt.UTC).date()
    except (OverflowError, ValueError, OSError):  # beyond year 9999: not a usable date
        return None


# --- collecting diagnostics -------------------------------------------------------------------


@dataclass(slots=True)
class _Report:
    """Diagnostics collected for one manifest; ``shown`` is book.toml as the user sees it."""

    shown: str
    items: list[Diagnostic] = field(default_factory=list)

    def add(self, path: str, line: int | None, message: str, hint: str = "", code: str = "error",
            severity: Severity = "error", column: int | None = None) -> None:
        self.items.append(Diagnostic(path, line, message, hint, severity, code, column))

    def extend(self, diagnostics: Iterable[Diagnostic]) -> None:
        self.items.extend(diagnostics)

    def finish(self) -> tuple[Diagnostic, ...]:
        # Keep files in the order they were first reported, lines in order within each file.
        order = {path: index for index, path in reversed(list(enumerate(
            d.path for d in self.items)))}
        return tuple(sorted(self.items, key=lambda d: (order[d.path], d.line or 0)))


def _read_text(path: Path, report: _Report) -> str | None:
    """The UTF-8 text of ``path``, or None with a diagnostic pointing at the first bad byte."""
    shown = display_path(path)
    problem = input_file_problem(path, MAX_MANIFEST_BYTES)  # stat first: a FIFO never blocks
    if problem is not None and problem != "does not exist":
        report.add(shown, None, f"the file {problem}", "give a UTF-8 text file",
                   code="unreadable")
        return None
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        report.add(shown, None, "no such file", "give the path of a book.toml or a contents file",
                   code="missing-file")
        return None
    except OSError as error:
        report.add(shown, None, f"cannot be read: {error.strerror}", code="unreadable")
        return None
    return decode_utf8(data, shown, report)


def decode_utf8(data: bytes, shown: str, report: _Report) -> str | None:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        column = error.start - (data.rfind(b"\n", 0, error.start) + 1) + 1
        report.add(shown, line, f"the file is not valid UTF-8 (byte 0x{data[error.start]:02x})",
                   "save the file as UTF-8", code="not-utf8", column=column)
        return None


def _parse_toml(text: str, report: _Report) -> dict[str, object] | None:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        message = str(error)
        match = _TOML_POSITION_RE.search(message)
        line = int(match.group(1)) if match else max(1, text.count("\n") + 1)
        column = int(match.group(2)) if match else None
        problem = _TOML_POSITION_RE.sub("", message).removesuffix(" (at end of document)")
        report.add(report.shown, line, f"not valid TOML: {problem}",
                   "see https://toml.io; strings need quotes, dates do not", code="toml-syntax",
                   column=column)
        return None


def _key_lines(text: str) -> dict[tuple[str, ...], int]:
    """Line of every table header and key (tomllib keeps no positions), first occurrence wins."""
    lines: dict[tuple[str, ...], int] = {}
    table: tuple[str, ...] = ()
    in_multiline = ""
    for number, line in enumerate(text.split("\n"), start=1):
        if in_multiline:
            if line.count(in_multiline) % 2 == 1:
                in_multiline = ""
            continue
        header = _HEADER_RE.match(line)
        key = None if header else _KEY_RE.match(line)
        if header:
            table = _split_key(header.group("name"))
            lines.setdefault(table, number)
        elif key:
            path = (*table, *_split_key(key.group("key")))
            lines.setdefault(path, number)
            for inner in _INLINE_KEY_RE.findall(line[key.end() :]):
                lines.setdefault((*path, inner), number)
        for quotes in ('"""', "'''"):
            if line.count(quotes) % 2 == 1:
                in_multiline = quotes
    return lines


def _split_key(key: str) -> tuple[str, ...]:
    # Split on dots outside quotes: 'site."a.b"' is two keys.
    parts = re.split(r"""\.(?=(?:[^"']|"[^"]*"|'[^']*')*$)""", key)
    return tuple(part.strip().strip("\"'") for part in parts)


# --- typed access to the TOML data ------------------------------------------------------------


class _Reader:
    """Typed, validated access to the parsed TOML: a wrong value is reported, the default used."""

    def __init__(self, data: dict[str, object], lines: dict[tuple[str, ...], int],
                 report: _Report) -> None:
        self.data = data
        self.lines = lines
        self.report = report

    def line(self, *path: str) -> int | None:
        for end in range(len(path), 0, -1):
            if path[:end] in self.lines:
                return self.lines[path[:end]]
        return None

    def error(self, path: tuple[str, ...], message: str, hint: str = "",
              code: str = "error") -> None:
        self.report.add(self.report.shown, self.line(*path), message, hint, code)

    def warn(self, path: tuple[str, ...], message: str, hint: str = "", code: str = "") -> None:
        self.report.add(self.report.shown, self.line(*path), message, hint, code, "warning")

    def section(self, name: str) -> dict[str, object]:
        value = self.data.get(name, {})
        return value if isinstance(value, dict) else {}

    def raw(self, section: str, key: str) -> object | None:
        return self.section(section).get(key)

    def text(self, section: str, key: str, default: str = "") -> str:
        value = self.raw(section, key)
        return value.strip() if isinstance(value, str) else default

    def texts(self, section: str, key: str) -> tuple[str, ...]:
        value = self.raw(section, key)
        if not isinstance(value, list):
            return ()
        return tuple(item.strip() for item in value if isinstance(item, str))

    def choice(self, section: str, key: str, choices: tuple[str, ...], default: str) -> str:
        value = self.text(section, key, default)
        if value not in choices:
            self.error((section, key), f"{section}.{key} must be one of {', '.join(choices)}, "
                       f"not {value!r}", _did_you_mean(value, choices), code="bad-value")
            return default
        return value

    def check_schema(self) -> None:
        """Unknown sections and keys (with a "did you mean"), and values of the wrong type."""
        for name, value in self.data.items():
            if not isinstance(value, dict):
                homes = [f"[{section}]" for section, keys in SCHEMA.items() if name in keys]
                hint = f"move it under {' or '.join(homes)}" if homes else "remove it"
                self.error((name,), f"key {name!r} is outside any section", hint,
                           code="unknown-key")
            elif name not in SCHEMA:
                self.error((name,), f"unknown section [{name}]",
                           _did_you_mean(name, tuple(SCHEMA), "[{}]"), code="unknown-key")
            else:
                self._check_keys(name, value)

    def _check_keys(self, section: str, table: dict[str, object]) -> None:
        known = SCHEMA[section]
        for key, value in table.items():
            if key not in known:
                self.error((section, key), f"unknown key {key!r} in [{section}]",
                           _did_you_mean(key, tuple(known)), code="unknown-key")
            elif not _has_type(value, known[key]):
                kind = known[key]
                example = _EXAMPLES[kind].replace("key", key)
                self.error((section, key), f"{section}.{key} must be {_TYPE_NAMES[kind]}, not "
                           f"{_toml_type(value)}", f"write it as {example}", code="wrong-type")


def _has_type(value: object, kind: str) -> bool:
    if kind == _STR:
        return isinstance(value, str)
    if kind == _STRS:
        return isinstance(value, list) and all(isinstance(item, str) for item in value)
    if kind == _DATE:  # a datetime is a date subclass, but "the day of publication" is a date
        return isinstance(value, dt.date) and not isinstance(value, dt.datetime)
    if kind == _INT:
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == _BOOL:
        return isinstance(value, bool)
    if kind == _TABLE:
        return isinstance(value, dict)
    return isinstance(value, str | int | float) and not isinstance(value, bool)


def _toml_type(value: object) -> str:
    names = [(bool, "a boolean"), (int, "an integer"), (float, "a number"), (str, "a string"),
             (list, "a list"), (dict, "a table"), (dt.datetime, "a date-time"),
             (dt.date, "a date"), (dt.time, "a time")]
    if isinstance(value, list) and any(not isinstance(item, str) for item in value):
        return "a list holding other values than strings"
    return next((name for kind, name in names if type(value) is kind), "another value")


def _did_you_mean(word: str, choices: Iterable[str], style: str = "{!r}") -> str:
    options = list(choices)
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    if close:
        return f"did you mean {style.format(close[0])}?"
    return "expected one of " + ", ".join(style.format(option) for option in options)


# --- the manifest -----------------------------------------------------------------------------


def _build_manifest(reader: _Reader, manifest_path: Path, source_override: Path | None
                    ) -> Manifest | None:
    reader.check_schema()
    root_dir = manifest_path.parent
    metadata = _read_metadata(reader, root_dir)
    pdf, print_settings, epub = _read_pdf(reader), _read_print(reader), _read_epub(reader)
    source_dir = _read_source_dir(reader, root_dir, source_override)
    if source_dir is None:
        return None
    roots = tuple(dict.fromkeys((root_dir, source_dir)))
    use_book(*bases_for(root_dir, source_dir, (), find_styles_dir()))
    metadata = _with_cover(reader, metadata, root_dir, roots)
    metadata = _with_bibliography(reader, metadata, root_dir, roots)
    paths = _read_contents_paths(reader, source_dir, roots)
    if paths is None:
        return None
    contents_path, chapters_dir, image_dirs = paths
    result = _read_contents(contents_path, chapters_dir, reader.report)
    if result is None:
        return None
    check_chapters(result.nodes, contents_path, roots, reader.report)
    aliases = _read_aliases(reader, result.nodes)
    structure = _read_structure(reader)
    nodes = titled_nodes(result.nodes, structure.title_case, contents_path, reader.report.extend)
    return Manifest(
        manifest_path=manifest_path, root_dir=root_dir, source_dir=source_dir,
        allowed_roots=roots, stem=_read_stem(reader, metadata.title), metadata=metadata,
        contents_path=contents_path, nodes=nodes, image_dirs=image_dirs,
        styles_dir=find_styles_dir(), pdf=pdf, print=print_settings, epub=epub,
        structure=structure, site_aliases=ReadOnlyMapping(aliases),
    )


def _read_structure(reader: _Reader) -> StructureSettings:
    """``[book] number_chapters``, ``title_case``, ``part_label``, ``part_numbers``."""
    defaults = StructureSettings()
    number = reader.raw("book", "number_chapters")
    title_case = reader.raw("book", "title_case")
    numbers = reader.choice("book", "part_numbers", PART_NUMBERS, defaults.part_numbers)
    return StructureSettings(
        number_chapters=number if isinstance(number, bool) else defaults.number_chapters,
        title_case=title_case if isinstance(title_case, bool) else defaults.title_case,
        part_label=reader.text("book", "part_label", defaults.part_label),
        part_numbers=next(value for value in PART_NUMBERS if value == numbers),
    )


def _read_metadata(reader: _Reader, root_dir: Path) -> Metadata:
    title = reader.text("book", "title")
    raw_title = reader.raw("book", "title")
    if raw_title is None:
        reader.error(("book",), "book.title is missing", 'add title = "..." under [book]',
                     code="missing-key")
    elif isinstance(raw_title, str) and not title:
        reader.error(("book", "title"), "book.title is empty", "give the book a title",
                     code="missing-key")
    position = reader.raw("book", "series_position")
    return Metadata(
        title=title or "Untitled", subtitle=reader.text("book", "subtitle"),
        authors=reader.texts("book", "authors"),
        contributors=reader.texts("book", "contributors"),
        edition=reader.text("book", "edition"), language=_read_language(reader),
        license=reader.text("book", "license"), license_url=reader.text("book", "license_url"),
        publisher=reader.text("book", "publisher"), date=_read_date(reader),
        description=reader.text("book", "description"),
        keywords=reader.texts("book", "keywords"), series=reader.text("book", "series"),
        series_position="" if position is None else str(position),
        site_url=_read_site_url(reader), blurb=reader.text("book", "blurb"),
        identifiers=ReadOnlyMapping(_read_identifiers(reader)),
    )


def _read_date(reader: _Reader) -> dt.date:
    value = reader.raw("book", "date")
    if value is None:
        reader.error(("book",), "book.date is missing", DATE_HINT, code="missing-date")
    elif isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        # Reproducible builds: SOURCE_DATE_EPOCH, when set, is the date every output claims.
        return _source_date_epoch() or value
    return UNSET_DATE  # a value of the wrong type was reported by the schema check


def _read_language(reader: _Reader) -> str:
    language = reader.text("book", "language", "en")
    if not _LANGUAGE_RE.match(language):
        reader.error(("book", "language"), f"book.language {language!r} is not a language tag",
                     'use a BCP 47 tag such as "en", "en-GB" or "es"', code="bad-value")
        return "en"
    return language


def _read_site_url(reader: _Reader) -> str:
    book_url, site_url = reader.text("book", "site_url"), reader.text("site", "url")
    if book_url and site_url and book_url.rstrip("/") != site_url.rstrip("/"):
        reader.error(("site", "url"), f"site.url {site_url!r} differs from book.site_url "
                     f"{book_url!r}", "give the site's address once", code="conflict")
    url = book_url or site_url
    key = ("book", "site_url") if book_url else ("site", "url")
    if url and not re.match(r"^https?://[^/\s]+", url):
        reader.error(key, f"{'.'.join(key)} {url!r} is not an http(s) address",
                     'write it as "https://example.org"', code="bad-value")
        return ""
    return url


def _read_stem(reader: _Reader, title: str) -> str:
    stem = reader.text("book", "stem")
    if stem and not _STEM_RE.match(stem):
        reader.error(("book", "stem"), f"book.stem {stem!r} is not a safe file name",
                     "use letters, digits, '.', '_' and '-' only", code="bad-value")
        stem = ""
    return stem or slugify(title) or "book"


def _with_cover(reader: _Reader, metadata: Metadata, root_dir: Path,
                roots: tuple[Path, ...]) -> Metadata:
    from dataclasses import replace

    cover = reader.text("book", "cover")
    if not cover:
        return metadata
    path = _confined_path(reader, ("book", "cover"), root_dir, cover, roots)
    if path is None:
        return metadata
    if not path.is_file():
        reader.error(("book", "cover"), f"book.cover {cover!r} does not exist",
                     f"looked for {display_path(path)}", code="missing-file")
    elif path.suffix.lower() not in IMAGE_SUFFIXES:
        reader.error(("book", "cover"), f"book.cover {cover!r} is not an image",
                     f"use one of {', '.join(IMAGE_SUFFIXES)}", code="bad-value")
    else:
        return replace(metadata, cover_image=path)
    return metadata


def _with_bibliography(reader: _Reader, metadata: Metadata, root_dir: Path,
                       roots: tuple[Path, ...]) -> Metadata:
    from dataclasses import replace

    from handbook_build.citations import BIBLIOGRAPHY_SUFFIXES
    from handbook_build.guard import MAX_BIBLIOGRAPHY_BYTES, input_file_problem

    name = reader.text("book", "bibliography")
    if not name:
        return metadata
    path = _confined_path(reader, ("book", "bibliography"), root_dir, name, roots)
    if path is None:
        return metadata
    problem = input_file_problem(path, MAX_BIBLIOGRAPHY_BYTES)
    if problem is not None:
        reader.error(("book", "bibliography"), f"book.bibliography {name!r} {problem}",
                     f"looked for {display_path(path)}", code="missing-file")
    elif path.suffix.lower() not in BIBLIOGRAPHY_SUFFIXES:
        reader.error(("book", "bibliography"), f"book.bibliography {name!r} is not a "
                     "bibliography file", f"use one of {', '.join(BIBLIOGRAPHY_SUFFIXES)} "
                     "(BibTeX, CSL JSON or CSL YAML)", code="bad-value")
    else:
        return replace(metadata, bibliography=path)
    return metadata


# --- identifiers ------------------------------------------------------------------------------


def _read_identifiers(reader: _Reader) -> dict[str, str]:
    identifiers = {key: reader.text("identifiers", key) for key in SCHEMA["identifiers"]}
    identifiers = {key: value for key, value in identifiers.items() if value}
    for key, value in identifiers.items():
        if _identifier_key(value) is None:
            reader.error(("identifiers", key), f"identifiers.{key} {value!r} is neither an ISBN "
                         "nor a urn:uuid", 'write "978-..." (with a valid check digit) or '
                         '"urn:uuid:" followed by a UUID', code="bad-identifier")
    seen: dict[str, str] = {}
    for key, value in identifiers.items():
        normal = _identifier_key(value) or value
        if normal in seen:
            reader.error(("identifiers", key), f"identifiers.{key} is the same as "
                         f"identifiers.{seen[normal]} ({value})",
                         "each edition needs its own ISBN or UUID", code="identifier-collision")
        seen.setdefault(normal, key)
    return identifiers


def _identifier_key(value: str) -> str | None:
    """A canonical form of an ISBN or urn:uuid (to compare them), or None if it is neither."""
    lowered = value.strip().lower()
    if lowered.startswith("urn:uuid:"):
        try:
            return f"urn:uuid:{uuid.UUID(lowered.removeprefix('urn:uuid:'))}"
        except ValueError:
            return None
    digits = re.sub(r"[\s-]", "", lowered.removeprefix("urn:isbn:").removeprefix("isbn"))
    digits = digits.lstrip(":")
    return f"isbn:{digits}" if _is_isbn(digits) else None


def _is_isbn(digits: str) -> bool:
    if re.fullmatch(r"97[89]\d{10}", digits):
        total = sum(int(d) * (1 if i % 2 == 0 else 3) for i, d in enumerate(digits))
        return total % 10 == 0
    if re.fullmatch(r"\d{9}[\dx]", digits):
        values = [10 if d == "x" else int(d) for d in digits]
        return sum(v * (10 - i) for i, v in enumerate(values)) % 11 == 0
    return False


# --- where the files are ----------------------------------------------------------------------


def _read_source_dir(reader: _Reader, root_dir: Path, override: Path | None) -> Path | None:
    """The source folder: the override, else ``[contents] source`` (env-expanded), else root."""
    if override is not None:
        if not override.is_dir():
            reader.report.add(display_path(override), None, "the source folder does not exist",
                              code="missing-folder")
            return None
        if system_folder(override):
            reader.report.add(display_path(override), None, "the source folder is a system "
                              f"folder ({override.resolve()})", "give the folder that holds "
                              "the book's chapters", code="system-folder")
            return None
        return override.resolve()
    raw = reader.text("contents", "source")
    if not raw:
        return root_dir
    expanded = _expand_environment(reader, raw)
    if expanded is None:
        return None
    path = _resolved(root_dir / expanded)
    if path is None:
        reader.error(("contents", "source"), f"contents.source {expanded!r} is a symbolic link "
                     "loop", "point the link at a real folder", code="symlink-loop")
        return None
    if not path.is_dir():
        reader.error(("contents", "source"), f"contents.source folder {expanded!r} does not "
                     "exist", f"looked for {display_path(path)}; fix the path or set the "
                     "variable it names", code="missing-folder")
        return None
    if system_folder(path):
        reader.error(("contents", "source"), f'source = "{raw}" is a system folder ({path})',
                     "point it at the folder that holds the book's chapters",
                     code="system-folder")
        return None
    return path


def _expand_environment(reader: _Reader, raw: str) -> str | None:
    missing: list[str] = []

    def substitute(match: re.Match[str]) -> str:
        value = os.environ.get(match.group("name"), "")
        if value:
            return value
        if match.group("default") is None:
            missing.append(match.group("name"))
        return match.group("default") or ""

    expanded = _ENV_RE.sub(substitute, raw)
    for name in missing:
        reader.error(("contents", "source"), f"contents.source uses ${{{name}}}, which is not "
                     "set", f"set {name} or give a default: ${{{name}:-../folder}}",
                     code="missing-variable")
    return None if missing else expanded


def _confined_path(reader: _Reader, key: tuple[str, ...], base_dir: Path, relative: str,
                   roots: tuple[Path, ...]) -> Path | None:
    """``base_dir / relative`` resolved, or None with an error if it leaves the book's roots."""
    path = _resolved(base_dir / relative)
    if path is None:
        reader.error(key, f"{'.'.join(key)} {relative!r} is a symbolic link loop",
                     "point the link at a real file or folder", code="symlink-loop")
        return None
    if confined(path, roots):
        return path
    reader.error(key, f"{'.'.join(key)} {relative!r} leaves the book's folders",
                 outside_roots_hint(roots), code="outside-root")
    return None


def confined(path: Path, roots: Iterable[Path]) -> bool:
    """Whether the resolved ``path`` lies under one of ``roots`` (symlinks already followed)."""
    resolved = _resolved(path)
    return resolved is not None and any(resolved.is_relative_to(root) for root in roots)


def _resolved(path: Path) -> Path | None:
    """``path.resolve()``, or None for a symlink loop (pathlib raises RuntimeError for one)."""
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return None


def outside_roots_hint(roots: Iterable[Path]) -> str:
    names = [display_path(root) for root in roots]
    shown = " or ".join("the folder of book.toml" if name == "." else name for name in names)
    return f"keep the book's files under {shown}"


def _read_contents_paths(reader: _Reader, source_dir: Path, roots: tuple[Path, ...]
                         ) -> tuple[Path, Path, tuple[Path, ...]] | None:
    """The contents file, the chapters folder and the image folders, confined and existing."""
    file_name = reader.text("contents", "file", "contents.md")
    contents_path = _confined_path(reader, ("contents", "file"), source_dir, file_name, roots)
    if contents_path is not None and not contents_path.is_file():
        reader.error(("contents", "file") if reader.raw("contents", "file") else ("contents",),
                     f"contents file {file_name!r} does not exist",
                     f"looked for {display_path(contents_path)}; set [contents] file",
                     code="missing-file")
        contents_path = None
    chapters_dir = _existing_dir(reader, ("contents", "chapters"), source_dir, roots,
                                 reader.text("contents", "chapters"))
    image_dirs = tuple(
        path for name in reader.texts("contents", "images")
        if (path := _existing_dir(reader, ("contents", "images"), source_dir, roots, name))
    )
    if contents_path is None or (reader.text("contents", "chapters") and chapters_dir is None):
        return None
    return contents_path, chapters_dir or contents_path.parent, image_dirs


def _existing_dir(reader: _Reader, key: tuple[str, ...], source_dir: Path,
                  roots: tuple[Path, ...], name: str) -> Path | None:
    if not name:
        return None
    path = _confined_path(reader, key, source_dir, name, roots)
    if path is not None and not path.is_dir():
        reader.error(key, f"{'.'.join(key)} folder {name!r} does not exist",
                     f"looked for {display_path(path)}", code="missing-folder")
        return None
    if path is not None and system_folder(path):
        reader.error(key, f'{key[-1]} = "{name}" is a system folder ({path})',
                     "point it at a folder of the book", code="system-folder")
        return None
    return path


def _read_contents(contents_path: Path, chapters_dir: Path, report: _Report
                   ) -> ContentsResult | None:
    shown = display_path(contents_path)
    text = _read_text(contents_path, report)
    if text is None:
        return None
    result = parse_contents(text, contents_path=contents_path, chapters_dir=chapters_dir)
    report.extend(result.diagnostics)
    if not any(node.kind == "chapter" for node in result.nodes):
        if not any(d.severity == "error" for d in result.diagnostics):
            report.add(shown, 1, "the contents list links to no chapter", code="empty-contents")
        return None  # a book without chapters cannot be checked any further
    return result


def check_chapters(nodes: Iterable[TocNode], contents_path: Path, roots: tuple[Path, ...],
                   report: _Report) -> None:
    """Each chapter file: under a root, existing, UTF-8. Reported at its line of the contents."""
    shown = display_path(contents_path)
    for node in nodes:
        path = node.source_path
        if path is None:
            continue
        if not confined(path, roots):
            report.add(shown, node.contents_line, f"chapter {path.name} leaves the book's "
                       f"folders (it is {path})", outside_roots_hint(roots), code="outside-root")
        else:
            _check_chapter_file(path, node, shown, report)


def _check_chapter_file(path: Path, node: TocNode, shown: str, report: _Report) -> None:
    """A chapter file: stat-ed first, so a FIFO, a device or a 2 GB file is never read."""
    name = display_path(path)
    try:
        status = path.stat()
    except OSError:
        report.add(shown, node.contents_line, f"chapter file {name} does not exist",
                   _closest_chapter_hint(path), code="missing-chapter")
        return
    kind = file_kind(status.st_mode)
    if kind is not None:
        report.add(shown, node.contents_line, f"chapter file {name} is {kind}, not a regular "
                   "file", "list a Markdown file", code="not-a-file")
        return
    if status.st_size > MAX_CHAPTER_BYTES:
        too_large = check_chapter_size(status.st_size, name)  # at the chapter, as sources says
        report.extend([too_large] if too_large is not None else [])
        return
    try:
        decode_utf8(path.read_bytes(), name, report)
    except OSError as error:
        report.add(shown, node.contents_line, f"chapter file {name} cannot be read: "
                   f"{error.strerror}", code="unreadable")


def _closest_chapter_hint(path: Path) -> str:
    if not path.parent.is_dir():
        return f"the folder {display_path(path.parent)} does not exist"
    names = sorted(candidate.name for candidate in path.parent.glob("*.md"))
    close = difflib.get_close_matches(path.name, names, n=1, cutoff=0.6)
    if close:
        return f"did you mean {close[0]}?"
    return f"no similar .md file in {display_path(path.parent)}"


def _read_aliases(reader: _Reader, nodes: Iterable[TocNode]) -> dict[str, str]:
    """``[site] aliases``: site slug -> chapter file name; each must name a listed chapter."""
    table = reader.raw("site", "aliases")
    if not isinstance(table, dict):
        return {}
    chapter_names = [node.source_path.name for node in nodes if node.source_path is not None]
    aliases: dict[str, str] = {}
    for slug, value in table.items():
        key = ("site", "aliases", slug)
        if not isinstance(value, str):
            reader.error(key, f"site.aliases.{slug} must be a chapter file name, not "
                         f"{_toml_type(value)}", f'write {slug} = "chapter.md"', code="wrong-type")
        elif Path(value).name not in chapter_names:
            reader.error(key, f"site.aliases.{slug} names {value!r}, which is not a chapter of "
                         "the contents list", _did_you_mean(Path(value).name, chapter_names),
                         code="bad-alias")
        else:
            aliases[slug.strip("/")] = Path(value).name
    return aliases


# --- page geometry and edition settings -------------------------------------------------------


def _read_pdf(reader: _Reader) -> PdfSettings:
    defaults = PdfSettings()
    trim, size = _read_trim(reader, "pdf", defaults.trim)
    font_size = _read_font_size(reader, "pdf") or defaults.geometry.font_size_pt
    geometry = _apply_margins(reader, "pdf", _pdf_geometry(size, font_size))
    hyphenate = reader.raw("pdf", "hyphenate")
    layout = reader.choice("pdf", "layout", PDF_LAYOUTS, defaults.layout)
    return PdfSettings(
        layout=next(value for value in PDF_LAYOUTS if value == layout),
        trim=trim, geometry=geometry,
        font_family=reader.text("pdf", "font_family", defaults.font_family),
        hyphenate=hyphenate if isinstance(hyphenate, bool) else defaults.hyphenate,
    )


def _read_print(reader: _Reader) -> PrintSettings:
    defaults = PrintSettings()
    trim, size = _read_trim(reader, "print", defaults.trim)
    geometry = _apply_margins(reader, "print", _print_geometry(size, None))
    font_size = _read_font_size(reader, "print")
    if font_size is not None:
        geometry = PageGeometry(geometry.width_in, geometry.height_in, geometry.top_in,
                                geometry.bottom_in, geometry.inner_in, geometry.outer_in,
                                font_size)
    profile = reader.choice("print", "profile", PROFILES, defaults.profile)
    _check_profile(reader, profile, geometry)
    return PrintSettings(
        trim=trim, geometry=geometry,
        note_style=_note_style(reader.choice("print", "note_style", NOTE_STYLES,
                                             defaults.note_style)),
        notes_pages=_read_notes_pages(reader, defaults.notes_pages),
        prompts=reader.texts("print", "prompts"), profile=_profile(profile),
        blank_versos="blank" if reader.choice("print", "blank_versos", ("notes", "blank"),
                                              defaults.blank_versos) == "blank" else "notes",
        paper=_paper(reader.choice("print", "paper", PAPERS, defaults.paper)),
    )


def _read_epub(reader: _Reader) -> EpubSettings:
    embed = reader.raw("epub", "embed_fonts")
    depth = reader.raw("epub", "nav_depth")
    if depth is not None and not (isinstance(depth, int) and 1 <= depth <= 6):
        reader.error(("epub", "nav_depth"), f"nav_depth must be 1 to 6, not {depth!r}",
                     "1 lists the chapters, 2 adds their sections (the default), up to 6")
        depth = None
    return EpubSettings(embed_fonts=embed if isinstance(embed, bool) else False,
                        nav_depth=depth if isinstance(depth, int) else 2)


def _note_style(value: str) -> NoteStyle:
    return next(style for style in NOTE_STYLES if style == value)


def _profile(value: str) -> PodProfileName:
    return next(profile for profile in PROFILES if profile == value)


def _paper(value: str) -> Paper:
    return next(paper for paper in PAPERS if paper == value)


def _read_notes_pages(reader: _Reader, default: int) -> int:
    value = reader.raw("print", "notes_pages")
    if isinstance(value, int) and not isinstance(value, bool):
        if value >= 0:
            return value
        reader.error(("print", "notes_pages"), f"print.notes_pages must be 0 or more, not "
                     f"{value}", "0 turns the notes pages off", code="bad-value")
    return default


def _read_trim(reader: _Reader, section: str, default: str) -> tuple[str, tuple[float, float]]:
    """The trim name as written and its (width, height) in inches."""
    trim = reader.text(section, "trim", default)
    size = trim_size(trim)
    if size is None:
        reader.error((section, "trim"), f"{section}.trim {trim!r} is not a page size",
                     'use "6x9in", "5.5x8.5in", "a5", "a4", "letter" or a size such as '
                     '"7x10in" or "170x240mm"', code="bad-value")
        return default, trim_size(default) or (6.0, 9.0)
    return trim, size


def trim_size(trim: str) -> tuple[float, float] | None:
    """(width, height) in inches of a trim name or "WxH<unit>", within 3..17 inches, or None."""
    normal = re.sub(r"\s+", "", trim.lower())
    if normal in _NAMED_TRIMS:
        return _NAMED_TRIMS[normal]
    match = _TRIM_RE.match(normal)
    if not match:
        return None
    scale = _UNITS_IN[match.group(3)]
    width, height = float(match.group(1)) * scale, float(match.group(2)) * scale
    if not (3 <= width <= 17 and 3 <= height <= 17):
        return None
    return round(width, 4), round(height, 4)


def parse_length(text: str) -> float | None:
    """A length such as "0.75in", "20mm", "2cm" or "54pt" in inches, or None."""
    match = _LENGTH_RE.match(text.strip().lower())
    return float(match.group(1)) * _UNITS_IN[match.group(2)] if match else None


def _read_font_size(reader: _Reader, section: str) -> float | None:
    value = reader.raw(section, "font_size")
    if value is None:
        return None
    points: float | None = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        points = float(value)
    elif isinstance(value, str):
        inches = parse_length(value)
        points = None if inches is None else round(inches * 72, 2)
    if points is None or not 6 <= points <= 24:
        reader.error((section, "font_size"), f"{section}.font_size {value!r} is not a font size "
                     "between 6pt and 24pt", 'write it as font_size = "10.5pt"', code="bad-value")
        return None
    return points


def _pdf_geometry(size: tuple[float, float], font_size: float) -> PageGeometry:
    """Reading PDF: a text block of about 65 characters, inner:outer 4:3, margins scaled to h.

    At 6x9in and 10.5pt this gives the model's default (0.75, 0.8, 0.8, 0.6).
    """
    width, height = size
    text_width = min(width - 1.4, 4.6 * font_size / 10.5)
    side = width - text_width
    return PageGeometry(width, height, round(0.75 * height / 9, 3), round(0.8 * height / 9, 3),
                        round(side * 4 / 7, 3), round(side * 3 / 7, 3), font_size)


def _print_geometry(size: tuple[float, float], font_size: float | None) -> PageGeometry:
    """Annotatable print: a wide outer note column (2.75in at letter, narrower on smaller trims).

    The note column shrinks faster than the page so the text block keeps 60-70 characters; the
    font is fitted to that block (10.5pt at letter, about 9pt at 6x9in) unless given.
    """
    width, height = size
    scale = width / 8.5
    outer = min(3.0, max(1.25, 2.75 * scale**1.5))
    inner = max(0.625, 0.75 * scale)  # print-on-demand gutters need at least 0.5-0.625in
    text_points = (width - inner - outer) * 72
    fitted = min(10.5, max(9.0, text_points / (62 * 0.48)))  # ~0.48em per average character
    return PageGeometry(width, height, round(0.8 * height / 11, 3), round(0.9 * height / 11, 3),
                        round(inner, 3), round(outer, 3), round(font_size or fitted, 1))


def _apply_margins(reader: _Reader, section: str, geometry: PageGeometry) -> PageGeometry:
    """Margins given in ``[section] margins`` replace the defaults, one side at a time."""
    table = reader.raw(section, "margins")
    values = {side: getattr(geometry, f"{side}_in") for side in MARGIN_KEYS}
    for side, value in (table.items() if isinstance(table, dict) else ()):
        key = (section, "margins", side)
        inches = parse_length(value) if isinstance(value, str) else None
        if side not in MARGIN_KEYS:
            reader.error(key, f"unknown margin {side!r} in {section}.margins",
                         _did_you_mean(side, MARGIN_KEYS), code="unknown-key")
        elif inches is None:
            reader.error(key, f"{section}.margins.{side} {value!r} is not a length",
                         f'write it with a unit, e.g. {side} = "0.75in" or "20mm"',
                         code="bad-value")
        else:
            values[side] = round(inches, 4)
    result = PageGeometry(geometry.width_in, geometry.height_in, values["top"], values["bottom"],
                          values["inner"], values["outer"], geometry.font_size_pt)
    _check_text_block(reader, section, result)
    return result


def _check_text_block(reader: _Reader, section: str, geometry: PageGeometry) -> None:
    text_width = geometry.width_in - geometry.inner_in - geometry.outer_in
    text_height = geometry.height_in - geometry.top_in - geometry.bottom_in
    if text_width < 2 or text_height < 3:
        reader.error((section, "margins"), f"{section}.margins leave a text block of only "
                     f"{text_width:.2f}x{text_height:.2f}in", "make the margins smaller or the "
                     "trim larger (at least 2in wide and 3in tall)", code="bad-value")


def _check_profile(reader: _Reader, profile: str, geometry: PageGeometry) -> None:
    # KDP rejects interiors whose gutter is under 0.375in or whose other margins are under
    # 0.25in (no bleed), the smallest values it accepts for any page count.
    if profile != "kdp":
        return
    if geometry.inner_in < 0.375 or min(geometry.top_in, geometry.bottom_in,
                                        geometry.outer_in) < 0.25:
        reader.error(("print", "margins"), "print.margins are below KDP's minimum",
                     "KDP needs inner >= 0.375in and top, bottom, outer >= 0.25in",
                     code="pod-profile")


# --- shared with the readers of other conventions (ecosystems/) -------------------------------

Report = _Report
read_text = _read_text
parse_toml = _parse_toml
source_date_epoch = _source_date_epoch
