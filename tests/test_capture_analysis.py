"""The capture's pure parts on synthetic samples: statistics, frequency and duty cycle, the plot, the CSV file,
and the host side of the burst loop (its arguments checked, its output parsed) without a board."""

from __future__ import annotations

import io
import math
import random
from pathlib import Path

import pytest
from PIL import Image

from firmware_api.errors import ArgumentError
from firmware_api.replies import parse_traceback
from firmware_api.versions import FirmwareVersion
from jumperless_mcp.bench.capture import list_captures
from jumperless_mcp.bench.capture_burst import explain_error, parse_output
from jumperless_mcp.bench.capture_plan import MAX_READS, MAX_SAMPLES, check_for_firmware, plan_capture
from jumperless_mcp.errors import JumperlessError
from jumperless_mcp.signals.csv_file import read_header, render_csv, write_csv
from jumperless_mcp.signals.plot import MAX_HEIGHT, MAX_WIDTH, Trace, nice_ticks, render_png
from jumperless_mcp.signals.waveform import channel_stats

RATE = 5000.0
TIMES = [i / RATE for i in range(2000)]  # 0.4 s


def sine(hz: float, vpp: float, offset: float = 0.0, phase: float = 0.3) -> list[float]:
    return [offset + vpp / 2 * math.sin(2 * math.pi * hz * t + phase) for t in TIMES]


def square(hz: float, duty: float, low: float = 0.0, high: float = 3.3) -> list[float]:
    return [high if (t * hz + 0.1) % 1.0 < duty else low for t in TIMES]


def test_sine_statistics() -> None:
    stats = channel_stats(sine(100.0, 2.0, 1.5), TIMES)
    assert stats.frequency == pytest.approx(100.0, rel=0.002)
    assert stats.peak_to_peak == pytest.approx(2.0, rel=0.001)
    assert stats.mean == pytest.approx(1.5, abs=0.005)
    assert stats.ac_rms == pytest.approx(1 / math.sqrt(2), rel=0.01)
    assert stats.rms == pytest.approx(math.sqrt(1.5**2 + 0.5), rel=0.01)
    assert stats.duty_cycle == pytest.approx(0.5, abs=0.01)
    assert stats.periods >= 38 and stats.invalid == 0


@pytest.mark.parametrize(("hz", "duty"), [(250.0, 0.25), (100.0, 0.1), (40.0, 0.75)])
def test_square_frequency_and_duty(hz: float, duty: float) -> None:
    stats = channel_stats(square(hz, duty), TIMES)
    assert stats.frequency == pytest.approx(hz, rel=0.01)
    assert stats.duty_cycle == pytest.approx(duty, abs=1.5 / (RATE / hz))  # within a sample or so
    assert (stats.min, stats.max) == (0.0, 3.3)


def test_noise_and_dc_are_not_periodic() -> None:
    rng = random.Random(4)
    noise = channel_stats([rng.gauss(1.0, 0.05) for _ in TIMES], TIMES)
    assert noise.frequency is None and noise.duty_cycle is None and noise.periods == 0
    assert noise.mean == pytest.approx(1.0, abs=0.01) and noise.ac_rms == pytest.approx(0.05, rel=0.1)
    dc = channel_stats([2.5] * len(TIMES), TIMES)
    assert (dc.frequency, dc.peak_to_peak, dc.rms) == (None, 0.0, 2.5)


def test_noisy_sine_keeps_its_frequency_thanks_to_hysteresis() -> None:
    rng = random.Random(7)
    values = [v + rng.gauss(0, 0.03) for v in sine(100.0, 2.0)]
    stats = channel_stats(values, TIMES)
    assert stats.frequency == pytest.approx(100.0, rel=0.01)


def test_gaps_in_the_sampling_do_not_spoil_the_frequency() -> None:
    """A busy board leaves gaps (edges missed, crossings of unknown time): the periods around them still count."""
    rng = random.Random(3)
    kept = [i for i in range(len(TIMES)) if not (rng.random() < 0.01 or 300 <= i % 400 < 360)]
    times = [TIMES[i] for i in kept]
    for values, duty in ((sine(100.0, 2.0), 0.5), (square(100.0, 0.25), 0.25)):
        stats = channel_stats([values[i] for i in kept], times)
        assert stats.frequency == pytest.approx(100.0, rel=0.01)
        assert stats.duty_cycle == pytest.approx(duty, abs=0.02)


def test_a_single_step_and_one_period_are_not_periodic() -> None:
    step = [0.0 if t < 0.2 else 3.3 for t in TIMES]
    assert channel_stats(step, TIMES).frequency is None
    assert channel_stats(sine(3.0, 2.0), TIMES).frequency is None  # 1.2 periods in 0.4 s


