"""Styles analysis: can the edition's stylesheets be laid out in chunks, and with what CSS.

A cut book lays out like the whole one only when nothing in its styles counts across the cut:
``counter(pages)``, counters other than ``page`` and ``list-item``, ``target-counters()`` and
``target-text()``, document-wide ``@page :nth()``. ``target-counter(attr(href), page)`` is
allowed: its rules are copied with ``attr(data-hb-tc)`` in its place, and the links get the
number (page_links.py), so the same glyphs are set without the target being laid out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import tinycss2  # type: ignore[import-untyped]

__all__ = ["TC_ATTRIBUTE", "StyleSupport", "analyse_styles"]

TC_ATTRIBUTE = "data-hb-tc"


@dataclass(frozen=True, slots=True)
class StyleSupport:
    """Whether a cut book lays out like the whole one, and the CSS that makes it so."""

    reason: str = ""  # empty: supported
    override_css: str = ""  # target-counter rules with attr(data-hb-tc) in place
    link_selectors: tuple[str, ...] = ()  # elements whose target-counter we supply
    counter_style: str = "decimal"

    @property
    def supported(self) -> bool:
        return not self.reason


_COUNTER_NAMES = re.compile(r"(?<![-\w])counters?\(\s*([-\w]+)")
_COUNTER_PROPERTIES = re.compile(r"\bcounter-(?:reset|set|increment)\s*:\s*([^;}]*)")
_TARGET_FUNCTIONS = re.compile(r"\btarget-(?:counters|text)\s*\(")
_PAGE_NTH = re.compile(r"@page[^{]*:nth\(([^)]*)\)")
_STYLES = ("decimal", "lower-roman", "upper-roman")


def analyse_styles(css_texts: Iterable[str]) -> StyleSupport:
    """Check the edition's stylesheets and derive the override rules for ``target-counter``."""
    texts = [_without_comments(text) for text in css_texts]
    joined = "\n".join(texts)
    for name in _COUNTER_NAMES.findall(joined):
        if name not in ("page", "list-item"):
            return StyleSupport(f"counter({name}) may run across chunks")
    for value in _COUNTER_PROPERTIES.findall(joined):
        names = [token for token in value.split() if not token.lstrip("-").isdigit()]
        if any(name not in ("page", "none", "list-item") for name in names):
            return StyleSupport(f"counter-reset/set/increment '{value.strip()}' may run across "
                                "chunks")
    if "counter(pages" in joined or _TARGET_FUNCTIONS.search(joined):
        return StyleSupport("counter(pages), target-counters() or target-text() need the whole "
                            "book")
    for argument in _PAGE_NTH.findall(joined):
        if " of " not in f" {argument} ":
            return StyleSupport(f"@page :nth({argument}) counts pages of the whole document")
    overrides: list[str] = []
    selectors: list[str] = []
    styles: set[str] = set()
    for text in texts:
        for rule in tinycss2.parse_stylesheet(text, skip_comments=True, skip_whitespace=True):
            if rule.type == "at-rule" and "target-counter" in tinycss2.serialize(
                    rule.content or []):
                return StyleSupport(f"target-counter() inside @{rule.lower_at_keyword}")
            if rule.type != "qualified-rule":
                continue
            found = _target_counter_rule(rule, styles)
            if found is None:
                continue
            if isinstance(found, str):
                return StyleSupport(found)
            subject, override = found
            selectors.extend(subject)
            overrides.append(override)
    if len(styles) > 1:
        return StyleSupport(f"target-counter() with several counter styles: {sorted(styles)}")
    return StyleSupport("", "\n".join(overrides) + ("\n" if overrides else ""),
                        tuple(selectors), next(iter(styles), "decimal"))


def _without_comments(text: str) -> str:
    return re.sub(r"/\*.*?\*/", "", text, flags=re.S)


def _target_counter_rule(rule: Any, styles: set[str]) -> tuple[list[str], str] | str | None:
    """(subject selectors, override rule) for a rule whose content uses target-counter()."""
    declarations = tinycss2.parse_declaration_list(rule.content, skip_comments=True,
                                                   skip_whitespace=True)
    for declaration in declarations:
        if declaration.type != "declaration" or declaration.lower_name != "content":
            continue
        value = list(declaration.value)
        if not any(t.type == "function" and t.lower_name == "target-counter" for t in value):
            continue
        replaced = []
        for token in value:
            if token.type == "function" and token.lower_name == "target-counter":
                arguments = [a for a in token.arguments
                             if a.type not in ("whitespace", "comment")]
                parts = _split_commas(arguments)
                if (len(parts) not in (2, 3) or len(parts[0]) != 1
                        or parts[0][0].type != "function" or parts[0][0].lower_name != "attr"
                        or "href" not in tinycss2.serialize(parts[0][0].arguments)
                        or len(parts[1]) != 1 or parts[1][0].type != "ident"
                        or parts[1][0].lower_value != "page"):
                    return f"unsupported target-counter({tinycss2.serialize(token.arguments)})"
                style = parts[2][0].lower_value if len(parts) == 3 else "decimal"
                if style not in _STYLES:
                    return f"target-counter() with counter style {style}"
                styles.add(style)
                replaced.append(f"attr({TC_ATTRIBUTE})")
            else:
                replaced.append(tinycss2.serialize([token]))
        prelude = tinycss2.serialize(rule.prelude).strip()
        subjects, marked = [], []
        for selector in _split_selector_list(prelude):
            subject, pseudo = _split_pseudo(selector)
            subjects.append(subject)
            marked.append(f"{subject}[{TC_ATTRIBUTE}]{pseudo}")
        important = " !important" if declaration.important else ""
        return subjects, f"{', '.join(marked)} {{ content:{''.join(replaced)}{important}; }}"
    return None


def _split_commas(tokens: list[Any]) -> list[list[Any]]:
    parts: list[list[Any]] = [[]]
    for token in tokens:
        if token.type == "literal" and token.value == ",":
            parts.append([])
        else:
            parts[-1].append(token)
    return parts


def _split_selector_list(prelude: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for character in prelude:
        if character in "([":
            depth += 1
        elif character in ")]":
            depth -= 1
        if character == "," and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += character
    parts.append(current.strip())
    return [part for part in parts if part]


_PSEUDO_ELEMENT = re.compile(r"(::?(?:after|before|marker)|::[-\w]+)$")


def _split_pseudo(selector: str) -> tuple[str, str]:
    match = _PSEUDO_ELEMENT.search(selector)
    if match is None:
        return selector, ""
    return selector[: match.start()], match.group(1)
