"""build_circuit through `Board`, MCP (the SDK client) and discovery mode, with a scripted person at the bench."""

from __future__ import annotations

from typing import Any

import pytest
from bench_person import Person
from mcp_harness import Harness, serve

from jumperless_mcp.bench.board import Board
from jumperless_mcp.emulator import VirtualBoard

DEFERRED = {"x-deferred-tools": {}}
NETLIST = {"VCC": ["TOP_RAIL", "R1.1"], "MID": ["R1.2", "R2.1", "ADC0"], "GND": ["GND", "R2.2"]}
PARTS = [{"name": "R1", "kind": "resistor", "value": "10k"}, {"name": "R2", "kind": "resistor", "value": "4.7k"}]
PEOPLE = {"R1": ("resistor", (1, 3), "10k"), "R2": ("resistor", (3, 5), "4.7k")}  # where the plan puts them
MIDPOINT = 3.3 * 4.7 / 14.7


async def _adc(board: Board, channel: int) -> float:
    return float(await board.adc_get(channel))


@pytest.mark.parametrize("persona", ["jumperlos", "legacy"])
async def test_divider_is_guided_checked_bridged_and_powered_last(make_board, persona: str) -> None:  # type: ignore[no-untyped-def]
    vb: VirtualBoard = make_board(persona=persona)
    async with Board(vb.info()) as board:
        with Person(vb, dict(PEOPLE)) as person:
            # 5.3.x: each measurement costs ~2 s of `>` round trips, so there only the safe-check measures
            verify = persona == "jumperlos"
            result = await board.build_circuit(NETLIST, PARTS, supplies={"TOP_RAIL": 3.3}, verify=verify)
        assert result.status == "powered", result.reason
        assert set(person.seen) == {"R1", "R2"}
        assert [g.status for g in result.guided] == ["confirmed", "confirmed"]
        if verify:
            assert result.guided[1].verification is not None and result.guided[1].verification.status == "ok"
        assert result.zeroed == ["TOP_RAIL"] and result.powered == {"TOP_RAIL": 3.3}
        assert result.bridged == [("3", "ADC0"), ("1", "TOP_RAIL"), ("5", "GND")]
        (check,) = result.checks
        assert check.passed and (check.net_a, check.net_b, check.rows) == ("VCC", "GND", (1, 5))
        assert result.readings["MID"] == pytest.approx(MIDPOINT, rel=0.02)
        assert await _adc(board, 0) == pytest.approx(MIDPOINT, rel=0.02)  # measured again by hand


async def test_a_misplaced_low_part_is_refused_by_the_measured_safe_check(jos_board: VirtualBoard) -> None:
    """R2 ends up as 10 ohm from the VCC row straight to the GND row: its own check (rows 3-5 read R1 in
    series, 10 k) passes, the safe-check between VCC and GND reads 10 ohm and refuses; the rail stays at 0 V."""
    people = {"R1": ("resistor", (1, 3), "10k"), "R2": ("resistor", (1, 5), "10")}
    parts = [{"name": "R1", "kind": "resistor", "value": "10k"}, {"name": "R2", "kind": "resistor", "value": "10k"}]
    netlist = {"VCC": ["TOP_RAIL", "R1.1"], "MID": ["R1.2", "R2.1", "ADC0"], "GND": ["GND", "R2.2"]}
    async with Board(jos_board.info()) as board:
        with Person(jos_board, people):
            result = await board.build_circuit(netlist, parts, supplies={"TOP_RAIL": 5.0})
        assert result.status == "refused" and "safe-check" in result.reason and "nothing was energised" in result.reason
        (check,) = result.checks
        assert not check.passed and check.ohms == pytest.approx(10, rel=0.1)
        assert result.powered == {} and result.bridged == [("3", "ADC0")]  # no supply bridged
        assert jos_board.model.power["top_rail"] == 0.0 and await board.dac_get(2) == 0.0
        assert await _adc(board, 0) == pytest.approx(0.0, abs=0.01)


@pytest.mark.parametrize("value", ["10", "0"])
async def test_a_netlist_that_shorts_the_rail_is_refused_before_anything(jos_board: VirtualBoard, value: str) -> None:
    parts = [{"name": "R1", "kind": "resistor", "value": value}]
    async with Board(jos_board.info()) as board:
        await board.dac_set(2, 0.0)
        before = jos_board.bytes_written("repl")
        result = await board.build_circuit(
            {"VCC": ["TOP_RAIL", "R1.1"], "GND": ["GND", "R1.2"]}, parts, supplies={"TOP_RAIL": 3.3}
        )
        assert jos_board.bytes_written("repl") == before  # refused before anything was sent
        assert result.status == "refused" and f"R1 ({value} ohm)" in result.reason
        (check,) = result.checks
        assert not check.passed and (check.net_a, check.net_b, check.ohms) == ("VCC", "GND", float(value))
        assert result.guided == [] and result.bridged == [] and result.powered == {} and result.zeroed == []
        assert jos_board.oled_text() == "" and jos_board.model.netlist.bridges == []
        assert await board.dac_get(2) == 0.0


