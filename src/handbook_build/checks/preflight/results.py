"""What a preflight gives: one ``Check`` per rule (verdict, detail, figures, findings), the
``Preflight`` of them all as the report file holds it, and the ``Layout`` the renderer intended."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from handbook_build.model import frozen_mapping


@dataclass(frozen=True, slots=True)
class Check:
    """One rule: its name, whether the file passes it, and the numbers behind the verdict."""

    rule: str
    passed: bool
    detail: str
    figures: Mapping[str, Any] = field(default_factory=frozen_mapping)
    # Findings to show one by one in the build output: (severity, text, hint).
    findings: tuple[tuple[str, str, str], ...] = ()

    def __str__(self) -> str:
        return f"{self.rule}: {'pass' if self.passed else 'FAIL'}: {self.detail}"


@dataclass(frozen=True, slots=True)
class Layout:
    """What the renderer intended, checked against what the PDF holds."""

    trim_in: tuple[float, float]
    page_count: int  # final, padding included
    padding_pages: int
    gutter_in: float  # inside margin the pages were laid out with


@dataclass(frozen=True, slots=True)
class Preflight:
    profile: str
    checks: tuple[Check, ...]

    @property
    def passed(self) -> bool:
        return all(check.passed for check in self.checks)

    @property
    def failures(self) -> tuple[Check, ...]:
        return tuple(check for check in self.checks if not check.passed)

    def to_dict(self) -> dict[str, Any]:
        return {
            "profile": self.profile,
            "passed": self.passed,
            "checks": [
                {"rule": c.rule, "passed": c.passed, "detail": c.detail, "figures": dict(c.figures),
                 "findings": [{"severity": severity, "message": text, "hint": hint}
                              for severity, text, hint in c.findings]}
                for c in self.checks
            ],
        }

    def to_json(self) -> str:
        """Stable text for ``build/<stem>-print-preflight.json`` (sorted keys, no clock)."""
        return json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n"


def frozen_mapping_any(**items: Any) -> Mapping[str, Any]:
    """Read-only figures for a Check (``model.frozen_mapping`` is typed for strings only)."""
    return MappingProxyType(items)
