"""Text drawn into the virtual OLED's framebuffer, so what `oled_print` shows can be read back as pixels.

The firmware draws printed text in `oled.cpp` (`clearPrintShow`, `showMultiLineSmallText`), which is not in the
reference trees, so its font and exact placement are unknown. This draws with our own choice, not the
firmware's data: Pillow's built-in bitmap font, its glyphs cropped to the Adafruit GFX classic cell of
6 x 8 pixels and scaled by the text size (size 2: 12 x 16, ten characters on each of two lines), as
`setTextSize` scales that cell. Sizes 1 and up clear the screen and centre the text (the API says "regular
centered text"); size 0 is small text, each print adding lines at the bottom, older lines scrolling off the top.
"""

from __future__ import annotations

from functools import cache

from PIL import Image, ImageDraw, ImageFont

CELL_W, CELL_H = 6, 8
GLYPH_TOP = 2  # Pillow's bitmap font draws digits on rows 2-8, capitals on 3-9 of its 11-row cell
Glyph = tuple[tuple[bool, ...], ...]


@cache
def _font() -> ImageFont.ImageFont:
    return ImageFont.load_default_imagefont()


@cache
def glyph(char: str) -> Glyph:
    """The CELL_W x CELL_H pixels of one character (printable ASCII; anything else is drawn as '?')."""
    if not " " <= char <= "~":
        char = "?"
    image = Image.new("1", (CELL_W, 11), 0)
    ImageDraw.Draw(image).text((0, 0), char, font=_font(), fill=1)
    rows = []
    for y in range(GLYPH_TOP, GLYPH_TOP + CELL_H):
        bits = [bool(image.getpixel((x, y))) for x in range(CELL_W)]
        bits[-2] = bits[-2] or bits[-1]  # the last column folds into the one before it: it stays dark, the space
        rows.append((*bits[:-1], False))  # between characters (some glyphs of the font use all six columns)
    return tuple(rows)


def wrap(text: str, columns: int) -> list[str]:
    """Lines of at most `columns` characters: the text's own line breaks, then wrapped by character."""
    lines: list[str] = []
    for line in text.replace("\r", "").split("\n"):
        line = "".join(c if c >= " " else " " for c in line)
        lines += [line[i : i + columns] for i in range(0, len(line), columns)] or [""]
    return lines


def draw_centered(pixels: bytearray, width: int, height: int, text: str, size: int) -> None:
    """Clear the display and draw `text` at `size`, centred; lines that do not fit are left out."""
    scale = max(1, size)
    columns, rows = max(1, width // (CELL_W * scale)), max(1, height // (CELL_H * scale))
    lines = wrap(text, columns)[:rows]
    pixels[:] = bytes(len(pixels))
    top = (height - len(lines) * CELL_H * scale) // 2
    for index, line in enumerate(lines):
        left = (width - len(line) * CELL_W * scale) // 2
        _draw_line(pixels, width, height, line, left, top + index * CELL_H * scale, scale)


def draw_scrolling(pixels: bytearray, width: int, height: int, lines: list[str]) -> None:
    """Clear and draw the last lines of small text that fit, from the top, left aligned."""
    wrapped = [part for line in lines for part in wrap(line, max(1, width // CELL_W))]
    shown = wrapped[-max(1, height // CELL_H) :]
    pixels[:] = bytes(len(pixels))
    for index, line in enumerate(shown):
        _draw_line(pixels, width, height, line, 0, index * CELL_H, 1)


def draw_at(pixels: bytearray, width: int, height: int, text: str, x: int, y: int, scale: int) -> None:
    """Draw one line of text with its top-left corner at (x, y), over what is there (pixels only set)."""
    _draw_line(pixels, width, height, wrap(text, max(1, len(text)))[0] if text else "", x, y, max(1, scale))


def _draw_line(pixels: bytearray, width: int, height: int, line: str, left: int, top: int, scale: int) -> None:
    for position, char in enumerate(line):
        cell = glyph(char)
        for gy, bits in enumerate(cell):
            for gx, on in enumerate(bits):
                if not on:
                    continue
                for dy in range(scale):
                    for dx in range(scale):
                        x, y = left + (position * CELL_W + gx) * scale + dx, top + gy * scale + dy
                        if 0 <= x < width and 0 <= y < height:
                            pixels[x + (y // 8) * width] |= 1 << (y % 8)
