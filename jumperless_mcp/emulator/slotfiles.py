"""Slot files on the board's filesystem, in each family's format (protocol §6).

5.3.x keeps `/nodeFileSlotN.txt` (`{ 1-5,3-83, } `); JumperlOS keeps
`/slots/slotN.yaml`. Files are written on save and read back at boot, so a
virtual board keeps its slots across runs when given the same directory.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from firmware_api.versions import Family
from jumperless_mcp.emulator.routing import Bridge

if TYPE_CHECKING:
    from jumperless_mcp.emulator.board import BoardModel

_PAIR = re.compile(r"(\d+)\s*-\s*(\d+)")
_YAML_BRIDGE = re.compile(r"\{n1:\s*(\d+),\s*n2:\s*(\d+),\s*dup:\s*(-?\d+)\}")
_YAML_POWER = re.compile(r"^power:\s*\{(.*)\}\s*$", re.MULTILINE)


def path_for(board: BoardModel, slot: int) -> Path:
    if board.family is Family.LEGACY:
        return board.fs_root / f"nodeFileSlot{slot}.txt"
    return board.fs_root / "slots" / f"slot{slot}.yaml"


def save(board: BoardModel, slot: int) -> None:
    path = path_for(board, slot)
    path.parent.mkdir(parents=True, exist_ok=True)
    state = board.slots[slot]
    if board.family is Family.LEGACY:
        pairs = "".join(f"{br.a}-{br.b}," for br in state.bridges)
        path.write_text(f"{{ {pairs} }} " if pairs else "{} ", encoding="ascii")
        return
    lines = ["version: 2", "sourceOfTruth: bridges", "bridges:"]
    lines += [f"  - {{n1: {br.a}, n2: {br.b}, dup: {br.duplicates}}}" for br in state.bridges]
    lines.append("nets:")
    for net in board.netlist.nets():
        if not net.special:
            members = ", ".join(str(n) for n in net.nodes)
            lines.append(f"  - {{num: {net.number}, nodes: [{members}], color: {board.net_color(net.number)[1]}}}")
    power = state.power or board.power
    lines.append("power: {" + ", ".join(f"{key}: {power[name]:.3f}" for key, name in _YAML_POWER_KEYS.items()) + "}")
    path.write_text("\n".join(lines) + "\n", encoding="ascii")


_YAML_POWER_KEYS = {"topRail": "top_rail", "bottomRail": "bottom_rail", "dac0": "dac0", "dac1": "dac1"}


def load_all(board: BoardModel) -> None:
    for slot in range(len(board.slots)):
        path = path_for(board, slot)
        if not path.is_file():
            continue
        text = path.read_text(encoding="ascii", errors="replace")
        if board.family is Family.LEGACY:
            body = text[text.find("{") + 1 : text.find("}")] if "{" in text else ""
            board.slots[slot].bridges = [Bridge(int(a), int(b)) for a, b in _PAIR.findall(body)]
            continue
        board.slots[slot].bridges = [Bridge(int(a), int(b), int(d)) for a, b, d in _YAML_BRIDGE.findall(text)]
        match = _YAML_POWER.search(text)
        if match:
            values = {
                k.strip(): v.strip() for k, v in (item.split(":") for item in match.group(1).split(",") if ":" in item)
            }
            loaded = {name: float(values[key]) for key, name in _YAML_POWER_KEYS.items() if key in values}
            board.slots[slot].power = {**board.power, **loaded}
