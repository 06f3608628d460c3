"""The safe state: rails and DACs at 0 V, the waveform generator and PWM off, bridges left as they are.

A board left energised by an agent that went away (a closed client, a crashed script, a person who walked
off) can cook a part that was placed wrong. `make_safe()` puts it in the safe state with the firmware's own
calls, which both families have under the same names and arities (5.3.2.4 and JumperlOS 5.7.0.13,
modjumperless.c): `wavegen_stop()` first (the generator drives a DAC, and would overwrite its 0 V),
then `dac_set(channel, 0.0)` for DAC0, DAC1, the top and the bottom rail, then `pwm_stop(pin)` for GPIO 1-8
(stopping a pin without PWM only hands it back to the GPIO function: Peripherals.cpp `stopPWM`, from the
vendor's public source; not in the reference trees). It reads the setpoints before and after in the same
round trip. If one call fails, the rest are sent one by one, so one refusal does not leave the rails up.

Bridges stay: they are not dangerous on their own, and the person may want them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Protocol

from firmware_api.errors import FirmwareError, UnsupportedByFirmware
from jumperless_mcp.errors import ConnectionProblem

log = logging.getLogger("jumperless_mcp.bench.safe_state")

DAC_CHANNELS = {"DAC0": 0, "DAC1": 1, "TOP_RAIL": 2, "BOTTOM_RAIL": 3}  # dac_set's channel numbers
PWM_PINS = tuple(range(1, 9))  # GPIO_1..GPIO_8
ENERGISED_ABOVE = 0.005  # volts: a setpoint further from 0 than this counts as energised (DAC step ~2 mV)
SAFE_TIMEOUT = 5.0  # seconds the safe state may take when the caller gives no limit


class _BoardLike(Protocol):
    """What the safe state needs of `Board` (this mixin must not import bench/board.py)."""

    def batch(self) -> Any: ...

    async def call(self, name: str, /, *args: object, timeout: float | None = None, **kwargs: object) -> Any: ...


@dataclass
class SafeStateReport:
    """What `make_safe()` did: setpoints before and after, what was stopped, and what failed."""

    before: dict[str, float | None] = field(default_factory=dict)
    after: dict[str, float | None] = field(default_factory=dict)
    wavegen_was_running: bool | None = None
    done: list[str] = field(default_factory=list)  # the calls the board ran, e.g. "dac_set(TOP_RAIL, 0)"
    failed: dict[str, str] = field(default_factory=dict)  # call -> why it failed

    @property
    def ok(self) -> bool:
        """Every call ran and every setpoint reads 0 V afterwards."""
        return not self.failed and all(v is not None and abs(v) <= ENERGISED_ABOVE for v in self.after.values())

    @property
    def was_energised(self) -> bool:
        return bool(self.wavegen_was_running) or any(
            v is not None and abs(v) > ENERGISED_ABOVE for v in self.before.values()
        )

    def summary(self) -> str:
        """One line for a log: what was set, from what, and what failed."""
        raised = [f"{name} {volts:g} V" for name, volts in self.before.items() if volts and abs(volts) > 0.0]
        was = ", ".join(raised) or "all at 0 V"
        wave = ", wavegen stopped" if self.wavegen_was_running else ""
        failed = f"; FAILED: {'; '.join(f'{k}: {v}' for k, v in self.failed.items())}" if self.failed else ""
        return f"rails and DACs to 0 V (were {was}){wave}, PWM off on GPIO 1-8, bridges kept{failed}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "was_energised": self.was_energised,
            "before": dict(self.before),
            "after": dict(self.after),
            "wavegen_was_running": self.wavegen_was_running,
            "done": list(self.done),
            "failed": dict(self.failed),
        }


@dataclass(frozen=True)
class Energised:
    """The setpoints and the generator as read now (one round trip)."""

    setpoints: dict[str, float | None]
    wavegen_running: bool

    @property
    def any(self) -> bool:
        return self.wavegen_running or any(v is not None and abs(v) > ENERGISED_ABOVE for v in self.setpoints.values())


def _writes() -> list[tuple[str, str, tuple[object, ...]]]:
    """(label, firmware function, arguments) of the safe state, in the order they must run."""
    writes: list[tuple[str, str, tuple[object, ...]]] = [("wavegen_stop()", "wavegen_stop", ())]
    writes += [(f"dac_set({name}, 0)", "dac_set", (number, 0.0)) for name, number in DAC_CHANNELS.items()]
    writes += [(f"pwm_stop(GPIO_{pin})", "pwm_stop", (pin,)) for pin in PWM_PINS]
    return writes


def _value(pending: Any) -> Any:
    return pending.value if pending.done else None


def _volts(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


class SafeStateMethods:
    """`Board.make_safe()` and `Board.energised()` (a mixin of `Board`)."""

    async def energised(self: _BoardLike, *, timeout: float | None = None) -> Energised:
        """The rail and DAC setpoints and whether the waveform generator runs, in one round trip."""
        batch = self.batch()
        reads = {name: batch.dac_get(number) for name, number in DAC_CHANNELS.items()}
        running = batch.wavegen_is_running()
        await batch.run(timeout=timeout)
        return Energised({name: _volts(_value(p)) for name, p in reads.items()}, bool(_value(running)))

    async def make_safe(self: _BoardLike, *, timeout: float | None = SAFE_TIMEOUT) -> SafeStateReport:
        """Rails and DACs to 0 V, wavegen and PWM off (bridges kept); returns what it did.

        One round trip when every call succeeds; after a firmware error the remaining calls go one at a time
        and each refusal is recorded, not raised. A board that cannot be reached raises `ConnectionProblem`
        (nothing was done), or, lost part-way, records the calls it could not send.
        """
        report = SafeStateReport()
        batch = self.batch()
        before = {name: batch.dac_get(number) for name, number in DAC_CHANNELS.items()}
        running = batch.wavegen_is_running()
        writes = [(label, getattr(batch, function)(*args), function, args) for label, function, args in _writes()]
        after = {name: batch.dac_get(number) for name, number in DAC_CHANNELS.items()}
        try:
            await batch.run(timeout=timeout)
        except (FirmwareError, UnsupportedByFirmware) as exc:  # refused part-way: the rest one call at a time
            log.warning("safe state: the batch stopped (%s); sending the rest one by one", exc)
        report.before = {name: _volts(_value(p)) for name, p in before.items()}
        report.wavegen_was_running = None if not running.done else bool(running.value)
        lost: str | None = None  # why the board stopped answering
        for label, pending, function, args in writes:
            if pending.done:
                report.done.append(label)
            elif lost is not None:
                report.failed[label] = f"not sent: {lost}"
            else:
                try:
                    await self.call(function, *args, timeout=timeout)
                    report.done.append(label)
                except (FirmwareError, UnsupportedByFirmware) as exc:
                    report.failed[label] = str(exc)
                except ConnectionProblem as exc:
                    lost = str(exc)
                    report.failed[label] = lost
        if lost is not None:
            report.after = dict.fromkeys(DAC_CHANNELS)
            return report
        if all(p.done for p in after.values()):
            report.after = {name: _volts(p.value) for name, p in after.items()}
        else:
            for name, number in DAC_CHANNELS.items():
                try:
                    report.after[name] = _volts(await self.call("dac_get", number, timeout=timeout))
                except (FirmwareError, UnsupportedByFirmware, ConnectionProblem) as exc:
                    report.after[name] = None
                    report.failed.setdefault(f"dac_get({name})", str(exc))
        return report


async def leave_safe(board: Any, *, limit: float = SAFE_TIMEOUT, who: str = "board") -> SafeStateReport | None:
    """`board.make_safe()` for a way out (closing, exiting): shielded from cancellation, bounded by `limit`
    seconds, never raising; what was done or what failed goes to the log (stderr), not to stdout."""
    import anyio  # here: the rest of the module is plain data and calls

    report: SafeStateReport | None = None
    problem: str | None = None
    with anyio.move_on_after(limit, shield=True) as scope:
        try:
            report = await board.make_safe(timeout=limit)
        except Exception as exc:  # a lost board, a bug: the exit must go on
            problem = f"{type(exc).__name__}: {exc}"
    if scope.cancelled_caught:
        problem = f"no answer within {limit:g} s"
    if report is not None:
        level = logging.INFO if report.ok else logging.WARNING
        log.log(level, "safe state, %s: %s", who, report.summary())
    else:
        log.warning("safe state, %s: could not reach the board (%s); it may still be energised", who, problem)
    return report
