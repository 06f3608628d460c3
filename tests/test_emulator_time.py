"""The virtual board's time axis: board clock, the generator's real wave, PWM, GPIO history, RC transients (#16 §3).

Through the REPL pty where the firmware path matters (a MicroPython loop sampling adc_get with ticks_us); the
time API (`BoardModel.now`, `gpio_level_at`, `node_voltage_at`) directly, as the logic analyzer uses it.
"""

from __future__ import annotations

import math
import tempfile
import time
from pathlib import Path

import pytest
from serial_clients import RawRepl

from firmware_api import nodes
from firmware_api.versions import FirmwareVersion
from jumperless_mcp.emulator.board import BoardModel
from jumperless_mcp.emulator.parts import Capacitor, PartsFileError, Resistor, parse_farads, parse_parts
from jumperless_mcp.emulator.timeline import BoardClock, Pwm
from jumperless_mcp.emulator.waveforms import SAWTOOTH, SINE, SQUARE, TRIANGLE, shape

RC = '[[resistor]]\nbetween = [10, 11]\nohms = "10k"\n[[capacitor]]\nbetween = [11, "GND"]\nfarads = "1u"\n'
SAMPLE_LOOP = """
import time
ts = []
vs = []
t0 = time.ticks_us()
while time.ticks_diff(time.ticks_us(), t0) < 60000 or len(ts) < 120 and time.ticks_diff(time.ticks_us(), t0) < 2000000:
    t = time.ticks_us()
    v = adc_get(0)
    took = time.ticks_diff(time.ticks_us(), t)
    if took < 1000:  # the board thread was not preempted between the timestamp and the sample
        vs.append(v)
        ts.append(time.ticks_diff(t, t0) + took // 2)
print(ts)
print(vs)
"""


def sine_fit(ts: list[float], vs: list[float], frequency: float) -> tuple[float, float, float]:
    """Least squares of a·sin + b·cos + c at a frequency: (peak-to-peak, residual RMS, offset)."""
    rows = [(math.sin(2 * math.pi * frequency * t), math.cos(2 * math.pi * frequency * t), 1.0) for t in ts]
    normal = [[sum(r[i] * r[j] for r in rows) for j in range(3)] for i in range(3)]
    rhs = [sum(r[i] * v for r, v in zip(rows, vs, strict=True)) for i in range(3)]
    for col in range(3):  # Gauss-Jordan on the 3x3 normal equations
        pivot = normal[col][col]
        for r in range(3):
            if r != col:
                factor = normal[r][col] / pivot
                normal[r] = [x - factor * y for x, y in zip(normal[r], normal[col], strict=True)]
                rhs[r] -= factor * rhs[col]
    a, b, c = (rhs[i] / normal[i][i] for i in range(3))
    residual = math.sqrt(sum((a * s + b * co + c - v) ** 2 for (s, co, _), v in zip(rows, vs, strict=True)) / len(vs))
    return 2 * math.hypot(a, b), residual, c


def fitted_frequency(ts: list[float], vs: list[float]) -> float:
    """The frequency whose sine fits best (a scan 50-200 Hz, then finer): robust to a late timestamp or two."""
    best = 50.0
    for step in (1.0, 0.05, 0.002):
        grid = [best - 50 * step + k * step for k in range(101)] if step < 1 else [50.0 + k for k in range(151)]
        best = min(grid, key=lambda f: sine_fit(ts, vs, f)[1])
    return best


def test_sine_from_the_generator_sampled_on_the_board(make_board) -> None:
    board = make_board()
    with RawRepl(board.repl_path) as repl:
        repl.lines("wavegen_set_output(DAC1)\nwavegen_set_wave(SINE)\nwavegen_set_freq(100)\n"
                   "wavegen_set_amplitude(2.0)\nwavegen_set_offset(1.5)\n"
                   "connect(DAC1, 20)\nconnect(ADC0, 20)\nwavegen_start()")  # fmt: skip
        ts_line, vs_line = repl.lines(SAMPLE_LOOP)
        repl.lines("wavegen_stop()")
    ts = [t / 1e6 for t in eval(ts_line)]  # our own board's printed lists
    vs = eval(vs_line)
    assert len(ts) >= 120, f"only {len(ts)} samples in {ts[-1]:.3f} s"
    frequency = fitted_frequency(ts, vs)
    assert frequency == pytest.approx(100.0, rel=0.02)
    vpp, residual, offset = sine_fit(ts, vs, frequency)
    assert vpp == pytest.approx(2.0, rel=0.05)
    assert residual < 0.1  # a sine, not a square or the DC mean
    assert offset == pytest.approx(1.5, abs=0.05)
    assert min(vs) >= 0.49 and max(vs) <= 2.51


