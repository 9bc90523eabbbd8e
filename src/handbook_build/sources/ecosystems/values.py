"""Typed reading of one entry file's mapping (YAML or TOML): text, names, dates, languages, the
cover and the bibliography; a value of the wrong shape is an error at its line."""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from handbook_build.model import Severity
from handbook_build.sources.ecosystems.yaml_lines import YamlMap
from handbook_build.sources.guard import input_file_problem
from handbook_build.sources.manifest import IMAGE_SUFFIXES, Report, confined, outside_roots_hint

_LANGUAGE_RE = re.compile(r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*$")


@dataclass(slots=True)
class Values:
    """Typed reading of one YAML (or TOML) mapping; a wrong shape is an error at its line."""

    data: Mapping[str, object]
    shown: str
    report: Report
    prefix: str = ""  # "book." in messages about _quarto.yml's book: mapping
    lines: Mapping[str, int] | None = None  # key -> line, for TOML (tomllib keeps no lines)

    def line(self, key: str) -> int | None:
        if self.lines is not None:
            return self.lines.get(key)
        data = self.data
        return data.line_of(key) if isinstance(data, YamlMap) else None

    def error(self, key: str, message: str, hint: str = "", code: str = "wrong-type") -> None:
        self.report.add(self.shown, self.line(key), message, hint, code)

    def warn(self, key: str, message: str, hint: str = "", code: str = "ignored") -> None:
        self.report.add(self.shown, self.line(key), message, hint, code, "warning")

    def text(self, key: str, default: str = "") -> str:
        value = self.data.get(key)
        if value is None:
            return default
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            return str(value).strip()
        self.error(key, f"{self.prefix}{key} must be text, not {shape(value)}",
                   f"write it as '{key}: text'")
        return default

    def table(self, key: str) -> Mapping[str, object]:
        value = self.data.get(key)
        if value is None:
            return {}
        if isinstance(value, Mapping):
            return value
        self.error(key, f"{self.prefix}{key} must be a mapping of keys, not {shape(value)}",
                   f"indent its keys under '{key}:'")
        return {}

    def names(self, key: str) -> tuple[str, ...]:
        """Authors as written by every convention: a string, a list, or {name: ...} mappings."""
        value = self.data.get(key)
        if value is None:
            return ()
        items = value if isinstance(value, list) else [value]
        names: list[str] = []
        for item in items:
            name = person_name(item)
            if name is None:
                self.error(key, f"{self.prefix}{key} holds {shape(item)}, not a name",
                           f"write '{key}: [Ada Lovelace, Grace Hopper]' or list "
                           "'- name: Ada Lovelace'")
            elif name:
                names.append(name)
        return tuple(names)

    def texts(self, key: str) -> tuple[str, ...]:
        value = self.data.get(key)
        if value is None:
            return ()
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        if isinstance(value, list) and all(isinstance(item, str) for item in value):
            return tuple(item.strip() for item in value if item.strip())
        self.error(key, f"{self.prefix}{key} must be a list of words, not {shape(value)}",
                   f"write it as '{key}: [one, two]'")
        return ()

    def date(self, key: str) -> dt.date | None:
        value = self.data.get(key)
        if value is None:
            return None
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str):
            parsed = _parse_date(value.strip())
            if parsed is not None:
                return parsed
        self.warn(key, f"{self.prefix}{key} {value!r} is not a calendar date; the editions use "
                  "SOURCE_DATE_EPOCH or 2000-01-01", f"write '{key}: 2024-01-31' so every "
                  "build gives the same date", code="bad-date")
        return None

    def language(self, key: str) -> str:
        language = self.text(key)
        if not language:
            return "en"
        if not _LANGUAGE_RE.match(language):
            self.error(key, f"{self.prefix}{key} {language!r} is not a language tag",
                       "use a BCP 47 tag such as 'en', 'en-GB' or 'es'", code="bad-value")
            return "en"
        return language.replace("_", "-")

    def cover(self, key: str, root_dir: Path) -> Path | None:
        """A cover image named by ``key``, under the book's folder; else None with a warning."""
        name = self.text(key)
        if not name:
            return None
        path = (root_dir / name).resolve()
        if not confined(path, (root_dir,)):
            self.error(key, f"{self.prefix}{key} {name!r} leaves the book's folder",
                       outside_roots_hint((root_dir,)), code="outside-root")
        elif path.suffix.lower() not in IMAGE_SUFFIXES or not path.is_file():
            self.warn(key, f"{self.prefix}{key} {name!r} is not an image file here; the "
                      "editions have no cover image", f"use one of {', '.join(IMAGE_SUFFIXES)}",
                      code="no-cover")
        else:
            return path
        return None

    def bibliography(self, key: str, root_dir: Path) -> Path | None:
        """The bibliography file ``key`` names (a name or a list whose first entry is used),
        under the book's folder and a BibTeX / CSL file; else None with an error."""
        from handbook_build.sources.citations import BIBLIOGRAPHY_SUFFIXES
        from handbook_build.sources.guard import MAX_BIBLIOGRAPHY_BYTES

        value = self.data.get(key)
        if isinstance(value, list):
            if len(value) > 1:
                self.warn(key, f"{self.prefix}{key} names {len(value)} files; only the first "
                          "is read", "merge the bibliographies into one file")
            value = value[0] if value else None
        if value is None or value == "":
            return None
        if not isinstance(value, str):
            self.error(key, f"{self.prefix}{key} should be a file name, not {shape(value)}")
            return None
        path = (root_dir / value).resolve()
        problem = input_file_problem(path, MAX_BIBLIOGRAPHY_BYTES)
        if not confined(path, (root_dir,)):
            self.error(key, f"{self.prefix}{key} {value!r} leaves the book's folder",
                       outside_roots_hint((root_dir,)), code="outside-root")
        elif problem is not None:
            self.error(key, f"{self.prefix}{key} {value!r} {problem}", "name the .bib or CSL "
                       "file beside the book's files", code="missing-file")
        elif path.suffix.lower() not in BIBLIOGRAPHY_SUFFIXES:
            self.error(key, f"{self.prefix}{key} {value!r} is not a bibliography file",
                       f"use one of {', '.join(BIBLIOGRAPHY_SUFFIXES)} (BibTeX, CSL JSON or "
                       "CSL YAML)", code="bad-value")
        else:
            return path
        return None

    def unknown(self, key: str, known: Iterable[str], where: str,
                severity: Severity = "error") -> None:
        options = sorted(known)
        close = difflib.get_close_matches(key, options, n=1, cutoff=0.6)
        hint = f"did you mean {close[0]!r}?" if close else "expected one of " + ", ".join(options)
        self.report.add(self.shown, self.line(key), f"unknown key {key!r} in {where}", hint,
                        "unknown-key", severity)


def _parse_date(text: str) -> dt.date | None:
    """``2024-01-31`` (also with a time after it) or ``1/31/2024`` (Quarto's template, US
    order); None for ``today``, ``last-modified`` and other words."""
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        pass
    match = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", text)
    if match:
        try:
            return dt.date(int(match[3]), int(match[1]), int(match[2]))
        except ValueError:
            return None
    return None


def person_name(item: object) -> str | None:
    """``"Ada"``, ``{name: Ada}``, ``{name: {given: Ada, family: Lovelace}}`` -> the name."""
    if isinstance(item, str):
        return item.strip()
    if isinstance(item, Mapping):
        name = item.get("name", item.get("literal"))
        if isinstance(name, Mapping):
            return person_name(name)
        if isinstance(name, str):
            return name.strip()
        given, family = item.get("given"), item.get("family")
        if isinstance(given, str) or isinstance(family, str):
            return " ".join(part for part in (given, family) if isinstance(part, str)).strip()
    return None


def shape(value: object) -> str:
    names = [(bool, "true/false"), (int, "a number"), (float, "a number"), (str, "text"),
             (list, "a list"), (dict, "a mapping")]
    return next((name for kind, name in names if isinstance(value, kind)), "another value")
