"""Slots, state, snapshots and undo history tools, in process on both personas, checked on the virtual board."""

from __future__ import annotations

import json

import pytest
from mcp_harness import Harness

from firmware_api import nodes

JOS_ONLY = {"state_get", "state_set", "undo", "redo", "history"}
BOTH = {"slot_list", "slot_switch", "slot_save", "slot_discard", "snapshot_save", "snapshot_restore", "snapshot_list"}


def bridges(h: Harness) -> set[tuple[int, int]]:
    """The bridges in the virtual board's RAM (what the crossbars hold)."""
    with h.vboard.model.lock:
        return {tuple(sorted((br.a, br.b))) for br in h.vboard.model.netlist.bridges}  # type: ignore[misc]


def saved_bridges(h: Harness, slot: int) -> set[tuple[int, int]]:
    with h.vboard.model.lock:
        return {tuple(sorted((br.a, br.b))) for br in h.vboard.model.slots[slot].bridges}  # type: ignore[misc]


# --- listing -----------------------------------------------------------------------------------------


async def test_tools_listed_per_family(jos_mcp: Harness, legacy_mcp: Harness) -> None:
    jos, legacy = await jos_mcp.tool_names(), await legacy_mcp.tool_names()
    assert jos >= JOS_ONLY | BOTH
    assert legacy >= BOTH
    assert not JOS_ONLY & legacy
    error = await legacy_mcp.error("state_get")
    assert error["kind"] == "unavailable"


async def test_annotations(jos_mcp: Harness) -> None:
    tools = {tool.name: tool for tool in (await jos_mcp.client.list_tools()).tools}
    for name in ("slot_list", "state_get", "snapshot_list", "history", "snapshot_save"):
        assert tools[name].annotations.read_only_hint is True, name
    for name in ("slot_switch", "slot_save", "slot_discard", "state_set", "snapshot_restore"):
        assert tools[name].annotations.read_only_hint is False, name
        assert tools[name].annotations.destructive_hint is True, name
    assert tools["undo"].annotations.destructive_hint is False
    assert tools["undo"].annotations.idempotent_hint is False
    assert tools["slot_switch"].input_schema["properties"]["slot"]["maximum"] == 7


# --- slots -----------------------------------------------------------------------------------------


async def test_slot_list_fresh(jos_mcp: Harness, legacy_mcp: Harness) -> None:
    for h in (jos_mcp, legacy_mcp):
        result = await h.ok("slot_list")
        assert result["current_slot"] == 0 and result["unsaved_changes"] is False
        assert [s["slot"] for s in result["slots"]] == list(range(8))
        assert not any(s["saved"] for s in result["slots"])
        assert [s["current"] for s in result["slots"]] == [True] + [False] * 7


async def test_save_switch_away_and_back_jumperlos(jos_mcp: Harness) -> None:
    h = jos_mcp
    await h.ok("connect", node1=12, node2=14)
    listed = await h.ok("slot_list")
    assert listed["unsaved_changes"] is True and listed["slots"][0]["saved"] is False
    saved = await h.ok("slot_save")
    assert saved == {"slot": 0, "current_slot": 0, "unsaved_changes": False, "file": "/slots/slot0.yaml"}
    assert (h.vboard.model.fs_root / "slots" / "slot0.yaml").is_file()
    assert saved_bridges(h, 0) == {(12, 14)}
    listed = await h.ok("slot_list")
    assert listed["slots"][0] == {"slot": 0, "saved": True, "bridges": 1, "current": True}

    switched = await h.ok("slot_switch", slot=1)
    assert switched == {"slot": 1, "previous": 0, "left_unsaved_changes": False, "bridges": [], "count": 0}
    assert h.vboard.model.current_slot == 1 and bridges(h) == set()
    await h.ok("connect", node1=20, node2=21)
    await h.ok("slot_save")
    back = await h.ok("slot_switch", slot=0)
    assert back["slot"] == 0 and back["previous"] == 1
    assert back["bridges"] == [["12", "14"]] and bridges(h) == {(12, 14)}
    assert (await h.ok("is_connected", node1=12, node2=14))["connected"] is True
    listed = await h.ok("slot_list")
    assert [s["bridges"] for s in listed["slots"][:3]] == [1, 1, None]


