"""Several boards behind one server: who they are, the tool directory over them, and when it changes.

The federation owns its members (local boards and remote servers), builds the `ToolDirectory` from them
(bare names with one member, `board_tool` with several) plus its own `boards` tool, and tells its
listeners (the MCP server's client connections) when the offered tool list changes: a board unplugged or
plugged back, a remote's tools changing, the board list reloaded from the config file, or a new board
found on USB in auto mode. Each member keeps its own session and lock; nothing here serialises calls.
"""

from __future__ import annotations

import collections
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any

import anyio
from mcp import types

from jumperless_mcp.multiboard.members import Member
from jumperless_mcp.settings.board_config import board_label
from jumperless_mcp.tooling import deferred, tool_meta
from jumperless_mcp.tooling.tool_context import Progress
from jumperless_mcp.tooling.tool_directory import SINGLE_BOARD, ToolDirectory, ToolSource, board_prefix
from jumperless_mcp.tooling.tool_runner import ToolFailure, invalid_argument, schema_violation
from jumperless_mcp.tooling.tool_search import ToolText

log = logging.getLogger("jumperless_mcp.multiboard.federation")

Listener = Callable[[], Awaitable[None]]
BOARDS_TOOL = "boards"
WATCH_INTERVAL = 1.0  # seconds between presence checks (and config / USB rescans)


