"""Slots, whole-board state, snapshots and undo: save and switch, refuse to lose unsaved work, set the state,
snapshot and restore, undo a connect. Ends with an empty, saved slot 0."""

from __future__ import annotations

from typing import Any

from e2e_steps import Fails, Step, near


def _has_net(nets: list[dict[str, Any]], members: set[str]) -> bool:
    return any(set(net["nodes"]) == members for net in nets)


STEPS = [
    Step("clear_connections", check=lambda r: r["remaining"] == 0),
    Step("slot_save", check=lambda r: r["slot"] == 0 and r["unsaved_changes"] is False),
    Step("connect", {"node1": 12, "node2": 14}, lambda r: r["ok"]),
    Step("slot_list", check=lambda r: r["current_slot"] == 0 and r["unsaved_changes"] is True),
    Step("slot_switch", {"slot": 1}, Fails("unsaved_changes")),
    Step("slot_save", check=lambda r: r["file"] == "/slots/slot0.yaml" and r["unsaved_changes"] is False),
    Step("slot_list", check=lambda r: r["slots"][0] == {"slot": 0, "saved": True, "bridges": 1, "current": True}),
    Step("slot_switch", {"slot": 1}, lambda r: r["slot"] == 1 and r["previous"] == 0 and r["count"] == 0),
    Step("slot_switch", {"slot": 0}, lambda r: r["slot"] == 0 and r["bridges"] == [["12", "14"]]),
    Step("slot_switch", {"slot": 9}, Fails("invalid_argument", "slot")),
    Step("connect", {"node1": 20, "node2": 21}, lambda r: r["ok"]),
    Step("slot_discard", check=lambda r: r["bridges"] == [["12", "14"]] and r["unsaved_changes"] is False),
    Step("state_get", check=lambda r: any({"12", "14"} <= set(net["nodes"]) for net in r["nets"])),
    Step(
        "state_set",
        {"state": {"nets": [{"nodes": ["20", "21", "22"]}], "power": {"dac0": 1.0}}},
        lambda r: r["matches"] and near(r["state"]["power"]["dac0"], 1.0),
    ),
    Step(
        "get_netlist",
        check=lambda r: _has_net(r["nets"], {"20", "21", "22"}) and not any("12" in n["nodes"] for n in r["nets"]),
    ),
    Step("state_set", {"state": "{not json"}, Fails("invalid_argument", "state")),
    Step("snapshot_restore", check=Fails("invalid_argument", "name")),  # nothing saved yet
    Step("snapshot_save", {"name": "bad name!"}, Fails("invalid_argument", "name")),
    Step("snapshot_save", check=lambda r: r["name"] == "default" and r["nets"] == [["20", "21", "22"]]),
    Step("snapshot_save", {"name": "e2e.slots"}, lambda r: r["replaced"] is False and r["family"] == "jumperlos"),
    Step("snapshot_list", check=lambda r: [s["name"] for s in r["snapshots"]] == ["default", "e2e.slots"]),
    Step("clear_connections", check=lambda r: r["remaining"] == 0),
    Step("dac_set", {"channel": "DAC0", "voltage": 0.0}, lambda r: near(r["voltage"], 0.0)),
    Step("snapshot_restore", {"name": "e2e.slots"}, lambda r: r["matches"] and r["nets"] == [["20", "21", "22"]]),
    Step("dac_get", {"channel": "DAC0"}, lambda r: near(r["voltage"], 1.0)),
    Step("connect", {"node1": 30, "node2": 31}, lambda r: r["ok"]),
    Step("history", check=lambda r: r["entries"][-1]["current"] and r["entries"][-1]["label"] == "connect 30-31"),
    Step("undo", check=lambda r: r["moved"] is True),
    Step("is_connected", {"node1": 30, "node2": 31}, lambda r: r["connected"] is False),
    Step("redo", check=lambda r: r["moved"] is True and r["label"] == "connect 30-31"),
    Step("is_connected", {"node1": 30, "node2": 31}, lambda r: r["connected"] is True),
    # leave an empty board, saved, with the DACs at 0 V
    Step("clear_connections", check=lambda r: r["remaining"] == 0),
    Step("dac_set", {"channel": "DAC0", "voltage": 0.0}, lambda r: near(r["voltage"], 0.0)),
    Step("slot_save", check=lambda r: r["unsaved_changes"] is False),
]
