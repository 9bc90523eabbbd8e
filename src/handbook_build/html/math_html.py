"""pandoc's MathML through the sanitizer, and formulas pandoc could not read shown as code.

nh3 drops ``<math>`` with its content (an author's raw ``<math>`` never reaches a reader; that
stays so). The formulas pandoc writes from the book's ``math`` code spans (math_marks.py) are
taken out of each section before the sanitizer runs, rebuilt from an allow-list of MathML
elements and attributes (no ``href``, no event handler, ``style`` only as ``text-align``), and
put back after it in place of a placeholder span.

A formula texmath cannot parse comes out of pandoc as ``<span class="math inline">$x$</span>``
(TeX as text). It becomes ``<code class="math-source">`` with a warning at the chapter's line:
the reader sees the source as code, never ``$$`` or ``\\frac`` posing as prose.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import lxml.html
from lxml import etree
from lxml.html import HtmlElement

from handbook_build.model import Diagnostic

__all__ = ["MATHML_ELEMENTS", "ProtectedMath", "protect_math", "restore_math",
           "self_closing_mathml"]

MATHML_ELEMENTS = frozenset({
    "math", "semantics", "annotation", "mrow", "mi", "mn", "mo", "mtext", "ms", "mspace",
    "msup", "msub", "msubsup", "mfrac", "msqrt", "mroot", "mstyle", "mtable", "mtr", "mtd",
    "mlabeledtr", "mover", "munder", "munderover", "mpadded", "mphantom", "menclose", "merror",
    "mfenced", "mmultiscripts", "mprescripts", "none",
})
_ATTRIBUTES = frozenset({
    "display", "mathvariant", "stretchy", "fence", "form", "separator", "separators", "lspace",
    "rspace", "accent", "accentunder", "displaystyle", "scriptlevel", "columnalign", "rowalign",
    "columnspacing", "rowspacing", "columnlines", "rowlines", "frame", "framespacing",
    "equalrows", "equalcolumns", "width", "height", "depth", "linethickness", "encoding",
    "largeop", "movablelimits", "symmetric", "maxsize", "minsize", "notation", "open", "close",
    "bevelled", "numalign", "denomalign", "align", "voffset", "columnspan", "rowspan",
})
_SAFE_STYLE = re.compile(r"^\s*text-align:\s*(?:left|right|center)\s*;?\s*$")
_SLOT = "data-math-slot"
_PLACEHOLDER = re.compile(r'<span data-math-slot="(\d+)"></span>')
_SELF_CLOSING = re.compile(r"<(mspace|none|mprescripts)(\s[^<>]*?)?\s*/>")


@dataclass(frozen=True, slots=True)
class ProtectedMath:
    formulas: tuple[str, ...]  # cleaned MathML, by slot number
    diagnostics: tuple[Diagnostic, ...]


def self_closing_mathml(html: str) -> str:
    """``<mspace/>`` as ``<mspace></mspace>``: the HTML parser knows no empty MathML element and
    would nest the rest of the formula inside it."""
    return _SELF_CLOSING.sub(r"<\1\2></\1>", html) if "/>" in html else html


def protect_math(section: HtmlElement, shown: str, source_text: str) -> ProtectedMath:
    """Take each ``<math>`` out of ``section`` (placeholders left), and turn each formula pandoc
    could not convert into code with a warning (``shown``: the chapter's path for messages)."""
    for element in section.iter():
        if isinstance(element.tag, str) and _SLOT in element.attrib:
            del element.attrib[_SLOT]  # only our own placeholders may carry the slot
    formulas: list[str] = []
    for math in list(section.iter("math")):
        placeholder = lxml.html.Element("span", {_SLOT: str(len(formulas))})
        formulas.append(_clean(math))
        placeholder.tail = math.tail
        parent = math.getparent()
        if parent is not None:
            parent.replace(math, placeholder)
    diagnostics = [_show_as_code(span, shown, source_text) for span in _failed(section)]
    return ProtectedMath(tuple(formulas), tuple(diagnostics))


def restore_math(html: str, protected: ProtectedMath) -> str:
    """The sanitized section with each placeholder replaced by its formula."""
    if not protected.formulas:
        return html
    return _PLACEHOLDER.sub(lambda m: protected.formulas[int(m.group(1))], html)


def _failed(section: HtmlElement) -> list[HtmlElement]:
    return [span for span in section.iter("span")
            if "math" in span.get("class", "").split()]


def _show_as_code(span: HtmlElement, shown: str, source_text: str) -> Diagnostic:
    text = span.text_content()
    display = "display" in span.get("class", "").split()
    tex = _strip_delimiters(text)
    code = lxml.html.Element("code", {"class": "math-source"})
    code.text = tex
    code.tail = span.tail
    parent = span.getparent()
    if parent is not None:
        parent.replace(span, code)
    line = _line_of(source_text, tex)
    kind = "display formula" if display else "formula"
    return Diagnostic(shown, line, f"TeX {kind} {_short(tex)} cannot be read; shown as code",
                      "check its braces and commands (pandoc's texmath reads LaTeX math)",
                      "warning", "math-unparsed")


def _strip_delimiters(text: str) -> str:
    for opener, closer in (("$$", "$$"), ("$", "$"), ("\\[", "\\]"), ("\\(", "\\)")):
        if text.startswith(opener) and text.endswith(closer) and len(text) >= 2 * len(opener):
            return text[len(opener):len(text) - len(closer)]
    return text


def _short(tex: str) -> str:
    return repr(tex if len(tex) <= 40 else tex[:37] + "...")


def _line_of(source_text: str, tex: str) -> int | None:
    """The chapter line where the formula's first words are written (formulas were joined onto
    one line, so the search uses the first few characters only)."""
    probe = tex.strip()[:24]
    if not probe:
        return None
    index = source_text.find(probe)
    if index < 0:
        first_word = probe.split()[0]
        index = source_text.find(first_word)
    return source_text.count("\n", 0, index) + 1 if index >= 0 else None


def _clean(math: HtmlElement) -> str:
    """The formula rebuilt as XML from the allow-list; anything else is left out."""
    root = _rebuild(math)
    if root is None:
        return ""
    markup = etree.tostring(root, encoding="unicode", method="html")
    # the namespace as pandoc writes it; the EPUB's XHTML writer puts MathML in it either way
    return str(markup).replace("<math", '<math xmlns="http://www.w3.org/1998/Math/MathML"', 1)


def _rebuild(source: HtmlElement) -> etree._Element | None:
    tag = str(source.tag).lower() if isinstance(source.tag, str) else ""
    if tag not in MATHML_ELEMENTS:
        return None
    target = etree.Element(tag)
    for name, value in source.attrib.items():
        name = str(name).lower()
        if _allowed(name, value):
            target.set(name, value)
    target.text = source.text
    for child in source:
        rebuilt = _rebuild(child) if isinstance(child.tag, str) else None
        if rebuilt is not None:
            rebuilt.tail = child.tail
            target.append(rebuilt)
        elif child.tail:
            _append_text(target, child.tail)
    return target


def _allowed(name: str, value: str) -> bool:
    if name == "encoding":
        return True  # annotation's "application/x-tex"
    if name == "style":
        return _SAFE_STYLE.match(value) is not None
    return name in _ATTRIBUTES and "url(" not in value.lower() and ":" not in value


def _append_text(element: etree._Element, text: str) -> None:
    if len(element):
        element[-1].tail = (element[-1].tail or "") + text
    else:
        element.text = (element.text or "") + text
