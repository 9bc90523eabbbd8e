"""Cross-references: labels and the references to them become internal links in every edition.

Targets (found book-wide first by ``collect_labels``, so a chapter may refer to any other):

* MyST ``(label)=`` on the line before a heading, an image, a table or a paragraph;
* MyST ```` ```{figure} path ```` / ``:::{figure}`` directives (with ``:name: label``), which
  ``convert_myst_figures`` turns into ``![caption](path){#label}`` before any other step;
* pandoc/Quarto ids: ``## Title {#sec-x}``, ``![Caption](x.png){#fig-x}``, a table caption
  ``: Caption {#tbl-x}`` (or ``Table: ...``).

References (``resolve_xrefs``, after ``links``, so ``[text](#label)`` is already
``#slug--label``): MyST ``{ref}`label``` / ``{ref}`text <label>``` / ``{numref}`label``` /
``{numref}`Fig. %s <label>``` / ``{doc}`chapter``` (a chapter by its file name), Quarto
``@fig-x`` / ``@tbl-x`` / ``@sec-x`` (``[@fig-x]``, ``-@fig-x`` for the number alone) and
``[text](#label)`` to a label of another chapter (empty text: the target's title). When a book
uses numbered references (any ``{numref}`` or ``@fig-``/``@tbl-``), labelled figures and
tables are numbered in book order, and their captions start "Figure N:" / "Table N:" so
reference and caption agree. An unknown label is a warning at its line and prints as the
label's text (never as role syntax).

Every target's id is ``slug--id`` as ``shift_headings`` and ``html_ids.make_ids_unique`` give it,
or the chapter's own ``slug`` for the chapter's first heading (which may be dropped as a repeat of
the chapter title).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Literal

from handbook_build.markdown_fix import Fixed
from handbook_build.markdown_scan import line_of, mask_code, split_code
from handbook_build.model import Diagnostic

__all__ = ["Label", "Labels", "collect_labels", "convert_myst_figures", "mark_targets",
           "resolve_xrefs"]

Kind = Literal["fig", "tbl", "sec", "other"]
_NAMES = {"fig": "Figure", "tbl": "Table", "sec": "Section", "other": ""}


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


_LABEL_LINE = re.compile(r"^ {0,3}\((?P<label>[^()\s]+)\)=[ \t]*$")
_HEADING = re.compile(r"^(?P<hashes>#{1,6})[ \t]+(?P<text>.*?)"
                      r"(?:[ \t]+\{(?P<attrs>[^{}\n]*)\})?[ \t]*$")
_IMAGE_LINE = re.compile(r"^(?P<lead>[ \t]*)!\[(?P<alt>(?:[^\[\]]|\[[^\[\]]*\])*)\]"
                         r"\((?P<src>[^()\n]*(?:\([^()\n]*\)[^()\n]*)*)\)"
                         r"(?:\{(?P<attrs>[^{}\n]*)\})?[ \t]*$")
_TABLE_CAPTION = re.compile(r"^(?P<lead>(?:Table)?:[ \t]+)(?P<text>.*?)"
                            r"[ \t]*\{(?P<attrs>[^{}\n]*)\}[ \t]*$")
_ID = re.compile(r"(?:^|\s)#(?P<id>[^\s{}]+)")
_QUARTO_PREFIX = re.compile(r"^(fig|tbl|sec|eq|lst)-")
_ROLE = re.compile(r"\{(?P<role>ref|numref|doc)\}")
_ROLE_BODY = re.compile(r"^(?P<text>.*?)\s*<(?P<label>[^<>]+)>$", re.DOTALL)
_QUARTO_REF = re.compile(r"(?P<open>\[)?(?P<minus>-)?(?<![\w@.:/])@"
                         r"(?P<label>(?:fig|tbl|sec|lst)-[\w-]*\w)(?(open)\])")
_NUMBERED_USE = re.compile(r"\{numref\}`|(?<![\w@.:/])@(?:fig|tbl)-\w")
_INTERNAL_LINK = re.compile(r"\[(?P<text>(?:[^\[\]]|\[[^\[\]]*\])*)\]\(#(?P<slug>[^\s()#]+?)--"
                            r"(?P<label>[^\s()#]+)\)")
_FIGURE_OPEN = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,}|:{3,})[ \t]*\{figure\}"
                          r"[ \t]+(?P<src>\S[^\n]*?)[ \t]*$")
_OPTION = re.compile(r"^[ \t]*:(?P<key>[\w-]+):[ \t]*(?P<value>[^\n]*?)[ \t]*$")
_SAFE_WIDTH = re.compile(r"^\d{1,4}(?:px|%|em)?$")


# --- MyST figure directives ----------------------------------------------------------------


def convert_myst_figures(text: str, shown: str) -> Fixed:
    """```` ```{figure} path ```` blocks -> ``![caption](path){#name width=...}``; Quarto's
    figure and table divs (``::: {#fig-x}`` holding an image or a table and a caption
    paragraph) -> the same image, or the table with ``: caption {#tbl-x}``. Line counts stay."""
    if "{#fig-" in text or "{#tbl-" in text:
        text = _quarto_divs(text)
    if "{figure}" not in text:
        return Fixed(text)
    lines = text.split("\n")
    out: list[str] = []
    index = 0
    while index < len(lines):
        opener = _FIGURE_OPEN.match(lines[index])
        if opener is None:
            out.append(lines[index])
            index += 1
            continue
        fence = opener["fence"]
        end = index + 1
        options: dict[str, str] = {}
        caption: list[str] = []
        while end < len(lines):
            stripped = lines[end].strip()
            if stripped.startswith(fence) and not stripped.strip(fence[0]):
                break
            option = _OPTION.match(lines[end])
            if option is not None and not caption:
                options[option["key"]] = option["value"]
            elif stripped:
                caption.append(stripped)
            end += 1
        attrs = []
        if options.get("name"):
            attrs.append("#" + options["name"].split()[0])
        width = options.get("width", "")
        if _SAFE_WIDTH.match(width):
            attrs.append(f"width={width}")
        attributes = "{" + " ".join(attrs) + "}" if attrs else ""
        words = " ".join(caption) or options.get("alt", "")
        out.append(f"{opener['indent']}![{words}]({opener['src']}){attributes}")
        out.extend([""] * (end - index))  # same line count: later warnings keep their lines
        index = end + 1
    return Fixed("\n".join(out))


_QUARTO_DIV = re.compile(r"^ {0,3}(?P<colons>:{3,})[ \t]*\{#(?P<id>(?:fig|tbl)-[\w-]+)[^{}]*\}"
                         r"[ \t]*$")
_DIV_FENCE_LINE = re.compile(r"^ {0,3}:{3,}")


def _quarto_divs(text: str) -> str:
    lines = text.split("\n")
    masked = mask_code(text, " ").split("\n")
    index = 0
    while index < len(lines):
        opener = _QUARTO_DIV.match(masked[index])
        if opener is None:
            index += 1
            continue
        end = index + 1
        while end < len(lines) and not _DIV_FENCE_LINE.match(masked[end]):
            end += 1
        if end >= len(lines) or masked[end].strip().strip(":"):
            index = end  # unclosed, or a nested div: left to the general div handling
            continue
        replacement = _div_body(lines[index + 1:end], opener["id"])
        if replacement is not None:
            lines[index:end + 1] = replacement + [""] * (end + 1 - index - len(replacement))
        index = end + 1
    return "\n".join(lines)


def _div_body(body: list[str], ident: str) -> list[str] | None:
    """The div's content as one image or one captioned table; None if it is neither."""
    paragraphs: list[list[str]] = [[]]
    for line in body:
        if line.strip():
            paragraphs[-1].append(line.strip())
        elif paragraphs[-1]:
            paragraphs.append([])
    paragraphs = [paragraph for paragraph in paragraphs if paragraph]
    if len(paragraphs) < 2:
        return None
    caption = " ".join(paragraphs[-1])
    content = [line for paragraph in paragraphs[:-1] for line in paragraph]
    if ident.startswith("fig-"):
        image = _IMAGE_LINE.match(content[0]) if len(content) == 1 else None
        if image is None:
            return None
        return [f"![{caption}]({image['src']}){_with_id(image['attrs'], ident)}"]
    if not all(line.startswith(("|", "+")) for line in content):
        return None
    return [*content, "", f": {caption} {{#{ident}}}"]


# --- book-wide labels ----------------------------------------------------------------------


def _ident(attrs: str | None) -> str | None:
    match = _ID.search(attrs or "")
    return match["id"] if match else None


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
        label = _LABEL_LINE.match(line)
        if label is not None:
            pending = label["label"]
            continue
        raw = lines[index]
        heading = _HEADING.match(line)
        image = _IMAGE_LINE.match(line)
        caption = _TABLE_CAPTION.match(line)
        if heading is not None:
            ident = _ident(heading["attrs"])
            title = _HEADING.match(raw)
            words = title["text"] if title else heading["text"]
            for name in sorted({pending, ident} - {None}):  # type: ignore[type-var]
                assert name is not None
                results.append((name, _kind_of(name, "sec"), words, name, not seen_content))
        elif image is not None:
            ident = _ident(image["attrs"])
            name = ident or pending
            if name is not None:
                results.append((name, _kind_of(name, "fig"), image["alt"], name, False))
                if pending is not None and ident is not None and pending != ident:
                    results.append((pending, "fig", image["alt"], ident, False))
        elif caption is not None and _ident(caption["attrs"]) is not None:
            ident = _ident(caption["attrs"])
            assert ident is not None
            results.append((ident, _kind_of(ident, "tbl"), caption["text"], ident, False))
        elif pending is not None:  # a paragraph or a table without caption: an anchor, no number
            results.append((pending, "other", pending, pending, False))
        pending = None
        seen_content = True
    return results


# --- references ----------------------------------------------------------------------------


def _escape(text: str) -> str:
    return re.sub(r"([\\`*_\[\]<>#])", r"\\\1", text)


