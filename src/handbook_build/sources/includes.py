"""Includes: one chapter's ``{{#include}}``-style directives replaced by the files they name.

The first transform of a chapter (``sources``), so every later step sees the included text as if
it had been written in the chapter. Four spellings, as their tools define them:

* mdBook ``{{#include file}}`` with ``:N`` (one line), ``:A:B``, ``:A:``, ``::B`` (1-based,
  inclusive) or ``:name`` (the lines between ``ANCHOR: name`` and ``ANCHOR_END: name``); every
  line holding an anchor marker is dropped from every include, as mdBook does;
* mdBook ``{{#rustdoc_include file}}``: the same, and rustdoc's hidden lines (``# ...``) are
  dropped: mdBook hides them in the book, so a reader never sees them;
* MyST ```` ```{include} file ```` (or ``:::{include}``) with ``:start-line:``/``:end-line:``
  (0-based, end exclusive, as docutils), ``:start-after:``/``:end-before:``, ``:literal:`` and
  ``:code: lang`` (the text becomes a code block);
* Quarto ``{{< include file >}}``.

mdBook expands its directives everywhere, code blocks included (that is how listings are
written), so they are expanded here everywhere too; ``\\{{#include x}}`` stays literal text, as
in mdBook. A path is relative to the including file and must stay inside the book's folders.
Included files nest (relative to their own folder); a cycle is refused with its chain named.
Each file is ``stat``-ed before it is read and must be a regular UTF-8 file of at most
``guard.MAX_CHAPTER_BYTES``; the expanded chapter at most ``MAX_EXPANDED_BYTES``.

Errors name the line of the chapter that holds the (outermost) directive; included lines map to
that line too in later warnings (``markdown_fix.line_origins`` attributes inserted lines to the
line before them).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from handbook_build.model import Diagnostic
from handbook_build.sources.guard import MAX_CHAPTER_BYTES, input_file_problem

__all__ = ["MAX_EXPANDED_BYTES", "MAX_INCLUDE_DEPTH", "Expanded", "expand_includes"]

MAX_INCLUDE_DEPTH = 10  # mdBook's own limit
MAX_EXPANDED_BYTES = 8 * MAX_CHAPTER_BYTES

_MDBOOK = re.compile(r"(?P<escape>\\?)\{\{#(?P<kind>include|rustdoc_include)[ \t]+"
                     r"(?P<arg>[^}\n]+?)[ \t]*\}\}")
_QUARTO = re.compile(r"(?P<escape>\\?)\{\{<[ \t]*include[ \t]+(?P<arg>[^>\n]+?)[ \t]*>\}\}")
_MYST_OPEN = re.compile(r"^(?P<indent>[ \t]{0,3})(?P<fence>`{3,}|~{3,}|:{3,})[ \t]*\{include\}"
                        r"[ \t]+(?P<arg>\S[^\n]*?)[ \t]*$")
_CODE_FENCE = re.compile(r"^[ \t]{0,3}(?P<fence>`{3,}|~{3,})")
_MYST_OPTION = re.compile(r"^[ \t]*:(?P<key>[\w-]+):[ \t]*(?P<value>[^\n]*?)[ \t]*$")
_ANCHOR_LINE = re.compile(r"ANCHOR(?:_END)?:[ \t]*[\w-]+")
_ANCHOR_START = re.compile(r"ANCHOR:[ \t]*(?P<name>[\w-]+)")
_ANCHOR_END = re.compile(r"ANCHOR_END:[ \t]*(?P<name>[\w-]+)")
_RANGE = re.compile(r"^(?P<start>\d*)(?::(?P<end>\d*))?$")
_HIDDEN_RUST = re.compile(r"^[ \t]*#(?:[ \t]|$)")


@dataclass(frozen=True, slots=True)
class Expanded:
    """The chapter with its includes expanded, the problems found, and every file read."""

    text: str
    diagnostics: tuple[Diagnostic, ...] = ()
    files: tuple[Path, ...] = ()


class _IncludeError(Exception):
    """One include that cannot be done: the message and hint of its diagnostic."""

    def __init__(self, message: str, hint: str, code: str) -> None:
        super().__init__(message)
        self.message, self.hint, self.code = message, hint, code


@dataclass(slots=True)
class _Run:
    roots: tuple[Path, ...]
    shown: str
    files: list[Path] = field(default_factory=list)
    total: int = 0


def expand_includes(text: str, source: Path | None, roots: Sequence[Path],
                    shown: str) -> Expanded:
    """``text`` (the chapter ``source``, shown as ``shown``) with every include expanded."""
    if "{{" not in text and "{include}" not in text:
        return Expanded(text)  # most chapters: nothing to do, no scan
    if source is None:
        return Expanded(text)
    run = _Run(tuple(root.resolve() for root in roots), shown)
    diagnostics: list[Diagnostic] = []
    lines = text.split("\n")
    out: list[str] = []
    index = 0
    fence: list[str] = []
    while index < len(lines):
        try:
            consumed, pieces = _expand_line(lines, index, source.resolve(), (), run, fence)
        except _IncludeError as error:
            diagnostics.append(Diagnostic(shown, index + 1, error.message, error.hint,
                                          code=error.code))
            consumed, pieces = 1, [lines[index]]
        out.extend(pieces)
        index += consumed
    if not run.files:
        return Expanded(text, tuple(diagnostics))
    return Expanded("\n".join(out), tuple(diagnostics), tuple(dict.fromkeys(run.files)))


def _expand_text(text: str, path: Path, chain: tuple[Path, ...], run: _Run) -> str:
    """An included file's text with its own includes expanded (paths relative to ``path``)."""
    if "{{" not in text and "{include}" not in text:
        return text
    lines = text.split("\n")
    out: list[str] = []
    index = 0
    fence: list[str] = []
    while index < len(lines):
        consumed, pieces = _expand_line(lines, index, path, chain, run, fence)
        out.extend(pieces)
        index += consumed
    return "\n".join(out)


