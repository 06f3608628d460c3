"""The connection manager: one long-lived, self-healing session per board.

* one request at a time (an `anyio.Lock`);
* every request bounded by its timeout, (re)connecting included: a request that times out
  interrupts the board at once and returns; the next request first drains and checks the
  channel, within its own timeout, so no stale reply can reach it (if that fails the link is
  closed and reopened by the one after). A cancelled request resynchronises before it ends
  (shielded, at most RESYNC_LIMIT). Errors say whether the channel was put right or closed;
* a lost port (unplug, reboot) fails the request in flight with a retryable
  `BoardDisconnected`; the next request reconnects, with backoff between attempts;
* `health()` says how it is going.
"""

from __future__ import annotations

import collections
import contextlib
import contextvars
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import asdict, dataclass

import anyio

from firmware_api.versions import Family, FirmwareVersion
from jumperless_mcp.errors import (
    BoardDisconnected,
    BoardTimeout,
    ConnectionProblem,
    JumperlessError,
    ProtocolError,
)
from jumperless_mcp.link.discovery import ROLES, BoardPorts
from jumperless_mcp.link.handshake import identify, main_port_version, repl_port_version
from jumperless_mcp.link.serial_link import SerialLink
from jumperless_mcp.link.targets import Target
from jumperless_mcp.link.transport import Reply, Transport, clean_text
from jumperless_mcp.link.transport_oneliner import OneLinerTransport
from jumperless_mcp.link.transport_raw_repl import RawReplTransport

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 10.0
CONNECT_TIMEOUT = 15.0
RESYNC_LIMIT = 4.0  # the longest putting the channel right may take (or give up and close it)
INTERRUPT_LIMIT = 0.2  # writing the interrupt after a timeout (a few bytes; the port is open)
MAX_BACKOFF = 2.0
MAX_WAIT_SHARE = 0.5  # at most this share of a call's budget goes on waiting out the reconnect backoff
FIRST_BACKOFF = 0.1
# The statements run for the current tool call (tooling/audit.py sets a list here per call): per task context,
# so concurrent calls never see each other's sources.
SENT: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar("jumperless_sent", default=None)


@dataclass(frozen=True)
class Health:
    level: str  # "healthy" | "degraded" | "down"
    connected: bool
    firmware: str | None
    channel: str | None
    ports: dict[str, str | None]
    last_seen: float | None  # Unix time of the last good exchange
    last_latency_ms: float | None
    reconnects: int
    calls: int
    last_error: str | None
    note: str | None

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


