"""``handbook-build serve``: a live preview of the HTML edition on http://127.0.0.1.

The output folder is served as it is (the HTML edition, its ``-files/`` folder, the PDFs and the
EPUB), except ``/``: the HTML edition with a banner on top (links to the other editions just
built, the current warnings or the error of the last rebuild) and a script that waits for the
next rebuild (a long-polled ``/__wait``; no websocket, no dependency) and reloads the page.
The edition on disk is never changed: the banner is added as the page is sent.

The server runs in a thread (``http.server``, standard library); the main thread builds and
watches, as ``watch`` does, and tells the server about each rebuild. It listens on 127.0.0.1
only: a preview is for the editor's own browser.
"""

from __future__ import annotations

import html
import json
import mimetypes
import threading
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

WAIT_SECONDS = 25.0  # a long poll returns at the latest after this, and the page asks again
# The other editions, in the banner's order: (format, file suffix, label).
EDITION_LINKS = (("pdf", ".pdf", "reading PDF"), ("print", "-print.pdf", "print PDF"),
                 ("print-fillable", "-print-fillable.pdf", "fillable print PDF"),
                 ("epub", ".epub", "EPUB"), ("md", ".md", "Markdown"),
                 ("print", "-cover.pdf", "cover"))


@dataclass(frozen=True, slots=True)
class BuildStatus:
    """What the banner shows: the rebuild's number, its warnings, or the error that stopped it."""

    number: int = 0
    warnings: tuple[str, ...] = ()
    error: str = ""
    building: bool = False

    def to_json(self) -> bytes:
        return json.dumps({"build": self.number, "warnings": list(self.warnings),
                           "error": self.error, "building": self.building}).encode()


class PreviewState:
    """The latest ``BuildStatus``, shared by the builder and the request threads."""

    def __init__(self, output_dir: Path, stem: str, formats: Sequence[str] = ()) -> None:
        self.output_dir = output_dir.resolve()
        self.stem = stem
        self.formats = tuple(formats)  # the banner links only editions this session builds
        self._status = BuildStatus()
        self._changed = threading.Condition()

    @property
    def status(self) -> BuildStatus:
        with self._changed:
            return self._status

    def building(self) -> None:
        with self._changed:
            self._status = replace(self._status, building=True)

    def finished(self, warnings: Sequence[str], error: str = "", stem: str | None = None
                 ) -> None:
        """A rebuild ended: the next number, and every waiting page is woken to reload."""
        with self._changed:
            self.stem = stem or self.stem
            self._status = BuildStatus(self._status.number + 1, tuple(warnings), error)
            self._changed.notify_all()

    def wait_after(self, number: int, timeout: float = WAIT_SECONDS) -> BuildStatus:
        with self._changed:
            self._changed.wait_for(lambda: self._status.number != number, timeout)
            return self._status


def start_server(state: PreviewState, port: int = 8000, host: str = "127.0.0.1"
                 ) -> ThreadingHTTPServer:
    """Serve ``state``'s output folder from a daemon thread; port 0 takes any free port."""
    handler = type("PreviewHandler", (_PreviewHandler,), {"state": state})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="preview-server", daemon=True).start()
    return server


class _PreviewHandler(BaseHTTPRequestHandler):
    state: PreviewState
    server_version = "handbook-build-preview"

    def do_GET(self) -> None:
        url = urllib.parse.urlsplit(self.path)
        if url.path in ("/", "/index.html"):
            self._send(200, "text/html; charset=utf-8", preview_page(self.state))
        elif url.path == "/__status":
            self._send(200, "application/json", self.state.status.to_json())
        elif url.path == "/__wait":
            query = urllib.parse.parse_qs(url.query)
            since = int(query.get("since", ["0"])[0] or 0)
            self._send(200, "application/json", self.state.wait_after(since).to_json())
        else:
            self._send_file(urllib.parse.unquote(url.path))

    def _send_file(self, url_path: str) -> None:
        folder = self.state.output_dir
        path = (folder / url_path.lstrip("/")).resolve()
        # Only files of the output folder, never its build cache or anything outside it.
        inside = folder in path.parents and ".cache" not in path.relative_to(folder).parts
        if not inside or not path.is_file():
            self._send(404, "text/plain; charset=utf-8", b"not found\n")
            return
        kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        self._send(200, kind, path.read_bytes())

    def _send(self, status: int, kind: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass  # the terminal shows rebuilds, not every request


def preview_page(state: PreviewState) -> bytes:
    """The HTML edition with the banner and the reload script, or a page saying why not."""
    status = state.status
    edition = state.output_dir / f"{state.stem}.html"
    page = (edition.read_text(encoding="utf-8") if edition.is_file() else
            "<!DOCTYPE html><html><head><meta charset='utf-8'><title>No HTML edition yet"
            "</title></head><body><p>No HTML edition yet: the first build has not finished "
            "or failed (see above).</p></body></html>")
    banner = _banner(state, status) + _script(status.number)
    marker = page.find("<body")
    at = page.find(">", marker) + 1 if marker >= 0 else 0
    return (page[:at] + banner + page[at:]).encode("utf-8")


def _banner(state: PreviewState, status: BuildStatus) -> str:
    links = []
    for edition, suffix, label in EDITION_LINKS:
        path = state.output_dir / f"{state.stem}{suffix}"
        if edition in state.formats and path.is_file():
            href = urllib.parse.quote(path.name)
            links.append(f'<a href="{href}">{html.escape(label)}</a> '
                         f"({path.stat().st_size // 1024} KB)")
    items = "".join(f"<li>{html.escape(line)}</li>" for line in status.warnings)
    problems = (f'<pre class="preview-error">{html.escape(status.error)}</pre>'
                if status.error else "")
    count = len(status.warnings)
    noun = "warning" if count == 1 else "warnings"
    warnings = (f"<details open><summary>{count} {noun}</summary><ul>{items}</ul></details>"
                if count else f"<span>{count} warnings</span>")
    return (
        '<aside id="handbook-preview" style="font:13px/1.4 sans-serif;background:#f4f4ef;'
        'border-bottom:1px solid #bbb;padding:6px 12px;position:sticky;top:0;z-index:9;'
        'max-height:40vh;overflow:auto">'
        f'<strong>Preview</strong>, build <span id="handbook-preview-build">{status.number}'
        f"</span>: {' · '.join(links) or 'no other edition yet'} · {warnings}{problems}</aside>"
    )


def _script(number: int) -> str:
    # Ask the server to answer when the build number changes; reload then. On a network
    # error (the server stopped) try again a little later.
    return f"""<script>
(function () {{
  var seen = {number};
  function wait() {{
    fetch("/__wait?since=" + seen, {{cache: "no-store"}})
      .then(function (r) {{ return r.json(); }})
      .then(function (s) {{ if (s.build !== seen) {{ location.reload(); }} else {{ wait(); }} }})
      .catch(function () {{ setTimeout(wait, 2000); }});
  }}
  wait();
}})();
</script>"""
