"""Fresh-machine truth: every system package the suite relies on is installed by
``scripts/system-deps.sh`` (what ``make`` runs), so nothing needs installing by hand.

What the suite relies on is found, not only declared: the font families named in the styles,
sources, sample books and tests (``font-family`` declarations, ``font_family = "..."``); the
command-line tools the code and tests start (``shutil.which("x")``, ``["x", ...]`` argument
lists); the system files the code reads (``/usr/share/...`` literals); the shared libraries
WeasyPrint loads; and the writing systems a book may use (fontconfig ``:lang=`` queries). Each
is located on this machine and traced to its Debian package with ``dpkg -S``; that package must
be one the script installs or one of their dependencies (``Depends:``, followed recursively),
or essential to Debian. A family or tool that is not on this machine at all fails too, unless it
is listed below as absent on purpose (names the tests use to exercise a missing face).

``make test-fresh`` runs this file alone. On a system without dpkg the checks that need it skip
with that reason; the declared table is still compared with the script.
"""

from __future__ import annotations

import functools
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT_DIR = Path(__file__).resolve().parent.parent
SCRIPT = PROJECT_DIR / "scripts" / "system-deps.sh"

# Scanned for what the project relies on. Not the docs: they name faces as examples.
SCANNED = [
    *(PROJECT_DIR / "src").rglob("*.py"),
    *(PROJECT_DIR / "tests").glob("*.py"),
    *(PROJECT_DIR / "styles").rglob("*.css"),
    *(PROJECT_DIR / "manuscript").rglob("*"),
    *(PROJECT_DIR / "editions").rglob("*.toml"),
]
SUFFIXES = {".py", ".css", ".svg", ".toml", ".md", ".html"}

# The declared table: what for, and the package that provides it (also the README's list).
DECLARED = {
    "libpango-1.0-0": "WeasyPrint's text layout (it will not import without Pango)",
    "libpangoft2-1.0-0": "Pango's FreeType/fontconfig backend",
    "libharfbuzz-subset0": "font subsetting in WeasyPrint (faster, smaller PDFs)",
    "fontconfig": "fc-list, which the font check asks",
    "fonts-linuxlibertine": "the book face: Linux Libertine O, Biolinum O, Libertine Mono O",
    "fonts-dejavu-core": "DejaVu Sans, the cover's author face and generic sans-serif",
    "fonts-ebgaramond": "EB Garamond, set through [pdf] font_family in a test",
    "fonts-noto-core": "Arabic, Devanagari, Thai, Hebrew... fallback faces",
    "fonts-noto-cjk": "Chinese, Japanese and Korean fallback faces",
    "fonts-noto-color-emoji": "emoji",
    "fonts-symbola": "outline emoji for the PDFs (emoji_text.py: the colour font cannot be drawn)",
    "openjdk-17-jre-headless": "Java for EPUBCheck (build --validate, check --epub)",
    "libgs-common": "the CMYK ICC profile of PDF/X print files",
    "poppler-utils": "pdftotext, pdftoppm, pdffonts, pdfimages (tests and proof pages)",
    "python3-venv": "`make` creates the virtualenv",
    "chromium": "the browser Ace by DAISY drives, and the serve live-preview test",
}

# Families that tests name so that they are missing: they must NOT need installing.
ABSENT_ON_PURPOSE = {
    "no such face", "no such face pro", "commented out", "nope", "bundled face", "body face",
    "head face", "heading face", "x", "no such family anywhere",
}
GENERIC_FAMILIES = {"serif", "sans-serif", "monospace", "cursive", "fantasy", "system-ui",
                    "emoji", "math", "fangsong", "ui-serif", "ui-sans-serif", "ui-monospace",
                    "inherit", "initial", "unset", "none"}