class Session:
    def __init__(
        self,
        target: Target,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        connect_timeout: float = CONNECT_TIMEOUT,
        max_backoff: float = MAX_BACKOFF,
    ) -> None:
        self.target = target
        self.default_timeout = timeout
        self.connect_timeout = connect_timeout
        self.max_backoff = max_backoff
        self.version: FirmwareVersion | None = None
        self.ports: BoardPorts | None = None
        self._lock = anyio.Lock()
        self._transport: Transport | None = None
        self._side_link: SerialLink | None = None  # the main port, kept while the REPL port does the work
        self._ever_connected = False
        self._backoff = 0.0
        self._next_attempt = 0.0
        self._reconnects = 0
        self._calls = 0
        self._last_seen: float | None = None
        self._last_latency: float | None = None
        self._last_error: str | None = None
        self._degraded_note: str | None = None
        self._resynced = False
        self._unsettled: str | None = None  # why the channel must be checked before the next request
        self.board_messages: collections.deque[str] = collections.deque(maxlen=100)

    # --- state -------------------------------------------------------------------------------
    @property
    def connected(self) -> bool:
        return self._transport is not None

    @property
    def family(self) -> Family | None:
        return self.version.family if self.version else None

    @property
    def channel(self) -> str | None:
        return self._transport.name if self._transport else None

    @property
    def busy(self) -> bool:
        """A request holds the board now (a running script, a long call): a new one would wait for it."""
        return self._lock.locked()

    def wire_size(self, statement: str) -> tuple[int, int | None]:
        """How long `statement` is once the channel has prepared it, and the longest line the channel takes
        (None: no limit, or not connected), so callers can refuse what cannot be sent before sending it."""
        if self._transport is None:
            return len(statement), None
        return len(self._transport.prepare([statement])[0]), self._transport.max_line

    def health(self) -> Health:
        if self._transport is None:
            level = "down"
        elif self._degraded_note or self._resynced or self._unsettled:
            level = "degraded"
        else:
            level = "healthy"
        ports = self.ports
        return Health(
            level=level,
            connected=self.connected,
            firmware=str(self.version) if self.version else None,
            channel=self.channel,
            ports={"name": ports.name, "location": ports.location, "main": ports.main, "repl": ports.repl}
            if ports
            else {},
            last_seen=self._last_seen,
            last_latency_ms=None if self._last_latency is None else round(self._last_latency * 1000, 3),
            reconnects=self._reconnects,
            calls=self._calls,
            last_error=self._last_error,
            note=self._degraded_note,
        )

    # --- public operations -----------------------------------------------------------------------
    async def connect(self, timeout: float | None = None) -> None:
        """Open the board now (otherwise the first request does), within `connect_timeout`, or within
        `timeout` when that is shorter (a call that must learn the firmware first passes its own limit)."""
        async with self._lock:
            await self._ensure_connected(timeout)

    async def run(self, statements: list[str], *, timeout: float | None = None) -> Reply:
        """Run statements on the board; chunked to the channel's line limit, stopping at the first error.

        Without `timeout`, each chunk (one board round trip) gets the session's default. The timeout
        counts from when the call has the board (not while it waits behind another call) and covers
        (re)connecting and checking the channel a timed-out call left: the call ends within it.
        """
        if timeout is not None and timeout <= 0:
            raise ValueError(f"timeout must be positive, got {timeout}")
        async with self._lock:
            started = time.monotonic()
            budget = self.default_timeout if timeout is None else timeout
            reconnected = self._transport is None
            transport = await self._ensure_connected(budget)
            if self._unsettled is not None:
                transport = await self._settle(budget - (time.monotonic() - started))
            chunks = _chunks(transport.prepare(statements), transport.max_line)
            limit = self.default_timeout * len(chunks) if timeout is None else timeout
            sent = time.monotonic()
            if sent - started >= limit:
                doing = "reconnecting" if reconnected else "checking the channel after the last timeout"
                raise BoardTimeout(f"{doing} took the call's whole {limit:g} s; nothing was run, try again")
            sink = SENT.get()
            if sink is not None:
                sink.extend(statements)
            try:
                with anyio.fail_after(limit - (sent - started)):
                    reply = await self._execute(transport, chunks)
            except TimeoutError:
                outcome = await self._interrupt(f"a call timed out after {limit:g} s")
                raise BoardTimeout(
                    f"the board did not finish within {limit:g} s; {outcome}",
                    ready=self.connected and self._unsettled is None,
                    interrupted=self._unsettled is not None,
                ) from None
            except BoardDisconnected as exc:
                await self._drop(str(exc))
                raise BoardDisconnected(
                    f"the board went away during the call ({exc}); it reconnects by itself when it comes back"
                ) from None
            except ProtocolError as exc:
                await self._resync(str(exc))
                raise
            except BaseException:  # cancelled by the caller: leave nothing behind for the next call
                await self._resync("a call was cancelled")
                raise
            self._calls += 1
            self._last_latency = time.monotonic() - sent
            self._last_seen = time.time()
            self._resynced = False
            await self._collect_board_messages()
            return reply

    @contextlib.asynccontextmanager
    async def exclusive(self, timeout: float | None = None) -> AsyncIterator[tuple[FirmwareVersion, BoardPorts]]:
        """Hold the board between calls, for work on another of its ports (the 5.3.x logic analyzer's CDC2):
        no call runs meanwhile. Yields the firmware version and the ports."""
        async with self._lock:
            await self._ensure_connected(timeout)
            assert self.version is not None and self.ports is not None
            yield self.version, self.ports

    async def close(self) -> None:
        with anyio.CancelScope(shield=True):
            async with self._lock:
                await self._close_links()
            self.target.stop_emulator()
            if self.target.recorder is not None:
                self.target.recorder.close()

    async def nudge_main(self) -> None:
        """Write a bare CR to the main port now and then, until cancelled; never takes the request lock.

        Run it beside a request that may enter a firmware live mode: `print_nets()` blocks until a
        byte arrives on the main port (§2.3, §4.10), and the menu ignores CR. On the 5.3.x `>` channel
        the CRs are spaced wider than the firmware's 1 s statement collector, so one that lands while
        the statement is still being collected only adds a blank line, and the collector still ends.
        """
        while True:
            transport = self._transport
            link: SerialLink | None = None  # nothing to nudge while (re)connecting
            interval = 0.1
            if isinstance(transport, OneLinerTransport):
                link = transport.link
                if transport.family is Family.LEGACY:
                    interval = 1.5 * transport.time_scale
            elif transport is not None:
                link = self._side_link
            await anyio.sleep(interval)
            if link is not None and link.is_open and self._transport is transport:
                with contextlib.suppress(ConnectionProblem):
                    await link.write(b"\r")

    # --- internals -------------------------------------------------------------------------------
    async def _execute(self, transport: Transport, chunks: list[list[str]]) -> Reply:
        output: list[str] = []
        for chunk in chunks:
            reply = await transport.execute(chunk)
            output.append(reply.stdout)
            if reply.error is not None:
                return Reply("".join(output), reply.error)
        return Reply("".join(output))

    async def _ensure_connected(self, call_limit: float | None = None) -> Transport:
        """The channel, opened first if needed within `connect_timeout`.

        Inside a call (`call_limit`: the call's timeout) the call's own limit bounds it too, so reconnecting
        never makes a call outlast its timeout; `connect()` and `Board.open` get the whole `connect_timeout`.
        The error says which limit ran out: `BoardTimeout` for the call's, `BoardDisconnected` for the session's.
        """
        if self._transport is not None:
            return self._transport
        started = time.monotonic()
        allowed = self.connect_timeout if call_limit is None else min(self.connect_timeout, call_limit)
        wait = self._next_attempt - started
        if wait > 0:
            # Waiting out the backoff must leave the attempt most of the budget: an attempt left with a sliver
            # fails, doubles the backoff and leaves the next call a sliver too, and the board never comes back.
            if wait > allowed * MAX_WAIT_SHARE:
                raise BoardDisconnected(f"board unavailable ({self._last_error}); next attempt in {wait:.1f} s")
            await anyio.sleep(wait)
        try:
            with anyio.fail_after(allowed - (time.monotonic() - started)):
                transport = await self._open()
        except BaseException as exc:
            with anyio.CancelScope(shield=True):
                await self._close_links()
            if isinstance(exc, anyio.get_cancelled_exc_class()):
                raise
            self._backoff = min(max(FIRST_BACKOFF, self._backoff * 2), self.max_backoff)
            self._next_attempt = time.monotonic() + self._backoff
            if isinstance(exc, TimeoutError):
                verb = "reconnecting" if self._ever_connected else "connecting"
                if allowed < self.connect_timeout:
                    self._last_error = f"no answer while {verb} within the call's {allowed:g} s timeout"
                    raise BoardTimeout(
                        f"{self._last_error}; nothing was run, and the next call tries again", ready=False
                    ) from None
                self._last_error = f"no answer while {verb} within {self.connect_timeout:g} s"
                raise BoardDisconnected(self._last_error) from None
            if isinstance(exc, JumperlessError):
                self._last_error = str(exc)
            raise
        if self._ever_connected:
            self._reconnects += 1
            log.info("reconnected to %s (firmware %s, %s)", self.target.description, self.version, transport.name)
        self._ever_connected = True
        self._backoff = 0.0
        self._transport = transport
        self._last_seen = time.time()
        return transport

    async def _open(self) -> Transport:
        """Find the ports, learn the firmware, start the channel; on any failure or cancellation, every
        port opened here is closed again (its lock file released), so the next attempt can open it."""
        ports = await anyio.to_thread.run_sync(self.target.locate)
        self.ports = ports
        scale = ports.time_scale
        if self.target.recorder is not None:  # --record: every port opened below is written to the file
            self.target.recorder.watch({role: getattr(ports, role) for role in ROLES}, scale)
            self.target.recorder.watch({"main": ports.unknown})
        links: list[SerialLink] = []
        main = repl = None

        async def open_link(device: str) -> SerialLink:
            link = SerialLink(device)
            links.append(link)  # before opening: a cancelled open is closed too
            await link.open()
            return link

        try:
            if ports.unknown:
                link = await open_link(ports.unknown)
                role, version = await identify(link, time_scale=scale)
                main, repl = (link, None) if role == "main" else (None, link)
                ports = BoardPorts(**{role: ports.unknown}, time_scale=scale)  # type: ignore[arg-type]
                self.ports = ports
            elif ports.main:
                main = await open_link(ports.main)
                try:
                    version = await main_port_version(main, time_scale=scale, patient=not ports.repl)
                except ProtocolError:
                    if not ports.repl:
                        raise
                    repl = await open_link(ports.repl)
                    await _interrupt_repl_port(repl)
                    version = await main_port_version(main, time_scale=scale)
            else:
                assert ports.repl is not None
                repl = await open_link(ports.repl)
                version = await repl_port_version(repl)
            self.version = version
            if self.target.recorder is not None and version.family is Family.LEGACY:
                self.target.recorder.watch({"la": ports.repl})  # 5.3.x: the second port is the logic analyzer
            self._degraded_note = None
            if version.has_raw_repl:
                if repl is None and ports.repl:
                    repl = await open_link(ports.repl)
                if repl is not None:
                    transport: Transport = RawReplTransport(repl)
                    self._side_link = main
                else:
                    assert main is not None
                    self._degraded_note = (
                        f"firmware {version} has a REPL port but it was not found; using the slower `>` channel "
                        "on the main port (give both ports, or use auto discovery)"
                    )
                    transport = OneLinerTransport(main, version.family, scale)
            else:
                if main is None:
                    raise ProtocolError(f"firmware {version} has no raw REPL; connect through the main port")
                if repl is not None:  # opened only to interrupt it; on 5.3.x that port is the logic analyzer
                    await repl.close()
                    repl = None
                transport = OneLinerTransport(main, version.family, scale)
            await transport.start()
            return transport
        except BaseException:
            with anyio.CancelScope(shield=True):
                for opened in links:
                    with contextlib.suppress(Exception):
                        await opened.close()
            self._side_link = None
            raise

    async def _interrupt(self, reason: str) -> str:
        """After a timeout: interrupt the board now and leave draining and checking the channel to the next
        request (`_settle`), so this call ends at its timeout. Returns what happened, for the error message."""
        sent, failure = await self._on_channel(reason, INTERRUPT_LIMIT, "interrupting", lambda t: t.interrupt())
        if failure is not None:
            return failure
        if not sent:
            return "nothing had reached the board yet, so the channel is clean"
        self._unsettled = reason
        return "it was interrupted, and the channel is checked before the next call runs"

    async def _settle(self, remaining: float) -> Transport:
        """Drain and check the channel a timed-out request left, within what is left of this call's budget;
        the channel, or BoardTimeout when that failed (the link is then closed: the next call reconnects)."""
        reason, self._unsettled = self._unsettled or "", None
        outcome = await self._resync(reason, limit=min(RESYNC_LIMIT, remaining), interrupted=True)
        if self._transport is None:
            raise BoardTimeout(
                f"the board was not ready after the last call timed out: {outcome}; nothing was run", ready=False
            )
        return self._transport

    async def _resync(self, reason: str, *, limit: float = RESYNC_LIMIT, interrupted: bool = False) -> str:
        """Interrupt (unless `interrupted`) and drain after a failed request; drop the connection if that fails
        too.

        Returns what happened, in words for the caller's error message (it must not claim a resync
        that failed). Shielded, and bounded by `limit`.
        """
        did_something, failure = await self._on_channel(
            reason, limit, "resynchronising", lambda t: t.recover(interrupted)
        )
        if failure is not None:
            return failure
        if not did_something:
            return "nothing had reached the board yet, so the channel is clean"
        self._resynced = True
        log.info("resynchronised after: %s", reason)
        return "it was interrupted and the channel resynchronised"

    async def _on_channel(
        self, reason: str, limit: float, doing: str, step: Callable[[Transport], Awaitable[bool]]
    ) -> tuple[bool, str | None]:
        """Run `step` on the channel after a failed request, shielded and bounded by `limit`: (whether it did
        something, None), or, when the link is closed or the step failed (the link is then dropped), (False,
        what happened in words for the caller's error message)."""
        self._last_error = reason
        transport = self._transport
        if transport is None:
            return False, "the link is closed; the next call reconnects"
        with anyio.CancelScope(shield=True):
            try:
                with anyio.fail_after(max(limit, 0.0)):
                    did_something = await step(transport)
            except Exception as exc:
                problem = str(exc) or (
                    f"no answer within {limit:g} s" if isinstance(exc, TimeoutError) else type(exc).__name__
                )
                await self._drop(f"{reason}; {doing} failed ({problem})")
                return False, f"interrupting it failed ({problem}), so the link was closed; the next call reconnects"
        return did_something, None

    async def _drop(self, reason: str) -> None:
        log.warning("lost the board: %s", reason)
        self._last_error = reason
        with anyio.CancelScope(shield=True):
            await self._close_links()
        self._next_attempt = time.monotonic()  # the first reconnect attempt is immediate

    async def _close_links(self) -> None:
        transport, self._transport = self._transport, None
        side, self._side_link = self._side_link, None
        if transport is not None:
            with contextlib.suppress(Exception):
                await transport.close()
            link = getattr(transport, "link", None)
            if isinstance(link, SerialLink):  # closed by the channel, unless its close failed half way
                with contextlib.suppress(Exception):
                    await link.close()
        if side is not None:
            with contextlib.suppress(Exception):
                await side.close()

    async def _collect_board_messages(self) -> None:
        """Keep what the main port printed on its own (errors from set_state, probe banners...).

        The protocol has already buffered it while the request ran: no extra wait or loop turn.
        """
        if self._side_link is None:
            return
        for line in clean_text(self._side_link.take_buffered()).replace("\r", "\n").split("\n"):
            if line.strip():
                self.board_messages.append(line.strip())


async def _interrupt_repl_port(link: SerialLink) -> None:
    """Ctrl-C a script left running on the REPL port: while it runs, the main port is not served (§8.5)."""
    try:
        await repl_port_version(link)  # Ctrl-C twice, then the banner (failing is fine: just an attempt)
    except ProtocolError as exc:
        log.info("%s: no REPL banner while unsticking the board (%s)", link.device, exc)


def _chunks(statements: list[str], max_line: int | None) -> list[list[str]]:
    """Group statements so each group, joined with ';', fits the channel's line limit."""
    if max_line is None:
        return [statements]
    budget = max_line
    chunks: list[list[str]] = [[]]
    size = 0
    for statement in statements:
        if len(statement) > budget:
            raise JumperlessError(
                f"a call of {len(statement)} characters is too long for the main-port `>` channel "
                f"(at most {budget}); split it (for files, write smaller pieces)"
            )
        if chunks[-1] and size + len(statement) + 1 > budget:
            chunks.append([])
            size = 0
        chunks[-1].append(statement)
        size += len(statement) + 1
    return chunks
