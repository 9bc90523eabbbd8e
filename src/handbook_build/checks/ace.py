"""Accessibility check of the EPUB edition: a built .epub -> Ace by DAISY's violations.

Ace (``@daisy/ace-cli`` from npm) runs axe-core in a headless Chromium over every content
document, plus its own EPUB rules (``epub-lang``, metadata). It is optional: ``find_ace`` says
where it is or why it is not usable, and callers skip it with that reason. ``make test``
installs it into ``.tools/ace`` (scripts/install-ace.sh) where npm is present; Chromium is
Debian's ``chromium`` (Ace's own Chrome download is skipped: ``PUPPETEER_SKIP_DOWNLOAD=1``).

Ace opens the book from a temporary folder and loads nothing remote (its runner intercepts
http(s) requests); it talks to its browser over the loopback interface only. Ace launches
Chromium with ``--no-sandbox`` itself, so it runs as root too.

Ace reports no line numbers, only the file, a CSS selector and the element's opening markup:
``locate`` finds the line in the XHTML file, so each finding reads like a compiler message.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lxml import etree

from handbook_build.errors import MissingToolError, RenderError

ACE_VERSION = "1.4.6"
INSTALL_HINT = ("install Ace: apt-get install chromium; then `make ace` (npm install "
                f"@daisy/ace-cli@{ACE_VERSION} into .tools/ace), or set HANDBOOK_ACE to ace-cli")
TIMEOUT_SECONDS = 900
# Where `make ace` installs it: <project>/.tools/ace (src/handbook_build/checks/ace.py -> project).
PROJECT_ACE = Path(__file__).resolve().parents[3] / ".tools" / "ace" / "node_modules" / ".bin"
CHROMIUM_CANDIDATES = ("chromium", "chromium-browser", "google-chrome")
# axe's impact -> severity: what a reader of the book would run into is an error.
_SEVERITY = {"critical": "error", "serious": "error", "moderate": "warning", "minor": "warning"}


@dataclass(frozen=True, slots=True)
class AceTool:
    ace: str  # the ace-cli executable
    chromium: str  # the browser puppeteer drives


@dataclass(frozen=True, slots=True)
class AceFinding:
    rule: str  # axe or Ace rule id, e.g. heading-order, epub-lang
    impact: str  # critical, serious, moderate, minor
    path: str  # inside the EPUB, e.g. EPUB/text/intro.xhtml
    line: int | None
    message: str

    @property
    def severity(self) -> str:
        return _SEVERITY.get(self.impact, "warning")

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.severity}: {self.message} [{self.rule}]"


@dataclass(frozen=True, slots=True)
class AceResult:
    findings: tuple[AceFinding, ...]
    version: str

    @property
    def violations(self) -> int:
        return len(self.findings)


def find_ace() -> tuple[AceTool | None, str]:
    """(the tool, "") or (None, why it cannot run): ``HANDBOOK_ACE``, .tools/ace, PATH."""
    candidates = [os.environ.get("HANDBOOK_ACE", ""), str(PROJECT_ACE / "ace-cli"),
                  shutil.which("ace-cli") or "", shutil.which("ace") or ""]
    ace = next((c for c in candidates if c and os.access(c, os.X_OK)), None)
    if ace is None:
        return None, f"Ace by DAISY is not installed; {INSTALL_HINT}"
    if shutil.which("node") is None:
        return None, "Ace needs Node.js, which is not on PATH; apt-get install nodejs npm"
    browsers = [os.environ.get("PUPPETEER_EXECUTABLE_PATH", "")]
    browsers += [shutil.which(name) or "" for name in CHROMIUM_CANDIDATES]
    chromium = next((b for b in browsers if b and os.access(b, os.X_OK)), None)
    if chromium is None:
        return None, "Ace needs Chromium, which is not installed; apt-get install chromium"
    return AceTool(ace, chromium), ""


ACE_ATTEMPTS = 4  # Ace runs: the first, and three more when it writes no report


def run_ace(path: Path, tool: AceTool | None = None) -> AceResult:
    """Run Ace on ``path``. Raises MissingToolError without Ace, RenderError when Ace fails
    (no report); a book with violations is a normal result."""
    if tool is None:
        tool, reason = find_ace()
        if tool is None:
            raise MissingToolError(f"{path}: {reason}")
    environment = {**os.environ, "PUPPETEER_EXECUTABLE_PATH": tool.chromium,
                   "PUPPETEER_SKIP_DOWNLOAD": "1"}
    # Ace's browser sometimes fails to start on a busy machine and Ace then exits 1 with no
    # report (seen twice in a row under a loaded test run); more tries, a moment apart, tell
    # that apart from an Ace that really cannot read the book.
    for attempt in range(ACE_ATTEMPTS):
        try:
            return parse_report(_ace_report(path, tool, environment), path)
        except _NoReport as error:
            if attempt == ACE_ATTEMPTS - 1:
                raise RenderError(f"{path}: Ace produced no report (exit {error.code}): "
                                  f"{error.detail}; run ace-cli by hand to see why") from error
            time.sleep(1.0 + attempt)
    raise AssertionError("unreachable")


class _NoReport(Exception):
    def __init__(self, code: int, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


def _ace_report(path: Path, tool: AceTool, environment: dict[str, str]) -> Any:
    """Ace's report.json for ``path``, parsed; _NoReport when Ace wrote none."""
    with tempfile.TemporaryDirectory(prefix="hb-ace-") as folder:
        # Ace writes its config and cache under HOME: a throwaway one keeps runs independent.
        report_dir = Path(folder) / "report"
        # Absolute: Ace runs in the throwaway folder, where a relative path finds nothing.
        command = [tool.ace, "--force", "--silent", "--outdir", str(report_dir),
                   str(path.resolve())]
        try:
            completed = subprocess.run(command, capture_output=True, timeout=TIMEOUT_SECONDS,
                                       check=False, env={**environment, "HOME": folder},
                                       cwd=folder)
        except OSError as error:
            raise MissingToolError(f"{path}: cannot run {tool.ace}: {error}; "
                                   f"{INSTALL_HINT}") from error
        except subprocess.TimeoutExpired as error:
            raise RenderError(f"{path}: Ace ran longer than {TIMEOUT_SECONDS} s; "
                              "run it by hand to see why") from error
        try:
            return json.loads((report_dir / "report.json").read_text("utf-8"))
        except (OSError, ValueError) as error:
            output = (completed.stderr or completed.stdout).decode("utf-8", "replace")
            detail = (output.strip().splitlines() or [""])[-1]
            raise _NoReport(completed.returncode, detail) from error


