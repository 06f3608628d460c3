"""Deferred discovery: three meta-tools instead of the whole catalog, for clients that ask for it.

A full catalog costs the model thousands of tokens on every turn. In discovery mode `tools/list` shows only
`tools_search` (find tools for a task in plain words), `tools_describe_many` (their full definitions) and
`tools_call` (run one by name). The last one matters: clients such as Claude Code only call listed tools and
ignore `tools/list_changed`, so "load it, then call it directly" would never work for them. Board tools stay
callable by name in either mode.

Names mode sits between: every board tool with its name, title, annotations and the first sentence of its
description, but the minimal input schema `{"type": "object"}` (the SDK's `Tool` requires one) and no output
schema, plus `tools_describe_many` for the schemas. Every tool stays listed, so clients that call only listed
tools call them directly once they have read the schema.

Choosing the mode, and the 2026-07-28 rule that the list must not vary per connection:
- JUMPERLESS_LIST_MODE=full|discovery|names is server-wide: every client of the process, in either protocol
  era, gets that list whatever it declares. YGG_MCP_FORCE_DEFERRED=1/true/yes/on is the older switch for
  discovery (JUMPERLESS_LIST_MODE wins when both are set).
- Otherwise the client's capability `experimental["x-deferred-tools"]` asks for discovery, and with the value
  `{"mode": "names"}` for names. A handshake-era client declares it once in `initialize` (that connection's
  list); a 2026-07-28 client sends its capabilities in every request's `_meta`, so the list is a function of
  the request alone: nothing is remembered per connection, and the same request gets the same bytes on any
  connection, any process. The list's order is the directory's (boards in configuration order, each board's
  tools in catalog order), never a set's.
"""

from __future__ import annotations

import enum
import json
import logging
from collections.abc import Callable, Mapping
from typing import Any

from mcp import types
from mcp.server.caching import CacheableMethod, CacheHint

from jumperless_mcp.settings.model import ConfigError
from jumperless_mcp.tooling import tool_meta
from jumperless_mcp.tooling.tool_context import Progress
from jumperless_mcp.tooling.tool_directory import ToolDirectory
from jumperless_mcp.tooling.tool_runner import ToolFailure, invalid_argument, schema_violation
from jumperless_mcp.tooling.tool_search import SearchIndex, summary

log = logging.getLogger("jumperless_mcp.tooling.deferred")

FORCE_ENV = "YGG_MCP_FORCE_DEFERRED"
FORCE_VALUES = frozenset({"1", "true", "yes", "on"})
CAPABILITY = "x-deferred-tools"
SEARCH, DESCRIBE, CALL = "tools_search", "tools_describe_many", "tools_call"
META_TOOLS = (SEARCH, DESCRIBE, CALL)
DEFAULT_LIMIT = 8
MAX_LIMIT = 50
MAX_NAMES = 100


LIST_MODE_ENV = "JUMPERLESS_LIST_MODE"
NAMES_REQUEST = {"mode": "names"}  # the capability's value that asks for names mode
NAMES_SCHEMA: dict[str, Any] = {"type": "object"}  # the least a Tool may carry: inputSchema is required


class ListMode(enum.StrEnum):
    FULL = "full"
    DISCOVERY = "discovery"
    NAMES = "names"


LIST_MODES = ", ".join(mode.value for mode in ListMode)

# ttlMs/cacheScope, required on these results by 2026-07-28 (the SDK fills them on that wire only). The tool
# list follows the boards plugged in and their firmware and changes without a request (list_changed tells
# listening clients, but a stdio client need not listen), resources are live board state: nothing stays
# fresh, so 0 ms. "private": the list depends on the caller's declared capability and this bench's boards,
# never to be shared by a cache between users.
LIVE = CacheHint(ttl_ms=0, scope="private")
CACHED: tuple[CacheableMethod, ...] = (
    "tools/list",
    "prompts/list",
    "resources/list",
    "resources/templates/list",
    "resources/read",
    "server/discover",
)
CACHE_HINTS: dict[CacheableMethod, CacheHint] = dict.fromkeys(CACHED, LIVE)


