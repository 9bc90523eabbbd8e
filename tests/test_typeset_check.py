"""The typesetting check on defect PDFs made here: each defect on its page, clean pages silent.

One small HTML document, one defect per page, rendered by WeasyPrint; the mislabelled image is
made with pikepdf afterwards (a colour JPEG relabelled /DeviceGray, as the broken print edition
had). Page numbers in the assertions are physical pages, counted in ``PAGES``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pikepdf
import pytest
from click.testing import CliRunner
from PIL import Image

from handbook_build.checks.typeset_check import THRESHOLDS, TypesetResult, check_typesetting
from handbook_build.cli import main
from typeset_styles import TYPESET_STYLE

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None,
                                reason="pdftotext (poppler-utils) is not installed")

FILLER = ("Peer learning works when each member of the group can say what they came to learn, "
          "what they can offer, and how they will know that the work is done. ") * 5
# Past the text block but not past the page.
URL = "https://example.org/" + "a-very-long-path-segment/" * 2 + "end"
PRE = "print(" + "'a code line far too long for the page' + " * 6 + "'')"  # past the page

# (page, what is on it, the codes the check must report there)
PAGES: list[tuple[str, str, set[str]]] = [
    ("clean", f"<p>{FILLER}</p>", set()),
    ("ladder", f"<p>{FILLER}</p><p class=broken>The group met on Mon&shy;days to com\u2010<br>"
               "pare notes on their re\u2010<br>search and their in\u2010<br>"
               "dividual progress, then went home.</p>", {"hyphen-ladder"}),
    ("lone fragment", f"<p>{FILLER}</p><p class=broken>Nobody should ever be mis\u2010<br>"
                      "mis\u2010<br>taken for a teacher here.</p>", {"hyphen-lone-fragment"}),
    ("url", f"<p>{FILLER}</p><p class=broken><span class=nowrap>{URL}</span></p>",
     {"text-overflow"}),
    ("pre", f"<p>{FILLER}</p><pre>{PRE}</pre>", {"text-off-page"}),
    ("table", f"<p>{FILLER}</p><table class=wide><tr><td>first column</td><td>second column"
              "</td><td>third column</td><td>fourth column at the edge</td></tr></table>",
     {"text-overflow", "rule-overflow"}),
    ("glyph", f"<p>{FILLER}</p><p>A character no font has: \U000F0001 here.</p>",
     {"glyph-missing"}),
    ("mislabelled", f"<p>{FILLER}</p><img src='colour.jpg' style='width: 2in'>",
     {"image-garbled"}),
    ("40 ppi", f"<p>{FILLER}</p><img src='coarse.png' style='width: 1in'>",
     {"image-low-resolution"}),
    ("note twice", f"<p>{FILLER}</p><p class=notes>a.\u2002example.org/one</p>"
                   "<p class=notes>a.\u2002example.org/one</p>", {"note-twice", "note-astray"}),
    ("blank", "<div class=empty></div>", {"page-blank"}),
    ("stranded heading", "<h2 class=low>A heading left at the foot</h2>", {"heading-stranded"}),
    ("clean at the end", f"<p>{FILLER}</p>", set()),
]

STYLE = TYPESET_STYLE


def _html() -> str:
    sections = "".join(f"<section>{body}</section>" for _, body, _ in PAGES)
    return (f"<html lang=en><head><meta charset=utf-8><style>{STYLE}</style></head>"
            f"<body>{sections}</body></html>")


def _images(folder: Path) -> None:
    photo = Image.new("RGB", (300, 200))
    photo.putdata([(x % 256, (x * y) % 256, y % 256) for y in range(200) for x in range(300)])
    photo.save(folder / "colour.jpg", quality=80)
    Image.new("RGB", (40, 40), (200, 40, 40)).save(folder / "coarse.png")


def _mislabel(pdf: Path) -> None:
    """Relabel the colour JPEG /DeviceGray: the data stays three-component."""
    with pikepdf.open(pdf, allow_overwriting_input=True) as document:
        for page in document.pages:
            for image in page.get_images().values():
                if image.get("/Filter") == "/DCTDecode":
                    image.ColorSpace = pikepdf.Name.DeviceGray
        document.save(pdf)


@pytest.fixture(scope="module")
def defect_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import weasyprint

    folder = tmp_path_factory.mktemp("defects")
    _images(folder)
    pdf = folder / "defects.pdf"
    weasyprint.HTML(string=_html(), base_url=str(folder) + "/").write_pdf(pdf)
    _mislabel(pdf)
    return pdf


@pytest.fixture(scope="module")
def result(defect_pdf: Path) -> TypesetResult:
    return check_typesetting(defect_pdf, defect_pdf.name, "screen")


def _codes_on(result: TypesetResult, page: int) -> set[str]:
    return {d.code for d in result.diagnostics if d.page == page}


@pytest.mark.parametrize("page", range(1, len(PAGES) + 1),
                         ids=[name for name, _, _ in PAGES])
def test_each_defect_is_found_on_its_page_and_clean_pages_are_silent(
        result: TypesetResult, page: int) -> None:
    _, _, expected = PAGES[page - 1]
    assert _codes_on(result, page) == expected, [
        d.compiler_style() for d in result.diagnostics if d.page == page]


def test_nothing_is_reported_on_a_page_that_does_not_exist(result: TypesetResult) -> None:
    assert all(d.page is None or 1 <= d.page <= len(PAGES) for d in result.diagnostics)


def test_a_finding_names_page_folio_severity_and_code(result: TypesetResult) -> None:
    garbled = next(d for d in result.diagnostics if d.code == "image-garbled")
    line = garbled.compiler_style()
    assert line.startswith("defects.pdf: p. 8 (folio 8): error: ")
    assert "DeviceGray" in line and "3 components" in line and line.endswith("[image-garbled]")
    missing = next(d for d in result.diagnostics if d.code == "glyph-missing")
    assert "U+F0001" in missing.message


def test_the_40_ppi_image_is_an_error_on_screen_and_in_print(defect_pdf: Path) -> None:
    for profile in ("screen", "print"):
        found = check_typesetting(defect_pdf, "x.pdf", profile)
        coarse = [d for d in found.diagnostics if d.code == "image-low-resolution"
                  and d.page == 9]
        assert [d.severity for d in coarse] == ["error"], profile
        assert "40 ppi" in coarse[0].message


def test_print_profile_warns_of_an_image_below_300_ppi(defect_pdf: Path) -> None:
    found = check_typesetting(defect_pdf, "x.pdf", "print")
    photo = [d for d in found.diagnostics if d.code == "image-low-resolution" and d.page == 8]
    assert [d.severity for d in photo] == ["warning"]  # 300 px over 2 in: 150 ppi
    assert "150 ppi, below 300 for print" in photo[0].message


def test_the_cheap_checks_read_images_and_glyphs_only(defect_pdf: Path) -> None:
    cheap = check_typesetting(defect_pdf, "x.pdf", "screen", cheap=True)
    assert {d.code for d in cheap.diagnostics} == {"image-garbled", "image-low-resolution",
                                                   "glyph-missing"}


def test_thresholds_are_documented() -> None:
    doc = (Path(__file__).resolve().parent.parent / "docs" / "typesetting-check.md").read_text()
    for name in THRESHOLDS:
        assert f"`{name}`" in doc, name


@pytest.fixture
def run_cli() -> Callable[..., tuple[int, str]]:
    def run(*args: str) -> tuple[int, str]:
        outcome = CliRunner().invoke(main, ["check", *args])
        return outcome.exit_code, outcome.output
    return run


def test_cli_exit_codes_and_json(defect_pdf: Path, run_cli: Callable[..., tuple[int, str]],
                                 tmp_path: Path) -> None:
    code, text = run_cli(str(defect_pdf), "--profile", "screen")
    assert code == 1  # errors: the garbled image, the missing glyph, the 40 ppi image
    assert "p. 8 (folio 8): error:" in text and "[image-garbled]" in text
    code, document = run_cli(str(defect_pdf), "--format", "json")
    parsed = json.loads(document)
    pages = {d["page"] for d in parsed["diagnostics"] if d["code"] == "hyphen-ladder"}
    assert pages == {2}
    assert parsed["counts"]["by_code"]["image-garbled"] == 1


def test_cli_strict_fails_on_warnings_only(tmp_path: Path,
                                           run_cli: Callable[..., tuple[int, str]]) -> None:
    import weasyprint

    page = PAGES[1][1]  # the ladder: warnings, no error
    html = (f"<html lang=en><head><meta charset=utf-8><style>{STYLE}</style></head><body>"
            f"<section><h1>Clean</h1>{PAGES[0][1]}</section><section>{page}</section>"
            "</body></html>")
    pdf = tmp_path / "ladder.pdf"
    weasyprint.HTML(string=html).write_pdf(pdf)
    assert run_cli(str(pdf))[0] == 0
    code, text = run_cli(str(pdf), "--strict")
    assert code == 1 and "[hyphen-ladder]" in text


def test_a_pdf_without_images_or_text_is_no_crash(tmp_path: Path) -> None:
    document = pikepdf.new()
    document.add_blank_page()
    pdf = tmp_path / "empty.pdf"
    document.save(pdf)
    found = check_typesetting(pdf, "empty.pdf")
    assert all(d.severity != "error" for d in found.diagnostics)




def _one_page(tmp_path: Path, body: str, name: str = "one.pdf") -> Path:
    import weasyprint

    html = (f"<html lang=en><head><meta charset=utf-8><style>{STYLE}</style></head><body>"
            f"<h1>One</h1>{body}</body></html>")
    pdf = tmp_path / name
    weasyprint.HTML(string=html).write_pdf(pdf)
    return pdf


def test_glyph_zero_in_the_text_is_a_missing_glyph(tmp_path: Path) -> None:
    pdf = _one_page(tmp_path, f"<p>{FILLER}</p>")
    assert not check_typesetting(pdf, "one.pdf", "screen", cheap=True).diagnostics
    with pikepdf.open(pdf, allow_overwriting_input=True) as document:
        page = document.pages[0]
        data = page.obj.Contents.read_bytes()
        start = data.index(b"[<") + 2
        page.obj.Contents.write(data[:start] + b"0000" + data[start + 4:])
        document.save(pdf)
    found = check_typesetting(pdf, "one.pdf", "screen", cheap=True)
    assert [(d.code, d.page) for d in found.diagnostics] == [("glyph-missing", 1)]
    assert ".notdef" in found.diagnostics[0].message


@pytest.mark.skipif(shutil.which("fc-list") is None, reason="fontconfig is not installed")
def test_cjk_text_in_a_face_no_style_sheet_names_is_a_fallback(tmp_path: Path) -> None:
    import subprocess

    if not subprocess.run(["fc-list", ":lang=ja"], capture_output=True, text=True).stdout:
        pytest.skip("no Japanese font installed (fonts-noto-cjk)")
    pdf = _one_page(tmp_path, f"<p>{FILLER}</p><p>Say 漢字 here.</p>")
    # The page's own style sheet (STYLE) names only the Libertine faces, so fontconfig's CJK
    # face is a fallback there. The book's styles/ now name Noto Serif CJK JP in their chain,
    # so the check is given the families this page's style names, not the book's.
    found = check_typesetting(pdf, "one.pdf", "screen", cheap=True,
                              style_families=("Linux Libertine O", "Linux Libertine Mono O"))
    fallbacks = [d for d in found.diagnostics if d.code == "face-fallback"]
    assert fallbacks and all(d.page == 1 for d in fallbacks)
    assert any("for CJK text" in d.message for d in fallbacks)
    # The same face, once a style sheet names it (as styles/ does), is no fallback.
    cjk_face = next(d.message.split(" ", 1)[0] for d in fallbacks if "for CJK text" in d.message)
    named = check_typesetting(pdf, "one.pdf", "screen", cheap=True, style_families=(
        "Linux Libertine O", "Linux Libertine Mono O", "Noto Serif CJK JP", "Noto Sans CJK JP"))
    assert not [d for d in named.diagnostics
                if d.code == "face-fallback" and d.message.startswith(cjk_face)]


def test_a_page_holding_only_a_placeholder(tmp_path: Path) -> None:
    pdf = _one_page(tmp_path, f"<p>{FILLER}</p><p style='break-before: page'>"
                              "[Image not available: a diagram]</p><p style='break-before: page'>"
                              f"{FILLER}</p>")
    found = check_typesetting(pdf, "one.pdf", "screen")
    assert [(d.code, d.page) for d in found.diagnostics if d.page] == [
        ("page-placeholder-only", 2)]


def test_a_chapter_opening_on_a_verso_where_the_book_opens_on_rectos(tmp_path: Path) -> None:
    import weasyprint

    style = STYLE + """
    @page :left { margin-left: 1in; margin-right: 0.6in; }
    @page :right { margin-left: 0.6in; margin-right: 1in; }
    h1 { break-before: right; font-size: 24pt; margin: 0 0 1em; }
    h1.verso { break-before: left; }
    """
    chapters = "".join(
        f"<h1{' class=verso' if n == 3 else ''}>Chapter {n}</h1>"
        f"<p>{FILLER}</p><p>{FILLER}</p><p>{FILLER}</p>" for n in range(1, 6))
    html = (f"<html lang=en><head><meta charset=utf-8><style>{style}</style></head><body>"
            f"{chapters}</body></html>")
    pdf = tmp_path / "book.pdf"
    weasyprint.HTML(string=html).write_pdf(pdf)
    found = check_typesetting(pdf, "book.pdf", "screen")
    versos = [d for d in found.diagnostics if d.code == "chapter-on-verso"]
    assert len(versos) == 1 and versos[0].page is not None and versos[0].page % 2 == 0
    assert "Chapter 3" in versos[0].message
    assert not [d for d in found.diagnostics if d.code == "page-blank"]  # blanks before rectos


def test_a_file_claiming_pdfx_1a_needs_its_intent_and_no_rgb(defect_pdf: Path,
                                                             tmp_path: Path) -> None:
    claimed = tmp_path / "claimed-print.pdf"
    with pikepdf.open(defect_pdf) as document:
        document.docinfo["/GTS_PDFXVersion"] = "PDF/X-1:2001"
        document.Root.OutputIntents = pikepdf.Array([pikepdf.Dictionary(
            Type=pikepdf.Name.OutputIntent, S=pikepdf.Name.GTS_PDFX,
            OutputConditionIdentifier="CGATS TR 001")])
        document.save(claimed)
    found = [d for d in check_typesetting(claimed, claimed.name).diagnostics
             if d.code == "print-pdfx"]
    assert found[0].page is None and "ICC profile" in found[0].message
    assert [d.page for d in found[1:]] == [9]  # the RGB PNG; the JPEG is labelled grey
    plain = check_typesetting(defect_pdf, defect_pdf.name, "print")
    assert not [d for d in plain.diagnostics if d.code == "print-pdfx"]


def test_blank_versos_before_rectos_belong_with_even_margins_and_short_chapters(
        tmp_path: Path) -> None:
    """As in the reading PDF of a new book: chapters open on rectos, margins are the same on
    both sides and no verso holds text, so no text block shows a book layout. The blank versos
    before the openings belong; a blank a forced break leaves inside a chapter does not."""
    import weasyprint

    style = STYLE + "h1 { break-before: right; font-size: 24pt; margin: 0 0 1em; }"
    chapters = "".join(f"<h1>Chapter {n}</h1><p>A short chapter.</p>" for n in range(1, 4))
    stray = "<h1>Chapter 4</h1><p>Before.</p><div style='break-after: page'></div>" \
            "<div style='break-before: page'></div><div class=empty></div>" \
            "<p style='break-before: page'>After.</p>"
    html = (f"<html lang=en><head><meta charset=utf-8><style>{style}</style></head><body>"
            f"{chapters}{stray}<h1>Chapter 5</h1><p>The end.</p></body></html>")
    pdf = tmp_path / "short.pdf"
    weasyprint.HTML(string=html).write_pdf(pdf)
    found = check_typesetting(pdf, "short.pdf", "screen")
    blanks = [d.page for d in found.diagnostics if d.code == "page-blank"]
    assert len(blanks) == 1 and blanks[0] is not None, found.diagnostics
    text = subprocess.run(["pdftotext", "-f", str(blanks[0] - 1), "-l", str(blanks[0] - 1),
                           str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "Before." in text  # the stray blank, not one before an opening
