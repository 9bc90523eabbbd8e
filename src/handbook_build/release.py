"""``handbook-build release``: every edition, checked, in one folder readers download from.

The book is built as ``build --strict --validate`` builds it (a warning, an error, a failed
EPUBCheck or a failed print preflight stops it: nothing of the release is written). Then the
release folder gets each edition named with the book's version (``<stem>-<edition>.pdf``), the
HTML edition (``<stem>.html`` and its ``-files/`` folder, to read online), ``index.html`` (one row
per edition: cover thumbnail, format, pages, size, SHA-256), ``SHA256SUMS`` (``sha256sum -c``
checks it) and ``<stem>-<edition>.zip`` of it all. Everything is staged in a temporary folder
beside the release folder and renamed into place, so a failure leaves the previous release.
Every byte is deterministic: thumbnails from pdfium, zip entries sorted and dated by the book.
"""

from __future__ import annotations

import hashlib
import html
import io
import shutil
import tempfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from handbook_build.errors import HandbookError, OutputError
from handbook_build.model import Manifest
from handbook_build.pipeline import ALL_FORMATS, BuildReport, BuildRequest, Progress, build
from handbook_build.portable import files_folder

THUMBNAIL_HEIGHT = 160  # px: the cover thumbnails of the download page
THUMBS = "thumbnails"
# (suffix of the built file, format shown on the page, suffix of the released file)
EDITIONS = (("-print.pdf", "Print PDF (annotatable, wide note margins)", "-print.pdf"),
            (".pdf", "Reading PDF", ".pdf"),
            (".epub", "EPUB 3", ".epub"),
            (".md", "Markdown manuscript", ".md"),
            ("-cover.pdf", "Print cover (wraparound)", "-cover.pdf"))


class ReleaseFolderError(HandbookError):
    """The release folder holds something that is not a release: a usage error (exit 2)."""

    exit_code = 2


@dataclass(frozen=True, slots=True)
class ReleasedFile:
    name: str  # inside the release folder
    label: str
    size: int
    sha256: str
    pages: int | None = None
    thumbnail: str | None = None  # inside the release folder


@dataclass(frozen=True, slots=True)
class Release:
    folder: Path
    version: str
    files: tuple[ReleasedFile, ...]
    zip_name: str


def version_of(manifest: Manifest) -> str:
    """The version in the file names: ``book.edition``, else the book's date."""
    edition = manifest.metadata.edition.strip()
    safe = "".join(ch if ch.isalnum() or ch in "._-" else "-" for ch in edition)
    return safe or manifest.metadata.date.isoformat()


def make_release(manifest: Manifest, build_dir: Path, release_dir: Path, jobs: int = 2,
                 progress: Progress = lambda _: None) -> Release:
    """Build every edition strictly and validated into ``build_dir``, then write the release."""
    _refuse_foreign_folder(release_dir)
    report = build(BuildRequest(manifest, build_dir, ALL_FORMATS, strict=True, validate=True,
                                jobs=jobs), progress=progress)
    _refuse_failed_preflight(report, manifest)
    return write_release(manifest, build_dir, release_dir, report)


def _refuse_foreign_folder(release_dir: Path) -> None:
    if release_dir.is_dir() and any(release_dir.iterdir()) and not (
            release_dir / "SHA256SUMS").is_file():
        raise ReleaseFolderError(f"{release_dir}: not empty and not a release (no SHA256SUMS); "
                                 "give an empty or new folder with -o")


def _refuse_failed_preflight(report: BuildReport, manifest: Manifest) -> None:
    details = report.details.get(f"{manifest.stem}-print.pdf")
    if isinstance(details, dict) and details.get("preflight_passed") is False:
        raise HandbookError(f"{manifest.stem}-print.pdf: the print preflight failed; see "
                            f"{manifest.stem}-print-preflight.json; nothing was released")


