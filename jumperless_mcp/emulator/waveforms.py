"""The waveform generator's wave shapes as functions of time.

The firmware's WaveGen class is not in the source trees we have; what is known (JOS API :217-330): waves are
numbered SINE 0, TRIANGLE 1, SAWTOOTH 2, SQUARE 3; `wavegen_set_amplitude` takes volts peak-to-peak (stored as
peak = Vpp / 2); the offset is the centre; the output is DAC channel 0-3 (DAC0, DAC1, TOP_RAIL, BOTTOM_RAIL).
Assumed: each wave starts at phase 0 when the generator starts, sine and triangle rising through the offset,
the sawtooth rising from the low to the high level, the square high for the first half period.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

SINE, TRIANGLE, SAWTOOTH, SQUARE = 0, 1, 2, 3
WAVE_NAMES = {SINE: "sine", TRIANGLE: "triangle", SAWTOOTH: "sawtooth", SQUARE: "square"}


def shape(wave: int, phase: float) -> float:
    """The normalised wave (-1..1) at a phase in cycles."""
    p = phase % 1.0
    if wave == SINE:
        return math.sin(2.0 * math.pi * p)
    if wave == TRIANGLE:
        return 4.0 * p if p < 0.25 else 2.0 - 4.0 * p if p < 0.75 else 4.0 * p - 4.0
    if wave == SAWTOOTH:
        return 2.0 * p - 1.0
    if wave == SQUARE:
        return 1.0 if p < 0.5 else -1.0
    raise ValueError(f"wave must be 0-3 (sine, triangle, sawtooth, square), got {wave!r}")


@dataclass(frozen=True)
class WaveState:
    """A running generator: which DAC channel, the wave, and when it started (board seconds)."""

    channel: int
    wave: int
    frequency: float
    vpp: float
    offset: float
    started: float

    def value(self, t: float) -> float:
        """The output in volts at board time t."""
        return self.offset + 0.5 * self.vpp * shape(self.wave, (t - self.started) * self.frequency)

    def average(self, t0: float, t1: float, points: int = 4) -> float:
        """The mean output over [t0, t1] (midpoints of `points` sub-intervals; the offset over whole periods)."""
        span = t1 - t0
        if span <= 0:
            return self.value(t1)
        if span * self.frequency >= 1.0:
            cycles = math.floor(span * self.frequency)
            rest = t0 + cycles / self.frequency
            whole = cycles / self.frequency
            if t1 - rest <= 1e-15:
                return self.offset
            return (self.offset * whole + self.average(rest, t1, points) * (t1 - rest)) / span
        step = span / points
        return sum(self.value(t0 + (k + 0.5) * step) for k in range(points)) / points
