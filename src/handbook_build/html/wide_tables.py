"""Tables with many columns, marked so the styles can fit them into the text block.

A 10-column table at body size is wider than any page's text block: each cell's longest word
sets a minimum width, the minimums add up past the margin, and WeasyPrint clips the last
columns at the page edge. A table with ``WIDE_COLUMNS`` columns or more gets the class
``wide-table``; base.css sets it in smaller type and lets its words break anywhere, so its
minimum width is a few letters per column and it always fits.
"""

from __future__ import annotations

from lxml.html import HtmlElement

__all__ = ["WIDE_COLUMNS", "column_count", "mark_wide_tables"]

# Five columns of ordinary words fit the narrowest text block (the print edition's) at 0.9em.
WIDE_COLUMNS = 6


def column_count(table: HtmlElement) -> int:
    """Columns of ``table``: its <col> elements, or the cells of its widest row."""
    cols = [col for col in table.iter("col") if _owner(col) is table]
    if cols:
        return sum(max(1, _span(col, "span")) for col in cols)
    widest = 0
    for row in table.iter("tr"):
        if _owner(row) is table:
            cells = [cell for cell in row if cell.tag in ("td", "th")]
            widest = max(widest, sum(max(1, _span(cell, "colspan")) for cell in cells))
    return widest


def mark_wide_tables(root: HtmlElement) -> None:
    for table in root.iter("table"):
        if column_count(table) >= WIDE_COLUMNS:
            classes = (table.get("class") or "").split()
            if "wide-table" not in classes:
                table.set("class", " ".join([*classes, "wide-table"]))


def _owner(element: HtmlElement) -> HtmlElement | None:
    """The nearest enclosing table (a nested table's rows are not the outer table's)."""
    parent = element.getparent()
    while parent is not None and parent.tag != "table":
        parent = parent.getparent()
    return parent


def _span(element: HtmlElement, name: str) -> int:
    try:
        return int(element.get(name, "1"))
    except ValueError:
        return 1
