"""Each label's id put on its target, and numbered captions ("Figure N: ...")."""

from __future__ import annotations

from handbook_build.sources.markdown_fix import Fixed
from handbook_build.sources.markdown_scan import mask_code
from handbook_build.sources.xrefs.labels import KIND_NAMES, Labels
from handbook_build.sources.xrefs.syntax import (
    HEADING,
    IMAGE_LINE,
    LABEL_LINE,
    TABLE_CAPTION,
    attribute_id,
    with_id,
)


def mark_targets(text: str, slug: str, labels: Labels) -> Fixed:
    """Each label's id on its target, captions numbered; runs early (before the heading
    repairs, which would take a ``(label)=`` line glued to a heading for a paragraph)."""
    if "(" not in text and "{#" not in text:
        return Fixed(text)
    return Fixed(_mark_targets(text, slug, labels))


def _mark_targets(text: str, slug: str, labels: Labels) -> str:
    masked = mask_code(text, " ").split("\n")
    lines = text.split("\n")
    pending: str | None = None
    pending_line = 0
    for index, line in enumerate(masked):
        if not line.strip():
            continue
        label = LABEL_LINE.match(line)
        if label is not None:
            pending, pending_line = label["label"], index
            lines[index] = ""  # the label's line goes; the id moves to what follows
            continue
        raw = lines[index]
        heading = HEADING.match(raw) if HEADING.match(line) else None
        image = IMAGE_LINE.match(raw) if IMAGE_LINE.match(line) else None
        caption = TABLE_CAPTION.match(raw) if TABLE_CAPTION.match(line) else None
        if heading is not None and pending is not None:
            known = labels.by_name.get(pending)
            if attribute_id(heading["attrs"]) is not None and known is not None and (
                    known.target != slug):  # the heading keeps its id; the label an anchor
                lines[pending_line] = f"[]{{#{slug}--{pending}}}\n"
            lines[index] = (f"{heading['hashes']} {heading['text']} "
                            f"{with_id(heading['attrs'], pending)}")
        elif image is not None and (attribute_id(image["attrs"]) or pending) is not None:
            name = attribute_id(image["attrs"]) or pending
            known = labels.by_name.get(name) if name else None
            alt = image["alt"]
            if known is not None and known.number is not None:
                alt = f"{KIND_NAMES[known.kind]} {known.number}: {alt}"
            attrs = with_id(image["attrs"], name or "", f"{slug}--")
            lines[index] = f"{image['lead']}![{alt}]({image['src']}){attrs}"
        elif caption is not None:
            ident = attribute_id(caption["attrs"])
            known = labels.by_name.get(ident or "")
            words = caption["text"]
            if known is not None and known.number is not None:
                words = f"{KIND_NAMES[known.kind]} {known.number}: {words}"
            if ident is not None:
                attrs = with_id(caption["attrs"], ident, f"{slug}--")
                lines[index] = f"{caption['lead']}{words} {attrs}"
        elif pending is not None:  # an empty span where the label was: a target for any block
            lines[pending_line] = f"[]{{#{slug}--{pending}}}"
        pending = None
    return "\n".join(lines)
