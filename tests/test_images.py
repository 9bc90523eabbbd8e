"""Tests of image resolution and rewriting (images/)."""

from __future__ import annotations

import os
import re
import socket
import unicodedata
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from handbook_build.model import TocNode
from handbook_build.sources.images import (
    ImageContext,
    ImageResolver,
    escape_markdown,
    placeholder,
    rewrite_images,
    sniff_media_type,
)
from handbook_build.sources.markdown_scan import find_inline_links, mask_code

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 24
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 24
GIF = b"GIF89a" + b"\x00" * 24
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 16
SVG = b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"/>'


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to open a socket fails the test: resolution is offline by design."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("images/ tried to open a network connection")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.fixture
def book(tmp_path: Path) -> Path:
    """A book root with chapters/, images/ and an out/ folder."""
    root = tmp_path / "book"
    (root / "chapters" / "sub").mkdir(parents=True)
    (root / "images").mkdir()
    (root / "out").mkdir()
    files = {
        "images/kipling.jpg": JPEG,
        "images/Amanda.JPG": JPEG,
        "images/cultivate.jpg": JPEG,
        "images/tom-sawyer.jpeg": JPEG,
        "images/both.png": PNG,
        "images/both.gif": GIF,
        "images/diagram-300x217.png": PNG,
        "images/welcome.gif": GIF,
        "images/my pic.png": PNG,
        "images/vector.svg": SVG,
        "images/modern.webp": WEBP,
        "images/empty.png": b"",
        "images/fake.png": b"%PDF-1.5\n...",
        "images/doc.pdf": b"%PDF-1.5\n...",
        "chapters/local.png": PNG,
        "chapters/sub/deep.gif": GIF,
    }
    for name, content in files.items():
        (root / name).write_bytes(content)
    return root


@pytest.fixture
def resolver(book: Path) -> ImageResolver:
    return ImageResolver([book / "images"], [book])


def chapters_dir(book: Path) -> Path:
    return book / "chapters"


# --- sniffing ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "suffix", "expected"),
    [
        (PNG, ".png", "image/png"),
        (JPEG, ".png", "image/jpeg"),  # content wins over the name
        (GIF, "", "image/gif"),
        (WEBP, ".webp", "image/webp"),
        (SVG, ".svg", "image/svg+xml"),
        (b"\xef\xbb\xbf  <svg>", "", "image/svg+xml"),
        (b"<?xml version='1.0'?><!-- a long comment -->", ".svg", "image/svg+xml"),
        (b"<?xml version='1.0'?><html/>", ".png", None),
        (b"%PDF-1.5", ".png", None),
        (b"<!DOCTYPE html><html>", ".jpg", None),
        (b"plain text", ".gif", None),
        (b"", ".png", None),
    ],
)
def test_sniff_media_type(header: bytes, suffix: str, expected: str | None) -> None:
    assert sniff_media_type(header, suffix) == expected


# --- local resolution --------------------------------------------------------------------------


def test_local_relative_src(book: Path, resolver: ImageResolver) -> None:
    found = resolver.resolve("local.png", chapters_dir(book))
    assert found.path == book / "chapters" / "local.png"
    assert found.media_type == "image/png"
    assert resolver.resolve("./sub/deep.gif", chapters_dir(book)).path == (
        book / "chapters" / "sub" / "deep.gif"
    )
    assert resolver.resolve("../images/kipling.jpg", chapters_dir(book)).path == (
        book / "images" / "kipling.jpg"
    )


def test_local_percent_encoded_and_angle_brackets(book: Path, resolver: ImageResolver) -> None:
    assert resolver.resolve("../images/my%20pic.png", chapters_dir(book)).path == (
        book / "images" / "my pic.png"
    )
    assert resolver.resolve("<../images/my pic.png>", chapters_dir(book)).path == (
        book / "images" / "my pic.png"
    )


def test_local_wrong_folder_falls_back_to_the_image_folders(
    book: Path, resolver: ImageResolver
) -> None:
    found = resolver.resolve("pictures/kipling.jpg", chapters_dir(book))
    assert found.path == book / "images" / "kipling.jpg"
    assert "found by name" in found.reason


