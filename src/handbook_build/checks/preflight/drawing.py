"""What a page really draws, read from its content streams (forms and patterns followed): the
images, graphics states and RGB colour; and the resource dictionaries it can reach."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import pypdf
from pypdf.generic import DictionaryObject, IndirectObject, StreamObject

# Fill/stroke colour operators in RGB; PDF/X-1a allows only CMYK and grey.
RGB_OPERATOR = re.compile(rb"(?<![A-Za-z])(?:rg|RG)(?![A-Za-z])")


# Names a content stream uses: "/Im3 Do" (XObjects), "/a0.5 gs" (graphics states),
# "/P1 scn" (patterns), "/Sh2 sh" (shadings). WeasyPrint shares one resource dictionary among
# all pages, so what a page *uses* has to be read from its content, not from its resources.
_USE = re.compile(rb"/([^\s/\[\]<>(){}%]+)\s+(Do|gs|scn|SCN|sh)(?![A-Za-z])")


@dataclass(slots=True)
class Drawing:
    images: list[DictionaryObject] = field(default_factory=list)
    states: list[DictionaryObject] = field(default_factory=list)
    rgb: bool = False


def page_drawing(page: pypdf.PageObject) -> Drawing:
    """The images, graphics states and RGB colour a page really draws (forms and patterns too)."""
    drawn = Drawing()
    contents = page.get_contents()
    stack = [(contents.get_data() if contents is not None else b"",
              pdf_dict(page.get("/Resources")))]
    seen: set[int] = set()
    while stack:
        data, resources = stack.pop()
        drawn.rgb = drawn.rgb or bool(RGB_OPERATOR.search(data))
        for name_bytes, operator in _USE.findall(data):
            name = "/" + name_bytes.decode("latin-1")
            kind = {b"Do": "/XObject", b"gs": "/ExtGState", b"sh": "/Shading"}.get(
                operator, "/Pattern"
            )
            ref = pdf_dict(resources.get(kind)).get(name)
            key = ref.idnum if isinstance(ref, IndirectObject) else -1
            if ref is None or key in seen:
                continue
            seen.add(key)
            target = ref.get_object() if isinstance(ref, IndirectObject) else ref
            _visit(target, kind, resources, drawn, stack)
    return drawn


def _visit(
    target: object, kind: str, resources: DictionaryObject, drawn: Drawing,
    stack: list[tuple[bytes, DictionaryObject]],
) -> None:
    if not isinstance(target, DictionaryObject):
        return
    if kind == "/ExtGState":
        drawn.states.append(target)
        return
    if target.get("/Subtype") == "/Image":
        drawn.images.append(target)
        drawn.rgb = drawn.rgb or "RGB" in str(target.get("/ColorSpace", ""))
        return
    shading = pdf_dict(target.get("/Shading")) if kind == "/Pattern" else target
    if "/ColorSpace" in shading:
        drawn.rgb = drawn.rgb or "RGB" in str(shading.get("/ColorSpace"))
    if isinstance(target, StreamObject) and kind in ("/XObject", "/Pattern"):
        # A form or a tiling pattern: its own content, with its own resources if it has them.
        own = target.get("/Resources")
        stack.append((target.get_data(), pdf_dict(own) if own is not None else resources))


def resource_dicts(page: pypdf.PageObject) -> Iterator[DictionaryObject]:
    """The page's resources and those of the form XObjects they hold, depth first."""
    stack = [pdf_dict(page.get("/Resources"))]
    seen: set[int] = set()
    while stack:
        resources = stack.pop()
        yield resources
        for ref in pdf_dict(resources.get("/XObject")).values():
            key = ref.idnum if isinstance(ref, IndirectObject) else id(ref)
            xobject = pdf_dict(ref)
            if key not in seen and xobject.get("/Subtype") == "/Form":
                seen.add(key)
                stack.append(pdf_dict(xobject.get("/Resources")))


def pdf_dict(value: object) -> DictionaryObject:
    if isinstance(value, IndirectObject):
        value = value.get_object()
    return value if isinstance(value, DictionaryObject) else DictionaryObject()
