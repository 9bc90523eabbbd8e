"""Safe by construction (issue 11): no source is ever overwritten, the cache key reads only what
the book uses (stat first), system folders are refused, messages tell the truth.

The file-access claims are checked with a ``sys.addaudithook`` hook that records every path
Python opens while a build or check runs in this process: a FIFO or a 2 GB file next to the
book must never appear in it.
"""

from __future__ import annotations

import os
import re
import socket
from pathlib import Path

import pytest

from bookmaker import (
    DEFAULT_TOML,
    build_args,
    edition_hashes,
    make_book,
    png_bytes,
    run_cli,
    run_cli_subprocess,
    tree_hashes,
)
from opened_files import recording_opens

TWO_GB = 2 * 1024 ** 3


def _sparse(path: Path, size: int = TWO_GB) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        handle.truncate(size)  # no blocks on disk: reading it would still cost 2 GB
    return path


def _toml(title: str, extra: str = "") -> str:
    return DEFAULT_TOML.replace('title = "Test Book"', f'title = "{title}"').replace(
        'stem = "book"\n', "") + extra


def _sources(book_root: Path) -> dict[str, str]:
    return {name: digest for name, digest in tree_hashes(book_root).items()
            if not name.startswith(("out/", "build/", ".cache/", "chapters/.cache/"))
            and "/.cache/" not in name}


# --- 1. outputs never replace a source or a file we did not write ------------------------------


@pytest.mark.parametrize(("title", "out", "collides", "what"), [
    ("Intro", "chapters", "intro.md", "a chapter"),
    ("Contents", ".", "contents.md", "the contents file"),
    ("Chapters Intro", "chapters", None, None),  # no collision: builds into the chapters folder
])
def test_output_into_the_book_never_changes_a_source_byte(
        tmp_path: Path, title: str, out: str, collides: str | None, what: str | None) -> None:
    book = make_book(tmp_path / "b", toml=_toml(title),
                     chapters={"intro.md": "# Intro\n\nHello, reader.\n"},
                     images={"pic.png": png_bytes()})
    before = tree_hashes(book.root)
    output = (book.root / out).resolve()
    for _ in range(2):  # a rebuild must not make it worse (the chapter grew on every build)
        run = run_cli(build_args(book, output, ("md",)))
        if collides is None:
            assert run.exit_code == 0, run.output
            continue
        assert run.exit_code == 1, run.output
        assert not run.has_traceback, run.output
        # Every message now has the one compiler-style form: file: error: message [code].
        assert re.search(rf"book\.toml: error: output {re.escape(collides)} would overwrite {what} "
                         rf".*; choose another -o \(the output folder .* is .*"
                         rf"\[output-collision\]", run.output), \
            run.output
        assert "nothing was written" in run.output
    after = tree_hashes(book.root)
    for name, digest in before.items():
        assert after.get(name) == digest, f"{name} changed"
    if collides is not None:
        assert set(after) == set(before), "a refused build wrote files"


def test_a_contents_file_named_like_an_output_is_never_replaced(tmp_path: Path) -> None:
    """A manifest that calls its contents list book.md, built with stem "book" into its own
    folder, and an image named like the proof PNG, built into the images folder."""
    toml = DEFAULT_TOML.replace('file = "contents.md"', 'file = "book.md"')
    book = make_book(tmp_path / "b", toml=toml, images={"book-print-proof.png": png_bytes()})
    (book.root / "book.md").write_text((book.root / "contents.md").read_text())
    (book.root / "chapters" / "intro.md").write_text(
        "# Intro\n\n![proof](../images/book-print-proof.png)\n")
    before = _sources(book.root)
    run = run_cli(build_args(book, book.root, ("md",)))
    assert run.exit_code == 1 and "output book.md would overwrite the contents file" in run.output
    run = run_cli(build_args(book, book.images, ("md", "print")))
    assert run.exit_code == 1, run.output
    assert "output book-print-proof.png would overwrite an image of the book" in run.output
    assert "is an images folder" in run.output
    assert _sources(book.root) == before


