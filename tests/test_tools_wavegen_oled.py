"""Wavegen and OLED tools on both personas, checked against the virtual board's wavegen and display."""

from __future__ import annotations

from typing import Any

import pytest
from mcp_harness import board_calls, serve

from jumperless_mcp.emulator import VirtualBoard

DEFAULTS = {"output": "DAC1", "wave": "sine", "frequency": 100.0, "amplitude": 3.3, "offset": 1.65}


def near(value: float, expected: float, tolerance: float = 0.01) -> bool:
    return abs(value - expected) <= tolerance


def matches(result: dict[str, Any], expected: dict[str, Any]) -> bool:
    return all(near(result[k], v) if isinstance(v, float) else result[k] == v for k, v in expected.items())


# --- wavegen ------------------------------------------------------------------------------------


async def test_status_shows_the_firmware_defaults(h: Any) -> None:
    status = await h.ok("wavegen_status")
    assert matches(status, DEFAULTS) and status["running"] is False
    assert near(status["low_voltage"], 0.0) and near(status["high_voltage"], 3.3)


async def test_configure_sets_only_what_is_given(h: Any) -> None:
    result = await h.ok("wavegen_configure", frequency=250.0)
    assert result["changed"] == ["frequency"]
    assert matches(result, DEFAULTS | {"frequency": 250.0})
    wavegen = h.vboard.model.wavegen
    assert wavegen.frequency == 250.0 and wavegen.amplitude == pytest.approx(3.3) and wavegen.output == 1


async def test_configure_everything_in_one_batch(h: Any) -> None:
    await h.ok("wavegen_status")
    with board_calls(h) as sent:
        result = await h.ok(
            "wavegen_configure", output="DAC0", wave="square", frequency=1000, amplitude=2.0, offset=1.5
        )
    assert len(sent) == 1, sent
    assert sorted(result["changed"]) == ["amplitude", "frequency", "offset", "output", "wave"]
    assert matches(result, {"output": "DAC0", "wave": "square", "frequency": 1000.0, "amplitude": 2.0})
    assert near(result["low_voltage"], 0.5) and near(result["high_voltage"], 2.5)
    wavegen = h.vboard.model.wavegen
    assert (wavegen.output, wavegen.wave, wavegen.frequency) == (0, 3, 1000.0)
    assert wavegen.amplitude == pytest.approx(2.0) and wavegen.offset == pytest.approx(1.5)
    assert wavegen.running is False


async def test_configure_without_arguments_is_a_status(h: Any) -> None:
    result = await h.ok("wavegen_configure")
    assert result["changed"] == [] and matches(result, DEFAULTS)
    assert h.vboard.model.wavegen_configured is False


async def test_configure_reads_current_values_when_needed(h: Any) -> None:
    await h.ok("wavegen_status")
    with board_calls(h) as sent:
        result = await h.ok("wavegen_configure", offset=2.0, output=2)
    assert len(sent) == 2  # the current amplitude first, then the change with its read-back
    assert result["output"] == "TOP_RAIL" and near(result["offset"], 2.0)
    assert near(result["high_voltage"], 3.65)


@pytest.mark.parametrize("wave", ["arbitrary", "arb", 4, "noise"])
async def test_arbitrary_wave_is_not_offered(h: Any, wave: object) -> None:
    with board_calls(h) as sent:
        error = await h.error("wavegen_configure", wave=wave)
    assert error["kind"] == "invalid_argument" and error["parameter"] == "wave"
    assert "arbitrary" not in error["allowed"] and sent == []


@pytest.mark.parametrize(
    ("arguments", "parameter"),
    [
        ({"frequency": 0}, "frequency"),
        ({"frequency": 20_000}, "frequency"),
        ({"amplitude": -1}, "amplitude"),
        ({"output": "ADC0"}, "output"),
        ({"output": 4}, "output"),
        ({"offset": 9}, "offset"),
        ({"bogus": 1}, "bogus"),
    ],
)
async def test_configure_bad_values(h: Any, arguments: dict, parameter: str) -> None:
    with board_calls(h) as sent:
        error = await h.error("wavegen_configure", **arguments)
    assert error["kind"] == "invalid_argument" and error["parameter"] == parameter, error
    assert sent == [] and h.vboard.model.wavegen_configured is False


