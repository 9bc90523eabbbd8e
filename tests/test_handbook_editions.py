"""The real handbook, every edition built once: own-site links internal, images embedded, report.

Skipped when the corpus is absent. Expectations are computed from the sources (which own-site
links map to a chapter, which images have a local copy), never hard-coded.
"""

from __future__ import annotations

import json
import re
import zipfile
from collections import Counter
from pathlib import Path

import pytest
from pypdf import PdfReader

from handbook_build.model import Manifest
from handbook_build.pipeline import BuildReport
from handbook_build.sources.links import build_site_map
from shared_builds import SharedHandbook

pytestmark = [pytest.mark.corpus, pytest.mark.slow]
URL = re.compile(r"https?://[^\s)\]>\"']+")


@pytest.fixture(scope="session")
def handbook(built_handbook: SharedHandbook) -> tuple[Manifest, Path, BuildReport]:
    """The run's one build of the real handbook (tests/shared_builds.py)."""
    return built_handbook.manifest, built_handbook.out, built_handbook.report


def _mapped_site_urls(manifest: Manifest) -> Counter[str]:
    """Own-site page links in the sources that name a chapter of the book: slug -> count."""
    site_map = build_site_map(manifest.metadata.site_url, manifest.chapters,
                              manifest.site_aliases)
    mapped: Counter[str] = Counter()
    for node in manifest.chapters:
        assert node.source_path is not None
        for url in URL.findall(node.source_path.read_text(encoding="utf-8")):
            target = site_map.lookup(url.rstrip(".,;"))
            if target is not None and "wp-content" not in url:
                mapped[url.rstrip(".,;")] += 1
    return mapped


def _epub_hrefs(epub_path: Path) -> list[str]:
    hrefs: list[str] = []
    with zipfile.ZipFile(epub_path) as archive:
        for name in archive.namelist():
            if name.endswith(".xhtml"):
                hrefs += re.findall(r'href="([^"]+)"', archive.read(name).decode("utf-8"))
    return hrefs


def test_own_site_links_to_chapters_are_internal_in_the_epub(handbook) -> None:  # type: ignore[no-untyped-def]
    manifest, out, _ = handbook
    mapped = _mapped_site_urls(manifest)
    assert sum(mapped.values()) >= 50, "the corpus should have many own-site chapter links"
    hrefs = _epub_hrefs(out / f"{manifest.stem}.epub")
    left_external = [h for h in hrefs if h.rstrip(".,;") in mapped]
    assert left_external == []
    internal = [h for h in hrefs if not h.startswith(("http:", "https:", "mailto:"))]
    assert len(internal) >= sum(mapped.values())


def test_own_site_links_to_chapters_are_internal_in_the_pdf(handbook) -> None:  # type: ignore[no-untyped-def]
    manifest, out, _ = handbook
    mapped = _mapped_site_urls(manifest)
    reader = PdfReader(out / f"{manifest.stem}.pdf")
    uris, internal = [], 0
    for page in reader.pages:
        for annotation in page.get("/Annots") or []:
            action = annotation.get_object().get("/A")
            if action is None:
                internal += 1  # a /Dest link
            elif action.get("/S") == "/URI":
                uris.append(str(action["/URI"]))
            else:
                internal += 1
    assert [u for u in uris if u.rstrip(".,;") in mapped] == []
    assert internal >= sum(mapped.values())


def test_print_edition_gives_page_numbers_for_internal_links(handbook) -> None:  # type: ignore[no-untyped-def]
    manifest, out, _ = handbook
    reader = PdfReader(out / f"{manifest.stem}-print.pdf")
    text = "\n".join(page.extract_text() or "" for page in reader.pages)
    see_pages = re.findall(r"see p\.\s*(\d+)", text)
    assert len(see_pages) >= sum(_mapped_site_urls(manifest).values()) // 2
    assert all(1 <= int(number) <= len(reader.pages) for number in see_pages)
    assert not any(page.get("/Annots") for page in reader.pages)