class Federation:
    """The members behind one server and the tool directory over them."""

    def __init__(self, members: Iterable[Member] = ()) -> None:
        self._members: dict[str, Member] = {}
        for member in members:
            self._adopt(member)
        self._listeners: list[Listener] = []
        self._rejected: dict[str, str] = {}  # member name -> why its tools are not in the directory
        self._wake = anyio.Event()
        self._announced: tuple[str, ...] | None = None
        self.server_tools = FederationTools(self)
        # The server's safe-state keeper (serving/safe_shutdown.py) says here whether each member is armed, and
        # makes a member safe before a configuration change drops it.
        self.safe_state_status: Callable[[Member], dict[str, Any]] | None = None
        self.before_dropping: Callable[[Member], Awaitable[None]] | None = None
        self.directory: ToolDirectory
        self._rebuild()

    # --- membership ------------------------------------------------------------------------------
    @property
    def members(self) -> list[Member]:
        return list(self._members.values())

    def member(self, name: str) -> Member | None:
        return self._members.get(name)

    def _adopt(self, member: Member) -> None:
        if member.name in self._members:
            raise ValueError(f"two boards are named {member.name!r}")
        self._members[member.name] = member
        member.on_change = self.poke

    async def start(self) -> None:
        """Open every member concurrently (a slow or absent board does not delay the others)."""
        async with anyio.create_task_group() as group:
            for member in self.members:
                group.start_soon(member.start)
        await self.update(rebuild=True)  # a remote's tools are known once it is connected

    async def aclose(self) -> None:
        with anyio.CancelScope(shield=True):
            for member in self.members:
                await member.aclose()

    async def replace_all(self, members: Sequence[Member]) -> None:
        """Swap in a new member list: members kept as they are stay open, the rest close or start."""
        wanted = {member.name: member for member in members}
        for name, old in list(self._members.items()):
            if wanted.get(name) is not old:
                del self._members[name]
                old.on_change = None
                if name not in wanted and self.before_dropping is not None:  # gone, not merely reconfigured
                    await self.before_dropping(old)
                await old.aclose()
        new = [member for name, member in wanted.items() if name not in self._members]
        for member in new:
            self._adopt(member)
        async with anyio.create_task_group() as group:  # concurrently: a slow board does not delay the others
            for member in new:
                group.start_soon(member.start)
        self._members = {name: self._members[name] for name in wanted}  # the configured order
        await self.update(rebuild=True)

    # --- the directory -----------------------------------------------------------------------------
    def prefix_of(self, member: Member) -> str:
        """The member's board name in wire names: none with a single member."""
        return SINGLE_BOARD if len(self._members) == 1 else member.name

    def _rebuild(self) -> None:
        """The directory over every member whose names fit; a member that would clash is left out and says why.

        Needed when the members or their tool names change, not when a board comes or goes: listings()
        asks each source whether its tools are offered now.
        """
        sources: list[tuple[str, ToolSource]] = [(SINGLE_BOARD, self.server_tools)]
        self._rejected = {}
        directory = ToolDirectory(sources, reserved=deferred.META_TOOLS)
        for member in self.members:
            candidate = [*sources, (self.prefix_of(member), member.tools)]
            try:
                directory = ToolDirectory(candidate, reserved=deferred.META_TOOLS)
            except ValueError as exc:
                self._rejected[member.name] = str(exc)
                log.error("%s left out of the tool list: %s", board_label(member.name), exc)
                continue
            sources = candidate
        self.directory = directory

    @property
    def rejected(self) -> dict[str, str]:
        """Members left out of the directory because their wire names would clash, and why."""
        return dict(self._rejected)

    def offered_names(self) -> tuple[str, ...]:
        return tuple(listing.wire_name for listing in self.directory.listings())

    # --- changes -----------------------------------------------------------------------------------
    def subscribe(self, listener: Listener) -> None:
        """`listener()` runs whenever the offered tool list changes."""
        self._listeners.append(listener)

    def poke(self) -> None:
        """A member's tools or presence changed: the watcher rebuilds the directory at once."""
        self._wake.set()

    async def update(self, *, rebuild: bool = False) -> None:
        """Re-check presence (and rebuild the directory); tell the listeners if the offered tools changed."""
        several = len(self._members) > 1
        for member in self.members:
            member.refresh_presence(hide_when_absent=several)
        if rebuild:
            self._rebuild()
        names = self.offered_names()
        if self._announced is None or names == self._announced:
            self._announced = names
            return
        self._announced = names
        log.info("tool list changed: %d tools offered", len(names))
        for listener in list(self._listeners):
            try:
                await listener()
            except Exception:  # one broken client connection must not stop the others hearing
                log.exception("could not tell a client that the tool list changed")

    async def watch(
        self, interval: float = WATCH_INTERVAL, *, rescan: Callable[[], Awaitable[None]] | None = None
    ) -> None:
        """Forever: re-check presence (and rescan config / USB with `rescan`) every `interval`, or when poked."""
        await self.update()
        while True:
            with anyio.move_on_after(interval):
                await self._wake.wait()
            poked, self._wake = self._wake.is_set(), anyio.Event()
            if rescan is not None:
                try:
                    await rescan()
                except Exception:
                    log.exception("rescanning the board list failed; keeping the current boards")
            await self.update(rebuild=poked)  # poked: a member's tool names may have changed

    # --- health ------------------------------------------------------------------------------------
    async def health(self, ping: bool = True) -> list[dict[str, Any]]:
        """Every member's health, pinged concurrently so one hung board costs only its own timeout."""
        results: dict[str, dict[str, Any]] = {}

        async def one(member: Member) -> None:
            results[member.name] = await member.health(ping)

        async with anyio.create_task_group() as group:
            for member in self.members:
                group.start_soon(one, member)
        offered = collections.Counter(id(listing.source) for listing in self.directory.listings())
        for member in self.members:
            entry = results[member.name]
            entry["prefix"] = board_prefix(self.prefix_of(member))
            entry["tools"] = offered[id(member.tools)]
            if member.name in self._rejected:
                entry["last_error"] = self._rejected[member.name]
            if self.safe_state_status is not None:
                entry["safe_state"] = self.safe_state_status(member)
        return [results[member.name] for member in self.members]


