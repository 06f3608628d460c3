"""The `Board` API: typed async methods for every firmware function, over one managed session.

    async with Board.open("auto") as board:          # or "emulator", a port path, a mapping
        result = await board.connect("D13", 20)      # validated, sent, verified
        volts = await board.adc_get(0)
        async with board.batch() as b:               # many calls, one round trip
            for v in (0.5, 1.0, 1.5):
                b.dac_set(0, v)
                readings.append(b.adc_get(0))

Methods are generated from `firmware_api.catalog`, so each firmware function is declared once.
Arguments are checked (ranges, node names, forbidden bridges, firmware version) before any byte
is sent; firmware exceptions come back as typed `FirmwareError`s.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import anyio

from firmware_api import nodes
from firmware_api.calls import build_call, family_of
from firmware_api.catalog import CATALOG, ArgKind, Firmware, Function, Returns, functions
from firmware_api.errors import FirmwareError, FirmwareNameError, UnsupportedByFirmware
from firmware_api.versions import Family, FirmwareVersion
from jumperless_mcp.bench.build import BuildMethods
from jumperless_mcp.bench.capture import CaptureMethods
from jumperless_mcp.bench.guide import GuideMethods
from jumperless_mcp.bench.logic_capture import LogicMethods
from jumperless_mcp.bench.measure import MeasureMethods
from jumperless_mcp.bench.pending import Pending
from jumperless_mcp.bench.pictures import PictureMethods
from jumperless_mcp.bench.safe_state import SafeStateMethods, leave_safe
from jumperless_mcp.bench.steps import Step, new_nonce, parse_values, render
from jumperless_mcp.errors import ArgumentError, ForbiddenConnection, JumperlessError
from jumperless_mcp.link.session import Health, Session
from jumperless_mcp.link.targets import Target, TargetSpec
from jumperless_mcp.link.targets import emulator_options as emulator_options_for
from jumperless_mcp.link.transport import Reply, clean_text

if TYPE_CHECKING:  # what editors and type checkers see of the methods _make_methods() adds (generated)
    from jumperless_mcp.bench.board_methods import BatchMethods, BoardMethods
else:
    BoardMethods = BatchMethods = object

BLOCKING_TIMEOUT = 120.0  # calls that wait on a person (the probe, buttons)
HAND_WRITTEN = frozenset({"connect", "disconnect"})
LIVE_MODE = frozenset({"print_nets"})  # block until a byte arrives on the main port (§4.10)


@dataclass(frozen=True)
class ConnectionResult:
    """What a connect/disconnect actually did, read back from the board after writing."""

    action: str  # "connect" | "disconnect"
    node1: int
    node2: int
    connected: bool  # is_connected(node1, node2) afterwards (False when not checked)
    verified: bool  # whether the state was read back

    @property
    def ok(self) -> bool:
        """Whether the board ended up as asked."""
        return self.verified and self.connected == (self.action == "connect")

    @property
    def message(self) -> str:
        pair = f"{nodes.canonical_name(self.node1)}-{nodes.canonical_name(self.node2)}"
        if not self.verified:
            return f"{self.action} {pair} sent; not read back"
        if self.ok:
            return f"{pair} {'connected' if self.connected else 'disconnected'}"
        if self.action == "connect":
            return (
                f"the firmware did not make {pair}: it refuses bridges that would join power, ground or DAC nets, "
                "and bridges it has no free path for"
            )
        return f"{pair} is still connected (another bridge of the same net may join them)"


class Board(
    CaptureMethods,
    LogicMethods,
    MeasureMethods,
    PictureMethods,
    SafeStateMethods,
    GuideMethods,
    BuildMethods,
    BoardMethods,
):
    """One Jumperless, through a session that stays open and heals itself."""

    def __init__(
        self,
        target: TargetSpec = None,
        *,
        timeout: float = 10.0,
        eager: bool = True,
        allow_python: bool = False,
        emulator_options: Mapping[str, object] | None = None,
        safe_state: bool = False,
        parts: object = None,
        persona: str | None = None,
        record: str | os.PathLike[str] | None = None,
    ) -> None:
        self.target = Target(target, record=record)  # record: the serial exchange to a file (link/recording.py)
        self.safe_state = safe_state  # make_safe() on aclose / leaving `async with` (bench/safe_state.py)
        self.eager = eager
        self.allow_python = allow_python
        picked = emulator_options_for(self.target, parts=parts, persona=persona)  # virtual board only
        self._emulator_options = {**(emulator_options or {}), **picked}
        self.session = Session(self.target, timeout=timeout)

    @classmethod
    def open(cls, target: TargetSpec = None, **options: Any) -> Board:
        """`async with Board.open(...) as board:`; no target means `JUMPERLESS_PORT`, else "auto" (see `targets`).

        Options: `timeout`, `eager`, `allow_python`, `safe_state`; for a virtual board (`"emulator"`) also
        `parts` (a parts TOML path, its dict, or `load_parts(...)`) and `persona` (jumperlos, jumperlos-upstream,
        jumperlos-5.7.5, legacy).
        """
        return cls(target, **options)

    async def __aenter__(self) -> Board:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def start(self) -> None:
        """Start a virtual board and connect (entering `async with` does this; eager=False: the first call)."""
        if self.target.kind == "emulator":
            self.target.start_emulator(**self._emulator_options)
        if self.eager:
            try:
                await self.session.connect()
            except BaseException:
                await self.aclose()
                raise

    async def aclose(self) -> None:
        """Leave the board: the safe state first when opened with safe_state=True; the port and lock are freed."""
        if self.safe_state and self.session.version is not None:
            await leave_safe(self)
        await self.session.close()

    # --- what is connected -----------------------------------------------------------------------
    @property
    def family(self) -> Family | None:
        """The connected firmware's family: JumperlOS (5.6+) or legacy 5.3.x (None before the first connection)."""
        return self.session.family

    @property
    def firmware(self) -> str | None:
        """The connected firmware's version as text, e.g. "5.7.0.13" (None before the first connection)."""
        return str(self.session.version) if self.session.version else None

    @property
    def version(self) -> FirmwareVersion | None:
        """The connected firmware's version (None before the first connection)."""
        return self.session.version

    @property
    def virtual_board(self):  # type: ignore[no-untyped-def]
        """The in-process VirtualBoard of an `emulator` target (None otherwise)."""
        return self.target.virtual_board

    def health(self) -> Health:
        """The session's level (healthy/degraded/down), firmware, channel, ports, latency and last error."""
        return self.session.health()

    async def ping(self, timeout: float | None = None) -> Health:
        """A trivial round trip; reconnects if needed. Returns the health afterwards."""
        await self.session.run(["print(1)"], timeout=timeout)
        return self.health()

    # --- generic calls ---------------------------------------------------------------------------
    async def call(self, name: str, /, *args: object, timeout: float | None = None, **kwargs: object) -> Any:
        """Any catalog function or alias by name: `await board.call("set_dac", 0, 1.5)`."""
        step = await self._prepare(lambda firmware: plain_step(name, firmware, args, kwargs), name, args, kwargs)
        return (await self._run([step], timeout))[0]

    def batch(self) -> Batch:
        """Record calls and run them in as few round trips as the channel allows."""
        return Batch(self)

    async def run_batch(self, batch: Batch, timeout: float | None = None) -> list[object]:
        """Send a recorded batch (what `batch.run()` and leaving `async with board.batch()` do)."""
        firmware = await self._firmware()
        steps = [build(firmware) for build in batch._builders]
        results = await self._run(steps, timeout, partial=batch._pending)
        return results

    async def run_python(self, source: str, *, timeout: float | None = None) -> str:
        """Run your own MicroPython source; returns what it printed. Off unless opened with allow_python=True."""
        if not self.allow_python:
            raise JumperlessError("running arbitrary Python is off; open the board with allow_python=True to allow it")
        if not isinstance(source, str) or not source.strip():
            raise ArgumentError("source", "expected non-empty Python source text", "MicroPython statements")
        await self._family()
        statements = [source] if self.session.channel == "raw-repl" else _single_line(source)
        reply = await self.session.run(statements, timeout=timeout)
        if reply.error is not None:
            raise reply.error
        return reply.stdout

    # --- connections, verified -------------------------------------------------------------------
    async def connect(
        self,
        node1: int | str,
        node2: int | str,
        *,
        duplicates: int | None = None,
        save: bool | None = None,
        timeout: float | None = None,
    ) -> ConnectionResult:
        """Bridge two nodes, then read back whether the firmware really did.

        JumperlOS takes `duplicates` (-1 = default); 5.3.x takes `save` (default True here,
        because 5.3.x `is_connected` only sees saved connections).
        """
        args = (node1, node2)
        options = {"duplicates": duplicates, "save": save}
        step = await self._prepare(lambda firmware: connect_step(firmware, *args, **options), "connect", args, {})
        return (await self._run([step], timeout))[0]  # type: ignore[return-value]

    async def disconnect(self, node1: int | str, node2: int | str = -1, *, timeout: float | None = None) -> Any:
        """Remove a bridge (or every bridge on node1 when node2 is -1), then read back."""
        step = await self._prepare(
            lambda firmware: disconnect_step(firmware, node1, node2), "disconnect", (node1, node2), {}
        )
        return (await self._run([step], timeout))[0]

    async def apply_netlist(
        self, pairs: Iterable[tuple[int | str, int | str]], *, clear_first: bool = False, timeout: float | None = None
    ) -> list[ConnectionResult]:
        """Make many bridges in one batch, each verified; optionally clear the board first."""
        batch = self.batch()
        if clear_first:
            batch.nodes_clear()
        results = [batch.connect(a, b) for a, b in pairs]
        await batch.run(timeout=timeout)
        return [r.value for r in results]

    # --- internals -------------------------------------------------------------------------------
    async def _family(self) -> Family:
        return (await self._firmware()).family

    async def _firmware(self) -> FirmwareVersion:
        """The connected firmware's version (connecting first if needed): calls are checked against it."""
        if self.session.version is None:  # never connected yet: a call's own limit bounds the first handshake
            await self.session.connect(timeout=self.session.default_timeout)
        assert self.session.version is not None
        return self.session.version

    async def _prepare(self, build, name: str, args: Sequence[object], kwargs: Mapping[str, object]) -> Step:  # type: ignore[no-untyped-def]
        if self.session.version is None:
            prevalidate(name, args, kwargs)  # bad input fails before even the handshake
        return build(await self._firmware())

    async def _run(
        self, steps: list[Step], timeout: float | None, partial: list[Pending] | None = None
    ) -> list[object]:
        if not steps:  # an empty batch (no bridges to read back, say): nothing to ask the board
            return []
        if timeout is None and any(step.blocking for step in steps):
            timeout = BLOCKING_TIMEOUT
        nonce = new_nonce()  # binds the result lines to this request
        if any(step.nudge_main for step in steps):
            reply = await self._run_nudging(render(steps, nonce), timeout)
        else:
            reply = await self.session.run(render(steps, nonce), timeout=timeout)
        values, outputs = parse_values(steps, reply.stdout, nonce)
        results: list[object] = []
        for step, step_values, step_outputs in zip(steps, values, outputs, strict=True):
            if len(step_values) < len(step.calls):
                break
            results.append(step.combine(step_values, step_outputs))
        if partial is not None:
            for pending, result in zip(partial, results, strict=False):
                pending._set(result)
        if reply.error is not None:
            raise _explain(reply.error, steps[len(results)] if len(results) < len(steps) else None, len(results))
        if len(results) < len(steps):
            raise JumperlessError(f"the board stopped after {len(results)} of {len(steps)} calls without an error")
        return results

    async def _run_nudging(self, statements: list[str], timeout: float | None) -> Reply:
        """Run while the session nudges the main port, so a live mode (print_nets) ends once it has printed."""
        error: Exception | None = None
        async with anyio.create_task_group() as group:
            group.start_soon(self.session.nudge_main)
            try:
                reply = await self.session.run(statements, timeout=timeout)
            except Exception as exc:  # re-raised below, so the task group does not wrap it
                error = exc
            group.cancel_scope.cancel()
        if error is not None:
            raise error
        return reply


