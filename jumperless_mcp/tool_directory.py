"""The tools a server offers, under the names the client sees (wire names), over one or several boards.

With one board a wire name is the tool's own name (`connect`). With several, it is the board's name and
the tool's joined by `_` (`bench_a_connect`). One table maps wire names to (board, tool) and back, and
refuses two pairs that would share a wire name. `tools/list`, `tools/call` and the discovery meta-tools
all go through here, so they agree on names.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from mcp import types

from jumperless_mcp.tool_context import Progress
from jumperless_mcp.tool_runner import ToolFailure, ToolRunner
from jumperless_mcp.tool_search import ToolText
from jumperless_mcp.tool_spec import TOOL_NAME, ToolSpec

SINGLE_BOARD = ""  # the board name of a server with one board: wire names are the tools' own names


@dataclass(frozen=True)
class Listing:
    """One tool of one board, under its wire name."""

    wire_name: str
    board: str
    spec: ToolSpec
    runner: ToolRunner

    def unavailable_reason(self) -> str | None:
        return self.runner.unavailable_reason(self.spec)

    def mcp_tool(self) -> types.Tool:
        tool = self.runner.mcp_tool(self.spec)
        if not self.board:
            return tool
        description = f"[board {self.board}] {tool.description}"
        return tool.model_copy(update={"name": self.wire_name, "description": description})

    def search_text(self) -> ToolText:
        params = tuple((p.name, str(p.schema.get("description", ""))) for p in self.spec.params)
        return ToolText(self.wire_name, self.spec.subsystem, self.spec.description, params, self.board)


def wire_name(board: str, tool: str) -> str:
    return f"{board}_{tool}" if board else tool


class ToolDirectory:
    """Every declared tool of every board by wire name; `listings()` is what is offered right now."""

    def __init__(self, runners: Mapping[str, ToolRunner], reserved: Iterable[str] = ()) -> None:
        if SINGLE_BOARD in runners and len(runners) > 1:
            raise ValueError("a server with several boards must name every board")
        taken = set(reserved)
        self._by_wire: dict[str, Listing] = {}
        for board, runner in runners.items():
            for spec in runner.specs():
                name = wire_name(board, spec.name)
                if not TOOL_NAME.match(name):
                    raise ValueError(f"wire name {name!r} (board {board!r}, tool {spec.name!r}) is not a valid name")
                clash = self._by_wire.get(name)
                if name in taken or clash is not None:
                    other = f"board {clash.board!r} tool {clash.spec.name!r}" if clash else "a server tool"
                    raise ValueError(f"wire name {name!r} of board {board!r} tool {spec.name!r} clashes with {other}")
                self._by_wire[name] = Listing(name, board, spec, runner)

    @classmethod
    def single(cls, runner: ToolRunner, reserved: Iterable[str] = ()) -> ToolDirectory:
        return cls({SINGLE_BOARD: runner}, reserved)

    def find(self, name: str) -> Listing | None:
        """The tool with this wire name, offered or not."""
        return self._by_wire.get(name)

    def listings(self) -> list[Listing]:
        """The tools offered now (read-only mode, gates and the board's firmware decide)."""
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
        self, name: str, arguments: dict[str, object] | None, progress: Progress | None = None
    ) -> types.CallToolResult:
        listing = self._by_wire.get(name)
        if listing is None:
            return self.unknown(name).result()
        return await listing.runner.call(listing.spec, arguments, progress)