_BOARDS_DESCRIPTION = (
    "Every board this server drives (local boards and remote servers) with its health: level "
    "(healthy / degraded / down), firmware version, channel, latency of a fresh ping in ms, the last error, "
    "and the prefix of its tool names (none with a single board). Remote servers list their own boards under "
    "`boards`. Use it first on a multi-board bench to see which boards are up and what their tools are called."
)
_BOARDS_INPUT = {
    "type": "object",
    "properties": {
        "ping": {
            "type": "boolean",
            "default": True,
            "description": "ping each board now for a fresh latency (false: report the last call's)",
        }
    },
    "required": [],
    "additionalProperties": False,
}
_SAFE_STATE = {
    "type": "object",
    "description": "whether this server puts the board in the safe state (rails and DACs 0 V, wavegen and PWM "
    "off, bridges kept) when the last client leaves, on exit, and after idle_safe_after seconds without a tool "
    "call while a rail or DAC is energised; absent when the server has no safe state (off)",
    "properties": {
        "armed": {"type": "boolean"},
        "idle_safe_after": {"type": ["number", "null"], "description": "seconds; null: no idle timer"},
        "idle_left_s": {"type": ["number", "null"], "description": "seconds until the idle check"},
        "last": {"type": ["string", "null"], "description": "the last time it acted: why, and what it did"},
        "note": {"type": "string"},
    },
    "required": ["armed", "idle_safe_after", "idle_left_s", "last"],
}
_BOARD_HEALTH = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "prefix": {"type": "string", "description": "what its tool names start with (empty: bare names)"},
        "kind": {"type": "string"},
        "selector": {"type": "string"},
        "present": {"type": "boolean"},
        "level": {"type": "string", "enum": ["healthy", "degraded", "down"]},
        "firmware": {"type": ["string", "null"]},
        "channel": {"type": ["string", "null"]},
        "latency_ms": {"type": ["number", "null"]},
        "last_error": {"type": ["string", "null"]},
        "tools": {"type": "integer", "description": "tools offered now"},
        "safe_state": _SAFE_STATE,
    },
    "required": ["name", "prefix", "kind", "selector", "present", "level", "latency_ms", "last_error", "tools"],
}
_BOARDS_OUTPUT = {
    "type": "object",
    "properties": {"boards": {"type": "array", "items": _BOARD_HEALTH}},
    "required": ["boards"],
}


class FederationTools:
    """The server's own tools (a ToolSource in the unprefixed namespace): `boards`."""

    def __init__(self, federation: Federation) -> None:
        self.federation = federation
        self._tool = tool_meta.decorate(
            types.Tool(
                name=BOARDS_TOOL,
                title="Boards",
                description=_BOARDS_DESCRIPTION,
                input_schema=_BOARDS_INPUT,
                output_schema=_BOARDS_OUTPUT,
                annotations=types.ToolAnnotations(
                    read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False
                ),
            ),
            "system",
            hint="boards list health ping bench",
        )  # title, icon and search hint for clients (tooling/tool_meta.py)

    def tool_names(self) -> list[str]:
        return [BOARDS_TOOL]

    def unavailable_reason(self, tool: str) -> str | None:
        return None

    def mcp_tool(self, tool: str) -> types.Tool:
        return self._tool

    def search_text(self, tool: str) -> ToolText:
        params = (("ping", "ping each board now for a fresh latency"),)
        return ToolText(BOARDS_TOOL, "system", _BOARDS_DESCRIPTION, params)

    async def call(
        self, tool: str, arguments: dict[str, Any] | None, progress: Progress | None = None
    ) -> types.CallToolResult:
        arguments = arguments or {}
        violation = schema_violation(BOARDS_TOOL, _BOARDS_INPUT, arguments)
        if violation is not None:
            return invalid_argument(violation.parameter, violation.message, "ping: true or false").result()
        try:
            boards = await self.federation.health(bool(arguments.get("ping", True)))
        except Exception as exc:  # a bug of ours: say so instead of a JSON-RPC crash
            log.exception("boards crashed")
            return ToolFailure(f"internal error in boards: {type(exc).__name__}: {exc}", "internal_error").result()
        result = {"boards": boards}
        return types.CallToolResult(
            content=[types.TextContent(type="text", text=_boards_text(boards))], structured_content=result
        )


def _boards_text(boards: list[dict[str, Any]]) -> str:
    lines = []
    for board in boards:
        latency = "-" if board.get("latency_ms") is None else f"{board['latency_ms']:.1f} ms"
        where = f"tools {board['prefix']}_*" if board.get("prefix") else "bare tool names"
        error = f", last error: {board['last_error']}" if board.get("last_error") else ""
        version = board.get("firmware") or "-"
        lines.append(
            f"{board['name']} ({board['selector']}): {board['level']}, firmware {version}, "
            f"{board.get('channel') or '-'}, latency {latency}, {where}{error}{_safe_text(board.get('safe_state'))}"
        )
    return "\n".join(lines) or "no boards configured"


def _safe_text(safe: dict[str, Any] | None) -> str:
    if safe is None:
        return ""
    if not safe["armed"]:
        return "; safe state not armed"
    idle = safe["idle_safe_after"]
    timer = "no idle timer" if idle is None else f"idle timer {idle:g} s"
    if safe["idle_left_s"] is not None:
        timer += f" ({safe['idle_left_s']:g} s left)"
    last = f", last: {safe['last']}" if safe["last"] else ""
    return f"; safe state armed, {timer}{last}"