class Batch(BatchMethods):
    """Calls recorded now, sent together by `run()` (or on leaving `async with board.batch()`)."""

    def __init__(self, board: Board) -> None:
        self._board = board
        self._builders: list = []  # type: ignore[type-arg]
        self._pending: list[Pending] = []

    def __len__(self) -> int:
        return len(self._builders)

    def _record(self, build, name: str, args: Sequence[object], kwargs: Mapping[str, object]) -> Pending:  # type: ignore[no-untyped-def]
        firmware = self._board.session.version
        if firmware is None:
            prevalidate(name, args, kwargs)
        else:
            build(firmware)  # validate now, so the error points at this line
        pending = Pending(name)
        self._builders.append(build)
        self._pending.append(pending)
        return pending

    def call(self, name: str, /, *args: object, **kwargs: object) -> Pending:
        return self._record(lambda firmware: plain_step(name, firmware, args, kwargs), name, args, kwargs)

    def connect(
        self, node1: int | str, node2: int | str, *, duplicates: int | None = None, save: bool | None = None
    ) -> Pending:
        options = {"duplicates": duplicates, "save": save}
        return self._record(
            lambda firmware: connect_step(firmware, node1, node2, **options), "connect", (node1, node2), {}
        )

    def disconnect(self, node1: int | str, node2: int | str = -1) -> Pending:
        return self._record(lambda firmware: disconnect_step(firmware, node1, node2), "disconnect", (node1, node2), {})

    async def run(self, timeout: float | None = None) -> list[object]:
        if not self._builders:
            return []
        return await self._board.run_batch(self, timeout)

    async def __aenter__(self) -> Batch:
        return self

    async def __aexit__(self, exc_type: object, *rest: object) -> None:
        if exc_type is None:
            await self.run()


