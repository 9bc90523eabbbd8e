"""Manifest stage: takes ``book.toml`` (+ its contents list), gives a ``Manifest``; every problem
at once, as diagnostics at their lines (``ManifestError`` lists them all).

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

Modules, one job each:
    load.py           the entry points: load_manifest, validate_manifest, manifest_from_contents
    report.py         the diagnostics collected for one manifest; a file's UTF-8 text
    toml_reader.py    the TOML parsed with each key's line, the schema, typed access (Reader)
    metadata.py       [book] and [site]: metadata, cover, bibliography, structure, stem, aliases
    identifiers.py    [identifiers]: ISBNs and urn:uuids
    book_files.py     the source folder, contents file, chapters and image folders, confined
    page_settings.py  [pdf], [print], [epub]: trims, margins, font sizes, edition settings
    styles_dir.py     where the style sheets are
"""

from __future__ import annotations

from handbook_build.sources.manifest.book_files import check_chapters, confined, outside_roots_hint
from handbook_build.sources.manifest.load import (
    CONTENTS_NAMES,
    load_manifest,
    manifest_from_contents,
    validate_manifest,
)
from handbook_build.sources.manifest.metadata import IMAGE_SUFFIXES, source_date_epoch
from handbook_build.sources.manifest.page_settings import parse_length, trim_size
from handbook_build.sources.manifest.report import Report, decode_utf8, read_text
from handbook_build.sources.manifest.styles_dir import find_styles_dir
from handbook_build.sources.manifest.toml_reader import SCHEMA, parse_toml

__all__ = [
    "CONTENTS_NAMES",
    "IMAGE_SUFFIXES",
    "SCHEMA",
    "Report",
    "check_chapters",
    "confined",
    "decode_utf8",
    "find_styles_dir",
    "load_manifest",
    "manifest_from_contents",
    "outside_roots_hint",
    "parse_length",
    "parse_toml",
    "read_text",
    "source_date_epoch",
    "trim_size",
    "validate_manifest",
]
