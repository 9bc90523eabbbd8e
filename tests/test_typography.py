"""Hyphenation discipline: names and URLs are never hyphenated, URLs break only after / . - @,
and the real handbook's reading PDF keeps its hyphenated lines under the issue's targets.

Measured on the PDF's own text (pdftotext -bbox-layout lines), never on the HTML alone.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from xml.etree import ElementTree

import lxml.html
import pytest

from bookmaker import make_book
from handbook_build.html.typography import mark_line_breaks, needs_whole_word, url_break_html
from handbook_build.pipeline import BuildRequest, build
from handbook_build.sources.manifest import load_manifest
from shared_builds import SharedHandbook

XHTML = "{http://www.w3.org/1999/xhtml}"
# WeasyPrint's inserted hyphen is U+2010; an explicit hyphen stays U+002D.
HYPHENATED_END = re.compile(r"[^\W\d_][\u2010-]$")
pdftotext_missing = shutil.which("pdftotext") is None


def _marked(html: str) -> str:
    section = lxml.html.fragment_fromstring(f"<section>{html}</section>")
    mark_line_breaks(section)
    return lxml.html.tostring(section, encoding="unicode")


def _lines(pdf: Path) -> list[list[str]]:
    """Each text line of the PDF as its words, block by block (a block break ends a run)."""
    xml = subprocess.run(["pdftotext", "-bbox-layout", str(pdf), "-"], capture_output=True,
                         text=True, check=True).stdout
    root = ElementTree.fromstring(re.sub(r"<!DOCTYPE[^>]*>", "", xml))
    lines: list[list[str]] = []
    for block in root.iter(f"{XHTML}block"):
        for line in block.iter(f"{XHTML}line"):
            lines.append([word.text or "" for word in line.iter(f"{XHTML}word")])
        lines.append([])  # a block boundary
    return lines


def test_names_acronyms_and_words_with_digits_are_kept_whole() -> None:
    assert needs_whole_word("Twitter", "We used ")
    assert needs_whole_word("PlanetMath", "")  # a capital inside the word
    assert needs_whole_word("Web2point0", "the ")
    assert not needs_whole_word("However", "It works. ")  # a capital that starts a sentence
    assert not needs_whole_word("learners", "the ")
    assert not needs_whole_word("Tweet", "the ")  # too short to hyphenate anyway


def test_spans_go_around_names_only_in_prose() -> None:
    html = _marked("<p>We used Twitter daily.</p><pre>Twitter CamelCase</pre>"
                   "<p><code>PlanetMath</code> and PlanetMath</p>")
    assert html.count('class="nh"') == 2
    assert '<span class="nh">Twitter</span> daily' in html
    assert "<pre>Twitter CamelCase</pre>" in html
    assert "<code>PlanetMath</code> and <span class=\"nh\">PlanetMath</span>" in html


def test_comments_are_skipped_and_their_text_still_marked() -> None:
    """An HTML comment in a chapter once crashed the build (a comment has no text_content)."""
    html = _marked("<!-- a note --> We used Twitter.<p>It is <!-- x -->Twitter and "
                   "<em>so</em><!-- y --> Facebook.</p><p><!-- z -->Nowadays it works.</p>")
    assert '<!-- a note --> We used <span class="nh">Twitter</span>.' in html
    assert 'It is <!-- x --><span class="nh">Twitter</span> and' in html
    assert '<!-- y --> <span class="nh">Facebook</span>.' in html
    assert "<!-- z -->Nowadays it works." in html  # a capital that starts the paragraph


def test_text_is_unchanged_by_the_marks() -> None:
    source = ("<p>Students of 5PH1NX met on Twitter, see <a href='https://ex.org/a'>"
              "https://www.example.org/path/to-page.html?x=1</a>. Then <em>Peeragogy</em>.</p>")
    before = lxml.html.fragment_fromstring(f"<section>{source}</section>").text_content()
    after = lxml.html.fragment_fromstring(_marked(source)).text_content()
    # Only the invisible break points inside the address are new.
    assert before == after.replace("\u200b", "")


def test_url_links_break_after_separators_only() -> None:
    html = _marked("<p>See <a href='https://ex.org'>https://www.example.org/a-b/c.html</a> "
                   "or <a href='mailto:x@y.org'>howard@rheingold.com</a> or "
                   "<a href='https://ex.org'>the site</a>.</p>")
    assert html.count('class="url"') == 2
    link = re.search(r'<a href="https://ex.org" class="url">(.*?)</a>', html)
    assert link is not None
    pieces = link.group(1).split("\u200b")
    assert pieces == ["https://", "www.", "example.", "org/", "a-", "b/", "c.", "html"]
    assert "howard@\u200brheingold.\u200bcom" in html
    assert '<a href="https://ex.org">the site</a>' in html  # prose text: no marks


def test_url_notes_get_break_points_and_stay_escaped() -> None:
    expected = "ex.\u200borg/\u200ba?\u200bb=\u200b1&amp;\u200bc=\u200b2"
    assert url_break_html("ex.org/a?b=1&c=2") == expected


NARROW = """
[pdf]
trim = "4x6in"
"""


@pytest.mark.skipif(pdftotext_missing, reason="pdftotext (poppler-utils) is not installed")
def test_a_narrow_page_never_hyphenates_names_or_splits_urls_inside_a_word(
        tmp_path: Path) -> None:
    names = " ".join(["Twitter and Facebook and Wikipedia and PlanetMath met Rheingold."] * 12)
    url = "https://www.example.org/collaboration/peer-learning/handbook/chapter.html"
    chapter = (f"# Names\n\n{names}\n\nThe address <{url}> and the e-mail "
               "<howard@rheingoldassociates.com> appear in running text, twice over, so "
               f"that both cross a line end somewhere: <{url}>.\n")
    book = make_book(tmp_path / "book", {"names.md": chapter}, toml_extra=NARROW)
    out = tmp_path / "out"
    build(BuildRequest(load_manifest(book.manifest), out, ("pdf",), jobs=1))
    lines = _lines(out / "book.pdf")
    ends = [words[-1] for words in lines if words]
    for name in ("Twitter", "Facebook", "Wikipedia", "PlanetMath", "Rheingold"):
        assert not any(end.endswith("\u2010") and name.startswith(end[:-1]) for end in ends), name
    # Every line that ends inside an address ends right after a separator.
    for end in ends:
        if end.startswith(("https://", "www.", "example.", "howard@")) or "/" in end:
            assert end[-1] in "/.-@", end


@pytest.mark.corpus
@pytest.mark.slow
def test_the_handbook_reading_pdf_meets_the_hyphenation_targets(
        built_handbook: SharedHandbook) -> None:
    if pdftotext_missing:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    pdf = built_handbook.output(".pdf")
    lines = _lines(pdf)
    text_lines = [words for words in lines if words]
    hyphenated = [words for words in text_lines if HYPHENATED_END.search(words[-1])]
    runs, run = 0, 0
    for words in lines:
        if words and HYPHENATED_END.search(words[-1]):
            run += 1
            continue
        runs += run >= 3
        run = 0
    share = len(hyphenated) / len(text_lines)
    assert share <= 0.10, f"{share:.1%} of lines end in a hyphen"
    assert runs <= 5, f"{runs} runs of three or more hyphenated lines"
    # No auto-hyphenated name: a fragment ending in WeasyPrint's hyphen that starts with a capital
    # inside a sentence would be a name; the marks forbid those, so only sentence starts remain.
    two_letter = [words[-1] for words in hyphenated
                  if words[-1].endswith("\u2010") and len(words[-1]) <= 3]
    assert two_letter == [], two_letter
