"""The measurement tools through the MCP SDK client (both personas, discovery mode through `tools_call`), the
configured voltage limits enforced before anything is sent, and the I-V plot as image content."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import pytest
from mcp_harness import board_calls, serve
from PIL import Image

PARTS = (Path(__file__).parent / "data" / "measure_parts.toml").read_text()
DEFERRED = {"x-deferred-tools": {}}


def _png(result) -> Image.Image:  # type: ignore[no-untyped-def]
    images = [block for block in result.content if block.type == "image"]
    assert len(images) == 1 and images[0].mime_type == "image/png"
    data = base64.b64decode(images[0].data)
    assert len(data) < 100_000
    return Image.open(io.BytesIO(data))


@pytest.mark.parametrize("persona", ["jumperlos", "legacy"])
async def test_measurement_tools_on_both_personas(make_board, persona: str) -> None:  # type: ignore[no-untyped-def]
    vboard = make_board(PARTS, persona=persona)
    async with serve(vboard) as h:
        r = await h.ok("measure_resistance", a=10, b=11)
        assert r["ohms"] == pytest.approx(100, rel=0.02) and r["changes"]["connected"][0] == ["DAC1", "ISENSE_PLUS"]
        assert r["changes"]["restored"][-1] == "removed DAC1-ISENSE_PLUS"
        sweep = await h.result("iv_sweep", a=10, b=11, start=-1.0, stop=1.0, steps=3)
        assert not sweep.is_error and sweep.structured_content is not None
        assert sweep.structured_content["fit"]["ohms"] == pytest.approx(100, rel=0.02)
        assert _png(sweep).size[0] <= 1200 and "ohm" in sweep.content[0].text
        if persona == "jumperlos":  # (5.3.x costs its 1 s input collector, shortened here, per round trip)
            far = await h.ok("measure_resistance", a=14, b=15)
            assert far["ohms"] is None and far["open"] and "range limit" in far["note"]
            beep = await h.ok("continuity", a=16, b=17)
            assert beep["connected"] and beep["ohms"] == pytest.approx(10, rel=0.02)
            diode = await h.ok("diode_test", a=20, b=21)
            assert diode["found"] and diode["anode"] == "21" and diode["forward_volts"] == pytest.approx(0.65, abs=0.02)
            volts = await h.ok("measure", node="GND", samples=3)
            assert volts["mean"] == 0.0 and volts["units"] == "V"
            ident = await h.ok("identify_part", a=21, b=20)
            assert ident["kind"] == "diode" and ident["how"] == "host tests" and ident["cathode"] == "20"
    with vboard.model.lock:
        assert vboard.model.netlist.bridges == []


async def test_voltage_limits_are_enforced_before_anything_is_sent(make_board) -> None:  # type: ignore[no-untyped-def]
    vboard = make_board(PARTS)
    async with serve(vboard, max_voltage=3.0, min_voltage=-1.0) as h:
        with board_calls(h) as sent:
            too_high = await h.error("measure_resistance", a=10, b=11, max_volts=5.0)
            both_ways = await h.error("diode_test", a=20, b=21, max_volts=2.0)
            sweep = await h.error("iv_sweep", a=10, b=11, start=-2.0, stop=1.0)
            bad_node = await h.error("continuity", a="NOT_A_NODE", b=11)
        assert sent == []
        assert too_high["kind"] == "invalid_argument" and too_high["parameter"] == "max_volts"
        assert both_ways["parameter"] == "max_volts" and "both ways" in both_ways["error"]
        assert sweep["parameter"] == "start"
        assert bad_node["parameter"] == "a"
        ok = await h.ok("diode_test", a=20, b=21, max_volts=1.0)  # within -1..3 V both ways
        assert ok["found"]


async def test_through_tools_call_in_discovery_mode(make_board) -> None:  # type: ignore[no-untyped-def]
    vboard = make_board(PARTS)
    async with serve(vboard, experimental=DEFERRED) as discovery:
        via = await discovery.result("tools_call", name="iv_sweep", arguments={"a": 12, "b": 13, "steps": 3})
        assert not via.is_error, via.content[0].text
        _png(via)
        reading = await discovery.result("tools_call", name="measure_resistance", arguments={"a": 12, "b": 13})
        assert not reading.is_error and reading.structured_content is not None
        assert reading.structured_content["ohms"] == pytest.approx(4700, rel=0.02)


async def test_net_currents_tool_only_where_the_firmware_scans(make_board) -> None:  # type: ignore[no-untyped-def]
    old = make_board(PARTS)
    async with serve(old) as h:
        assert "net_currents" not in await h.tool_names()
    new = make_board(PARTS, persona="jumperlos-5.7.5")
    async with serve(new) as h:
        assert {"net_currents", "measure_resistance", "identify_part"} <= await h.tool_names()
        await h.ok("dac_set", channel="DAC0", voltage=1.0)
        await h.ok("connect", node1="DAC0", node2="12")
        await h.ok("connect", node1="13", node2="GND")
        scan = await h.ok("net_currents")
        assert scan["scanned"]
        assert any(
            n["current_mA"] and abs(n["current_mA"]) == pytest.approx(1000 / 4700, rel=0.01) for n in scan["nets"]
        )
