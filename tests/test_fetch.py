"""The confined fetcher: files under the roots, small data: URIs, nothing else, all counted."""

from __future__ import annotations

import base64
import logging
import socket
from pathlib import Path

import pytest

from handbook_build.render.fetch import (
    ConfinedFetcher,
    ConfinedFiles,
    FetchRefusedError,
    content_type,
    directory_url,
)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    book = tmp_path / "book"
    (book / "images").mkdir(parents=True)
    (book / "images" / "a.png").write_bytes(b"\x89PNG\r\n\x1a\nfake")
    (book / "images" / "b.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    (tmp_path / "secret.txt").write_text("secret")
    return book


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Fail loudly on any socket use; the list records attempts that slipped through."""
    calls: list[object] = []

    def refuse(*args: object, **kwargs: object) -> None:
        calls.append(args)
        raise AssertionError(f"network access attempted: {args}")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    return calls


def test_serves_a_file_under_a_root(root: Path) -> None:
    fetcher = ConfinedFetcher(roots=[root])
    response = fetcher.fetch((root / "images" / "a.png").as_uri())
    assert response.read().startswith(b"\x89PNG")
    assert response.content_type == "image/png"
    assert fetcher.attempts == [(root / "images" / "a.png").as_uri()]
    assert fetcher.refused == []


def test_svg_gets_its_media_type_so_weasyprint_draws_it_as_svg(root: Path) -> None:
    response = ConfinedFetcher(roots=[root]).fetch((root / "images" / "b.svg").as_uri())
    assert response.content_type == "image/svg+xml"


@pytest.mark.parametrize(
    "url",
    [
        "http://example.org/x.png",
        "https://example.org/x.png",
        "ftp://example.org/x.png",
        "file:///etc/passwd",
        "file://otherhost/etc/passwd",
        "javascript:alert(1)",
        "x.png",
    ],
)
def test_refuses_network_and_files_outside_the_roots(
    root: Path, url: str, no_network: list[object]
) -> None:
    fetcher = ConfinedFetcher(roots=[root])
    with pytest.raises(FetchRefusedError):
        fetcher.fetch(url)
    assert fetcher.refused == [url]
    assert fetcher.attempts == [url]
    assert no_network == []


def test_dot_dot_and_symlinks_cannot_leave_the_root(root: Path, tmp_path: Path) -> None:
    (root / "images" / "link.txt").symlink_to(tmp_path / "secret.txt")
    fetcher = ConfinedFetcher(roots=[root])
    escapes = [
        (root / "images" / "link.txt").as_uri(),
        root.as_uri() + "/../secret.txt",
        root.as_uri() + "/images/%2e%2e/%2e%2e/secret.txt",
    ]
    for url in escapes:
        with pytest.raises(FetchRefusedError):
            fetcher.fetch(url)
    assert fetcher.refused == escapes


def test_a_symlink_into_the_root_is_fine(root: Path, tmp_path: Path) -> None:
    (tmp_path / "alias").symlink_to(root)
    response = ConfinedFetcher(roots=[tmp_path / "alias"]).fetch(
        (root / "images" / "a.png").as_uri()
    )
    assert response.read().startswith(b"\x89PNG")


def test_a_folder_or_a_missing_file_is_refused(root: Path) -> None:
    fetcher = ConfinedFetcher(roots=[root])
    for url in (root.as_uri(), (root / "missing.png").as_uri()):
        with pytest.raises(FetchRefusedError):
            fetcher.fetch(url)
    assert len(fetcher.refused) == 2


def test_small_data_uris_are_decoded_large_ones_refused(root: Path) -> None:
    small = "data:image/png;base64," + base64.b64encode(b"\x89PNG tiny").decode()
    fetcher = ConfinedFetcher(roots=[root], data_uri_limit=200)
    assert fetcher.fetch(small).read() == b"\x89PNG tiny"
    large = "data:image/png;base64," + "A" * 400
    with pytest.raises(FetchRefusedError):
        fetcher.fetch(large)
    assert fetcher.refused == [large]


def test_a_refusal_is_logged_naming_the_url(root: Path, caplog: pytest.LogCaptureFixture) -> None:
    with (
        caplog.at_level(logging.WARNING, logger="handbook_build.render.fetch"),
        pytest.raises(FetchRefusedError),
    ):
        ConfinedFetcher(roots=[root]).fetch("http://example.org/x.png")
    assert "http://example.org/x.png" in caplog.text


def test_the_policy_alone_reads_files_for_other_editions(root: Path) -> None:
    files = ConfinedFiles(roots=[root])
    data, media_type = files.read((root / "images" / "a.png").as_uri())
    assert data.startswith(b"\x89PNG") and media_type == "image/png"
    with pytest.raises(FetchRefusedError):
        files.read("data:image/png;base64,AAAA")


def test_weasyprint_reports_a_refusal_as_a_warning_and_goes_on(
    root: Path, no_network: list[object], caplog: pytest.LogCaptureFixture
) -> None:
    import weasyprint

    fetcher = ConfinedFetcher(roots=[root])
    html = weasyprint.HTML(
        string='<p>x<img src="http://example.org/x.png"><img src="images/a.png"></p>',
        base_url=directory_url(root),
        url_fetcher=fetcher,
    )
    with caplog.at_level(logging.WARNING):
        pdf = html.write_pdf()
    assert pdf.startswith(b"%PDF")
    assert fetcher.refused == ["http://example.org/x.png"]
    assert "http://example.org/x.png" in caplog.text
    assert no_network == []


def test_directory_url_ends_with_a_slash(tmp_path: Path) -> None:
    url = directory_url(tmp_path)
    assert url.startswith("file:///") and url.endswith("/")
    assert not url.endswith("//")


def test_text_types_carry_utf8() -> None:
    assert content_type(Path("a.css")) == "text/css; charset=utf-8"
    assert content_type(Path("a.unknownext")) == "application/octet-stream"
