"""A timing diagram as PNG: one row per digital channel, high/low traces, a labelled time axis.

Drawn from the edges only (one line per change, one per pixel column when changes crowd together), so 10,000
samples on 4 channels render in a few milliseconds; the image stays within 1200 x 600 px and a few KB (a
2-colour palette PNG).
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from PIL import Image, ImageDraw, ImageFont

MAX_W, MAX_H = 1200, 600
LEFT, RIGHT, TOP, BOTTOM = 90, 20, 30, 40
ROW_MAX = 80
BG, GRID, TRACE, TEXT, MARK = 0, 1, 2, 3, 4
PALETTE = [255, 255, 255, 220, 220, 220, 20, 90, 200, 30, 30, 30, 220, 60, 40]


def _nice_step(span: float, ticks: int = 8) -> float:
    raw = span / ticks
    magnitude = 10 ** int(f"{raw:e}".split("e")[1])
    for factor in (1, 2, 5, 10):
        if raw <= factor * magnitude:
            return factor * magnitude
    return 10 * magnitude


def _time_label(t: float) -> str:
    a = abs(t)
    if a == 0:
        return "0"
    if a < 1e-3:
        return f"{t * 1e6:.4g} us"
    if a < 1:
        return f"{t * 1e3:.4g} ms"
    return f"{t:.4g} s"


def render(
    channels: Sequence[tuple[str, Sequence[int]]],
    rate_hz: float,
    *,
    title: str = "",
    marks: Sequence[float] = (),
    width: int = 1000,
) -> bytes:
    """PNG bytes of the channels' levels (0/1 per sample) against time; `marks` are times to flag (trigger)."""
    width = max(300, min(MAX_W, width))
    rows = max(1, len(channels))
    row_h = min(ROW_MAX, (MAX_H - TOP - BOTTOM) // rows)
    height = TOP + BOTTOM + row_h * rows
    image = Image.new("P", (width, height), BG)
    image.putpalette(PALETTE)
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(12)
    samples = max((len(levels) for _, levels in channels), default=0)
    duration = samples / rate_hz if rate_hz > 0 else 0.0
    plot_w = width - LEFT - RIGHT

    def x_of(index: float) -> int:
        return LEFT + int(index * plot_w / max(1, samples))

    if title:
        draw.text((LEFT, 8), title, fill=TEXT, font=font)
    if duration > 0:
        step = _nice_step(duration)
        k = 0
        while k * step <= duration * 1.0001:
            x = x_of(k * step * rate_hz)
            draw.line([(x, TOP), (x, height - BOTTOM)], fill=GRID)
            label = _time_label(k * step)
            left = min(x - 12, width - 2 - int(draw.textlength(label, font=font)))
            draw.text((left, height - BOTTOM + 6), label, fill=TEXT, font=font)
            k += 1
        draw.text((8, height - BOTTOM + 6), "time", fill=TEXT, font=font)
    for t in marks:
        x = x_of(t * rate_hz)
        draw.line([(x, TOP - 4), (x, height - BOTTOM)], fill=MARK, width=2)
    for row, (name, levels) in enumerate(channels):
        top = TOP + row * row_h
        hi, lo = top + 8, top + row_h - 8
        draw.text((8, (hi + lo) // 2 - 7), name, fill=TEXT, font=font)
        if not levels:
            continue
        level = levels[0]
        start = 0
        column = -1
        for i in range(1, len(levels) + 1):
            if i < len(levels) and levels[i] == level:
                continue
            x0, x1 = x_of(start), x_of(i)
            y = hi if level else lo
            draw.line([(x0, y), (x1, y)], fill=TRACE, width=2)
            if i < len(levels):
                if x1 != column:
                    draw.line([(x1, hi), (x1, lo)], fill=TRACE, width=1)
                    column = x1
                level = levels[i]
                start = i
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False)
    return out.getvalue()
