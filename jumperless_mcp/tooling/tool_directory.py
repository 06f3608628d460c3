"""The tools a server offers, under the names the client sees (wire names), over one or several boards.

Tools come from sources: a local board's `ToolRunner`, a remote server's tool list, the federation's own
`boards` tool. Each source sits under a board name, or under "" for the unprefixed namespace (the only
board of a one-board server, and server-level tools).

With a board name the internal name is `board.tool` (`bench-a.connect`) and the wire name is the board's
prefix and the tool's name joined by `_` (`bench_a_connect`, a `-` in the board name becoming `_`). One
table maps wire names to (board, tool) and back, and refuses two pairs that would share a wire name (board
`a_b` tool `x` against board `a` tool `b_x`). `tools/list`, `tools/call` and the discovery meta-tools all
go through here, so they agree on names.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from mcp import types

from jumperless_mcp.tooling import tool_meta
from jumperless_mcp.tooling.tool_context import Progress
from jumperless_mcp.tooling.tool_runner import ToolFailure, ToolRunner
from jumperless_mcp.tooling.tool_search import ToolText
from jumperless_mcp.tooling.tool_spec import TOOL_NAME, ToolSpec

SINGLE_BOARD = ""  # the unprefixed namespace: the only board of a one-board server, and server-level tools


class ToolSource(Protocol):
    """A set of tools by their own names: one board's, a remote server's, or the server's own."""

    def tool_names(self) -> list[str]:
        """Every tool it declares, offered now or not."""
        ...

    def unavailable_reason(self, tool: str) -> str | None:
        """Why the tool is not offered now (None when it is)."""
        ...

    def mcp_tool(self, tool: str) -> types.Tool: ...

    def search_text(self, tool: str) -> ToolText: ...

    async def call(
        self, tool: str, arguments: dict[str, Any] | None, progress: Progress | None = None
    ) -> types.CallToolResult: ...


class RunnerTools:
    """A local board's declared tools, through its `ToolRunner`."""

    def __init__(self, runner: ToolRunner) -> None:
        self.runner = runner

    def tool_names(self) -> list[str]:
        return [spec.name for spec in self.runner.specs()]

    def unavailable_reason(self, tool: str) -> str | None:
        return self.runner.unavailable_reason(self._spec(tool))

    def mcp_tool(self, tool: str) -> types.Tool:
        return self.runner.mcp_tool(self._spec(tool))

    def search_text(self, tool: str) -> ToolText:
        spec = self._spec(tool)
        params = tuple((p.name, str(p.schema.get("description", ""))) for p in spec.params)
        return ToolText(spec.name, spec.subsystem, spec.description, params)

    async def call(
        self, tool: str, arguments: dict[str, Any] | None, progress: Progress | None = None
    ) -> types.CallToolResult:
        return await self.runner.call(self._spec(tool), arguments, progress)

    def _spec(self, tool: str) -> ToolSpec:
        spec = self.runner.spec(tool)
        if spec is None:
            raise KeyError(tool)
        return spec


@dataclass(frozen=True)
class Listing:
    """One tool of one source, under its wire name."""

    wire_name: str
    board: str  # "" in the unprefixed namespace
    tool: str  # the name its source knows it by
    source: ToolSource

    @property
    def internal_name(self) -> str:
        """`board.tool`, or the bare tool name in the unprefixed namespace."""
        return f"{self.board}.{self.tool}" if self.board else self.tool

    def unavailable_reason(self) -> str | None:
        return self.source.unavailable_reason(self.tool)

    def mcp_tool(self) -> types.Tool:
        tool = self.source.mcp_tool(self.tool)
        if not self.board:
            return tool
        return tool_meta.for_board(tool, self.board, self.wire_name)

    def search_text(self) -> ToolText:
        return dataclasses.replace(self.source.search_text(self.tool), name=self.wire_name, board=self.board)

    async def call(self, arguments: dict[str, Any] | None, progress: Progress | None = None) -> types.CallToolResult:
        return await self.source.call(self.tool, arguments, progress)


def board_prefix(board: str) -> str:
    """The start of a board's wire names: `bench-a` gives `bench_a`."""
    return board.replace("-", "_")


def wire_name(board: str, tool: str) -> str:
    return f"{board_prefix(board)}_{tool}" if board else tool


class ToolDirectory:
    """Every declared tool of every source by wire name; `listings()` is what is offered right now."""

    def __init__(self, sources: Sequence[tuple[str, ToolSource]], reserved: Iterable[str] = ()) -> None:
        taken = set(reserved)
        self._by_wire: dict[str, Listing] = {}
        self._by_internal: dict[str, Listing] = {}
        for board, source in sources:
            for tool in source.tool_names():
                name = wire_name(board, tool)
                if not TOOL_NAME.match(name):
                    raise ValueError(f"wire name {name!r} (board {board!r}, tool {tool!r}) is not a valid name")
                clash = self._by_wire.get(name)
                if name in taken or clash is not None:
                    other = f"board {clash.board!r} tool {clash.tool!r}" if clash else "a server tool"
                    raise ValueError(f"wire name {name!r} of board {board!r} tool {tool!r} clashes with {other}")
                listing = Listing(name, board, tool, source)
                self._by_wire[name] = listing
                self._by_internal[listing.internal_name] = listing

    @classmethod
    def single(cls, runner: ToolRunner, reserved: Iterable[str] = ()) -> ToolDirectory:
        return cls([(SINGLE_BOARD, RunnerTools(runner))], reserved)

    @classmethod
    def of_runners(cls, runners: dict[str, ToolRunner], reserved: Iterable[str] = ()) -> ToolDirectory:
        """Named boards' runners (tests and benchmarks)."""
        if SINGLE_BOARD in runners and len(runners) > 1:
            raise ValueError("a server with several boards must name every board")
        return cls([(board, RunnerTools(runner)) for board, runner in runners.items()], reserved)

    def find(self, name: str) -> Listing | None:
        """The tool with this wire name, offered or not."""
        return self._by_wire.get(name)

    def find_internal(self, name: str) -> Listing | None:
        """The tool with this internal name (`board.tool`), offered or not."""
        return self._by_internal.get(name)

    def listings(self) -> list[Listing]:
        """The tools offered now (read-only mode, gates, the board's firmware and presence decide)."""
        return [listing for listing in self._by_wire.values() if listing.unavailable_reason() is None]

    def mcp_tools(self) -> list[types.Tool]:
        return [listing.mcp_tool() for listing in self.listings()]

    def close_names(self, name: str) -> list[str]:
        """Offered wire names that look like `name` (a typo, a missing board prefix)."""
        return difflib.get_close_matches(name, [listing.wire_name for listing in self.listings()], n=3, cutoff=0.6)

    def unknown(self, name: str) -> ToolFailure:
        offered = [listing.wire_name for listing in self.listings()]
        close = self.close_names(name)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        details = {"parameter": "name", "did_you_mean": close, "allowed": sorted(offered)[:200], "sent_to_board": False}
        return ToolFailure(f"unknown tool {name!r}{hint}", "unknown_tool", details=details)

    async def call(
        self, name: str, arguments: dict[str, Any] | None, progress: Progress | None = None
    ) -> types.CallToolResult:
        listing = self._by_wire.get(name)
        if listing is None:
            return self.unknown(name).result()
        return await listing.call(arguments, progress)
