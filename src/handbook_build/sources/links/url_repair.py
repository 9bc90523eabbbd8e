"""URL repair: the malformed URLs a wiki/WordPress conversion leaves behind, fixed where the fix
is unambiguous; plain text used as a link target recognised as such."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

UNSAFE_SCHEMES = frozenset({"javascript", "data", "file", "vbscript"})
WEB_SCHEMES = frozenset({"http", "https", "ftp"})
# Endings that make a dotted word a file name rather than a domain (".md" is also Moldova's TLD,
# but in a book's sources it is a chapter file).
# fmt: off
FILE_EXTENSIONS = frozenset((
    "md", "markdown", "txt", "html", "htm", "xhtml", "php", "asp", "aspx", "jsp", "png", "jpg",
    "jpeg", "gif", "svg", "webp", "pdf", "doc", "docx", "odt", "ppt", "pptx", "xls", "xlsx",
    "csv", "zip", "gz", "tar", "epub", "mobi", "css", "js", "json", "xml", "yml", "yaml",
    "toml", "py", "rb", "sh", "mp3", "mp4", "mov", "avi", "wav", "ogg",
))
# fmt: on

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
# One or more "http:" / "http://" / "http://%20" prefixes glued in front of a real URL.
_DOUBLED_SCHEME = re.compile(r"^(?:https?:/{0,3}(?:%20|\s)*)+(?=https?:)", re.IGNORECASE)
_EDGE_SPACE = re.compile(r"^(?:%20|\s)+|(?:%20|\s)+$", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_BARE_DOMAIN = re.compile(
    r"^(?P<host>(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+(?P<tld>[a-z]{2,24}))(?::\d{1,5})?(?:[/?#].*)?$",
    re.IGNORECASE,
)
_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
# ASCII characters that may never appear raw in a URL (RFC 3986); non-ASCII is left alone
# because IRIs are valid in HTML and EPUB.
_ILLEGAL_URL_CHARS = frozenset(' "<>\\^`{|}')
_PATH_LIKE = re.compile(r"(?:^[./#?])|/|\.[A-Za-z0-9]{1,5}(?:[?#]|$)")


@dataclass(frozen=True, slots=True)
class UrlRepair:
    """The repaired URL (None: not a URL or path, unlink it) and what was done (None: nothing)."""

    url: str | None
    note: str | None = None


def repair_url(url: str) -> UrlRepair:
    """Repair a link target where the fix is unambiguous; ``url=None`` for plain text."""
    notes: list[str] = []
    text = _strip_edges(url, notes)
    if not text:
        return UrlRepair(None, "empty link target")
    unglued = _DOUBLED_SCHEME.sub("", text)
    if unglued != text:
        notes.append("removed a doubled scheme")
        text = unglued
    if text.startswith("//"):
        notes.append("added http: to a scheme-relative address")
        text = "http:" + text
    scheme = scheme_of(text)
    if scheme is None:
        return _repair_schemeless(text, url, notes)
    if scheme in UNSAFE_SCHEMES:
        return UrlRepair(None, f"unsafe {scheme}: link")
    if scheme not in WEB_SCHEMES:
        return _result(text, url, notes)  # mailto:, tel:, ... are kept as written
    if not urlsplit(text).netloc:
        return UrlRepair(None, f"{scheme}: address without a host")
    return _result(_encode_illegal(text, notes), url, notes)


def _strip_edges(url: str, notes: list[str]) -> str:
    text = url
    cleaned = _CONTROL.sub("", text)
    if cleaned != text:
        notes.append("removed control characters")
        text = cleaned
    stripped = _EDGE_SPACE.sub("", text)
    if stripped != text.strip():
        notes.append("removed leading/trailing %20")
    return stripped


def scheme_of(text: str) -> str | None:
    match = _SCHEME.match(text)
    if match is None:
        return None
    scheme = match.group(1).lower()
    if "." in scheme:
        return None  # "www.example.org:8080/x": a host and port, not a scheme
    return scheme


def _repair_schemeless(text: str, original: str, notes: list[str]) -> UrlRepair:
    domain = _BARE_DOMAIN.match(text)
    if domain is not None and _looks_like_domain(domain["host"], domain["tld"]):
        notes.append("added http:// to a scheme-less address")
        return _result(_encode_illegal("http://" + text, notes), original, notes)
    if re.search(r"\s", unquote(text)) or not _PATH_LIKE.search(text):
        return UrlRepair(None, f"plain text used as a link target: {unquote(text)!r}")
    return _result(text, original, notes)  # a relative path: the caller decides


def _looks_like_domain(host: str, tld: str) -> bool:
    if host.lower().startswith("www."):
        return True
    return tld.isalpha() and tld.lower() not in FILE_EXTENSIONS


def _encode_illegal(url: str, notes: list[str]) -> str:
    """Percent-encode stray ``%`` and characters that may not appear raw in a URL."""
    encoded = _BAD_PERCENT.sub("%25", url)
    encoded = "".join(f"%{ord(c):02X}" if c in _ILLEGAL_URL_CHARS else c for c in encoded)
    if encoded != url:
        notes.append("percent-encoded invalid characters")
    return encoded


def _result(url: str, original: str, notes: list[str]) -> UrlRepair:
    if url == original and not notes:
        return UrlRepair(url, None)
    return UrlRepair(url, "; ".join(notes) or "removed surrounding spaces")
