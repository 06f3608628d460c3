"""Digital samples analysed: edges, frequency, duty cycle, pulse widths; and a software trigger.

A capture is one int per sample with bit n = channel n (the logic analyzer's GPIO_(n+1)); times come from
the sample rate. Frequency and duty are measured over whole periods only (first to last rising edge), so a
partial period at either end does not bias them.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

EDGES = ("rising", "falling", "either")


@dataclass(frozen=True)
class ChannelSummary:
    name: str
    transitions: int
    first_level: int
    high_fraction: float  # of all samples
    frequency_hz: float | None
    duty_cycle: float | None  # 0..1, over whole periods
    high_widths_s: tuple[float, ...]  # complete high pulses
    low_widths_s: tuple[float, ...]

    def as_dict(self, max_widths: int = 20) -> dict[str, object]:
        def stats(widths: tuple[float, ...]) -> dict[str, object] | None:
            if not widths:
                return None
            return {
                "count": len(widths),
                "min_s": min(widths),
                "max_s": max(widths),
                "mean_s": sum(widths) / len(widths),
                "first_s": list(widths[:max_widths]),
            }

        return {
            "channel": self.name,
            "transitions": self.transitions,
            "first_level": self.first_level,
            "high_fraction": round(self.high_fraction, 6),
            "frequency_hz": None if self.frequency_hz is None else round(self.frequency_hz, 6),
            "duty_cycle": None if self.duty_cycle is None else round(self.duty_cycle, 6),
            "high_pulses": stats(self.high_widths_s),
            "low_pulses": stats(self.low_widths_s),
        }


def bits(samples: Sequence[int], bit: int) -> list[int]:
    return [(value >> bit) & 1 for value in samples]


def edges(levels: Sequence[int]) -> list[tuple[int, int]]:
    """(sample index, new level) at each change."""
    return [(i, levels[i]) for i in range(1, len(levels)) if levels[i] != levels[i - 1]]


def summarize(name: str, levels: Sequence[int], rate_hz: float) -> ChannelSummary:
    if not levels:
        return ChannelSummary(name, 0, 0, 0.0, None, None, (), ())
    changes = edges(levels)
    rising = [i for i, level in changes if level]
    frequency = duty = None
    if len(rising) >= 2:
        span = rising[-1] - rising[0]
        frequency = (len(rising) - 1) * rate_hz / span
        duty = sum(levels[rising[0] : rising[-1]]) / span
    high: list[float] = []
    low: list[float] = []
    for (start, level), (end, _) in itertools.pairwise(changes):
        (high if level else low).append((end - start) / rate_hz)
    return ChannelSummary(
        name,
        len(changes),
        levels[0],
        sum(levels) / len(levels),
        frequency,
        duty,
        tuple(high),
        tuple(low),
    )


def find_trigger(samples: Sequence[int], bit: int, edge: str) -> int | None:
    """Index of the first sample after the edge on `bit`, or None."""
    if edge not in EDGES:
        raise ValueError(f"edge must be one of {', '.join(EDGES)}, got {edge!r}")
    previous = (samples[0] >> bit) & 1 if samples else 0
    for i in range(1, len(samples)):
        level = (samples[i] >> bit) & 1
        if level != previous and (edge == "either" or (edge == "rising") == bool(level)):
            return i
        previous = level
    return None