def test_failed_readings_are_left_out() -> None:
    values = sine(100.0, 2.0)
    values[10] = values[500] = math.nan
    stats = channel_stats(values, TIMES)
    assert stats.invalid == 2 and stats.frequency == pytest.approx(100.0, rel=0.005)
    empty = channel_stats([math.nan] * 3, [0.0, 0.1, 0.2])
    assert empty.invalid == 3 and math.isnan(empty.mean) and empty.frequency is None


def test_plot_is_a_png_of_the_stated_size_with_each_trace_drawn() -> None:
    traces = [Trace("ADC0", "V", sine(100.0, 2.0)), Trace("INA0", "A", [0.01 * v for v in sine(50.0, 1.0)])]
    png = render_png(TIMES, traces, title="two traces", width=900, height=450)
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.size == (900, 450) and len(png) < 100_000
    colours = {colour for _, colour in image.convert("RGB").getcolors(maxcolors=1 << 16)}
    assert (31, 119, 180) in colours and (214, 39, 40) in colours  # the two traces' colours
    big = Image.open(io.BytesIO(render_png(TIMES, traces, width=5000, height=5000)))
    assert big.size == (MAX_WIDTH, MAX_HEIGHT)


def test_plot_breaks_the_line_where_the_board_paused() -> None:
    times = [i / 1000 for i in range(100)] + [0.5 + i / 1000 for i in range(100)]  # nothing from 0.1 to 0.5 s
    values = [0.0 if i < 100 else 3.0 for i in range(200)]
    image = Image.open(io.BytesIO(render_png(times, [Trace("ADC0", "V", values)]))).convert("RGB")
    trace = (31, 119, 180)
    middle = [image.getpixel((x, y)) for x in range(300, 500) for y in range(40, 440)]  # 0.2-0.35 s
    assert trace not in middle  # no straight line drawn across the missing time
    assert trace in [image.getpixel((x, y)) for x in range(80, 140) for y in range(40, 450)]


def test_plot_of_a_flat_or_tiny_capture() -> None:
    for times, values in (([0.0], [1.0]), ([0.0, 0.001], [2.0, 2.0])):
        image = Image.open(io.BytesIO(render_png(times, [Trace("ADC1", "V", values)])))
        assert image.size == (1000, 500)


def test_nice_ticks() -> None:
    assert nice_ticks(0.0, 10.0, 6) == [0.0, 2.0, 4.0, 6.0, 8.0, 10.0]
    assert nice_ticks(-0.3, 0.3, 4) == pytest.approx([-0.2, 0.0, 0.2])


def test_csv_round_trip(tmp_path: Path) -> None:
    header = {"board": "bench\nline", "firmware": "5.7.0.13", "channels": "ADC0 INA0", "rate_hz": "2000"}
    text = render_csv(header, ["time_s", "ADC0_V", "INA0_A"], [0.0, 0.0005], [[1.5, 1.25], [0.001, 0.002]])
    path = write_csv(tmp_path / "sub" / "c.csv", text)
    assert read_header(path) == header | {"board": "bench line"}  # a line end in a value becomes a space
    rows = [line for line in path.read_text().splitlines() if not line.startswith("#")]
    assert rows == ["time_s,ADC0_V,INA0_A", "0.000000,1.5,0.001", "0.000500,1.25,0.002"]
    assert [entry["name"] for entry in list_captures(tmp_path / "sub")] == ["c.csv"]
    assert list_captures(tmp_path / "sub")[0]["kind"] == "other"  # no `capture: waveform` line
    (tmp_path / "sub" / "logic-1.vcd").write_text("$comment x $end\n")
    entries = {entry["name"]: entry for entry in list_captures(tmp_path / "sub")}
    assert entries["logic-1.vcd"]["kind"] == "logic" and entries["logic-1.vcd"]["samples"] is None
    assert list_captures(tmp_path / "missing") == []


# --- the host side of the burst: checks and parsing -----------------------------------------------------------