# --- steps ---------------------------------------------------------------------------------------


def plain_step(name: str, firmware: Firmware, args: Sequence[object], kwargs: Mapping[str, object]) -> Step:
    call = build_call(name, firmware, *args, **kwargs)
    if call.function.name.startswith("print_"):
        live = call.function.name in LIVE_MODE
        return Step([call], lambda values, outputs: clean_text(outputs[0]), label=name, nudge_main=live)
    return Step([call], label=name)


def _forbid(family: Family, a: int, b: int) -> None:
    if nodes.forbidden_pair(a, b, family):
        raise ForbiddenConnection(
            "node2",
            f"{nodes.canonical_name(a)} to {nodes.canonical_name(b)} is never allowed: it would short "
            "a supply, ground or DAC (the firmware refuses it)",
            "any node that is not another supply, GND or DAC output",
        )


def connect_step(
    firmware: Firmware, node1: object, node2: object, *, duplicates: int | None = None, save: bool | None = None
) -> Step:
    family = family_of(firmware)
    if family is Family.LEGACY:
        if duplicates is not None:
            raise ArgumentError("duplicates", "firmware before 5.6 has no duplicates argument", "leave it out")
        call = build_call("connect", firmware, node1, node2, True if save is None else save)
        checkable = bool(call.args[2])  # 5.3.x is_connected only reads the saved file
    else:
        if save is not None:
            raise ArgumentError("save", "JumperlOS connect() has no save argument (use nodes_save)", "leave it out")
        call = build_call("connect", firmware, node1, node2, -1 if duplicates is None else duplicates)
        checkable = True
    a, b = call.args[0], call.args[1]
    _forbid(family, a, b)  # type: ignore[arg-type]
    if not checkable:
        return Step([call], lambda values, outputs: ConnectionResult("connect", a, b, False, False), label="connect")  # type: ignore[arg-type]
    checks = [build_call("is_connected", firmware, a, b)]
    if family is Family.JUMPERLOS:
        # is_connected only says the bridge is stored; a bridge that would merge two special nets
        # (a row already on GND, then to TOP_RAIL) or has no free path is kept but never routed.
        checks.append(build_call("get_path_between", firmware, a, b))
    return Step(
        [call, *checks],
        lambda values, outputs: ConnectionResult("connect", a, b, bool(values[1]) and _routed(*values[2:]), True),  # type: ignore[arg-type]
        label="connect",
    )