def test_a_bare_contents_file_titled_contents_is_never_replaced(tmp_path: Path) -> None:
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "contents.md").write_text("# Contents\n\n- [One](one.md)\n")
    (folder / "one.md").write_text("# One\n\nText.\n")
    before = tree_hashes(folder)
    run = run_cli(["build", str(folder / "contents.md"), "-o", str(folder), "-f", "md"])
    assert run.exit_code == 1, run.output
    assert "output contents.md would overwrite the contents file" in run.output
    assert tree_hashes(folder) == before


def test_a_file_we_did_not_write_is_refused_before_anything_renders(tmp_path: Path) -> None:
    book = make_book(tmp_path / "b")
    out = tmp_path / "out"
    out.mkdir()
    (out / "book.html").write_text("<p>my own notes</p>")
    (out / "book.pdf").symlink_to(book.chapter("intro.md"))
    run = run_cli(build_args(book, out, ("md", "html", "pdf")))
    assert run.exit_code == 1, run.output
    assert re.search(r"book\.toml: error: output book\.html exists and was not written by "
                     r"handbook-build; .*choose another -o, or move book\.html away.*"
                     r"\[output-collision\]", run.output), run.output
    assert "output book.pdf would overwrite a chapter" in run.output
    assert "rendering" not in run.output  # refused before any edition was rendered
    assert (out / "book.html").read_text() == "<p>my own notes</p>"
    assert sorted(p.name for p in out.iterdir()) == ["book.html", "book.pdf"]


def test_rebuilds_into_a_folder_of_our_own_outputs_still_work(tmp_path: Path) -> None:
    book = make_book(tmp_path / "b")
    out = book.root / "build"  # inside the book's folder: no collision, so it is fine
    assert run_cli(build_args(book, out, ("md", "html"))).exit_code == 0
    assert run_cli(build_args(book, out, ("md",))).exit_code == 0  # html stays ours
    book.chapter("intro.md").write_text("# Intro\n\nA second version.\n")
    run = run_cli(build_args(book, out, ("md", "html")))
    assert run.exit_code == 0, run.output
    assert "A second version." in (out / "book.html").read_text()
    (out / "book.md").write_text("edited by hand")  # ours, damaged: rebuilt, as before
    assert run_cli(build_args(book, out, ("md", "html"))).exit_code == 0
    assert "A second version." in (out / "book.md").read_text()


# --- 2. the cache key reads only what the book uses ---------------------------------------------


def test_unused_fifo_and_huge_file_beside_the_book_are_never_opened(tmp_path: Path) -> None:
    book = make_book(tmp_path / "b", chapters={"intro.md": "# Intro\n\n![p](../images/p.png)\n"},
                     images={"p.png": png_bytes()})
    for folder in (book.root, book.chapters, book.images):
        os.mkfifo(folder / "pipe.md")  # opening it would block the build for good
    huge = _sparse(book.root / "dump.bin")
    huge_in_images = _sparse(book.images / "huge.png")
    out = tmp_path / "out"
    with recording_opens() as opened:
        first = run_cli(build_args(book, out, ("md", "html")), timeout=60)
        second = run_cli(build_args(book, out, ("md", "html")), timeout=60)
    assert first.exit_code == 0 and second.exit_code == 0, first.output + second.output
    assert "nothing changed" in second.output
    never = {str(p.resolve()) for p in (huge, huge_in_images, book.root / "pipe.md",
                                         book.chapters / "pipe.md", book.images / "pipe.md")}
    assert not never & set(opened), never & set(opened)
    assert str(book.chapter("intro.md").resolve()) in opened  # the recorder does record