# Tools started by name that come with Python or the virtualenv, or are probed as absent.
NOT_SYSTEM_TOOLS = {"python", "python3", sys.executable, "handbook-build", "pandoc",
                    # Ace by DAISY comes from npm into .tools/ace (scripts/install-ace.sh) with
                    # the machine's Node.js; optional: its tests skip and say why without it.
                    "ace", "ace-cli", "node",
                    # Ubuntu's name for chromium, looked up only when Debian's is missing.
                    "chromium-browser"}
# Writing systems a book may use: each must have an installed face from a listed package.
LANGUAGES = {"zh-cn": "Chinese", "ja": "Japanese", "ko": "Korean", "ar": "Arabic",
             "hi": "Devanagari (Hindi)", "th": "Thai", "he": "Hebrew", "el": "Greek",
             "ru": "Cyrillic"}
EMOJI = "1f600"  # GRINNING FACE

_FAMILY_DECLARATION = re.compile(r"font-family\s*[:=]\s*([^;{}\n>]+)", re.IGNORECASE)
_FAMILY_SETTING = re.compile(r"font_family\s*=\s*[\"']([^\"']+)[\"']")
_WHICH = re.compile(r"shutil\.which\(\s*[\"']([\w.+-]+)[\"']")
_ARGV = re.compile(r"(?:run|Popen|check_output|check_call|call)\(\s*\[\s*[\"']([\w.+-]+)[\"']")
_SYSTEM_PATH = re.compile(r"[\"'](/usr/(?:share|lib)/[^\"'\s]+)[\"']")


@functools.cache
def scanned_texts() -> tuple[tuple[Path, str], ...]:
    return tuple((path, path.read_text(encoding="utf-8", errors="replace")) for path in SCANNED
                 if path.is_file() and path.suffix in SUFFIXES
                 and path != Path(__file__).resolve())


def script_packages() -> set[str]:
    listed = subprocess.run(["bash", str(SCRIPT), "--list"], capture_output=True, text=True,
                            check=True).stdout
    return set(listed.split())


def families_used() -> dict[str, str]:
    """Lower-case family -> where it is first named."""
    found: dict[str, str] = {}
    for path, text in scanned_texts():
        values = [m.group(1) for m in _FAMILY_DECLARATION.finditer(text)]
        names = [name for value in values for name in value.split(",")]
        names += [m.group(1) for m in _FAMILY_SETTING.finditer(text)]
        for name in names:
            family = name.strip().strip("\"'").strip()
            family = re.sub(r"\s*!important$", "", family).strip().strip("\"'")
            # Python code building a declaration ({...}) or a placeholder is not a family.
            if (not family or not re.fullmatch(r"[A-Za-z][\w .-]*", family)
                    or family.lower() in GENERIC_FAMILIES):
                continue
            found.setdefault(family.lower(), str(path.relative_to(PROJECT_DIR)))
    return found


def tools_used() -> dict[str, str]:
    found: dict[str, str] = {}
    for path, text in scanned_texts():
        if path.suffix != ".py":
            continue
        for pattern in (_WHICH, _ARGV):
            for match in pattern.finditer(text):
                found.setdefault(match.group(1), str(path.relative_to(PROJECT_DIR)))
    return {tool: where for tool, where in found.items() if tool not in NOT_SYSTEM_TOOLS}


def system_paths_used() -> dict[str, str]:
    found: dict[str, str] = {}
    for path, text in scanned_texts():
        if path.is_relative_to(PROJECT_DIR / "src"):
            for match in _SYSTEM_PATH.finditer(text):
                found.setdefault(match.group(1), str(path.relative_to(PROJECT_DIR)))
    return found


def weasyprint_libraries() -> list[str]:
    """The shared libraries WeasyPrint must load (its optional ones, allow_fail, left out)."""
    import importlib.util

    spec = importlib.util.find_spec("weasyprint.text.ffi")
    assert spec is not None and spec.origin is not None
    text = Path(spec.origin).read_text(encoding="utf-8")
    calls = re.findall(r"_dlopen\((.*?)\)\n", text, re.DOTALL)
    return [re.findall(r"'(lib[\w.+-]+\.so\.\d+)'", call)[0] for call in calls
            if "allow_fail" not in call and re.search(r"'lib[\w.+-]+\.so\.\d+'", call)]