async def test_start_drives_the_output_net_and_stop_releases_it(h: Any) -> None:
    await h.ok("wavegen_configure", output="DAC1", amplitude=1.0, offset=2.0)
    for a, b in (("DAC1", 45), ("ADC1", 45)):
        assert (await h.ok("connect", node1=a, node2=b))["ok"]
    started = await h.ok("wavegen_start")
    assert started["running"] is True and h.vboard.model.wavegen.running is True
    assert near((await h.ok("adc_read", channels=[1]))["readings"]["ADC1"], 2.0, 0.51)  # a sample of the wave
    assert (await h.ok("wavegen_status"))["running"] is True
    stopped = await h.ok("wavegen_stop")
    assert stopped["running"] is False and h.vboard.model.wavegen.running is False
    assert near(stopped["offset"], 2.0)  # the configuration is kept
    assert near((await h.ok("adc_read", channels=[1]))["readings"]["ADC1"], 0.0, 0.05)  # DAC1's setpoint


async def test_start_without_setup_uses_the_defaults(h: Any) -> None:
    started = await h.ok("wavegen_start")
    assert matches(started, DEFAULTS) and started["running"] is True
    await h.ok("wavegen_stop")


async def test_sweep(h: Any) -> None:
    result = await h.ok("wavegen_sweep", start_hz=10, end_hz=1000, seconds=2.5)
    assert (result["start_hz"], result["end_hz"], result["seconds"]) == (10, 1000, 2.5)
    assert h.vboard.model.wavegen.sweep == (10.0, 1000.0, 2.5)
    assert result["running"] is False and near(result["frequency"], 100.0)
    error = await h.error("wavegen_sweep", start_hz=0, end_hz=10, seconds=1)
    assert error["parameter"] == "start_hz"
    error = await h.error("wavegen_sweep", start_hz=1, end_hz=10, seconds=-1)
    assert error["parameter"] == "seconds"


@pytest.mark.parametrize("board", ["jos_board", "legacy_board"])
async def test_voltage_limits_refuse_before_sending(request: pytest.FixtureRequest, board: str) -> None:
    vboard: VirtualBoard = request.getfixturevalue(board)
    async with serve(vboard, max_voltage=3.0) as h:
        wavegen = h.vboard.model.wavegen
        # The defaults swing 0-3.3 V: more than 3.0.
        with board_calls(h) as sent:
            error = await h.error("wavegen_configure", amplitude=3.2)
        assert error["kind"] == "invalid_argument" and error["parameter"] == "amplitude", error
        assert error["sent_to_board"] is False and near(error["high_voltage"], 3.25)
        assert "max_voltage" in error["error"] and "3" in error["allowed"]
        assert not any("wavegen_set" in s for batch in sent for s in batch), sent
        assert wavegen.amplitude == pytest.approx(3.3) and h.vboard.model.wavegen_configured is False

        error = await h.error("wavegen_configure", offset=2.0)  # 2.0 + 3.3/2 > 3.0
        assert error["parameter"] == "offset" and near(error["low_voltage"], 0.35)

        error = await h.error("wavegen_configure", frequency=10.0)  # the current swing is already too wide
        assert error["parameter"] == "amplitude" and wavegen.frequency == 100.0

        error = await h.error("wavegen_configure", offset=3.5)  # outside the limits on its own: the schema
        assert error["parameter"] == "offset" and "voltage limits" in error["error"]

        error = await h.error("wavegen_start")
        assert error["kind"] == "refused" and wavegen.running is False

        result = await h.ok("wavegen_configure", amplitude=2.0, offset=1.0)
        assert near(result["high_voltage"], 2.0) and wavegen.amplitude == pytest.approx(2.0)
        assert (await h.ok("wavegen_start"))["running"] is True
        exact = await h.ok("wavegen_configure", amplitude=3.0, offset=1.5)  # exactly 0.0-3.0 V is allowed
        assert near(exact["high_voltage"], 3.0)
        await h.ok("wavegen_stop")


async def test_min_voltage_limit(jos_board: VirtualBoard) -> None:
    async with serve(jos_board, min_voltage=0.0) as h:
        error = await h.error("wavegen_configure", offset=0.5, amplitude=2.0)
        assert error["kind"] == "invalid_argument" and error["parameter"] == "amplitude"
        assert near(error["low_voltage"], -0.5) and h.vboard.model.wavegen.offset == pytest.approx(1.65)


