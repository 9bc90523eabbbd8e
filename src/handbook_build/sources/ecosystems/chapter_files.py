"""The chapters an entry file names: the file for a bare name, formats that are not Markdown
refused, titles read from the chapter when the entry gives none, patterns expanded, items made."""

from __future__ import annotations

import re
from pathlib import Path

from handbook_build.sources.contents import ContentsItem
from handbook_build.sources.front_matter import split_front_matter
from handbook_build.sources.guard import MAX_CHAPTER_BYTES, input_file_problem
from handbook_build.sources.manifest import Report, confined

MAX_DEPTH = 3  # parts, chapters, sections: the levels the editions lay out


_HEADING_RE = re.compile(r"^#[ \t]+(?P<title>.+?)[ \t#]*$")
NOT_MARKDOWN = {".ipynb": "a Jupyter notebook", ".rst": "reStructuredText",
                ".tex": "LaTeX", ".docx": "a Word file"}


def chapter_file(base_dir: Path, name: str, suffixes: tuple[str, ...]) -> str:
    """``name`` relative to ``base_dir`` with the first suffix that exists (``intro`` ->
    ``intro.md``); the first suffix when none does, so the missing file is reported."""
    name = name.strip().removeprefix("./")
    if Path(name).suffix.lower() in (*suffixes, *NOT_MARKDOWN, ".ipynb"):
        return name
    for suffix in suffixes:
        if (base_dir / f"{name}{suffix}").is_file():
            return f"{name}{suffix}"
    for suffix in NOT_MARKDOWN:
        if (base_dir / f"{name}{suffix}").is_file():
            return f"{name}{suffix}"
    return f"{name}{suffixes[0]}"


def refuse_other_formats(target: str, line: int, shown: str, report: Report) -> bool:
    """False (with an error) for a chapter in a format this tool cannot read as Markdown."""
    kind = NOT_MARKDOWN.get(Path(target).suffix.lower())
    if kind is None:
        return True
    hint = ("convert it to Markdown first, e.g. 'jupytext --to myst " + target + "'"
            if kind == "a Jupyter notebook" else "convert it to Markdown (pandoc can) and "
            "list the .md file")
    report.add(shown, line, f"chapter {target} is {kind}, which handbook-build cannot read",
               hint, code="not-markdown")
    return False


def chapter_title(base_dir: Path, target: str, roots: tuple[Path, ...]) -> str:
    """A chapter's title when its entry file gives none: front matter ``title``, else its
    first ``#`` heading, else its file name. Only a confined, regular, small file is read."""
    fallback = Path(target).stem.replace("-", " ").replace("_", " ").strip() or target
    text = chapter_text(base_dir, target, roots)
    if not text:
        return fallback
    front = split_front_matter(text)
    if front.title:
        return front.title
    for line in front.body.split("\n"):
        match = _HEADING_RE.match(line.rstrip("\r"))
        if match:
            return match.group("title")
    return fallback


def chapter_text(base_dir: Path, target: str, roots: tuple[Path, ...]) -> str:
    """The text of a confined, regular, small UTF-8 file, else "" (the chapter check reports
    what is wrong with it, at the entry file's line)."""
    path = base_dir / target
    if not confined(path, roots) or input_file_problem(path, MAX_CHAPTER_BYTES) is not None:
        return ""
    try:
        return path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return ""


def has_body(text: str) -> bool:
    """Whether a page holds more than its front matter and its ``#`` title."""
    body = split_front_matter(text).body
    return any(line.strip() and not _HEADING_RE.match(line) for line in body.split("\n"))


def item(line: int, depth: int, title: str, target: str | None, shown: str,
         report: Report) -> ContentsItem:
    """A contents item; deeper than three levels is kept at the third, with a warning."""
    if depth > MAX_DEPTH:
        report.add(shown, line, f"{title!r} is nested {depth} levels deep; it is kept at level "
                   f"{MAX_DEPTH} (the deepest the editions lay out)", "nest it less deeply to "
                   "silence this", code="contents-depth", severity="warning")
        depth = MAX_DEPTH
    return ContentsItem(line, depth, title, target)


# Folders that hold builds, not chapters: ours (build/: its <stem>.md would be read back on the
# next build), Jupyter Book's, Quarto's and the sites', and hidden ones (.git, .cache).
GENERATED_FOLDERS = frozenset({"build", "_build", "_book", "_site", "site", "node_modules",
                               "__pycache__"})


def _generated(relative: Path) -> bool:
    return any(part in GENERATED_FOLDERS or part.startswith(".") for part in relative.parts[:-1])


def glob_chapters(root_dir: Path, pattern: str, suffixes: tuple[str, ...], line: int,
                  shown: str, report: Report) -> list[str]:
    """Files matching ``pattern`` under the book's folder, in name order, relative to it."""
    try:
        found = sorted(path for path in root_dir.glob(pattern) if path.suffix in suffixes
                       and not _generated(path.relative_to(root_dir))
                       and confined(path, (root_dir,)) and path.is_file())
    except (NotImplementedError, ValueError):  # an absolute or empty pattern
        report.add(shown, line, f"the pattern {pattern!r} cannot be used", "write a pattern "
                   "relative to the book's folder, e.g. 'chapters/*.md'", code="toc-shape")
        return []
    if not found:
        report.add(shown, line, f"the pattern {pattern!r} matches no Markdown file",
                   "check the folder and the suffix", code="empty-pattern", severity="warning")
    return [path.relative_to(root_dir).as_posix() for path in found]