def _routed(path: object = True) -> bool:
    """Whether get_path_between found a path for the bridge (True when it was not asked): a skipped one has
    none, or net -1."""
    return path is not None and not (isinstance(path, dict) and path.get("net", 1) in (-1, 0))


def disconnect_step(firmware: Firmware, node1: object, node2: object) -> Step:
    call = build_call("disconnect", firmware, node1, node2)
    a, b = call.args[0], call.args[1]
    if b == -1:
        return Step([call], lambda values, outputs: None, label="disconnect")
    check = build_call("is_connected", firmware, a, b)
    return Step(
        [call, check],
        lambda values, outputs: ConnectionResult("disconnect", a, b, bool(values[1]), True),  # type: ignore[arg-type]
        label="disconnect",
    )


def prevalidate(name: str, args: Sequence[object], kwargs: Mapping[str, object]) -> None:
    """Before the family is known: fail if no family would accept these arguments."""
    errors: list[JumperlessError] = []
    for family in (Family.JUMPERLOS, Family.LEGACY):
        try:
            if name == "connect":
                call = build_call("connect", family, *args[:2])
                _forbid(family, call.args[0], call.args[1])  # type: ignore[arg-type]
            else:
                build_call(name, family, *args, **kwargs)
            return
        except UnsupportedByFirmware:
            continue
        except ArgumentError as exc:
            errors.append(exc)
    if errors:
        raise errors[0]
    raise UnsupportedByFirmware(f"{name}() is not a Jumperless firmware function")