def test_local_outside_the_roots_is_refused(book: Path, tmp_path: Path) -> None:
    (tmp_path / "secret.png").write_bytes(PNG)
    resolver = ImageResolver([book / "images"], [book])
    found = resolver.resolve("../../secret.png", chapters_dir(book))
    assert found.path is None and "outside" in found.reason
    absolute = resolver.resolve(str(tmp_path / "secret.png"), chapters_dir(book))
    assert absolute.path is None and "outside" in absolute.reason


def test_absolute_path_inside_the_roots_is_accepted(book: Path, resolver: ImageResolver) -> None:
    src = str(book / "images" / "kipling.jpg")
    assert resolver.resolve(src, Path("/elsewhere")).path == book / "images" / "kipling.jpg"


def test_symlink_out_of_the_roots_is_refused(book: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside.png"
    outside.write_bytes(PNG)
    link = book / "chapters" / "sneaky.png"
    try:
        link.symlink_to(outside)
    except OSError:
        pytest.skip("symlinks not supported here")
    found = ImageResolver([book / "images"], [book]).resolve("sneaky.png", chapters_dir(book))
    assert found.path is None
    assert "link" in found.reason and "outside" in found.reason


def test_symlinked_image_folder_out_of_the_roots_is_not_indexed(book: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "stolen.png").write_bytes(PNG)
    try:
        (book / "linked").symlink_to(elsewhere, target_is_directory=True)
    except OSError:
        pytest.skip("symlinks not supported here")
    resolver = ImageResolver([book / "linked"], [book])
    assert resolver.resolve("http://x.org/stolen.png", chapters_dir(book)).path is None
    assert resolver.refused_dirs == (elsewhere.resolve(),)


@pytest.mark.parametrize(
    ("src", "words"),
    [
        ("file:///etc/passwd", "file:"),
        ("data:image/png;base64,iVBORw0KGgo=", "data:"),
        ("ftp://x.org/kipling.jpg", "ftp:"),
        ("", "empty"),
        ("../images/empty.png", "empty"),
        ("../images/fake.png", "not an image (a PDF document)"),
        ("missing.png", "no file"),
    ],
)
def test_refusals_have_reasons(book: Path, resolver: ImageResolver, src: str, words: str) -> None:
    found = resolver.resolve(src, chapters_dir(book))
    assert found.path is None
    assert words in found.reason


# --- remote resolution -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://metameso.org/~joe/kipling.jpg", "kipling.jpg"),  # exact
        ("http://peeragogy.org/wp-content/uploads/2012/04/amanda.jpg", "Amanda.JPG"),  # case
        ("http://x.org/cultivate.jpeg", "cultivate.jpg"),  # extension
        ("http://x.org/tom-sawyer.jpg", "tom-sawyer.jpeg"),
        ("http://x.org/both.jpeg", "both.png"),  # preference: .jpg .jpeg .png .gif .svg
        ("http://x.org/both.gif", "both.gif"),  # the exact extension wins
        ("http://x.org/both-300x200.gif", "both.gif"),  # size suffix on the URL
        ("http://x.org/diagram.png", "diagram-300x217.png"),  # size suffix on the file
        ("http://x.org/diagram-640x480.png", "diagram-300x217.png"),
        ("http://x.org/welcome-e1352754548930.gif", "welcome.gif"),  # WordPress edit suffix
        ("http://x.org/files/Kipling.img_assist_custom-800x694.png", "kipling.jpg"),  # Drupal
        ("http://x.org/my%20pic.png", "my pic.png"),  # URL encoding
        ("https://x.org/vector.svg?w=300#a", "vector.svg"),
        ("//x.org/modern.webp", "modern.webp"),
        ("http://upload.wikimedia.org/thumb/a/ab/Kipling.jpg/640px-Kipling.jpg", "kipling.jpg"),
    ],
)
def test_remote_images_match_local_copies(
    book: Path, resolver: ImageResolver, url: str, expected: str
) -> None:
    found = resolver.resolve(url, chapters_dir(book))
    assert found.path == book / "images" / expected, found.reason


