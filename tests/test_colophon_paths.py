"""The colophon names the manifest's body face first, whichever way the reading PDF is laid out
(issue 12, defect 1: the chunked path named Linux Libertine first)."""

from __future__ import annotations

from pathlib import Path

from pypdf import PdfReader

from bookmaker import make_book
from handbook_build.pipeline import BuildRequest, build
from handbook_build.sources.manifest import load_manifest


def _squeezed_pages(pdf: Path) -> list[str]:
    return ["".join(page.extract_text().split()) for page in PdfReader(pdf).pages]


def test_the_default_chunked_build_names_the_manifest_face_first(tmp_path: Path) -> None:
    book = make_book(tmp_path / "book", toml_extra='\n[pdf]\nfont_family = "DejaVu Serif"\n')
    out = tmp_path / "out"
    build(BuildRequest(load_manifest(book.manifest), out, ("pdf",), jobs=1))
    pages = _squeezed_pages(out / "book.pdf")
    colophon = next(page for page in pages if "Typesetwith" in page)
    # The manifest's face first; then the faces other rules name (headings, code, task boxes).
    assert "inDejaVuSerif,LinuxBiolinumO,LinuxLibertineMonoO," in colophon
    assert "LinuxLibertineO," not in colophon
