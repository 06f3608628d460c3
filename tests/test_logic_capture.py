"""The logic analyzer over its own host protocol: the virtual 5.3.x board's CDC2 byte for byte, and
Board.logic_capture through the real pty (PWM figures, a bit-banged UART byte, files, picture, bad input)."""

from __future__ import annotations

import io
import threading
import time
from pathlib import Path

import pytest
import serial
from PIL import Image

from jumperless_mcp import Board
from jumperless_mcp.emulator import VirtualBoard
from jumperless_mcp.emulator.la_port import calibration, encode_analog, encode_digital
from jumperless_mcp.errors import ArgumentError, UnsupportedByFirmware
from jumperless_mcp.link.logic_port import actual_rate, decode_stream
from jumperless_mcp.signals import uart


def _ask(port: serial.Serial, command: bytes, until: bytes = b"", limit: float = 3.0) -> bytes:
    """Send a command; what comes back until `until` ends it (then 50 ms more, to catch any extra byte), or
    what came within 0.2 s when no reply is expected."""
    port.reset_input_buffer()
    port.write(command)
    deadline = time.monotonic() + (limit if until else 0.2)
    data = b""
    while time.monotonic() < deadline and not (until and data.endswith(until)):
        data += port.read(port.in_waiting or 1)
    time.sleep(0.05)
    return data + port.read(port.in_waiting)


def test_encoding_round_trips_every_value() -> None:
    stream = b"".join(encode_digital(v) + encode_analog((v * 16) & 0xFFF) for v in range(256))
    digital, codes = decode_stream(stream, (3,))
    assert list(digital) == list(range(256))
    assert codes[3] == [(v * 16) & 0xFFF for v in range(256)]
    assert all(b >= 0x80 for v in range(256) for b in encode_digital(v))  # LogicAnalyzer.cpp:871-872
    assert b"$" not in stream


def test_protocol_replies_byte_for_byte(legacy_board: VirtualBoard) -> None:
    assert legacy_board.repl_path  # 5.3.x CDC2 = "JL Logic Analyzer"
    with serial.Serial(legacy_board.repl_path, timeout=0.05) as port:
        assert _ask(port, b"i\n", b"02") == b"SRJLV5,A082D08,02"
        assert _ask(port, b"R20000\n", b"*1") == b"*1"
        assert _ask(port, b"R-5\r", b"*1") == b"*1"  # a rate <= 0 is kept, still acknowledged
        assert _ask(port, b"L400\n", b"*") == b"*"
        assert _ask(port, b"A10\n", b"*") == b"*"
        assert _ask(port, b"a\n", b"x0") == b"805x0"
        assert _ask(port, b"a5\n", b"x0") == f"{int(3.3e6 / 4096)}x0".encode()
        assert _ask(port, b"S\n", b"T0") == b"A0S0R0T0"
        assert _ask(port, b"xyz\n") == b""  # unknown: no reply
        assert _ask(port, b"ab*i\n", b"02") == b"SRJLV5,A082D08,02"  # '*' clears the line
        for ch in range(8):
            assert _ask(port, f"A0{ch}\n".encode(), b"*") == b"*"
    la = legacy_board.model.logic_analyzer
    assert (la.sample_rate_hz, la.num_samples, la.a_mask) == (20000, 400, 0)


def test_fixed_pattern_capture_stream(legacy_board: VirtualBoard) -> None:
    """GPIO_1 and GPIO_3 driven high, the rest low: every sample is 0b101, then `$<bytes>+`."""
    source = (
        "import jumperless\nfor p in (1, 3):\n    jumperless.gpio_set_dir(p, True)\n    jumperless.gpio_set(p, 1)\n"
    )
    assert legacy_board.runtime.run(source, lambda _text: None) is None  # the board idles: nobody else runs code
    with serial.Serial(legacy_board.repl_path, timeout=0.05) as port:
        assert _ask(port, b"R20000\n", b"*1") == b"*1"
        for command in (b"L300\n", *(f"A0{ch}\n".encode() for ch in range(8))):
            assert _ask(port, command, b"*") == b"*"
        data = _ask(port, b"C\n", b"+")
    assert data == encode_digital(0b101) * 300 + b"$600+"