def _package_dir(epub: zipfile.ZipFile) -> str:
    """The folder of the OPF (Ace names content documents relative to it)."""
    try:
        container = etree.fromstring(epub.read("META-INF/container.xml"))
    except (KeyError, etree.XMLSyntaxError):
        return ""
    rootfile = container.find(".//{*}rootfile")
    full_path = rootfile.get("full-path", "") if rootfile is not None else ""
    return full_path.rsplit("/", 1)[0] + "/" if "/" in full_path else ""


def _inner_path(url: str, names: set[str], package_dir: str) -> str:
    url = url.lstrip("/")
    for candidate in (url, package_dir + url):
        if candidate in names:
            return candidate
    return url


_ID = re.compile(r'\bid="([^"]+)"')


def locate(text: str, markup: str) -> int | None:
    """The line of ``text`` where the element whose opening tag is ``markup`` starts: by its
    id if it has one, else by the tag as written (Ace adds an xmlns the file may not have)."""
    opening = markup.split(">", 1)[0] + ">" if markup else ""
    identifier = _ID.search(opening)
    probes = [f'id="{identifier.group(1)}"'] if identifier else []
    opening = re.sub(r'\s+xmlns(:\w+)?="[^"]*"', "", opening)
    probes += [opening, opening.rstrip(">")]
    for probe in probes:
        index = text.find(probe) if probe.strip("<>") else -1
        if index >= 0:
            return text.count("\n", 0, index) + 1
    return None


def _findings(report: dict[str, Any], epub: zipfile.ZipFile | None) -> list[AceFinding]:
    names = set(epub.namelist()) if epub else set()
    package_dir = _package_dir(epub) if epub else ""
    texts: dict[str, str] = {}
    found: list[AceFinding] = []
    for document in report.get("assertions", []):
        url = str(document.get("earl:testSubject", {}).get("url", ""))
        inner = _inner_path(url, names, package_dir)
        for assertion in document.get("assertions", []):
            test = assertion.get("earl:test", {})
            result = assertion.get("earl:result", {})
            if result.get("earl:outcome") != "fail":
                continue
            line = None
            if epub is not None and inner in names:
                if inner not in texts:
                    texts[inner] = epub.read(inner).decode("utf-8", "replace")
                line = locate(texts[inner], str(result.get("html", "")))
            description = " ".join(str(result.get("dct:description", "")).split())
            title = str(test.get("dct:description", "")) or description
            message = title if not description or description == title else (
                f"{title}: {description}")
            found.append(AceFinding(str(test.get("dct:title", "ace")),
                                    str(test.get("earl:impact", "minor")), inner, line,
                                    message))
    return found


def parse_report(report: dict[str, Any], epub_path: Path | None = None) -> AceResult:
    """Ace's report.json -> AceResult, with lines found in the EPUB when it is given."""
    asserted = report.get("earl:assertedBy", {})
    version = str(asserted.get("doap:release", {}).get("doap:revision", "")) if isinstance(
        asserted, dict) else ""
    if epub_path is None:
        return AceResult(tuple(_findings(report, None)), version)
    with zipfile.ZipFile(epub_path) as epub:
        return AceResult(tuple(_findings(report, epub)), version)
