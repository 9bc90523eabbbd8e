"""``watch`` lives through mistakes and ignores editors' temporaries; ``serve`` previews the
book in a real browser (headless chromium) and reloads it after a save."""

from __future__ import annotations

import json
import os
import queue
import shutil
import signal
import subprocess
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from bookmaker import CLI, DEFAULT_TOML, cli_env, make_book, png_bytes
from handbook_build.pipeline import BuildRequest, build
from handbook_build.serve import PreviewState, start_server
from handbook_build.sources.inputs import load_any
from handbook_build.watch import describe, is_book_file, watch

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.parametrize("name", ["sedWOCRKk", ".#intro.md", "intro.md~", ".intro.md.swp",
                                  "4913", "#intro.md#", "intro.md.tmp", "notes.txt"])
def test_editors_temporary_files_are_ignored(tmp_path: Path, name: str) -> None:
    assert not is_book_file(tmp_path / "chapters" / name, tmp_path / "build")


@pytest.mark.parametrize("name", ["chapters/intro.md", "book.toml", "images/a.png",
                                  "styles/base.css"])
def test_book_files_wake_the_watcher(tmp_path: Path, name: str) -> None:
    assert is_book_file(tmp_path / name, tmp_path / "build")
    assert not is_book_file(tmp_path / "build" / name, tmp_path / "build")  # outputs
    assert not is_book_file(tmp_path / ".git" / name, tmp_path / "build")


def test_watch_reports_each_mistake_and_rebuilds_after_the_fix(tmp_path: Path) -> None:
    book = make_book(tmp_path / "b", {"intro.md": "# Intro\n\nHello.\n"},
                     images={"figure.png": png_bytes()})
    request = BuildRequest(load_any(book.manifest), book.root / "build", ("md",), jobs=1)
    build(request)
    good_toml = book.manifest.read_text()
    good_contents = book.contents.read_text()
    steps = [
        lambda: book.manifest.write_text(good_toml.replace('title = "Test Book"', "title = ")),
        lambda: (book.manifest.write_text(good_toml),
                 book.contents.write_text(good_contents + "- [Gone](chapters/gone.md)\n")),
        lambda: (book.contents.write_text(good_contents),
                 book.chapter("intro.md").write_text("# Intro\n\n![A figure](figure.pgn)\n")),
        lambda: book.chapter("intro.md").write_text("# Intro\n\n![A figure](figure.png)\n"
                                                    "Text.\n## Glued\n"),
    ]

    def saves() -> Iterator[set[tuple[object, str]]]:
        for step in steps:
            step()
            yield {(2, str(book.chapter("sedWOCRKk"))), (2, str(book.manifest))}

    events = list(watch(request, lambda: load_any(book.manifest), changes=saves()))
    assert len(events) == 4
    toml, chapter, image, fixed = events
    assert toml.error is not None and "book.toml:2:9: error: not valid TOML" in toml.error
    assert chapter.error is not None and "contents.md:" in chapter.error
    assert "gone.md" in chapter.error
    assert image.error is not None and "did you mean 'figure.png'?" in image.error
    assert "[missing-image]" in image.error
    assert fixed.error is None and "book.md" in fixed.rewritten
    assert [w.rsplit("[", 1)[1] for w in fixed.warnings] == ["glued-heading]"]
    text = describe(fixed)
    assert "sedWOCRKk" not in text and "book.toml" in text
    assert text.splitlines()[0].startswith("chapters/intro.md:5: warning: heading glued")
    assert text.endswith("1 warning")
    assert "fix it and save: the watcher rebuilds" in describe(toml)


