"""Bridges and nets as the host sees them: read them back, predict what the firmware will refuse, apply
a whole netlist with rollback.

The firmware only says what it did when asked: it drops refused bridges silently. So a plan is
simulated here first with the firmware's own rules (the pair blacklist, special nets that must
never merge, the bridge limit), applied in one batch, and read back.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from firmware_api import nodes
from firmware_api.calls import DAC_CHANNEL_NODES
from firmware_api.errors import ArgumentError
from firmware_api.versions import Family
from jumperless_mcp.bench.bridges import Pair, key, read_bridges

if TYPE_CHECKING:
    from jumperless_mcp.bench.board import Board, ConnectionResult

SPECIAL_NET_OF = {node_id: number for number, (_, node_id) in nodes.SPECIAL_NETS.items()}


def name(node_id: int) -> str:
    return nodes.canonical_name(node_id)


def parse_bridges(items: Iterable[object], parameter: str = "bridges") -> list[Pair]:
    """Bridges given as [node, node] pairs or "a-b" text, as node ids; duplicates dropped."""
    pairs: list[Pair] = []
    for index, item in enumerate(items):
        where = f"{parameter}[{index}]"
        if isinstance(item, str) and "-" in item.strip("-"):
            item = item.strip().rsplit("-", 1) if item.count("-") > 1 else item.split("-")
        if not isinstance(item, (list, tuple)) or len(item) != 2:
            raise ArgumentError(where, f"expected a pair of nodes, got {item!r}", '[node, node] or "node-node"')
        ends = []
        for end in item:
            if isinstance(end, str) and end.strip().lstrip("-").isdigit():
                end = int(end.strip())
            try:
                ends.append(nodes.resolve_node(end))  # type: ignore[arg-type]
            except (ValueError, TypeError) as exc:
                raise ArgumentError(where, str(exc), "rows 1-60 or node names such as D13, GND, TOP_RAIL") from None
        if ends[0] == ends[1]:
            raise ArgumentError(where, f"connects {name(ends[0])} to itself", "two different nodes")
        pair = key(ends[0], ends[1])
        if pair not in pairs:
            pairs.append(pair)
    return pairs


# --- what the firmware will refuse ---------------------------------------------------------------


class NetModel:
    """Union-find over bridges, tracking which special net (GND, rails, DACs) each net holds."""

    def __init__(self, family: Family) -> None:
        self.family = family
        self._parent: dict[int, int] = {}

    def _root(self, node_id: int) -> int:
        parent = self._parent.setdefault(node_id, node_id)
        if parent != node_id:
            parent = self._parent[node_id] = self._root(parent)
        return parent

    def _specials(self, root: int) -> set[int]:
        return {SPECIAL_NET_OF[n] for n in self._parent if n in SPECIAL_NET_OF and self._root(n) == root}

    def refusal(self, a: int, b: int) -> str | None:
        """Why the firmware would drop the bridge a-b given what is already connected (None: it keeps it)."""
        if nodes.forbidden_pair(a, b, self.family):
            return f"{name(a)}-{name(b)} is on the firmware's never-connect list (supplies, GND, DACs, GPIO to rails)"
        for node_id in (a, b):
            if not nodes.node(node_id).is_routable(self.family):
                return f"{name(node_id)} cannot be routed on this firmware"
        joined_a, joined_b = self._specials(self._root(a)), self._specials(self._root(b))
        for net_a in joined_a:
            for net_b in joined_b:
                if not nodes.special_nets_may_merge(net_a, net_b, self.family):
                    first, second = nodes.SPECIAL_NETS[net_a][0], nodes.SPECIAL_NETS[net_b][0]
                    return f"{name(a)}-{name(b)} would join the {first} net to the {second} net (a short)"
        return None

    def add(self, a: int, b: int) -> str | None:
        reason = self.refusal(a, b)
        if reason is None:
            self._parent[self._root(a)] = self._root(b)
        return reason

    def nets(self) -> list[list[int]]:
        groups: dict[int, list[int]] = {}
        for node_id in self._parent:
            groups.setdefault(self._root(node_id), []).append(node_id)
        return [sorted(group) for group in groups.values() if len(group) > 1]


@dataclass
class Plan:
    current: list[Pair]
    add: list[Pair] = field(default_factory=list)
    remove: list[Pair] = field(default_factory=list)
    keep: list[Pair] = field(default_factory=list)
    refused: list[tuple[Pair, str]] = field(default_factory=list)

    @property
    def final(self) -> list[Pair]:
        return [*self.keep, *self.add]

    def report(self) -> dict[str, Any]:
        return {
            "add": [list(map(name, p)) for p in self.add],
            "remove": [list(map(name, p)) for p in self.remove],
            "unchanged": [list(map(name, p)) for p in self.keep],
            "refused": [{"bridge": list(map(name, p)), "reason": why} for p, why in self.refused],
        }


def plan(current: Sequence[Pair], wanted: Sequence[Pair], family: Family, *, replace: bool) -> Plan:
    """What applying `wanted` changes, and which bridges the firmware would drop."""
    current = [key(*p) for p in current]
    result = Plan(current=list(current))
    model = NetModel(family)
    if not replace:
        for pair in current:
            model.add(*pair)
            result.keep.append(pair)
    for pair in wanted:
        if not replace and pair in current:
            continue
        reason = model.add(*pair)
        if reason is not None:
            result.refused.append((pair, reason))
        elif pair in current:
            result.keep.append(pair)
        else:
            result.add.append(pair)
    if replace:
        result.remove = [p for p in current if p not in result.keep]
    limit = nodes.MAX_BRIDGES[family]
    while len(result.final) > limit:
        dropped = result.add.pop()
        result.refused.append((dropped, f"over the firmware's limit of {limit} bridges"))
    return result


# --- reading the board ---------------------------------------------------------------------------


async def board_nets(board: Board, family: Family) -> NetModel:
    """The firmware's nets as the bridges on the board now make them (reads only)."""
    model = NetModel(family)
    for pair in await read_bridges(board):
        model.add(*pair)
    return model