def _expand_line(lines: list[str], index: int, path: Path, chain: tuple[Path, ...],
                 run: _Run, fence: list[str]) -> tuple[int, list[str]]:
    """(lines consumed, lines produced) for the line at ``index`` of the file ``path``.

    ``fence`` holds the code fence open at this line, if any: a MyST directive inside a code
    block is an example of the syntax, never an include (mdBook's directives are expanded
    there, as mdBook does: that is how its listings are written).
    """
    line = lines[index]
    myst = _MYST_OPEN.match(line) if not fence else None
    if myst is not None:
        return _myst_include(lines, index, myst, path, chain, run)
    _track_fence(line, fence)
    if "{{" not in line:
        return 1, [line]
    expanded = _MDBOOK.sub(lambda m: _mdbook_include(m, path, chain, run), line)
    expanded = _QUARTO.sub(lambda m: _quarto_include(m, path, chain, run), expanded)
    return 1, expanded.split("\n")


def _track_fence(line: str, fence: list[str]) -> None:
    opener = _CODE_FENCE.match(line)
    if opener is None:
        return
    mark = opener["fence"]
    if not fence:
        fence.append(mark)
    elif mark[0] == fence[0][0] and len(mark) >= len(fence[0]) and not line.strip().strip(
            mark[0]):
        fence.clear()


def _mdbook_include(match: re.Match[str], path: Path, chain: tuple[Path, ...],
                    run: _Run) -> str:
    if match["escape"]:
        return match.group(0)[1:]  # \{{#include x}} is the directive's text, as in mdBook
    argument = match["arg"].strip()
    name, selector = _split_selector(argument)
    target, text = _read(name, path, chain, run)
    lines = text.split("\n")
    if selector is not None:
        lines = _select(lines, selector, name)
    lines = [line for line in lines if _ANCHOR_LINE.search(line) is None]
    if match["kind"] == "rustdoc_include":
        lines = [line for line in lines if _HIDDEN_RUST.match(line) is None]
    return _expand_text("\n".join(lines), target, (*chain, path), run)


def _quarto_include(match: re.Match[str], path: Path, chain: tuple[Path, ...],
                    run: _Run) -> str:
    if match["escape"]:
        return match.group(0)[1:]
    name = match["arg"].strip().strip("\"'")
    target, text = _read(name, path, chain, run)
    return _expand_text(text, target, (*chain, path), run)


def _split_selector(argument: str) -> tuple[str, str | None]:
    """``file.rs:2:5`` -> (``file.rs``, ``2:5``); ``file.rs:name`` -> (``file.rs``, ``name``)."""
    name, colon, selector = argument.partition(":")
    if not colon:
        return argument, None
    return name.strip(), selector.strip()


def _select(lines: list[str], selector: str, name: str) -> list[str]:
    """The lines ``selector`` names: a 1-based inclusive range, one line, or an anchor."""
    bounds = _RANGE.match(selector)
    if bounds is None:
        return _anchored(lines, selector, name)
    start = int(bounds["start"]) if bounds["start"] else 1
    end = len(lines) if bounds["end"] == "" else int(bounds["end"] or start)  # ":5": line 5
    return lines[max(start, 1) - 1:end]


def _anchored(lines: list[str], anchor: str, name: str) -> list[str]:
    for begin, line in enumerate(lines):
        start = _ANCHOR_START.search(line)
        if start is None or start["name"] != anchor:
            continue
        for end in range(begin + 1, len(lines)):
            finish = _ANCHOR_END.search(lines[end])
            if finish is not None and finish["name"] == anchor:
                return lines[begin + 1:end]
        return lines[begin + 1:]  # mdBook: an anchor never closed runs to the end of the file
    raise _IncludeError(f"included file {name} has no anchor {anchor!r}",
                        f"add '// ANCHOR: {anchor}' and '// ANCHOR_END: {anchor}' lines to "
                        "it, or fix the name", "include-anchor-missing")


