"""The boards of a federation: what the federation needs from each, and the local (serial) kind.

A member is one named entry: a board on this machine (`LocalMember`, a `Board` and its tools) or a remote
server's boards (`remote_board.RemoteBoard`). Each has its own session and lock, so one board's trouble
never holds up another's calls.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable
from typing import Any, Protocol

import anyio
from mcp import types

from jumperless_mcp.bench.board import Board
from jumperless_mcp.errors import BoardNotFound, ConnectionProblem, JumperlessError
from jumperless_mcp.link.recording import recording_path
from jumperless_mcp.settings.board_config import board_label
from jumperless_mcp.settings.config import Config
from jumperless_mcp.tooling.tool_context import Progress, ServerMemory, ToolContext
from jumperless_mcp.tooling.tool_directory import RunnerTools
from jumperless_mcp.tooling.tool_runner import ToolFailure, ToolRunner
from jumperless_mcp.tooling.tool_search import ToolText
from jumperless_mcp.tooling.tool_spec import ToolSpec
from jumperless_mcp.tools import ALL_TOOLS

log = logging.getLogger("jumperless_mcp.multiboard.federation")

PING_TIMEOUT = 2.0  # seconds the `boards` tool waits for each board's fresh ping


class Member(Protocol):
    """One named entry of the federation."""

    name: str  # as configured: "bench-a"
    kind: str  # "usb", "path", "emulator", "auto", "mapping" (local) or "remote"
    selector: str  # what selects it: "usb:1-1.4", "/dev/ttyACM0", "emulator", "http://host:8765/mcp"
    tools: Any  # its ToolSource (tool_directory.ToolSource)
    on_change: Callable[[], None] | None  # set by the federation: call when the member's tool list changed

    async def start(self) -> None:
        """Open it; an unreachable board must not raise (its health says why, and it keeps retrying)."""
        ...

    async def aclose(self) -> None: ...

    def present(self) -> bool:
        """Whether the board is there now (ports exist, the remote answers): cheap, no round trip."""
        ...

    def refresh_presence(self, hide_when_absent: bool) -> None:
        """Re-check presence now; with `hide_when_absent` (several boards) its tools are unavailable while absent."""
        ...

    async def health(self, ping: bool) -> dict[str, Any]:
        """{name, kind, selector, present, level, firmware, channel, latency_ms, last_error, ...}."""
        ...


class GatedTools:
    """A source whose tools are all unavailable while its board is absent (unplugged, unreachable)."""

    def __init__(self, inner: Any, absent_reason: Callable[[], str | None]) -> None:
        self.inner = inner
        self.absent_reason = absent_reason

    def tool_names(self) -> list[str]:
        return self.inner.tool_names()

    def unavailable_reason(self, tool: str) -> str | None:
        return self.absent_reason() or self.inner.unavailable_reason(tool)

    def mcp_tool(self, tool: str) -> types.Tool:
        return self.inner.mcp_tool(tool)

    def search_text(self, tool: str) -> ToolText:
        return self.inner.search_text(tool)

    async def call(
        self, tool: str, arguments: dict[str, Any] | None, progress: Progress | None = None
    ) -> types.CallToolResult:
        reason = self.absent_reason()
        if reason is not None:
            return ToolFailure(reason, "board_absent", retryable=True, details={"sent_to_board": False}).result()
        return await self.inner.call(tool, arguments, progress)


def make_board(config: Config, target: object = None, name: str | None = None) -> Board:
    """A board for this configuration, not yet opened (the first call or `start()` connects)."""
    options: dict[str, object] = {}
    if config.parts:
        from jumperless_mcp.emulator.parts import load_parts

        options["parts"] = load_parts(config.parts)
    return Board(
        target if target is not None else config.port,  # type: ignore[arg-type]
        timeout=config.timeout,
        eager=False,
        allow_python=config.allow_python,
        emulator_options=options,
        record=recording_path(config.record, name),
    )


class LocalMember:
    """A board on this machine's serial ports (or a virtual board in this process)."""

    def __init__(
        self, name: str, config: Config, board: Board | None = None, tools: Iterable[ToolSpec] = ALL_TOOLS
    ) -> None:
        self.name = name
        self.config = config
        self.board = board if board is not None else make_board(config, name=name)
        self.kind = self.board.target.kind
        self.selector = self.board.target.description
        self.runner = ToolRunner(tools, ToolContext(self.board, config, ServerMemory()), name)
        self._hide_when_absent = False  # several boards: an unplugged board's tools leave the list
        self._present = True  # as of the federation's last check (tools are listed often; USB scans are slow)
        self.tools = GatedTools(RunnerTools(self.runner), self._absent_reason)
        self.on_change: Callable[[], None] | None = None

    def _absent_reason(self) -> str | None:
        if not self._hide_when_absent or self._present:
            return None
        return f"{board_label(self.name)} ({self.selector}) is not plugged in; its tools come back when it is"

    async def start(self) -> None:
        await self.board.start()
        try:
            await self.board.session.connect()
            firmware, channel = self.board.firmware, self.channel
            log.info("serving %s as %s (firmware %s, %s)", self.selector, board_label(self.name), firmware, channel)
        except (BoardNotFound, ConnectionProblem) as exc:
            log.warning("%s not reachable yet (%s); its tools retry on each call", board_label(self.name), exc)
        self._present = self.present()

    @property
    def channel(self) -> str | None:
        return self.board.session.channel

    async def aclose(self) -> None:
        await self.board.aclose()

    def present(self) -> bool:
        """Whether the board's ports are there now (USB enumeration, the device node, the virtual cable)."""
        return self.absence() is None

    def absence(self) -> str | None:
        """Why the board's ports are not there now; None when they are."""
        target = self.board.target
        if target.kind == "emulator" and target.virtual_board is None:
            return None  # started on first use
        try:
            ports = target.locate()
        except (BoardNotFound, JumperlessError) as exc:
            return str(exc)
        paths = [path for path in (ports.main, ports.repl, ports.unknown) if path]
        if paths and not any(path.upper().startswith("COM") or os.path.exists(path) for path in paths):
            return f"no such port: {', '.join(paths)}"
        return None

    def refresh_presence(self, hide_when_absent: bool) -> None:
        self._hide_when_absent = hide_when_absent
        self._present = self.present()

    async def health(self, ping: bool) -> dict[str, Any]:
        problem = None
        if ping and self._present:
            limit = min(PING_TIMEOUT, self.config.timeout)
            with anyio.move_on_after(limit * 2) as scope:  # the lock may be held by a long call
                try:
                    await self.board.ping(timeout=limit)
                except (ConnectionProblem, JumperlessError) as exc:
                    problem = str(exc)
            if scope.cancelled_caught:
                problem = f"no answer within {limit * 2:g} s (busy with a long call, or hung)"
        health = self.board.health()
        level = health.level if problem is None else "down"
        if not self._present:
            level = "down"
            problem = problem or self.absence() or "not plugged in"
        return {
            "name": self.name,
            "kind": self.kind,
            "selector": self.selector,
            "present": self._present,
            "level": level,
            "firmware": health.firmware,
            "channel": health.channel,
            "latency_ms": health.last_latency_ms,
            "last_error": problem or health.last_error,
            "reconnects": health.reconnects,
            "calls": health.calls,
        }
