"""The wiring a measurement borrows (bridges, DAC setpoints), recorded as it is made and undone afterwards.

`Fixture` is an async context manager: every bridge it adds and every setpoint it changes is remembered, and
on the way out (normal end, exception, cancellation, timeout) the setpoints go back first (the circuit is
de-energised before it is unwired) and the added bridges are removed, newest first, shielded from
cancellation and bounded by RESTORE_TIMEOUT. A bridge that was already there is neither added nor removed.

Which instruments are free is read from the bridges on the board (JumperlOS: get_bridge; 5.3.x: the current
slot file, which the host's connect always writes): a DAC, ADC or the INA with a bridge of its own belongs to
the person's circuit and is never borrowed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

import anyio

from firmware_api import nodes
from firmware_api.calls import DAC_CHANNEL_NAMES
from firmware_api.versions import FirmwareVersion
from jumperless_mcp.bench.bridges import read_bridges
from jumperless_mcp.errors import JumperlessError

log = logging.getLogger(__name__)
RESTORE_TIMEOUT = 20.0
DACS = {0: nodes.DAC0, 1: nodes.DAC1}
ADCS = {0: nodes.ADC0, 1: nodes.ADC1, 2: nodes.ADC2, 3: nodes.ADC3}  # +-8 V channels on both families
INA_NODES = (nodes.ISENSE_PLUS, nodes.ISENSE_MINUS)


class MeasureError(JumperlessError):
    """A measurement could not be made (an instrument in use, a bridge the firmware refused); the board was
    restored."""


class MeasuringBoard(Protocol):
    """What the measurements and their fixture need of `Board` (bench mixins must not import bench/board.py)."""

    async def _firmware(self) -> FirmwareVersion: ...

    async def call(self, name: str, /, *args: object, timeout: float | None = None, **kwargs: object) -> Any: ...

    async def connect(self, node1: int | str, node2: int | str, **options: Any) -> Any: ...

    async def disconnect(self, node1: int | str, node2: int | str = -1, **options: Any) -> Any: ...

    def batch(self) -> Any: ...


@dataclass(frozen=True)
class Changes:
    """What a workflow did to the board and undid afterwards (node names as the firmware spells them)."""

    connected: tuple[tuple[str, str], ...] = ()  # bridges it added (and removed again)
    set: tuple[tuple[str, float], ...] = ()  # (DAC name, volts) setpoints it applied, in order
    restored: tuple[str, ...] = ()  # one line per undo step, "failed: ..." where one failed

    def as_dict(self) -> dict[str, Any]:
        return {
            "connected": [list(pair) for pair in self.connected],
            "set": [{"channel": name, "volts": volts} for name, volts in self.set],
            "restored": list(self.restored),
        }


@dataclass
class Fixture:
    board: MeasuringBoard
    bridges: list[tuple[int, int]] = field(default_factory=list)  # every bridge on the board at the start
    added: list[tuple[int, int]] = field(default_factory=list)  # still to remove
    made: list[tuple[int, int]] = field(default_factory=list)  # every bridge this fixture added
    setpoints: dict[int, float] = field(default_factory=dict)  # DAC channel -> setpoint before we touched it
    applied: list[tuple[str, float]] = field(default_factory=list)
    restored: list[str] = field(default_factory=list)

    async def __aenter__(self) -> Fixture:
        self.bridges = await read_bridges(self.board)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.restore()

    # --- what is free ------------------------------------------------------------------------------
    def used_nodes(self) -> set[int]:
        return {n for pair in self.bridges for n in pair}

    def free_dac(self, wanted: int | None = None) -> int:
        used = self.used_nodes()
        order = [wanted] if wanted is not None else [1, 0]
        for channel in order:
            if DACS[channel] not in used:
                return channel
        names = " and ".join(DAC_CHANNEL_NAMES[c] for c in order)
        raise MeasureError(f"{names} {'is' if len(order) == 1 else 'are'} bridged into a circuit: nothing was sent")

    def free_adcs(self, count: int, wanted: Iterable[int] = ()) -> list[int]:
        used = self.used_nodes()
        wanted = list(wanted)
        pool = wanted or list(ADCS)
        free = [channel for channel in pool if ADCS[channel] not in used][:count]
        if len(free) < count:
            raise MeasureError(
                f"needs {count} free ADC channel(s) of {', '.join(f'ADC{c}' for c in pool)}; the others are "
                "bridged into a circuit: nothing was sent"
            )
        return free

    def check_ina_free(self) -> None:
        used = self.used_nodes() & set(INA_NODES)
        if used:
            names = ", ".join(nodes.canonical_name(n) for n in sorted(used))
            raise MeasureError(f"INA0 ({names}) is bridged into a circuit: nothing was sent")

    # --- changes -----------------------------------------------------------------------------------
    def has_bridge(self, a: int, b: int) -> bool:
        return (min(a, b), max(a, b)) in {(min(x, y), max(x, y)) for x, y in self.bridges}

    async def connect(self, a: int, b: int) -> None:
        await self.connect_all([(a, b)])

    async def connect_all(self, pairs: Iterable[tuple[int, int]]) -> None:
        """The bridges in one round trip (each read back); every one is removed afterwards, even when refused
        or when the round trip failed part way: the firmware may keep a refused bridge unrouted."""
        wanted: list[tuple[int, int]] = []
        for a, b in pairs:
            if a != b and not self.has_bridge(a, b) and (a, b) not in wanted:
                wanted.append((a, b))
        if not wanted:
            return
        self.added.extend(wanted)
        batch = self.board.batch()
        results = [batch.connect(a, b) for a, b in wanted]
        await batch.run()
        for (a, b), pending in zip(wanted, results, strict=True):
            result = pending.value
            if getattr(result, "verified", False) and not getattr(result, "connected", True):
                raise MeasureError(f"the firmware refused the bridge {_pair(a, b)}: {result.message}")
            self.made.append((a, b))
            self.bridges.append((a, b))

    async def set_dac(self, channel: int, volts: float) -> None:
        if channel not in self.setpoints:
            self.setpoints[channel] = float(await self.board.call("dac_get", channel))
        await self.board.call("dac_set", channel, volts, False)
        self.applied.append((DAC_CHANNEL_NAMES[channel], volts))

    def note_set(self, channel: int, volts: float) -> None:
        """Record a setpoint applied inside a batch (after `remember`)."""
        self.applied.append((DAC_CHANNEL_NAMES[channel], volts))

    async def remember(self, channel: int) -> None:
        if channel not in self.setpoints:
            self.setpoints[channel] = float(await self.board.call("dac_get", channel))

    async def restore(self) -> None:
        """Setpoints back, then the added bridges removed (newest first); shielded from cancellation. One round
        trip; when that fails, the steps again one by one, each failure reported."""
        with anyio.CancelScope(shield=True), anyio.move_on_after(RESTORE_TIMEOUT) as scope:
            if await self._restore_at_once():
                return
            for channel, volts in self.setpoints.items():
                await self._undo(f"{DAC_CHANNEL_NAMES[channel]} back to {volts:g} V", "dac_set", channel, volts, False)
            self.setpoints.clear()
            while self.added:
                a, b = self.added.pop()
                await self._undo(f"removed {_pair(a, b)}", "disconnect", a, b)
        if scope.cancelled_caught:
            self.restored.append(f"failed: restoring took longer than {RESTORE_TIMEOUT:g} s")

    async def _restore_at_once(self) -> bool:
        steps = [
            (f"{DAC_CHANNEL_NAMES[c]} back to {v:g} V", "dac_set", (c, v, False)) for c, v in self.setpoints.items()
        ]
        steps += [(f"removed {_pair(a, b)}", "disconnect", (a, b)) for a, b in reversed(self.added)]
        if not steps:
            return True
        batch = self.board.batch()
        for _, name, args in steps:
            if name == "disconnect":
                batch.disconnect(*args)
            else:
                batch.call(name, *args)
        try:
            await batch.run()
        except Exception as exc:
            log.info("restoring in one round trip failed (%s); again step by step", exc)
            return False
        self.restored.extend(words for words, _, _ in steps)
        self.setpoints.clear()
        self.added.clear()
        return True

    async def _undo(self, words: str, name: str, *args: object) -> None:
        try:
            if name == "disconnect":
                await self.board.disconnect(*args)  # type: ignore[arg-type]
            else:
                await self.board.call(name, *args)
            self.restored.append(words)
        except Exception as exc:  # restoring goes on; the failure is reported
            log.warning("restoring after a measurement: %s failed: %s", words, exc)
            self.restored.append(f"failed: {words} ({exc})")

    def changes(self) -> Changes:
        connected = tuple((nodes.canonical_name(a), nodes.canonical_name(b)) for a, b in self.made)
        return Changes(connected, tuple(self.applied), tuple(self.restored))


def _pair(a: int, b: int) -> str:
    return f"{nodes.canonical_name(a)}-{nodes.canonical_name(b)}"
