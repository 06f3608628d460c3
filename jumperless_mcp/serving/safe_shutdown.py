"""The safe state when the agent leaves: every local board to 0 V, wavegen and PWM off, bridges kept.

`SafeKeeper` watches one server's federation and puts each armed board in the safe state
(`bench.safe_state`) when
- the last client disconnects: a handshake-era client's connection ends (stdio: stdin closed; HTTP: the
  session is deleted or expires), tracked as `Listeners` does, through the connection's exit stack;
- the server exits (SIGINT, SIGTERM, stdin closed): `safe_keeping()` does it on the way out, shielded from
  the cancellation and bounded by `EXIT_LIMIT`, before the boards are closed;
- no tool call came for `idle_safe_after` seconds (a dead-man timer) and a board reads energised (a rail or
  DAC setpoint off 0 V, or the waveform generator running). A call in flight holds the timer.

It is a server middleware: it sees every `tools/call` (bare, prefixed or through `tools_call`) and every
`notifications/initialized` without touching the handlers. Boards of a remote server are not armed here:
that server's own `safe_state` governs them, and closing this server's session to it (`RemoteBoard.aclose`
says goodbye) is a client leaving there. What was done, or what failed, goes to the log (stderr).
"""

from __future__ import annotations

import contextlib
import logging
import math
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import anyio
from mcp.server.context import CallNext, HandlerResult, ServerRequestContext

from jumperless_mcp.bench.safe_state import leave_safe
from jumperless_mcp.multiboard.federation import Federation
from jumperless_mcp.multiboard.members import LocalMember, Member
from jumperless_mcp.settings.board_config import board_label
from jumperless_mcp.settings.config import Config

log = logging.getLogger("jumperless_mcp.serving.safe_state")

EXIT_LIMIT = 4.0  # seconds the safe state may take per board on the way out (boards in parallel)
REMOTE_NOTE = (
    "a remote server's boards follow that server's own safe_state setting; closing this server's session "
    "to it counts there as a client leaving"
)


