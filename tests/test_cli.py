"""The command line through click's CliRunner: exit codes, messages, no tracebacks."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from handbook_build import __version__
from handbook_build.cli import main


def test_version() -> None:
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0
    assert __version__ in result.output


def test_help_has_examples() -> None:
    result = CliRunner().invoke(main, ["build", "--help"])
    assert result.exit_code == 0
    assert "Examples:" in result.output
    assert "handbook-build build -f pdf -f epub" in result.output


def test_unknown_format_is_a_usage_error() -> None:
    result = CliRunner().invoke(main, ["build", "-f", "docx"])
    assert result.exit_code == 2
    assert "'docx' is not one of" in result.output


def test_missing_manifest_is_a_usage_error_without_traceback(tmp_path: Path) -> None:
    missing = tmp_path / "nope" / "book.toml"
    result = CliRunner().invoke(main, ["build", str(missing), "-o", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert f"{missing}: no such file or folder" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


def test_handbook_source_variable_does_not_redirect_other_books(
    tmp_path: Path, project_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """HANDBOOK_SOURCE is for manifests that name it (${HANDBOOK_SOURCE:-...}), not for all."""
    monkeypatch.setenv("HANDBOOK_SOURCE", str(tmp_path / "elsewhere"))
    result = CliRunner().invoke(main, ["build", str(project_dir / "manuscript" / "book.toml"),
                                       "-o", str(tmp_path / "out"), "-f", "md", "-q"])
    assert result.exit_code == 0, result.output
    assert any((tmp_path / "out").glob("*.md"))
