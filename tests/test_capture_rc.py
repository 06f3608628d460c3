"""An RC step captured through the real serial path shows its time constant (issue 16, done-when).

examples/rc_lowpass.toml: 10 kOhm from row 10 into row 11, 1 uF from row 11 to GND (tau = 10 ms). The waveform
generator's 10 Hz square (0 V / 3 V) on DAC0 drives row 10; ADC0 reads row 11; `Board.capture` triggers on the
rising edge and the time constant is fitted from the board's own sample times.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from jumperless_mcp import Board

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "rc_lowpass.toml"
TAU = 10e-3  # 10 kOhm x 1 uF
HIGH = 3.0  # the square's high level (amplitude 3 Vpp about 1.5 V)


def fitted_time_constant(times: list[float], volts: list[float]) -> float:
    """tau from a least-squares line through ln(HIGH - v) over the charging part (10 % to 85 % of the step)."""
    points = [(t, math.log(HIGH - v)) for t, v in zip(times, volts, strict=True) if 0.1 * HIGH < v < 0.85 * HIGH]
    assert len(points) >= 10, f"too few samples on the charging curve: {len(points)}"
    mean_t = sum(t for t, _ in points) / len(points)
    mean_y = sum(y for _, y in points) / len(points)
    slope = sum((t - mean_t) * (y - mean_y) for t, y in points) / sum((t - mean_t) ** 2 for t, _ in points)
    return -1.0 / slope


async def test_an_rc_step_captured_on_the_board_shows_its_time_constant(make_board) -> None:  # type: ignore[no-untyped-def]
    vboard = make_board(EXAMPLE.read_text())
    async with Board(vboard.info()) as board:
        async with board.batch() as batch:
            batch.wavegen_set_output(0)
            batch.wavegen_set_wave(3)  # square
            batch.wavegen_set_freq(10.0)
            batch.wavegen_set_amplitude(HIGH)
            batch.wavegen_set_offset(HIGH / 2)
            batch.wavegen_start()
        assert (await board.connect("DAC0", 10)).ok and (await board.connect(11, "ADC0")).ok
        capture = await board.capture(
            [0], rate=4000, samples=160, trigger_channel=0, trigger_level=0.3, trigger_edge="rising"
        )
    volts = capture.samples["ADC0"]
    charging = [(t, v) for t, v in zip(capture.times, volts, strict=True) if t < 0.04]  # the square is high 50 ms
    tau = fitted_time_constant([t for t, _ in charging], [v for _, v in charging])
    assert tau == pytest.approx(TAU, rel=0.10)
    assert max(volts) == pytest.approx(HIGH, abs=0.1)  # charged to the square's high level