class SafeKeeper:
    """Puts the federation's armed boards in the safe state when the agent leaves (see the module doc)."""

    def __init__(self, federation: Federation, config: Config, *, clock: Callable[[], float] = time.monotonic):
        self.federation = federation
        self.idle_after = config.idle_safe_after if config.idle_safe_after > 0 else None
        self.limit = min(config.timeout, EXIT_LIMIT)
        self.clock = clock
        self._clients: set[object] = set()
        self._in_flight = 0
        self._last_activity = clock()
        self._last_check = self._last_activity
        self._safe = False  # made safe, and no tool call since
        self._last_gone = False
        self.track_clients = True  # watch clients' connections (HTTP); stdio's caller does it itself
        self._wake = anyio.Event()
        self._lock = anyio.Lock()
        self.last_event: dict[str, Any] | None = None  # when, why, and what each board reported

    # --- what is armed ---------------------------------------------------------------------------
    @staticmethod
    def armed(member: Member) -> bool:
        return isinstance(member, LocalMember) and member.config.safe_state

    def idle_left(self) -> float | None:
        """Seconds until the idle check; None while it cannot fire (off, a call in flight, already safe)."""
        if self.idle_after is None or self._in_flight or self._safe:
            return None
        since = max(self._last_activity, self._last_check)
        return max(0.0, since + self.idle_after - self.clock())

    def status(self, member: Member) -> dict[str, Any]:
        """The `boards` tool's `safe_state` entry for one member."""
        armed = self.armed(member)
        entry: dict[str, Any] = {
            "armed": armed,
            "idle_safe_after": self.idle_after if armed else None,
            "idle_left_s": None,
            "last": None,
        }
        if armed:
            left = self.idle_left()
            if left is None and self.idle_after is not None and self._in_flight and not self._safe:
                left = self.idle_after  # asked from a tool call (`boards`): the timer restarts when it ends
            entry["idle_left_s"] = None if left is None else round(left, 1)
            if self.last_event is not None and member.name in self.last_event["boards"]:
                entry["last"] = f"{self.last_event['reason']}: {self.last_event['boards'][member.name]}"
        elif isinstance(member, LocalMember):
            entry["note"] = "safe_state is off for this board"
        else:
            entry["note"] = REMOTE_NOTE
        return entry

    # --- the middleware --------------------------------------------------------------------------
    async def __call__(self, ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        if ctx.method == "notifications/initialized" and self.track_clients:
            self.track(ctx.session)
        if ctx.method != "tools/call" or ctx.request_id is None:
            return await call_next(ctx)
        self._in_flight += 1
        self._safe = False
        self._wake.set()
        try:
            return await call_next(ctx)
        finally:
            self._in_flight -= 1
            self._last_activity = self.clock()
            self._wake.set()

    def track(self, session: Any) -> None:
        """A client that has connected; when its connection ends and it was the last, the boards go safe."""
        connection = getattr(session, "_connection", None)  # mcp 2.3, private: see server.Listeners
        stack = getattr(connection, "exit_stack", None)
        if stack is None or connection in self._clients:
            return
        self._clients.add(connection)
        self._last_gone = False
        stack.callback(self._closed, connection)

    def _closed(self, connection: object) -> None:
        self._clients.discard(connection)
        if not self._clients:
            self._last_gone = True
            self._wake.set()

    # --- acting ----------------------------------------------------------------------------------
    async def run(self) -> None:
        """Forever: wait for the last client to leave or for the idle deadline, then act."""
        while True:
            left = self.idle_left()
            with anyio.move_on_after(math.inf if left is None else left):
                await self._wake.wait()
            self._wake = anyio.Event()
            if self._last_gone:
                self._last_gone = False
                await self.make_all_safe("the last client disconnected")
            elif (left := self.idle_left()) is not None and left <= 0:
                await self._idle_check()

    async def _idle_check(self) -> None:
        self._last_check = self.clock()
        quiet_since = self._last_activity  # a call arriving during the check cancels the idle safe state
        energised = []
        for member in self._reachable():
            try:
                with anyio.fail_after(self.limit * 2):
                    state = await member.board.energised(timeout=self.limit)
            except Exception as exc:  # a board busy or gone: try again after the next idle period
                log.warning("safe state: could not read %s (%s)", board_label(member.name), exc)
                continue
            if state.any:
                energised.append(member.name)
        if energised:
            idle = self.idle_after or 0.0
            minutes = f"{idle / 60:g} min" if idle >= 60 else f"{idle:g} s"
            reason = f"no tool call for {minutes} with {', '.join(energised)} energised"
            await self.make_all_safe(reason, quiet_since=quiet_since)
        else:
            log.info("safe state: no tool call for %g s, but nothing energised: left as it is", self.idle_after)

    async def dropping(self, member: Member) -> None:
        """A board the configuration no longer lists: the server leaves it, so it goes safe first (if armed and
        talked to). A board that is only reconfigured (same name) is left as it is."""
        if self.armed(member) and isinstance(member, LocalMember) and member.board.session.version is not None:
            reason = "dropped from the configuration"
            await leave_safe(member.board, limit=self.limit, who=f"{board_label(member.name)}, {reason}")

    def _reachable(self) -> list[LocalMember]:
        """Armed members whose board this server has talked to (never connected: nothing of ours to undo)."""
        return [
            m
            for m in self.federation.members
            if isinstance(m, LocalMember) and m.config.safe_state and m.board.session.version is not None
        ]

    async def make_all_safe(self, reason: str, *, quiet_since: float | None = None) -> dict[str, str]:
        """Every armed board to the safe state, concurrently, each bounded by `limit`; never raises.

        Shielded: it also runs to its end on a way out that is being cancelled (a signal). Skipped when
        the boards were already made safe and no tool call came since, and (with `quiet_since`, the idle
        timer's) when a tool call came after that moment: the agent is back.
        """
        done: dict[str, str] = {}

        async def one(member: LocalMember) -> None:
            report = await leave_safe(member.board, limit=self.limit, who=f"{board_label(member.name)}, {reason}")
            done[member.name] = "could not reach the board" if report is None else report.summary()

        with anyio.CancelScope(shield=True):
            async with self._lock:
                if self._safe:
                    return done
                if quiet_since is not None and (self._in_flight or self._last_activity != quiet_since):
                    log.info("safe state: a tool call came in; the idle timer starts again")
                    return done
                async with anyio.create_task_group() as group:
                    for member in self._reachable():
                        group.start_soon(one, member)
                self._safe = self._in_flight == 0
                self.last_event = {"reason": reason, "at": time.time(), "boards": done}
        return done


@contextlib.asynccontextmanager
async def safe_keeping(
    federation: Federation, config: Config, *, track_clients: bool = True
) -> AsyncIterator[SafeKeeper | None]:
    """A running keeper for the federation (None when `safe_state` is off); the safe state on the way out.

    `track_clients=False` (stdio, one client for the process's life) leaves the last client's leaving to the
    caller, which knows whether stdin closed or a signal came, so the log says which.
    """
    if not config.safe_state and not any(SafeKeeper.armed(m) for m in federation.members):
        log.info("safe state off: boards are left as they are when clients leave")
        federation.safe_state_status = None
        yield None
        return
    keeper = SafeKeeper(federation, config)
    keeper.track_clients = track_clients
    federation.safe_state_status = keeper.status
    federation.before_dropping = keeper.dropping
    idle = f"after {keeper.idle_after:g} s idle with a rail or DAC energised" if keeper.idle_after else "no idle timer"
    log.info("safe state armed: on the last client leaving, on exit, and %s", idle)
    async with anyio.create_task_group() as group:
        group.start_soon(keeper.run)
        try:
            yield keeper
        finally:
            federation.before_dropping = None
            await keeper.make_all_safe("the server is stopping")
            group.cancel_scope.cancel()