def test_a_changed_image_is_noticed_and_an_unused_one_is_not(tmp_path: Path) -> None:
    book = make_book(tmp_path / "b", chapters={"intro.md": "# Intro\n\n![p](../images/p.png)\n"},
                     images={"p.png": png_bytes(color=(200, 0, 0)), "spare.png": png_bytes()})
    out = tmp_path / "out"
    assert run_cli(build_args(book, out, ("md", "html"))).exit_code == 0
    (book.images / "spare.png").write_bytes(png_bytes(color=(0, 0, 200)))
    assert "nothing changed" in run_cli(build_args(book, out, ("md", "html"))).output
    (book.images / "p.png").write_bytes(png_bytes(color=(0, 200, 0)))  # same size, new pixels
    assert "nothing changed" not in run_cli(build_args(book, out, ("md", "html"))).output


def test_the_cache_key_finds_every_image_the_build_uses(tmp_path: Path) -> None:
    """Every spelling of an image reference: inline, reference-style, raw <img>, a caption
    shortcode, a remote URL matched by name, an image next to the chapter."""
    from handbook_build import cache
    from handbook_build.sources.chapters import read_book
    from handbook_build.sources.manifest import load_manifest

    text = ("# Pics\n\n![a](../images/a.png)\n\n![b][ref]\n\n[ref]: ../images/b.png\n\n"
            '<img src="../images/c.png" alt="c">\n\n'
            '[caption id="x"]<img src="../images/d.png" alt="d"> Caption[/caption]\n\n'
            "![e](https://example.org/wp-content/uploads/e-300x200.png)\n\n![f](f.png)\n")
    images = {name: png_bytes() for name in ("a.png", "b.png", "c.png", "d.png", "e.png",
                                             "unused.png")}
    book = make_book(tmp_path / "b", chapters={"pics.md": text}, images=images)
    book.chapter("f.png").write_bytes(png_bytes())
    manifest = load_manifest(book.manifest)
    out = tmp_path / "out"
    texts = [(node, node.source_path.read_text()) for node in manifest.chapters
             if node.source_path is not None]
    scanned = set(cache._referenced_images(manifest, out, texts) or [])
    used = {asset.path for asset in read_book(manifest, out).images}
    assert len(used) == 6
    assert scanned == used


@pytest.mark.parametrize("command", ["build", "check"])
def test_a_two_gigabyte_chapter_is_refused_by_its_size_unread(tmp_path: Path,
                                                             command: str) -> None:
    book = make_book(tmp_path / "b", chapters={"intro.md": "# Intro\n\nHi.\n"})
    big = _sparse(book.chapter("big.md"))
    book.contents.write_text("# T\n\n- [Intro](chapters/intro.md)\n- [Big](chapters/big.md)\n")
    args = (build_args(book, tmp_path / "out", ("md", "html")) if command == "build"
            else ["check", str(book.manifest)])
    with recording_opens() as opened:
        run = run_cli(args, timeout=60)
    assert run.exit_code == 1, run.output
    assert not run.has_traceback, run.output
    assert re.search(r"big\.md:1: (?:error: )?the chapter is 2\.0 GB, more than the 1 MB a "
                     r"chapter may be", run.output), run.output
    assert str(big.resolve()) not in opened  # refused by stat: not a byte read


def test_a_fifo_chapter_says_what_it_is_in_build_and_check(tmp_path: Path) -> None:
    book = make_book(tmp_path / "b", chapters={"intro.md": "# Intro\n\nHi.\n"})
    os.mkfifo(book.chapter("fifo.md"))
    (book.chapters / "folder.md").mkdir()
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(book.chapter("sock.md")))
    try:
        book.contents.write_text("# T\n\n- [Intro](chapters/intro.md)\n- [F](chapters/fifo.md)\n"
                                 "- [D](chapters/folder.md)\n- [S](chapters/sock.md)\n")
        for args in (build_args(book, tmp_path / "out"), ["check", str(book.manifest)]):
            run = run_cli_subprocess(args, timeout=60)  # a child: if it blocked, it is killed
            assert run.exit_code == 1, run.output
            assert "fifo.md is a FIFO (named pipe), not a regular file" in run.output
            assert "folder.md is a folder, not a regular file" in run.output
            assert "sock.md is a socket, not a regular file" in run.output
            assert "did you mean" not in run.output and "does not exist" not in run.output
    finally:
        sock.close()


