"""The EPUBCheck wrapper: report parsing, a missing Java, a broken EPUB."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest

from handbook_build.checks import epubcheck
from handbook_build.checks.epubcheck import EpubCheckResult, parse_report, run_epubcheck
from handbook_build.errors import MissingToolError, RenderError

REPORT = {
    "checker": {"nFatal": 0, "nError": 1, "nWarning": 2, "nUsage": 0, "checkerVersion": "5.3.0"},
    "messages": [
        {"ID": "RSC-005", "severity": "ERROR", "message": "bad",
         "locations": [{"path": "EPUB/a.xhtml", "line": 3, "column": 7}]},
        {"ID": "PKG-010", "severity": "WARNING", "message": "space",
         "locations": [{"path": "EPUB/b c.png", "line": -1, "column": -1},
                       {"path": "EPUB/d e.png", "line": -1, "column": -1}]},
    ],
}


def test_parse_report_counts_and_messages() -> None:
    result = parse_report(REPORT)
    assert (result.fatals, result.errors, result.warnings, result.usages) == (0, 1, 2, 0)
    assert not result.is_valid
    assert [m.location for m in result.messages] == ["EPUB/a.xhtml:3:7", "EPUB/b c.png",
                                                     "EPUB/d e.png"]
    assert str(result.messages[0]) == "EPUB/a.xhtml:3:7: ERROR: bad [RSC-005]"
    assert result.checker_version == "5.3.0"


def test_missing_java_is_a_missing_tool_error(monkeypatch: pytest.MonkeyPatch,
                                              tmp_path: Path) -> None:
    monkeypatch.setattr(epubcheck, "java_path", lambda: None)
    with pytest.raises(MissingToolError) as raised:
        run_epubcheck(tmp_path / "book.epub")
    assert raised.value.exit_code == 3
    assert "apt-get install openjdk-17-jre-headless" in raised.value.format_message()


def test_a_java_that_gives_no_report_is_a_render_error(monkeypatch: pytest.MonkeyPatch,
                                                       tmp_path: Path) -> None:
    false = shutil.which("false")
    if false is None:
        pytest.skip("no 'false' program")
    monkeypatch.setattr(epubcheck, "java_path", lambda: false)
    with pytest.raises(RenderError, match="no report"):
        run_epubcheck(tmp_path / "book.epub")


@pytest.mark.skipif(shutil.which("java") is None,
                    reason="EPUBCheck needs Java: apt-get install openjdk-17-jre-headless")
def test_a_broken_epub_reports_errors(tmp_path: Path) -> None:
    path = tmp_path / "broken.epub"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/epub+zip", compress_type=zipfile.ZIP_STORED)
        archive.writestr("META-INF/container.xml", "<container/>")
    result = run_epubcheck(path)
    assert isinstance(result, EpubCheckResult)
    assert result.fatals + result.errors > 0
    assert all(message.id for message in result.messages)
