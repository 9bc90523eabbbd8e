"""A cache that is safe to kill: every entry is written atomically and checked on read; a torn,
truncated, edited or foreign entry is ignored and rewritten, never used."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from bookmaker import CLI, cli_env, edition_hashes
from handbook_build import cache, cache_entry, output_guard
from handbook_build.html import html_cache
from handbook_build.render import print_images
from handbook_build.render.paged.chunk_cache import ChunkCache, GroupChunk

PROJECT_DIR = Path(__file__).resolve().parent.parent


# --- the entry format ---------------------------------------------------------------------------

def test_an_entry_reads_back_only_when_intact(tmp_path: Path) -> None:
    path = tmp_path / "abc.html"
    cache_entry.write_entry(path, b"<section>hello</section>")
    assert cache_entry.read_entry(path) == b"<section>hello</section>"
    stored = path.read_bytes()
    for damaged in (stored[:-1], stored[:40], b"", stored.replace(b"hello", b"hellp"),
                    b"<section>hello</section>"):  # the last: an entry of the old format
        path.write_bytes(damaged)
        assert cache_entry.read_entry(path) is None


def test_a_foreign_entry_is_refused(tmp_path: Path) -> None:
    """An intact entry copied under another key's name is not that key's entry."""
    cache_entry.write_entry(tmp_path / "one.html", b"one")
    shutil.copy(tmp_path / "one.html", tmp_path / "two.html")
    assert cache_entry.read_entry(tmp_path / "two.html") is None
    assert cache_entry.read_entry(tmp_path / "one.html") == b"one"


def test_a_fifo_or_folder_in_place_of_an_entry_reads_as_missing(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "fifo.json")
    (tmp_path / "folder.json").mkdir()
    assert cache_entry.read_entry(tmp_path / "fifo.json") is None
    assert cache_entry.read_entry(tmp_path / "folder.json") is None


def test_temporaries_of_dead_writers_are_swept_and_live_ones_kept(tmp_path: Path) -> None:
    gone = subprocess.Popen(["true"])
    gone.wait()
    (tmp_path / "sub").mkdir()
    stale = tmp_path / "sub" / f"{cache_entry.TEMP_PREFIX}{gone.pid}-x"
    mine = tmp_path / f"{cache_entry.TEMP_PREFIX}{os.getpid()}-y"
    old_style = tmp_path / f"{cache_entry.TEMP_PREFIX}abcd.html"
    for path in (stale, mine, old_style):
        path.write_bytes(b"half")
    # The typesetting check's scratch folder, left by a worker killed mid-check.
    scratch = tmp_path / f"{cache_entry.TEMP_PREFIX}{gone.pid}-typeset-check-z"
    scratch.mkdir()
    (scratch / "book-print.pdf").write_bytes(b"%PDF-1.7 half")
    assert cache_entry.sweep_temporaries(tmp_path) == 3
    assert mine.exists() and not stale.exists() and not old_style.exists()
    assert not scratch.exists()
    assert cache_entry.sweep_temporaries(tmp_path, ended={os.getpid()}) == 1


def test_the_build_state_is_checked_too(tmp_path: Path) -> None:
    folder = tmp_path / cache.CACHE_DIR_NAME
    folder.mkdir()
    (folder / cache.STATE_FILE).write_bytes(cache.state_bytes("f", {"a.md": b"x"}))
    state = cache.load_state(tmp_path)
    assert state is not None and state.fingerprint == "f"
    data = (folder / cache.STATE_FILE).read_bytes()
    (folder / cache.STATE_FILE).write_bytes(data.replace(b'"f"', b'"g"'))
    assert cache.load_state(tmp_path) is None


# --- the chunk cache ----------------------------------------------------------------------------

def test_the_chunk_cache_refuses_torn_and_mismatched_entries(tmp_path: Path) -> None:
    from handbook_build.render.pdf_merge import PageInfo

    store = ChunkCache(tmp_path / "pdf")
    chunk = GroupChunk(b"%PDF-1.7 one", (PageInfo(),), 3, (("a", "7"),))
    other = GroupChunk(b"%PDF-1.7 two", (PageInfo(),), 3, (("a", "7"),))
    store.store("k1", chunk, "content1")
    store.store("k2", other)
    assert store.load("k1") == chunk and store.info("content1") == (1, [])
    # A .pdf from another write beside this .json (both intact entries, wrong pair).
    (tmp_path / "pdf" / "k1.pdf").write_bytes(
        cache_entry.encode("k1.pdf", (tmp_path / "pdf" / "k2.pdf").read_bytes()[-12:]))
    assert store.load("k1") is None
    for name in ("k2.json", "info-content1.json"):
        path = tmp_path / "pdf" / name
        path.write_bytes(path.read_bytes()[:-3])
    assert store.load("k2") is None and store.info("content1") is None
    store.store_blob("cover", b"cover pdf")
    assert store.load_blob("cover") == b"cover pdf"
    blob = tmp_path / "pdf" / "cover.bin"
    blob.write_bytes(blob.read_bytes()[:-1])
    assert store.load_blob("cover") is None
    store.store_font("0" * 64, b"not that font")
    assert store.font("0" * 64) is None


# --- whole builds -------------------------------------------------------------------------------

FORMATS = ("md", "html", "pdf", "print", "epub")


def _build(manifest: Path, out: Path) -> None:
    args = [str(CLI), "build", str(manifest), "-o", str(out), "-j", "2", "-q"]
    for name in FORMATS:
        args += ["-f", name]
    result = subprocess.run(args, capture_output=True, env=cli_env(), timeout=600, check=False)
    assert result.returncode == 0, result.stderr.decode()


def _editions(folder: Path) -> dict[str, str]:
    return {name: digest for name, digest in edition_hashes(folder).items()
            if not name.endswith("-report.json")}


def _damage(path: Path, how: int) -> None:
    data = path.read_bytes()
    if how == 0:
        path.write_bytes(data[: len(data) // 2])  # torn: a write cut short
    elif how == 1:
        path.write_bytes(data[:-1] + bytes([data[-1] ^ 1]))  # one bit flipped
    else:
        path.write_bytes(b"")  # created, never written


@pytest.mark.slow
def test_a_damaged_cache_gives_the_clean_build_and_is_rewritten(tmp_path: Path) -> None:
    book = tmp_path / "sample"
    shutil.copytree(PROJECT_DIR / "manuscript", book)
    clean, damaged = tmp_path / "clean", tmp_path / "damaged"
    _build(book / "book.toml", clean)
    shutil.copytree(clean, damaged)
    # The ownership record is not a cache: a damaged one makes the tool forget what it wrote
    # and refuse to replace those editions, on purpose (test_source_safety); so it is spared.
    entries = sorted(p for p in (damaged / cache.CACHE_DIR_NAME).rglob("*")
                     if p.is_file() and p.name != output_guard.RECORD_FILE)
    kinds = {p.parent.name for p in entries}
    assert {html_cache.CACHE_SUBDIR, "pdf", "print", "fonts", print_images.CONVERTED_DIR,
            cache.CACHE_DIR_NAME} <= kinds, kinds
    # Every entry of every cache damaged, one way or another; and a foreign one: an intact
    # section of the HTML cache copied over another.
    for number, path in enumerate(entries):
        _damage(path, number % 3)
    sections = sorted((clean / cache.CACHE_DIR_NAME / html_cache.CACHE_SUBDIR).iterdir())
    shutil.copy(sections[0], damaged / cache.CACHE_DIR_NAME / html_cache.CACHE_SUBDIR
                / sections[1].name)
    stem = next(clean.glob("*.md")).stem  # the book's own stem, not one this test assumes
    for output in (damaged / f"{stem}.md", damaged / f"{stem}.html"):
        assert output.is_file(), output
        output.write_bytes(b"")  # and two editions too, so the build cannot stop early
    _build(book / "book.toml", damaged)
    assert _editions(damaged) == _editions(clean)
    rewritten = [p for p in (damaged / cache.CACHE_DIR_NAME / html_cache.CACHE_SUBDIR).iterdir()
                 if p.suffix == ".html"]
    assert rewritten and all(cache_entry.read_entry(p) is not None for p in rewritten)


def test_a_truncated_html_entry_is_converted_again(tmp_path: Path) -> None:
    """A section cut short is still valid UTF-8: the old cache used it as it was."""
    from handbook_build.html.htmlbook import to_html
    from test_html_cache import manuscript_of

    sample = PROJECT_DIR / "manuscript" / "book.toml"
    manuscript = manuscript_of(sample, tmp_path / "out")
    folder = tmp_path / ".cache"
    first = html_cache.convert(manuscript, folder)
    assert first is not None
    entry = sorted((folder / html_cache.CACHE_SUBDIR).iterdir())[0]
    entry.write_bytes(entry.read_bytes()[:-200])
    again = html_cache.convert(manuscript, folder)
    assert again is not None and again.html == first.html
    assert again.stats.hits == again.stats.sections - 1
    assert cache_entry.read_entry(entry) is not None  # rewritten
    assert to_html(manuscript, folder) == to_html(manuscript)