async def test_a_part_nobody_places_stops_the_build(jos_board: VirtualBoard) -> None:
    async with Board(jos_board.info()) as board:
        with Person(jos_board, {"R1": PEOPLE["R1"]}):  # R2 never comes
            result = await board.build_circuit(NETLIST, PARTS, supplies={"TOP_RAIL": 3.3}, part_timeout=1)
    assert result.status == "stopped" and "R2 was not placed (timeout)" in result.reason
    assert [g.status for g in result.guided] == ["confirmed", "timeout"] and result.guided[1].cleared
    assert result.bridged == [] and result.powered == {} and jos_board.model.power["top_rail"] == 0.0
    assert jos_board.oled_text() == "" and jos_board.model.overlays == []


async def test_mcp_build_with_progress_and_power_off(jos_mcp: Harness) -> None:
    seen: list[tuple[float, float | None, str | None]] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        seen.append((progress, total, message))

    arguments = {"netlist": NETLIST, "parts": PARTS, "supplies": {"TOP_RAIL": 3.3}, "power": False}
    with Person(jos_mcp.vboard, dict(PEOPLE), delay=1.3):
        result = await jos_mcp.client.call_tool("build_circuit", arguments, progress_callback=on_progress)
    assert not result.is_error, result.content
    data: dict[str, Any] = result.structured_content  # type: ignore[assignment]
    assert data["status"] == "ready" and data["powered"] == {} and data["readings"] == {}
    assert data["plan"][0] == {"part": "R1", "kind": "resistor", "value": "10k", "rows": {"1": 1, "2": 3}}
    assert [c["passed"] for c in data["checks"]] == [True]
    assert len(seen) >= 2 and [p for p, _, _ in seen] == sorted(p for p, _, _ in seen)
    assert "build_circuit" in (seen[0][2] or "")
    assert "build: ready" in result.content[0].text  # type: ignore[union-attr]
    assert jos_mcp.vboard.model.power["top_rail"] == 0.0


async def test_mcp_errors_name_the_parameter(jos_mcp: Harness) -> None:
    error = await jos_mcp.error("build_circuit", netlist={"A": ["R9.1"]}, parts=PARTS)
    assert error["kind"] == "invalid_argument" and "R9" in error["error"]
    error = await jos_mcp.error("build_circuit", netlist=NETLIST, parts=PARTS, supplies={"TOP_RAIL": 12})
    assert error["kind"] == "invalid_argument" and "supplies" in error["error"]
    error = await jos_mcp.error("guide_place", kind="resistor", rows=[4, 4])
    assert error["kind"] == "invalid_argument" and "rows" in error["error"]


async def test_guide_place_times_out_cleanly_through_mcp(jos_mcp: Harness) -> None:
    data = await jos_mcp.ok("guide_place", kind="dip8", rows=[10], name="U1", value="LM358", timeout=1)
    assert data["status"] == "timeout" and data["cleared"] is True and data["rows"]["8"] == 40
    assert jos_mcp.vboard.oled_text() == "" and jos_mcp.vboard.model.overlays == []


async def test_done_when_through_tools_call_in_discovery_mode(jos_board: VirtualBoard) -> None:
    async with serve(jos_board, experimental=DEFERRED) as discovery:
        arguments = {"netlist": NETLIST, "parts": PARTS, "supplies": {"TOP_RAIL": 3.3}}
        with Person(jos_board, dict(PEOPLE)):
            via = await discovery.result("tools_call", name="build_circuit", arguments=arguments)
        assert not via.is_error, via.content[0].text  # type: ignore[union-attr]
        data: dict[str, Any] = via.structured_content  # type: ignore[assignment]
        assert data["status"] == "powered" and data["readings"]["MID"] == pytest.approx(MIDPOINT, rel=0.02)
        with Person(jos_board, {"R5": ("resistor", (20, 24), "1k")}):
            guided = await discovery.result(
                "tools_call", name="guide_place", arguments={"kind": "resistor", "rows": [20, 24], "name": "R5"}
            )
        assert not guided.is_error and guided.structured_content["status"] == "confirmed"  # type: ignore[index]


async def test_a_person_declining_the_power_up_stops_the_build_before_anything(jos_board: VirtualBoard) -> None:
    from test_confirm import Person as Asked
    from test_confirm import bench, declined

    asked = Asked(action="decline")
    async with bench(jos_board, "legacy", asked) as b:
        before = jos_board.bytes_written("repl")
        arguments = {"netlist": NETLIST, "parts": PARTS, "supplies": {"TOP_RAIL": 6.0}}
        details = declined(await b.call("build_circuit", **arguments))
        assert "set TOP_RAIL to 6 V" in details["action"] and jos_board.bytes_written("repl") == before
        quiet = await b.call("build_circuit", **arguments | {"supplies": {"TOP_RAIL": 3.3}, "parts": PARTS[:1]})
        assert quiet.is_error and len(asked.asked) == 1  # below the threshold nobody is asked (R2 is missing)
