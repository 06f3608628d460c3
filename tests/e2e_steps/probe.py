"""The probe and click wheel with nobody at the board: non-blocking reads, a blocking read that times out and
leaves the board usable, simulated wheel input read back through the wheel status, and a simulated tap."""

from __future__ import annotations

from typing import Any

from e2e_steps import Fails, Step

wheel: dict[str, int] = {}


def _remember_position(result: dict[str, Any]) -> bool:
    wheel["start"] = result["position"]
    return result["initialized"] is True and result["button"] in ("idle", "released")


def _moved(by: int):  # type: ignore[no-untyped-def]
    return lambda r: r["position"] == wheel["start"] + by


STEPS = [
    Step("probe_read", check=lambda r: r == {"pad": "NO_PAD", "row": None, "touched": False, "blocking": False}),
    Step("probe_read", {"blocking": True, "timeout": 1}, Fails("board_timeout")),
    Step("probe_read", {"blocking": False}, lambda r: r["touched"] is False),  # the board answers again
    Step("probe_read", {"blocking": True, "timeout": 0.1}, Fails("invalid_argument", "timeout")),
    Step("probe_button", check=lambda r: r == {"button": "NONE", "pressed": False, "blocking": False}),
    Step("probe_button", {"consume": True}, lambda r: r["button"] == "NONE"),
    Step("probe_switch_position", check=lambda r: r == {"position": "measure", "value": 0}),
    Step("clickwheel_status", check=_remember_position),
    Step("clickwheel_input", {"action": "up", "clicks": 3}, _moved(3)),
    Step("clickwheel_input", {"action": "down"}, _moved(2)),
    Step("clickwheel_status", check=lambda r: r["direction"] == "down" and r["position"] == wheel["start"] + 2),
    Step("clickwheel_input", {"action": "press"}, lambda r: r["action"] == "press" and r["clicks"] == 1),
    Step("clickwheel_status", check=lambda r: r["button"] == "released"),
    Step("clickwheel_input", {"action": "up", "clicks": 101}, Fails("invalid_argument", "clicks")),
    Step("probe_tap", {"node": "D13"}, lambda r: r == {"node": "NANO_D13", "sent": True}),
    Step("probe_tap", {"node": "ROW_99"}, Fails("invalid_argument", "node")),
]