# --- dpkg ----------------------------------------------------------------------------------------

needs_dpkg = pytest.mark.skipif(shutil.which("dpkg-query") is None,
                                reason="not a Debian/Ubuntu system: packages cannot be traced")


@functools.cache
def dpkg_index() -> dict[str, frozenset[str]]:
    """Path -> the packages that install it, from dpkg's file lists (one read, no dpkg -S)."""
    index: dict[str, set[str]] = {}
    for listing in Path("/var/lib/dpkg/info").glob("*.list"):
        package = listing.stem.split(":")[0]
        for line in listing.read_text(encoding="utf-8", errors="replace").splitlines():
            index.setdefault(line, set()).add(package)
    return {path: frozenset(packages) for path, packages in index.items()}


def owners(path: str) -> frozenset[str]:
    """The packages that install ``path`` or its real location."""
    packages: set[str] = set()
    for candidate in {path, str(Path(path).resolve())}:
        # A /usr-merged system finds /usr/bin/x and /usr/lib/x that dpkg lists as /bin/x.
        merged = re.sub(r"^/usr/(bin|sbin|lib|lib64)/", r"/\1/", candidate)
        for name in {candidate, merged}:
            packages |= dpkg_index().get(name, frozenset())
    return frozenset(packages)


@functools.cache
def depends(package: str) -> frozenset[str]:
    result = subprocess.run(["dpkg-query", "-W", "-f=${Depends},${Pre-Depends}", package],
                            capture_output=True, text=True)
    names = set()
    for clause in result.stdout.split(","):
        for alternative in clause.split("|"):
            name = alternative.strip().split(" ")[0].split(":")[0]
            if name:
                names.add(name)
    return frozenset(names)


@functools.cache
def provided() -> frozenset[str]:
    """The script's packages and everything they depend on, recursively, plus what provides
    a virtual package among those (``Provides:``)."""
    seen: set[str] = set()
    pending = list(script_packages())
    while pending:
        package = pending.pop()
        if package not in seen:
            seen.add(package)
            pending.extend(depends(package) - seen)
    return frozenset(seen)


def essential(package: str) -> bool:
    result = subprocess.run(["dpkg-query", "-W", "-f=${Essential}", package],
                            capture_output=True, text=True)
    return result.stdout.strip() == "yes"


def untraced(path: str) -> str | None:
    """None when ``path`` comes from a package the script installs; else why not."""
    packages = owners(path)
    if not packages:
        return f"{path} belongs to no package (installed by hand?)"
    if packages & provided() or any(essential(package) for package in packages):
        return None
    return f"{path} comes from {', '.join(sorted(packages))}, which the script never installs"


def same_family(name: str) -> str:
    """fontconfig compares families ignoring case and spaces."""
    return re.sub(r"\s+", "", name).lower()


def font_files(pattern: str) -> list[str]:
    result = subprocess.run(["fc-list", pattern, "file"], capture_output=True, text=True)
    return sorted(line.rstrip(": ").strip() for line in result.stdout.splitlines() if line.strip())


@functools.cache
def families_on_this_machine() -> dict[str, list[str]]:
    """Lower-case family -> its font files, from fontconfig."""
    result = subprocess.run(["fc-list", ":", "family", "file"], capture_output=True, text=True)
    found: dict[str, list[str]] = {}
    for line in result.stdout.splitlines():
        file, _, families = line.partition(": ")
        for family in families.split(","):
            found.setdefault(same_family(family), []).append(file.strip())
    return found


# --- the tests ---------------------------------------------------------------------------------


def test_every_declared_package_is_installed_by_the_script() -> None:
    assert sorted(set(DECLARED) - script_packages()) == []
    assert sorted(script_packages() - set(DECLARED)) == [], "declare what each package is for"


