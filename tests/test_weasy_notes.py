"""The pending-footnote list given to WeasyPrint: a list in every way WeasyPrint uses it, with
``in`` by identity in constant time (counted calls: no clock)."""

from __future__ import annotations

import pytest

from handbook_build.render.weasy_notes import NoteList, install
from opcount import call_count


class Box:
    """Equal only to itself, as WeasyPrint's boxes are; in Python, so a scan is counted."""

    def __eq__(self, other: object) -> bool:
        return self is other

    __hash__ = object.__hash__


def test_a_note_list_behaves_as_the_list_it_replaces() -> None:
    boxes = [Box() for _ in range(5)]
    notes, plain = NoteList(boxes[:3]), list(boxes[:3])
    for operation in (lambda x: x.append(boxes[3]), lambda x: x.remove(boxes[0]),
                      lambda x: x.extend([boxes[4], boxes[0]]), lambda x: x.pop(0),
                      lambda x: x.insert(1, boxes[2]), lambda x: x.remove(boxes[2])):
        operation(notes)
        operation(plain)
        assert list(notes) == plain
        assert [box in notes for box in boxes] == [box in plain for box in boxes]
        assert None not in notes
    copy = notes.copy()
    assert isinstance(copy, NoteList) and list(copy) == plain
    copy.append(boxes[1])
    assert boxes[1] in copy and list(notes) == plain  # a copy is its own list
    with pytest.raises(ValueError):
        NoteList().remove(boxes[0])
    notes.clear()
    assert not notes and boxes[4] not in notes


def test_membership_does_not_scan_the_list() -> None:
    small, large = NoteList(Box() for _ in range(100)), NoteList(Box() for _ in range(10_000))
    probe = Box()
    assert call_count(lambda: [probe in small for _ in range(50)]) == \
        call_count(lambda: [probe in large for _ in range(50)])
    # The measure sees a scan: a plain list compares the probe with every member.
    assert call_count(lambda: probe in list(large)) > 10_000


def test_weasyprint_lays_out_with_a_note_list() -> None:
    import weasyprint
    from weasyprint.layout import LayoutContext

    assert install(weasyprint) and install(weasyprint)  # once, however often it is asked
    seen = []
    original = LayoutContext.layout_footnote

    def spy(self: LayoutContext, footnote: object) -> object:
        seen.append(type(self.footnotes))
        return original(self, footnote)

    LayoutContext.layout_footnote = spy  # type: ignore[method-assign]
    try:
        html = ('<style>.n { float: footnote }</style><p>One<span class="n">first</span> two'
                '<span class="n">second</span>.</p>')
        document = weasyprint.HTML(string=html).render()
    finally:
        LayoutContext.layout_footnote = original  # type: ignore[method-assign]
    assert seen and set(seen) == {NoteList}
    text = "".join(box.text for page in document.pages for box in _texts(page._page_box))
    assert "first" in text and "second" in text


def _texts(box: object) -> list[object]:
    found = [box] if hasattr(box, "text") else []
    for child in getattr(box, "children", ()):
        found.extend(_texts(child))
    return found
