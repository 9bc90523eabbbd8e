"""References (MyST roles, Quarto ``@`` references, ``[text](#label)`` across chapters) made
links to their targets; an unknown label is a warning and prints as text."""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from handbook_build.model import Diagnostic
from handbook_build.sources.markdown_fix import Fixed
from handbook_build.sources.markdown_scan import line_of, mask_code, split_code
from handbook_build.sources.xrefs.labels import KIND_NAMES, Label, Labels

_ROLE = re.compile(r"\{(?P<role>ref|numref|doc)\}")
_ROLE_BODY = re.compile(r"^(?P<text>.*?)\s*<(?P<label>[^<>]+)>$", re.DOTALL)
_QUARTO_REF = re.compile(r"(?P<open>\[)?(?P<minus>-)?(?<![\w@.:/])@"
                         r"(?P<label>(?:fig|tbl|sec|lst)-[\w-]*\w)(?(open)\])")


_INTERNAL_LINK = re.compile(r"\[(?P<text>(?:[^\[\]]|\[[^\[\]]*\])*)\]\(#(?P<slug>[^\s()#]+?)--"
                            r"(?P<label>[^\s()#]+)\)")


def _escape(text: str) -> str:
    return re.sub(r"([\\`*_\[\]<>#])", r"\\\1", text)


def resolve_xrefs(text: str, shown: str, slug: str, labels: Labels) -> Fixed:
    """References become links to their targets (see the xrefs package docstring)."""
    if "{ref}" not in text and "{numref}" not in text and "{doc}" not in text and (
            "@" not in text) and "](#" not in text:
        return Fixed(text)
    diagnostics: list[Diagnostic] = []
    text = _rewrite_references(text, shown, slug, labels, diagnostics)
    return Fixed(text, tuple(diagnostics))


def _reference_text(label: Label, explicit: str | None, role: str, number_only: bool) -> str:
    name = KIND_NAMES[label.kind]
    if label.number is not None:
        number = str(label.number)
        if explicit:
            return explicit.replace("%s", number).replace("{number}", number).replace(
                "{name}", label.title)
        return number if number_only else f"{name} {number}"
    if explicit:
        return explicit
    if role == "@" and label.kind == "sec":
        return f"Section {label.title}" if not number_only else label.title
    return label.title


def _rewrite_references(text: str, shown: str, slug: str, labels: Labels,
                        diagnostics: list[Diagnostic]) -> str:
    edits: list[tuple[int, int, str]] = []
    masked = mask_code(text, " ")
    offsets = [segment for segment in split_code(text) if segment.is_code]
    code_at = {segment.offset: segment for segment in offsets}

    def unresolved(offset: int, written: str, label: str) -> str:
        diagnostics.append(Diagnostic(
            shown, line_of(text, offset), f"cross-reference to an unknown label {label!r}: "
            "printed as text", "define it with (label)= before a heading or figure, or "
            "{#label} on it", "warning", "xref-unresolved"))
        return _escape(written)

    for match in _ROLE.finditer(masked):
        segment = code_at.get(match.end())
        if segment is None:
            continue
        ticks = len(segment.text) - len(segment.text.lstrip("`"))
        body = segment.text[ticks:len(segment.text) - ticks].strip()
        explicit_match = _ROLE_BODY.match(body)
        explicit = explicit_match["text"] if explicit_match else None
        name = (explicit_match["label"] if explicit_match else body).strip()
        end = segment.offset + len(segment.text)
        if match["role"] == "doc":
            document = labels.documents.get(PurePosixPath(name.lstrip("/")).stem)
            if document is None:
                edits.append((match.start(), end, unresolved(match.start(), explicit or name,
                                                             name)))
            else:
                edits.append((match.start(), end,
                              f"[{_escape(explicit or document[1])}](#{document[0]})"))
            continue
        label = labels.by_name.get(name)
        if label is None:
            edits.append((match.start(), end, unresolved(match.start(), explicit or name, name)))
            continue
        words = _reference_text(label, explicit, match["role"], False)
        edits.append((match.start(), end, f"[{_escape(words)}](#{label.target})"))
    for match in _QUARTO_REF.finditer(masked):
        name = match["label"]
        label = labels.by_name.get(name)
        if label is None:
            edits.append((match.start(), match.end(), unresolved(match.start(), name, name)))
            continue
        words = _reference_text(label, None, "@", bool(match["minus"]))
        edits.append((match.start(), match.end(), f"[{_escape(words)}](#{label.target})"))
    for match in _INTERNAL_LINK.finditer(masked):
        label = labels.by_name.get(match["label"])
        if label is None or match["slug"] not in (slug, label.chapter):
            continue
        words = text[match.start("text"):match.end("text")]
        if not words.strip():
            words = _escape(_reference_text(label, None, "ref", False))
        edits.append((match.start(), match.end(), f"[{words}](#{label.target})"))
    return _apply(text, edits)


def _apply(text: str, edits: list[tuple[int, int, str]]) -> str:
    parts: list[str] = []
    position = 0
    for start, end, replacement in sorted(edits):
        if start < position:
            continue  # overlapping constructs: the first one wins
        parts.append(text[position:start])
        parts.append(replacement)
        position = end
    parts.append(text[position:])
    return "".join(parts)