async def test_pwm_through_board(legacy_board: VirtualBoard, tmp_path: Path) -> None:
    async with Board(legacy_board.info()) as board:
        await board.pwm(1, 1000, 0.25)
        capture = await board.logic_capture([1, 2], 20_000, 2_000, file_format="csv")
    gpio1, gpio2 = capture.summaries
    assert gpio1.frequency_hz == pytest.approx(1000, rel=0.01)
    assert gpio1.duty_cycle == pytest.approx(0.25, abs=0.02)
    assert all(w == pytest.approx(250e-6, abs=60e-6) for w in gpio1.high_widths_s)
    assert gpio2.transitions == 0 and gpio2.frequency_hz is None
    image = Image.open(io.BytesIO(capture.png))
    assert image.format == "PNG" and image.width <= 1200 and image.height <= 600 and len(capture.png) < 100_000
    assert capture.file and Path(capture.file).parent.name == "captures"
    lines = Path(capture.file).read_text().splitlines()
    assert lines[0].startswith("# logic analyzer capture; firmware 5.3.2.4") and lines[1] == "time_s,GPIO_1,GPIO_2"
    assert len(lines) == 2 + capture.samples
    assert capture.as_dict()["channels"][0]["channel"] == "GPIO_1"


async def test_slow_mode_rate_and_vcd(legacy_board: VirtualBoard) -> None:
    """Below 5 kHz the firmware's PIO loop is 33 cycles for 32 assumed: the real rate is reported."""
    async with Board(legacy_board.info()) as board:
        await board.pwm(1, 100, 0.5)
        capture = await board.logic_capture(["GPIO_1"], 2000, 400, file_format="vcd")
        triggered = await board.logic_capture([1], 2000, 400, trigger_channel="GPIO_1", trigger_edge="falling")
    assert triggered.trigger is not None and triggered.trigger["fired"] and 0 < triggered.trigger["time_s"] <= 0.011
    assert triggered.levels[1][0] == 0 and triggered.samples == 400 - round(
        triggered.trigger["time_s"] * 2000 * 32 / 33
    )
    assert capture.rate_hz == pytest.approx(actual_rate(2000)) == pytest.approx(2000 * 32 / 33)
    assert capture.summaries[0].frequency_hz == pytest.approx(100, rel=0.01)
    text = Path(capture.file).read_text()  # type: ignore[arg-type]
    assert "$var wire 1 ! GPIO_1 $end" in text and "#0\n" in text


UART_SCRIPT = """
import time
import jumperless
jumperless.gpio_set_dir(2, True)
jumperless.gpio_set(2, 1)
while not jumperless.la_is_capturing():
    time.sleep_ms(1)
time.sleep_ms(120)
bits = [0] + [(BYTE >> k) & 1 for k in range(8)] + [1]
t = time.ticks_us()
for i in range(len(bits)):
    jumperless.gpio_set(2, bits[i])
    while time.ticks_diff(time.ticks_us(), t) < (i + 1) * 50000:
        pass
"""


def _bit_bang(legacy_board: VirtualBoard, value: int) -> threading.Thread:
    """A MicroPython loop on the virtual board (core 1) that waits for the analyzer (core 2), then sends a byte
    at 20 baud on GPIO_2; the runtime is idle while the session holds the board for the capture."""
    errors: list[str] = []

    def run() -> None:
        failure = legacy_board.runtime.run(UART_SCRIPT.replace("BYTE", str(value)), lambda _text: None)
        if failure:
            errors.append(failure)

    thread = threading.Thread(target=run, daemon=True)
    thread.errors = errors  # type: ignore[attr-defined]
    thread.start()
    return thread