@pytest.mark.parametrize(
    "url",
    [
        "https://lh3.googleusercontent.com/EMnmI4H1eE36r8Jzb_nkKg9QX",  # no file name
        "http://x.org/nothing.png",
        "http://x.org/doc.png",  # doc.pdf never stands in for an image
        "http://x.org/",
        "http://x.org/empty.png",  # the local copy is empty
    ],
)
def test_remote_images_without_usable_copy(book: Path, resolver: ImageResolver, url: str) -> None:
    found = resolver.resolve(url, chapters_dir(book))
    assert found.path is None
    assert found.reason


def test_first_image_folder_wins(tmp_path: Path) -> None:
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "x.png").write_bytes(PNG)
    resolver = ImageResolver([tmp_path / "b", tmp_path / "a"], [tmp_path])
    assert resolver.resolve("http://h/x.png", tmp_path).path == tmp_path / "b" / "x.png"


# --- rewrite_images ----------------------------------------------------------------------------


def context(book: Path, resolver: ImageResolver, file_name: str = "ch.md") -> ImageContext:
    node = TocNode("chapter", "Ch", 1, "ch", 1, book / "chapters" / file_name)
    return ImageContext(node, book / "chapters", book / "out", resolver)


def test_src_becomes_relative_to_the_output_folder(book: Path, resolver: ImageResolver) -> None:
    text = 'A ![Kipling](http://metameso.org/~joe/kipling.jpg "Rudyard") b ![L](local.png)'
    result = rewrite_images(text, context(book, resolver))
    assert (
        result.markdown
        == 'A ![Kipling](../images/kipling.jpg "Rudyard") b ![L](../chapters/local.png)'
    )
    assert [(a.src, a.path.name, a.media_type) for a in result.assets] == [
        ("../images/kipling.jpg", "kipling.jpg", "image/jpeg"),
        ("../chapters/local.png", "local.png", "image/png"),
    ]
    assert result.diagnostics == () and result.unresolved == ()
    for asset in result.assets:
        assert (book / "out" / asset.src).resolve() == asset.path


def test_assets_are_deduplicated_and_names_percent_encoded(
    book: Path, resolver: ImageResolver
) -> None:
    text = "![a](http://x/my%20pic.png) ![b](../images/my%20pic.png) ![c](http://y/My pic.png)"
    result = rewrite_images(text, context(book, resolver))
    assert [asset.src for asset in result.assets] == ["../images/my%20pic.png"]
    assert result.markdown.startswith("![a](../images/my%20pic.png) ![b](../images/my%20pic.png)")


def test_unresolved_image_becomes_a_placeholder_with_a_warning(
    book: Path, resolver: ImageResolver
) -> None:
    text = "Intro\n\n  see ![A *bold* [x]](http://x.org/gone.png) here\n"
    result = rewrite_images(text, context(book, resolver))
    assert result.markdown == (
        "Intro\n\n  see [Image not available: A \\*bold\\* \\[x\\]]"
        '{.image-placeholder title="gone.png"} here\n'  # the missing file's name, printed
    )
    assert result.unresolved == ("http://x.org/gone.png",)
    (diagnostic,) = result.diagnostics
    assert (diagnostic.code, diagnostic.line, diagnostic.column) == ("unresolved-image", 3, 7)
    assert diagnostic.severity == "warning"
    assert diagnostic.path.endswith("ch.md")
    assert str(diagnostic).startswith(
        f"{diagnostic.path}:3:7: image not found: http://x.org/gone.png"
    )
    assert diagnostic.hint


def test_generic_alt_uses_title_or_file_name_in_the_placeholder(
    book: Path, resolver: ImageResolver
) -> None:
    result = rewrite_images(
        '![image](http://x/a-300x200.gif "Lots going on") ![](http://x/b_c.png)',
        context(book, resolver),
    )
    assert result.markdown == (
        '[Image not available: Lots going on]{.image-placeholder title="a-300x200.gif"} '
        "[Image not available: b\\_c.png]{.image-placeholder}"  # the name once, as the label
    )
    # "image" says nothing: the author is told so (meaningless-alt) before the web image's
    # placeholder warning; the empty alt is missing-alt.
    assert [d.code for d in result.diagnostics] == [
        "meaningless-alt",
        "unresolved-image",
        "missing-alt",
        "unresolved-image",
    ]


