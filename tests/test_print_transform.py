"""The print edition's HTML rewrite: notes and page references where paper needs them, none
after a picture that only links somewhere (the handbook's picture of p. 48 got a "(see p. 47)"
that ran into the gutter)."""

from __future__ import annotations

from handbook_build.render.print_transform import rewrite_for_paper


def test_text_links_get_a_page_reference_or_a_lettered_note() -> None:
    html = rewrite_for_paper('<p><a href="#intro">the introduction</a> and '
                             '<a href="https://example.org/page">a page</a>.</p>')
    assert 'class="xref"' in html
    assert 'class="url-note"' in html and "example.org/page" in html


def test_a_link_that_only_wraps_a_picture_gets_neither() -> None:
    html = rewrite_for_paper('<p><a href="#intro"><img src="a.png" alt="A map"></a></p>'
                             '<p><a href="https://example.org/big.jpg"><img src="b.png" '
                             'alt="A photo"></a></p>')
    assert "xref" not in html
    assert "url-note" not in html and "url-inline" not in html
    assert html.count("<img") == 2


def test_a_run_of_adjacent_links_to_one_address_gets_one_note() -> None:
    html = ('<p>Short <a href="https://x.org/memos">m</a><a href="https://x.org/memos">e</a>'
            '<a href="https://x.org/memos">mo</a>s and <a href="https://x.org/memos">again</a>.</p>')
    out = rewrite_for_paper(html)
    assert out.count('class="url-note"') == 2  # the run once, the later separate link once
    assert '<a href="https://x.org/memos">mo</a><span class="url-note" data-u="a">' in out


def test_a_link_around_a_placeholder_gets_no_note() -> None:
    html = ('<p>See <a href="http://x.org/pic.jpg"><span class="image-placeholder" role="img">'
            'Image not available: pic.jpg</span></a> and <a href="http://x.org/page">'
            'a page</a>.</p>')
    out = rewrite_for_paper(html)
    assert out.count('class="url-note"') == 1
    assert '</span></a> and' in out  # nothing after the picture's link
    assert 'a page</a><span class="url-note" data-u="a">' in out
