"""The only door to files for WeasyPrint (and the EPUB's image reads): local, confined, no network.

WeasyPrint's default fetcher opens any ``file:`` path and any URL, and ``<a rel="attachment">``
embeds the target in the PDF; a book built from contributors' pull requests must not be able to
pull ``/etc/passwd`` into its PDF nor stall on a remote host. ``ConfinedFetcher`` serves
``file:`` URLs whose resolved path (symlinks followed) lies under one of its roots, and small
``data:`` URIs; everything else is refused with an exception, which WeasyPrint turns into a
warning. Every attempt and every refusal is recorded so tests can prove what was (not) opened.

``ConfinedFiles`` is the policy alone (stdlib only, for readers that do not need WeasyPrint);
importing this module loads WeasyPrint (about 0.5 s), so renderers import it inside functions.
"""

from __future__ import annotations

import logging
import mimetypes
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from weasyprint.urls import URLFetcher, URLFetcherResponse

__all__ = [
    "DATA_URI_LIMIT",
    "ConfinedFetcher",
    "ConfinedFiles",
    "FetchRefusedError",
    "content_type",
    "directory_url",
]

logger = logging.getLogger(__name__)

# Small inline images (icons, pandoc's embedded SVGs) are fine; a multi-megabyte data: URI is
# almost certainly a mistake and would bloat every edition.
DATA_URI_LIMIT = 2_000_000


class FetchRefusedError(ValueError):
    """A URL the build may not open; WeasyPrint reports it as a warning and goes on."""


def directory_url(directory: Path) -> str:
    """``file:`` URL of a folder, with the trailing slash that makes relative URLs resolve in it."""
    return directory.resolve().as_uri().rstrip("/") + "/"


class ConfinedFiles:
    """The policy, without WeasyPrint: which URLs may be read, and what was asked for."""

    def __init__(self, roots: Iterable[Path | str], data_uri_limit: int = DATA_URI_LIMIT) -> None:
        self.roots: tuple[Path, ...] = tuple(Path(root).resolve() for root in roots)
        self.data_uri_limit = data_uri_limit
        self.attempts: list[str] = []
        self.refused: list[str] = []

    def admit(self, url: str) -> Path | None:
        """Record the attempt; the confined file for a ``file:`` URL, None for a small ``data:``.

        Raises ``FetchRefusedError`` (and logs a warning naming the URL) for anything else.
        """
        self.attempts.append(url)
        scheme = url.split(":", 1)[0].lower() if ":" in url else ""
        if scheme == "file":
            return self._confined_path(url)
        if scheme == "data" and len(url) <= self.data_uri_limit:
            return None
        raise self._refuse(url, "too large" if scheme == "data" else "not a local file")

    def read(self, url: str) -> tuple[bytes, str]:
        """Body and media type of a confined ``file:`` URL (``data:`` is not served here)."""
        path = self.admit(url)
        if path is None:
            raise self._refuse(url, "data: URIs are only decoded by WeasyPrint")
        return served_bytes(path), content_type(path)

    def _confined_path(self, url: str) -> Path:
        parts = urlsplit(url)
        if parts.netloc not in ("", "localhost"):
            raise self._refuse(url, "file URL on another host")
        try:
            # resolve(strict=True) follows symlinks, so a link inside a root that points
            # outside it is judged by its target.
            path = Path(url2pathname(unquote(parts.path))).resolve(strict=True)
        except (OSError, RuntimeError):
            raise self._refuse(url, "no such file") from None
        if not any(path.is_relative_to(root) for root in self.roots):
            raise self._refuse(url, "outside the book's allowed folders")
        if not path.is_file():
            raise self._refuse(url, "not a regular file")
        return path

    def _refuse(self, url: str, reason: str) -> FetchRefusedError:
        self.refused.append(url)
        shown = url if len(url) <= 120 else url[:117] + "..."
        logger.warning("refused to fetch %s: %s", shown, reason)
        return FetchRefusedError(f"refused to fetch {shown}: {reason}")


class ConfinedFetcher(URLFetcher):  # type: ignore[misc]  # weasyprint is untyped
    """A WeasyPrint URL fetcher that applies ``ConfinedFiles``: local, confined, no network."""

    def __init__(self, roots: Iterable[Path | str], data_uri_limit: int = DATA_URI_LIMIT) -> None:
        # fail_on_errors=False: a refused URL is a warning, never a fatal render error.
        super().__init__(fail_on_errors=False)
        self.policy = ConfinedFiles(roots, data_uri_limit)

    @property
    def roots(self) -> tuple[Path, ...]:
        return self.policy.roots

    @property
    def attempts(self) -> list[str]:
        return self.policy.attempts

    @property
    def refused(self) -> list[str]:
        return self.policy.refused

    def fetch(self, url: str, headers: object = None) -> URLFetcherResponse:
        path = self.policy.admit(url)
        if path is None:
            # A small data: URI: urllib's DataHandler decodes it, no network involved.
            return super().fetch(url, headers)
        return URLFetcherResponse(
            path.as_uri(), served_bytes(path), {"Content-Type": content_type(path)}
        )


def served_bytes(path: Path) -> bytes:
    """The file's bytes as a renderer may see them: an SVG goes through ``svg_clean`` first,
    so no reference it holds to another file or the network ever reaches WeasyPrint."""
    from handbook_build.sources.images import sniff_media_type
    from handbook_build.sources.svg_clean import clean_svg

    data = path.read_bytes()
    if sniff_media_type(data[:2048], path.suffix) == "image/svg+xml":
        return clean_svg(data)
    return data


def content_type(path: Path) -> str:
    """Media type by file name; WeasyPrint picks SVG versus raster, and accepts CSS, by it."""
    media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if media_type.startswith("text/"):
        return f"{media_type}; charset=utf-8"
    return media_type
