"""What one catalogue entry is: its code or family, severities, stages, meaning, fix."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

from handbook_build.model import Severity

Stage = Literal["check", "manifest", "ecosystem", "contents", "chapters", "images", "links",
                "lint", "html", "output", "editions", "pdf-check", "epub-check"]

# In the order a build meets them; the titles head the sections of docs/diagnostics.md.
STAGES: tuple[tuple[Stage, str], ...] = (
    ("check", "`handbook-build check` itself"),
    ("manifest", "book.toml (sources/manifest/, sources/inputs.py)"),
    ("ecosystem", "Another tool's entry file: mdBook, Jupyter Book, MyST, Quarto, GitBook, "
                  "a pandoc folder (sources/ecosystems/)"),
    ("contents", "The contents list (sources/contents.py, sources/structure.py)"),
    ("chapters", "Reading the chapters (sources/: chapters.py, guard/, includes.py, "
                 "markdown_fix/, markdown_inert.py, site_junk.py, citations.py, xrefs/)"),
    ("images", "Images (sources/images/)"),
    ("links", "Links (sources/links/)"),
    ("lint", "Lint rules of `check` only (checks/lint_rules.py)"),
    ("html", "The HTML book (html/: htmlbook.py, html_ids.py, math_html.py)"),
    ("output", "Output paths (output_guard.py)"),
    ("editions", "Making the editions (editions.py, render/paged_limits.py)"),
    ("pdf-check", "A built PDF: structure and typesetting (checks/: pdfcheck.py, typeset_check/; "
                  "thresholds in typesetting-check.md)"),
    ("epub-check", "A built EPUB: EPUBCheck and Ace by DAISY (checks/check.py, editions.py)"),
)


@dataclass(frozen=True, slots=True)
class CodeInfo:
    """One code, or one family of codes (``family``: ``code`` is the prefix every member
    starts with, ``pattern`` shows the whole form, e.g. ``ace:<rule>``)."""

    code: str
    severities: tuple[Severity, ...]  # every severity it is emitted at
    stages: tuple[Stage, ...]  # the first is the one it is listed under
    meaning: str
    hint: str
    family: bool = False
    pattern: str = ""

    @property
    def stage(self) -> Stage:
        return self.stages[0]

    @property
    def shown(self) -> str:
        return self.pattern or self.code

    def matches(self, code: str) -> bool:
        return code.startswith(self.code) if self.family else code == self.code


ERROR: tuple[Severity, ...] = ("error",)
WARNING: tuple[Severity, ...] = ("warning",)
EITHER: tuple[Severity, ...] = ("error", "warning")


_STAGE_NAMES: Mapping[str, Stage] = MappingProxyType({stage: stage for stage, _ in STAGES})


def entry(code: str, severities: tuple[Severity, ...], stages: str, meaning: str, hint: str
       ) -> CodeInfo:
    """One code; ``stages`` is space-separated, the first the one it is listed under."""
    return CodeInfo(code, severities, tuple(_STAGE_NAMES[name] for name in stages.split()),
                    meaning, hint)