def _myst_include(lines: list[str], index: int, opener: re.Match[str], path: Path,
                  chain: tuple[Path, ...], run: _Run) -> tuple[int, list[str]]:
    fence = opener["fence"]
    options: dict[str, str] = {}
    end = index + 1
    while end < len(lines):
        stripped = lines[end].strip()
        if stripped.startswith(fence[0] * len(fence)) and not stripped.strip(fence[0]):
            break
        option = _MYST_OPTION.match(lines[end])
        if option is not None:
            options[option["key"]] = option["value"]
        end += 1
    consumed = end - index + 1 if end < len(lines) else end - index
    name = opener["arg"].strip().strip("\"'")
    target, text = _read(name, path, chain, run)
    included = _myst_slice(text, options, name)
    indent = opener["indent"]
    if "literal" in options or "code" in options:
        language = options.get("code", "").split()[0] if options.get("code", "").strip() else ""
        ticks = "`" * max(3, _longest_backticks(included) + 1)
        body = [f"{indent}{ticks}{language}", *included.split("\n"), f"{indent}{ticks}"]
        return consumed, body
    return consumed, _expand_text(included, target, (*chain, path), run).split("\n")


def _myst_slice(text: str, options: dict[str, str], name: str) -> str:
    lines = text.split("\n")
    try:
        start = int(options.get("start-line", "0") or 0)
        stop = int(options["end-line"]) if options.get("end-line", "").strip() else None
    except ValueError:
        raise _IncludeError(f"the include of {name} has a :start-line: or :end-line: that is "
                            "not a number", "write a whole number of lines",
                            "include-bad-option") from None
    lines = lines[start:stop]
    selected = "\n".join(lines)
    after = options.get("start-after")
    if after:
        position = selected.find(after)
        if position < 0:
            raise _IncludeError(f"included file {name} does not contain {after!r} "
                                "(:start-after:)", "fix the text or the option",
                                "include-anchor-missing")
        selected = selected[position + len(after):].removeprefix("\n")
    before = options.get("end-before")
    if before:
        position = selected.find(before)
        if position < 0:
            raise _IncludeError(f"included file {name} does not contain {before!r} "
                                "(:end-before:)", "fix the text or the option",
                                "include-anchor-missing")
        selected = selected[:position]
    return selected.rstrip("\n")


def _longest_backticks(text: str) -> int:
    runs = re.findall(r"`+", text)
    return max((len(run) for run in runs), default=0)


def _read(name: str, including: Path, chain: tuple[Path, ...], run: _Run) -> tuple[Path, str]:
    """The resolved path and text of the file ``name`` included from ``including``."""
    if not name:
        raise _IncludeError("an include names no file", "write the file after the directive",
                            "include-missing")
    candidate = including.parent / name
    missing = _IncludeError(f"included file {name} not found",
                            f"the path is relative to {including.name}'s folder; check it",
                            "include-missing")
    try:
        target = candidate.resolve(strict=True)
    except (OSError, RuntimeError):
        raise missing from None
    if not any(target.is_relative_to(root) for root in run.roots):
        raise _IncludeError(f"included file {name} lies outside the book's folders ({target})",
                            "keep included files inside the book", "include-outside-root")
    if target in chain or target == including:
        names = " -> ".join(p.name for p in (*chain, including, target))
        raise _IncludeError(f"include cycle: {names}", "remove one of the includes",
                            "include-cycle")
    if len(chain) >= MAX_INCLUDE_DEPTH:
        raise _IncludeError(f"includes nest more than {MAX_INCLUDE_DEPTH} deep at {name}",
                            "include fewer levels", "include-too-deep")
    problem = input_file_problem(target, MAX_CHAPTER_BYTES)  # stat first: a FIFO never blocks
    if problem is not None:
        raise _IncludeError(f"included file {name} {problem}", "include a text file",
                            "include-unusable")
    run.total += target.stat().st_size
    if run.total > MAX_EXPANDED_BYTES:
        raise _IncludeError(f"the includes of {run.shown} add up to more than "
                            f"{MAX_EXPANDED_BYTES // (1024 * 1024)} MiB",
                            "include less, or split the chapter", "include-too-large")
    try:
        data = target.read_bytes()
    except OSError as error:
        raise _IncludeError(f"included file {name} cannot be read ({error.strerror})",
                            "check its permissions", "include-unusable") from None
    if b"\x00" in data:
        raise _IncludeError(f"included file {name} contains a NUL byte: it is not a text file",
                            "include a text file", "include-unusable")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise _IncludeError(f"included file {name} is not valid UTF-8", "save it as UTF-8",
                            "include-unusable") from None
    run.files.append(target)
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    return target, text.removesuffix("\n")
