"""``[book]`` and ``[site]``: the book's metadata, its cover and bibliography, how its parts and
chapters are labelled, its output stem and the site's aliases for chapters.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterable
from pathlib import Path

from handbook_build.model import Metadata, PartNumbers, ReadOnlyMapping, StructureSettings, TocNode
from handbook_build.sources.contents import display_path, slugify
from handbook_build.sources.manifest.book_files import confined_path
from handbook_build.sources.manifest.identifiers import read_identifiers
from handbook_build.sources.manifest.toml_reader import Reader, did_you_mean, toml_type

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp")
UNSET_DATE = dt.date(2000, 1, 1)  # the model's default, used only when the date is wrong
DATE_HINT = "add 'date = 2024-01-31' under [book]: every date in every output comes from it"
PART_NUMBERS: tuple[PartNumbers, ...] = ("roman", "arabic", "none")
_LANGUAGE_RE = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*$")
_STEM_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def read_structure(reader: Reader) -> StructureSettings:
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


def read_metadata(reader: Reader, root_dir: Path) -> Metadata:
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
        identifiers=ReadOnlyMapping(read_identifiers(reader)),
    )


def _read_date(reader: Reader) -> dt.date:
    value = reader.raw("book", "date")
    if value is None:
        reader.error(("book",), "book.date is missing", DATE_HINT, code="missing-date")
    elif isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        # Reproducible builds: SOURCE_DATE_EPOCH, when set, is the date every output claims.
        return source_date_epoch() or value
    return UNSET_DATE  # a value of the wrong type was reported by the schema check


def _read_language(reader: Reader) -> str:
    language = reader.text("book", "language", "en")
    if not _LANGUAGE_RE.match(language):
        reader.error(("book", "language"), f"book.language {language!r} is not a language tag",
                     'use a BCP 47 tag such as "en", "en-GB" or "es"', code="bad-value")
        return "en"
    return language


def _read_site_url(reader: Reader) -> str:
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


def read_stem(reader: Reader, title: str) -> str:
    stem = reader.text("book", "stem")
    if stem and not _STEM_RE.match(stem):
        reader.error(("book", "stem"), f"book.stem {stem!r} is not a safe file name",
                     "use letters, digits, '.', '_' and '-' only", code="bad-value")
        stem = ""
    return stem or slugify(title) or "book"


def with_cover(reader: Reader, metadata: Metadata, root_dir: Path,
                roots: tuple[Path, ...]) -> Metadata:
    from dataclasses import replace

    cover = reader.text("book", "cover")
    if not cover:
        return metadata
    path = confined_path(reader, ("book", "cover"), root_dir, cover, roots)
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


def with_bibliography(reader: Reader, metadata: Metadata, root_dir: Path,
                       roots: tuple[Path, ...]) -> Metadata:
    from dataclasses import replace

    from handbook_build.sources.citations import BIBLIOGRAPHY_SUFFIXES
    from handbook_build.sources.guard import MAX_BIBLIOGRAPHY_BYTES, input_file_problem

    name = reader.text("book", "bibliography")
    if not name:
        return metadata
    path = confined_path(reader, ("book", "bibliography"), root_dir, name, roots)
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


def read_aliases(reader: Reader, nodes: Iterable[TocNode]) -> dict[str, str]:
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
                         f"{toml_type(value)}", f'write {slug} = "chapter.md"', code="wrong-type")
        elif Path(value).name not in chapter_names:
            reader.error(key, f"site.aliases.{slug} names {value!r}, which is not a chapter of "
                         "the contents list", did_you_mean(Path(value).name, chapter_names),
                         code="bad-alias")
        else:
            aliases[slug.strip("/")] = Path(value).name
    return aliases


def source_date_epoch() -> dt.date | None:
    value = os.environ.get("SOURCE_DATE_EPOCH", "")
    if not value.isdigit():
        return None
    try:
        return dt.datetime.fromtimestamp(int(value), tz=dt.UTC).date()
    except (OverflowError, ValueError, OSError):  # beyond year 9999: not a usable date
        return None
