"""``init`` makes a book that builds at once, and its editions are portable: the same bytes
from any working folder into any output folder, and an HTML folder that works when copied."""

from __future__ import annotations

import re
import shutil
import subprocess
import tomllib
import zipfile
from pathlib import Path
from urllib.parse import unquote, urlsplit

import lxml.html
import pytest

from bookmaker import PROJECT_DIR, edition_hashes, run_cli, run_cli_subprocess

EDITIONS = ("mybook.md", "mybook.html", "mybook.pdf", "mybook-print.pdf", "mybook.epub",
            "mybook-cover.pdf", "mybook-print-preflight.json", "mybook-print-proof.png",
            "mybook-report.json")


@pytest.fixture(scope="module")
def new_book(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """``init mybook && cd mybook && handbook-build build``, as a new user types it."""
    home = tmp_path_factory.mktemp("home")
    init = run_cli_subprocess(["init", "mybook"], cwd=home, env={"SOURCE_DATE_EPOCH": "1700000000"})
    assert init.exit_code == 0, init.output
    built = run_cli_subprocess(["build"], cwd=home / "mybook", timeout=400, cpu_seconds=600)
    assert built.exit_code == 0, built.output
    return home / "mybook", init.output + built.output


def test_init_prints_the_next_command_and_writes_the_book(new_book: tuple[Path, str]) -> None:
    book, output = new_book
    assert "next: cd mybook && handbook-build build" in output
    for name in ("book.toml", "contents.md", "chapters/introduction.md",
                 "chapters/working-together.md", "images/cycle.png"):
        assert (book / name).is_file(), name
    assert not (book / "styles").exists()  # the defaults
    manifest = tomllib.loads((book / "book.toml").read_text())
    assert manifest["book"]["title"] == "Mybook"
    assert str(manifest["book"]["date"]) == "2023-11-14"  # from SOURCE_DATE_EPOCH


def test_book_toml_shows_every_key_of_the_schema(new_book: tuple[Path, str]) -> None:
    """Every key docs/manifest.md documents appears in book.toml, set or commented out."""
    text = (new_book[0] / "book.toml").read_text()
    documented = set(re.findall(r"^\| `([a-z_]+)`", (PROJECT_DIR / "docs" / "manifest.md")
                                .read_text(), re.MULTILINE))
    documented |= {"epub", "print", "pdf", "aliases", "embed_fonts"}
    assert len(documented) > 30
    missing = [key for key in sorted(documented)
               if not re.search(rf"^(# )?\[?{key}\]? ?=|^# \[?{key}\]", text, re.MULTILINE)
               and f"[{key}]" not in text]
    assert missing == []
    # Uncommenting nothing, the file is valid TOML and every optional key is a comment.
    assert "# subtitle =" in text and "# trim =" in text


def test_every_edition_is_built_with_the_footnote_image_and_table(
        new_book: tuple[Path, str]) -> None:
    book, output = new_book
    out = book / "build"  # beside the manifest
    for name in EDITIONS:
        assert (out / name).is_file(), name
    text = subprocess.run(["pdftotext", str(out / "mybook.pdf"), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert "Working together" in text and "agree on a goal and a date" in text
    assert "Footnotes are numbered per chapter" in text
    images = subprocess.run(["pdfimages", "-list", str(out / "mybook.pdf")],
                            capture_output=True, text=True, check=True).stdout
    assert re.search(r"\bimage\s+1600\s+800\b", images)  # enough pixels for print
    with zipfile.ZipFile(out / "mybook.epub") as epub:
        assert any(n.endswith(".png") and "cover" not in n for n in epub.namelist())
        chapters = b"".join(epub.read(n) for n in epub.namelist() if n.endswith(".xhtml"))
    assert b"<table" in chapters and b"epub:type=\"footnote\"" in chapters
    assert "0 warnings" in output


def test_same_book_from_two_folders_into_two_outputs_is_byte_identical(
        new_book: tuple[Path, str], tmp_path: Path) -> None:
    """The first build ran in the book's folder into build/; this one runs in another folder
    into another output folder, naming the book by a relative path: every file is the same."""
    book, _ = new_book
    elsewhere = tmp_path / "deep" / "elsewhere"
    elsewhere.mkdir(parents=True)
    relative = Path(*[".."] * len(elsewhere.parts[1:]), *book.parts[1:])
    result = run_cli_subprocess(["build", str(relative), "-o", "../../out"], cwd=elsewhere,
                                timeout=400, cpu_seconds=600)
    assert result.exit_code == 0, result.output
    first, second = edition_hashes(book / "build"), edition_hashes(tmp_path / "out")
    assert set(first) >= {*EDITIONS, "mybook-files/style.css", "mybook-files/images/cycle.png"}
    assert first == second
    for name in ("mybook-report.json", "mybook.md", "mybook.html"):
        text = (tmp_path / "out" / name).read_text()
        assert str(tmp_path) not in text and str(book) not in text and "../" not in text, name
    assert "wrote ../../out/mybook.pdf" in result.output  # as the user typed it


def test_the_html_folder_and_the_md_work_when_copied(new_book: tuple[Path, str],
                                                     tmp_path: Path) -> None:
    out = new_book[0] / "build"
    shutil.copy(out / "mybook.html", tmp_path)
    shutil.copy(out / "mybook.md", tmp_path)
    shutil.copytree(out / "mybook-files", tmp_path / "mybook-files")
    page = lxml.html.parse(str(tmp_path / "mybook.html")).getroot()
    references = [*page.xpath("//img/@src"), *page.xpath("//link[@rel='stylesheet']/@href")]
    assert len(references) >= 2
    for reference in references:
        assert not urlsplit(reference).scheme and not reference.startswith(("/", ".."))
        assert (tmp_path / unquote(reference)).is_file(), reference
    assert "<style>" not in (tmp_path / "mybook.html").read_text()  # linked, not inlined
    (image,) = re.findall(r"!\[[^\]]*\]\(([^)\s]+)", (tmp_path / "mybook.md").read_text())
    assert image == "mybook-files/images/cycle.png"
    assert (tmp_path / image).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_init_refuses_a_folder_that_is_not_empty(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine\n")
    refused = run_cli(["init", str(tmp_path)])
    assert refused.exit_code == 2
    assert "not empty (notes.txt); give an empty or new folder, or --force" in refused.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]
    forced = run_cli(["init", str(tmp_path), "--force", "--title", "Learning Together"])
    assert forced.exit_code == 0, forced.output
    assert 'title = "Learning Together"' in (tmp_path / "book.toml").read_text()
    assert (tmp_path / "notes.txt").read_text() == "mine\n"
    again = run_cli(["init", str(tmp_path), "--force"])  # never overwrites a file
    assert again.exit_code == 2 and "already exists; init never overwrites" in again.output
    assert 'title = "Learning Together"' in (tmp_path / "book.toml").read_text()


def test_init_here_says_build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = run_cli(["init"])
    assert result.exit_code == 0, result.output
    assert "next: handbook-build build" in result.output
    check = run_cli(["check", "--strict"])  # the new book has no finding at all
    assert check.exit_code == 0, check.output
    assert "0 errors, 0 warnings" in check.output
