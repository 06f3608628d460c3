"""Parts with named pins on breadboard rows, and a deterministic build plan for a netlist (pure: no board I/O).

The vocabulary is small on purpose: two-lead parts (resistor, capacitor, diode, LED) on any two rows, and DIP
ICs across the centre channel (pin 1 on a top-half row, pins counted down that side and back up the other,
as upstream JumperlOS's `place_part` lays out a `dipN`). A plan gives every net one anchor row (more rows,
joined by bridges, only when its holes run out or a DIP already puts two of its pins on different rows),
and splits the bridges into the wiring (rows and signal nodes: safe to make before anything is checked),
the supply connections (rails, DACs, GND: made after the safe-check, with the rails at 0 V) and the fixed
supplies (3V3, 5V, 8V: energising, so made only at power-up). Same netlist and parts in, same plan out.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from firmware_api import nodes
from jumperless_mcp.errors import ArgumentError

TOP_ROWS = range(1, 31)  # the breadboard's top half; rows 31-60 are the bottom half, across the centre channel
HOLES_PER_ROW = 5  # holes in one half-row (one row's strip)
NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,14}$")  # place_part's 1-15 printable characters, kept plain
NAME_ALLOWED = "1-15 characters: a letter, then letters, digits or _"
ADJUSTABLE = {nodes.TOP_RAIL: "TOP_RAIL", nodes.BOTTOM_RAIL: "BOTTOM_RAIL", nodes.DAC0: "DAC0", nodes.DAC1: "DAC1"}
FIXED = frozenset({nodes.SUPPLY_3V3, nodes.SUPPLY_5V, nodes.SUPPLY_8V_P, nodes.SUPPLY_8V_N})
GROUNDS = frozenset({nodes.GND, nodes.TOP_RAIL_GND, nodes.BOTTOM_RAIL_GND})
_OHMS = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*([rRkKmM]?)\s*([0-9]*)\s*(?:ohms?|Ω)?\s*$")
_SCALE = {"": 1.0, "r": 1.0, "k": 1e3, "m": 1e6}


@dataclass(frozen=True)
class Kind:
    """A kind of part: its pin names in pin order and its footprint (place_part's name for it)."""

    name: str
    pins: tuple[str, ...]
    footprint: str
    polarized: bool = False

    @property
    def dip(self) -> bool:
        return self.footprint.startswith("dip")


def _dip(pins: int) -> Kind:
    return Kind(f"dip{pins}", tuple(str(n) for n in range(1, pins + 1)), f"dip{pins}")


KINDS: dict[str, Kind] = {
    "resistor": Kind("resistor", ("1", "2"), "axial2"),
    "capacitor": Kind("capacitor", ("1", "2"), "axial2"),
    "diode": Kind("diode", ("anode", "cathode"), "axial2", polarized=True),
    "led": Kind("led", ("anode", "cathode"), "axial2", polarized=True),
    **{f"dip{n}": _dip(n) for n in (8, 14, 16)},
}


def parse_ohms(value: object, parameter: str = "value") -> float:
    """10000, "10k", "4.7k", "4k7", "1M", "220R", "0" -> ohms (0 is a jumper)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ArgumentError(parameter, f"{value!r} is not a resistance", "ohms as a number or text: 220, '4.7k', '1M'")
    if isinstance(value, str):
        match = _OHMS.match(value)
        if not match or (match.group(3) and "." in match.group(1)):
            raise ArgumentError(parameter, f"cannot read {value!r} as ohms", "e.g. 220, '4.7k', '4k7', '1M', '0'")
        number, suffix, tail = match.groups()
        ohms = float(f"{number}.{tail}" if tail else number) * _SCALE[suffix.lower()]
    else:
        ohms = float(value)
    if not 0 <= ohms < 1e9:
        raise ArgumentError(parameter, f"{value!r} is not a resistance", "0 to 1000M ohms")
    return ohms


@dataclass(frozen=True)
class PartSpec:
    """One part to place: a name (as the board and the netlist know it), a kind, and its value as given."""

    name: str
    kind: Kind
    value: str = ""
    ohms: float | None = None  # resistors with a value

    @staticmethod
    def of(name: str, kind: str, value: object = None, parameter: str = "kind") -> PartSpec:
        if not isinstance(name, str) or not NAME.match(name):
            raise ArgumentError("name", f"part name {name!r} is not usable", NAME_ALLOWED)
        if kind not in KINDS:
            raise ArgumentError(parameter, f"unknown part kind {kind!r}", ", ".join(KINDS))
        ohms = parse_ohms(value) if kind == "resistor" and value is not None else None
        text = "" if value is None else str(value)
        if any(not (" " <= c <= "~") or c == '"' for c in text) or len(text) > 15:
            raise ArgumentError("value", f"value {text!r} is not usable", "up to 15 printable characters, no '\"'")
        return PartSpec(name, KINDS[kind], text, ohms)

    @property
    def label(self) -> str:
        return f"{self.name} ({self.kind.name}{' ' + self.value if self.value else ''})"


@dataclass(frozen=True)
class Placement:
    """A part and the row of each of its pins."""

    part: PartSpec
    rows: dict[str, int]

    @property
    def first_row(self) -> int:
        return self.rows[self.part.kind.pins[0]]

    def cells(self) -> dict[tuple[int, int], str]:
        """The LED grid's cells (x 1-30, y 1-10) under each pin's row strip -> the pin name."""
        cells: dict[tuple[int, int], str] = {}
        for pin, row in self.rows.items():
            x, ys = (row, range(1, 6)) if row in TOP_ROWS else (row - 30, range(6, 11))
            for y in ys:
                cells.setdefault((x, y), pin)
        return cells

    def describe_rows(self) -> str:
        if self.part.kind.dip:
            return f"pin 1 at row {self.first_row}, across the centre channel"
        return ", ".join(f"{pin} row {row}" for pin, row in self.rows.items())


def dip_rows(kind: Kind, first: int) -> dict[str, int]:
    """A DIP's pins from pin 1's row: down the top half, then back up the bottom half (pin n across pin 1)."""
    half = len(kind.pins) // 2
    if first not in TOP_ROWS or first + half - 1 > 30:
        raise ArgumentError(
            "rows", f"a {kind.name} with pin 1 at row {first} does not fit", f"pin 1 at row 1-{31 - half}"
        )
    rows = {str(n): first + n - 1 for n in range(1, half + 1)}
    rows |= {str(n): first + 30 + (len(kind.pins) - n) for n in range(half + 1, len(kind.pins) + 1)}
    return rows


def placement_for(part: PartSpec, rows: Sequence[int]) -> Placement:
    """Checked rows for a part: two distinct rows for a two-lead part (pin order), pin 1's row for a DIP."""
    if not all(isinstance(r, int) and not isinstance(r, bool) and 1 <= r <= 60 for r in rows):
        raise ArgumentError("rows", f"rows {list(rows)!r} are not all breadboard rows", "integers 1-60")
    kind = part.kind
    if kind.dip:
        if len(rows) != 1:
            raise ArgumentError("rows", f"a {kind.name} takes pin 1's row only, got {len(rows)} rows", "one row 1-30")
        return Placement(part, dip_rows(kind, rows[0]))
    if len(rows) != 2 or rows[0] == rows[1]:
        raise ArgumentError(
            "rows", f"a {kind.name} needs two different rows ({', '.join(kind.pins)}), got {list(rows)}", "two rows"
        )
    return Placement(part, dict(zip(kind.pins, rows, strict=True)))


# --- build plans -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SafePair:
    """Two nets the safe-check measures between (a driven net and ground, or two driven nets), at these rows."""

    net_a: str
    net_b: str
    row_a: int
    row_b: int


@dataclass(frozen=True)
class Short:
    """A part the netlist itself puts across a supply with too little resistance."""

    part: str
    net_a: str
    net_b: str
    ohms: float


@dataclass
class BuildPlan:
    placements: list[Placement]
    net_rows: dict[str, list[int]]
    wiring: list[tuple[int, int]]  # rows and signal nodes: made before the safe-check
    supply_bridges: list[tuple[int, int]]  # to rails, DACs and GND (rails at 0 V): made after it
    fixed_bridges: list[tuple[int, int]]  # to 3V3 / 5V / 8V: made at power-up
    supplies: dict[str, float]  # TOP_RAIL/BOTTOM_RAIL/DAC0/DAC1 -> volts set at power-up
    safe_pairs: list[SafePair]
    notes: list[str] = field(default_factory=list)
    shorts: list[Short] = field(default_factory=list)  # found from the netlist's values, before any measuring


def _endpoint(text: object, parts: Mapping[str, PartSpec], net: str) -> tuple[str, str] | int:
    """("R1", "2") for a part's pin, else a node id (rows are the plan's: a netlist names parts and nodes)."""
    where = f"netlist[{net!r}]"
    if not isinstance(text, str) or not text:
        raise ArgumentError("netlist", f"{where}: {text!r} is not a pin or node", "'PART.PIN' or a node name like GND")
    if "." in text:
        name, pin = text.split(".", 1)
        part = parts.get(name)
        if part is None:
            raise ArgumentError("netlist", f"{where}: no part named {name!r}", f"parts: {', '.join(parts) or 'none'}")
        if pin not in part.kind.pins:
            raise ArgumentError("netlist", f"{where}: {part.name} has no pin {pin!r}", ", ".join(part.kind.pins))
        return name, pin
    try:
        node_id = nodes.resolve_node(text)
    except ValueError as exc:
        raise ArgumentError(
            "netlist", f"{where}: {exc}", "'PART.PIN' or a node name: GND, TOP_RAIL, ADC0, D13"
        ) from None
    if 1 <= node_id <= 60:
        raise ArgumentError(
            "netlist", f"{where}: row {text!r} named; the plan chooses the rows", "'PART.PIN' or a node"
        )
    return node_id


def parse_parts(parts: Sequence[Mapping[str, object]]) -> dict[str, PartSpec]:
    found: dict[str, PartSpec] = {}
    for index, entry in enumerate(parts):
        if not isinstance(entry, Mapping):
            raise ArgumentError("parts", f"parts[{index}] is not an object", "{name, kind, value}")
        extra = set(entry) - {"name", "kind", "value"}
        if extra:
            raise ArgumentError("parts", f"parts[{index}]: unknown key(s) {sorted(extra)}", "name, kind, value")
        spec = PartSpec.of(entry.get("name"), entry.get("kind"), entry.get("value"), "parts")  # type: ignore[arg-type]
        if spec.name in found:
            raise ArgumentError("parts", f"two parts are named {spec.name}", "unique part names")
        found[spec.name] = spec
    if not found:
        raise ArgumentError("parts", "no parts to place", "at least one {name, kind, value}")
    return found


class _Rows:
    """Row allocation: DIPs first from row 1 (one free column between them), then one row per net."""

    def __init__(self) -> None:
        self.holes: dict[int, int] = {}

    def free(self, row: int) -> bool:
        return row not in self.holes

    def take(self, row: int, holes: int = 0) -> int:
        self.holes[row] = self.holes.get(row, 0) + holes
        return row

    def fresh(self) -> int:
        for row in [*range(1, 31), *range(31, 61)]:
            if self.free(row) and self.free(row - 1 if row not in (1, 31) else row):
                return self.take(row)
        for row in range(1, 61):
            if self.free(row):
                return self.take(row)
        raise ArgumentError("netlist", "the plan needs more than the breadboard's 60 rows", "fewer nets or parts")


def plan_build(
    netlist: Mapping[str, Sequence[str]],
    parts: Sequence[Mapping[str, object]],
    supplies: Mapping[str, float] | None = None,
    min_ohms: float = 100.0,
) -> BuildPlan:
    """The placement, bridges and checks for `netlist` (net name -> ["R1.1", "TOP_RAIL", ...])."""
    specs = parse_parts(parts)
    if not isinstance(netlist, Mapping) or not netlist:
        raise ArgumentError("netlist", "the netlist is empty", 'an object: net name -> ["R1.1", "GND", ...]')
    pin_net: dict[tuple[str, str], str] = {}
    net_nodes: dict[str, list[int]] = {}
    for net, members in netlist.items():
        if not isinstance(members, Sequence) or isinstance(members, str) or not members:
            raise ArgumentError("netlist", f"net {net!r} lists no pins", '["R1.1", "GND", ...]')
        net_nodes[net] = []
        for member in members:
            end = _endpoint(member, specs, net)
            if isinstance(end, int):
                if end in net_nodes[net]:
                    continue
                for other, ids in net_nodes.items():
                    if end in ids and other != net:
                        raise ArgumentError(
                            "netlist", f"{nodes.canonical_name(end)} is in nets {other} and {net}", "one net each"
                        )
                net_nodes[net].append(end)
            elif end in pin_net:
                raise ArgumentError(
                    "netlist", f"{end[0]}.{end[1]} is in nets {pin_net[end]} and {net}", "one net per pin"
                )
            else:
                pin_net[end] = net
    notes: list[str] = []
    shorts: list[Short] = []
    _check_supplies(net_nodes)
    volts = _supply_volts(net_nodes, supplies or {})
    driven = [net for net, ids in net_nodes.items() if any(n in ADJUSTABLE or n in FIXED for n in ids)]
    grounded = [net for net, ids in net_nodes.items() if any(n in GROUNDS for n in ids)]
    for spec in specs.values():
        nets = [pin_net.get((spec.name, pin)) for pin in spec.kind.pins]
        if not spec.kind.dip and nets[0] is not None and nets[0] == nets[1]:
            raise ArgumentError(
                "netlist", f"both pins of {spec.name} are in net {nets[0]}: the part would be shorted", "different nets"
            )
        short = _static_short(spec, nets, set(driven), set(grounded), min_ohms)
        if short is not None:
            shorts.append(short)
        if all(n is None for n in nets):
            notes.append(f"{spec.name} is in no net: it is placed on rows of its own")

    rows = _Rows()
    net_rows: dict[str, list[int]] = {net: [] for net in netlist}
    placements: dict[str, dict[str, int]] = {}
    column = 1
    for spec in specs.values():
        if spec.kind.dip:
            half = len(spec.kind.pins) // 2
            while not all(rows.free(r) and rows.free(r + 30) for r in range(column, column + half)):
                column += 1
            if column + half - 1 > 30:
                raise ArgumentError("parts", "the DIPs do not fit side by side on the breadboard", "fewer DIPs")
            placed = dip_rows(spec.kind, column)
            for pin, row in placed.items():
                rows.take(row, 1)
                dip_net = pin_net.get((spec.name, pin))
                if dip_net is not None:
                    net_rows[dip_net].append(row)
            placements[spec.name] = placed
            column += half + 1
            rows.take(column - 1)  # the gap column stays free of nets
    for net in netlist:
        if not net_rows[net] and any(net == pin_net.get((s.name, p)) for s in specs.values() for p in s.kind.pins):
            net_rows[net].append(rows.fresh())
    for spec in specs.values():
        if spec.kind.dip:
            continue
        placed = {}
        for pin in spec.kind.pins:
            lead_net = pin_net.get((spec.name, pin))
            if lead_net is None:
                placed[pin] = rows.take(rows.fresh(), 1)
                continue
            spot = next((r for r in net_rows[lead_net] if rows.holes.get(r, 0) < HOLES_PER_ROW), None)
            if spot is None:
                spot = rows.fresh()
                net_rows[lead_net].append(spot)
            placed[pin] = rows.take(spot, 1)
        placements[spec.name] = placed

    wiring: list[tuple[int, int]] = []
    supply_bridges: list[tuple[int, int]] = []
    fixed_bridges: list[tuple[int, int]] = []
    for net, net_row_list in net_rows.items():
        anchor = net_row_list[0] if net_row_list else None
        wiring += [(anchor, row) for row in net_row_list[1:]]  # type: ignore[misc]
        ids = net_nodes[net]
        start = anchor if anchor is not None else (ids[0] if ids else None)
        for node_id in ids:
            if start is None or node_id == start:
                continue
            ends = (start, node_id)
            target = fixed_bridges if FIXED & set(ends) else supply_bridges if any(map(_supply_side, ends)) else wiring
            target.append(ends)
    safe_pairs = _safe_pairs(driven, grounded, net_rows)
    if not safe_pairs and driven:
        notes.append("no part sits between a driven net and ground or another driven net: nothing to safe-check")
    return BuildPlan(
        [Placement(specs[name], placements[name]) for name in specs],
        net_rows,
        wiring,
        supply_bridges,
        fixed_bridges,
        volts,
        safe_pairs,
        notes,
        shorts,
    )


def _supply_side(node_id: int) -> bool:
    return node_id in ADJUSTABLE or node_id in GROUNDS


def _check_supplies(net_nodes: Mapping[str, list[int]]) -> None:
    """One supply per net: two (or a supply and ground) in one net is a dead short, whatever the firmware allows."""
    for net, ids in net_nodes.items():
        power = [n for n in ids if n in ADJUSTABLE or n in FIXED or n in GROUNDS]
        if len(power) > 1 and not all(n in GROUNDS for n in power):
            names = " and ".join(nodes.canonical_name(n) for n in power)
            raise ArgumentError("netlist", f"net {net} joins {names}: a dead short", "one supply or ground per net")


def _supply_volts(net_nodes: Mapping[str, list[int]], supplies: Mapping[str, float]) -> dict[str, float]:
    used = {ADJUSTABLE[n] for ids in net_nodes.values() for n in ids if n in ADJUSTABLE}
    volts: dict[str, float] = {}
    for name, value in supplies.items():
        key = name.upper()
        if key not in ADJUSTABLE.values():
            raise ArgumentError("supplies", f"{name!r} is not an adjustable supply", ", ".join(ADJUSTABLE.values()))
        if key not in used:
            raise ArgumentError("supplies", f"{key} is in no net of the netlist", ", ".join(sorted(used)) or "none")
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ArgumentError("supplies", f"{key}: {value!r} is not a number of volts", "volts, e.g. 3.3")
        volts[key] = float(value)
    missing = sorted(used - set(volts))
    if missing:
        raise ArgumentError("supplies", f"no voltage given for {', '.join(missing)}", "supplies: {name: volts}")
    return volts


def _static_short(
    spec: PartSpec, nets: list[str | None], driven: set[str], grounded: set[str], min_ohms: float
) -> Short | None:
    """A resistor the netlist itself puts straight across a supply, below min_ohms (the build refuses it)."""
    if spec.ohms is None or spec.ohms >= min_ohms or None in nets or len(set(nets)) != 2:
        return None
    if any(n in driven for n in nets) and all(n in driven or n in grounded for n in nets):
        return Short(spec.name, nets[0], nets[1], spec.ohms)  # type: ignore[arg-type]
    return None


def _safe_pairs(driven: list[str], grounded: list[str], net_rows: Mapping[str, list[int]]) -> list[SafePair]:
    pairs: list[SafePair] = []
    for index, net in enumerate(driven):
        if not net_rows[net]:
            continue
        row = net_rows[net][0]
        for ground in grounded:
            if ground != net and net_rows[ground]:
                pairs.append(SafePair(net, ground, row, net_rows[ground][0]))
        for other in driven[index + 1 :]:
            if net_rows[other]:
                pairs.append(SafePair(net, other, row, net_rows[other][0]))
    return pairs


def network_ohms(resistors: Sequence[tuple[int, int, float]], a: int, b: int) -> float | None:
    """The resistance these resistors put between rows a and b (None: open): what a meter should read there.

    Zero-ohm parts join their rows; the rest is a nodal solve with b grounded and 1 A into a (V(a) = R)."""
    join = {n: n for r in resistors for n in r[:2]} | {a: a, b: b}

    def root(n: int) -> int:
        while join[n] != n:
            n = join[n]
        return n

    for x, y, ohms in resistors:
        if ohms < 1e-3:
            join[root(x)] = root(y)
    a, b = root(a), root(b)
    if a == b:
        return 0.0
    edges = [(root(x), root(y), 1.0 / ohms) for x, y, ohms in resistors if ohms >= 1e-3 and root(x) != root(y)]
    reach, todo = {a}, [a]
    while todo:
        here = todo.pop()
        for x, y, _ in edges:
            for near, far in ((x, y), (y, x)):
                if near == here and far not in reach:
                    reach.add(far)
                    todo.append(far)
    if b not in reach:
        return None
    index = {n: i for i, n in enumerate(sorted(reach - {b}))}
    size = len(index)
    matrix = [[0.0] * (size + 1) for _ in range(size)]
    for x, y, g in edges:
        for near, far in ((x, y), (y, x)):
            if near in index:
                matrix[index[near]][index[near]] += g
                if far in index:
                    matrix[index[near]][index[far]] -= g
    matrix[index[a]][size] = 1.0
    for col in range(size):  # Gaussian elimination with partial pivoting
        pivot = max(range(col, size), key=lambda r: abs(matrix[r][col]))
        matrix[col], matrix[pivot] = matrix[pivot], matrix[col]
        for row in range(size):
            if row != col and matrix[row][col]:
                factor = matrix[row][col] / matrix[col][col]
                matrix[row] = [v - factor * p for v, p in zip(matrix[row], matrix[col], strict=True)]
    return matrix[index[a]][size] / matrix[index[a]][index[a]]
