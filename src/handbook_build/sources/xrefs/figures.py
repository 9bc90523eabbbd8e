"""MyST figure directives and Quarto figure and table divs, made plain Markdown images and
captioned tables before any other step."""

from __future__ import annotations

import re

from handbook_build.sources.markdown_fix import Fixed
from handbook_build.sources.markdown_scan import mask_code
from handbook_build.sources.xrefs.syntax import IMAGE_LINE, with_id

_FIGURE_OPEN = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,}|:{3,})[ \t]*\{figure\}"
                          r"[ \t]+(?P<src>\S[^\n]*?)[ \t]*$")
_OPTION = re.compile(r"^[ \t]*:(?P<key>[\w-]+):[ \t]*(?P<value>[^\n]*?)[ \t]*$")
_SAFE_WIDTH = re.compile(r"^\d{1,4}(?:px|%|em)?$")


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
        image = IMAGE_LINE.match(content[0]) if len(content) == 1 else None
        if image is None:
            return None
        return [f"![{caption}]({image['src']}){with_id(image['attrs'], ident)}"]
    if not all(line.startswith(("|", "+")) for line in content):
        return None
    return [*content, "", f": {caption} {{#{ident}}}"]
