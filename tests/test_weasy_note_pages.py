"""WeasyPrint corrections of weasy_note_pages.py and weasy_line_end.py, on minimal repros.

Each repro runs twice in a child process: with WeasyPrint as installed (the bug shows, so the
repro is real and the test can fail) and with the project's corrections (``load_weasyprint``).
"""

from __future__ import annotations

import subprocess
import sys

import pytest

pytest.importorskip("weasyprint")

_WITH_PATCHES = "from handbook_build.render.pdf import load_weasyprint; load_weasyprint()\n"

# A footnote call in a page's first paragraph; further down, a paragraph whose second line is
# the one that overflows the page (orphans: 2). WeasyPrint 70 moves the note to the next page to
# make room for that line instead of moving the paragraph.
_NOTES_REPRO = r'''
import weasyprint

def walk(box):
    yield box
    for child in getattr(box, "children", []):
        yield from walk(child)

CSS = """@page { size: 300pt 300pt; margin: 20pt; }
body { font: 10pt/14pt serif; orphans: 2; widows: 2; }
p { margin: 0; }
.fn { float: footnote; footnote-policy: line; font-size: 8pt; }
.fn::footnote-call { content: attr(data-n); vertical-align: super; font-size: 6pt; }
"""
astray = placed = 0
for filler in range(20, 30):
    body = "<p>Call here<span class='fn' data-n='1'>The note of the first paragraph.</span>.</p>"
    body += "<p>" + " ".join(["line of filler words"] * filler) + "</p>"
    body += "<p>" + " ".join(["words of a paragraph of two lines"] * 4) + "</p>"
    body += "<p>" + " ".join(["more filler text"] * 40) + "</p>"
    document = weasyprint.HTML(string=f"<html lang=en><style>{CSS}</style>{body}</html>").render()
    for page in document.pages:
        root = page._page_box.children[0]
        calls = {box.element.get("data-n") for box in walk(root)
                 if (box.element_tag or "").endswith("::footnote-call")}
        notes = {note.element.get("data-n") for area in page._page_box.children
                 if type(area).__name__ == "FootnoteAreaBox" for note in area.children}
        placed += len(notes)
        astray += len(notes - calls)
print(astray, placed)
'''

# "more. <em>Use cases</em>": the space before the inline element made WeasyPrint hyphenate the
# first word of the line ("lurk-") alone on its line at these widths.
_LONE_REPRO = r'''
import weasyprint

def lines(width):
    html = f"""<html lang="en"><style>@page {{ size: {width}pt 400pt; margin: 0 }}
    body {{ font-family: "Linux Libertine O", serif; font-size: 11pt; text-align: justify;
    hyphens: auto; hyphenate-limit-chars: 7 4 3; }}</style><p>Anti-patterns deal with frequent
    occurrences that are not desirable that apply to peeragogy and peer production as well such
    as messiness with lurkers, isolation or weak ties, distribution of power, navel gazing, and
    more. <em>Use cases</em> present a scenario.</p></html>"""
    page = weasyprint.HTML(string=html).render().pages[0]._page_box
    found = []
    def walk(box):
        if type(box).__name__ == "LineBox":
            parts = []
            def text(b):
                parts.append(getattr(b, "text", "") or "")
                for child in getattr(b, "children", []):
                    text(child)
            text(box)
            found.append("".join(parts).strip())
            return
        for child in getattr(box, "children", []):
            walk(child)
    walk(page)
    return found

lone = total = 0
for width in (217, 218, 219, 220, 355, 356, 357, 358):
    for line in lines(width):
        total += 1
        lone += " " not in line and line.endswith(("-", "\u2010"))
print(lone, total)
'''


def _run(script: str, patched: bool) -> tuple[int, int]:
    code = (_WITH_PATCHES if patched else "") + script
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=300, check=True)
    first, second = result.stdout.split()
    return int(first), int(second)


def test_a_line_never_pushes_a_note_off_its_call_page() -> None:
    astray, placed = _run(_NOTES_REPRO, patched=False)
    assert astray > 0, "the repro no longer shows WeasyPrint's behaviour"
    astray, placed = _run(_NOTES_REPRO, patched=True)
    assert placed == 10  # one note per document, each placed once
    assert astray == 0


def test_no_word_is_hyphenated_alone_before_an_inline_element() -> None:
    lone, _ = _run(_LONE_REPRO, patched=False)
    assert lone > 0, "the repro no longer shows WeasyPrint's behaviour"
    lone, lines = _run(_LONE_REPRO, patched=True)
    assert lone == 0
    assert lines >= 8 * 3  # the paragraph is still set, on its usual number of lines


def test_the_corrections_apply_to_weasyprint_70() -> None:
    import weasyprint

    from handbook_build.render import weasy_line_end, weasy_note_pages

    assert weasy_note_pages.install(weasyprint) == (True, True)
    assert weasy_line_end.install(weasyprint) is True
