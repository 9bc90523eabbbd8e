"""Writes docs/specimen-spread.png, the README's picture: the reading PDF's spread that holds
the specimen's colour photograph, at 50 dpi, in a 96-colour palette (small in bytes).

Run after `make` (it reads build/specimen.pdf): `.venv/bin/python scripts/specimen-spread.py`.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pypdfium2 as pdfium
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
PHRASE = "A reading room at dusk"
DPI = 50


def main() -> None:
    document = pdfium.PdfDocument(ROOT / "build" / "specimen.pdf")
    pages = [document[index].get_textpage().get_text_range() for index in range(len(document))]
    number = next((i + 1 for i, text in enumerate(pages) if PHRASE in " ".join(text.split())),
                  None)
    if number is None:
        sys.exit(f"build/specimen.pdf: no page holds {PHRASE!r}; run `make` first")
    left = number if number % 2 == 0 else number - 1  # even pages are versos
    images = [document[n - 1].render(scale=DPI / 72).to_pil().convert("RGB")
              for n in (left, left + 1) if n <= len(document)]
    gap = 6
    sheet = Image.new("RGB", (sum(i.width for i in images) + gap * (len(images) + 1),
                              max(i.height for i in images) + 2 * gap), (150, 150, 150))
    x = gap
    for image in images:
        sheet.paste(image, (x, gap))
        x += image.width + gap
    out = ROOT / "docs" / "specimen-spread.png"
    sheet.quantize(96, dither=Image.Dither.NONE).save(out, optimize=True)
    print(f"wrote {out.relative_to(ROOT)} (pages {left}-{left + 1} of build/specimen.pdf, "
          f"{out.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main()
