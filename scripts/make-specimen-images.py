"""Draws the specimen book's raster images (manuscript/images/) with Pillow, procedurally.

Run once by hand (`.venv/bin/python scripts/make-specimen-images.py`); the PNG and JPEG files it
writes are committed, so a build never runs it. Each image is one kind a real book has: a
colour photograph (JPEG), a logo with transparency (PNG, alpha), a greyscale scan (PNG, mode L),
a small web-size picture (PNG, 300 px wide). Fixed seeds and no metadata keep the bytes stable.
"""

from __future__ import annotations

import math
import random
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter

IMAGES = Path(__file__).resolve().parent.parent / "manuscript" / "images"


def photo() -> Image.Image:
    """A 'photograph' of a reading room at dusk: sky gradient, sun, hills, a lit window grid."""
    width, height = 960, 640
    image = Image.new("RGB", (width, height))
    pixels = image.load()
    for y in range(height):
        t = y / height
        sky = (int(40 + 200 * t), int(70 + 110 * t), int(140 - 40 * t))
        for x in range(width):
            pixels[x, y] = sky
    draw = ImageDraw.Draw(image)
    draw.ellipse((640, 150, 760, 270), fill=(255, 214, 120))
    for index, (base, colour) in enumerate([(430, (70, 110, 70)), (500, (50, 85, 55)),
                                            (560, (35, 60, 40))]):
        points = [(x, base + 40 * math.sin(x / (90 + 30 * index) + index)) for x in
                  range(0, width + 20, 20)]
        draw.polygon([*points, (width, height), (0, height)], fill=colour)
    draw.rectangle((140, 300, 420, 560), fill=(120, 70, 50))
    draw.polygon([(120, 300), (280, 210), (440, 300)], fill=(90, 45, 40))
    for row in range(3):
        for column in range(4):
            x, y = 165 + column * 62, 330 + row * 70
            draw.rectangle((x, y, x + 40, y + 45), fill=(250, 220, 140))
    rng = random.Random(13)
    noisy = image.filter(ImageFilter.GaussianBlur(1.2))
    grain = Image.effect_noise((width, height), 18).convert("RGB")
    noisy = Image.blend(noisy, grain, 0.06)
    for _ in range(40):  # stars
        x, y = rng.randrange(width), rng.randrange(160)
        ImageDraw.Draw(noisy).point((x, y), fill=(255, 255, 235))
    return noisy


def logo() -> Image.Image:
    """A round 'press mark' on a transparent ground, with soft (partly transparent) edges."""
    size = 480
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((20, 20, size - 20, size - 20), fill=(178, 34, 52, 255))
    draw.ellipse((70, 70, size - 70, size - 70), fill=(0, 0, 0, 0))
    for page in range(5):  # an open book, fanned pages
        offset = page * 14
        draw.polygon([(240, 330), (120 + offset, 170 + offset // 2), (120 + offset, 300)],
                     fill=(30, 60, 120, 200 - page * 25))
        draw.polygon([(240, 330), (360 - offset, 170 + offset // 2), (360 - offset, 300)],
                     fill=(30, 60, 120, 200 - page * 25))
    return image.filter(ImageFilter.SMOOTH)


def scan() -> Image.Image:
    """A greyscale 'scan' of a proof page: paper tone, text lines, a pencilled mark."""
    width, height = 600, 420
    image = Image.new("L", (width, height), 236)
    draw = ImageDraw.Draw(image)
    rng = random.Random(7)
    for line in range(14):
        y = 40 + line * 26
        x = 50
        while x < 540:
            word = rng.randrange(20, 70)
            draw.rectangle((x, y, min(x + word, 550), y + 9), fill=rng.randrange(40, 80))
            x += word + 9
    draw.arc((380, 150, 560, 260), 200, 520, fill=110, width=5)
    draw.line((300, 330, 560, 300), fill=120, width=4)
    return image.filter(ImageFilter.GaussianBlur(0.8))


def thumbnail() -> Image.Image:
    """A small web-size picture (300 x 200): a colour chart of the five editions."""
    image = Image.new("RGB", (300, 200), (250, 250, 246))
    draw = ImageDraw.Draw(image)
    colours = [(44, 93, 138), (61, 122, 51), (154, 106, 18), (138, 44, 63), (90, 90, 90)]
    for index, colour in enumerate(colours):
        x = 20 + index * 54
        height = 60 + 22 * index
        draw.rectangle((x, 180 - height, x + 40, 180), fill=colour)
    draw.line((10, 181, 290, 181), fill=(30, 30, 30), width=2)
    return image


def main() -> None:
    IMAGES.mkdir(parents=True, exist_ok=True)
    # Drawn small, saved at print resolution for the 5 in print text block (1500 px and more,
    # so the preflight passes them); only the web-size chart stays small, on purpose.
    photo().resize((1600, 1067), Image.Resampling.LANCZOS).save(
        IMAGES / "reading-room.jpg", "JPEG", quality=72, optimize=True)
    logo().resize((1500, 1500), Image.Resampling.LANCZOS).save(
        IMAGES / "press-mark.png", "PNG", optimize=True)
    scan().resize((1500, 1050), Image.Resampling.LANCZOS).save(
        IMAGES / "proof-scan.png", "PNG", optimize=True)
    thumbnail().save(IMAGES / "editions-chart.png", "PNG", optimize=True)


if __name__ == "__main__":
    main()
