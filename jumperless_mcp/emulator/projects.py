"""Upstream JumperlOS's projects, parts and background-callback functions (the 5.7.11 tree, upstream 7077df9).

Upstream mjc @7077df9 :2637-2935 (saved beside the issue, not in ../shared) and the vendor stub
`scripts/jumperless.pyi` (c6a51a4) :729-809. What the virtual board models:

- `place_part` validates as `jl_place_part` does (API excerpt: name 1-15 printable characters, unique,
  footprint dip*/sip*/axial*, usable pins, no pin names starting with '#' or '-'; a refusal prints a
  `place_part: ...` line and returns -1), records the part and bridges each leg with a `connect` to its
  target, so the part's nets form; `remove_part` pulls those bridges again. Assumed (partGeometryOk and
  the footprint geometry are not in the reference): a SIP/axial leg n sits at row + n - 1, a DIP's
  first half runs down from `row` and its second half back up on the other side of the centre channel
  (row +- 30); a table of 32 parts; `placement` "expanded", `measured` 0.0 (never measured here).
- `load_project` loads a slot YAML's bridges (a literal path, or the project's run file, created from
  the project's `wiring.yaml` or empty); `guide_progress` is -1 (no guide source is ever loaded).
- `bg_start/stop/active` keep the callback (VM state: a soft reset clears it); the virtual board's
  service loop never ticks it.
- `part_identify`, `part_fingerprint`, `part_vectors` measure real parts with the Kelvin fixture and
  raise NotImplementedError here (their result strings' grammar is not in the reference either).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from jumperless_mcp.emulator import strict
from jumperless_mcp.emulator.filesystem import BoardFiles
from jumperless_mcp.emulator.function_group import FunctionGroup
from jumperless_mcp.emulator.routing import Bridge

MAX_PARTS = 32  # assumed
_FOOTPRINT = re.compile(r"(dip|sip|axial)(\d*)$")
_YAML_BRIDGE = re.compile(r"\{n1:\s*(\d+),\s*n2:\s*(\d+),\s*dup:\s*(-?\d+)\}")  # the slot YAML's bridges lines


@dataclass
class PlacedPart:
    name: str
    row: int
    footprint: str
    type: str
    value: str
    part_id: str
    pins: dict[str, tuple[int, int, str]] = field(default_factory=dict)  # pin name -> (node, connect, class)
    bridges: list[Bridge] = field(default_factory=list)


class ProjectFunctions(FunctionGroup):
    _bg_callback: object = None

    @property
    def _parts(self) -> dict[str, PlacedPart]:
        return self.board.placed_parts

    # --- projects ----------------------------------------------------------------------------------------
    def load_project(self, name_or_path: str) -> bool:
        files = BoardFiles(self.board.fs_root)
        if "/" in name_or_path:
            text = files.read_text(name_or_path)
            if text is None:
                self.ctx.main_port(f"load_project: cannot open {name_or_path}\r\n")
                return False
        else:  # projectOpenLatestOrNew: the run file, else a new one from the shipped wiring (or empty)
            folder = f"/projects/{name_or_path}"
            text = files.read_text(f"{folder}/{name_or_path}_run.yaml")
            if text is None:
                text = files.read_text(f"{folder}/wiring.yaml") or "bridges:\n"
                if not files.write_text(f"{folder}/{name_or_path}_run.yaml", text):
                    return False
        bridges = [Bridge(int(a), int(b), int(d)) for a, b, d in _YAML_BRIDGE.findall(text)]
        with self.board.lock:
            self.board.netlist.clear()
            for bridge in bridges:
                self.board.netlist.add(bridge.a, bridge.b, bridge.duplicates)
            self.board.snapshot("load project")
        return True

    def guide_progress(self) -> int:
        return -1

    # --- parts -------------------------------------------------------------------------------------------
    def place_part(self, name: str, row: int, pins_json: str, footprint: str = "", type: str = "",
                   value: str = "", part_id: str = "") -> int:  # fmt: skip
        refusal = self._refusal(name, footprint, (name, type, value, part_id))
        pins = self._pins(pins_json, row, footprint) if refusal is None else None
        if refusal is None and pins is None:
            refusal = "no usable pins in pins_json"
        if refusal is not None:
            self.ctx.main_port(f"place_part: {refusal}\r\n")
            return -1
        if part_id:  # re-placing the same identity at the same place is an update, not a clone
            for old in [
                p for p in self._parts.values() if (p.part_id, p.row, p.footprint) == (part_id, row, footprint)
            ]:
                self.remove_part(old.name)
        if name in self._parts:
            self.ctx.main_port(f"place_part: a part named {name} already exists\r\n")
            return -1
        if len(self._parts) >= MAX_PARTS:
            self.ctx.main_port("place_part: the parts table is full\r\n")
            return -1
        part = PlacedPart(name, row, footprint, type, value, part_id, pins)  # type: ignore[arg-type]
        with self.board.lock:
            for node, target, _ in part.pins.values():
                if target >= 0 and self.board.netlist.add(node, target):
                    part.bridges.append(Bridge(node, target))
            self.board.snapshot(f"place {name}")
        self._parts[name] = part
        return 0

    @staticmethod
    def _refusal(name: str, footprint: str, texts: tuple[str, ...]) -> str | None:
        if not 1 <= len(name.encode()) <= 15:
            return "name must be 1-15 characters"
        if any(not (" " <= c <= "~") or c == '"' for text in texts for c in text):
            return "text fields must be printable ASCII without '\"'"
        if footprint and not _FOOTPRINT.match(footprint):
            return f"unknown footprint {footprint}"
        return None

    def _pins(self, pins_json: str, row: int, footprint: str) -> dict[str, tuple[int, int, str]] | None:
        """Each leg's node and bridge target; None when the map is unusable."""
        try:
            spec = json.loads(pins_json)
        except ValueError:
            return None
        if not isinstance(spec, dict) or not spec:
            return None
        numbers = [p.get("pin", 0) for p in spec.values() if isinstance(p, dict)]
        shape = _FOOTPRINT.match(footprint or "sip")
        size = int(shape.group(2)) if shape and shape.group(2) else max([1, *numbers])  # type: ignore[type-var]
        pins: dict[str, tuple[int, int, str]] = {}
        for pin_name, leg in spec.items():
            if pin_name.startswith(("#", "-")) or not isinstance(leg, dict):
                return None
            offset = leg.get("offset", -1)
            number = leg.get("pin", 1)
            if not isinstance(number, int) or not isinstance(offset, int):
                return None
            node = row + offset if offset >= 0 else _leg_row(row, number, size, footprint)
            target = leg.get("connect")
            connect = -1 if target is None else self._target(target)
            if connect is None:
                return None
            pins[pin_name] = (node if 1 <= node <= 60 else -1, connect, str(leg.get("class", "signal")))
        return pins

    def _target(self, target: object) -> int | None:
        if isinstance(target, int) and not isinstance(target, bool):
            return target
        if isinstance(target, str):
            found = strict.find_node_value(target, self.node_names)
            return None if found == -1 else found
        return None

    def remove_part(self, name: str) -> int:
        part = self._parts.pop(name, None)
        if part is None:
            return -1
        with self.board.lock:
            for bridge in part.bridges:
                self.board.netlist.remove(bridge.a, bridge.b)
            self.board.snapshot(f"remove {name}")
        return 0

    def list_parts(self) -> list[dict[str, object]]:
        return [
            {"name": p.name, "type": p.type, "value": p.value, "row": p.row, "footprint": p.footprint,
             "placed": True, "placement": "expanded", "measured": 0.0,
             "pins": {pin: {"node": node, "connect": connect, "class": kind}
                      for pin, (node, connect, kind) in p.pins.items()}}
            for p in self._parts.values()
        ]  # fmt: skip

    def part_identify(self, row1: int, row2: int, row3: int = -1) -> str:
        raise NotImplementedError("part_identify: the virtual board has no part identification fixture")

    def part_fingerprint(self, base_row: int, width: int, gnd_row: int, vdd_row: int) -> str:
        raise NotImplementedError("part_fingerprint: the virtual board has no part identification fixture")

    def part_vectors(self, base_row: int, width: int, gnd_row: int, vdd_row: int) -> str:
        raise NotImplementedError("part_vectors: the virtual board has no part identification fixture")

    # --- the background callback (mjc :2812-2935) -------------------------------------------------------------
    def bg_start(self, callback: object, interval_ms: int = 50) -> None:
        if callback is None:
            self._bg_callback = None
            return
        if not callable(callback):
            raise TypeError("bg_start: callable required")
        self._bg_callback = callback

    def bg_stop(self) -> None:
        self._bg_callback = None

    def bg_active(self) -> bool:
        return self._bg_callback is not None


def _leg_row(row: int, pin: int, size: int, footprint: str) -> int:
    """Assumed geometry: SIP/axial legs in a line; a DIP's second half across the centre channel."""
    if not footprint.startswith("dip") or pin <= size // 2:
        return row + pin - 1
    across = row + 30 if row <= 30 else row - 30
    return across + (size - pin)
