"""Shared fixtures: where the project, the sample book and the real handbook live."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from shared_builds import SharedHandbook, shared_handbook

PROJECT_DIR = Path(__file__).resolve().parent.parent
SAMPLE_MANIFEST = PROJECT_DIR / "manuscript" / "book.toml"
HANDBOOK_MANIFEST = PROJECT_DIR / "editions" / "peeragogy-v3" / "book.toml"


def corpus_path() -> Path:
    """The real handbook checkout: $HANDBOOK_SOURCE or ../shared/corpus/peeragogy-handbook-v3."""
    default = PROJECT_DIR.parent / "shared" / "corpus" / "peeragogy-handbook-v3"
    return Path(os.environ.get("HANDBOOK_SOURCE", default))


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    path = corpus_path()
    if not (path / "en-md" / "README.md").is_file():
        pytest.skip(f"the real handbook is not at {path} (set HANDBOOK_SOURCE)")
    return path


@pytest.fixture(scope="session")
def project_dir() -> Path:
    return PROJECT_DIR


@pytest.fixture(scope="session")
def built_handbook(corpus_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> SharedHandbook:
    """The real handbook, every edition, built once per run for every test file that reads it
    (tests/shared_builds.py): read its outputs, never change them."""
    return shared_handbook(tmp_path_factory, corpus_dir)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test that reads the real handbook is marked ``handbook``, whether it says
    ``@pytest.mark.corpus`` or just asks for ``corpus_dir``: ``-m "not handbook"`` leaves out
    exactly those (and they skip by themselves when the handbook is absent). Tests listed in
    ``slow-tests.txt`` (measured with ``--durations=0``) are marked ``slow``."""
    slow = _measured_slow()
    for item in items:
        if "corpus_dir" in getattr(item, "fixturenames", ()) or item.get_closest_marker("corpus"):
            item.add_marker(pytest.mark.handbook)
        if item.nodeid in slow or item.nodeid.split("[")[0] in slow:
            item.add_marker(pytest.mark.slow)
    _longest_files_first(items)


def _longest_files_first(items: list[pytest.Item]) -> None:
    """Run the test files in the order of their measured time, longest first (``make test``
    passes ``--no-loadscope-reorder`` so that pytest-xdist keeps this order): the two workers
    then end close together instead of one waiting while the other runs a long file it took
    last. The shared build of the real handbook (tests/shared_builds.py) is made by the first
    file that reads it; the second file is the longest one that does not, so that the other
    worker has work while the build runs instead of waiting on its lock. Within a file the
    order is the file's own. (Only the order changes; every test still runs.)"""
    seconds = _measured_file_seconds()
    files = list(dict.fromkeys(item.nodeid.split("::")[0] for item in items))
    readers = {item.nodeid.split("::")[0] for item in items
               if "built_handbook" in getattr(item, "fixturenames", ())}
    order = sorted(files, key=lambda name: -seconds.get(name, 0.0))
    first_reader = next((name for name in order if name in readers), None)
    if first_reader is not None:
        order.remove(first_reader)
        order.insert(0, first_reader)
        independent = next((name for name in order[1:] if name not in readers), None)
        if independent is not None:
            order.remove(independent)
            order.insert(1, independent)
    position = {name: number for number, name in enumerate(order)}
    items.sort(key=lambda item: position[item.nodeid.split("::")[0]])


def _measured_file_seconds() -> dict[str, float]:
    """Seconds per test file in tests/file-seconds.txt (benchmarks/slow_tests.py --write)."""
    listing = Path(__file__).with_name("file-seconds.txt")
    if not listing.is_file():
        return {}
    rows = [line.split() for line in listing.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith("#")]
    return {row[0]: float(row[1]) for row in rows}


def _measured_slow() -> set[str]:
    """Test ids in tests/slow-tests.txt: measured, not guessed (how: the file's header)."""
    listing = Path(__file__).with_name("slow-tests.txt")
    if not listing.is_file():
        return set()
    lines = listing.read_text(encoding="utf-8").splitlines()
    return {line.split()[0] for line in lines if line.strip() and not line.startswith("#")}


@pytest.fixture(autouse=True, scope="session")
def machine_state_of_the_session() -> Iterator[None]:
    """The fonts and tool versions every cache key includes, read once per test session.

    A cache key includes the mtimes of the font folders and the versions of the tools, so that
    installing a font or upgrading WeasyPrint lays out again. On a machine shared with other
    work, a font installed while the suite runs (apt-get from another session) changed the key
    between the two builds of one test: a rebuild meant to lay out one chunk laid out all nine
    (``assert 9 == 1``; reproduced by changing one folder's stamp between the two layouts),
    only in long runs. The tests compare builds with each other, not with the machine, so
    in-process builds read it once. (Builds in child processes still read it themselves.)"""
    from handbook_build import cache

    fonts, versions = cache.font_folders_state(), cache.tool_versions()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(cache, "font_folders_state", lambda: fonts)
        patch.setattr(cache, "tool_versions", lambda: versions)
        yield