def _explain(error: FirmwareError, step: Step | None, completed: int) -> FirmwareError:
    """Say which call failed; an optional function missing from this build is 'unsupported'."""
    error.batch_completed = completed  # type: ignore[attr-defined]
    if step is not None and isinstance(error, FirmwareNameError):
        for call in step.calls:
            if call.function.name in error.message:
                unsupported = UnsupportedByFirmware(
                    f"{call.function.name}() is not in this firmware build ({error.message})"
                )
                unsupported.batch_completed = completed  # type: ignore[attr-defined]
                return unsupported  # type: ignore[return-value]
    return error


def _single_line(source: str) -> list[str]:
    lines = [line for line in source.splitlines() if line.strip()]
    if any(line[:1].isspace() or line.rstrip().endswith(":") for line in lines):
        raise ArgumentError(
            "source",
            "the main-port `>` channel runs one line at a time; compound statements need the raw REPL (firmware 5.6+)",
            "simple statements, one per line",
        )
    return lines


# --- generated methods ---------------------------------------------------------------------------

_ANNOTATIONS: dict[ArgKind, object] = {
    ArgKind.NODE: int | str,
    ArgKind.SLOT: int,
    ArgKind.DAC_CHANNEL: int | str,
    ArgKind.ADC_CHANNEL: int,
    ArgKind.INA_SENSOR: int,
    ArgKind.GPIO_PIN: int | str,
    ArgKind.PWM_PIN: int | str,
    ArgKind.WAVE: int | str,
    ArgKind.FLOAT: float,
    ArgKind.INT: int,
    ArgKind.BOOL: bool,
    ArgKind.STR: str,
    ArgKind.JSON: str | dict | list,
    ArgKind.COLORS: list,
    ArgKind.STR_OR_INT: str | int,
    ArgKind.STR_OR_FLOAT: str | float,
}
_RETURNS: dict[Returns, object] = {
    Returns.NONE: None,
    Returns.FLOAT: float,
    Returns.OPTIONAL_FLOAT: float | None,
    Returns.INT: int,
    Returns.BOOL: bool,
    Returns.STR: str,
    Returns.CONNECTION_STATE: bool,
    Returns.NODE: int,
    Returns.JSON: dict,
    Returns.OPTIONAL_DICT: dict | None,
    Returns.BYTES: bytes | None,
}