def test_images_with_local_copies_are_embedded(handbook) -> None:  # type: ignore[no-untyped-def]
    manifest, out, report = handbook
    unresolved = {f"{d.location()}: {d.message}" for d in report.diagnostics
                  if d.code == "unresolved-image"}
    with zipfile.ZipFile(out / f"{manifest.stem}.epub") as archive:
        images = [n for n in archive.namelist() if "/images/" in n and "cover" not in n]
    assert len(images) >= 40
    assert all(not h.startswith("http") for h in re.findall(
        r'src="([^"]+)"', "".join(_epub_xhtml_texts(out / f"{manifest.stem}.epub"))))
    document = json.loads((out / f"{manifest.stem}-report.json").read_text())
    assert len(document["unresolved_images"]) == len(unresolved) > 0


def _epub_xhtml_texts(epub_path: Path) -> list[str]:
    with zipfile.ZipFile(epub_path) as archive:
        return [archive.read(n).decode("utf-8") for n in archive.namelist()
                if n.endswith(".xhtml")]


def test_report_lists_pages_and_unmapped_site_links(handbook) -> None:  # type: ignore[no-untyped-def]
    manifest, out, _ = handbook
    document = json.loads((out / f"{manifest.stem}-report.json").read_text())
    pages = {f["name"]: f["pages"] for f in document["files"]}
    assert pages[f"{manifest.stem}.pdf"] == len(PdfReader(out / f"{manifest.stem}.pdf").pages)
    assert pages[f"{manifest.stem}-print.pdf"] % 2 == 0
    assert document["unmapped_site_links"], "the corpus links to site pages not in the book"
    assert all("maps to no chapter" in line for line in document["unmapped_site_links"])


def test_report_carries_the_typesetting_check_of_both_pdfs(handbook) -> None:  # type: ignore[no-untyped-def]
    from handbook_build.checks.pdf_images import placed_images

    manifest, out, _ = handbook
    document = json.loads((out / f"{manifest.stem}-report.json").read_text())
    for name, profile in ((f"{manifest.stem}.pdf", "screen"),
                          (f"{manifest.stem}-print.pdf", "print")):
        typesetting = document["editions"][name]["typesetting"]
        assert typesetting["profile"] == profile
        garbled = [image for image in placed_images(out / name) if not image.decodes]
        assert typesetting["by_code"].get("image-garbled", 0) == len(garbled), name
        pages = {image.page_index + 1 for image in garbled}
        reported = {int(found[1]) for line in typesetting["findings"]
                    if line.endswith("[image-garbled]")
                    and (found := re.search(r": p\. (\d+)", line))}
        assert reported == pages, name


def test_no_image_is_mislabelled_and_print_images_keep_their_reading_size(handbook) -> None:  # type: ignore[no-untyped-def]
    """43 of 47 print images were colour data under a /DeviceGray label, and the print edition
    shrank pictures to 300 ppi: each image must decode as labelled in both PDFs, and take at
    least the share of the text block it takes in the reading PDF."""
    from handbook_build.checks.pdf_images import iter_problems, mislabelled, placed_images

    manifest, out, _ = handbook
    figures = {}
    for name in (f"{manifest.stem}.pdf", f"{manifest.stem}-print.pdf"):
        images = placed_images(out / name)
        assert not mislabelled(images), list(iter_problems(images))[:5]
        figures[name] = [image for image in images if not image.in_pattern]
    reading, printed = figures.values()
    assert len(reading) == len(printed) >= 40
    document = json.loads((out / f"{manifest.stem}-report.json").read_text())
    gutter = document["editions"][f"{manifest.stem}-print.pdf"]["gutter_in"]
    pdf, paper = manifest.pdf.geometry, manifest.print.geometry
    reading_block = pdf.width_in - pdf.inner_in - pdf.outer_in
    print_block = paper.width_in - max(paper.inner_in, gutter) - paper.outer_in
    for seen, drawn in zip(reading, printed, strict=True):
        assert (seen.width_px, seen.height_px) == (drawn.width_px, drawn.height_px)
        assert drawn.size_in[0] / print_block >= seen.size_in[0] / reading_block - 0.005
    preflight = json.loads((out / f"{manifest.stem}-print-preflight.json").read_text())
    checks = {check["rule"]: check for check in preflight["checks"]}
    assert checks["image-data"]["passed"] is True
    assert all(entry["source"] for entry in checks["image-resolution"]["figures"]["images"])


