"""The OLED's framebuffer as an upscaled PNG: each display pixel a square, lit pixels light on dark, as it looks.

Pure: no board, no port.
"""

from __future__ import annotations

import io

from PIL import Image, ImageDraw

DEFAULT_SCALE = 8  # 128x32 -> 1024x256 (plus the border)
BORDER = 8
LIT = (130, 220, 255)
DARK = (10, 14, 20)
FRAME = (60, 60, 60)


def decode(data: bytes, width: int, height: int) -> list[list[int]]:
    """SSD1306 page layout: byte x + (y // 8) * width holds column x of rows 8*page..8*page+7, LSB on top."""
    return [[(data[x + (y // 8) * width] >> (y % 8)) & 1 for x in range(width)] for y in range(height)]


def pixel_box(x: int, y: int, scale: int = DEFAULT_SCALE) -> tuple[int, int, int, int]:
    """The square (left, top, right, bottom, inclusive) drawn for display pixel (x, y)."""
    left, top = BORDER + x * scale, BORDER + y * scale
    return left, top, left + scale - 1, top + scale - 1


def size_of(width: int, height: int, scale: int = DEFAULT_SCALE) -> tuple[int, int]:
    return width * scale + 2 * BORDER, height * scale + 2 * BORDER


def render(pixels: list[list[int]], scale: int = DEFAULT_SCALE) -> bytes:
    """PNG bytes of the display, each pixel a `scale` x `scale` square."""
    if not 1 <= scale <= 9:
        raise ValueError(f"scale must be 1-9, got {scale}")
    height, width = len(pixels), len(pixels[0]) if pixels else 0
    image = Image.new("RGB", size_of(width, height, scale), FRAME)
    draw = ImageDraw.Draw(image)
    draw.rectangle((BORDER, BORDER, BORDER + width * scale - 1, BORDER + height * scale - 1), fill=DARK)
    for y, row in enumerate(pixels):
        for x, on in enumerate(row):
            if on:
                draw.rectangle(pixel_box(x, y, scale), fill=LIT)
    out = io.BytesIO()
    image.save(out, "PNG", compress_level=6)  # optimize=True: 4x the time for 6 % less
    return out.getvalue()


def lit_count(pixels: list[list[int]]) -> int:
    return sum(map(sum, pixels))
