"""Guided placement and building with nobody at the bench: a guide that times out and cleans up, a netlist whose
part shorts the rail refused before anything is sent, and bad input refused naming the parameter."""

from __future__ import annotations

from e2e_steps import Fails, Step

SHORTED = {
    "netlist": {"VCC": ["TOP_RAIL", "RS.1"], "GND": ["GND", "RS.2"]},
    "parts": [{"name": "RS", "kind": "resistor", "value": "10"}],
    "supplies": {"TOP_RAIL": 3.3},
}


def _refused(result: dict) -> bool:
    return (
        result["status"] == "refused"
        and "RS (10 ohm)" in result["reason"]
        and result["powered"] == {}
        and result["bridged"] == []
        and [c["passed"] for c in result["checks"]] == [False]
    )


STEPS = [
    Step(
        "guide_place",
        {"kind": "resistor", "rows": [40, 44], "name": "RG", "value": "1k", "timeout": 1},
        lambda r: r["status"] == "timeout" and r["cleared"] is True and r["rows"] == {"1": 40, "2": 44},
    ),
    Step("guide_place", {"kind": "resistor", "rows": [40, 40]}, Fails("invalid_argument", "rows")),
    Step("build_circuit", SHORTED, _refused),
    Step("build_circuit", {**SHORTED, "supplies": {}}, Fails("invalid_argument", "supplies")),
]