def test_missing_alt_is_kept_with_a_warning(book: Path, resolver: ImageResolver) -> None:
    result = rewrite_images("![](local.png)", context(book, resolver))
    assert result.markdown == "![](../chapters/local.png)"
    assert [(d.code, d.line, d.column) for d in result.diagnostics] == [("missing-alt", 1, 1)]


def test_linked_image(book: Path, resolver: ImageResolver) -> None:
    text = "[![W](http://peeragogy.org/wp-content/uploads/welcome.gif)](http://x.org/page)"
    result = rewrite_images(text, context(book, resolver))
    assert result.markdown == "[![W](../images/welcome.gif)](http://x.org/page)"


def test_links_are_not_images(book: Path, resolver: ImageResolver) -> None:
    text = (
        "[kipling](http://metameso.org/~joe/kipling.jpg) `![a](gone.png)`\n\n    ![a](gone.png)\n"
    )
    assert rewrite_images(text, context(book, resolver)).markdown == text


def test_raw_html_img(book: Path, resolver: ImageResolver) -> None:
    text = '<img class="x" src="http://x.org/kipling.jpg" alt="K"> and <img src=local.png alt="L">'
    result = rewrite_images(text, context(book, resolver))
    assert result.markdown == (
        '<img class="x" src="../images/kipling.jpg" alt="K"> and '
        '<img src="../chapters/local.png" alt="L">'
    )
    missing = rewrite_images('<img src="gone.png" alt="A &amp; B">', context(book, resolver))
    assert missing.markdown == "[Image not available: A & B]{.image-placeholder}"
    assert [d.code for d in missing.diagnostics] == ["missing-image"]  # local: an error
    assert missing.diagnostics[0].severity == "error"
    no_alt = rewrite_images('<img src="local.png">', context(book, resolver))
    assert [d.code for d in no_alt.diagnostics] == ["missing-alt"]


def test_caption_shortcode_with_markdown_image(book: Path, resolver: ImageResolver) -> None:
    text = (
        "Before.\n\n"
        '[caption id="" align="aligncenter"\nwidth="300"]![Kipling](http://metameso.org/~joe/'
        "kipling.jpg) Engraving\nof Rudyard Kipling.[/caption]\n## Next\n"
    )
    result = rewrite_images(text, context(book, resolver))
    assert result.markdown == (
        "Before.\n\n![Engraving of Rudyard Kipling.](../images/kipling.jpg)\n\n## Next\n"
    )
    assert [(d.code, d.line, d.column) for d in result.diagnostics] == [("caption-shortcode", 3, 1)]


def test_caption_shortcode_mid_paragraph_with_linked_image(
    book: Path, resolver: ImageResolver
) -> None:
    text = (
        'text… [caption id=""\nalign="aligncenter" width="465"][![matrix](http://h/welcome.gif)]'
        "(http://peeragogy.org/a/matrix/)\nMany [PD\nimage](https://c.org/F) by Me[/caption]\nmore"
    )
    result = rewrite_images(text, context(book, resolver))
    assert result.markdown == (
        "text…\n\n![Many [PD image](https://c.org/F) by Me](../images/welcome.gif)\n\nmore"
    )
    (diagnostic,) = result.diagnostics
    assert diagnostic.code == "caption-shortcode"
    assert "http://peeragogy.org/a/matrix/" in diagnostic.message  # the dropped link is named


def test_caption_shortcode_with_html_img_and_escaped_id(
    book: Path, resolver: ImageResolver
) -> None:
    text = (
        '[caption id="attachment\\_1" width="300"]<a href="http://x"><img src="http://x/kipling.jpg"'
        ' alt="K" title="T"></a> The poet[/caption]'
    )
    result = rewrite_images(text, context(book, resolver))
    assert result.markdown == '![The poet](../images/kipling.jpg "T")'


def test_caption_shortcode_without_caption_text_uses_alt(
    book: Path, resolver: ImageResolver
) -> None:
    result = rewrite_images("[caption]![Alt](local.png)[/caption]", context(book, resolver))
    assert result.markdown == "![Alt](../chapters/local.png)"


