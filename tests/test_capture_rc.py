"""An RC step captured through the real serial path shows its time constant (issue 16, done-when).

examples/rc_lowpass.toml: 10 kOhm from row 10 into row 11, 1 uF from row 11 to GND (tau = 10 ms). The waveform
generator's 10 Hz square (0 V / 3 V) on DAC0 drives row 10; ADC0 reads row 11; `Board.capture` triggers on the
rising edge and the time constant is fitted from the board's own sample times.

The virtual board runs in real time, so a loaded machine can pause its thread and leave a stretch of a capture
unsampled (the samples taken are still right, by the board's own clock). The capture therefore spans five periods,
folded onto one from the level's first crossing (the square's period is exact), so every part of the charge has samples.
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import pytest

from jumperless_mcp import Board

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "rc_lowpass.toml"
TAU = 10e-3  # 10 kOhm x 1 uF
HIGH = 3.0  # the square's high level (amplitude 3 Vpp about 1.5 V)


PERIOD = 0.1  # the 10 Hz square; high for the first half after its rising edge
RATE = 4000  # samples per second
LEVEL = 0.3  # the trigger's level, volts


def cleanly_timed(times: list[float], volts: list[float]) -> list[tuple[float, float]]:
    """The samples whose time can be trusted. A sample's time is the middle of its read; when the machine paused
    the board's thread during a read, that middle is off by up to half the pause, and the gaps to both
    neighbours show it (a real board does not pause)."""
    step = 1 / RATE
    return [
        (times[i], volts[i])
        for i in range(1, len(times) - 1)
        if times[i] - times[i - 1] < 1.5 * step and times[i + 1] - times[i] < 1.5 * step
    ]


def first_rising_crossing(samples: list[tuple[float, float]]) -> float | None:
    """When the signal first rose through LEVEL between two neighbouring samples (interpolated)."""
    for (t0, v0), (t1, v1) in itertools.pairwise(samples):
        if v0 < LEVEL <= v1 and t1 - t0 < 1.5 / RATE:
            return t0 + (t1 - t0) * (LEVEL - v0) / (v1 - v0)
    return None


def folded_charge(samples: list[tuple[float, float]], crossing: float) -> list[tuple[float, float]]:
    """Every period's first 38 ms after the level's crossing (the square stays high ~49 ms more), on one period.

    Folding five periods onto one leaves no stretch of the charge unsampled however the machine paused."""
    return sorted(((t - crossing) % PERIOD, v) for t, v in samples if (t - crossing) % PERIOD < 0.038)


def covers_the_charge(charging: list[tuple[float, float]]) -> bool:
    """Whether there are samples along the charge's middle and past its knee (2-3.8 tau after the crossing)."""
    middle = sum(0.1 * HIGH < v < 0.85 * HIGH for _, v in charging)
    return middle >= 10 and any(t > 2 * TAU for t, _ in charging)


def fitted_charge(charging: list[tuple[float, float]]) -> tuple[float, float]:
    """tau and the edge's time from a least-squares line through ln(HIGH - v) over the charging part (10 % to 85 %
    of the step): v = HIGH * (1 - e^(-(t - edge) / tau))."""
    points = [(t, math.log(HIGH - v)) for t, v in charging if 0.1 * HIGH < v < 0.85 * HIGH]
    assert len(points) >= 10, f"too few samples on the charging curve: {len(points)}"
    mean_t = sum(t for t, _ in points) / len(points)
    mean_y = sum(y for _, y in points) / len(points)
    slope = sum((t - mean_t) * (y - mean_y) for t, y in points) / sum((t - mean_t) ** 2 for t, _ in points)
    tau = -1.0 / slope
    return tau, mean_t - tau * (math.log(HIGH) - mean_y)


async def square_into_the_rc(board: Board) -> None:
    """The generator's 10 Hz square (0 V / HIGH) on DAC0 into row 10; row 11 (the capacitor) to ADC0."""
    async with board.batch() as batch:
        batch.wavegen_set_output(0)
        batch.wavegen_set_wave(3)  # square
        batch.wavegen_set_freq(10.0)
        batch.wavegen_set_amplitude(HIGH)
        batch.wavegen_set_offset(HIGH / 2)
        batch.wavegen_start()
    assert (await board.connect("DAC0", 10)).ok and (await board.connect(11, "ADC0")).ok


async def test_an_rc_step_captured_on_the_board_shows_its_time_constant(make_board) -> None:  # type: ignore[no-untyped-def]
    vboard = make_board(EXAMPLE.read_text(), time_scale=1.0)  # board time = real time (a pause is no longer)
    async with Board(vboard.info()) as board:
        await square_into_the_rc(board)
        for _ in range(3):
            capture = await board.capture(
                [0], rate=RATE, samples=2000, trigger_channel=0, trigger_level=LEVEL, trigger_edge="rising"
            )
            volts = capture.samples["ADC0"]
            samples = cleanly_timed(capture.times, volts)
            crossing = first_rising_crossing(samples)
            charging = folded_charge(samples, crossing) if crossing is not None else []
            if covers_the_charge(charging):
                break
    assert crossing is not None
    # Triggered: the capture begins at or above the level, in a half-period that charges (a pause between the
    # trigger and the first sample may start it later in that half-period).
    assert capture.trigger is not None and capture.trigger.found
    assert volts[0] >= LEVEL and (capture.times[0] - crossing) % PERIOD < PERIOD / 2
    tau, edge = fitted_charge(charging)
    assert tau == pytest.approx(TAU, rel=0.10)
    assert -0.3 * TAU < edge < 0  # the edge came ~1 ms before the level's crossing (0.3 V of 3 V)
    # The samples follow the curve towards the square's high level (the line above fits HIGH's logarithm, so a
    # step to another level bends away from it); nine in ten within 50 mV.
    off = [abs(v - HIGH * (1 - math.exp(-(t - edge) / tau))) for t, v in charging]
    on_curve = sum(o < 0.05 for o in off) / len(off)
    assert on_curve >= 0.9, f"{on_curve:.0%} of {len(off)} samples within 50 mV of the charging curve"
