"""Book-wide labels (``collect_labels``): every target of the book, found before any chapter is
rewritten, numbered in book order when the book uses numbered references."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from handbook_build.sources.markdown_scan import mask_code
from handbook_build.sources.xrefs.syntax import (
    HEADING,
    IMAGE_LINE,
    LABEL_LINE,
    TABLE_CAPTION,
    attribute_id,
)

Kind = Literal["fig", "tbl", "sec", "other"]
KIND_NAMES = {"fig": "Figure", "tbl": "Table", "sec": "Section", "other": ""}


@dataclass(frozen=True, slots=True)
class Label:
    target: str  # the id the reference links to (without '#')
    kind: Kind
    title: str  # heading text or caption, Markdown as written
    chapter: str  # slug of the chapter holding it
    number: int | None = None


@dataclass(frozen=True, slots=True)
class Labels:
    by_name: dict[str, Label]
    numbered: bool = False  # the book uses numbered references
    documents: dict[str, tuple[str, str]] = field(default_factory=dict)  # stem -> slug, title


_QUARTO_PREFIX = re.compile(r"^(fig|tbl|sec|eq|lst)-")


_NUMBERED_USE = re.compile(r"\{numref\}`|(?<![\w@.:/])@(?:fig|tbl)-\w")


def _kind_of(name: str, construct: Kind) -> Kind:
    prefix = _QUARTO_PREFIX.match(name)
    if prefix is not None and prefix.group(1) in ("fig", "tbl", "sec"):
        return prefix.group(1)  # type: ignore[return-value]
    return construct


def collect_labels(chapters: Sequence[tuple[str, str]],
                   documents: dict[str, tuple[str, str]] | None = None) -> Labels:
    """Every label of the book, from ``(slug, text)`` pairs in book order; ``documents`` (file
    stem -> slug, title) are the targets of MyST's ``{doc}`` role."""
    numbered = any(_NUMBERED_USE.search(text) for _, text in chapters)
    found: dict[str, Label] = {}
    counters = {"fig": 0, "tbl": 0}
    numbers: dict[str, int] = {}  # target -> its number: a figure with two labels counts once
    for slug, text in chapters:
        for name, kind, title, local, first in _targets(text):
            target = slug if first else f"{slug}--{local}"
            number = None
            if numbered and kind in counters:
                if target not in numbers:
                    counters[kind] += 1
                    numbers[target] = counters[kind]
                number = numbers[target]
            found.setdefault(name, Label(target, kind, title, slug, number))
    return Labels(found, numbered, dict(documents or {}))


def _targets(text: str) -> list[tuple[str, Kind, str, str, bool]]:
    """(label, kind, title, local id, is the chapter's first heading) in text order."""
    masked = mask_code(text, " ").split("\n")
    lines = text.split("\n")
    results: list[tuple[str, Kind, str, str, bool]] = []
    pending: str | None = None
    seen_content = False
    for index, line in enumerate(masked):
        if not line.strip():
            continue
        label = LABEL_LINE.match(line)
        if label is not None:
            pending = label["label"]
            continue
        raw = lines[index]
        heading = HEADING.match(line)
        image = IMAGE_LINE.match(line)
        caption = TABLE_CAPTION.match(line)
        if heading is not None:
            ident = attribute_id(heading["attrs"])
            title = HEADING.match(raw)
            words = title["text"] if title else heading["text"]
            for name in sorted({pending, ident} - {None}):  # type: ignore[type-var]
                assert name is not None
                results.append((name, _kind_of(name, "sec"), words, name, not seen_content))
        elif image is not None:
            ident = attribute_id(image["attrs"])
            name = ident or pending
            if name is not None:
                results.append((name, _kind_of(name, "fig"), image["alt"], name, False))
                if pending is not None and ident is not None and pending != ident:
                    results.append((pending, "fig", image["alt"], ident, False))
        elif caption is not None and attribute_id(caption["attrs"]) is not None:
            ident = attribute_id(caption["attrs"])
            assert ident is not None
            results.append((ident, _kind_of(ident, "tbl"), caption["text"], ident, False))
        elif pending is not None:  # a paragraph or a table without caption: an anchor, no number
            results.append((pending, "other", pending, pending, False))
        pending = None
        seen_content = True
    return results
