"""Manifest stage, contents list: a Markdown nested list of links -> ``TocNode``s + diagnostics.

The contents file is the form editors already keep (mdBook's ``SUMMARY.md``, the handbook's
``en-md/README.md``): an item with a link is a chapter titled by the link text, an item without a
link (plain or ``**bold**``) is a part title, and nesting gives depth 1..3. Everything that is not
a list item (headings, prose, blank lines, fenced code) is ignored. Parsing never raises: every
problem becomes a ``Diagnostic`` so the manifest can report them all at once.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from handbook_build.model import Diagnostic, TocNode

MAX_DEPTH = 3
TAB_WIDTH = 4

# The list syntax below is shared with ecosystems/summary.py (mdBook's and GitBook's SUMMARY.md).
# A bullet (-, *, + or "1." / "1)") followed by whitespace or the end of the line.
ITEM_RE = re.compile(r"^(?P<indent>[ \t]*)(?:[-*+]|\d{1,9}[.)])(?:[ \t]+(?P<text>.*))?$")
# "---", "* * *" and friends are thematic breaks, not items (CommonMark gives them priority).
BREAK_RE = re.compile(r"^[ \t]*([-*_])(?:[ \t]*\1){2,}[ \t]*$")
FENCE_RE = re.compile(r"^[ \t]*(`{3,}|~{3,})")
# [text](target): text may hold one level of brackets, target one level of parentheses. The
# target is deliberately allowed to contain spaces: the real handbook has a malformed one.
_LINK_RE = re.compile(
    r"\[(?P<text>(?:[^\[\]]|\[[^\[\]]*\])*)\]\((?P<target>(?:[^()]|\([^()]*\))*)\)"
)
_TITLE_SUFFIX_RE = re.compile(r"""^(?P<dest>\S+)\s+(?:"[^"]*"|'[^']*'|\([^()]*\))$""")
_HEADING_RE = re.compile(r"^#[ \t]+(?P<title>.+?)[ \t#]*$")
_WRAPPERS = ("**", "__", "*", "_")


@dataclass(frozen=True, slots=True)
class ContentsResult:
    """What the contents file yields: nodes in book order, problems, and its ``#`` title."""

    nodes: tuple[TocNode, ...]
    diagnostics: tuple[Diagnostic, ...]
    title: str = ""  # text of the first level-1 heading, for manifests built from a bare list


@dataclass(frozen=True, slots=True)
class ContentsItem:
    """One entry of a contents list (the readers in ecosystems/ make them too)."""

    line: int
    depth: int
    title: str
    target: str | None  # the file the link names, relative; None for a part title


def display_path(path: Path) -> str:
    """``path`` as shown to the user: relative to the book where it lies in it (display.py)."""
    from handbook_build.display import shown

    return shown(path)


