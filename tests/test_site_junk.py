"""Website leftovers (WordPress shortcodes, verification tokens) never reach a reader, and each
one removed is a warning at its source line, in ``build`` as in ``check``."""

from __future__ import annotations

import zipfile
from pathlib import Path

from pypdf import PdfReader

from bookmaker import make_book, run_cli
from handbook_build.sources.site_junk import remove_site_junk

CHAPTER = """# Team

Before the map.

[wpgmza id="1"]

googleacbac2db70ae2a56

[gallery ids="1,2,3"]

A reference line stays a link:

[the handbook]

[the handbook]: https://example.org/handbook

```
[wpgmza id="2"]
```

After the map.
"""


def test_shortcode_and_token_lines_go_with_a_warning_each() -> None:
    fixed = remove_site_junk(CHAPTER, "team.md")
    assert "wpgmza id=\"1\"" not in fixed.text and "googleacbac" not in fixed.text
    assert "[gallery" not in fixed.text
    assert "[the handbook]\n" in fixed.text  # a reference link is not a shortcode
    assert '[wpgmza id="2"]' in fixed.text  # code is never touched
    assert [(d.line, d.code) for d in fixed.diagnostics] == [
        (5, "site-shortcode"), (7, "site-token"), (9, "site-shortcode")]
    assert fixed.text.count("\n") == CHAPTER.count("\n")  # lines keep their numbers


def test_no_edition_shows_them_and_check_lists_them(tmp_path: Path) -> None:
    book = make_book(tmp_path / "book", {"team.md": CHAPTER})
    out = tmp_path / "out"
    built = run_cli(["build", str(book.manifest), "-o", str(out), "-f", "md", "-f", "pdf",
                     "-f", "epub"], timeout=240)
    assert built.exit_code == 0, built.output
    checked = run_cli(["check", str(book.manifest)])
    for run in (built, checked):
        assert run.output.count("[site-shortcode]") == 2, run.output
        assert run.output.count("[site-token]") == 1, run.output
        assert "team.md:5:" in run.output and "team.md:7:" in run.output
    pdf_text = "".join(page.extract_text() for page in PdfReader(out / "book.pdf").pages)
    with zipfile.ZipFile(out / "book.epub") as epub:
        epub_text = "".join(epub.read(name).decode() for name in epub.namelist()
                            if name.endswith(".xhtml"))
    for text in ((out / "book.md").read_text(encoding="utf-8"), pdf_text, epub_text):
        assert "Before the map" in text and "After the map" in text
        assert 'wpgmza id="1"' not in text and "googleacbac2db70ae2a56" not in text
        assert "gallery ids" not in text