def server_list_mode(environ: Mapping[str, str]) -> ListMode | None:
    """The list mode JUMPERLESS_LIST_MODE sets for every client, or None (unset or blank): per client."""
    value = environ.get(LIST_MODE_ENV, "").strip().lower()
    if not value:
        return None
    try:
        return ListMode(value)
    except ValueError:
        raise ConfigError(LIST_MODE_ENV, f"{environ[LIST_MODE_ENV]!r} is not a list mode", LIST_MODES) from None


def forced_by_env(environ: Mapping[str, str]) -> bool:
    """Whether YGG_MCP_FORCE_DEFERRED forces discovery mode (1, true, yes, on; any case, spaces ignored)."""
    return environ.get(FORCE_ENV, "").strip().lower() in FORCE_VALUES


def describe_env(environ: Mapping[str, str]) -> str:
    """A log line on what the environment says about the list mode."""
    server = server_list_mode(environ)
    if server is not None:
        return f"{LIST_MODE_ENV}={environ[LIST_MODE_ENV]!r}: {server} mode for every client, whatever it declares"
    value = environ.get(FORCE_ENV)
    if value is None:
        return f"{FORCE_ENV} is not set: discovery mode only for clients that ask for {CAPABILITY}"
    if forced_by_env(environ):
        return f"{FORCE_ENV}={value!r}: discovery mode for every client"
    allowed = "/".join(sorted(FORCE_VALUES))
    return f"{FORCE_ENV}={value!r} is not one of {allowed}: not forcing discovery mode"


def list_mode(
    capabilities: types.ClientCapabilities | None, forced: bool, server: ListMode | None = None
) -> tuple[ListMode, str]:
    """The list mode for a request's client, and the trigger that chose it (for the log).

    `server` (JUMPERLESS_LIST_MODE) decides alone; else the capability, names mode when its value asks for it.
    """
    if server is not None:
        return server, f"{LIST_MODE_ENV} set in the environment"
    experimental = capabilities.experimental if capabilities is not None else None
    asked = experimental is not None and CAPABILITY in experimental
    if asked and experimental is not None and _asks_names(experimental[CAPABILITY]):
        return ListMode.NAMES, f'client capability experimental.{CAPABILITY} = {{"mode": "names"}}'
    if asked and forced:
        return ListMode.DISCOVERY, f"client capability experimental.{CAPABILITY} and {FORCE_ENV}"
    if asked:
        return ListMode.DISCOVERY, f"client capability experimental.{CAPABILITY}"
    if forced:
        return ListMode.DISCOVERY, f"{FORCE_ENV} set in the environment"
    return ListMode.FULL, "default (no deferred-tools capability, YGG_MCP_FORCE_DEFERRED not set)"


def _asks_names(value: object) -> bool:
    return isinstance(value, Mapping) and value.get("mode") == NAMES_REQUEST["mode"]


# --- the meta-tools' declarations ----------------------------------------------------------------------

_MATCH = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "description": {"type": "string"},
        "subsystem": {"type": "string"},
        "board": {"type": "string"},
        "score": {"type": "number"},
    },
    "required": ["name", "description", "subsystem", "score"],
}
_NAMED = {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}