async def test_start_is_stopped_again_when_the_firmware_defaults_exceed_the_limits(jos_board: VirtualBoard) -> None:
    async with serve(jos_board, max_voltage=3.0) as h:
        wavegen = h.vboard.model.wavegen
        wavegen.amplitude = 1.0  # what the getters report before the start...
        runtime = h.vboard.runtime
        original = runtime.globals["wavegen_start"]

        def start(run: object = True) -> None:  # ...but the firmware's start fills in 3.3 Vpp for an unset amplitude
            wavegen.amplitude = 3.3
            original(run)

        runtime.globals["wavegen_start"] = start
        error = await h.error("wavegen_start")
        assert error["kind"] == "refused" and "stopped again" in error["error"]
        assert wavegen.running is False and near(error["high_voltage"], 3.3)


async def test_wavegen_annotations(jos_mcp: Any) -> None:
    tools = {tool.name: tool for tool in (await jos_mcp.client.list_tools()).tools}
    assert tools["wavegen_status"].annotations.read_only_hint is True
    for name in ("wavegen_configure", "wavegen_sweep", "wavegen_start", "wavegen_stop"):
        assert tools[name].annotations.read_only_hint is False
    description = tools["wavegen_configure"].description
    assert "DAC1" in description and "1.65 V" in description and "arbitrary" in description
    assert "offset" in tools["wavegen_configure"].input_schema["properties"]
    assert tools["wavegen_configure"].input_schema["required"] == []


# --- OLED ---------------------------------------------------------------------------------------

INJECTIONS = [
    'say "hi"',
    "it's",
    "line one\nline two",
    "ctrl\x03c and \x04d",
    "');import os;print('",
    "\\x03 not an escape",
    "\r\n\t",
    "\u00b5A \u03a9",
]


async def test_oled_print_shows_any_text_verbatim(h: Any) -> None:
    for message in INJECTIONS:
        result = await h.ok("oled_print", text=message)
        assert result["text"] == message and result["size"] == 2
        assert h.vboard.oled_text() == message
        assert (await h.ok("gpio_read", pin=1))["pin"] == "GPIO_1"  # the channel is still in sync


async def test_oled_print_sizes(h: Any) -> None:
    jos = h.vboard.persona.name == "jumperlos"
    oled = h.vboard.model.oled
    with board_calls(h) as sent:
        result = await h.ok("oled_print", text="big", size=3)
    assert oled.text == "big" and oled.text_size == 3
    # text_size is the board's default size (oled_get_text_size), which a print with a size leaves alone
    assert result["text_size"] == (2 if jos else None) and result["connected"] is (True if jos else None)
    assert any("oled_print('big', 3)" in line for line in sent[0]), sent
    await h.ok("oled_print", text="small", size=1)
    assert oled.text == "small" and oled.text_size == 1
    with board_calls(h) as sent:
        await h.ok("oled_print", text="default")
    assert oled.text_size == 2
    # JumperlOS: left out, the size would be the board's default (oled_set_text_size), not 2: it is always sent
    expected = "oled_print('default', 2)" if jos else "oled_print('default')"
    assert any(expected in line for line in sent[0]), sent


async def test_oled_size_zero_scrolls_on_jumperlos_only(h: Any) -> None:
    await h.ok("oled_print", text="first")
    await h.ok("oled_print", text="second", size=0)
    jos = h.vboard.persona.name == "jumperlos"
    # JumperlOS jl_oled_print: size 0 is showMultiLineSmallText; 5.3.x clears and prints at every size
    assert h.vboard.oled_text() == ("first\nsecond" if jos else "second")


@pytest.mark.parametrize(
    ("arguments", "parameter"),
    [({"text": "x" * 101}, "text"), ({"text": "x", "size": 4}, "size"), ({"text": 5}, "text"), ({}, "text")],
)
async def test_oled_print_bad_arguments(h: Any, arguments: dict, parameter: str) -> None:
    with board_calls(h) as sent:
        error = await h.error("oled_print", **arguments)
    assert error["kind"] == "invalid_argument" and error["parameter"] == parameter
    assert sent == [] and h.vboard.oled_text() == ""