async def test_save_switch_away_and_back_legacy(legacy_mcp: Harness) -> None:
    h = legacy_mcp
    await h.ok("connect", node1=12, node2=14)  # 5.3.x connect saves to the slot file at once
    listed = await h.ok("slot_list")
    assert listed["slots"][0] == {"slot": 0, "saved": True, "bridges": 1, "current": True}
    assert (await h.ok("slot_save"))["file"] == "/nodeFileSlot0.txt"
    switched = await h.ok("slot_switch", slot=2)
    assert switched["count"] == 0 and h.vboard.model.current_slot == 2 and bridges(h) == set()
    back = await h.ok("slot_switch", slot=0)
    assert back["bridges"] == [["12", "14"]] and bridges(h) == {(12, 14)}


async def test_slot_switch_refuses_to_lose_unsaved_changes(jos_mcp: Harness) -> None:
    h = jos_mcp
    await h.ok("connect", node1=30, node2=31)
    error = await h.error("slot_switch", slot=1)
    assert error["kind"] == "unsaved_changes" and "slot_save" in error["error"]
    assert h.vboard.model.current_slot == 0 and bridges(h) == {(30, 31)}
    result = await h.ok("slot_switch", slot=1, force=True)
    assert result["left_unsaved_changes"] is True and h.vboard.model.current_slot == 1 and bridges(h) == set()


async def test_slot_save_to_another_slot(jos_mcp: Harness) -> None:
    h = jos_mcp
    await h.ok("connect", node1=40, node2=41)
    result = await h.ok("slot_save", slot=3)
    assert result["slot"] == 3 and result["current_slot"] == 0 and result["file"] == "/slots/slot3.yaml"
    assert saved_bridges(h, 3) == {(40, 41)} and h.vboard.model.current_slot == 0
    assert (h.vboard.model.fs_root / "slots" / "slot3.yaml").is_file()


async def test_slot_out_of_range(jos_mcp: Harness, legacy_mcp: Harness) -> None:
    for h in (jos_mcp, legacy_mcp):
        for tool in ("slot_switch", "slot_save"):
            for bad in (9, -1, 8):
                error = await h.error(tool, slot=bad)
                assert error["kind"] == "invalid_argument" and error["parameter"] == "slot", (tool, bad, error)
                assert error["sent_to_board"] is False
        assert h.vboard.model.current_slot == 0


async def test_slot_save_refused_while_core2_paused(jos_mcp: Harness) -> None:
    h = jos_mcp
    await h.ok("connect", node1=12, node2=14)
    h.runner.context.memory.core2_paused = True
    error = await h.error("slot_save")
    assert error["kind"] == "core2_paused" and "deadlock" in error["error"] and error["retryable"] is False
    assert not (h.vboard.model.fs_root / "slots" / "slot0.yaml").exists()
    assert saved_bridges(h, 0) == set()
    h.runner.context.memory.core2_paused = False
    assert (await h.ok("slot_save"))["unsaved_changes"] is False
    assert saved_bridges(h, 0) == {(12, 14)}


async def test_slot_discard(jos_mcp: Harness) -> None:
    h = jos_mcp
    await h.ok("connect", node1=12, node2=14)
    await h.ok("slot_save")
    await h.ok("slot_switch", slot=1)
    await h.ok("slot_switch", slot=0)  # loading the slot records the state slot_discard goes back to
    await h.ok("connect", node1=50, node2=51)
    await h.ok("dac_set", channel="DAC0", voltage=1.0)
    assert (await h.ok("slot_list"))["unsaved_changes"] is True
    # switching to the slot already loaded is a no-op, so it is not refused
    assert (await h.ok("slot_switch", slot=0))["left_unsaved_changes"] is False
    assert bridges(h) == {(12, 14), (50, 51)}
    result = await h.ok("slot_discard")
    assert result == {"unsaved_changes": False, "bridges": [["12", "14"]], "count": 1}
    assert bridges(h) == {(12, 14)}
    assert h.vboard.model.power["dac0"] == 0.0


# --- state (JumperlOS) ------------------------------------------------------------------------------


async def test_state_get(jos_mcp: Harness) -> None:
    h = jos_mcp
    await h.ok("connect", node1="TOP_RAIL", node2=10)
    await h.ok("dac_set", channel="DAC1", voltage=1.25)
    state = await h.ok("state_get")
    assert set(state) == {"power", "nets", "gpio", "overlays"}
    assert state["power"]["dac1"] == pytest.approx(1.25)
    rail = next(net for net in state["nets"] if "10" in net["nodes"])
    assert {nodes.resolve_node(name) for name in rail["nodes"]} == {nodes.TOP_RAIL, 10}
    assert rail["voltage"] == pytest.approx(3.3)
    assert len(state["gpio"]) == 10