def test_caption_shortcode_unresolved_image(book: Path, resolver: ImageResolver) -> None:
    result = rewrite_images(
        "[caption]![Alt](gone.png) A [cap](http://c)[/caption]", context(book, resolver)
    )
    assert result.markdown == "[Image not available: A cap]{.image-placeholder}"
    assert [d.code for d in result.diagnostics] == ["caption-shortcode", "missing-image"]
    assert result.unresolved == ("gone.png",)


def test_caption_shortcode_without_image_keeps_text(book: Path, resolver: ImageResolver) -> None:
    result = rewrite_images("[caption id=''] just words [/caption]", context(book, resolver))
    assert result.markdown == "just words"
    assert [d.code for d in result.diagnostics] == ["caption-shortcode"]


def test_caption_in_code_is_untouched(book: Path, resolver: ImageResolver) -> None:
    text = "```\n[caption]![a](gone.png) x[/caption]\n```\n"
    assert rewrite_images(text, context(book, resolver)).markdown == text


def test_placeholder_and_escaping() -> None:
    assert placeholder("a]b") == "[Image not available: a\\]b]{.image-placeholder}"
    assert escape_markdown("x_y *z*\n  w") == "x\\_y \\*z\\* w"


# --- the real handbook ---------------------------------------------------------------------------


def image_srcs(text: str) -> list[str]:
    """Every Markdown image src and <img src> in a chapter's prose."""
    masked = mask_code(text)
    srcs: list[str] = []

    def walk(start: int, end: int) -> None:
        for link in find_inline_links(text, start, end, masked):
            if link.is_image:
                srcs.append(link.destination)
            walk(link.text_start, link.text_end)

    walk(0, len(text))
    srcs += re.findall(r"<img\b[^>]*?\bsrc=[\"']([^\"']+)", masked)
    return srcs


def tolerated_key(name: str) -> str:
    """An independent spelling of the tolerated-name rule: case, encoding, extension, size."""
    stem = os.path.splitext(unicodedata.normalize("NFC", unquote(name)).casefold())[0]
    stem = re.sub(r"(-e\d{9,})?(-\d+x\d+)?$", "", stem)
    return re.sub(r"\.img_assist_custom$", "", stem)


@pytest.mark.corpus
def test_corpus_images(corpus_dir: Path) -> None:
    pictures = corpus_dir / "pictures"
    resolver = ImageResolver([pictures], [corpus_dir])
    images = {".jpg", ".jpeg", ".png", ".gif", ".svg"}
    local_keys = {tolerated_key(p.name) for p in pictures.iterdir() if p.suffix.lower() in images}
    chapters = sorted((corpus_dir / "en-md").glob("*.md"))
    expected_found: list[str] = []
    found: list[str] = []
    missing: list[str] = []
    for path in chapters:
        for src in image_srcs(path.read_text(encoding="utf-8")):
            name = urlsplit(src).path.rsplit("/", 1)[-1]
            resolution = resolver.resolve(src, path.parent)
            if resolution.path is not None:
                found.append(src)
            else:
                missing.append(f"{path.name}: {src}: {resolution.reason}")
            if src.startswith("http") and tolerated_key(name) in local_keys:
                expected_found.append(src)
                assert resolution.path is not None, (src, resolution.reason)
    print(f"\nimages: {len(found)} resolved, {len(missing)} unresolved")
    for entry in missing:
        print("  ", entry)
    assert len(expected_found) >= 40
    assert set(expected_found) <= set(found)

    # The rewrite reports every unresolved image, and every src left is a local relative path.
    out = corpus_dir / "build-does-not-exist"
    unresolved = 0
    for path in chapters:
        node = TocNode("chapter", path.stem, 1, path.stem, 1, path)
        result = rewrite_images(
            path.read_text(encoding="utf-8"), ImageContext(node, path.parent, out, resolver)
        )
        unresolved += len(result.unresolved)
        assert len(result.unresolved) == sum(
            d.code == "unresolved-image" for d in result.diagnostics
        )
        assert all(not src.startswith(("http:", "https:")) for src in image_srcs(result.markdown))
        assert "[caption" not in mask_code(result.markdown)
    assert unresolved == len(missing)
