"""``handbook-build release``: editions with the version in their names, a download page, the
checksums and a zip; refused, with nothing written, when any check fails."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import zipfile
from pathlib import Path

import lxml.html
import pytest
from PIL import Image

from bookmaker import make_book, run_cli, run_cli_subprocess
from handbook_build.checks.epubcheck import EpubCheckMessage, EpubCheckResult

STEM = "mybook-1.0"


@pytest.fixture(scope="module")
def released(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("release")
    assert run_cli_subprocess(["init", "mybook"], cwd=home).exit_code == 0
    manifest = home / "mybook" / "book.toml"
    manifest.write_text(manifest.read_text().replace('# edition = "1.0"', 'edition = "1.0"'))
    result = run_cli_subprocess(["release"], cwd=home / "mybook", timeout=600, cpu_seconds=900)
    assert result.exit_code == 0, result.output
    assert "release 1.0" in result.output
    return home / "mybook" / "release"


def test_release_writes_every_edition_with_its_version(released: Path) -> None:
    names = {p.name for p in released.iterdir()}
    assert {f"{STEM}.pdf", f"{STEM}-print.pdf", f"{STEM}.epub", f"{STEM}.md",
            f"{STEM}-cover.pdf", f"{STEM}-html.zip", f"{STEM}.zip", "index.html",
            "SHA256SUMS", "mybook.html", "mybook-files", "thumbnails"} <= names


def test_the_checksums_check(released: Path) -> None:
    sums = (released / "SHA256SUMS").read_text().splitlines()
    assert len(sums) == 6
    for line in sums:
        digest, name = line.split("  ")
        assert hashlib.sha256((released / name).read_bytes()).hexdigest() == digest
    if shutil.which("sha256sum"):
        subprocess.run(["sha256sum", "--check", "--quiet", "SHA256SUMS"], cwd=released,
                       check=True)


def test_the_download_page_lists_each_edition(released: Path) -> None:
    page = lxml.html.parse(str(released / "index.html")).getroot()
    rows = page.xpath("//tbody/tr")
    sums = dict(reversed(line.split("  ")) for line in
                (released / "SHA256SUMS").read_text().splitlines())
    assert len(rows) == len(sums)
    for row in rows:
        thumb, edition, pages, size, digest = row.xpath("./td")
        name = edition.xpath(".//a/@href")[0]
        assert digest.text_content() == sums[name]
        kb = (released / name).stat().st_size / 1024
        assert size.text_content() in (f"{kb:.0f} KB", f"{kb / 1024:.1f} MB")
        if name.endswith((f"{STEM}.pdf", "-print.pdf")):
            assert int(pages.text_content()) > 1
        src = thumb.xpath(".//img/@src")[0]
        with Image.open(released / src) as image:
            assert image.format == "PNG" and image.height <= 160 and image.width > 20
    assert page.xpath("//a[@href='mybook.html']")  # read online
    assert (released / "mybook-files" / "images" / "cycle.png").is_file()


def test_the_zips_hold_everything(released: Path) -> None:
    with zipfile.ZipFile(released / f"{STEM}.zip") as archive:
        names = set(archive.namelist())
        assert f"{STEM}/SHA256SUMS" in names and f"{STEM}/{STEM}.epub" in names
        assert archive.read(f"{STEM}/{STEM}.pdf") == (released / f"{STEM}.pdf").read_bytes()
    with zipfile.ZipFile(released / f"{STEM}-html.zip") as archive:
        assert {"mybook.html", "mybook-files/style.css",
                "mybook-files/images/cycle.png"} <= set(archive.namelist())
        assert b'src="mybook-files/images/cycle.png"' in archive.read("mybook.html")


def test_a_warning_refuses_the_release_and_writes_nothing(tmp_path: Path) -> None:
    book = make_book(tmp_path / "b", {"one.md": "# One\n\nText.\n## Glued\n"})
    result = run_cli(["release", str(book.root), "-j", "1"])
    assert result.exit_code == 1
    assert "1 warning and --strict is on" in result.output
    assert not (book.root / "release").exists()
    assert not list(tmp_path.rglob(".release-*"))


def test_a_failing_validator_refuses_the_release(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    import handbook_build.checks.epubcheck as epubcheck

    def failing(path: Path) -> EpubCheckResult:
        message = EpubCheckMessage("RSC-005", "ERROR", "EPUB/a.xhtml:1:1", "made-up failure")
        return EpubCheckResult(0, 1, 0, 0, (message,), "test")

    monkeypatch.setattr(epubcheck, "run_epubcheck", failing)
    book = make_book(tmp_path / "b", {"one.md": "# One\n\nText.\n"})
    (book.root / "release").mkdir()
    (book.root / "release" / "SHA256SUMS").write_text("old\n")  # a previous release stays
    result = run_cli(["release", str(book.root), "-j", "1"], timeout=400)
    assert result.exit_code == 1, result.output
    assert ("book.epub/EPUB/a.xhtml:1:1: error: made-up failure [RSC-005]\n"
            "1 problem found; nothing was built.") in result.output
    assert sorted(p.name for p in (book.root / "release").iterdir()) == ["SHA256SUMS"]
    assert (book.root / "release" / "SHA256SUMS").read_text() == "old\n"


def test_a_folder_that_is_not_a_release_is_refused(tmp_path: Path) -> None:
    book = make_book(tmp_path / "b")
    (tmp_path / "dist").mkdir()
    (tmp_path / "dist" / "mine.txt").write_text("keep\n")
    result = run_cli(["release", str(book.root), "-o", str(tmp_path / "dist")])
    assert result.exit_code == 2
    assert "not empty and not a release (no SHA256SUMS)" in result.output
    assert not (book.root / "build").exists()


def test_release_thumbnail_is_the_cover(released: Path) -> None:
    with Image.open(released / "thumbnails" / f"{STEM}.epub.png") as image:
        pixels = image.convert("RGB").resize((1, 1)).getpixel((0, 0))
    assert isinstance(pixels, tuple) and sum(pixels) < 3 * 128  # the dark typographic cover
