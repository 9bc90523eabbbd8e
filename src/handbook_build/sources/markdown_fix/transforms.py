"""What a transform returns (``Fixed``), how transforms chain, and how their lines map back.

Each transform's warnings carry lines of the text it was given; ``line_origins`` maps lines of
its output back to its input, so a chain reports every warning against the file as written.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

from handbook_build.model import Diagnostic


@dataclass(frozen=True, slots=True)
class Fixed:
    """The result of one transform: the new text and what was found on the way."""

    text: str
    diagnostics: tuple[Diagnostic, ...] = ()


def warning(path: str, line: int, code: str, message: str, hint: str = "",
             column: int | None = None) -> Diagnostic:
    return Diagnostic(path, line, message, hint, "warning", code, column)


def line_origins(before: str, after: str) -> tuple[int, ...]:
    """For each line of ``after``, the 1-based line of ``before`` it comes from.

    Transforms that keep the line count map line to line; others are matched with difflib (lines
    that were inserted are attributed to the line before them, replaced ones to the first line
    of what they replace). Works for transforms written elsewhere too (images, links).
    """
    old, new = before.split("\n"), after.split("\n")
    if len(old) == len(new):
        return tuple(range(1, len(new) + 1))
    # Only the changed middle needs matching: difflib is quadratic, and a chapter of 10,000
    # footnotes whose definitions move would take seconds. Same-line prefix and suffix are free.
    head = 0
    while head < min(len(old), len(new)) and old[head] == new[head]:
        head += 1
    tail = 0
    while (tail < min(len(old), len(new)) - head
           and old[len(old) - 1 - tail] == new[len(new) - 1 - tail]):
        tail += 1
    origins = list(range(1, head + 1))
    middle_old, middle_new = old[head:len(old) - tail], new[head:len(new) - tail]
    if middle_old:
        origins += [head + line for line in _match_lines(middle_old, middle_new)]
    else:  # pure insertion: the new lines belong to the line before them
        origins += [max(head, 1)] * len(middle_new)
    origins += [len(old) - tail + offset + 1 for offset in range(tail)]
    return tuple(origins)


_DIFF_LIMIT = 4000  # lines; beyond it, proportional mapping (approximate, but linear)


def _match_lines(old: list[str], new: list[str]) -> list[int]:
    """1-based lines of ``old`` for each line of ``new`` (relative to the changed region)."""
    if not new:
        return []
    if len(old) * len(new) > _DIFF_LIMIT * _DIFF_LIMIT // 4:
        return [1 + (j * len(old)) // len(new) for j in range(len(new))]
    origins = [1] * len(new)
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        for j in range(j1, j2):
            if tag == "equal":
                origins[j] = i1 + (j - j1) + 1
            elif tag == "replace":
                origins[j] = i1 + min(j - j1, i2 - i1 - 1) + 1
            else:  # inserted lines belong to the line before them
                origins[j] = max(i1, 1)
    return origins


def compose_origins(first: Sequence[int], second: Sequence[int]) -> tuple[int, ...]:
    """Origins through two transforms: ``second`` maps into ``first``'s output."""
    last = len(first)
    return tuple(first[min(max(line, 1), last) - 1] for line in second)


def remap_line(diagnostic: Diagnostic, origins: Sequence[int]) -> Diagnostic:
    """``diagnostic`` with its line (a line of some transform's input) moved to ``origins``."""
    if diagnostic.line is None or not origins:
        return diagnostic
    line = origins[min(max(diagnostic.line, 1), len(origins)) - 1]
    return replace(diagnostic, line=line)


def identity_origins(text: str) -> tuple[int, ...]:
    return tuple(range(1, text.count("\n") + 2))


@dataclass(frozen=True, slots=True)
class Chained:
    """The result of ``chain``: final text, diagnostics on input lines, output->input lines."""

    text: str
    diagnostics: tuple[Diagnostic, ...]
    origins: tuple[int, ...]


def chain(text: str, transforms: Iterable[Callable[[str], Fixed]],
          origins: Sequence[int] | None = None) -> Chained:
    """Run ``transforms`` in order, reporting every diagnostic against the lines of ``text``.

    ``origins`` (lines of ``text`` -> lines of an earlier text) lets chains be continued.
    """
    current = tuple(origins) if origins is not None else identity_origins(text)
    found: list[Diagnostic] = []
    for transform in transforms:
        result = transform(text)
        found.extend(remap_line(d, current) for d in result.diagnostics)
        current = compose_origins(current, line_origins(text, result.text))
        text = result.text
    return Chained(text, tuple(found), current)
