"""A waveform plot as PNG (Pillow): one trace per channel, labelled axes with units, a legend.

Each trace is drawn as the min/max envelope of the samples that fall in each pixel column, so 10,000 samples
cost one pass and a line of at most two points per column, and a spike narrower than a pixel still shows.
Volts go on the left axis; a second unit (amps, shown as mA) gets the right axis. The time axis is in ms
below two seconds, else in s. Where the board paused (samples over GAP times the usual step and GAP_PIXELS
apart) the line breaks instead of drawing a straight line across the missing time. A `marker` time (a capture's
trigger, when it has samples before it) gets a thin vertical line. Palette PNG: a plot of 1000 x 500 px is a
few tens of KB.
"""

from __future__ import annotations

import io
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageFont

MAX_WIDTH, MAX_HEIGHT = 1200, 600
BACKGROUND = (255, 255, 255)
AXIS = (40, 40, 40)
GRID = (225, 225, 225)
COLOURS = [(31, 119, 180), (214, 39, 40), (44, 160, 44), (255, 127, 14), (148, 103, 189), (140, 86, 75)]
UNIT_SCALE = {"A": (1000.0, "mA")}  # shown in a friendlier unit
GAP = 4.0  # samples further apart than this many times the median step are not joined by a line
GAP_PIXELS = 8  # nor by less than this many pixels
MARKER = (110, 110, 110)  # the trigger's vertical line (t = 0 of a capture with pre-trigger samples)


@dataclass(frozen=True)
class Trace:
    label: str  # "ADC0"
    unit: str  # "V" or "A"
    values: Sequence[float]


