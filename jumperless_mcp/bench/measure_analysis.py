"""Pure arithmetic for the measurement workflows: statistics, the INA219's resolution, line fits, and what a
two-terminal part looks like from its readings (no I/O here; bench/measure.py does the talking).

The INA219 (INA0, a 2 ohm shunt between ISENSE_PLUS and ISENSE_MINUS) as the firmware sets it up:
`INA0.setMaxCurrentShunt(1, 2.0)` in JumperlessV5 `Peripherals.cpp` initINA219() (not in the reference trees;
read from the vendor's repository), so its current register counts in steps of 1 A / 32768 = 30.5 uA, and
the chip truncates. A reading r therefore means a current in [r, r + 1 step) away from zero: the midpoint,
r + step/2, is the estimate used here, good to half a step. For a result within ACCURACY the current must
be at least MIN_AMPS; below that a resistance is "above the range", which at the highest test voltage V is
V / MIN_AMPS ohms.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

INA_STEP_AMPS = 1.0 / 32768  # the firmware's calibration (module docstring)
ACCURACY = 0.02
MIN_AMPS = INA_STEP_AMPS / 2 / ACCURACY  # ~0.76 mA: half a step is 2 % of it
SHORT_OHMS = 1.0  # at or below: a short (the test's own resolution at the currents it uses)
CONTINUITY_OHMS = 50.0  # at or below: continuity (a DMM's beeper threshold is typically 30-50 ohms)
DIODE_AMPS = 1e-3  # a diode's forward voltage is stated at this current
DIODE_REVERSE_SHARE = 0.1  # a diode's reverse current at the same volts is below this share of the forward one


@dataclass(frozen=True)
class Stats:
    mean: float
    min: float
    max: float
    stdev: float
    count: int


def stats(values: Sequence[float]) -> Stats:
    if not values:
        raise ValueError("no samples")
    return Stats(
        statistics.fmean(values),
        min(values),
        max(values),
        statistics.pstdev(values) if len(values) > 1 else 0.0,
        len(values),
    )


def ina_amps(readings: Sequence[float]) -> float:
    """The current the readings stand for: their mean, each non-zero one moved to the middle of its step."""
    if not readings:
        return 0.0
    return statistics.fmean(r + math.copysign(INA_STEP_AMPS / 2, r) if r else 0.0 for r in readings)


def is_zero_current(amps: float) -> bool:
    return abs(amps) < INA_STEP_AMPS / 2


def range_limit_ohms(volts: float) -> float:
    """The largest resistance measured within ACCURACY at `volts` across it."""
    return abs(volts) / MIN_AMPS


@dataclass(frozen=True)
class Fit:
    """I = slope * V + intercept by least squares; ohms = 1 / slope."""

    slope: float  # siemens
    intercept: float  # amps
    r_squared: float
    ohms: float | None  # None when the slope is ~0 (open)
    points: int


def line_fit(volts: Sequence[float], amps: Sequence[float]) -> Fit | None:
    if len(volts) < 2:
        return None
    mx, my = statistics.fmean(volts), statistics.fmean(amps)
    sxx = sum((x - mx) ** 2 for x in volts)
    if sxx <= 0:
        return None
    sxy = sum((x - mx) * (y - my) for x, y in zip(volts, amps, strict=True))
    syy = sum((y - my) ** 2 for y in amps)
    slope = sxy / sxx
    intercept = my - slope * mx
    r_squared = (sxy * sxy) / (sxx * syy) if syy > 0 else 1.0
    ohms = 1.0 / slope if abs(slope) > INA_STEP_AMPS / max(abs(x) for x in volts) else None
    return Fit(slope, intercept, r_squared, ohms, len(volts))


def parse_identification(text: str) -> dict[str, str]:
    """part_identify's 'type=... conf=... rows=... roles=...' (or 'status=-3 ...') as a dict of its fields."""
    fields: dict[str, str] = {}
    for token in str(text).split():
        name, sep, value = token.partition("=")
        if sep:
            fields[name] = value
    return fields
