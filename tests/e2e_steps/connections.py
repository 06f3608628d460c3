"""Wire the divider (examples/divider.toml: 10k 10-11, 10k 11-GND), check nets and bridges, netlist apply."""

from __future__ import annotations

from e2e_steps import Fails, Step

STEPS = [
    Step("clear_connections", check=lambda r: r["remaining"] == 0),
    Step("connect", {"node1": "TOP_RAIL", "node2": 10}, lambda r: r["ok"] and r["connected"]),
    Step("connect", {"node1": 11, "node2": "ADC0"}, lambda r: r["ok"]),
    Step("connect", {"node1": "GND", "node2": "TOP_RAIL"}, Fails("forbidden_connection", "node2")),
    Step("is_connected", {"node1": "ADC0", "node2": 11}, lambda r: r["connected"] is True),
    Step(
        "get_netlist",
        check=lambda r: (
            any(set(n["nodes"]) == {"10", "TOP_RAIL"} for n in r["nets"])
            and any(set(n["nodes"]) == {"11", "ADC0"} for n in r["nets"])
        ),
    ),
    Step("get_bridges", check=lambda r: r["count"] == 2),
    Step(
        "apply_netlist",
        {"bridges": [["TOP_RAIL", 10], [11, "ADC0"], "D13-20"], "mode": "replace", "dry_run": True},
        lambda r: r["add"] == [["20", "NANO_D13"]] and r["remove"] == [] and not r["applied"],
    ),
    Step("apply_netlist", {"bridges": [["TOP_RAIL", 10], [11, "ADC0"], "D13-20"]}, lambda r: r["applied"]),
    Step("get_path_between", {"node1": "D13", "node2": 20}, lambda r: r["path"]["net"] >= 6),
    Step("disconnect", {"node1": "D13", "node2": 20}, lambda r: r["ok"] and not r["connected"]),
    Step("disconnect", {"node1": 20}, lambda r: r["removed_all"] and r["ok"]),
]
