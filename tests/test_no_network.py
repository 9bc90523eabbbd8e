"""No network, proven two ways.

1. Every edition is built in this process (``-j 1``) and in forked workers (``-j 2``) with
   ``socket.socket.connect``/``connect_ex``, ``socket.getaddrinfo`` and
   ``socket.create_connection`` replaced by functions that record the attempt (in a file, so
   forked workers report too) and fail. The book is full of remote things: images, stylesheets,
   ``@import``, SVG references, links to its own site. Nothing may be attempted.
2. The command runs in a fresh network namespace (``unshare -n``: no interface but a downed
   loopback) and its editions must be byte-identical to a normal build's. Skipped where
   ``unshare`` is missing or not permitted.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from bookmaker import (
    CLI,
    PROJECT_DIR,
    Book,
    build_args,
    cli_env,
    make_book,
    png_bytes,
    run_cli,
    tree_hashes,
)

EDITIONS = ("md", "html", "pdf", "epub", "print")
SAMPLE = PROJECT_DIR / "manuscript" / "book.toml"

REMOTE_CHAPTER = """# Remote things

![A remote photo](https://example.com/photo.jpg) and ![another](http://203.0.113.9/x.png)

<img src="https://example.org/tracker.gif" alt="tracker">

<link rel="stylesheet" href="http://example.com/style.css">

<style>@import url(http://example.com/import.css); p { background: url(http://x.test/b.png) }
</style>

<p style="background: url(https://example.com/bg.png)">Styled.</p>

![A diagram with remote parts](../images/remote.svg)

See [our site](https://example.net/other) and [a page](https://example.com/page#part).

<iframe src="https://example.com/embed"></iframe>

The end.
"""
REMOTE_SVG = (b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"'
              b' width="40" height="20"><image xlink:href="http://example.com/p.png" width="9" '
              b'height="9"/><rect width="9" height="9"/></svg>')


def remote_book(root: Path) -> Book:
    return make_book(
        root,
        chapters={"remote.md": REMOTE_CHAPTER, "local.md": "# Local\n\n![Fine](../images/a.png)\n"},
        toml_extra='\n[site]\nurl = "https://example.net"\n',
        images={"a.png": png_bytes(), "remote.svg": REMOTE_SVG},
    )


@pytest.fixture
def record_network(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[], list[str]]:
    """Patch the socket entry points to record and refuse; returns a reader of the attempts."""
    log = tmp_path / "network-attempts.log"
    log.touch()

    def refuse(name: str) -> Callable[..., object]:
        def attempt(*args: object, **kwargs: object) -> object:
            with log.open("a", encoding="utf-8") as handle:  # forked workers append too
                handle.write(f"{name} {args[1:] if name.startswith('socket.') else args}\n")
            raise OSError(101, f"network is off for this test ({name})")

        return attempt

    monkeypatch.setattr(socket.socket, "connect", refuse("socket.connect"))
    monkeypatch.setattr(socket.socket, "connect_ex", refuse("socket.connect_ex"))
    monkeypatch.setattr(socket, "getaddrinfo", refuse("getaddrinfo"))
    monkeypatch.setattr(socket, "create_connection", refuse("create_connection"))
    monkeypatch.setattr(socket, "gethostbyname", refuse("gethostbyname"))

    def attempts() -> list[str]:
        return log.read_text(encoding="utf-8").splitlines()

    return attempts


def test_the_patch_catches_a_connection(record_network: Callable[[], list[str]]) -> None:
    import urllib.request

    with pytest.raises(OSError):
        urllib.request.urlopen("http://example.com/", timeout=1)
    assert record_network()


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_every_edition_builds_without_touching_the_network(
        tmp_path: Path, record_network: Callable[[], list[str]], jobs: str) -> None:
    book = remote_book(tmp_path / "book")
    out = tmp_path / "out"
    args = build_args(book, out, EDITIONS)
    args[args.index("-j") + 1] = jobs
    run = run_cli(args, timeout=240)
    assert run.exit_code == 0, run.output
    assert not run.has_traceback
    assert record_network() == []
    for name in ("book.md", "book.html", "book.pdf", "book.epub", "book-print.pdf"):
        assert (out / name).stat().st_size > 0
    assert "never downloaded" in run.output  # the remote images became placeholders


def test_the_sample_book_builds_without_touching_the_network(
        tmp_path: Path, record_network: Callable[[], list[str]]) -> None:
    run = run_cli(build_args(SAMPLE, tmp_path / "out", EDITIONS), timeout=240)
    assert run.exit_code == 0, run.output
    assert record_network() == []


def _unshare_prefix() -> list[str]:
    unshare = shutil.which("unshare")
    if unshare is None:
        pytest.skip("unshare is not installed")
    for prefix in ([unshare, "-n"], [unshare, "-rn"]):
        probe = subprocess.run([*prefix, "true"], capture_output=True, check=False)
        if probe.returncode == 0:
            return prefix
    pytest.skip("unshare -n is not permitted here (no user or network namespaces)")


def test_a_build_without_any_network_is_byte_identical(tmp_path: Path) -> None:
    prefix = _unshare_prefix()
    book = remote_book(tmp_path / "book")
    outputs = {}
    for name, command in (("online", []), ("offline", prefix)):
        out = tmp_path / name  # siblings: the Markdown's relative image paths are the same
        completed = subprocess.run(
            [*command, str(CLI), *build_args(book, out, EDITIONS)], capture_output=True,
            env=cli_env(), timeout=300, check=False,
        )
        assert completed.returncode == 0, completed.stderr.decode()
        assert b"Traceback" not in completed.stderr
        outputs[name] = {k: v for k, v in tree_hashes(out).items()
                         if not k.startswith(".cache") and not k.endswith("-report.json")}
    assert outputs["online"] == outputs["offline"]
    assert {"book.md", "book.html", "book.pdf", "book.epub", "book-print.pdf"} <= set(
        outputs["offline"])