class _Lines:
    """A child process's merged output, line by line, read by a thread (no blocking reads)."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.queue: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        assert process.stdout is not None
        stream = process.stdout
        threading.Thread(target=lambda: [self.queue.put(line) for line in stream],
                         daemon=True).start()

    def wait_for(self, text: str, timeout: float = 180) -> str:
        while True:
            line = self.queue.get(timeout=timeout)
            self.seen.append(line)
            if text in line:
                return line


def _start(args: list[str], cwd: Path) -> tuple[subprocess.Popen[str], _Lines]:
    process = subprocess.Popen([str(CLI), *args], cwd=cwd, env=cli_env(), text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    return process, _Lines(process)


def _stop(process: subprocess.Popen[str]) -> int:
    process.send_signal(signal.SIGINT)
    try:
        return process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.wait()


def test_the_watch_command_survives_a_toml_typo(tmp_path: Path) -> None:
    book = make_book(tmp_path / "b")
    process, lines = _start(["watch", "-f", "md", "-j", "1"], book.root)
    try:
        lines.wait_for("watching for changes")
        (book.chapters / "sedWOCRKk").write_text("temporary\n")
        book.manifest.write_text(DEFAULT_TOML.replace("date = 2024-03-01", "date = 2024-13-01"))
        lines.wait_for("build failed")
        error = lines.wait_for("book.toml:3")
        assert ": error: " in error
        book.manifest.write_text(DEFAULT_TOML)
        lines.wait_for("rewrote")
        assert process.poll() is None  # still watching
    finally:
        code = _stop(process)
    assert not any("sedWOCRKk" in line for line in lines.seen)
    assert code in (0, 130)


def test_preview_server_pages_and_confinement(tmp_path: Path) -> None:
    out = tmp_path / "build"
    (out / ".cache").mkdir(parents=True)
    (out / "book.html").write_text("<!DOCTYPE html><html><body><h1>Book</h1></body></html>")
    (out / "book.pdf").write_bytes(b"%PDF-1.7\n")
    (out / ".cache" / "state.json").write_text("{}")
    (tmp_path / "secret.txt").write_text("no")
    state = PreviewState(out, "book", ("html", "pdf"))
    state.finished(["a.md:1: warning: w [code]"])
    server = start_server(state, 0)
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        page = urllib.request.urlopen(f"{base}/").read().decode()
        assert page.index("handbook-preview") < page.index("<h1>Book</h1>")
        assert '<a href="book.pdf">reading PDF</a>' in page
        assert "1 warning</summary>" in page and "a.md:1: warning: w [code]" in page
        status = json.loads(urllib.request.urlopen(f"{base}/__wait?since=0").read())
        assert status["build"] == 1
        assert urllib.request.urlopen(f"{base}/book.pdf").read() == b"%PDF-1.7\n"
        for path in ("/../secret.txt", "/%2e%2e/secret.txt", "/.cache/state.json"):
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(base + path)
            assert refused.value.code == 404
    finally:
        server.shutdown()
    assert server.server_address[0] == "127.0.0.1"


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed "
                    "(scripts/system-deps.sh installs it)")
def test_serve_in_headless_chromium_reloads_after_an_edit(tmp_path: Path) -> None:
    playwright = pytest.importorskip("playwright.sync_api",
                                     reason="playwright (Python) is not installed")
    book = make_book(tmp_path / "b", {"intro.md": "# Intro\n\nThe first words.\n",
                                      "more.md": "# More\n\nText.\n## Glued\n"})
    process, lines = _start(["serve", "-f", "html", "-f", "md", "--port", "0", "-j", "1"],
                            book.root)
    try:
        url = lines.wait_for("serving http://127.0.0.1:").split()[1]
        lines.wait_for("watching for changes")
        with playwright.sync_playwright() as driver:
            browser = driver.chromium.launch(
                executable_path=CHROMIUM,
                args=["--no-sandbox", "--disable-gpu", "--no-first-run",
                      "--disable-background-networking", "--disable-component-update",
                      "--disable-sync"])
            try:
                page = browser.new_page()
                page.goto(url)
                assert page.inner_text("h1.title") == "Test Book"
                assert "The first words." in page.inner_text("main")
                banner = page.inner_text("#handbook-preview")
                assert "Markdown" in banner and "1 warning" in banner
                assert "heading glued to the previous line" in banner
                page.evaluate("window.beforeReload = true")
                book.chapter("intro.md").write_text("# Intro\n\nWords edited in a browser "
                                                    "test.\n")
                page.wait_for_function(
                    "document.body.innerText.includes('Words edited in a browser test.')",
                    timeout=180_000)
                assert page.evaluate("window.beforeReload") is None  # the page was reloaded
                assert page.inner_text("#handbook-preview-build") == "2"
            finally:
                browser.close()
    finally:
        _stop(process)


def test_chromium_dump_dom_shows_the_preview(tmp_path: Path) -> None:
    """Without Playwright too: chromium's own --dump-dom loads the page and shows the book."""
    if CHROMIUM is None:
        pytest.skip("chromium is not installed (scripts/system-deps.sh installs it)")
    book = make_book(tmp_path / "b", {"intro.md": "# Intro\n\nThe first words.\n"})
    process, lines = _start(["serve", "-f", "html", "--port", "0", "-j", "1"], book.root)
    try:
        url = lines.wait_for("serving http://127.0.0.1:").split()[1]
        lines.wait_for("first build")
        dom = subprocess.run(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", url],
            capture_output=True, text=True, timeout=120, env={**os.environ, "HOME": str(tmp_path)})
        assert "The first words." in dom.stdout
        assert 'id="handbook-preview"' in dom.stdout
    finally:
        _stop(process)