# path[:line[:col]]: severity: message[; hint] [code]
# A code is a word ("missing-image", "preflight-image-resolution"), or a tool's rule after its
# name ("ace:heading-order"), or EPUBCheck's id ("RSC-012").
ONE_FORMAT = re.compile(r"^(?P<path>[^\s:][^:]*?)(?::\d+(?::\d+)?)?: (?:error|warning): "
                        r"\S.* \[[A-Za-z0-9-]+(?::[a-z0-9-]+)?\]$")


def _found_only_by_rendering(code: str) -> bool:
    """Codes a build reports from its rendered editions, which ``check`` on the sources cannot:
    WeasyPrint's warnings, the typesetting check of each PDF, the print preflight and its
    rules (preflight-image-resolution...), and Ace on the EPUB (or why it did not run)."""
    return (code in {"render-warning", "typesetting", "preflight", "ace-missing"}
            or code.startswith(("preflight-", "ace:")))


def test_every_message_is_in_one_format_relative_to_the_book(  # type: ignore[no-untyped-def]
        handbook, corpus_dir: Path, project_dir: Path) -> None:
    manifest, out, report = handbook
    document = json.loads((out / f"{manifest.stem}-report.json").read_text())
    lines = [d.compiler_style() for d in report.diagnostics]
    assert lines and document["warnings"] == [line for line in lines if ": warning: " in line]
    outputs = {p.name for p in out.iterdir()}
    for line in lines:
        match = ONE_FORMAT.match(line)
        assert match, line
        path = match["path"]
        assert not path.startswith(("/", "..")) and str(corpus_dir) not in line, line
        book_file = (corpus_dir / path).is_file() or (
            project_dir / "editions" / "peeragogy-v3" / path).is_file()
        assert book_file or path in outputs, line
    # check reports the same set, less what only rendering finds
    from handbook_build.checks.check import run_check

    checked = run_check(project_dir / "editions" / "peeragogy-v3" / "book.toml", corpus_dir)
    assert [d.compiler_style() for d in checked.diagnostics] == [
        d.compiler_style() for d in report.diagnostics if not _found_only_by_rendering(d.code)]
    glued = [d for d in report.diagnostics if d.code == "glued-heading"]
    assert glued and all(d.message == "heading glued to the previous line; repaired"
                         or d.message.startswith("heading glued to the end") for d in glued)
    assert not any("(other.md)" in d.hint for d in report.diagnostics)


def test_print_body_has_no_blank_page_and_the_spine_title_is_14_pt(handbook) -> None:  # type: ignore[no-untyped-def]
    """Blank versos are notes pages (issue 14, point 8); the 0.79 in spine's title is at least
    14 pt (point 9). Text by pypdf, ink by pdfium, sizes from the text matrices."""
    import pypdfium2 as pdfium

    manifest, out, _ = handbook
    pdf = out / f"{manifest.stem}-print.pdf"
    texts = [page.extract_text() or "" for page in PdfReader(pdf).pages]
    document = pdfium.PdfDocument(pdf.read_bytes())
    first_notes = next(n for n, text in enumerate(texts) if text.startswith("Notes"))
    blank = [n + 1 for n, text in enumerate(texts) if n > first_notes and not text.strip()
             and document[n].render(scale=0.2).to_pil().convert("L").getextrema()[0] >= 250]
    assert blank == []
    cover = PdfReader(out / f"{manifest.stem}-cover.pdf").pages[0]
    trim = cover.trimbox
    width = float(trim.right) - float(trim.left)
    sizes: list[float] = []

    def visit(text: str, cm: list[float], tm: list[float], _font: object, size: float) -> None:
        x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
        if "Peeragogy" in text and abs(x - float(trim.left) - width / 2) < 0.5 * 72:
            sizes.append(size * ((tm[0] * cm[0] + tm[1] * cm[2]) ** 2
                                 + (tm[0] * cm[1] + tm[1] * cm[3]) ** 2) ** 0.5)

    cover.extract_text(visitor_text=visit)
    assert sizes and min(sizes) >= 14
