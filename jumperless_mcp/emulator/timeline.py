"""The board clock and what drove the circuit when: a bounded history of frames, one per change.

A frame is everything that sets the circuit's sources from a moment on: the bridges, the DAC setpoints, the
running waveform generator, each GPIO pin's drive (output level, PWM, pull). GPIO writes, PWM and DAC changes
record a frame at the moment they happen; anything changed elsewhere is noticed at the next query. Frames older
than the window are dropped (the one in force at the window's start is kept), so memory stays bounded.
"""

from __future__ import annotations

import math
import time
from bisect import bisect_right
from dataclasses import dataclass

from jumperless_mcp.emulator.waveforms import WaveState

WINDOW_SECONDS = 10.0  # how far back a level or voltage can be asked for
MAX_FRAMES = 50_000  # and at most this many changes (a fast GPIO loop keeps its last ones; ~15 MB)


class BoardClock:
    """Seconds since the board booted; a `time_scale` below 1 makes the board's time run faster, as its timers do."""

    def __init__(self, time_scale: float = 1.0) -> None:
        if not time_scale > 0:
            raise ValueError(f"time_scale must be positive, got {time_scale!r}")
        self.scale = time_scale
        self.boot = time.monotonic()

    def now(self) -> float:
        return (time.monotonic() - self.boot) / self.scale

    def real_seconds(self, board_seconds: float) -> float:
        """How long board seconds last on the host's clock."""
        return board_seconds * self.scale


@dataclass(frozen=True)
class Pwm:
    """A PWM output: high for the first `duty` of each period, counted from `origin` (board seconds)."""

    frequency: float
    duty: float
    origin: float

    def phase(self, t: float) -> float:
        return ((t - self.origin) * self.frequency) % 1.0

    def level(self, t: float) -> int:
        return 1 if self.phase(t) < self.duty else 0

    def high_fraction(self, t0: float, t1: float) -> float:
        """The exact share of [t0, t1] the output is high."""
        if t1 <= t0:
            return float(self.level(t1))
        return (self._high_until(t1) - self._high_until(t0)) / (t1 - t0)

    def _high_until(self, t: float) -> float:
        cycles = (t - self.origin) * self.frequency
        whole = math.floor(cycles)
        return (whole * self.duty + min(cycles - whole, self.duty)) / self.frequency


@dataclass(frozen=True)
class PinDrive:
    """How a GPIO pin drives its node: an output (level or PWM), or an input with its pull (-1 down, 0, 1 up)."""

    output: bool
    level: int = 0
    pwm: Pwm | None = None
    pull: int = 0

    def level_at(self, t: float) -> int | None:
        """The driven level at t, None for an input."""
        if not self.output:
            return None
        return self.pwm.level(t) if self.pwm else self.level

    def high_fraction(self, t0: float, t1: float) -> float:
        """The share of [t0, t1] an output is high."""
        return self.pwm.high_fraction(t0, t1) if self.pwm else float(self.level)


@dataclass(frozen=True)
class Frame:
    """What drove the circuit from `t` on; `topology` is the key of the routed bridges (see transient.Topology)."""

    t: float
    topology: object
    power: tuple[float, ...]  # DAC channels 0-3 setpoints
    wave: WaveState | None
    pins: tuple[PinDrive, ...]  # GPIO 1-10
    fakes: tuple[tuple[int, float], ...]  # FakeGpioPin outputs: node, volts

    def same_drive(self, other: Frame) -> bool:
        return (self.topology, self.power, self.wave, self.pins, self.fakes) == (
            other.topology, other.power, other.wave, other.pins, other.fakes)  # fmt: skip


class Timeline:
    """The frames of the last `window` seconds, oldest first."""

    def __init__(self, window: float = WINDOW_SECONDS, max_frames: int = MAX_FRAMES) -> None:
        self.window = window
        self.max_frames = max_frames
        self.frames: list[Frame] = []
        self._times: list[float] = []

    def record(self, frame: Frame) -> bool:
        """Add a frame if it changes the drive; False when nothing changed."""
        if self.frames and self.frames[-1].same_drive(frame):
            return False
        if self.frames and frame.t < self.frames[-1].t:
            frame = Frame(self.frames[-1].t, frame.topology, frame.power, frame.wave, frame.pins, frame.fakes)
        self.frames.append(frame)
        self._times.append(frame.t)
        self._trim(frame.t)
        return True

    def last(self) -> Frame | None:
        return self.frames[-1] if self.frames else None

    def at(self, t: float) -> Frame:
        """The frame in force at t (the oldest kept one for earlier times)."""
        index = bisect_right(self._times, t) - 1
        return self.frames[max(index, 0)]

    def between(self, t0: float, t1: float) -> list[Frame]:
        """The frames in force at some moment of [t0, t1]."""
        first = max(bisect_right(self._times, t0) - 1, 0)
        last = bisect_right(self._times, t1)
        return self.frames[first:last]

    def next_change(self, t: float) -> float:
        """The time of the first frame after t (infinity if none)."""
        index = bisect_right(self._times, t)
        return self._times[index] if index < len(self._times) else math.inf

    def oldest(self) -> float:
        return self._times[0] if self._times else 0.0

    def _trim(self, now: float) -> None:
        excess = len(self.frames) - self.max_frames
        if excess > 0:
            excess += self.max_frames // 16  # in chunks: a list's front deletion is linear
        cut = bisect_right(self._times, now - self.window) - 1  # keep the frame in force at the window's start
        drop = max(excess, cut)
        if drop > 0 and (drop >= 64 or excess > 0 or len(self.frames) < 256):
            del self.frames[:drop]
            del self._times[:drop]
