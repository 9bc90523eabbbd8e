"""book.toml as data: parsed with the line of every key, checked against the schema, read typed.

A wrong value is reported at its line and the default used, so one pass finds every problem.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import tomllib
from collections.abc import Iterable, Mapping

from handbook_build.sources.manifest.report import Report

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
_TOML_POSITION_RE = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")
_HEADER_RE = re.compile(r"^\s*\[\[?\s*(?P<name>[^\[\]#]+?)\s*\]\]?\s*(?:#.*)?$")
_KEY_RE = re.compile(r"""^\s*(?P<key>(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*'))*)\s*=""")  # noqa: E501
_INLINE_KEY_RE = re.compile(r"[{,]\s*([A-Za-z0-9_-]+)\s*=")


def parse_toml(text: str, report: Report) -> dict[str, object] | None:
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


def key_lines(text: str) -> dict[tuple[str, ...], int]:
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


class Reader:
    """Typed, validated access to the parsed TOML: a wrong value is reported, the default used."""

    def __init__(self, data: dict[str, object], lines: dict[tuple[str, ...], int],
                 report: Report) -> None:
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
                       f"not {value!r}", did_you_mean(value, choices), code="bad-value")
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
                           did_you_mean(name, tuple(SCHEMA), "[{}]"), code="unknown-key")
            else:
                self._check_keys(name, value)

    def _check_keys(self, section: str, table: dict[str, object]) -> None:
        known = SCHEMA[section]
        for key, value in table.items():
            if key not in known:
                self.error((section, key), f"unknown key {key!r} in [{section}]",
                           did_you_mean(key, tuple(known)), code="unknown-key")
            elif not _has_type(value, known[key]):
                kind = known[key]
                example = _EXAMPLES[kind].replace("key", key)
                self.error((section, key), f"{section}.{key} must be {_TYPE_NAMES[kind]}, not "
                           f"{toml_type(value)}", f"write it as {example}", code="wrong-type")


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


def toml_type(value: object) -> str:
    names = [(bool, "a boolean"), (int, "an integer"), (float, "a number"), (str, "a string"),
             (list, "a list"), (dict, "a table"), (dt.datetime, "a date-time"),
             (dt.date, "a date"), (dt.time, "a time")]
    if isinstance(value, list) and any(not isinstance(item, str) for item in value):
        return "a list holding other values than strings"
    return next((name for kind, name in names if type(value) is kind), "another value")


def did_you_mean(word: str, choices: Iterable[str], style: str = "{!r}") -> str:
    options = list(choices)
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    if close:
        return f"did you mean {style.format(close[0])}?"
    return "expected one of " + ", ".join(style.format(option) for option in options)
