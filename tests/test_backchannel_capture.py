"""Scheduled capture on the JumperlOS fourth port (`:every:<interval>:<n>:adc`, Ser3Backchannel.cpp): the virtual
board's stream byte for byte through the real pty, `Backchannel.every_adc`, and `Board.capture(via="aux")` / the
`capture` tool's `via`, which sample the waveform generator's sine without a byte on the REPL port."""

from __future__ import annotations

import re
import time

import anyio
import pytest
import serial
from mcp_harness import Harness

from firmware_api.errors import ArgumentError, UnsupportedByFirmware
from jumperless_mcp.bench.board import Board
from jumperless_mcp.emulator.backchannel_port import parse_interval, verb_min_us
from jumperless_mcp.emulator.virtual_board import VirtualBoard
from jumperless_mcp.link.backchannel import Backchannel, BackchannelError, parse_every_adc

SINE_HZ = 5.0


def read_for(path: str, line: bytes, until: bytes, seconds: float = 3.0) -> bytes:
    """Write one line with pyserial, read until `until` (or `seconds`)."""
    with serial.Serial(path, 115200, timeout=0.05) as port:
        port.write(line)
        data, deadline = b"", time.monotonic() + seconds
        while time.monotonic() < deadline and until not in data:
            data += port.read(8192)
        return data


async def _sine_on_adc0(board: Board) -> None:
    """The waveform generator's 5 Hz, 2 Vpp sine on DAC0, bridged to ADC0."""
    async with board.batch() as batch:
        batch.wavegen_set_output(0)
        batch.wavegen_set_wave(0)
        batch.wavegen_set_freq(SINE_HZ)
        batch.wavegen_set_amplitude(2.0)
        batch.wavegen_set_offset(1.5)
        batch.wavegen_start()
    assert (await board.connect("DAC0", "ADC0")).ok


def _repl_counters(vb: VirtualBoard) -> tuple[int, int, int]:
    return (vb.repl.input.received, vb.bytes_written("repl"), vb.bytes_written("main"))  # type: ignore[union-attr]


# --- the virtual port, byte for byte -----------------------------------------------------------------------------


def test_adc_is_one_json_line_of_five_channels_and_two_currents(jos_board: VirtualBoard) -> None:
    reply = read_for(jos_board.aux_path, b":adc\n", b"}}\r\n")  # type: ignore[arg-type]
    assert re.fullmatch(
        rb':adc\r\n\{"adc":\{("adc\d":-?\d+\.\d{4},?){5}\},"current":\{"ina0_mA":-?\d+\.\d{3},"ina1_mA":-?\d+\.\d{3}\}\}\r\n',
        reply,
    ), reply


def test_every_clamps_to_the_adc_floor_and_frames_the_stream(jos_board: VirtualBoard) -> None:
    reply = read_for(jos_board.aux_path, b":every:1ms:3:adc\n", b"late:")  # type: ignore[arg-type]
    reply += read_for(jos_board.aux_path, b"", b"\r\n", 0.2) if not reply.endswith(b"\r\n") else b""  # type: ignore[arg-type]
    text = reply.decode()
    assert text.startswith(":every:1ms:3:adc\r\ncap{verb:adc,mode:streamed,eff_us:4000,count:3}\r\n"), text
    assert text.count('{"adc":{') == 3
    assert re.search(r"cap_end\{taken_us:\d+,sent:3,late:\d+\}", text)
    stream = parse_every_adc(text)
    assert stream.eff_us == 4000 and len(stream.samples) == 3


def test_every_usage_error_and_stop(jos_board: VirtualBoard) -> None:
    assert read_for(jos_board.aux_path, b":every:5\n", b"}\r\n") == (  # type: ignore[arg-type]
        b':every:5\r\n{"error":"every_usage","fmt":":every:<interval>:<count>:<verb>"}\r\n'
    )
    # a continuous capture (count 0) ends at the first byte the host sends; `:stop` is then read as a verb
    with serial.Serial(jos_board.aux_path, 115200, timeout=0.05) as port:  # type: ignore[arg-type]
        port.write(b":every:10ms:0:adc\n")
        time.sleep(0.2)
        port.write(b":stop\n")
        data, deadline = b"", time.monotonic() + 3
        while time.monotonic() < deadline and b'{"stop":1}\r\n' not in data:
            data += port.read(8192)
    assert b"cap{verb:adc,mode:streamed,eff_us:10000,count:0}\r\n" in data
    assert re.search(rb"cap_end\{taken_us:\d+,sent:\d+,late:\d+\}\r\n:stop\r\n\{\"stop\":1\}\r\n$", data), data[-200:]