async def test_state_set_then_netlist_shows_the_nets(jos_mcp: Harness) -> None:
    h = jos_mcp
    await h.ok("connect", node1=12, node2=14)
    document = {"nets": [{"nodes": ["20", "21", "22"]}, {"nodes": ["TOP_R", "30"]}], "power": {"dac0": 1.5}}
    result = await h.ok("state_set", state=document)
    assert result["matches"] is True and result["differences"] == []
    assert result["state"]["power"]["dac0"] == pytest.approx(1.5)
    nets = (await h.ok("get_netlist"))["nets"]
    assert any(set(net["nodes"]) == {"20", "21", "22"} for net in nets)
    assert any(set(net["nodes"]) == {"TOP_RAIL", "30"} for net in nets)
    assert not any("12" in net["nodes"] for net in nets)  # clear_first removed the old bridge
    assert bridges(h) >= {(20, 21), (21, 22), (30, nodes.TOP_RAIL)} and (12, 14) not in bridges(h)
    assert h.vboard.model.power["dac0"] == pytest.approx(1.5)

    text = json.dumps({"nets": [{"nodes": ["40", "41"]}]})
    result = await h.ok("state_set", state=text, clear_first=False)
    assert result["matches"] is True
    assert (40, 41) in bridges(h) and (20, 21) in bridges(h)


async def test_state_set_reports_what_the_firmware_dropped(jos_mcp: Harness) -> None:
    h = jos_mcp
    result = await h.ok("state_set", state={"nets": [{"nodes": ["GND", "TOP_R"]}, {"nodes": ["5", "6"]}]})
    assert result["matches"] is False
    assert result["differences"] == ["net GND, TOP_RAIL is missing"]
    assert bridges(h) == {(5, 6)}


async def test_state_set_bad_documents(jos_mcp: Harness) -> None:
    h = jos_mcp
    await h.ok("connect", node1=12, node2=14)
    for bad in ("{not json", "[1, 2]", {"wires": []}, 5):
        error = await h.error("state_set", state=bad)
        assert error["kind"] == "invalid_argument" and error["parameter"] == "state", (bad, error)
    error = await h.error("state_set", state={"power": {"dac0": 20.0}})
    assert error["kind"] == "refused"
    assert bridges(h) == {(12, 14)} and h.vboard.model.power["dac0"] == 0.0


# --- snapshots -------------------------------------------------------------------------------------


async def test_snapshot_round_trip_jumperlos(jos_mcp: Harness) -> None:
    h = jos_mcp
    await h.ok("connect", node1=12, node2=14)
    await h.ok("connect", node1="TOP_RAIL", node2=10)
    await h.ok("dac_set", channel="DAC1", voltage=2.0)
    saved = await h.ok("snapshot_save", name="exp")
    assert saved["replaced"] is False and saved["family"] == "jumperlos"
    assert saved["nets"] == [["10", "TOP_RAIL"], ["12", "14"]]
    assert saved["power"]["DAC1"] == pytest.approx(2.0)

    await h.ok("clear_connections")
    await h.ok("connect", node1=30, node2=31)
    await h.ok("dac_set", channel="DAC1", voltage=0.0)
    assert bridges(h) == {(30, 31)}
    restored = await h.ok("snapshot_restore", name="exp")
    assert restored["matches"] is True and restored["differences"] == []
    assert restored["nets"] == [["10", "TOP_RAIL"], ["12", "14"]]
    assert bridges(h) == {(12, 14), (10, nodes.TOP_RAIL)}
    assert h.vboard.model.power["dac1"] == pytest.approx(2.0)
    assert (await h.ok("is_connected", node1=30, node2=31))["connected"] is False


