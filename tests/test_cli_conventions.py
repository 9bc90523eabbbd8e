"""Which book a command means, and the command line's conventions: help, exit codes, colours,
versions, completion; and messages in one format whose counts add up."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bookmaker import CLI, DEFAULT_TOML, cli_env, make_book, png_bytes, run_cli, run_cli_subprocess
from handbook_build import cli
from handbook_build.model import Diagnostic

# path[:line[:col]]: severity: message[; hint] [code]
ONE_FORMAT = re.compile(r"^(?P<path>[^\s:][^:]*)(?::\d+(?::\d+)?)?: (?:error|warning): "
                        r"\S.* \[[a-z0-9-]+\]$")


# --- the book's folder is the default -----------------------------------------------------------


def test_build_in_the_books_folder_without_arguments(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    make_book(tmp_path / "mybook")
    monkeypatch.chdir(tmp_path / "mybook")
    result = run_cli(["build", "-f", "md", "-j", "1"])
    assert result.exit_code == 0, result.output
    assert "wrote build/book.md" in result.output
    assert (tmp_path / "mybook" / "build" / "book.md").is_file()
    assert "no book.toml" not in result.output


def test_a_folder_argument_uses_its_book_toml_and_builds_beside_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_book(tmp_path / "mybook")
    monkeypatch.chdir(tmp_path)
    for argument in ("mybook", "mybook/", "mybook/book.toml"):
        result = run_cli(["build", argument, "-f", "md", "-j", "1"])
        assert result.exit_code == 0, result.output
        assert "no book.toml" not in result.output and "no-manifest" not in result.output
        assert (tmp_path / "mybook" / "build" / "book.md").is_file()
    monkeypatch.chdir(tmp_path / "mybook")
    dot = run_cli(["build", ".", "-f", "md", "-j", "1"])  # the issue: "." ignored book.toml
    assert dot.exit_code == 0 and "metadata defaulted" not in dot.output
    report = json.loads((tmp_path / "mybook" / "build" / "book-report.json").read_text())
    assert report["book"] == "Test Book"


def test_then_manuscript_book_toml_then_a_contents_file(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    make_book(tmp_path / "project" / "manuscript")
    monkeypatch.chdir(tmp_path / "project")
    result = run_cli(["build", "-f", "md", "-j", "1"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "project" / "manuscript" / "build" / "book.md").is_file()
    bare = make_book(tmp_path / "bare")
    bare.manifest.unlink()
    monkeypatch.chdir(bare.root)
    defaulted = run_cli(["build", "-f", "md", "-j", "1"])
    assert defaulted.exit_code == 0, defaulted.output
    assert ("contents.md: warning: no book.toml: metadata defaulted (title 'Test Book', "
            "date 2000-01-01); write a book.toml for a release [no-manifest]") in defaulted.output
    assert "1 warning\n" in defaulted.output


def test_no_book_here_and_a_misspelled_path_are_usage_errors(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for command in ("build", "check", "watch", "serve", "release"):
        result = run_cli([command])
        assert result.exit_code == 2, (command, result.output)
        assert "no book here: looked for ./book.toml, ./manuscript/book.toml" in result.output
        assert "handbook-build init" in result.output
    make_book(tmp_path / "handbook")
    typo = run_cli(["build", "handbok"])
    assert typo.exit_code == 2
    assert "handbok: no such file or folder; did you mean handbook?" in typo.output
    assert "Traceback" not in typo.output
    assert not (tmp_path / "build").exists()


# --- conventions ---------------------------------------------------------------------------------


def test_top_level_help_lists_full_descriptions() -> None:
    result = run_cli(["--help"])
    assert result.exit_code == 0
    commands = result.output.split("Commands:")[1]
    assert "..." not in commands
    for name in ("init", "build", "check", "watch", "serve", "release"):
        assert re.search(rf"^  {name}\s+\S", commands, re.MULTILINE), name
    assert "Lint a book's sources without rendering, or validate a built .epub or" in commands
    assert "_HANDBOOK_BUILD_COMPLETE=bash_source handbook-build" in result.output
    assert "NO_COLOR" in result.output


def test_each_command_has_its_own_examples() -> None:
    examples = {}
    for command in ("init", "build", "check", "watch", "serve", "release"):
        result = run_cli([command, "--help"])
        assert result.exit_code == 0
        assert "Examples:" in result.output, command
        lines = result.output.split("Examples:")[1].strip().splitlines()
        examples[command] = [line.split()[:3] for line in lines if line.strip()]
        assert all(words[1] == command for words in examples[command]), command
    build_help = " ".join(run_cli(["build", "--help"]).output.split())
    assert "paths are relative to the current folder" in build_help
    assert "build/ beside the book.toml" in build_help
    assert "(the print edition with a text field per page)" in build_help
    # build's examples are its own, not check's
    assert not any(words[1] == "check" for words in examples["build"])


def test_verbose_and_quiet_together_are_refused(tmp_path: Path) -> None:
    book = make_book(tmp_path / "b")
    for command in ("build", "watch", "serve"):
        result = run_cli([command, str(book.root), "-v", "-q"])
        assert result.exit_code == 2, (command, result.output)
        assert "-v and -q contradict each other" in result.output
    assert not (book.root / "build").exists()


def test_a_misspelled_option_is_a_usage_error_with_did_you_mean() -> None:
    result = run_cli(["build", "--strcit"])
    assert result.exit_code == 2
    assert "No such option '--strcit'" in result.output
    assert "Did you mean" in result.output and "'--strict'" in result.output


def test_version_names_weasyprint_and_pandoc() -> None:
    import weasyprint

    result = run_cli(["--version"])
    assert result.exit_code == 0
    assert re.match(rf"^handbook-build \S+ \(WeasyPrint {re.escape(weasyprint.__version__)}, "
                    r"pandoc \d+\.\d+", result.output)


def test_no_color_is_respected(monkeypatch: pytest.MonkeyPatch) -> None:
    line = "a.md:1: warning: x [code]"
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert "\x1b[" in cli.paint(line)
    monkeypatch.setenv("NO_COLOR", "1")
    assert cli.paint(line) == line
    monkeypatch.setattr(sys.stderr, "isatty", lambda: False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert cli.paint(line) == line  # not a terminal: no colour either


def test_shell_completion_works_as_documented() -> None:
    env = cli_env({"_HANDBOOK_BUILD_COMPLETE": "bash_source"})
    script = subprocess.run([str(CLI)], env=env, capture_output=True, text=True, timeout=60)
    assert script.returncode == 0
    assert "_handbook_build_completion" in script.stdout and "complete " in script.stdout
    words = subprocess.run([str(CLI)], capture_output=True, text=True, timeout=60, env=cli_env({
        "_HANDBOOK_BUILD_COMPLETE": "bash_complete", "COMP_WORDS": "handbook-build re",
        "COMP_CWORD": "1"}))
    assert "release" in words.stdout


# --- messages ------------------------------------------------------------------------------------


def _diagnostic(code: str, number: int) -> Diagnostic:
    return Diagnostic("a.md", number, "m", severity="warning", code=code)


def test_the_summary_counts_only_the_warnings_not_shown() -> None:
    warnings = ([_diagnostic("caption-shortcode", n) for n in range(30)]
                + [_diagnostic("glued-heading", n) for n in range(15)]
                + [_diagnostic("site-unmapped", n) for n in range(5)])
    lines = cli.warning_lines(warnings, 40)
    assert len(lines) == 41
    assert lines[-1] == ("... and 10 more (glued-heading: 5, site-unmapped: 5); "
                         "`handbook-build check` lists all 50")
    assert cli.warning_lines(warnings[:40], 40) == [w.compiler_style() for w in warnings[:40]]


MESSY = {
    "one.md": ("# One\n\nText.\n## Glued\n\nSee [it](http://example.org/site/gone/) and "
               "[two](http://example.org/site/two/kipling/).\n\n"
               "![web](http://example.org/uploads/photo.jpg)\n\n"
               "A [doubled](http://%20http://example.com/x) link.\n"),
    "two.md": "# Two\n\n<center>raw</center>\n",
}


def test_build_and_check_report_the_same_set_in_one_format(tmp_path: Path) -> None:
    toml = DEFAULT_TOML.replace('stem = "book"\n',
                                'stem = "book"\nsite_url = "http://example.org/site"\n')
    book = make_book(tmp_path / "b", MESSY, toml=toml, files={"chapters/orphan.md": "# Orphan\n"})
    checked = run_cli(["check", str(book.manifest)])
    built = run_cli(["build", str(book.manifest), "-f", "md", "-j", "1"])
    assert built.exit_code == 0, built.output
    check_lines = checked.output.splitlines()[:-1]
    report = json.loads((book.root / "build" / "book-report.json").read_text())
    assert report["warnings"] == check_lines
    assert {line.rsplit("[", 1)[1] for line in check_lines} >= {
        "glued-heading]", "site-unmapped]", "unresolved-image]", "malformed-url]", "raw-html]",
        "orphan-chapter]"}
    stderr_messages = [line for line in built.output.splitlines()
                       if not line.startswith(("· ", "wrote ", "done in "))]
    assert stderr_messages == check_lines  # printed once, in the same order, nothing else
    for line in check_lines:
        assert ONE_FORMAT.match(line), line
        assert not line.startswith(("/", "..")), line
    glued = next(line for line in check_lines if "[glued-heading]" in line)
    assert glued == ("chapters/one.md:4: warning: heading glued to the previous line; repaired; "
                     "fix the source: put a blank line before the heading [glued-heading]")
    unmapped = next(line for line in check_lines if "[site-unmapped]" in line)
    assert "(other.md)" not in unmapped and 'aliases = { gone = "' in unmapped
    # An image's page under a chapter's page (/two/kipling/) leads to that chapter.
    assert "two/kipling" not in checked.output
    assert "](#two)" in (book.root / "build" / "book.md").read_text()


def test_a_missing_local_image_is_an_error_with_did_you_mean(tmp_path: Path) -> None:
    book = make_book(tmp_path / "b", {"one.md": "# One\n\n![A diagram](diagam.png)\n"},
                     images={"diagram.png": png_bytes()})
    result = run_cli(["build", str(book.manifest), "-f", "md", "-j", "1"])
    assert result.exit_code == 1
    assert ("chapters/one.md:3:1: error: image not found: diagam.png (no file 'diagam.png' next "
            "to the chapter or in the images); did you mean 'diagram.png'? fix the file name "
            "[missing-image]") in result.output
    assert "1 problem found; nothing was built." in result.output
    assert not (book.root / "build" / "book.md").exists()
    remote = make_book(tmp_path / "r", {"one.md": "# One\n\n![x](https://example.org/x.png)\n"})
    warned = run_cli(["build", str(remote.manifest), "-f", "md", "-j", "1"])
    assert warned.exit_code == 0, warned.output
    assert "warning: image not found: https://example.org/x.png" in warned.output


def test_strict_says_one_warning_in_the_singular(tmp_path: Path) -> None:
    book = make_book(tmp_path / "b", {"one.md": "# One\n\nText.\n## Glued\n"})
    result = run_cli(["build", str(book.manifest), "-f", "md", "--strict", "-j", "1"])
    assert result.exit_code == 1
    assert "1 warning and --strict is on: each counts as an error; nothing was written." in (
        result.output)
    assert "1 warnings" not in result.output


def test_real_subprocess_exit_codes(tmp_path: Path) -> None:
    assert run_cli_subprocess(["build", str(tmp_path / "nope")]).exit_code == 2
    assert run_cli_subprocess(["build", "-f", "docx"]).exit_code == 2
    book = make_book(tmp_path / "b", {"one.md": "# One\n\n![x](missing.png)\n"})
    failed = run_cli_subprocess(["build", str(book.root), "-f", "md"])
    assert failed.exit_code == 1 and not failed.has_traceback
    assert ONE_FORMAT.match(failed.output.splitlines()[1]), failed.output