def test_interval_grammar_and_floors_follow_the_firmware() -> None:
    assert [parse_interval(t) for t in ("500us", "2ms", "1s", "3", "0.5ms", "junk", "0")] == [
        500,
        2000,
        1_000_000,
        3000,
        500,
        1000,
        1000,
    ]
    assert (verb_min_us("adc"), verb_min_us("ADC"), verb_min_us("all"), verb_min_us("ver")) == (4000, 4000, 9000, 100)


# --- the host: Backchannel.every_adc and Board.capture(via="aux") ------------------------------------------------


async def test_every_adc_reads_the_stream_without_touching_the_repl(jos_board: VirtualBoard) -> None:
    before = _repl_counters(jos_board)
    async with Backchannel(jos_board.aux_path) as aux:  # type: ignore[arg-type]
        stream = await aux.every_adc(10_000, 20)
        assert len(stream.samples) == 20 and stream.eff_us == 10_000
        assert len(await aux.adc()) == 5  # the port is back to answering single verbs
    assert _repl_counters(jos_board) == before


async def test_capture_via_aux_measures_a_5_hz_sine_and_sends_nothing_on_the_repl(jos_board: VirtualBoard) -> None:
    async with Board(jos_board.info()) as board:
        await _sine_on_adc0(board)
        before = _repl_counters(jos_board)
        capture = await board.capture([0], rate=100, duration=1.0, via="aux")
        assert _repl_counters(jos_board) == before  # the capture went entirely through the aux port
    assert capture.channels == ["ADC0"] and len(capture.times) == 100
    assert capture.rate == pytest.approx(100.0) and capture.times[1] == pytest.approx(0.01)
    stats = capture.stats["ADC0"]
    assert stats.frequency == pytest.approx(SINE_HZ, rel=0.05)
    assert stats.peak_to_peak == pytest.approx(2.0, rel=0.1)
    assert "time_s,ADC0_V" in capture.csv_text() and capture.png()[:4] == b"\x89PNG"


async def test_a_running_script_goes_on_while_the_aux_port_captures(jos_board: VirtualBoard) -> None:
    script = "import time\nfor i in range(8):\n    time.sleep_ms(100)\n    print(i)\n"
    results: dict[str, object] = {}
    async with Board(jos_board.info(), allow_python=True) as board:
        await _sine_on_adc0(board)

        async def run_script() -> None:
            results["printed"] = await board.run_python(script, timeout=10)

        async with anyio.create_task_group() as group:
            group.start_soon(run_script)
            await anyio.sleep(0.1)
            results["capture"] = await board.capture([0], rate=100, duration=0.5, via="aux")
    assert str(results["printed"]).split() == [str(i) for i in range(8)]
    assert len(results["capture"].times) == 50  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("kwargs", "parameter"),
    [
        ({"via": "scope"}, "via"),
        ({"rate": 1000}, "rate"),
        ({"rate": None}, "rate"),
        ({"channels": ["INA0"]}, "channels"),
        ({"channels": [7]}, "channels"),
        ({"trigger_level": 1.0}, "via"),
    ],
)
async def test_bad_aux_requests_name_the_parameter_and_send_nothing(
    jos_board: VirtualBoard, kwargs: dict[str, object], parameter: str
) -> None:
    args: dict[str, object] = {"channels": [0], "rate": 100, "samples": 10, "via": "aux"} | kwargs
    channels = args.pop("channels")
    async with Board(jos_board.info()) as board:
        await board.ping()
        before = _repl_counters(jos_board)
        with pytest.raises(ArgumentError) as caught:
            await board.capture(channels, **args)  # type: ignore[arg-type]
        assert _repl_counters(jos_board) == before
    assert caught.value.parameter == parameter


