"""Shared fixtures: where the project, the sample book and the real handbook live."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

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


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test that reads the real handbook is marked ``handbook``, whether it says
    ``@pytest.mark.corpus`` or just asks for ``corpus_dir``: ``-m "not handbook"`` leaves out
    exactly those (and they skip by themselves when the handbook is absent)."""
    for item in items:
        if "corpus_dir" in getattr(item, "fixturenames", ()) or item.get_closest_marker("corpus"):
            item.add_marker(pytest.mark.handbook)