async def connect_refusal(board: Board, a: int, b: int) -> str | None:
    """Why the firmware would refuse the bridge a-b given the bridges on the board now (None: it keeps it).

    Reads the bridges and changes nothing, so a caller can refuse before sending `connect`.
    """
    return (await board_nets(board, await board._family())).refusal(a, b)


async def read_nets(board: Board) -> list[dict[str, Any]]:
    """Nets with their nodes, name, colour and (for rail, DAC and ADC nets) voltage."""
    family = await board._family()
    if family is Family.JUMPERLOS:
        async with board.batch() as batch:
            listed, state = batch.get_all_nets(), batch.get_state()
        voltages = {n["index"]: n.get("voltage") for n in state.value.get("nets", [])}
        nets = []
        for entry in listed.value:
            members = [nodes.resolve_node(text) for text in entry["nodes"].split(",") if text.strip()]
            if entry["number"] < 1 or not members:
                continue
            nets.append(
                _net(entry["number"], entry["name"], members, f"#{entry['color']:06x}", entry["color_name"])
                | {"voltage": voltages.get(entry["number"])}
            )
        return nets
    return await _legacy_nets(board)


async def _legacy_nets(board: Board) -> list[dict[str, Any]]:
    """5.3.x has no net API: group the saved bridges into nets; supply nets get their setpoints."""
    model = await board_nets(board, Family.LEGACY)
    async with board.batch() as batch:
        setpoints = {node_id: batch.dac_get(channel) for node_id, channel in DAC_CHANNEL_NODES.items()}
    groups = {number: [node_id] for number, (_, node_id) in nodes.SPECIAL_NETS.items()}
    user: list[list[int]] = []
    for members in model.nets():
        special = [SPECIAL_NET_OF[n] for n in members if n in SPECIAL_NET_OF]
        if special:
            groups[special[0]] = members
        else:
            user.append(members)
    nets = []
    for number, members in [*sorted(groups.items()), *enumerate(user, start=6)]:
        label = nodes.SPECIAL_NETS[number][0] if number in nodes.SPECIAL_NETS else f"Net {number}"
        driver = next((n for n in members if n in DAC_CHANNEL_NODES), None)
        voltage = 0.0 if nodes.GND in members else setpoints[driver].value if driver is not None else None
        nets.append(_net(number, label, members, None, None) | {"voltage": voltage})
    return nets


def _net(number: int, label: str, members: list[int], color: str | None, color_name: str | None) -> dict[str, Any]:
    return {
        "number": number,
        "name": label,
        "nodes": [name(n) for n in members],
        "color": color,
        "color_name": color_name,
    }


# --- applying ------------------------------------------------------------------------------------


async def apply_changes(board: Board, remove: Sequence[Pair], add: Sequence[Pair]) -> list[ConnectionResult]:
    """Disconnect then connect, in one batch; returns the read-back result of each connect."""
    async with board.batch() as batch:
        for pair in remove:
            batch.disconnect(*pair)
        made = [batch.connect(*pair) for pair in add]
    return [pending.value for pending in made]