def test_ticks_us_agrees_with_the_board_clock(make_board) -> None:
    board = make_board()
    with RawRepl(board.repl_path) as repl:
        before = board.model.now()
        ticks = int(repl.lines("import time\nprint(time.ticks_us())")[0])
        after = board.model.now()
    assert int(before * 1e6) % (1 << 30) <= ticks <= int(after * 1e6) % (1 << 30) or after * 1e6 > (1 << 30)


def test_pwm_switches_at_its_frequency_and_duty(make_board) -> None:
    board = make_board()
    with RawRepl(board.repl_path) as repl:
        repl.lines("pwm(GPIO_1, 1000, 0.25)")
    time.sleep(0.03)
    end = board.model.now()
    step = 2e-6
    times = [end - 0.02 + k * step for k in range(int(0.02 / step))]
    levels = [board.model.gpio_level_at(1, t) for t in times]
    assert sum(levels) / len(levels) == pytest.approx(0.25, abs=0.01)
    rises = [t for t, a, b in zip(times[1:], levels, levels[1:], strict=False) if not a and b]
    assert (len(rises) - 1) / (rises[-1] - rises[0]) == pytest.approx(1000.0, rel=0.01)
    with RawRepl(board.repl_path) as repl:
        repl.lines("pwm_stop(1)")
    assert board.model.gpio_level_at(1, end - 0.001) in (0, 1)  # the past is kept after the stop


def test_gpio_writes_change_levels_when_they_happen(make_board) -> None:
    board = make_board()
    with RawRepl(board.repl_path) as repl:
        repl.lines("gpio_set_dir(2, OUTPUT)\ngpio_set(2, LOW)")
        before = board.model.now()
        repl.lines("import time\ngpio_set(2, HIGH)\ntime.sleep_ms(20)\ngpio_set(2, LOW)")
        after = board.model.now()
    frames = [f for f in board.model.time.timeline.between(before, after) if f.t >= before]
    high_at = next(f.t for f in frames if f.pins[1].level == 1)
    low_at = next(f.t for f in frames if f.t > high_at and f.pins[1].level == 0)
    assert low_at - high_at >= 0.0199  # sleep_ms(20) between the writes (longer on a loaded machine)
    assert board.model.gpio_level_at(2, (high_at + low_at) / 2) == 1
    assert board.model.gpio_level_at(2, high_at - 1e-6) == 0
    assert board.model.gpio_level_at(2, low_at + 1e-6) == 0


def test_rc_step_has_its_time_constant(make_board) -> None:
    board = make_board(RC)
    with RawRepl(board.repl_path) as repl:
        repl.lines("connect(DAC0, 10)\ndac_set(DAC0, 0.0)")
        time.sleep(0.02)
        repl.lines("dac_set(DAC0, 3.0)")
    model = board.model
    step = next(f.t for f in model.time.timeline.frames if f.power[0] == pytest.approx(3.0))
    time.sleep(0.06)
    times = [step + k * 1e-4 for k in range(500)]
    volts = [model.node_voltage_at(11, t) for t in times]
    assert volts[0] == pytest.approx(0.0, abs=0.05)
    tau = next(t for t, v in zip(times, volts, strict=True) if v >= (1 - math.exp(-1)) * 3.0) - step
    assert tau == pytest.approx(0.010, rel=0.10)  # 10 kOhm x 1 uF
    assert volts[-1] == pytest.approx(3.0, abs=0.05)
    assert model.node_voltage_at(10, step + 0.005) == pytest.approx(3.0, abs=0.01)  # the DAC side is stiff


def test_rc_filters_pwm_to_its_mean(make_board) -> None:
    board = make_board(RC)
    with RawRepl(board.repl_path) as repl:
        repl.lines("connect(GPIO_1, 10)\npwm(1, 1000, 0.25)")
    time.sleep(0.08)
    end = board.model.now()
    volts = [board.model.node_voltage_at(11, end - 0.01 + k * 1e-4) for k in range(100)]
    assert sum(volts) / len(volts) == pytest.approx(3.3 * 0.25, abs=0.05)
    assert 0.01 < max(volts) - min(volts) < 0.2  # the ripple of a 10 ms filter on 1 kHz