def mark_targets(text: str, slug: str, labels: Labels) -> Fixed:
    """Each label's id on its target, captions numbered; runs early (before the heading
    repairs, which would take a ``(label)=`` line glued to a heading for a paragraph)."""
    if "(" not in text and "{#" not in text:
        return Fixed(text)
    return Fixed(_mark_targets(text, slug, labels))


def resolve_xrefs(text: str, shown: str, slug: str, labels: Labels) -> Fixed:
    """References become links to their targets (see the module docstring)."""
    if "{ref}" not in text and "{numref}" not in text and "{doc}" not in text and (
            "@" not in text) and "](#" not in text:
        return Fixed(text)
    diagnostics: list[Diagnostic] = []
    text = _rewrite_references(text, shown, slug, labels, diagnostics)
    return Fixed(text, tuple(diagnostics))


def _with_id(attrs: str | None, label: str, prefix: str = "") -> str:
    """The attribute block with ``label`` as its id (an id already written wins); ``prefix``
    (``slug--``) for blocks whose ids ``shift_headings`` does not prefix (figures, tables)."""
    if attrs is None:
        return f"{{#{prefix}{label}}}"
    written = _ident(attrs)
    if written is not None:
        return "{" + _ID.sub(lambda m: m.group(0).replace("#" + written, f"#{prefix}{written}"),
                             attrs, count=1) + "}"
    return f"{{#{prefix}{label} {attrs.strip()}}}"


