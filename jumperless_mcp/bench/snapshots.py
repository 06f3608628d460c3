"""Server-side snapshots of the board: take one, put it back, and say whether the board now matches.

JumperlOS has `get_state()`/`set_state()`, a JSON document of power, nets, GPIO and overlays: a snapshot
is that document. 5.3.x has neither: a snapshot is the bridges of the current slot plus the four DAC
and rail setpoints, put back by changing only the bridges that differ (disconnect and connect write
the slot file at once on 5.3.x) and setting the DACs, in one round trip.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from firmware_api import nodes
from firmware_api.calls import DAC_CHANNEL_NAMES
from firmware_api.versions import Family
from jumperless_mcp.bench import netlist

if TYPE_CHECKING:
    from jumperless_mcp.bench.board import Board

STATE_POWER_KEYS = {"dac0": "DAC0", "dac1": "DAC1", "top_rail": "TOP_RAIL", "bottom_rail": "BOTTOM_RAIL"}
STATE_SECTIONS = ("power", "nets", "gpio", "overlays")
POWER_TOLERANCE = 0.01  # volts: setpoints are single-precision floats printed with 3 decimals
Net = frozenset


def family_word(family: Family) -> str:
    return "jumperlos" if family is Family.JUMPERLOS else "legacy"


async def capture(board: Board) -> dict[str, Any]:
    """What the board holds now, in a form `restore` can put back."""
    family = await board._family()
    if family is Family.JUMPERLOS:
        return {"family": family_word(family), "state": await board.get_state()}
    bridges = await netlist.read_bridges(board)
    async with board.batch() as batch:
        setpoints = {name: batch.dac_get(channel) for channel, name in DAC_CHANNEL_NAMES.items()}
    return {
        "family": family_word(family),
        "bridges": [list(pair) for pair in bridges],
        "power": {name: pending.value for name, pending in setpoints.items()},
    }


def summary(snapshot: dict[str, Any]) -> dict[str, Any]:
    """The nets (groups of two or more nodes) and power setpoints a snapshot holds, by node name."""
    return {"family": snapshot["family"], "nets": named(nets_of(snapshot)), "power": power_of(snapshot)}


def nets_of(snapshot: dict[str, Any]) -> set[Net]:
    if "state" in snapshot:
        return state_nets(snapshot["state"])
    return bridge_nets(tuple(pair) for pair in snapshot["bridges"])  # type: ignore[misc]


def power_of(snapshot: dict[str, Any]) -> dict[str, float]:
    if "state" in snapshot:
        return state_power(snapshot["state"])
    return dict(snapshot["power"])


def state_nets(state: dict[str, Any]) -> set[Net]:
    """The nets of a get_state() document with two or more nodes, as sets of node ids (names kept if unknown)."""
    found: set[Net] = set()
    for net in state.get("nets") or []:
        members = Net(_node_key(name) for name in net.get("nodes") or [])
        if len(members) >= 2:
            found.add(members)
    return found


def state_power(state: dict[str, Any]) -> dict[str, float]:
    power = state.get("power") or {}
    return {
        name: float(power[key]) for key, name in STATE_POWER_KEYS.items() if isinstance(power.get(key), (int, float))
    }


def bridge_nets(pairs: Iterable[netlist.Pair]) -> set[Net]:
    """Bridges grouped into nets (union-find), as the board joins them."""
    parent: dict[int, int] = {}

    def root(node_id: int) -> int:
        while parent.setdefault(node_id, node_id) != node_id:
            node_id = parent[node_id]
        return node_id

    for a, b in pairs:
        parent[root(a)] = root(b)
    groups: dict[int, set[int]] = {}
    for node_id in parent:
        groups.setdefault(root(node_id), set()).add(node_id)
    return {Net(group) for group in groups.values() if len(group) >= 2}


def _node_key(name: object) -> object:
    try:
        return nodes.resolve_node(name)  # type: ignore[arg-type]
    except (ValueError, TypeError):
        return str(name)


def named(nets: Iterable[Net]) -> list[list[str]]:
    return sorted(sorted(netlist.name(n) if isinstance(n, int) else str(n) for n in net) for net in nets)


def differences(
    want_nets: set[Net], have_nets: set[Net], want_power: dict[str, float], have_power: dict[str, float]
) -> list[str]:
    """What differs between what was asked for and what the board holds, in words (empty: they match)."""
    found = [f"net {', '.join(net)} is missing" for net in named(want_nets - have_nets)]
    found += [f"net {', '.join(net)} is there but was not asked for" for net in named(have_nets - want_nets)]
    for name, volts in want_power.items():
        now = have_power.get(name)
        if now is None or not math.isclose(now, volts, abs_tol=POWER_TOLERANCE):
            found.append(f"{name} is {now if now is None else f'{now:g} V'}, not {volts:g} V")
    return found


async def restore(board: Board, snapshot: dict[str, Any]) -> dict[str, Any]:
    """Put a snapshot back and read the board again: {nets, power, matches, differences}."""
    if "state" in snapshot:
        async with board.batch() as batch:
            code = batch.set_state(snapshot["state"], True)
            after = batch.get_state()
        have_nets, have_power = state_nets(after.value), state_power(after.value)
        problems = [] if code.value == 0 else [f"the firmware's set_state returned {code.value}"]
    else:
        await _restore_legacy(board, snapshot)
        now = await capture(board)
        have_nets, have_power = nets_of(now), power_of(now)
        problems = []
    problems += differences(nets_of(snapshot), have_nets, power_of(snapshot), have_power)
    return {"nets": named(have_nets), "power": have_power, "matches": not problems, "differences": problems}


async def _restore_legacy(board: Board, snapshot: dict[str, Any]) -> None:
    wanted = [netlist.key(int(a), int(b)) for a, b in snapshot["bridges"]]
    current = await netlist.read_bridges(board)
    async with board.batch() as batch:
        for pair in current:
            if pair not in wanted:
                batch.disconnect(*pair)
        for pair in wanted:
            if pair not in current:
                batch.connect(*pair)
        for channel, name in DAC_CHANNEL_NAMES.items():
            batch.dac_set(channel, snapshot["power"][name])
