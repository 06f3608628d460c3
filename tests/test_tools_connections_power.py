"""Connections, nets and power tools through an MCP client, on both firmware personas, checked on the board."""

from __future__ import annotations

from pathlib import Path

import pytest
from mcp_harness import Harness, board_calls, serve

from firmware_api import nodes
from firmware_api.catalog import by_name
from jumperless_mcp.emulator import VirtualBoard, load_parts

DIVIDER = Path(__file__).resolve().parent.parent / "examples" / "divider.toml"


@pytest.fixture(params=["jumperlos", "legacy"])
async def divider_mcp(request: pytest.FixtureRequest, tmp_path: Path):
    """Either persona, with the 10k/10k divider of examples/divider.toml on rows 10-11-GND."""
    with VirtualBoard(request.param, parts=load_parts(DIVIDER), fs_dir=tmp_path / "fs", time_scale=0.05) as vboard:
        async with serve(vboard) as harness:
            yield harness


def bridges_on(vboard: VirtualBoard) -> set[frozenset[int]]:
    return {frozenset((b.a, b.b)) for b in vboard.model.netlist.bridges}


async def test_connect_is_verified_and_shows_in_the_netlist(divider_mcp: Harness) -> None:
    h = divider_mcp
    made = await h.ok("connect", node1="D13", node2=20)
    assert made == {
        "node1": "NANO_D13",
        "node2": "20",
        "connected": True,
        "verified": True,
        "ok": True,
        "message": "NANO_D13-20 connected",
    }
    assert frozenset((nodes.resolve_node("D13"), 20)) in bridges_on(h.vboard)
    nets = (await h.ok("get_netlist"))["nets"]
    assert any(set(net["nodes"]) == {"NANO_D13", "20"} and net["number"] >= 6 for net in nets)
    assert (await h.ok("is_connected", node1=20, node2="NANO_D13"))["connected"] is True
    assert (await h.ok("get_bridges"))["bridges"] == [["20", "NANO_D13"]]


async def test_divider_on_the_top_rail_reads_half_on_the_adc(divider_mcp: Harness) -> None:
    h = divider_mcp
    await h.ok("connect", node1="TOP_RAIL", node2=10)
    await h.ok("connect", node1=11, node2="ADC0")
    assert (await h.ok("dac_set", channel="TOP_RAIL", voltage=5.0))["voltage"] == pytest.approx(5.0)
    assert (await h.ok("adc_read", channels=[0]))["readings"]["ADC0"] == pytest.approx(2.5, abs=0.02)
    assert (await h.ok("measure_node", node=10, adc=2))["voltage"] == pytest.approx(5.0, abs=0.02)
    assert frozenset((10, nodes.resolve_node("ADC2"))) not in bridges_on(h.vboard)  # borrowed, then returned
    nets = (await h.ok("get_netlist"))["nets"]
    top = next(net for net in nets if "TOP_RAIL" in net["nodes"])
    assert set(top["nodes"]) == {"TOP_RAIL", "10"} and top["voltage"] == pytest.approx(5.0)
    power = await h.ok("get_power")
    assert power == {"DAC0": 0.0, "DAC1": 0.0, "TOP_RAIL": pytest.approx(5.0), "BOTTOM_RAIL": 0.0}
    assert h.vboard.model.power["top_rail"] == pytest.approx(5.0)


async def test_forbidden_and_shorting_bridges_are_refused_before_sending(divider_mcp: Harness) -> None:
    h = divider_mcp
    error = await h.error("connect", node1="GND", node2="TOP_RAIL")
    assert error["kind"] == "forbidden_connection" and error["parameter"] == "node2" and not error["retryable"]
    await h.ok("connect", node1="TOP_RAIL", node2=10)
    refused = await h.error("connect", node1=10, node2="GND")  # would join the GND net to the top rail
    assert refused["kind"] == "forbidden_connection" and "nothing was sent" in refused["error"]
    assert bridges_on(h.vboard) == {frozenset((nodes.TOP_RAIL, 10))}  # nothing left behind


async def test_disconnect_one_bridge_or_every_bridge_on_a_node(divider_mcp: Harness) -> None:
    h = divider_mcp
    for other in (1, 2, 3):
        await h.ok("connect", node1=30, node2=other)
    one = await h.ok("disconnect", node1=30, node2=1)
    assert one["ok"] and one["connected"] is False and one["removed_all"] is False
    assert bridges_on(h.vboard) == {frozenset((30, 2)), frozenset((30, 3))}
    with board_calls(h) as sent:
        everything = await h.ok("disconnect", node1=30)
    assert everything["removed_all"] and everything["ok"]
    assert bridges_on(h.vboard) == set()
    # H1: the firmware's disconnect takes exactly two arguments (FUN_OBJ_2 in both families): -1 is sent
    assert any("disconnect(30, -1)" in statement for batch in sent for statement in batch), sent
    assert not any("disconnect(30)" in statement for batch in sent for statement in batch), sent