def _signature(function: Function, *, is_async: bool) -> inspect.Signature:
    params = [inspect.Parameter("self", inspect.Parameter.POSITIONAL_ONLY)]
    for arg in function.args:
        default = inspect.Parameter.empty if arg.required else arg.default
        params.append(
            inspect.Parameter(
                arg.name, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=default, annotation=_ANNOTATIONS[arg.kind]
            )
        )
    if is_async:
        params.append(
            inspect.Parameter("timeout", inspect.Parameter.KEYWORD_ONLY, default=None, annotation=float | None)
        )
    returns = "str" if function.name.startswith("print_") else _RETURNS.get(function.returns, Any)
    return inspect.Signature(params, return_annotation=returns if is_async else Pending)


def _describe(function: Function, families: Family) -> str:
    where = {Family.BOTH: "all firmware", Family.JUMPERLOS: "JumperlOS >= 5.6 only", Family.LEGACY: "5.3.x only"}
    lines = [function.doc or f"The firmware's {function.name}().", "", f"Available on: {where[families]}."]
    if function.requirement():
        lines.append(f"Needs firmware {function.requirement()}.")
    if function.aliases:
        lines.append(f"Firmware aliases: {', '.join(function.aliases)}.")
    if function.blocking:
        lines.append(f"May take long (waits for the user or measures); the default timeout is {BLOCKING_TIMEOUT:g} s.")
    if function.name.startswith("print_"):
        lines.append("Returns the text the firmware printed.")
    return "\n".join(lines)


GENERATED: list[str] = []  # the firmware functions made methods below (tools/board_methods.py writes their types)


def _make_methods() -> None:
    entries: dict[str, list[Function]] = {}
    for function in CATALOG:
        entries.setdefault(function.name, []).append(function)
    for name, declared in entries.items():
        if name in HAND_WRITTEN or hasattr(Board, name):
            continue
        families = Family(0)
        for function in declared:
            families |= function.families
        shown = declared[-1]
        doc = _describe(shown, families)

        async def async_method(
            self: Board, *args: object, timeout: float | None = None, _name: str = name, **kwargs: object
        ) -> Any:
            return await self.call(_name, *args, timeout=timeout, **kwargs)

        def batch_method(self: Batch, *args: object, _name: str = name, **kwargs: object) -> Pending:
            return self.call(_name, *args, **kwargs)

        GENERATED.append(name)
        for cls, method, is_async in ((Board, async_method, True), (Batch, batch_method, False)):
            method.__name__ = method.__qualname__ = name
            method.__doc__ = doc
            method.__signature__ = _signature(shown, is_async=is_async)  # type: ignore[attr-defined]
            setattr(cls, name, method)


_make_methods()


def method_names(family: Family) -> set[str]:
    """The Board methods that map to firmware functions a family has."""
    return {function.name for function in functions(family)}


__all__ = ["Batch", "Board", "ConnectionResult", "Pending"]
