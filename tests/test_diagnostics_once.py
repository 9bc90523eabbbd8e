"""Every finding reaches the reader once, with its line, in the output and in the report JSON
(issue 12: an EPUB alt-text warning was printed twice and reported three times, two copies
without the line)."""

from __future__ import annotations

import json
from pathlib import Path

from bookmaker import build_args, make_book, png_bytes, run_cli


def test_an_image_without_alt_text_is_reported_once_with_its_line(tmp_path: Path) -> None:
    book = make_book(tmp_path / "book", {"one.md": "# One\n\nText.\n\n![](../images/red.png)\n"},
                     images={"red.png": png_bytes(40, 30)})
    out = tmp_path / "out"
    run = run_cli(build_args(book, out, ("md", "epub")))
    assert run.exit_code == 0, run.output
    report = json.loads(next(out.glob("*-report.json")).read_text())
    about_red = [line for line in report["warnings"] if "red.png" in line]
    assert len(about_red) == 1, about_red
    assert about_red[0].startswith("chapters/one.md:5:"), about_red
    assert run.output.count("red.png") == 1, run.output