def write_release(manifest: Manifest, build_dir: Path, release_dir: Path,
                  report: BuildReport | None = None) -> Release:
    """Copy the built editions into ``release_dir`` with the page, the sums and the zip."""
    stem, version = manifest.stem, version_of(manifest)
    pages = {w.path.name: w.pages for w in report.written} if report else {}
    release_dir = release_dir.absolute()
    release_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".release-", dir=release_dir.parent))
    try:
        files = _stage_editions(manifest, build_dir, staging, pages)
        sums = "".join(f"{f.sha256}  {f.name}\n" for f in files)
        (staging / "SHA256SUMS").write_text(sums, encoding="utf-8")
        (staging / "index.html").write_text(download_page(manifest, version, files),
                                            encoding="utf-8")
        zip_name = f"{stem}-{version}.zip"
        (staging / zip_name).write_bytes(_zip_folder(staging, f"{stem}-{version}", manifest))
        _replace_folder(staging, release_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return Release(release_dir, version, tuple(files), zip_name)


def _stage_editions(manifest: Manifest, build_dir: Path, staging: Path,
                    pages: dict[str, int | None]) -> list[ReleasedFile]:
    stem, version = manifest.stem, version_of(manifest)
    (staging / THUMBS).mkdir()
    files: list[ReleasedFile] = []
    html_page, html_files = build_dir / f"{stem}.html", build_dir / files_folder(stem)
    if html_page.is_file():
        shutil.copyfile(html_page, staging / html_page.name)
        if html_files.is_dir():
            shutil.copytree(html_files, staging / html_files.name)
        archive = f"{stem}-{version}-html.zip"
        (staging / archive).write_bytes(_zip_html(build_dir, stem, manifest))
        files.append(_released(staging, archive, "HTML edition (a page and its files, zipped)",
                               None, None))
    for built_suffix, label, released_suffix in EDITIONS:
        built = build_dir / f"{stem}{built_suffix}"
        if not built.is_file():
            continue
        name = f"{stem}-{version}{released_suffix}"
        shutil.copyfile(built, staging / name)
        # The wraparound cover shows itself; the EPUB its cover image, which stands for the
        # book on every other row (a PDF's first page is a plain title page).
        wanted = built_suffix in ("-cover.pdf", ".epub")
        thumbnail = _thumbnail(built, staging / THUMBS, name) if wanted else None
        files.append(_released(staging, name, label, pages.get(built.name), thumbnail))
    cover = next((f.thumbnail for f in files if f.name.endswith(".epub")), None)
    if cover is None:
        reading = build_dir / f"{stem}.pdf"
        cover = _thumbnail(reading, staging / THUMBS, reading.name) if reading.is_file() else None
    return [f if f.thumbnail else _with_thumbnail(f, cover) for f in files]


def _with_thumbnail(file: ReleasedFile, thumbnail: str | None) -> ReleasedFile:
    return ReleasedFile(file.name, file.label, file.size, file.sha256, file.pages, thumbnail)


def _released(staging: Path, name: str, label: str, pages: int | None,
              thumbnail: str | None) -> ReleasedFile:
    data = (staging / name).read_bytes()
    return ReleasedFile(name, label, len(data), hashlib.sha256(data).hexdigest(), pages,
                        thumbnail)


def _thumbnail(built: Path, folder: Path, name: str) -> str | None:
    """A PNG of the first page (a PDF) or of the cover image (an EPUB); None for others."""
    from PIL import Image

    image: Image.Image | None = None
    if built.suffix == ".pdf":
        import pypdfium2 as pdfium

        document = pdfium.PdfDocument(built.read_bytes())
        try:
            page = document[0]
            image = page.render(scale=THUMBNAIL_HEIGHT / page.get_height(),
                                draw_annots=False).to_pil().convert("RGB")
        finally:
            document.close()
    elif built.suffix == ".epub":
        with zipfile.ZipFile(built) as epub:
            covers = sorted(n for n in epub.namelist()
                            if "cover" in n.lower() and n.lower().endswith((".png", ".jpg")))
            if covers:
                image = Image.open(io.BytesIO(epub.read(covers[0]))).convert("RGB")
                image.thumbnail((THUMBNAIL_HEIGHT * 2, THUMBNAIL_HEIGHT))
    if image is None:
        return None
    target = f"{THUMBS}/{name}.png"
    buffer = io.BytesIO()
    image.save(buffer, "PNG", optimize=True)
    (folder.parent / target).write_bytes(buffer.getvalue())
    return target


def download_page(manifest: Manifest, version: str, files: Sequence[ReleasedFile]) -> str:
    """``index.html``: a row per edition, with what a reader checks before downloading."""
    meta = manifest.metadata
    rows = []
    for file in files:
        thumb = (f'<img src="{html.escape(file.thumbnail)}" alt="" height="{THUMBNAIL_HEIGHT}">'
                 if file.thumbnail else "")
        pages = str(file.pages) if file.pages else "&mdash;"
        rows.append(
            f'<tr><td class="thumb">{thumb}</td><td><a href="{html.escape(file.name)}">'
            f"{html.escape(file.label)}</a><br><small>{html.escape(file.name)}</small></td>"
            f'<td class="num">{pages}</td><td class="num">{_size(file.size)}</td>'
            f"<td><code>{file.sha256}</code></td></tr>")
    everything = f"{manifest.stem}-{version}.zip"
    dated = (f"Version {html.escape(version)}, {meta.date.isoformat()}"
             if version != meta.date.isoformat() else f"Released {version}")
    read_online = (f'<p><a href="{html.escape(manifest.stem)}.html">Read it online</a></p>'
                   if any(f.name.endswith("-html.zip") for f in files) else "")
    return f"""<!DOCTYPE html>
<html lang="{html.escape(meta.language)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(meta.title)} {html.escape(version)}: downloads</title>
<style>
body {{ font: 16px/1.45 Georgia, serif; max-width: 60em; margin: 2em auto; padding: 0 1em; }}
table {{ border-collapse: collapse; width: 100%; }}
td, th {{ border-bottom: 1px solid #ccc; padding: .4em .6em; text-align: left;
         vertical-align: middle; }}
td.num {{ text-align: right; white-space: nowrap; }}
code {{ font-size: .7em; word-break: break-all; }}
</style>
</head>
<body>
<h1>{html.escape(meta.title)}</h1>
<p>{dated}. {html.escape(", ".join(meta.authors))}</p>
{read_online}
<table>
<thead><tr><th></th><th>Edition</th><th>Pages</th><th>Size</th><th>SHA-256</th></tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody>
</table>
<p>Check a download with <code>sha256sum -c SHA256SUMS</code> (the
<a href="SHA256SUMS">SHA256SUMS</a> file lists every edition), or download everything at once:
<a href="{html.escape(everything)}">{html.escape(everything)}</a>.</p>
</body>
</html>
"""


def _size(size: int) -> str:
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def _zip_entry(archive: zipfile.ZipFile, name: str, data: bytes, manifest: Manifest) -> None:
    date = manifest.metadata.date
    info = zipfile.ZipInfo(name, date_time=(max(date.year, 1980), date.month, date.day, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    archive.writestr(info, data)


def _zip_html(build_dir: Path, stem: str, manifest: Manifest) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        page = build_dir / f"{stem}.html"
        _zip_entry(archive, page.name, page.read_bytes(), manifest)
        folder = build_dir / files_folder(stem)
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            _zip_entry(archive, path.relative_to(build_dir).as_posix(), path.read_bytes(),
                       manifest)
    return buffer.getvalue()


def _zip_folder(folder: Path, top: str, manifest: Manifest) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            _zip_entry(archive, f"{top}/{path.relative_to(folder).as_posix()}",
                       path.read_bytes(), manifest)
    return buffer.getvalue()


def _replace_folder(staging: Path, release_dir: Path) -> None:
    """``staging`` becomes ``release_dir``; an older release is moved aside, then removed."""
    old = None
    try:
        if release_dir.exists():
            old = Path(tempfile.mkdtemp(prefix=".release-old-", dir=release_dir.parent))
            release_dir.rename(old / "previous")
        staging.rename(release_dir)
    except OSError as error:
        if old is not None and (old / "previous").exists() and not release_dir.exists():
            (old / "previous").rename(release_dir)
        raise OutputError(f"{release_dir}: cannot write the release ({error.strerror}); "
                          "check the folder's permissions and free space") from error
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
