"""Every tool result checked as the strictest MCP client checks it, before a test looks at it.

The TypeScript SDK's client validates any `structuredContent` (error results included) against the listed
tool's `outputSchema` and throws away the whole result when it does not match. So here:
- an error result has `isError`, text `<kind>: <message>`, its details in `_meta["jumperless/error"]`
  ({error, kind, retryable, ...}) and no structured content;
- a success result of a tool with an output schema has structured content that the schema (JSON Schema
  2020-12) accepts. `tools_call` has no output schema of its own: its result is checked against the schema
  of the tool it ran.

Schemas come from the session's own server, in the session's list mode: `tools/list` first, then (for a tool
not listed there, as board tools are in discovery mode) `tools_describe_many`, which every jumperless-mcp
server answers in either mode. A tool's output schema depends only on its declaration, not on the server's
settings, so schemas seen on one session are tried first on the others (listing costs more than the rest of
the check); a result they refuse is checked again against what its own session lists before it fails.
"""

from __future__ import annotations

import json
import weakref
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import jsonschema
from mcp import ClientSession, types

ERROR_META = "jumperless/error"
DESCRIBE, CALL = "tools_describe_many", "tools_call"
LIST_TIMEOUT = 10.0  # seconds a schema lookup may take; past that the result's shape is checked without it

CallTool = Callable[..., Awaitable[Any]]


class ResultShapeError(AssertionError):
    """A result a strict MCP client would refuse."""


def error_details(result: types.CallToolResult) -> dict[str, Any]:
    """The details of an error result, after checking it has the form every client can read."""
    text = result.content[0].text if result.content and isinstance(result.content[0], types.TextContent) else ""
    if not result.is_error:
        raise ResultShapeError(f"expected an error result, got success: {text!r} {result.structured_content}")
    if result.structured_content is not None:
        raise ResultShapeError(f"an error result must carry no structuredContent, got {result.structured_content}")
    details = (result.meta or {}).get(ERROR_META)
    if not isinstance(details, dict):
        raise ResultShapeError(f"an error result needs _meta[{ERROR_META!r}], got meta {result.meta}: {text!r}")
    for key, kind in (("error", str), ("kind", str), ("retryable", bool)):
        if not isinstance(details.get(key), kind):
            raise ResultShapeError(f"_meta[{ERROR_META!r}][{key!r}] should be a {kind.__name__}: {details}")
    if text != f"{details['kind']}: {details['error']}":
        raise ResultShapeError(f"the text of an error result should be '<kind>: <message>', got {text!r}")
    json.dumps(details, allow_nan=False)
    return details


def check_structured(name: str, schema: dict[str, Any] | None, result: types.CallToolResult) -> None:
    """A success result against the output schema its tool lists (None: the tool declares none)."""
    if schema is None:
        return
    data = result.structured_content
    if data is None:
        raise ResultShapeError(f"{name} lists an output schema but its result has no structuredContent")
    json.dumps(data, allow_nan=False)
    error = jsonschema.exceptions.best_match(_validator(schema).iter_errors(data))
    if error is not None:
        where = "/".join(str(part) for part in error.absolute_path) or "(top)"
        raise ResultShapeError(f"{name}: structuredContent breaks its output schema at {where}: {error.message}")


_VALIDATORS: dict[str, jsonschema.protocols.Validator] = {}


def _validator(schema: dict[str, Any]) -> jsonschema.protocols.Validator:
    key = json.dumps(schema, sort_keys=True)
    found = _VALIDATORS.get(key)
    if found is None:
        jsonschema.Draft202012Validator.check_schema(schema)
        found = _VALIDATORS[key] = jsonschema.Draft202012Validator(schema)
    return found


_SEEN: dict[str, dict[str, Any] | None] = {}  # tool name -> output schema, as some session last listed it


class SessionSchemas:
    """The output schemas one session's server offers, found as that session's client would find them."""

    def __init__(self, session: ClientSession, call_tool: CallTool) -> None:
        self._session = weakref.ref(session)
        self._call_tool = call_tool  # the unchecked call_tool, for tools_describe_many
        self._own: dict[str, dict[str, Any] | None] = {}  # listed or described by this session
        self._unknown: set[str] = set()

    async def check(self, name: str, arguments: dict[str, Any] | None, result: types.CallToolResult) -> None:
        if result.is_error:
            error_details(result)
            return
        await self._check(name, result)
        inner = (arguments or {}).get("name") if name == CALL else None
        if isinstance(inner, str):
            await self._check(inner, result)

    async def _check(self, name: str, result: types.CallToolResult) -> None:
        """Against the schema seen for this name (on any session); on a mismatch, against this session's own."""
        if name in self._own or name in _SEEN:
            try:
                check_structured(name, self._own[name] if name in self._own else _SEEN[name], result)
                return
            except ResultShapeError:
                if name in self._own and name not in self._unknown:
                    self._own.pop(name)  # the tool list may have changed since: look again
        if name in self._unknown:
            return
        await self._refresh(name)
        if name in self._own:
            check_structured(name, self._own[name], result)

    async def _refresh(self, name: str) -> None:
        session = self._session()
        if session is None:
            return
        with anyio.move_on_after(LIST_TIMEOUT):
            try:
                cursor = None
                while True:
                    params = types.PaginatedRequestParams(cursor=cursor) if cursor else None
                    page = await session.list_tools(params=params)
                    self._learn({tool.name: tool.output_schema for tool in page.tools})
                    cursor = page.next_cursor
                    if not cursor:
                        break
                if name not in self._own:
                    await self._describe(session, name)
            except Exception:  # a closed or broken session: the result's form was checked; nothing else can be
                return

    async def _describe(self, session: ClientSession, name: str) -> None:
        answer = await self._call_tool(session, DESCRIBE, {"names": [name]})
        if answer.is_error or not isinstance(answer.structured_content, dict):
            self._unknown.add(name)
            return
        self._learn({tool["name"]: tool.get("outputSchema") for tool in answer.structured_content.get("tools", [])})
        if name not in self._own:
            self._unknown.add(name)

    def _learn(self, schemas: dict[str, dict[str, Any] | None]) -> None:
        self._own.update(schemas)
        _SEEN.update(schemas)


_SESSIONS: weakref.WeakKeyDictionary[ClientSession, SessionSchemas] = weakref.WeakKeyDictionary()
ORIGINAL_CALL_TOOL: CallTool = ClientSession.call_tool


def schemas_for(session: ClientSession) -> SessionSchemas:
    found = _SESSIONS.get(session)
    if found is None:
        found = _SESSIONS[session] = SessionSchemas(session, ORIGINAL_CALL_TOOL)
    return found


async def checked_call_tool(
    self: ClientSession, name: str, arguments: dict[str, Any] | None = None, *args: Any, **kwargs: Any
) -> Any:
    """ClientSession.call_tool, with every CallToolResult checked before the caller sees it."""
    result = await ORIGINAL_CALL_TOOL(self, name, arguments, *args, **kwargs)
    if isinstance(result, types.CallToolResult):
        await schemas_for(self).check(name, arguments, result)
    return result


def installed() -> bool:
    """Whether every ClientSession.call_tool in this process is checked (tests/result_schema_plugin.py)."""
    return ClientSession.call_tool is checked_call_tool


async def check(session: ClientSession, name: str, arguments: dict[str, Any] | None, result: Any) -> None:
    """Check a result a harness got (nothing to do when the plugin already checks every call)."""
    if not installed() and isinstance(result, types.CallToolResult):
        await schemas_for(session).check(name, arguments, result)
