"""Slot files on the board's filesystem, in each family's format (protocol §6).

5.3.x keeps `/nodeFileSlotN.txt` (`{ 1-5,3-83, } `); JumperlOS keeps
`/slots/slotN.yaml`. Files are written on save and read back at boot, so a
virtual board keeps its slots across runs when given the same directory.
The board hands over what a file holds (its netlist, voltages, net colours);
this module never sees the board itself.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from firmware_api.versions import Family
from jumperless_mcp.emulator.routing import Bridge, Netlist

_PAIR = re.compile(r"(\d+)\s*-\s*(\d+)")
_YAML_BRIDGE = re.compile(r"\{n1:\s*(\d+),\s*n2:\s*(\d+),\s*dup:\s*(-?\d+)\}")
_YAML_POWER = re.compile(r"^power:\s*\{(.*)\}\s*$", re.MULTILINE)
_YAML_POWER_KEYS = {"topRail": "top_rail", "bottomRail": "bottom_rail", "dac0": "dac0", "dac1": "dac1"}


@dataclass
class SlotState:
    """One slot's content, as the board keeps it (slots, undo history) and its file holds it."""

    bridges: list[Bridge] = field(default_factory=list)
    power: dict[str, float] | None = None  # JumperlOS keeps rail and DAC voltages per slot


@dataclass(frozen=True)
class SlotFiles:
    """The slot files of one board: its family's format, under its filesystem's root."""

    family: Family
    fs_root: Path

    def path_for(self, slot: int) -> Path:
        if self.family is Family.LEGACY:
            return self.fs_root / f"nodeFileSlot{slot}.txt"
        return self.fs_root / "slots" / f"slot{slot}.yaml"

    def save(
        self,
        slot: int,
        netlist: Netlist,
        power: Mapping[str, float],
        net_color: Callable[[int], tuple[int, str]],
    ) -> None:
        """Write the netlist's bridges; JumperlOS also writes its user nets (coloured by net_color) and power."""
        path = self.path_for(slot)
        path.parent.mkdir(parents=True, exist_ok=True)
        if self.family is Family.LEGACY:
            pairs = "".join(f"{br.a}-{br.b}," for br in netlist.bridges)
            path.write_text(f"{{ {pairs} }} " if pairs else "{} ", encoding="ascii")
            return
        lines = ["version: 2", "sourceOfTruth: bridges", "bridges:"]
        lines += [f"  - {{n1: {br.a}, n2: {br.b}, dup: {br.duplicates}}}" for br in netlist.bridges]
        lines.append("nets:")
        for net in netlist.nets():
            if not net.special:
                members = ", ".join(str(n) for n in net.nodes)
                lines.append(f"  - {{num: {net.number}, nodes: [{members}], color: {net_color(net.number)[1]}}}")
        lines.append(
            "power: {" + ", ".join(f"{key}: {power[name]:.3f}" for key, name in _YAML_POWER_KEYS.items()) + "}"
        )
        path.write_text("\n".join(lines) + "\n", encoding="ascii")

    def load_all(self, count: int, power: Mapping[str, float]) -> list[SlotState]:
        """Slots 0..count-1 as their files hold them (empty without a file); `power` fills voltages a file lacks."""
        return [self.load(slot, power) for slot in range(count)]

    def load(self, slot: int, power: Mapping[str, float]) -> SlotState:
        state = SlotState()
        path = self.path_for(slot)
        if not path.is_file():
            return state
        text = path.read_text(encoding="ascii", errors="replace")
        if self.family is Family.LEGACY:
            body = text[text.find("{") + 1 : text.find("}")] if "{" in text else ""
            state.bridges = [Bridge(int(a), int(b)) for a, b in _PAIR.findall(body)]
            return state
        state.bridges = [Bridge(int(a), int(b), int(d)) for a, b, d in _YAML_BRIDGE.findall(text)]
        match = _YAML_POWER.search(text)
        if match:
            values = {
                k.strip(): v.strip() for k, v in (item.split(":") for item in match.group(1).split(",") if ":" in item)
            }
            loaded = {name: float(values[key]) for key, name in _YAML_POWER_KEYS.items() if key in values}
            state.power = {**power, **loaded}
        return state
