"""Building a circuit from a netlist (Board.build_circuit): plan, guide each part, wire, safe-check, power last.

The steps, each reported:
1. plan (build_plan.py; bad input is refused before anything is sent);
2. a part the netlist itself puts across a supply below `min_ohms` refuses the build here, before anything
   is sent; otherwise the rails and DACs the netlist drives go to 0 V, so nothing is live while a person's
   hands are on the board (as JumperlOS 5.7.8+'s guided projects hold the rails at 0 V until power-on);
3. each part is guided in turn (guide.py) and verified against what the parts placed so far should read;
   a part not confirmed, or found wrong (value, orientation, missing), stops the build there;
4. the wiring bridges (rows and signal nodes such as ADCs) in one batch;
5. the safe-check: between every driven net and ground, and between driven nets, the resistance is measured
   through the INA (`measure_resistance`: a small current-limited test voltage) while no supply is bridged
   yet; a reading below `min_ohms` (or no reading at all) refuses the power-up with the reason;
6. the supply bridges (rails, DACs, GND, still at 0 V) in one batch;
7. power-up, last and separate (`power_up`): the rails and DACs to their voltages, the fixed supplies (3V3,
   5V, 8V) bridged, then every net with an ADC on it read back.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from firmware_api import nodes
from firmware_api.calls import DAC_CHANNEL_NODES
from jumperless_mcp.bench.build_plan import ADJUSTABLE, BuildPlan, SafePair, network_ohms, plan_build
from jumperless_mcp.bench.guide import MAX_TIMEOUT, MIN_TIMEOUT, GuideResult, _Board, run_guide
from jumperless_mcp.errors import ArgumentError, JumperlessError

FIRMWARE_VOLTS = 8.0
DEFAULT_MIN_OHMS = 100.0
ADC_CHANNELS = {nodes.ADC0: 0, nodes.ADC1: 1, nodes.ADC2: 2, nodes.ADC3: 3}
STOPPING = ("wrong_value", "reversed", "not_detected")


@dataclass(frozen=True)
class SafeCheck:
    """One safe-check measurement between two nets."""

    net_a: str
    net_b: str
    rows: tuple[int, int]
    ohms: float | None
    open: bool
    passed: bool
    detail: str


@dataclass
class BuildResult:
    """What build_circuit did: status planned / stopped / refused / ready (not powered) / powered."""

    plan: BuildPlan
    status: str = "planned"
    reason: str = ""
    guided: list[GuideResult] = field(default_factory=list)
    bridged: list[tuple[str, str]] = field(default_factory=list)
    checks: list[SafeCheck] = field(default_factory=list)
    zeroed: list[str] = field(default_factory=list)  # supplies set to 0 V before guiding
    powered: dict[str, float] = field(default_factory=dict)  # supplies set at power-up (and fixed ones bridged)
    readings: dict[str, float] = field(default_factory=dict)  # net -> volts read by its ADC after power-up
    notes: list[str] = field(default_factory=list)


class BuildMethods:
    """Mixed into `Board`."""

    async def build_circuit(
        self: _Board,
        netlist: Mapping[str, Sequence[str]],
        parts: Sequence[Mapping[str, object]],
        *,
        supplies: Mapping[str, float] | None = None,
        min_ohms: float = DEFAULT_MIN_OHMS,
        part_timeout: float = 120.0,
        power: bool = True,
        verify: bool = True,
    ) -> BuildResult:
        """Build `netlist` (net -> ["R1.1", "TOP_RAIL", ...]) from `parts` ([{name, kind, value}]), powering up last
        with `supplies` ({"TOP_RAIL": 3.3}) only after the safe-check passes (see the module docstring)."""
        plan = checked_plan(netlist, parts, supplies, min_ohms, part_timeout)
        result = BuildResult(plan, notes=list(plan.notes))
        if not netlist_check(result, min_ohms):
            return result
        await zero_supplies(self, result)
        if not await guide_parts(self, result, part_timeout, verify):
            return result
        await bridge(self, result, plan.wiring)
        if not await safe_check(self, result, min_ohms):
            return result
        await bridge(self, result, plan.supply_bridges)
        result.status = "ready"
        if power:
            await power_up(self, result)
        return result


def checked_plan(
    netlist: Mapping[str, Sequence[str]],
    parts: Sequence[Mapping[str, object]],
    supplies: Mapping[str, float] | None,
    min_ohms: float,
    part_timeout: float,
) -> BuildPlan:
    if isinstance(min_ohms, bool) or not isinstance(min_ohms, (int, float)) or not 0 < min_ohms <= 1e6:
        raise ArgumentError("min_ohms", f"{min_ohms!r} is not a usable limit", "above 0, up to 1M ohms")
    if isinstance(part_timeout, bool) or not isinstance(part_timeout, (int, float)):
        raise ArgumentError("part_timeout", f"{part_timeout!r} is not seconds", f"{MIN_TIMEOUT:g}-{MAX_TIMEOUT:g}")
    if not MIN_TIMEOUT <= part_timeout <= MAX_TIMEOUT:
        raise ArgumentError("part_timeout", f"{part_timeout:g} s is out of range", f"{MIN_TIMEOUT:g}-{MAX_TIMEOUT:g}")
    plan = plan_build(netlist, parts, supplies, min_ohms)
    for name, volts in plan.supplies.items():
        if not math.isfinite(volts) or abs(volts) > FIRMWARE_VOLTS:
            raise ArgumentError("supplies", f"{name}: {volts:g} V is outside the firmware's range", "-8 to 8 V")
    return plan


def _channel(name: str) -> int:
    return DAC_CHANNEL_NODES[nodes.resolve_node(name)]


async def zero_supplies(board: _Board, result: BuildResult) -> None:
    """The rails and DACs the build drives go to 0 V before anyone's hands are on the board."""
    names = list(result.plan.supplies)
    if not names:
        return
    async with board.batch() as batch:
        for name in names:
            batch.dac_set(_channel(name), 0.0)
    result.zeroed = names
    result.notes.append(f"{', '.join(names)} held at 0 V while the parts go in")