_DECLARATIONS = (
    types.Tool(
        name=SEARCH,
        title="Find board tools",
        description=(
            "Find the board's tools for a task described in plain words, e.g. 'measure the voltage on row 12', "
            "'put 5 volts on the top rail', 'blink GPIO 3'. Returns the best matches first, each with its name "
            f"and a one-line description. Then read the chosen tools' parameters with {DESCRIBE} and run one "
            f"with {CALL}."
        ),
        input_schema={
            "type": "object",
            "properties": {
                "query": {"type": "string", "minLength": 1, "description": "The task, in your own words"},
                "limit": {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": MAX_LIMIT,
                    "default": DEFAULT_LIMIT,
                    "description": "How many matches to return at most",
                },
            },
            "required": ["query"],
            "additionalProperties": False,
        },
        output_schema={
            "type": "object",
            "properties": {"query": {"type": "string"}, "matches": {"type": "array", "items": _MATCH}},
            "required": ["query", "matches"],
        },
        annotations=types.ToolAnnotations(read_only_hint=True, idempotent_hint=True, open_world_hint=False),
    ),
    types.Tool(
        name=DESCRIBE,
        title="Describe board tools",
        description=(
            "The full definitions of board tools by name (from tools_search): description, input schema, "
            "output schema and annotations (readOnlyHint, destructiveHint, ...). Names that do not exist are "
            "listed under `unknown` with close names; tools this server will not run now under `unavailable`."
        ),
        input_schema={
            "type": "object",
            "properties": {
                "names": {
                    "type": "array",
                    "items": {"type": "string"},
                    "minItems": 1,
                    "maxItems": MAX_NAMES,
                    "description": "Tool names as tools_search returns them",
                }
            },
            "required": ["names"],
            "additionalProperties": False,
        },
        output_schema={
            "type": "object",
            "properties": {
                "tools": {"type": "array", "items": {"type": "object"}},
                "unknown": {"type": "array", "items": _NAMED},
                "unavailable": {"type": "array", "items": _NAMED},
            },
            "required": ["tools", "unknown", "unavailable"],
        },
        annotations=types.ToolAnnotations(read_only_hint=True, idempotent_hint=True, open_world_hint=False),
    ),
    types.Tool(
        name=CALL,
        title="Run a board tool",
        description=(
            "Run one board tool by name with its arguments (find it with tools_search, read its input schema "
            "with tools_describe_many). Returns exactly what calling that tool directly returns, errors "
            "included. It can change the board: what it does is the named tool's annotations."
        ),
        input_schema={
            "type": "object",
            "properties": {
                "name": {"type": "string", "minLength": 1, "description": "The tool's name from tools_search"},
                "arguments": {
                    "type": "object",
                    "default": {},
                    "description": "The tool's arguments, as its input schema says",
                },
            },
            "required": ["name"],
            "additionalProperties": False,
        },
        annotations=types.ToolAnnotations(
            read_only_hint=False, destructive_hint=True, idempotent_hint=False, open_world_hint=True
        ),
    ),
)
_ALLOWED = {
    "query": "a non-empty description of the task",
    "limit": f"1-{MAX_LIMIT}",
    "names": f"a list of 1-{MAX_NAMES} tool names",
    "name": "a tool name from tools_search",
    "arguments": "a JSON object of the tool's arguments",
}