def _model(seed: int) -> BoardModel:
    model = BoardModel(FirmwareVersion.parse("5.7.0.13"), Path(tempfile.mkdtemp()), adc_noise=0.01, seed=seed)
    model.set_power(0, 2.0)
    model.connect(nodes.DAC0, nodes.ADC0)
    return model


def test_same_seed_gives_the_same_samples_for_the_same_times() -> None:
    a, b, c = _model(7), _model(7), _model(8)
    times = [0.001 * k for k in range(50)]
    fixed = [a.time.noise(0, t, 0.01) for t in times]
    assert fixed == [b.time.noise(0, t, 0.01) for t in times]
    assert fixed != [c.time.noise(0, t, 0.01) for t in times]
    now = min(a.now(), b.now())
    same = [now - 0.05 + t / 10 for t in times]
    assert [a.adc_sample_at(0, t) for t in same] == [b.adc_sample_at(0, t) for t in same]
    assert any(abs(v - 2.0) > 1e-4 for v in (a.adc_sample_at(0, t) for t in same))  # the noise is there


def test_wave_shapes() -> None:
    assert [round(shape(SINE, p), 6) for p in (0, 0.25, 0.5, 0.75)] == [0, 1, 0, -1]
    assert [shape(TRIANGLE, p) for p in (0, 0.25, 0.5, 0.75)] == [0, 1, 0, -1]
    assert [shape(SAWTOOTH, p) for p in (0, 0.5, 0.999999)] == pytest.approx([-1, 0, 1], abs=1e-5)
    assert [shape(SQUARE, p) for p in (0.1, 0.6)] == [1, -1]


def test_pwm_high_fraction_is_exact() -> None:
    pwm = Pwm(1000.0, 0.25, 0.0)
    assert pwm.high_fraction(0.0, 0.01) == pytest.approx(0.25)
    assert pwm.high_fraction(0.0001, 0.0002) == pytest.approx(1.0)
    assert pwm.high_fraction(0.0002, 0.0004) == pytest.approx(0.25)


def test_clock_time_scale_runs_faster() -> None:
    clock = BoardClock(0.5)
    start = clock.now()
    time.sleep(0.02)
    assert clock.now() - start >= 0.04
    assert clock.real_seconds(1.0) == 0.5


def test_capacitor_parts() -> None:
    parts = parse_parts({"capacitor": [{"between": [11, "GND"], "farads": "4u7"}],
                         "resistor": [{"between": [10, 11], "ohms": 1000}]})  # fmt: skip
    assert parts == [Resistor("R1", 10, 11, 1000.0), Capacitor("C1", 11, nodes.GND, pytest.approx(4.7e-6))]
    assert [parse_farads(v) for v in ("100n", "1uF", "22p", 1e-6)] == pytest.approx([1e-7, 1e-6, 22e-12, 1e-6])
    bad_entries = (
        ({"between": [1, 2]}, "'farads' is missing"),
        ({"between": [1, 2], "farads": "big"}, "cannot read 'farads'"),
        ({"between": [1, 2], "farads": -1}, "'farads' must be above 0"),
        ({"between": [1, 2], "farads": 1e-6, "ohms": 1}, "allowed: name, between, farads"),
    )
    for bad, fragment in bad_entries:
        with pytest.raises(PartsFileError, match=fragment) as info:
            parse_parts({"capacitor": [bad]}, source="p.toml")
        assert str(info.value).startswith("p.toml: capacitor #1: ")


def test_the_rc_example_loads() -> None:
    from jumperless_mcp.emulator.parts import load_parts

    parts = load_parts(Path(__file__).parent.parent / "examples" / "rc_lowpass.toml")
    assert any(isinstance(p, Capacitor) and p.farads == pytest.approx(1e-6) for p in parts)


def test_an_input_pin_follows_the_pwm_it_is_bridged_to(make_board) -> None:
    board = make_board()
    with RawRepl(board.repl_path) as repl:
        repl.lines("connect(GPIO_1, 30)\nconnect(GPIO_2, 30)\npwm(1, 500, 0.5)")
    time.sleep(0.01)
    end = board.model.now()
    times = [end - 0.008 + k * 1e-5 for k in range(800)]
    driven = [board.model.gpio_level_at(1, t) for t in times]
    assert [board.model.gpio_level_at(2, t) for t in times] == driven  # GPIO_2 is an input: it reads the node
    assert 0.45 < sum(driven) / len(driven) < 0.55
    assert board.model.node_voltage_at(nodes.GPIO_NODES[1], times[driven.index(1)]) == pytest.approx(3.3, abs=0.01)