@pytest.mark.parametrize(("line", "expected"), [
    ('source = "/"', 'source = "/" is a system folder'),
    ('source = "/proc"', 'source = "/proc" is a system folder'),
    ('source = "/proc/self"', 'source = "/proc/self" is a system folder'),
    ('source = "/etc"', 'source = "/etc" is a system folder'),
    ('source = "/usr"', 'source = "/usr" is a system folder'),
    ('source = "${HOME}"', 'source = "${HOME}" is a system folder'),
])
def test_a_system_folder_as_source_is_refused_with_its_line(tmp_path: Path, line: str,
                                                            expected: str) -> None:
    toml = DEFAULT_TOML.replace("[contents]\n", f"[contents]\n{line}\n")
    book = make_book(tmp_path / "b", toml=toml)
    expected_line = toml.splitlines().index(line) + 1
    for args in (build_args(book, tmp_path / "out"), ["check", str(book.manifest)]):
        run = run_cli_subprocess(args, timeout=30)  # "/" once read /proc/kmsg for good
        assert run.exit_code == 1, run.output
        assert re.search(rf"book\.toml:{expected_line}: (?:error: )?{re.escape(expected)} ",
                         run.output), run.output
    assert not (tmp_path / "out").exists()


def test_a_system_folder_as_images_is_refused(tmp_path: Path) -> None:
    """``images`` inside a book whose source is a folder holding a link to /etc."""
    toml = DEFAULT_TOML.replace('images = ["images"]', 'images = ["etc-link"]')
    book = make_book(tmp_path / "b", toml=toml)
    (book.root / "etc-link").symlink_to("/etc", target_is_directory=True)
    run = run_cli(build_args(book, tmp_path / "out"))
    assert run.exit_code == 1, run.output
    assert re.search(r"book\.toml:\d+: .*etc-link", run.output), run.output


# --- 3. messages that tell the truth ------------------------------------------------------------


def _image_of_format(fmt: str) -> bytes:
    import io

    from PIL import Image

    if fmt == "HEIC":  # Pillow cannot write HEIC: its header is what the build sees
        return b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 64
    output = io.BytesIO()
    Image.new("RGB", (4, 4), (10, 200, 10)).save(output, fmt)
    return output.getvalue()


@pytest.mark.parametrize(("fmt", "name", "shown"), [
    ("TIFF", "scan.tif", "TIFF"), ("BMP", "paint.bmp", "BMP"), ("HEIC", "photo.heic",
                                                                  "HEIC/HEIF"),
])
def test_an_unsupported_image_format_says_so(tmp_path: Path, fmt: str, name: str,
                                             shown: str) -> None:
    book = make_book(tmp_path / "b", chapters={"pics.md": f"# Pics\n\n![x](../images/{name})\n"},
                     images={name: _image_of_format(fmt)})
    run = run_cli(build_args(book, tmp_path / "out"))
    assert run.exit_code == 0, run.output
    expected = (rf"pics\.md:3:1: warning: image refused: \.\./images/{re.escape(name)} "
                rf"\({re.escape(name)} is a {re.escape(shown)} image: the editions show only "
                r"PNG, JPEG, GIF, WebP or SVG\).*convert it to PNG or JPEG")
    assert re.search(expected, run.output), run.output
    assert "not found" not in run.output


def test_edition_hashes_helper_ignores_the_cache(tmp_path: Path) -> None:
    """The ownership record lives in .cache: editions compare as before."""
    book = make_book(tmp_path / "b")
    out = tmp_path / "out"
    assert run_cli(build_args(book, out)).exit_code == 0
    assert (out / ".cache" / "written.json").is_file()
    assert set(edition_hashes(out)) == {"book.md", "book-report.json"}
