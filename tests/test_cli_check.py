"""``handbook-build check`` through click's CliRunner: exit codes, compiler-style lines, JSON."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from handbook_build.cli import main

TOML = '[book]\ntitle = "A Small Book"\ndate = 2024-01-31\n\n[contents]\nfile = "contents.md"\n'


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def write_book(root: Path, chapters: dict[str, str], toml: str = TOML) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "book.toml").write_text(toml, encoding="utf-8")
    listed = "".join(f"- [{Path(name).stem.title()}]({name})\n" for name in chapters)
    (root / "contents.md").write_text(listed, encoding="utf-8")
    for name, body in chapters.items():
        (root / name).write_text(body, encoding="utf-8")
    return root / "book.toml"


def run(*args: str) -> Result:
    return CliRunner().invoke(main, ["check", *args])


def test_clean_book_exits_0(tmp_path: Path) -> None:
    write_book(tmp_path, {"one.md": "## Heading\n\nText.\n"})
    result = run("book.toml")
    assert result.exit_code == 0, result.output
    assert re.fullmatch(r"book\.toml: 1 chapter; 0 errors, 0 warnings \(\d+\.\d\d s\)\n",
                        result.output)


def test_sample_book_by_default(project_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(project_dir)
    result = run()
    assert result.exit_code == 0, result.output
    # The specimen's one warning is its web picture with no local copy; --strict fails on it.
    lines = result.output.splitlines()
    assert "chapters/pictures.md:" in lines[0], result.output
    assert "warning: image not found: https://example.org/pictures/first-copy.jpg" in lines[0]
    assert lines[-1].startswith("manuscript/book.toml: 9 chapters; 0 errors, 1 warning")
    assert run("--strict").exit_code == 1


def test_warnings_exit_0_but_1_with_strict(tmp_path: Path) -> None:
    write_book(tmp_path, {"one.md": "Text.\n## Glued\n"})
    result = run("book.toml")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0] == ("one.md:2: warning: heading glued to the previous line; repaired; fix "
                        "the source: put a blank line before the heading [glued-heading]")
    assert lines[-1].startswith("book.toml: 1 chapter; 0 errors, 1 warning (")
    strict = run("--strict", "book.toml")
    assert strict.exit_code == 1
    assert strict.output.splitlines()[:-1] == lines[:-1]  # the same report; only the timing


def test_errors_exit_1(tmp_path: Path) -> None:
    write_book(tmp_path, {"one.md": "Text.\n"})
    with (tmp_path / "contents.md").open("a", encoding="utf-8") as contents:
        contents.write("- [Two](two.md)\n")
    result = run("book.toml")
    assert result.exit_code == 1
    assert result.output.startswith("contents.md:2: error: chapter file two.md does not exist")
    assert "[missing-chapter]" in result.output
    assert "1 error, 0 warnings" in result.output


def test_bad_toml_is_reported_like_a_compiler_without_traceback(tmp_path: Path) -> None:
    write_book(tmp_path, {"one.md": "Text.\n"}, toml='[book]\ntitle = "unclosed\n')
    result = run("book.toml")
    assert result.exit_code == 1
    assert re.match(r"^book\.toml:2:\d+: error: not valid TOML: .*\[toml-syntax\]$",
                    result.output.splitlines()[0])
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_json_for_ci(tmp_path: Path) -> None:
    write_book(tmp_path, {"one.md": "Caf\x01e.\n", "two.md": "#### Deep\n\n## Up\n"})
    result = run("--format", "json", "book.toml")
    assert result.exit_code == 0
    document = json.loads(result.output)
    assert document["version"] == 1
    assert document["target"] == "book.toml"
    assert [(d["file"], d["line"], d["column"], d["severity"], d["code"])
            for d in document["diagnostics"]] == [
        ("one.md", 1, 4, "warning", "control-character"),
        ("two.md", 1, None, "warning", "heading-jump"),
    ]
    assert all(set(d) == {"file", "line", "column", "severity", "code", "message", "hint",
                          "page", "folio"}
               for d in document["diagnostics"])
    assert document["counts"] == {
        "errors": 0, "warnings": 2, "by_code": {"control-character": 1, "heading-jump": 1}}
    assert run("--format", "json", "--strict", "book.toml").exit_code == 1


def test_json_for_a_manifest_error(tmp_path: Path) -> None:
    write_book(tmp_path, {"one.md": "Text.\n"}, toml="[book]\ntitle = 3\n")
    result = run("--format", "json", "book.toml")
    assert result.exit_code == 1
    document = json.loads(result.output)
    assert document["counts"]["errors"] >= 1
    assert {d["code"] for d in document["diagnostics"]} >= {"wrong-type"}


def test_missing_target_is_a_usage_error(tmp_path: Path) -> None:
    result = run()  # no book.toml, manuscript/book.toml nor contents.md here
    assert result.exit_code == 2
    assert "no book here: looked for ./book.toml, ./manuscript/book.toml, ./contents.md" in (
        result.output)
    typo = run("bok.toml") if (tmp_path / "book.toml").write_text("") is not None else None
    assert typo is not None and typo.exit_code == 2
    assert "bok.toml: no such file or folder; did you mean book.toml?" in typo.output


def test_source_option_and_environment(tmp_path: Path) -> None:
    write_book(tmp_path / "book", {"one.md": "Text.\n"})
    write_book(tmp_path / "elsewhere", {"one.md": "Text.\n## Glued\n"})
    assert run("book/book.toml").exit_code == 0
    result = run("--strict", "--source", "elsewhere", "book/book.toml")
    assert result.exit_code == 1
    # Relative to the book's source folder (the book's root does not hold it).
    assert result.output.startswith("one.md:2: warning:")
    # HANDBOOK_SOURCE is read only by manifests that name it (${HANDBOOK_SOURCE:-...}): it must
    # not redirect a book that does not, or `make test`'s export would check the wrong book.
    env = CliRunner(env={"HANDBOOK_SOURCE": "elsewhere"}).invoke(
        main, ["check", "--strict", "book/book.toml"])
    assert env.exit_code == 0


def test_bare_contents_file_warns_about_defaulted_metadata(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("# Notes\n\n- [One](one.md)\n", encoding="utf-8")
    (tmp_path / "one.md").write_text("Text.\n", encoding="utf-8")
    result = run("README.md")
    assert result.exit_code == 0
    assert result.output.startswith("README.md: warning: no book.toml: metadata defaulted "
                                    "(title 'Notes'")
    assert run("--strict", ".").exit_code == 1


def test_pdf_target(tmp_path: Path) -> None:
    import pypdf

    writer = pypdf.PdfWriter()
    for _ in range(3):
        writer.add_blank_page(width=100, height=100)
    writer.add_outline_item(title="One", page_number=0)
    with (tmp_path / "book.pdf").open("wb") as handle:
        writer.write(handle)
    (tmp_path / "book-print.pdf").write_bytes((tmp_path / "book.pdf").read_bytes())
    reading = run("book.pdf")
    assert reading.exit_code == 0
    assert reading.output.startswith("book.pdf: 3 pages, 0 fonts, 1 outline entry")
    printing = run("book-print.pdf")
    assert printing.exit_code == 1
    assert printing.output.startswith("book-print.pdf: error: the print PDF has 3 pages")
