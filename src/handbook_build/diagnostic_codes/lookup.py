"""Reading the catalogue: a code's entry, docs/diagnostics.md, the terminal explanation."""

from __future__ import annotations

from handbook_build.diagnostic_codes.catalogue import CODES
from handbook_build.diagnostic_codes.entries import STAGES, CodeInfo


def find(code: str) -> CodeInfo | None:
    """The entry of ``code``: its own, else the family whose prefix it has (longest first)."""
    for info in CODES:
        if not info.family and info.code == code:
            return info
    prefixed = [info for info in CODES if info.family and info.code and code.startswith(info.code)]
    return max(prefixed, key=lambda info: len(info.code), default=None)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown() -> str:
    """docs/diagnostics.md: one table per stage, codes in catalogue order."""
    lines = [
        "# Diagnostic codes",
        "",
        "Every message reads `path:line:col: error|warning: message; hint [code]`. This page "
        "lists every code,",
        "by the stage that emits it. Generated from `src/handbook_build/diagnostic_codes/` "
        "by `make diagnostics-doc`;",
        "do not edit it by hand (a test compares the two). One code in a terminal:",
        "`python -m handbook_build.diagnostic_codes CODE`.",
        "",
        f"{sum(1 for c in CODES if not c.family)} codes and "
        f"{sum(1 for c in CODES if c.family)} families. A code listed under several stages "
        "is emitted by each; its table is that of the first.",
    ]
    for stage, title in STAGES:
        entries = [info for info in CODES if info.stage == stage]
        if not entries:
            continue
        lines += ["", f"## {title}", "", "| code | severity | meaning | how to fix |",
                  "|---|---|---|---|"]
        for info in entries:
            also = info.stages[1:]
            where = f" (also: {', '.join(also)})" if also else ""
            lines.append(f"| `{_cell(info.shown)}` | {' or '.join(info.severities)} | "
                         f"{_cell(info.meaning)}{where} | {_cell(info.hint)} |")
    return "\n".join(lines) + "\n"


def explain(code: str) -> str | None:
    """``code``'s entry as a few lines for a terminal, or None when it is not catalogued."""
    info = find(code)
    if info is None:
        return None
    titles = dict(STAGES)
    lines = [f"{code}: {' or '.join(info.severities)}" + (f" (family {info.pattern})"
                                                          if info.family else ""),
             f"  meaning: {info.meaning}", f"  fix:     {info.hint}",
             "  stage:   " + "; ".join(titles[stage] for stage in info.stages)]
    return "\n".join(lines) + "\n"


def main(arguments: list[str]) -> int:
    """No argument: docs/diagnostics.md on stdout. ``CODE``: what that code means."""
    import sys

    if not arguments:
        sys.stdout.write(render_markdown())
        return 0
    text = explain(arguments[0])
    if text is None:
        sys.stderr.write(f"{arguments[0]}: no such diagnostic code; see docs/diagnostics.md\n")
        return 2
    sys.stdout.write(text)
    return 0
