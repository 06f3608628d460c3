"""Bridges become nets, under the firmware's rules (protocol §5, connection restrictions).

Bridges are kept in the order they were made. Nets are derived from them the
way the firmware routes: special nets (GND, rails, DACs) always exist and never
merge with each other (JumperlOS lets GND and DAC 0 share), a bridge that would
merge them is kept but skipped, and user nets are numbered from 6 in order.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from firmware_api import nodes
from firmware_api.versions import Family

MAX_BRIDGES = nodes.MAX_BRIDGES
DEFAULT_STACK_PATHS = 2  # JumperlOS config `stack_paths`: what duplicates=-1 stores
FIRST_USER_NET = 6


@dataclass(frozen=True)
class Bridge:
    a: int
    b: int
    duplicates: int = -1

    def touches(self, node_id: int) -> bool:
        return node_id in (self.a, self.b)

    def joins(self, a: int, b: int) -> bool:
        return {self.a, self.b} == {a, b}


@dataclass
class Net:
    number: int
    name: str
    nodes: list[int] = field(default_factory=list)
    bridges: list[Bridge] = field(default_factory=list)

    @property
    def special(self) -> bool:
        return self.number < FIRST_USER_NET


class Refused(Exception):
    """Why a bridge was not added; the firmware refuses silently, the model says why."""


class Netlist:
    """The ordered bridges of one slot, and the nets they route to."""

    def __init__(
        self, family: Family, bridges: Iterable[Bridge] = (), no_free_path: set[frozenset[int]] | None = None
    ) -> None:
        self.family = family
        self.bridges: list[Bridge] = list(bridges)
        self.no_free_path = no_free_path if no_free_path is not None else set()  # pairs the crossbars cannot route

    @property
    def max_bridges(self) -> int:
        return MAX_BRIDGES[self.family]

    def check(self, a: int, b: int) -> None:
        """Raise Refused if the firmware would refuse this bridge at add time."""
        if a == b:
            raise Refused("Cannot connect node to itself")
        for node_id in (a, b):
            node = nodes.NODES.get(node_id)
            if node is None or not node.is_routable(self.family):
                raise Refused(f"node {node_id} is not routable")
        # 5.3.x checks the pair blacklist only in the probe UI; JumperlOS enforces it for every add.
        if self.family is not Family.LEGACY and nodes.forbidden_pair(a, b, self.family):
            raise Refused(f"{nodes.short_name(a)} may not connect to {nodes.short_name(b)}")
        if len(self.bridges) >= self.max_bridges:
            raise Refused(f"bridge limit of {self.max_bridges} reached")

    def add(self, a: int, b: int, duplicates: int = -1) -> bool:
        """Add a bridge if allowed and new; False when refused or already there."""
        try:
            self.check(a, b)
        except Refused:
            return False
        if self.has_bridge(a, b):
            return False
        if duplicates == -1 and self.family is Family.JUMPERLOS:
            duplicates = DEFAULT_STACK_PATHS  # addConnection stores config.stackPaths for -1
        self.bridges.append(Bridge(a, b, duplicates))
        return True

    def remove(self, a: int, b: int = -1) -> int:
        """Remove one bridge, or every bridge on `a` when b is -1; returns how many."""
        before = len(self.bridges)
        if b == -1:
            self.bridges = [br for br in self.bridges if not br.touches(a)]
        else:
            self.bridges = [br for br in self.bridges if not br.joins(a, b)]
        return before - len(self.bridges)

    def clear(self) -> None:
        self.bridges.clear()

    def has_bridge(self, a: int, b: int) -> bool:
        return any(br.joins(a, b) for br in self.bridges)

    def routed(self) -> tuple[list[Net], list[Bridge]]:
        """(nets, skipped bridges): specials 1-5 first, then user nets from 6."""
        parent: dict[int, int] = {}
        special_of: dict[int, int] = {}  # root -> lowest special net number in the group

        def find(x: int) -> int:
            parent.setdefault(x, x)
            while parent[x] != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        for number, (_, node_id) in nodes.SPECIAL_NETS.items():
            special_of[find(node_id)] = number
        skipped: list[Bridge] = []
        routed: list[Bridge] = []
        for bridge in self.bridges:
            if not all(nodes.NODES.get(n) and nodes.NODES[n].is_routable(self.family) for n in (bridge.a, bridge.b)):
                skipped.append(bridge)
                continue
            if frozenset((bridge.a, bridge.b)) in self.no_free_path:
                skipped.append(bridge)
                continue
            ra, rb = find(bridge.a), find(bridge.b)
            sa, sb = special_of.get(ra), special_of.get(rb)
            if ra != rb and sa and sb and sa != sb and not nodes.special_nets_may_merge(sa, sb, self.family):
                skipped.append(bridge)
                continue
            routed.append(bridge)
            if ra != rb:
                parent[rb] = ra
                merged = [s for s in (sa, sb) if s]
                special_of.pop(rb, None)
                if merged:
                    special_of[ra] = min(merged)
        return self._number_nets(find, special_of, routed), skipped

    @staticmethod
    def _number_nets(find, special_of: dict[int, int], routed: list[Bridge]) -> list[Net]:  # type: ignore[no-untyped-def]
        by_root: dict[int, Net] = {}
        for number, (name, node_id) in nodes.SPECIAL_NETS.items():
            root = find(node_id)
            if special_of.get(root) == number:
                by_root[root] = Net(number, name)
        next_number = FIRST_USER_NET
        for bridge in routed:
            root = find(bridge.a)
            if root not in by_root:
                by_root[root] = Net(next_number, f"Net {next_number}")
                next_number += 1
            by_root[root].bridges.append(bridge)
        members: dict[int, set[int]] = {}
        for node_id in list(_all_members(routed)) + [n for _, n in nodes.SPECIAL_NETS.values()]:
            members.setdefault(find(node_id), set()).add(node_id)
        for root, net in by_root.items():
            net.nodes = sorted(members.get(root, set()))
        return sorted(by_root.values(), key=lambda n: n.number)

    def nets(self) -> list[Net]:
        return self.routed()[0]

    def net_of(self, node_id: int) -> Net | None:
        return next((net for net in self.nets() if node_id in net.nodes), None)

    def connected(self, a: int, b: int) -> bool:
        """True when both nodes end up in one routed net."""
        net = self.net_of(a)
        return net is not None and b in net.nodes and a != b


def _all_members(bridges: Iterable[Bridge]) -> Iterable[int]:
    for bridge in bridges:
        yield bridge.a
        yield bridge.b
