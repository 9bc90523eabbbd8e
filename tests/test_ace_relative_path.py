"""`check book.epub` with a path relative to the current folder runs Ace on that book (Ace runs in
a throwaway folder, where a relative path found nothing: "Ace produced no report")."""

from __future__ import annotations

from pathlib import Path

import pytest

from bookmaker import make_book, run_cli
from handbook_build.checks.ace import find_ace


@pytest.mark.slow
def test_ace_reads_an_epub_named_relative_to_the_current_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tool, reason = find_ace()
    if tool is None:
        pytest.skip(f"Ace by DAISY is not installed: {reason}")
    book = make_book(tmp_path / "book", {"one.md": "# One\n\nA short chapter.\n"})
    built = run_cli(["build", str(book.manifest), "-o", str(tmp_path / "out"), "-f", "epub"],
                    timeout=300)
    assert built.exit_code == 0, built.output
    monkeypatch.chdir(tmp_path)
    checked = run_cli(["check", "out/book.epub"], timeout=300)
    assert "Ace produced no report" not in checked.output, checked.output
    assert ", Ace 1." in checked.output, checked.output  # the summary names the Ace that ran
    assert checked.exit_code == 0, checked.output
