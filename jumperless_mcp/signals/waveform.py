"""Numbers an agent can reason with from one channel's samples: level statistics, frequency and duty cycle.

Frequency comes from crossings of the mid level ((min + max) / 2) with hysteresis (a tenth of the peak-to-peak
swing), so noise riding on an edge does not count as extra edges; each edge's time is interpolated between the
two samples around the mid level. A crossing inside a gap in the sampling (the board was busy) has no known time:
a first pass finds the rough period (the median interval between rising edges), and the second drops
crossings whose two samples are more than GAP_SHARE of it apart. A signal is periodic when at least
MATCHED of the intervals between rising edges are within PERIOD_TOLERANCE of a whole multiple of their median
(a multiple: edges missed in a gap) and they add up to MIN_PERIODS or more; the frequency is the periods
counted over the time they span. Noise and a single step get no frequency.
"""

from __future__ import annotations

import itertools
import math
import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass

HYSTERESIS = 0.1  # share of the peak-to-peak swing between the two thresholds
PERIOD_TOLERANCE = 0.1  # share of the median period an interval may be off a whole number of periods
MATCHED = 0.8  # share of the intervals that must match
MIN_PERIODS = 2
GAP_SHARE = 0.1  # a crossing between samples further apart than this share of the rough period is dropped
MAX_DIVISOR = 6  # the period may be the median interval over 1 to 6 (edges missed in gaps)


@dataclass(frozen=True)
class ChannelStats:
    """Statistics of one channel (in its unit); frequency (Hz) and duty cycle (0-1) are None when not periodic."""

    min: float
    max: float
    mean: float
    rms: float  # of the whole signal, DC included
    ac_rms: float  # the standard deviation: RMS with the mean taken out
    peak_to_peak: float
    frequency: float | None
    duty_cycle: float | None
    periods: int  # whole periods seen (0 when not periodic)
    invalid: int  # samples that were not numbers (a failed conversion), left out of everything

    def as_dict(self) -> dict[str, float | int | None]:
        return asdict(self)


@dataclass(frozen=True)
class Edges:
    """Interpolated crossing times of the mid level: rising and falling, in the times' unit."""

    rising: list[float]
    falling: list[float]


def channel_stats(values: Sequence[float], times: Sequence[float]) -> ChannelStats:
    """Statistics of `values` taken at `times` (seconds, increasing). NaN samples are left out."""
    if len(values) != len(times):
        raise ValueError(f"{len(values)} values but {len(times)} times")
    pairs = [(t, v) for t, v in zip(times, values, strict=True) if math.isfinite(v)]
    invalid = len(values) - len(pairs)
    if not pairs:
        nan = math.nan
        return ChannelStats(nan, nan, nan, nan, nan, nan, None, None, 0, invalid)
    kept = [v for _, v in pairs]
    low, high = min(kept), max(kept)
    count = len(kept)
    mean = math.fsum(kept) / count
    rms = math.sqrt(math.fsum(v * v for v in kept) / count)
    ac_rms = math.sqrt(max(0.0, math.fsum((v - mean) ** 2 for v in kept) / count))
    kept_times = [t for t, _ in pairs]
    edges = find_edges(kept_times, kept, low, high)
    if len(edges.rising) > 2:
        rough = statistics.median(b - a for a, b in itertools.pairwise(edges.rising))
        edges = find_edges(kept_times, kept, low, high, rough * GAP_SHARE)
    frequency, duty, periods = periodicity(edges)
    return ChannelStats(low, high, mean, rms, ac_rms, high - low, frequency, duty, periods, invalid)


def find_edges(
    times: Sequence[float], values: Sequence[float], low: float, high: float, gap: float = math.inf
) -> Edges:
    """Mid-level crossings confirmed by a Schmitt trigger (thresholds mid +- hysteresis/2); a crossing between
    samples more than `gap` apart is not used."""
    swing = high - low
    rising: list[float] = []
    falling: list[float] = []
    if swing <= 0 or len(values) < 2:
        return Edges(rising, falling)
    mid = (low + high) / 2
    upper, lower = mid + swing * HYSTERESIS / 2, mid - swing * HYSTERESIS / 2
    state = None if lower <= values[0] <= upper else values[0] > upper
    last_up: float | None = None  # the latest mid-level crossing in each direction, not yet confirmed
    last_down: float | None = None
    previous_t, previous_v = times[0], values[0]
    for t, v in zip(times, values, strict=True):
        if previous_v < mid <= v:
            last_up = _cross(previous_t, previous_v, t, v, mid) if t - previous_t <= gap else None
        elif previous_v >= mid > v:
            last_down = _cross(previous_t, previous_v, t, v, mid) if t - previous_t <= gap else None
        if v > upper and state is not True:
            if state is False and last_up is not None:
                rising.append(last_up)
            state = True
        elif v < lower and state is not False:
            if state is True and last_down is not None:
                falling.append(last_down)
            state = False
        previous_t, previous_v = t, v
    return Edges(rising, falling)


def _cross(t0: float, v0: float, t1: float, v1: float, level: float) -> float:
    return t0 + (t1 - t0) * (level - v0) / (v1 - v0) if v1 != v0 else t1


def _matched(rising: Sequence[float], intervals: Sequence[float], period: float) -> list[tuple[float, float, int]]:
    """(start, length, periods in it) of the intervals within PERIOD_TOLERANCE of a whole number of periods."""
    matched = []
    for start, length in zip(rising, intervals, strict=False):
        count = round(length / period)
        if count >= 1 and abs(length - count * period) <= PERIOD_TOLERANCE * period:
            matched.append((start, length, count))
    return matched


def periodicity(edges: Edges) -> tuple[float | None, float | None, int]:
    """(frequency, duty cycle, whole periods) from the rising edges, or (None, None, 0) if not periodic."""
    intervals = [b - a for a, b in itertools.pairwise(edges.rising)]
    if len(intervals) < MIN_PERIODS:
        return None, None, 0
    median = statistics.median(intervals)
    if median <= 0:
        return None, None, 0
    for divisor in range(1, MAX_DIVISOR + 1):  # a median of 2 periods when over half the edges fell in gaps
        matched = _matched(edges.rising, intervals, median / divisor)
        periods = sum(count for _, _, count in matched)
        if periods >= MIN_PERIODS and len(matched) >= MATCHED * len(intervals):
            break
    else:
        return None, None, 0
    frequency = periods / math.fsum(length for _, length, _ in matched)
    duties = []
    falls = iter(edges.falling)
    fall = next(falls, None)
    for start, length, count in matched:
        while fall is not None and fall <= start:
            fall = next(falls, None)
        if count == 1 and fall is not None and fall < start + length:
            duties.append((fall - start) / length)
    duty = math.fsum(duties) / len(duties) if duties else None
    return frequency, duty, periods