def netlist_check(result: BuildResult, min_ohms: float) -> bool:
    """The safe-check's first half, from the declared values: a part the netlist itself puts across a supply
    refuses the build before anyone places anything (status refused)."""
    for short in result.plan.shorts:
        rows = tuple(result.plan.net_rows[n][0] if result.plan.net_rows[n] else 0 for n in (short.net_a, short.net_b))
        detail = (
            f"{short.part} ({short.ohms:g} ohm) sits straight between {short.net_a} and {short.net_b} in the "
            f"netlist, below the {min_ohms:g} ohm limit: a short across a supply"
        )
        result.checks.append(SafeCheck(short.net_a, short.net_b, rows, short.ohms, False, False, detail))  # type: ignore[arg-type]
    if not result.plan.shorts:
        return True
    result.status = "refused"
    result.reason = f"safe-check: {result.checks[0].detail}; nothing was sent to the board"
    return False


async def guide_parts(board: _Board, result: BuildResult, part_timeout: float, verify: bool = True) -> bool:
    """Each part in turn; False (status stopped, with the reason) when one is not confirmed or reads wrong."""
    placed: list[tuple[int, int, float]] = []
    for placement in result.plan.placements:
        part = placement.part
        expected = None
        if part.ohms is not None:
            rows = tuple(placement.rows.values())
            placed.append((rows[0], rows[1], part.ohms))
            expected = network_ohms(placed, rows[0], rows[1])
        guided = await run_guide(board, placement, timeout=part_timeout, verify=verify, expected_ohms=expected)
        result.guided.append(guided)
        if not guided.confirmed:
            result.status = "stopped"
            result.reason = f"{part.name} was not placed ({guided.status}); nothing was bridged or powered"
            return False
        check = guided.verification
        if check is not None and check.status in STOPPING:
            result.status = "stopped"
            result.reason = (
                f"{part.name} failed its check ({check.status}: {check.detail}); nothing was bridged or powered"
            )
            return False
    return True