async def test_snapshot_round_trip_legacy(legacy_mcp: Harness) -> None:
    h = legacy_mcp
    await h.ok("connect", node1=12, node2=14)
    await h.ok("connect", node1=15, node2=16)
    await h.ok("dac_set", channel="TOP_RAIL", voltage=5.0)
    saved = await h.ok("snapshot_save")
    assert saved["name"] == "default" and saved["family"] == "legacy"
    assert saved["nets"] == [["12", "14"], ["15", "16"]] and saved["power"]["TOP_RAIL"] == pytest.approx(5.0)

    await h.ok("disconnect", node1=15, node2=16)
    await h.ok("connect", node1=30, node2=31)
    await h.ok("dac_set", channel="TOP_RAIL", voltage=3.3)
    restored = await h.ok("snapshot_restore")
    assert restored["matches"] is True, restored
    assert saved_bridges(h, 0) == {(12, 14), (15, 16)}  # the slot file, which 5.3.x is_connected reads
    assert bridges(h) == {(12, 14), (15, 16)}
    assert h.vboard.model.power["top_rail"] == pytest.approx(5.0)


async def test_snapshot_errors_and_list(jos_mcp: Harness) -> None:
    h = jos_mcp
    error = await h.error("snapshot_restore", name="nothing")
    assert error["kind"] == "invalid_argument" and error["parameter"] == "name"
    assert "none saved yet" in error["allowed"]
    await h.ok("connect", node1=12, node2=14)
    await h.ok("snapshot_save", name="a")
    await h.ok("snapshot_save", name="b")
    assert (await h.ok("snapshot_save", name="a"))["replaced"] is True
    error = await h.error("snapshot_restore", name="c")
    assert error["kind"] == "invalid_argument" and error["allowed"] == "a, b"
    error = await h.error("snapshot_save", name="bad name!")
    assert error["kind"] == "invalid_argument" and error["parameter"] == "name"
    listed = await h.ok("snapshot_list")
    assert [s["name"] for s in listed["snapshots"]] == ["a", "b"]
    assert listed["snapshots"][0]["nets"] == [["12", "14"]]
    assert bridges(h) == {(12, 14)}  # nothing above changed the board


# --- undo history (JumperlOS) -----------------------------------------------------------------------


async def test_undo_removes_the_last_connect_and_redo_puts_it_back(jos_mcp: Harness) -> None:
    h = jos_mcp
    await h.ok("connect", node1=12, node2=14)
    await h.ok("connect", node1=15, node2=16)
    before = await h.ok("history")
    assert before["entries"][-1] == {"position": before["position"], "label": "connect 15-16", "current": True}
    undone = await h.ok("undo")
    assert undone["moved"] is True and undone["position"] == before["position"] - 1
    assert undone["size"] == before["size"] and undone["label"] == "connect 12-14"
    assert bridges(h) == {(12, 14)}
    redone = await h.ok("redo")
    assert redone["moved"] is True and redone["position"] == before["position"]
    assert bridges(h) == {(12, 14), (15, 16)}
    assert (await h.ok("redo"))["moved"] is False


async def test_undo_at_the_start_does_not_move(jos_mcp: Harness) -> None:
    h = jos_mcp
    start = await h.ok("history", around=0)
    assert start["position"] == 0 and start["entries"] == [{"position": 0, "label": "boot", "current": True}]
    assert (await h.ok("undo")) == {"moved": False, "position": 0, "size": start["size"], "label": "boot"}


async def test_history_window(jos_mcp: Harness) -> None:
    h = jos_mcp
    for row in range(1, 9):
        await h.ok("connect", node1=row, node2=row + 30)
    for _ in range(3):
        await h.ok("undo")
    result = await h.ok("history", around=2)
    assert result["size"] == 9 and result["position"] == 5
    assert [e["position"] for e in result["entries"]] == [3, 4, 5, 6, 7]
    assert [e["label"] for e in result["entries"]] == [f"connect {r}-{r + 30}" for r in (3, 4, 5, 6, 7)]
    assert [e["current"] for e in result["entries"]] == [False, False, True, False, False]
    error = await h.error("history", around=21)
    assert error["parameter"] == "around"


async def test_snapshot_from_other_firmware_is_refused(jos_mcp: Harness) -> None:
    h = jos_mcp
    await h.ok("connect", node1=12, node2=14)
    power = {"DAC0": 0.0, "DAC1": 0.0, "TOP_RAIL": 3.3, "BOTTOM_RAIL": 0.0}
    h.runner.context.memory.snapshots["old"] = {"family": "legacy", "bridges": [[20, 21]], "power": power}
    error = await h.error("snapshot_restore", name="old")
    assert error["kind"] == "incompatible_snapshot" and "legacy" in error["error"]
    assert bridges(h) == {(12, 14)}
    listed = await h.ok("snapshot_list")
    assert listed["snapshots"] == [{"name": "old", "family": "legacy", "nets": [["20", "21"]], "power": power}]
