"""Upstream JumperlOS's net scan (get_node_voltage, get_net_current, get_path_current), from the DC model.

The firmware measures voltages across the crossbar paths in the background and reports, per routed node,
its voltage, per path the signed current node1 -> node2 in mA, and per net its dominant path (upstream
mjc :3003-3050; None whenever the scan has no data). The virtual board's bridges are ideal, so path
currents come from Kirchhoff's current law instead: every element's current into a node of a net
(parts, the INA shunt, GPIO drivers and pulls; ideal supplies take the remainder) must leave through the
net's bridges, which carry it along a spanning tree (a bridge closing a loop carries 0). A net that
floats, or a path that is not routed, has no data.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from jumperless_mcp.emulator.board import BoardModel
    from jumperless_mcp.emulator.routing import Bridge, Net


NOISE_AMPS = 1e-12  # rounding left over by the solver: no current


@dataclass(frozen=True)
class PathCurrent:
    node1: int
    node2: int
    net: int
    amps: float  # conventional current from node1 to node2


@dataclass(frozen=True)
class Scan:
    node_volts: dict[int, float]  # every node of a driven routed net
    paths: list[PathCurrent | None]  # per routed bridge, in get_path_info order; None where the net floats
    nets: dict[int, float]  # net number -> voltage, for driven nets


def scan(board: BoardModel) -> Scan:
    voltages, key = board.solve()
    injected = _injections(board, voltages, key)
    nets, _ = board.netlist.routed()
    node_volts: dict[int, float] = {}
    net_volts: dict[int, float] = {}
    paths: list[PathCurrent | None] = []
    for net in nets:
        volts = voltages.get(key(net.nodes[0])) if net.nodes else None
        flows = _tree_flows(net, injected) if volts is not None else {}
        if volts is not None:
            net_volts[net.number] = volts
            node_volts.update(dict.fromkeys(net.nodes, volts))
        for bridge in net.bridges:
            amps = flows.get(bridge) if volts is not None else None
            amps = 0.0 if amps is not None and abs(amps) < NOISE_AMPS else amps
            paths.append(None if amps is None else PathCurrent(bridge.a, bridge.b, net.number, amps))
    return Scan(node_volts, paths, net_volts)


def _injections(board: BoardModel, voltages: dict[object, float | None], key) -> dict[int, float]:  # type: ignore[no-untyped-def]
    """Current (A) flowing into each node from the elements attached to it."""
    elements = board.elements()
    injected: dict[int, float] = defaultdict(float)
    for a, b, ohms in elements.resistors:
        va, vb = voltages.get(key(a)), voltages.get(key(b))
        if key(a) != key(b) and va is not None and vb is not None:
            injected[a] += (vb - va) / ohms
            injected[b] += (va - vb) / ohms
    for node_id, volts, ohms in elements.sources:
        here = voltages.get(key(node_id))
        if here is not None:
            injected[node_id] += (volts - here) / ohms
    by_net: dict[object, list[int]] = defaultdict(list)
    for node_id, _ in elements.fixed:
        by_net[key(node_id)].append(node_id)
    members: dict[object, set[int]] = defaultdict(set)
    for node_id in list(injected) + [n for n, _ in elements.fixed]:
        members[key(node_id)].add(node_id)
    for net_key, supplies in by_net.items():  # an ideal supply sources whatever the rest of its net sinks
        injected[min(supplies)] -= sum(injected[n] for n in members[net_key])
    return injected


def _tree_flows(net: Net, injected: dict[int, float]) -> dict[Bridge, float]:
    """Flow (A) on each bridge a -> b along a spanning tree of the net's bridges."""
    neighbours: dict[int, list[tuple[int, Bridge]]] = defaultdict(list)
    for bridge in net.bridges:
        neighbours[bridge.a].append((bridge.b, bridge))
        neighbours[bridge.b].append((bridge.a, bridge))
    flows: dict[Bridge, float] = dict.fromkeys(net.bridges, 0.0)
    seen: set[int] = set()
    for root in net.nodes:
        if root in seen:
            continue
        order, parent = [root], {root: (root, None)}
        seen.add(root)
        for node_id in order:  # breadth first; `order` grows while it is walked
            for other, bridge in neighbours[node_id]:
                if other not in seen:
                    seen.add(other)
                    parent[other] = (node_id, bridge)
                    order.append(other)
        subtree = {n: injected.get(n, 0.0) for n in order}
        for node_id in reversed(order[1:]):  # leaves first: what enters a subtree leaves towards its parent
            up, bridge = parent[node_id]
            subtree[up] += subtree[node_id]
            flows[bridge] = subtree[node_id] if bridge.a == node_id else -subtree[node_id]  # type: ignore[index]
    return flows