async def test_clear_connections_removes_everything_and_says_how_many(divider_mcp: Harness) -> None:
    h = divider_mcp
    await h.ok("apply_netlist", bridges=[[1, 2], [3, 4], [5, "D2"]])
    assert await h.ok("clear_connections") == {"removed": 3, "remaining": 0}
    assert bridges_on(h.vboard) == set()
    assert (await h.ok("is_connected", node1=1, node2=2))["connected"] is False


async def test_apply_netlist_dry_run_changes_nothing(divider_mcp: Harness) -> None:
    h = divider_mcp
    await h.ok("connect", node1=1, node2=2)
    plan = await h.ok("apply_netlist", bridges=["3-4", [2, 1], ["GND", "BOTTOM_RAIL"]], dry_run=True)
    assert plan["add"] == [["3", "4"]]
    assert plan["unchanged"] == [["1", "2"]]
    assert plan["remove"] == []
    assert [r["bridge"] for r in plan["refused"]] == [["GND", "BOTTOM_RAIL"]]
    assert plan["dry_run"] and not plan["applied"]
    assert bridges_on(h.vboard) == {frozenset((1, 2))}


async def test_apply_netlist_replaces_in_one_go_and_reads_back(divider_mcp: Harness) -> None:
    h = divider_mcp
    await h.ok("apply_netlist", bridges=[[1, 2], [3, 4]])
    done = await h.ok("apply_netlist", bridges=[[3, 4], [5, 6]], mode="replace")
    assert done["applied"] and done["remove"] == [["1", "2"]] and done["add"] == [["5", "6"]]
    assert bridges_on(h.vboard) == {frozenset((3, 4)), frozenset((5, 6))}
    added = await h.ok("apply_netlist", bridges=[[7, 8]], mode="add")
    assert added["applied"] and bridges_on(h.vboard) == {frozenset((3, 4)), frozenset((5, 6)), frozenset((7, 8))}


async def test_apply_netlist_with_a_refused_bridge_sends_nothing(divider_mcp: Harness) -> None:
    h = divider_mcp
    await h.ok("connect", node1=1, node2=2)
    before = h.vboard.model.netlist.bridges[:]
    error = await h.error("apply_netlist", bridges=[[3, 4], [10, "GND"], [10, "TOP_RAIL"]])
    assert error["kind"] == "refused" and not error["applied"]
    assert [r["bridge"] for r in error["refused"]] == [["10", "TOP_RAIL"]]
    assert h.vboard.model.netlist.bridges == before


async def test_apply_netlist_rolls_back_when_the_board_fails_part_way(tmp_path: Path) -> None:
    """The board refuses a bridge the host could not predict (no free path): the old bridges come back."""
    with VirtualBoard("jumperlos", fs_dir=tmp_path / "fs") as vboard:
        async with serve(vboard) as h:
            await h.ok("apply_netlist", bridges=[[1, 2]])
            vboard.block_path(5, 6)  # the board will keep 5-6 but never route it
            error = await h.error("apply_netlist", bridges=[[3, 4], [5, 6]])
            assert error["kind"] == "netlist_failed" and error["rolled_back"] is True and error["retryable"]
            assert bridges_on(vboard) == {frozenset((1, 2))}


@pytest.mark.parametrize(
    ("tool", "arguments", "parameter"),
    [
        ("connect", {"node1": "Q99", "node2": 1}, "node1"),
        ("connect", {"node1": 1, "node2": True}, "node2"),
        ("connect", {"node1": 1}, "node2"),
        ("connect", {"node1": 1, "node2": 2, "speed": 3}, "speed"),
        ("connect", {"node1": 1, "node2": 2, "duplicates": 9}, "duplicates"),
        ("dac_set", {"channel": "DAC7", "voltage": 1.0}, "channel"),
        ("dac_set", {"channel": "DAC0", "voltage": 8.5}, "voltage"),
        ("dac_set", {"channel": "DAC0", "voltage": "1.0"}, "voltage"),
        ("adc_read", {"channels": [4]}, "channels"),
        ("ina_read", {"sensor": 2}, "sensor"),
        ("measure_node", {"node": "nowhere"}, "node"),
        ("apply_netlist", {"bridges": [[1, 1]]}, "bridges[0]"),
        ("apply_netlist", {"bridges": [["1", "zz"]]}, "bridges[0]"),
        ("apply_netlist", {"bridges": [[1, 2]], "mode": "merge"}, "mode"),
    ],
)
async def test_bad_input_names_the_parameter_and_sends_nothing(
    jos_mcp: Harness, tool: str, arguments: dict, parameter: str
) -> None:
    calls_before = jos_mcp.board.health().calls
    error = await jos_mcp.error(tool, **arguments)
    assert error["kind"] == "invalid_argument"
    assert error["parameter"] == parameter
    assert error["allowed"] and "allowed:" in error["error"]
    assert error["sent_to_board"] is False and error["retryable"] is False
    assert jos_mcp.board.health().calls == calls_before