def test_the_scan_finds_what_the_project_is_known_to_use() -> None:
    """The scanners are the test: they must see the faces, tools and files used today."""
    assert {"linux libertine o", "linux biolinum o", "eb garamond"} <= set(families_used())
    assert {"java", "fc-list"} <= set(tools_used())
    assert "/usr/share/color/icc/ghostscript/default_cmyk.icc" in system_paths_used()
    assert {"libpango-1.0.so.0", "libfontconfig.so.1"} <= set(weasyprint_libraries())


@needs_dpkg
@pytest.mark.skipif(shutil.which("fc-list") is None, reason="fontconfig is not installed")
def test_every_font_family_used_comes_from_a_listed_package() -> None:
    problems = []
    installed = families_on_this_machine()
    absent = {same_family(name) for name in ABSENT_ON_PURPOSE}
    for family, where in sorted(families_used().items()):
        key = same_family(family)
        if key in absent:
            assert key not in installed, f"{family!r} is meant to be missing"
            continue
        if key not in installed:
            problems.append(f"{where}: font {family!r} is not installed; add its package to "
                            "scripts/system-deps.sh (or to ABSENT_ON_PURPOSE if a test needs "
                            "it missing)")
            continue
        reasons = [untraced(file) for file in installed[key]]
        if all(reasons):
            problems.append(f"{where}: font {family!r}: {reasons[0]}")
    assert problems == []


@needs_dpkg
def test_every_tool_used_comes_from_a_listed_package() -> None:
    problems = []
    venv = Path(sys.prefix).resolve()
    for tool, where in sorted(tools_used().items()):
        found = shutil.which(tool)
        if found is None:
            problems.append(f"{where}: {tool!r} is not on PATH; add its package to the script")
        elif not Path(found).resolve().is_relative_to(venv):  # pip-installed tools need no apt
            reason = untraced(found)
            if reason:
                problems.append(f"{where}: {tool}: {reason}")
    assert problems == []


@needs_dpkg
def test_every_system_file_the_code_reads_comes_from_a_listed_package() -> None:
    problems = []
    for path, where in sorted(system_paths_used().items()):
        if not Path(path).exists():
            problems.append(f"{where}: {path} does not exist; add its package to the script")
        elif reason := untraced(path):
            problems.append(f"{where}: {reason}")
    assert problems == []


@needs_dpkg
def test_the_libraries_weasyprint_loads_come_from_listed_packages() -> None:
    cache = subprocess.run(["ldconfig", "-p"], capture_output=True, text=True).stdout
    problems = []
    for library in weasyprint_libraries():
        paths = re.findall(rf"^\s*{re.escape(library)} \(.*?\) => (\S+)$", cache, re.MULTILINE)
        if not paths:
            problems.append(f"{library} is not installed")
        elif all(untraced(path) for path in paths):
            problems.append(f"{library}: {untraced(paths[0])}")
    assert problems == []


@needs_dpkg
@pytest.mark.skipif(shutil.which("fc-list") is None, reason="fontconfig is not installed")
@pytest.mark.parametrize("pattern", [*(f":lang={lang}" for lang in LANGUAGES),
                                     f":charset={EMOJI}"])
def test_each_writing_system_has_a_face_from_a_listed_package(pattern: str) -> None:
    files = font_files(pattern)
    assert files, f"no installed font covers {pattern}; add a Noto package to the script"
    assert not all(untraced(file) for file in files), untraced(files[0])


@needs_dpkg
def test_every_listed_package_is_installed_here() -> None:
    """What `make` ran on this machine installed the list (else the other checks lie)."""
    missing = []
    for package in sorted(script_packages()):
        status = subprocess.run(["dpkg-query", "-W", "-f=${Status}", package],
                                capture_output=True, text=True).stdout
        if status != "install ok installed":
            missing.append(package)
    assert missing == [], "run `make system-deps` (as root) or apt-get install them"
