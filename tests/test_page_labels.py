"""Page labels: what a viewer shows as the page number is the folio printed on that page."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader

from bookmaker import make_book
from handbook_build.pipeline import BuildRequest, build
from handbook_build.render.page_labels import add_page_labels
from handbook_build.sources.manifest import load_manifest

FOLIO = re.compile(r"^(?:\d+|[ivxlc]+)$")
pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None,
                                reason="pdftotext (poppler-utils) is not installed")


def _printed_folios(pdf: Path, pages: int) -> dict[int, str]:
    """Page index -> the folio printed on it (a line that is only a number or a roman numeral)."""
    found: dict[int, str] = {}
    for index in range(pages):
        text = subprocess.run(["pdftotext", "-f", str(index + 1), "-l", str(index + 1), str(pdf),
                               "-"], capture_output=True, text=True, check=True).stdout
        folios = [line.strip() for line in text.splitlines() if FOLIO.match(line.strip())]
        if folios:
            found[index] = folios[-1]
    return found


@pytest.mark.slow
def test_labels_match_the_printed_folios_in_both_pdfs(tmp_path: Path) -> None:
    long_text = "\n\n".join(f"Paragraph {n} of a chapter long enough to run over pages, "
                            "with words, more words and still more words to fill lines." * 3
                            for n in range(40))
    book = make_book(tmp_path / "book", {"one.md": f"# One\n\n{long_text}\n",
                                         "two.md": f"# Two\n\n{long_text}\n"})
    out = tmp_path / "out"
    build(BuildRequest(load_manifest(book.manifest), out, ("pdf", "print"), jobs=1))
    for name in ("book.pdf", "book-print.pdf"):
        pdf = out / name
        labels = PdfReader(pdf).page_labels
        printed = _printed_folios(pdf, len(labels))
        assert len(printed) >= 6, (name, printed)
        assert any(folio.isdigit() for folio in printed.values())
        assert any(not folio.isdigit() for folio in printed.values())
        mismatched = {index: (folio, labels[index]) for index, folio in printed.items()
                      if labels[index] != folio}
        assert mismatched == {}, (name, mismatched)
        assert labels[0] == "i"


def test_without_the_anchor_every_page_is_arabic_and_the_original_bytes_stay(
        tmp_path: Path) -> None:
    import weasyprint

    pdf = weasyprint.HTML(string="<p>one</p><p style='break-before: page'>two</p>").write_pdf()
    assert isinstance(pdf, bytes)
    labelled = add_page_labels(pdf, "no-such-anchor")
    assert labelled.startswith(pdf)  # an incremental update
    target = tmp_path / "x.pdf"
    target.write_bytes(labelled)
    assert PdfReader(target).page_labels == ["1", "2"]
    assert add_page_labels(pdf, "no-such-anchor") == labelled  # deterministic