async def test_configured_voltage_limit_is_in_the_schema_and_enforced(jos_board: VirtualBoard) -> None:
    async with serve(jos_board, max_voltage=3.3, min_voltage=0.0) as h:
        tools = {tool.name: tool for tool in (await h.client.list_tools()).tools}
        voltage = tools["dac_set"].input_schema["properties"]["voltage"]
        assert (voltage["minimum"], voltage["maximum"]) == (0.0, 3.3)
        await h.ok("dac_set", channel="TOP_RAIL", voltage=1.5)
        error = await h.error("dac_set", channel="TOP_RAIL", voltage=5.0)
        assert error["parameter"] == "voltage" and "0 to 3.3 V" in error["allowed"]
        assert jos_board.model.power["top_rail"] == pytest.approx(1.5)
        assert (await h.ok("dac_set", channel="TOP_RAIL", voltage=3.3))["voltage"] == pytest.approx(3.3)


async def test_ina_reads_the_current_through_the_shunt(jos_mcp: Harness, tmp_path: Path) -> None:
    """5 V through ISENSE+ -> 2 ohm shunt -> ISENSE- -> 1k to GND: about 5 mA."""
    parts = tmp_path / "load.toml"
    parts.write_text('[[resistor]]\nbetween = [20, "GND"]\nohms = "1k"\n')
    with VirtualBoard("jumperlos", parts=load_parts(parts), fs_dir=tmp_path / "fs2") as vboard:
        async with serve(vboard) as h:
            await h.ok("apply_netlist", bridges=[["TOP_RAIL", "ISENSE_PLUS"], ["ISENSE_MINUS", 20]])
            await h.ok("dac_set", channel="TOP_RAIL", voltage=5.0)
            reading = await h.ok("ina_read", sensor=0)
            assert reading["current_a"] == pytest.approx(5.0 / 1002, rel=0.02)
            assert reading["power_w"] == pytest.approx(reading["current_a"] * reading["bus_voltage_v"], rel=0.05)
            assert reading["shunt_voltage_v"] == pytest.approx(reading["current_a"] * 2, rel=0.05)


async def test_jumperlos_only_tools_are_not_listed_on_legacy(legacy_mcp: Harness, jos_mcp: Harness) -> None:
    legacy, jos = await legacy_mcp.tool_names(), await jos_mcp.tool_names()
    assert {"get_path_between", "overlay_set"} <= jos - legacy
    assert {"connect", "dac_set", "apply_netlist", "get_netlist"} <= legacy
    error = await legacy_mcp.error("node_voltage", node=1)
    assert error["kind"] == "unavailable" and "JumperlOS" in error["error"]


async def test_node_voltage_and_net_currents_on_upstream_firmware(tmp_path: Path) -> None:
    """H6: on firmware with the net scan, node_voltage reads it, and get_net_current is the firmware's dict."""
    with VirtualBoard("jumperlos-upstream", parts=load_parts(DIVIDER), fs_dir=tmp_path / "fs") as vboard:
        async with serve(vboard) as h:
            assert {"node_voltage"} <= await h.tool_names() and "la_status" not in await h.tool_names()
            await h.ok("apply_netlist", bridges=[["TOP_RAIL", 10], [11, 30]])  # the scan reads routed nodes
            await h.ok("dac_set", channel="TOP_RAIL", voltage=5.0)
            tap = await h.ok("node_voltage", node=11)
            assert tap["node"] == "11" and tap["voltage"] == pytest.approx(2.5, abs=0.05)
            assert (await h.ok("node_voltage", node=25))["voltage"] is None  # not routed: no scan data
            nets = (await h.ok("get_netlist"))["nets"]
            rail = next(net["number"] for net in nets if "10" in net["nodes"])
            current = await h.board.get_net_current(rail)
            assert set(current) == {"current_mA", "voltage", "from_node", "to_node"}
            assert current["current_mA"] == pytest.approx(0.25, abs=0.02)  # 5 V over the 20k divider
            assert await h.board.get_net_current(60) is None
            assert isinstance(await h.board.get_path_current(0), float | None)


async def test_node_voltage_needs_the_firmware_that_has_the_net_scan(jos_mcp: Harness) -> None:
    """get_node_voltage is upstream-only (absent from 5.7.0.13's module table): unlisted there, refused unsent."""
    assert "node_voltage" not in await jos_mcp.tool_names()
    with board_calls(jos_mcp) as sent:
        error = await jos_mcp.error("node_voltage", node=11)
    since = by_name()["get_node_voltage"][0].since
    assert error["kind"] == "unavailable" and f"{since} or later" in error["error"] and "5.7.0.13" in error["error"]
    assert sent == []
    spec = jos_mcp.runner.spec("node_voltage")
    assert (
        spec is not None
        and spec.since == since
        and spec.output_schema()["properties"]["voltage"] == {"type": ["number", "null"]}
    )