def plan(channels: object = (0,), **options: object):  # type: ignore[no-untyped-def]
    arguments = {
        "rate": 1000.0,
        "samples": None,
        "duration": None,
        "trigger_channel": None,
        "trigger_level": None,
        "trigger_edge": "rising",
        "trigger_timeout": 1.0,
    }
    return plan_capture(channels, **(arguments | options))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("channels", "options", "parameter"),
    [
        ([], {}, "channels"),
        ([8], {}, "channels"),
        (["ADC8"], {}, "channels"),
        (["INA2"], {}, "channels"),
        ([True], {}, "channels"),
        ([0], {"rate": 0.5}, "rate"),
        ([0], {"rate": math.inf}, "rate"),
        ([0], {"samples": 1}, "samples"),
        ([0], {"samples": MAX_SAMPLES + 1}, "samples"),
        ([0], {"samples": 2.5}, "samples"),
        ([0], {"duration": 6.0}, "duration"),
        ([0], {"duration": 0.001, "rate": 1000.0}, "duration"),  # one sample
        ([0], {"duration": 1.0, "rate": None}, "rate"),
        ([0], {"samples": 10_000, "rate": 1000.0}, "samples"),  # 10 s
        ([0, 1, 2, 3], {"samples": MAX_READS // 4 + 1, "rate": 10_000.0}, "samples"),
        ([0], {"trigger_level": 9.0}, "trigger_level"),
        ([0], {"trigger_channel": 1}, "trigger_level"),
        (["INA0"], {"trigger_level": 1.0}, "trigger_channel"),
        ([0], {"trigger_level": 1.0, "trigger_channel": 5}, "trigger_channel"),
        ([0], {"trigger_level": 1.0, "trigger_edge": "both"}, "trigger_edge"),
        ([0], {"trigger_level": 1.0, "trigger_timeout": 60.0}, "trigger_timeout"),
    ],
)
def test_bad_arguments_name_the_parameter(channels: object, options: dict, parameter: str) -> None:
    with pytest.raises(ArgumentError) as caught:
        plan(channels, **options)
    assert caught.value.parameter == parameter and caught.value.allowed


def test_samples_and_duration_whichever_ends_first() -> None:
    assert plan(duration=0.5).samples == 500
    assert plan(duration=0.5, samples=100).samples == 100
    assert plan(duration=0.05, samples=100).samples == 50
    assert plan().samples == 500 and plan(rate=None).period_us == 0 and plan(rate=4000.0).period_us == 250
    both = plan([0, "adc0", "INA1", " ina1 "])
    assert [c.name for c in both.channels] == ["ADC0", "INA1"] and [c.unit for c in both.channels] == ["V", "A"]
    triggered = plan([2], trigger_level=1.0)
    assert triggered.trigger is not None and triggered.trigger.channel == 2


def test_adc_channels_beyond_3_are_the_catalogs_call() -> None:
    """Upstream JumperlOS reads ADC 4-7 too; the catalog (0-3 on every firmware it knows today) decides."""
    wide = plan([4, "ADC7"])
    assert [c.index for c in wide.channels] == [4, 7]
    with pytest.raises(ArgumentError) as caught:
        check_for_firmware(wide, FirmwareVersion.parse("5.7.0.13"))
    assert caught.value.parameter == "channels" and "ADC4" in str(caught.value)


def test_the_small_legacy_heap_limits_samples() -> None:
    legacy, jos = FirmwareVersion.parse("5.3.2.4"), FirmwareVersion.parse("5.7.0.13")
    big = plan([0, 1], samples=5000, rate=10_000.0)
    check_for_firmware(big, jos)
    with pytest.raises(ArgumentError) as caught:
        check_for_firmware(big, legacy)
    assert caught.value.parameter == "samples" and "1333" in str(caught.value.allowed)


def test_output_parsing_ignores_other_lines_and_refuses_incomplete_output() -> None:
    request = plan([0, "INA0"], samples=3)
    tag = "\x1eabcdc"
    text = (
        "noise\n"
        f"{tag}H:3,2,1,1500\n"
        f"\x1e9999cT:5,5,5\n"  # another request's line
        f"{tag}T:0,500,510\n"
        f"{tag}V0:15000,-2500,n\n"
        f"{tag}V1:1000,2000,3000\n"
    )
    raw = parse_output(text, tag, request)
    assert raw.found and raw.waited_us == 1500 and raw.times_us == [0, 500, 1010]
    assert raw.values[0][:2] == [1.5, -0.25] and math.isnan(raw.values[0][2])
    assert raw.values[1] == [0.001, 0.002, 0.003]
    with pytest.raises(JumperlessError, match="incomplete"):
        parse_output(text.replace(f"{tag}V1:1000,2000,3000\n", ""), tag, request)
    with pytest.raises(JumperlessError, match="no header"):
        parse_output("Traceback?\n", tag, request)


def test_a_board_out_of_memory_is_explained() -> None:
    frame = '  File "<stdin>", line 4, in _jc'
    error = parse_traceback(f"Traceback (most recent call last):\n{frame}\nMemoryError: 90090\n")
    explained = explain_error(error, plan([0, 1], samples=5000, rate=10_000.0))  # type: ignore[arg-type]
    assert isinstance(explained, JumperlessError) and "5000 samples of 2 channel(s)" in str(explained)
    other = parse_traceback('Traceback (most recent call last):\n  File "<stdin>", line 1\nValueError: bad\n')
    assert explain_error(other, plan()) is other  # type: ignore[arg-type]