class MetaTools:
    """tools_search, tools_describe_many and tools_call over a tool directory."""

    def __init__(self, directory: Callable[[], ToolDirectory]) -> None:
        self._directory = directory  # the current directory: a federation's changes as boards come and go
        self._tools = {
            tool.name: tool_meta.decorate(tool, tool_meta.DISCOVERY, always_load=True) for tool in _DECLARATIONS
        }
        self._index: tuple[tuple[str, ...], SearchIndex] | None = None

    @property
    def directory(self) -> ToolDirectory:
        return self._directory()

    def tools(self) -> list[types.Tool]:
        return list(self._tools.values())

    def names(self) -> list[types.Tool]:
        """Names mode: tools_describe_many, then every offered tool without its schemas (see the module doc)."""
        return [self._tools[DESCRIBE], *(named(tool) for tool in self.directory.mcp_tools())]

    def listed(self, mode: ListMode) -> list[types.Tool]:
        """What tools/list shows in this mode, in a fixed order (the directory's)."""
        if mode is ListMode.DISCOVERY:
            return self.tools()
        if mode is ListMode.NAMES:
            return self.names()
        return self.directory.mcp_tools()

    def handles(self, name: str) -> bool:
        return name in self._tools

    async def call(
        self, name: str, arguments: dict[str, Any] | None, progress: Progress | None = None
    ) -> types.CallToolResult:
        try:
            args = self._checked(self._tools[name], arguments or {})
            if name == CALL:
                return await self._call(args, progress)
            result = self._search(args) if name == SEARCH else self._describe(args)
        except ToolFailure as failure:
            log.info("%s failed: %s", name, failure.message)
            return failure.result()
        content = [types.TextContent(type="text", text=_text(result))]
        return types.CallToolResult(content=content, structured_content=result)

    # --- the three tools ---------------------------------------------------------------------------
    def _search(self, args: dict[str, Any]) -> dict[str, Any]:
        query: str = args["query"]
        if not query.strip():
            raise invalid_argument("query", "is blank: describe the task in words", _ALLOWED["query"])
        matches = self._search_index().search(query, args.get("limit", DEFAULT_LIMIT))
        found = []
        for match in matches:
            entry: dict[str, Any] = {
                "name": match.name,
                "description": match.summary,
                "subsystem": match.subsystem,
                "score": match.score,
            }
            if match.board:
                entry["board"] = match.board
            found.append(entry)
        return {"query": query, "matches": found}

    def _describe(self, args: dict[str, Any]) -> dict[str, Any]:
        described: list[dict[str, Any]] = []
        unknown: list[dict[str, Any]] = []
        unavailable: list[dict[str, Any]] = []
        for name in dict.fromkeys(args["names"]):  # each name once, in the order asked
            listing = self.directory.find(name)
            if listing is None:
                unknown.append({"name": name, "did_you_mean": self.directory.close_names(name)})
                continue
            reason = listing.unavailable_reason()
            if reason is not None:
                unavailable.append({"name": name, "reason": reason})
                continue
            described.append(listing.mcp_tool().model_dump(mode="json", by_alias=True, exclude_none=True))
        if not described and not unavailable:
            missing = ", ".join(repr(entry["name"]) for entry in unknown)
            details = {"parameter": "names", "unknown": unknown, "sent_to_board": False}
            raise ToolFailure(f"no such tools: {missing}; find names with {SEARCH}", "unknown_tool", details=details)
        return {"tools": described, "unknown": unknown, "unavailable": unavailable}

    async def _call(self, args: dict[str, Any], progress: Progress | None) -> types.CallToolResult:
        name: str = args["name"]
        if name in self._tools:
            raise invalid_argument("name", f"{name} is a discovery tool: call it directly", "a board tool name")
        return await self.directory.call(name, args.get("arguments", {}), progress)

    # --- helpers -----------------------------------------------------------------------------------
    def _search_index(self) -> SearchIndex:
        """The index of the tools offered now, rebuilt only when that set changes (e.g. the board's firmware)."""
        listings = self.directory.listings()
        key = tuple(listing.wire_name for listing in listings)
        if self._index is None or self._index[0] != key:
            self._index = (key, SearchIndex(listing.search_text() for listing in listings))
        return self._index[1]

    @staticmethod
    def _checked(tool: types.Tool, arguments: object) -> dict[str, Any]:
        if not isinstance(arguments, dict):
            raise invalid_argument("arguments", "must be a JSON object", "an object")
        violation = schema_violation(tool.name, tool.input_schema, arguments)
        if violation is None:
            return arguments
        allowed = ", ".join(tool.input_schema["properties"])
        if violation.validator != "additionalProperties":
            allowed = _ALLOWED.get(violation.parameter, "")
        raise invalid_argument(violation.parameter, violation.message, allowed)


def named(tool: types.Tool) -> types.Tool:
    """A tool as names mode lists it: one line of description, no schemas, no icons (title, hints and _meta kept)."""
    one_line = summary(tool.description or "")
    return tool.model_copy(
        update={"description": one_line, "input_schema": NAMES_SCHEMA, "output_schema": None, "icons": None}
    )


def _text(result: dict[str, Any]) -> str:
    """A short rendering for clients that show text: one line per match or tool."""
    if "matches" in result:
        lines = [f"{m['name']}: {m['description']}" for m in result["matches"]]
        return "\n".join(lines) if lines else f"no tool matched {result['query']!r}; try other words"
    return json.dumps(result)