async def test_aux_is_unsupported_without_the_port_or_on_older_firmware(
    jos_board: VirtualBoard, legacy_board: VirtualBoard
) -> None:
    without_aux = {k: v for k, v in jos_board.info().items() if k != "aux"}
    async with Board(without_aux) as board:
        with pytest.raises(UnsupportedByFirmware, match="via='aux'"):
            await board.capture([0], rate=100, samples=10, via="aux")
    async with Board({**legacy_board.info(), "aux": jos_board.aux_path}) as board:
        with pytest.raises(UnsupportedByFirmware, match=r"via='aux'.*5\.7\.0\.13"):
            await board.capture([0], rate=100, samples=10, via="aux")


def test_stream_parser_rejects_a_short_or_refused_stream() -> None:
    with pytest.raises(BackchannelError, match="every_usage"):
        parse_every_adc('{"error":"every_usage","fmt":"x"}\r\n')
    with pytest.raises(BackchannelError, match="said it sent 2"):
        parse_every_adc("cap{verb:adc,mode:streamed,eff_us:4000,count:2}\r\ncap_end{taken_us:1,sent:2,late:0}\r\n")


async def test_capture_tool_via_aux(jos_mcp: Harness, legacy_mcp: Harness) -> None:
    result = await jos_mcp.ok("capture", channels=[0], rate=50, samples=20, via="aux")
    assert result["via"] == "aux" and result["samples"] == 20 and result["rate"] == pytest.approx(50.0)
    assert any("aux port" in note for note in result["notes"])
    error = await jos_mcp.error("capture", channels=[0], rate=1000, via="aux")
    assert error["kind"] == "invalid_argument" and error["parameter"] == "rate" and "250" in error["allowed"]
    error = await legacy_mcp.error("capture", channels=[0], rate=100, samples=10, via="aux")
    assert error["kind"] == "unsupported_by_firmware" and "via='aux'" in str(error)


async def test_capture_tool_reads_adc4_via_aux_only(jos_mcp: Harness, jos_board: VirtualBoard) -> None:
    result = await jos_mcp.ok("capture", channels=["ADC4"], rate=50, samples=10, via="aux")
    assert result["channels"] == ["ADC4"] and result["samples"] == 10
    received = jos_board.repl.input.received  # type: ignore[union-attr]
    error = await jos_mcp.error("capture", channels=[4], rate=50, samples=10, via="burst")
    assert error["kind"] == "invalid_argument" and error["parameter"] == "channels" and "via='aux'" in error["allowed"]
    assert jos_board.repl.input.received == received  # type: ignore[union-attr]  # nothing sent


async def test_auto_takes_the_aux_port_while_a_script_runs_and_the_burst_loop_otherwise(
    jos_board: VirtualBoard, legacy_board: VirtualBoard
) -> None:
    script = "import time\nfor i in range(5):\n    time.sleep_ms(100)\n    print(i)\n"
    results: dict[str, object] = {}
    async with Board(jos_board.info(), allow_python=True) as board:
        await _sine_on_adc0(board)
        idle = await board.capture([0], rate=100, samples=20)
        only_aux = await board.capture([4], rate=100, samples=5)
        too_fast = None

        async def run_script() -> None:
            results["printed"] = await board.run_python(script, timeout=10)

        async with anyio.create_task_group() as group:
            group.start_soon(run_script)
            await anyio.sleep(0.1)
            busy = await board.capture([0], rate=100, samples=20)
            results["capture_ended_first"] = "printed" not in results
        too_fast = await board.capture([0], rate=1000, samples=20)  # aux cannot: burst, after the script
    assert (idle.via, only_aux.via, busy.via, too_fast.via) == ("burst", "aux", "aux", "burst")
    assert results["capture_ended_first"] and str(results["printed"]).split() == [str(i) for i in range(5)]
    async with Board(legacy_board.info()) as board:
        assert (await board.capture([0], rate=100, samples=10)).via == "burst"
