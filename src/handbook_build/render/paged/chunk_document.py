"""The chunk documents: the HTML WeasyPrint lays out for a run of groups (the book's title page,
a blank verso, then the groups' sections with their folios and printed page numbers), for the
front matter, for the edition's blank verso, and the single-pass document of the whole book
that they reproduce piece by piece."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape

from handbook_build.model import HtmlSection, TocNode
from handbook_build.render.document import body_html
from handbook_build.render.paged.edition import Paged
from handbook_build.render.paged.groups import RunJob
from handbook_build.render.paged.page_links import mark_links

__all__ = ["TITLE_PAGES", "blank_document", "front_document", "run_document", "whole_document"]

TITLE_PAGES = 2  # a run document: title page, blank verso, then the first section on page 3
_NO_NODE = TocNode("chapter", "", 1, "-", 0)  # body_html only reads each section's html


def whole_document(paged: Paged) -> str:
    """The single-pass document: what ``build_document`` gives for the same edition."""
    return (
        f'<!DOCTYPE html>\n<html lang="{escape(paged.lang)}">\n{paged.head}\n<body>\n'
        f'<div class="front-matter">\n{paged.front}</div>\n'
        f'<div class="body-matter">\n{_body(paged.sections)}</div>\n'
        "</body>\n</html>\n"
    )


def _body(sections: Sequence[str]) -> str:
    return body_html([HtmlSection(_NO_NODE, html) for html in sections])


def run_document(paged: Paged, job: RunJob, title_pages: int = TITLE_PAGES) -> str:
    """Title page, then the groups' sections; folios start at ``job.start``."""
    values = dict(job.values)
    html = "\n".join(mark_links(paged, group.html, values) for group in job.groups)
    page_rule = (f"@page :nth({title_pages + 1}) {{ counter-reset: page {job.start}; }}\n"
                 if job.groups[0].first != 0 else "")
    if not paged.recto_openings and job.groups[0].first != 0:
        # Screen layout: a section opens on the next page, so a run's first section follows the
        # title page directly; this rule puts it on page ``title_pages + 1`` all the same.
        side = "right" if title_pages % 2 == 0 else "left"
        page_rule += f".body-matter > :first-child {{ break-before: {side}; }}\n"
    return (
        f'<!DOCTYPE html>\n<html lang="{escape(paged.lang)}">\n'
        f"{_head(paged, page_rule)}\n<body>\n"
        f'<div class="front-matter">\n{paged.title_page}</div>\n'
        f'<div class="body-matter">\n{html}\n</div>\n'
        "</body>\n</html>\n"
    )


def front_document(paged: Paged, values: Mapping[str, str]) -> str:
    front = mark_links(paged, paged.front, values)
    return (f'<!DOCTYPE html>\n<html lang="{escape(paged.lang)}">\n{_head(paged, "")}\n'
            f'<body>\n<div class="front-matter">\n{front}</div>\n</body>\n</html>\n')


def blank_document(paged: Paged) -> str:
    """Three pages: the second is a blank verso as the edition styles it (``@page :blank``)."""
    return (f'<!DOCTYPE html>\n<html lang="{escape(paged.lang)}">\n{_head(paged, "")}\n'
            '<body>\n<div style="height: 1px"></div><div style="break-before: right; '
            'height: 1px"></div>\n</body>\n</html>\n')


def _head(paged: Paged, page_rule: str) -> str:
    extra = paged.support.override_css + page_rule
    if not extra:
        return paged.head
    return paged.head.replace("</head>", f"<style>\n{extra}</style>\n</head>", 1)
