"""Colour and name a net, draw, move, list and clear overlays (JumperlOS)."""

from __future__ import annotations

from e2e_steps import Fails, Step


def _net6(result: dict) -> dict:
    return next(net for net in result["nets"] if net["number"] == 6)


BOX = {"name": "e2e box", "x": 3, "y": 2, "width": 2, "height": 3}

STEPS = [
    Step("clear_connections", check=lambda r: r["remaining"] == 0),
    Step("connect", {"node1": 40, "node2": 41}, lambda r: r["ok"]),
    Step("get_netlist", check=lambda r: set(_net6(r)["nodes"]) == {"40", "41"}),
    Step("net_set_color", {"net": 6, "color": "#12ab34"}, lambda r: r["color"] == "#12AB34"),
    Step("net_set_color", {"net": 6, "color": "#12G456"}, Fails("invalid_argument", "color")),
    Step("net_set_name", {"net": 6, "name": 'e2e "net"'}, lambda r: r["name"] == 'e2e "net"'),
    Step("net_set_name", {"net": 6, "name": "bad\\name"}, Fails("invalid_argument", "name")),
    Step("get_netlist", check=lambda r: _net6(r)["name"] == 'e2e "net"' and _net6(r)["color"] == "#12ab34"),
    Step("overlay_set", BOX | {"colors": [1, 2, 3, 4, 5, "#FFFFFF"]}, lambda r: r["index"] >= 0 and r["overlays"] == 1),
    Step("overlay_set", BOX | {"colors": [1, 2, 3]}, Fails("invalid_argument", "colors")),
    Step("overlay_set_pixel", {"x": 30, "y": 10, "color": "#FF0000"}, lambda r: r["overlays"] == 2),
    Step("overlay_move", {"name": "e2e box", "x": 10, "y": 5}, lambda r: r["moved"]),
    Step("overlay_move", {"name": "no such overlay", "x": 1, "y": 1}, Fails("not_found")),
    Step("overlay_list", check=lambda r: r["count"] == 2 and "e2e box" in r["serialized"]),
    Step("overlay_clear", {"name": "e2e box"}, lambda r: r["removed"] == 1 and r["remaining"] == 1),
    Step("overlay_clear", check=lambda r: r["remaining"] == 0),
    Step("disconnect", {"node1": 40}, lambda r: r["ok"]),
]