def _mark_targets(text: str, slug: str, labels: Labels) -> str:
    masked = mask_code(text, " ").split("\n")
    lines = text.split("\n")
    pending: str | None = None
    pending_line = 0
    for index, line in enumerate(masked):
        if not line.strip():
            continue
        label = _LABEL_LINE.match(line)
        if label is not None:
            pending, pending_line = label["label"], index
            lines[index] = ""  # the label's line goes; the id moves to what follows
            continue
        raw = lines[index]
        heading = _HEADING.match(raw) if _HEADING.match(line) else None
        image = _IMAGE_LINE.match(raw) if _IMAGE_LINE.match(line) else None
        caption = _TABLE_CAPTION.match(raw) if _TABLE_CAPTION.match(line) else None
        if heading is not None and pending is not None:
            known = labels.by_name.get(pending)
            if _ident(heading["attrs"]) is not None and known is not None and (
                    known.target != slug):  # the heading keeps its id; the label an anchor
                lines[pending_line] = f"[]{{#{slug}--{pending}}}\n"
            lines[index] = (f"{heading['hashes']} {heading['text']} "
                            f"{_with_id(heading['attrs'], pending)}")
        elif image is not None and (_ident(image["attrs"]) or pending) is not None:
            name = _ident(image["attrs"]) or pending
            known = labels.by_name.get(name) if name else None
            alt = image["alt"]
            if known is not None and known.number is not None:
                alt = f"{_NAMES[known.kind]} {known.number}: {alt}"
            attrs = _with_id(image["attrs"], name or "", f"{slug}--")
            lines[index] = f"{image['lead']}![{alt}]({image['src']}){attrs}"
        elif caption is not None:
            ident = _ident(caption["attrs"])
            known = labels.by_name.get(ident or "")
            words = caption["text"]
            if known is not None and known.number is not None:
                words = f"{_NAMES[known.kind]} {known.number}: {words}"
            if ident is not None:
                attrs = _with_id(caption["attrs"], ident, f"{slug}--")
                lines[index] = f"{caption['lead']}{words} {attrs}"
        elif pending is not None:  # an empty span where the label was: a target for any block
            lines[pending_line] = f"[]{{#{slug}--{pending}}}"
        pending = None
    return "\n".join(lines)


def _reference_text(label: Label, explicit: str | None, role: str, number_only: bool) -> str:
    name = _NAMES[label.kind]
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