def render_png(
    times: Sequence[float],
    traces: Sequence[Trace],
    *,
    title: str = "",
    width: int = 1000,
    height: int = 500,
    marker: float | None = None,
) -> bytes:
    """The plot of `traces` over `times` (seconds) as PNG bytes, at most MAX_WIDTH x MAX_HEIGHT."""
    width, height = min(max(width, 320), MAX_WIDTH), min(max(height, 200), MAX_HEIGHT)
    image = Image.new("RGB", (width, height), BACKGROUND)
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(13)
    small = ImageFont.load_default(11)
    units = list(dict.fromkeys(trace.unit for trace in traces))[:2]
    left, right, top, bottom = 70, 70 if len(units) > 1 else 20, 34, 50
    box = (left, top, width - right, height - bottom)
    t0, t1 = (times[0], times[-1]) if len(times) > 1 else (0.0, 1.0)
    if t1 <= t0:
        t1 = t0 + 1e-3
    in_ms = (t1 - t0) < 2.0
    t_scale = 1000.0 if in_ms else 1.0
    _time_axis(draw, box, t0 * t_scale, t1 * t_scale, "ms" if in_ms else "s", small, font)
    steps = sorted(b - a for a, b in itertools.pairwise(times))
    gap = GAP * steps[len(steps) // 2] if steps else math.inf  # no line across a gap in the sampling...
    gap = max(gap, GAP_PIXELS * (t1 - t0) / (box[2] - box[0]))  # ...that shows as one
    ranges = {}
    for side, unit in enumerate(units):
        factor, shown = UNIT_SCALE.get(unit, (1.0, unit))
        finite = [v * factor for trace in traces if trace.unit == unit for v in trace.values if math.isfinite(v)]
        lo, hi = _padded(min(finite, default=0.0), max(finite, default=1.0))
        ranges[unit] = (lo, hi, factor)
        _value_axis(draw, box, lo, hi, shown, side, small, font, grid=side == 0)
    if marker is not None and t0 <= marker <= t1:
        x = round(box[0] + (marker - t0) / (t1 - t0) * (box[2] - box[0]))
        draw.line([(x, box[1]), (x, box[3])], fill=MARKER, width=1)
        draw.text((x + 3, box[1] + 2), "trigger", fill=MARKER, font=small, anchor="la")
    for index, trace in enumerate(traces):
        if trace.unit not in ranges:
            continue
        lo, hi, factor = ranges[trace.unit]
        colour = COLOURS[index % len(COLOURS)]
        for points in _envelope(times, trace.values, box, (t0, t1, gap), (lo, hi, factor)):
            if len(points) > 1:
                draw.line(points, fill=colour, width=1)
            else:
                draw.point(points, fill=colour)
    draw.rectangle(box, outline=AXIS)
    _legend(draw, box, traces, small)
    if title:
        draw.text((width / 2, 6), title, fill=AXIS, font=font, anchor="ma")
    buffer = io.BytesIO()
    image.quantize(colors=32, method=Image.Quantize.FASTOCTREE).save(buffer, format="PNG", optimize=False)
    return buffer.getvalue()


def _padded(lo: float, hi: float) -> tuple[float, float]:
    if hi - lo < 1e-9:
        pad = max(abs(hi) * 0.1, 0.1)
        return lo - pad, hi + pad
    pad = (hi - lo) * 0.08
    return lo - pad, hi + pad


def nice_ticks(lo: float, hi: float, count: int = 6) -> list[float]:
    """Round tick values (1, 2, 5 x 10^n steps) covering lo..hi."""
    span = hi - lo
    if span <= 0 or not math.isfinite(span):
        return [lo]
    raw = span / max(count - 1, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    first = math.ceil(lo / step) * step
    ticks = []
    value = first
    while value <= hi + step * 1e-9:
        ticks.append(0.0 if abs(value) < step * 1e-9 else value)
        value += step
    return ticks


def _label(value: float) -> str:
    return f"{value:.6g}"


def _time_axis(draw: ImageDraw.ImageDraw, box, lo: float, hi: float, unit: str, small, font) -> None:  # type: ignore[no-untyped-def]
    x0, y0, x1, y1 = box
    for tick in nice_ticks(lo, hi, 8):
        x = x0 + (tick - lo) / (hi - lo) * (x1 - x0)
        draw.line([(x, y0), (x, y1)], fill=GRID)
        draw.line([(x, y1), (x, y1 + 4)], fill=AXIS)
        draw.text((x, y1 + 6), _label(tick), fill=AXIS, font=small, anchor="ma")
    draw.text(((x0 + x1) / 2, y1 + 24), f"time ({unit})", fill=AXIS, font=font, anchor="ma")


def _value_axis(
    draw: ImageDraw.ImageDraw, box, lo: float, hi: float, unit: str, side: int, small, font, grid: bool
) -> None:  # type: ignore[no-untyped-def]
    x0, y0, x1, y1 = box
    x = x0 if side == 0 else x1
    for tick in nice_ticks(lo, hi, 6):
        y = y1 - (tick - lo) / (hi - lo) * (y1 - y0)
        if grid:
            draw.line([(x0, y), (x1, y)], fill=GRID)
        if side == 0:
            draw.line([(x - 4, y), (x, y)], fill=AXIS)
            draw.text((x - 6, y), _label(tick), fill=AXIS, font=small, anchor="rm")
        else:
            draw.line([(x, y), (x + 4, y)], fill=AXIS)
            draw.text((x + 6, y), _label(tick), fill=AXIS, font=small, anchor="lm")
    name = {"V": "voltage (V)", "mA": "current (mA)"}.get(unit, unit)
    if side == 0:
        draw.text((4, y0 - 20), name, fill=AXIS, font=font)
    else:
        draw.text((draw.im.size[0] - 4, y0 - 20), name, fill=AXIS, font=font, anchor="ra")


def _envelope(times, values, box, span, scale) -> list[list[tuple[int, int]]]:  # type: ignore[no-untyped-def]
    """Per pixel column, points through the min and max of its samples, as polylines broken at gaps in time."""
    t0, t1, gap = span
    lo, hi, factor = scale
    x0, y0, x1, y1 = box
    columns = x1 - x0
    x_scale = columns / (t1 - t0)
    y_scale = (y1 - y0) / (hi - lo)
    lines: list[list[tuple[int, int]]] = []
    points: list[tuple[int, int]] = []
    column = -1
    low = high = 0.0
    previous = -math.inf
    for t, v in zip(times, values, strict=False):
        if not math.isfinite(v):
            continue
        v *= factor
        c = int((t - t0) * x_scale)
        if t - previous > gap and column >= 0:  # a gap: close this line, start another
            points += _column_points(x0 + column, low, high, y1, lo, y_scale)
            lines.append(points)
            points, column = [], -1
        previous = t
        if c != column:
            if column >= 0:
                points += _column_points(x0 + column, low, high, y1, lo, y_scale)
            column, low, high = c, v, v
        elif v < low:
            low = v
        elif v > high:
            high = v
    if column >= 0:
        points += _column_points(x0 + column, low, high, y1, lo, y_scale)
        lines.append(points)
    return lines


def _column_points(x: int, low: float, high: float, y1: int, lo: float, y_scale: float) -> list[tuple[int, int]]:
    if low == high:
        return [(x, round(y1 - (low - lo) * y_scale))]
    return [(x, round(y1 - (low - lo) * y_scale)), (x, round(y1 - (high - lo) * y_scale))]


def _legend(draw: ImageDraw.ImageDraw, box, traces: Sequence[Trace], small) -> None:  # type: ignore[no-untyped-def]
    _x0, y0, x1, _ = box
    rows = [
        (f"{trace.label} ({UNIT_SCALE.get(trace.unit, (1.0, trace.unit))[1]})", index)
        for index, trace in enumerate(traces)
    ]
    width = max((draw.textlength(text, font=small) for text, _ in rows), default=0) + 34
    left = x1 - width - 8
    draw.rectangle((left, y0 + 6, x1 - 8, y0 + 10 + 16 * len(rows)), fill=BACKGROUND, outline=GRID)
    for row, (text, index) in enumerate(rows):
        y = y0 + 16 + 16 * row
        draw.line([(left + 6, y), (left + 24, y)], fill=COLOURS[index % len(COLOURS)], width=3)
        draw.text((left + 28, y), text, fill=AXIS, font=small, anchor="lm")


def render_xy_png(
    xs: Sequence[float],
    ys: Sequence[float],
    *,
    x_label: str,
    y_unit: str,
    title: str = "",
    fit: tuple[float, float] | None = None,
    width: int = 900,
    height: int = 500,
) -> bytes:
    """Points (x, y) joined in order, each marked, with an optional fitted line y = slope * x + intercept
    (an I-V curve: volts across, amps through). Amps show as mA (UNIT_SCALE)."""
    width, height = min(max(width, 320), MAX_WIDTH), min(max(height, 200), MAX_HEIGHT)
    image = Image.new("RGB", (width, height), BACKGROUND)
    draw = ImageDraw.Draw(image)
    font, small = ImageFont.load_default(13), ImageFont.load_default(11)
    box = (70, 34, width - 20, height - 50)
    x0, y0, x1, y1 = box
    finite = [(x, y) for x, y in zip(xs, ys, strict=False) if math.isfinite(x) and math.isfinite(y)]
    factor, shown = UNIT_SCALE.get(y_unit, (1.0, y_unit))
    xlo, xhi = _padded(min((x for x, _ in finite), default=0.0), max((x for x, _ in finite), default=1.0))
    scaled = [y * factor for _, y in finite]
    ylo, yhi = _padded(min(scaled, default=0.0), max(scaled, default=1.0))
    for tick in nice_ticks(xlo, xhi, 8):
        x = x0 + (tick - xlo) / (xhi - xlo) * (x1 - x0)
        draw.line([(x, y0), (x, y1)], fill=GRID)
        draw.text((x, y1 + 6), _label(tick), fill=AXIS, font=small, anchor="ma")
    draw.text(((x0 + x1) / 2, y1 + 24), x_label, fill=AXIS, font=font, anchor="ma")
    _value_axis(draw, box, ylo, yhi, shown, 0, small, font, grid=True)

    def at(x: float, y: float) -> tuple[int, int]:
        return round(x0 + (x - xlo) / (xhi - xlo) * (x1 - x0)), round(y1 - (y * factor - ylo) / (yhi - ylo) * (y1 - y0))

    if fit is not None:
        slope, intercept = fit
        left, right = xlo, xhi
        if slope:  # only the part of the line inside the plot's value range
            ends = sorted(((ylo / factor - intercept) / slope, (yhi / factor - intercept) / slope))
            left, right = max(left, ends[0]), min(right, ends[1])
        if left < right:
            draw.line([at(left, slope * left + intercept), at(right, slope * right + intercept)], fill=COLOURS[1])
    points = [at(x, y) for x, y in finite]
    if len(points) > 1:
        draw.line(points, fill=COLOURS[0], width=2)
    for px, py in points:
        draw.ellipse((px - 3, py - 3, px + 3, py + 3), outline=COLOURS[0], fill=COLOURS[0])
    draw.rectangle(box, outline=AXIS)
    if title:
        draw.text((width / 2, 6), title, fill=AXIS, font=font, anchor="ma")
    buffer = io.BytesIO()
    image.quantize(colors=32, method=Image.Quantize.FASTOCTREE).save(buffer, format="PNG", optimize=False)
    return buffer.getvalue()