async def test_uart_byte_decoded(tmp_path: Path) -> None:
    """On real time (time_scale 1), so a busy machine delays a bit edge by far less than half a bit (25 ms)."""
    with VirtualBoard("legacy", fs_dir=tmp_path / "fs") as legacy_board:
        async with Board(legacy_board.info()) as board:
            sender = _bit_bang(legacy_board, 0x4B)
            capture = await board.logic_capture([2], 1_000, 800, uart_channel=2, uart_baud=20, file_format="none")
            sender.join(5)
    assert not sender.errors  # type: ignore[attr-defined]
    assert capture.uart is not None
    assert capture.uart["bytes"] == [0x4B] and capture.uart["text"] == "K" and capture.uart["errors"] == []


def test_uart_decoder_framing_and_parity() -> None:
    per_bit = 10
    frame = [0] + [(0x41 >> k) & 1 for k in range(8)] + [1]  # 'A'
    bad = [0] + [0] * 8 + [0]  # stop bit low
    levels = [1] * 15 + [b for b in frame for _ in range(per_bit)] + [1] * 5 + [b for b in bad for _ in range(10)]
    frames = uart.decode(levels + [1] * 20, 1000, 100)
    assert [(f.value, f.ok) for f in frames] == [(0x41, True), (0, False)]
    with pytest.raises(ArgumentError, match="uart_baud"):
        uart.decode(levels, 1000, 500)


@pytest.mark.parametrize(
    ("kwargs", "parameter"),
    [
        ({"channels": [9]}, "channels"),
        ({"channels": []}, "channels"),
        ({"sample_rate_hz": 5_000_000}, "sample_rate_hz"),
        ({"samples": 3}, "samples"),
        ({"analog_channels": [0, 1], "sample_rate_hz": 150_000}, "sample_rate_hz"),
        ({"trigger_channel": 4}, "trigger_channel"),
        ({"trigger_edge": "up"}, "trigger_edge"),
        ({"uart_channel": 1, "uart_baud": 50_000}, "uart_baud"),
        ({"uart_channel": 1, "uart_parity": "mark"}, "uart_parity"),
        ({"file_format": "xlsx"}, "file_format"),
    ],
)
async def test_bad_input_sends_nothing(legacy_board: VirtualBoard, kwargs: dict, parameter: str) -> None:
    async with Board(legacy_board.info()) as board:
        with pytest.raises(ArgumentError, match=parameter):
            await board.logic_capture(**kwargs)
        assert legacy_board.la.received == 0 and legacy_board.la.captures == 0  # type: ignore[union-attr]


async def test_jumperlos_says_why_not(jos_board: VirtualBoard) -> None:
    async with Board(jos_board.info()) as board:
        with pytest.raises(UnsupportedByFirmware, match=r"5\.3\.x-5\.5\.x only.*5\.7\.0\.13"):
            await board.logic_capture([1], 10_000, 100)


@pytest.mark.parametrize("level", [1.25, -2.5])
async def test_analog_channel_reads_a_bridged_dac_level(legacy_board: VirtualBoard, level: float) -> None:
    """DAC0 bridged to ADC0, captured on the analyzer's analog channel 0: each sample is the DAC level within the
    firmware's scaling (the `a0` reply's 12-bit step, raw * scale_uV + offset_uV, half a step of rounding)."""
    scale_uv, _offset_uv = calibration(0)
    async with Board(legacy_board.info()) as board:
        await board.dac_set(0, level)
        assert (await board.connect("DAC0", "ADC0")).ok
        capture = await board.logic_capture([1], 10_000, 500, analog_channels=[0], file_format="csv")
    volts = capture.analog[0]
    assert len(volts) == capture.samples == 500
    assert all(v == pytest.approx(level, abs=scale_uv / 2e6 + 1e-9) for v in volts), (min(volts), max(volts))
    assert capture.as_dict()["analog"]["ADC0"]["mean_v"] == pytest.approx(level, abs=scale_uv / 1e6)
    lines = Path(capture.file).read_text().splitlines()  # type: ignore[arg-type]
    assert lines[1] == "time_s,GPIO_1,ADC0_V" and float(lines[2].split(",")[2]) == pytest.approx(level, abs=0.005)