def slugify(text: str) -> str:
    """Lowercase ASCII letters and digits joined by single hyphens ("" if none are left)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def chapter_slug(file_name: str) -> str:
    """The id of a chapter: its file stem slugified (``more_fun.md`` -> ``more-fun``).

    XHTML ids must not start with a digit (epubcheck rejects them), so such stems get ``ch-``.
    """
    slug = slugify(Path(file_name).stem) or "chapter"
    return f"ch-{slug}" if slug[0].isdigit() else slug


def part_slug(title: str) -> str:
    return f"part-{slugify(title) or 'untitled'}"


def read_contents(contents_path: Path, chapters_dir: Path | None = None) -> ContentsResult:
    """Parse the contents file at ``contents_path`` (which must be readable UTF-8)."""
    text = contents_path.read_text(encoding="utf-8")
    return parse_contents(text, contents_path=contents_path, chapters_dir=chapters_dir)


def parse_contents(
    text: str, *, contents_path: Path, chapters_dir: Path | None = None
) -> ContentsResult:
    """Turn the contents list ``text`` into nodes; relative links resolve against ``chapters_dir``.

    ``chapters_dir`` defaults to the contents file's folder. Full URLs name a chapter by their
    last path segment. Source paths are absolute and resolved but not checked for existence or
    confinement: that is the manifest's job, because it knows the book's roots.
    """
    shown = display_path(contents_path)
    base_dir = (chapters_dir or contents_path.parent).resolve()
    diagnostics: list[Diagnostic] = []
    items = list(_scan_items(text, shown, diagnostics))
    nodes = _build_nodes(items, base_dir, shown, diagnostics)
    if not items:
        diagnostics.append(_empty_list_diagnostic(shown, "the contents file has no list items"))
    elif not any(node.kind == "chapter" for node in nodes) and not diagnostics:
        diagnostics.append(_empty_list_diagnostic(shown, "the contents list links to no chapter"))
    diagnostics.sort(key=lambda d: (d.line or 0))
    return ContentsResult(tuple(nodes), tuple(diagnostics), _first_heading(text))


def _empty_list_diagnostic(shown: str, message: str) -> Diagnostic:
    return Diagnostic(
        shown, 1, message, "list the chapters as '- [Title](chapter.md)', one per line",
        code="empty-contents",
    )


def fence_after(line: str, fence: str) -> str | None:
    """The code fence open after ``line`` ("" for none) when ``line`` is a fence line (it opens
    the fence, closes it, or sits inside it as a shorter or other fence); None otherwise."""
    match = FENCE_RE.match(line)
    if match is None:
        return None
    marker = match.group(1)
    if not fence:
        return marker
    return "" if marker[0] == fence[0] and len(marker) >= len(fence) else fence


def source_lines(text: str) -> list[str]:
    # str.splitlines also splits on \f, \v, U+2028...: editors do not, so line numbers would drift.
    return [line.rstrip("\r") for line in text.removeprefix("\ufeff").split("\n")]


def _first_heading(text: str) -> str:
    for line in source_lines(text):
        match = _HEADING_RE.match(line)
        if match:
            return unwrap_title(match.group("title"))
    return ""


def _scan_items(text: str, shown: str, diagnostics: list[Diagnostic]) -> list[ContentsItem]:
    """The list items of ``text`` with their depth from indentation; fenced code is skipped."""
    items: list[ContentsItem] = []
    indents: list[int] = []  # indentation of the open levels, outermost first
    fence = ""
    for number, line in enumerate(source_lines(text), start=1):
        after = fence_after(line, fence)
        if after is not None:
            fence = after
            continue
        match = ITEM_RE.match(line)
        if fence or not match or BREAK_RE.match(line):
            continue
        depth = item_depth(indents, len(match.group("indent").expandtabs(TAB_WIDTH)))
        item = make_item(number, depth, (match.group("text") or "").strip(), shown, diagnostics)
        if item is not None:
            items.append(item)
    return items


def item_depth(indents: list[int], width: int) -> int:
    """Nesting level of an item indented ``width`` columns, updating the open levels."""
    while indents and indents[-1] > width:
        indents.pop()
    if not indents or indents[-1] < width:
        indents.append(width)
    return len(indents)


def make_item(
    number: int, depth: int, text: str, shown: str, diagnostics: list[Diagnostic]
) -> ContentsItem | None:
    if not text:
        return None  # an empty bullet carries nothing to build
    if depth > MAX_DEPTH:
        diagnostics.append(Diagnostic(
            shown, number, f"the contents list nests {depth} levels deep (at most {MAX_DEPTH})",
            "indent this item less: parts, chapters and sub-chapters are the only levels",
            code="contents-depth",
        ))
        return None
    link = _LINK_RE.search(text)
    if link is None:
        return ContentsItem(number, depth, unwrap_title(text), None)
    title = unwrap_title(link.group("text"))
    target = _chapter_target(link.group("target"), shown, number, diagnostics)
    if target is None:
        return None
    if not title:
        diagnostics.append(Diagnostic(
            shown, number, f"the link to {target} has no text to use as the chapter title",
            f"write it as '[Chapter title]({target})'", code="empty-title",
        ))
        return None
    return ContentsItem(number, depth, title, target)


def unwrap_title(text: str) -> str:
    """``**Patterns**`` -> ``Patterns``: emphasis around a whole title is list styling."""
    text = text.strip()
    for marker in _WRAPPERS:
        if len(text) > 2 * len(marker) and text.startswith(marker) and text.endswith(marker):
            return unwrap_title(text[len(marker) : -len(marker)])
    return text


def _chapter_target(
    raw: str, shown: str, number: int, diagnostics: list[Diagnostic]
) -> str | None:
    """The chapter file a link destination names (relative POSIX path), or None with an error."""
    destination = _destination(raw)
    parts = urlsplit(destination)
    path = unquote(parts.path)
    if parts.scheme or parts.netloc:
        # https://github.com/.../en-md/foreward.md names the chapter by its last segment.
        path = path.rstrip("/").rsplit("/", 1)[-1]
    if path.lower().endswith(".md"):
        return path
    cut = path.lower().find(".md")
    if cut >= 0 and "/" not in path[cut:]:
        fixed = path[: cut + 3]
        diagnostics.append(Diagnostic(
            shown, number, f"malformed link target {raw.strip()!r} read as {fixed!r}",
            f"write the link as '(...{fixed})'", severity="warning", code="malformed-link",
        ))
        return fixed
    diagnostics.append(Diagnostic(
        shown, number, f"contents link {raw.strip()!r} is not a Markdown (.md) chapter file",
        "link each chapter to its .md file, e.g. '- [Title](chapters/intro.md)'",
        code="not-markdown",
    ))
    return None


def _destination(raw: str) -> str:
    """The link destination without ``<...>`` and without a ``"title"``."""
    raw = raw.strip()
    if raw.startswith("<") and ">" in raw:
        return raw[1 : raw.index(">")]
    match = _TITLE_SUFFIX_RE.match(raw)
    return match.group("dest") if match else raw


def _build_nodes(
    items: list[ContentsItem], base_dir: Path, shown: str, diagnostics: list[Diagnostic]
) -> list[TocNode]:
    """Chapters first (their slugs come from file names), then parts avoid every taken slug."""
    chapter_nodes: dict[int, TocNode] = {}
    by_path: dict[Path, ContentsItem] = {}
    by_slug: dict[str, Path] = {}
    for item in items:
        if item.target is None:
            continue
        node = _chapter_node(item, base_dir, by_path, by_slug, shown, diagnostics)
        if node is not None:
            chapter_nodes[item.line] = node
    taken = set(by_slug)
    nodes: list[TocNode] = []
    for item in items:
        if item.target is None:
            slug = unique_slug(part_slug(item.title), taken)
            nodes.append(TocNode("part", item.title, item.depth, slug, item.line))
        elif item.line in chapter_nodes:
            nodes.append(chapter_nodes[item.line])
    return nodes


def _chapter_node(
    item: ContentsItem,
    base_dir: Path,
    by_path: dict[Path, ContentsItem],
    by_slug: dict[str, Path],
    shown: str,
    diagnostics: list[Diagnostic],
) -> TocNode | None:
    target = item.target or ""
    try:
        path = (base_dir / target).resolve()
    except (RuntimeError, OSError):  # a symlink loop: Path.resolve raises instead of returning
        diagnostics.append(Diagnostic(
            shown, item.line, f"chapter {target} is a symlink loop",
            "point the link at a real chapter file", code="symlink-loop",
        ))
        return None
    slug = chapter_slug(target)
    if path in by_path:
        first = by_path[path]
        diagnostics.append(Diagnostic(
            shown, item.line, f"chapter {target} is listed twice (first on line {first.line})",
            "list each chapter file once", code="duplicate-chapter",
        ))
        return None
    if slug in by_slug:
        other = display_path(by_slug[slug])
        diagnostics.append(Diagnostic(
            shown, item.line, f"chapter {target} has the same id {slug!r} as {other}",
            "rename one of the files: ids come from file names", code="slug-collision",
        ))
        return None
    by_path[path] = item
    by_slug[slug] = path
    return TocNode("chapter", item.title, item.depth, slug, item.line, path)


def unique_slug(slug: str, taken: set[str]) -> str:
    candidate, number = slug, 2
    while candidate in taken:
        candidate, number = f"{slug}-{number}", number + 1
    taken.add(candidate)
    return candidate