async def bridge(board: _Board, result: BuildResult, pairs: Sequence[tuple[int, int]]) -> None:
    """One batch of bridges; each is read back by `connect`."""
    if not pairs:
        return
    async with board.batch() as batch:
        made = [batch.connect(a, b) for a, b in pairs]
    for (a, b), pending in zip(pairs, made, strict=True):
        outcome: Any = pending.value
        if outcome is not None and getattr(outcome, "ok", True) is False:
            raise JumperlessError(f"bridge {nodes.canonical_name(a)}-{nodes.canonical_name(b)}: {outcome.message}")
        result.bridged.append((nodes.canonical_name(a), nodes.canonical_name(b)))


async def safe_check(board: _Board, result: BuildResult, min_ohms: float) -> bool:
    """Measure every driven net against ground and the other driven nets; False (status refused) on a short."""
    for pair in result.plan.safe_pairs:
        check = await _measure_pair(board, pair, min_ohms)
        result.checks.append(check)
        if not check.passed:
            result.status = "refused"
            result.reason = f"safe-check: {check.detail}; nothing was energised"
            return False
    return True


async def _measure_pair(board: _Board, pair: SafePair, min_ohms: float) -> SafeCheck:
    rows = (pair.row_a, pair.row_b)
    between = f"{pair.net_a} (row {pair.row_a}) and {pair.net_b} (row {pair.row_b})"
    try:
        reading = await board.measure_resistance(str(pair.row_a), str(pair.row_b))
    except (NotImplementedError, JumperlessError) as exc:
        return SafeCheck(pair.net_a, pair.net_b, rows, None, False, False, f"could not measure {between}: {exc}")
    if reading.open or reading.ohms is None:
        words = "open" if reading.open else f"above {reading.range_limit_ohms:g} ohm"
        return SafeCheck(pair.net_a, pair.net_b, rows, reading.ohms, reading.open, True, f"{between}: {words}")
    passed = reading.ohms >= min_ohms
    words = f"{reading.ohms:.4g} ohm between {between}" + ("" if passed else f", below the {min_ohms:g} ohm limit")
    return SafeCheck(pair.net_a, pair.net_b, rows, reading.ohms, False, passed, words)


async def power_up(board: _Board, result: BuildResult) -> None:
    """Energise: rails and DACs to their voltages, fixed supplies bridged; then read each net's ADC."""
    plan = result.plan
    async with board.batch() as batch:
        for name, volts in plan.supplies.items():
            batch.dac_set(_channel(name), volts)
    result.powered = dict(plan.supplies)
    await bridge(board, result, plan.fixed_bridges)
    for _, node_id in plan.fixed_bridges:
        result.powered[nodes.canonical_name(node_id)] = _fixed_volts(node_id)
    result.status = "powered"
    adcs = {net: ADC_CHANNELS[n] for net, ids in _net_nodes(plan).items() for n in ids if n in ADC_CHANNELS}
    if adcs:
        async with board.batch() as batch:
            pending = {net: batch.adc_get(channel) for net, channel in adcs.items()}
        result.readings = {net: round(float(p.value), 4) for net, p in pending.items()}


def _net_nodes(plan: BuildPlan) -> dict[str, list[int]]:
    """Each net's nodes as bridged (rows excluded), from the plan's bridges."""
    found: dict[str, list[int]] = {net: [] for net in plan.net_rows}
    row_net = {row: net for net, rows in plan.net_rows.items() for row in rows}
    for a, b in [*plan.wiring, *plan.supply_bridges, *plan.fixed_bridges]:
        net = row_net.get(a)
        if net is not None and not 1 <= b <= 60:
            found[net].append(b)
    return found


def _fixed_volts(node_id: int) -> float:
    return {nodes.SUPPLY_3V3: 3.3, nodes.SUPPLY_5V: 5.0, nodes.SUPPLY_8V_P: 8.0, nodes.SUPPLY_8V_N: -8.0}[node_id]


__all__ = ["ADJUSTABLE", "BuildMethods", "BuildResult", "SafeCheck"]
