"""`jumperless-mcp selftest`: does what the host assumes about the firmware hold on this board?

Nothing in this project had met a real Jumperless before; the selftest is the first thing to run on one.
It calls every read-only, non-blocking function the catalog says the connected firmware has (so every
reply parser meets a real repr, with the arity the catalog claims), then a few protocol checks: a bridge
made on two free rows and removed, DAC0 set to a small voltage and back, a sleeping call interrupted and
the channel recovered, the longest line the channel takes, non-ASCII text there and back (printed, and
through a net name on JumperlOS), the current slot's file read back; where the board has the JumperlOS fourth
port, its replies against the REPL's (bench/selftest_aux.py). Everything it changes it puts back.

It refuses to start when the board is in use (bridges, DAC0/DAC1 or a rail set, the waveform generator
running), saying what it found, unless forced: the checks make a bridge and drive DAC0.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from firmware_api.catalog import ArgKind, Function, Returns, functions
from firmware_api.errors import FirmwareError, UnsupportedByFirmware
from firmware_api.quoting import literal
from firmware_api.versions import Family
from jumperless_mcp.bench import netlist
from jumperless_mcp.bench.selftest_aux import GROUP as AUX_GROUP
from jumperless_mcp.bench.selftest_aux import aux_checks
from jumperless_mcp.errors import BoardTimeout, ConnectionProblem, JumperlessError

if TYPE_CHECKING:
    from jumperless_mcp.bench.board import Board

ROWS = (59, 60)  # the bridge the selftest makes: two rows at the far end, refused if in use
DAC_VOLTS = 0.5  # DAC0 goes here and back to 0 V
DAC_TOLERANCE = 0.05
SLEEP_TIMEOUT = 0.5  # the sleeping call's timeout (it sleeps far longer)
NON_ASCII = "Ωµ°±ü✓"  # Greek, Latin-1, a 3-byte BMP sign: each UTF-8 length
# Rails at their power-on setpoints are not "in use" (the top rail powers up at 3.3 V as the virtual board
# models it; inferred, not checked on hardware); anything else, or any DAC set, is.
IDLE_SETPOINTS = {"DAC0": (0.0,), "DAC1": (0.0,), "TOP_RAIL": (0.0, 3.3), "BOTTOM_RAIL": (0.0,)}
IDLE_TOLERANCE = 0.02

# Arguments for the read-only functions (by name, else by the first argument's kind); reads only.
SAMPLE_ARGS: dict[str, tuple[object, ...]] = {
    "is_connected": ROWS,
    "get_path_between": ROWS,
    "node": ("GND",),
    "history_label": (0,),
    "oled_get_pixel": (0, 0),
    "fs_exists": ("/",),
    "fs_listdir": ("/",),
    "get_service_index": ("selftest",),
    "get_bridge": (0,),
    "get_path_info": (0,),
    "clickwheel_get_direction": (False,),  # consume=False: leave a pending turn for its owner
    "probe_button_nonblocking": (False,),
}
KIND_SAMPLE: dict[ArgKind, object] = {
    ArgKind.NODE: ROWS[0],
    ArgKind.SLOT: 0,
    ArgKind.DAC_CHANNEL: 0,
    ArgKind.ADC_CHANNEL: 0,
    ArgKind.INA_SENSOR: 0,
    ArgKind.GPIO_PIN: 1,
    ArgKind.PWM_PIN: 1,
    ArgKind.INT: 1,
    ArgKind.BOOL: False,
}
# What each reply kind must parse to (None: any value the parser accepts)
EXPECTED_TYPES: dict[Returns, tuple[type, ...] | None] = {
    Returns.NONE: (type(None), str),
    Returns.FLOAT: (float, int),
    Returns.OPTIONAL_FLOAT: (float, int, type(None)),
    Returns.INT: (int,),
    Returns.BOOL: (bool,),
    Returns.STR: (str,),
    Returns.CONNECTION_STATE: (bool,),
    Returns.NODE: (int,),
    Returns.JSON: (dict, list),
    Returns.OPTIONAL_DICT: (dict, type(None)),
    Returns.BYTES: (bytes, type(None)),
}


class Outcome(enum.Enum):
    PASS = "pass"
    FAIL = "fail"
    SKIP = "skip"


@dataclass
class Check:
    name: str
    group: str  # "catalog" (a read-only function and its parser), "protocol" or "aux port" (selftest_aux.py)
    outcome: Outcome
    detail: str = ""
    ms: float = 0.0

    def as_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "group": self.group,
            "outcome": self.outcome.value,
            "detail": self.detail,
            "ms": round(self.ms, 1),
        }


@dataclass
class SelftestReport:
    target: str
    firmware: str | None = None
    channel: str | None = None
    in_use: list[str] = field(default_factory=list)  # what was found in use (refused unless forced)
    refused: bool = False
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.refused and bool(self.checks) and all(c.outcome is not Outcome.FAIL for c in self.checks)

    def count(self, outcome: Outcome) -> int:
        return sum(c.outcome is outcome for c in self.checks)

    def as_dict(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "target": self.target,
            "firmware": self.firmware,
            "channel": self.channel,
            "refused": self.refused,
            "in_use": list(self.in_use),
            "passed": self.count(Outcome.PASS),
            "failed": self.count(Outcome.FAIL),
            "skipped": self.count(Outcome.SKIP),
            "checks": [c.as_dict() for c in self.checks],
        }

    def table(self) -> str:
        """The pass/fail table a person reads (failures repeated at the end)."""
        head = f"selftest of {self.target}: firmware {self.firmware or '?'}, channel {self.channel or '?'}"
        if self.refused:
            found = "; ".join(self.in_use)
            return f"{head}\nREFUSED: the board is in use ({found}). Free it, or run with --force.\n"
        width = max((len(c.name) for c in self.checks), default=10)
        lines = [head, f"{'check':<{width}}  result      ms  detail"]
        for c in self.checks:
            lines.append(f"{c.name:<{width}}  {c.outcome.value.upper():<6} {c.ms:7.1f}  {c.detail}"[:200].rstrip())
        if self.in_use:
            lines.append(f"(forced although in use: {'; '.join(self.in_use)})")
        failed = [c for c in self.checks if c.outcome is Outcome.FAIL]
        summary = f"{self.count(Outcome.PASS)} passed, {len(failed)} failed, {self.count(Outcome.SKIP)} skipped: " + (
            "ALL PASS" if self.ok else "FAILED"
        )
        lines.append(summary)
        lines += [f"  FAIL {c.name}: {c.detail}" for c in failed]
        return "\n".join(lines) + "\n"


async def find_in_use(board: Board) -> list[str]:
    """What the board has in use now, in words (empty: idle)."""
    found: list[str] = []
    bridges = await netlist.read_bridges(board)
    if bridges:
        shown = ", ".join(f"{netlist.name(a)}-{netlist.name(b)}" for a, b in bridges[:6])
        found.append(f"{len(bridges)} bridge(s): {shown}{' ...' if len(bridges) > 6 else ''}")
    energised = await board.energised()
    for name, volts in energised.setpoints.items():
        idle = IDLE_SETPOINTS.get(name, (0.0,))
        if volts is not None and all(abs(volts - v) > IDLE_TOLERANCE for v in idle):
            found.append(f"{name} at {volts:g} V")
    if energised.wavegen_running:
        found.append("the waveform generator is running")
    return found


async def run_selftest(board: Board, *, force: bool = False) -> SelftestReport:
    """Run every check on a connected board (opened by the caller); never raises for a failed check."""
    report = SelftestReport(target=board.target.description)
    report.firmware, report.channel = board.firmware, board.session.channel
    runner = _Runner(board, report)
    await runner.check("protocol", "handshake", runner.handshake)
    if board.version is None:
        return report
    if not await runner.check("protocol", "what is in use", runner.read_in_use):
        return report
    if report.in_use and not force:
        report.refused = True
        return report
    made = await runner.check("protocol", "bridge: connect free rows", runner.make_bridge)
    await runner.catalog_reads()
    if made:
        await runner.check("protocol", "non-ASCII net name", runner.net_name_round_trip)
    # the fourth port, while the bridge is made (bench/selftest_aux.py)
    found = await aux_checks(board, bridge=ROWS if made else None, not_run=runner.gone, **runner.aux_dac())
    report.checks += [Check(r.name, AUX_GROUP, Outcome(r.outcome), r.detail, r.ms) for r in found]
    if made:
        await runner.check("protocol", "bridge: removed again", runner.remove_bridge)
    await runner.check("protocol", "DAC0 to 0.5 V and back", runner.dac_round_trip)
    await runner.check("protocol", "non-ASCII print round trip", runner.print_round_trip)
    await runner.check("protocol", "longest line", runner.long_line)
    await runner.check("protocol", "slot file read", runner.slot_read)
    await runner.check("protocol", "interrupt a sleeping call", runner.interrupt)
    await runner.check("protocol", "recovered after interrupt", runner.after_interrupt)
    return report


class CheckFailed(Exception):
    """A check whose result is not what the host assumes."""


def expect(condition: object, message: str) -> None:
    """Fail the running check (not an `assert`: those vanish under -O, and pytest rewrites their text)."""
    if not condition:
        raise CheckFailed(message)


class _Skip(Exception):
    """A check that does not apply to this firmware."""


class _Runner:
    def __init__(self, board: Board, report: SelftestReport) -> None:
        self.board = board
        self.report = report
        self.gone: str | None = None  # why the remaining checks are not run

    async def check(self, group: str, name: str, body: Callable[[], Awaitable[str]]) -> bool:
        started = time.perf_counter()
        if self.gone is not None:  # a board that stopped answering would cost each check its whole timeout
            self.report.checks.append(Check(name, group, Outcome.FAIL, f"not run: {self.gone}"))
            return False
        try:
            detail, outcome = await body(), Outcome.PASS
        except _Skip as exc:
            detail, outcome = str(exc), Outcome.SKIP
        except CheckFailed as exc:
            detail, outcome = str(exc), Outcome.FAIL
        except ConnectionProblem as exc:
            detail, outcome = f"{type(exc).__name__}: {exc}", Outcome.FAIL
            self.gone = f"the board stopped answering at {name!r}"
        except (JumperlessError, FirmwareError) as exc:
            detail, outcome = f"{type(exc).__name__}: {exc}", Outcome.FAIL
        ms = (time.perf_counter() - started) * 1000
        self.report.checks.append(Check(name, group, outcome, detail.replace("\n", " ")[:160], ms))
        return outcome is Outcome.PASS

    # --- the checks ------------------------------------------------------------------------------
    async def handshake(self) -> str:
        health = await self.board.ping()
        self.report.firmware, self.report.channel = health.firmware, health.channel
        expect(health.connected, f"not connected: {health.last_error}")
        return f"firmware {health.firmware} over {health.channel}"

    async def read_in_use(self) -> str:
        self.report.in_use = await find_in_use(self.board)
        return "; ".join(self.report.in_use) or "nothing: the board is idle"

    def read_only_functions(self) -> list[Function]:
        version = self.board.version
        assert version is not None
        return [f for f in functions(version) if not f.mutates and not f.blocking]

    async def sample_args(self, function: Function) -> tuple[object, ...]:
        """Arguments for a read-only call: sample values the firmware accepts, reading nothing it changes."""
        if function.name == "fs_read":  # a file every board has once a slot was saved (else None comes back)
            return (self._slot_path(await self.board.call("CURRENT_SLOT")),)
        args = SAMPLE_ARGS.get(function.name)
        if args is not None and len(args) == len(function.args):
            return args
        return tuple(arg.default if not arg.required else KIND_SAMPLE.get(arg.kind, 0) for arg in function.args)

    async def catalog_reads(self) -> None:
        """Every read-only function in one batch (one round trip where the channel allows: 5.3.x's `>` line
        costs ~1 s each); if the batch fails, each call alone, so the failure is pinned on its function."""
        calls = [(function, await self.sample_args(function)) for function in self.read_only_functions()]
        started = time.perf_counter()
        try:
            async with self.board.batch() as batch:
                pending = [batch.call(function.name, *args) for function, args in calls]
        except (JumperlessError, FirmwareError):
            for function, args in calls:
                await self.check("catalog", function.name, lambda f=function, a=args: self.call_read_only(f, a))
            return
        share = (time.perf_counter() - started) * 1000 / max(1, len(calls))
        for (function, _), result in zip(calls, pending, strict=True):
            await self.check("catalog", function.name, lambda f=function, r=result: self.parsed(f, r.value))
            self.report.checks[-1].ms = share

    async def call_read_only(self, function: Function, args: tuple[object, ...]) -> str:
        try:
            value = await self.board.call(function.name, *args)
        except UnsupportedByFirmware as exc:
            raise _Skip(str(exc)) from None
        except FirmwareError as exc:
            if function.optional:
                raise _Skip(f"optional in this family, absent here: {exc}") from None
            raise
        return await self.parsed(function, value)

    async def parsed(self, function: Function, value: object) -> str:
        """Whether the reply parsed to the kind of value the catalog says the function returns."""
        expected = EXPECTED_TYPES.get(function.returns)
        shown = repr(value)
        shown = shown if len(shown) <= 60 else shown[:57] + "..."
        expect(
            expected is None or isinstance(value, expected),
            f"parsed {shown} ({type(value).__name__}), expected {function.returns.value}",
        )
        return f"{function.returns.value}: {shown}"

    async def make_bridge(self) -> str:
        a, b = ROWS
        result = await self.board.connect(a, b)
        expect(result.ok, result.message)
        expect(await self.board.call("is_connected", a, b) is True, "is_connected says no after connect")
        return result.message

    async def remove_bridge(self) -> str:
        a, b = ROWS
        await self.board.disconnect(a, b)
        still = await self.board.call("is_connected", a, b)
        expect(still is False, f"is_connected({a}, {b}) is {still!r} after disconnect")
        left = await netlist.read_bridges(self.board)
        expect((a, b) not in left, f"the bridge {a}-{b} is still listed")
        return "is_connected says no, the bridge list is as before"

    async def net_name_round_trip(self) -> str:
        if self.board.family is not Family.JUMPERLOS:
            raise _Skip("5.3.x has no net names")
        net = await self._bridge_net()
        before = await self.board.call("get_net_name", net)
        await self.board.call("set_net_name", net, NON_ASCII)
        try:
            after = await self.board.call("get_net_name", net)
        finally:
            await self.board.call("set_net_name", net, before if isinstance(before, str) else "")
        expect(after == NON_ASCII, f"set {NON_ASCII!r}, read back {after!r}")
        return f"net {net}: {after!r}"

    async def _bridge_net(self) -> int:
        count = await self.board.call("get_num_nets")
        for net in range(1, int(count) + 2):
            nodes_text = await self.board.call("get_net_nodes", net)
            if str(ROWS[0]) in str(nodes_text).replace(",", " ").split():
                return net
        raise CheckFailed(f"no net lists row {ROWS[0]} although the bridge is there")

    async def dac_round_trip(self) -> str:
        before = await self.board.dac_get(0)
        await self.board.call("dac_set", 0, DAC_VOLTS, *self._no_save())
        try:
            read = await self.board.dac_get(0)
        finally:
            await self.board.call("dac_set", 0, before, *self._no_save())
        back = await self.board.dac_get(0)
        expect(abs(read - DAC_VOLTS) <= DAC_TOLERANCE, f"set {DAC_VOLTS} V, dac_get says {read}")
        expect(abs(back - before) <= DAC_TOLERANCE, f"set back to {before} V, dac_get says {back}")
        return f"read {read:g} V, back to {back:g} V"

    def aux_dac(self) -> dict[str, Any]:
        """The DAC0 excursion the aux group repeats: the same volts, tolerance and no-save argument."""
        return {"dac_volts": DAC_VOLTS, "dac_tolerance": DAC_TOLERANCE, "dac_extra": self._no_save()}

    def _no_save(self) -> tuple[object, ...]:
        """dac_set's save argument, where it has one: do not write the setpoint to flash."""
        version = self.board.version
        assert version is not None
        found = next(f for f in functions(version) if f.name == "dac_set")
        return (False,) if len(found.args) > 2 else ()

    async def print_round_trip(self) -> str:
        reply = await self.board.session.run([f"print({literal(NON_ASCII)})"])
        expect(reply.error is None, f"the firmware raised {reply.error}")
        expect(reply.stdout.strip() == NON_ASCII, f"sent {NON_ASCII!r}, got back {reply.stdout.strip()!r}")
        return f"{NON_ASCII!r} back intact"

    async def long_line(self) -> str:
        def statement(size: int) -> str:
            return f"print(len({literal('x' * size)}))"

        _, limit = self.board.session.wire_size(statement(1))
        size = 3000
        if limit is not None:  # the longest statement the `>` line takes
            size = max(1, limit - self.board.session.wire_size(statement(0))[0] - 1)
        reply = await self.board.session.run([statement(size)])
        expect(reply.error is None, f"the firmware raised {reply.error}")
        expect(reply.stdout.strip() == str(size), f"sent {size} characters, the board counted {reply.stdout!r}")
        return f"{len(statement(size))} characters" + (f" (limit {limit})" if limit else " (raw REPL: no limit)")

    async def slot_read(self) -> str:
        slot = await self.board.call("CURRENT_SLOT")
        expect(isinstance(slot, int) and 0 <= slot <= 7, f"CURRENT_SLOT is {slot!r}")
        path = self._slot_path(slot)
        if not await self.board.call("fs_exists", path):
            return f"slot {slot}; {path} not written yet (a fresh slot)"
        text = await self.board.call("fs_read", path)
        expect(isinstance(text, str), f"fs_read({path!r}) gave {text!r}")
        return f"slot {slot}: {path}, {len(text)} characters"

    def _slot_path(self, slot: int) -> str:
        """Where the firmware keeps a slot's bridges (as tools/slots.py and bench/netlist.py read them)."""
        return f"/slots/slot{slot}.yaml" if self.board.family is Family.JUMPERLOS else f"nodeFileSlot{slot}.txt"

    async def interrupt(self) -> str:
        started = time.monotonic()
        try:
            await self.board.session.run(["import time", "time.sleep(30)"], timeout=SLEEP_TIMEOUT)
        except BoardTimeout as exc:
            took = time.monotonic() - started
            expect(exc.interrupted or exc.ready, f"not interrupted: {exc}")
            return f"timed out and interrupted in {took:.2f} s"
        raise CheckFailed("a 30 s sleep returned before its 0.5 s timeout")

    async def after_interrupt(self) -> str:
        reply = await self.board.session.run(["print(6*7)"])
        expect(reply.stdout.strip() == "42", f"print(6*7) gave {reply.stdout!r}")
        health: Any = self.board.health()
        return f"print(6*7) -> 42; health {health.level}"