async def test_oled_print_longest_text(h: Any) -> None:
    message = "\u03a9" * 100  # the longest escape of the longest text still fits a call
    await h.ok("oled_print", text=message)
    assert h.vboard.oled_text() == message


async def test_oled_disconnected(h: Any) -> None:
    h.vboard.model.oled.connected = False
    if h.vboard.persona.name == "jumperlos":
        error = await h.error("oled_print", text="hello")
        assert error["kind"] == "oled_disconnected" and "not connected" in error["error"]
        assert (await h.error("oled_clear"))["kind"] == "oled_disconnected"
        error = await h.error("oled_read")
        assert error["kind"] == "oled_disconnected" and "None" in error["error"]
    else:  # 5.3.x ignores the call and cannot tell
        result = await h.ok("oled_print", text="hello")
        assert result["connected"] is None
    assert h.vboard.oled_text() == ""


async def test_oled_clear(h: Any) -> None:
    await h.ok("oled_print", text="to be cleared")
    result = await h.ok("oled_clear")
    assert h.vboard.oled_text() == ""
    assert result["connected"] is (True if h.vboard.persona.name == "jumperlos" else None)


PIXELS = [(0, 0), (127, 31), (5, 9), (6, 8), (6, 9), (64, 16), (64, 23), (100, 7)]


async def test_oled_read_decodes_the_framebuffer(jos_mcp: Any) -> None:
    for x, y in PIXELS:
        assert await jos_mcp.board.oled_set_pixel(x, y) is True
    result = await jos_mcp.ok("oled_read", format="ascii")
    assert (result["width"], result["height"], result["text_size"]) == (128, 32, 2)
    rows = result["rows"]
    assert len(rows) == 32 and all(len(row) == 128 for row in rows)
    lit = {(x, y) for y, row in enumerate(rows) for x, ch in enumerate(row) if ch == "#"}
    assert lit == set(PIXELS) and result["lit_pixels"] == len(PIXELS) and not result["blank"]
    assert set("".join(rows)) == {"#", " "}

    blocks = (await jos_mcp.ok("oled_read"))["rows"]
    assert len(blocks) == 16 and all(len(row) == 128 for row in blocks)
    assert blocks[0][0] == "\u2580"  # (0, 0): top half
    assert blocks[15][127] == "\u2584"  # (127, 31): bottom half
    assert blocks[4][5] == "\u2584" and blocks[4][6] == "\u2588"  # (5, 9) alone; (6, 8) and (6, 9)
    assert blocks[8][64] == "\u2580" and blocks[11][64] == "\u2584" and blocks[3][100] == "\u2584"
    assert sum(ch != " " for row in blocks for ch in row) == 7


async def test_oled_read_after_print(jos_mcp: Any) -> None:
    await jos_mcp.ok("oled_print", text="HELLO", size=1)
    result = await jos_mcp.ok("oled_read")
    assert result["text_size"] == 2  # the default size: a print with a size does not change it
    # The virtual board draws printed text into the framebuffer (size 1: 6x8 cells, centred, on rows 12-19).
    assert not result["blank"] and result["lit_pixels"] > 20
    assert {y for y, row in enumerate((await jos_mcp.ok("oled_read", format="ascii"))["rows"]) if "#" in row} <= set(
        range(12, 20)
    )
    await jos_mcp.ok("oled_clear")
    assert (await jos_mcp.ok("oled_read"))["blank"] is True


async def test_oled_read_is_jumperlos_only(legacy_mcp: Any) -> None:
    assert "oled_read" not in await legacy_mcp.tool_names()
    assert {"oled_print", "oled_clear"} <= await legacy_mcp.tool_names()
    error = await legacy_mcp.error("oled_read")
    assert error["kind"] == "unavailable" and "JumperlOS" in error["error"]


async def test_oled_annotations(jos_mcp: Any) -> None:
    tools = {tool.name: tool for tool in (await jos_mcp.client.list_tools()).tools}
    assert tools["oled_read"].annotations.read_only_hint is True
    assert tools["oled_print"].annotations.read_only_hint is False
    assert tools["oled_print"].input_schema["properties"]["text"]["maxLength"] == 100
    assert tools["oled_print"].input_schema["properties"]["size"]["default"] == 2
