"""A federation member that is another jumperless-mcp server, reached as an MCP client over Streamable HTTP.

The remote's board tools become this member's tools (the tool directory prefixes them with the member's
name); calls are forwarded unchanged, progress included. A background task keeps one client session open,
lists the remote's tools on connect and whenever the remote says they changed, pings it every few seconds
so an idle link notices a dead remote, and reconnects with backoff. While the remote is unreachable its
tools stay declared but unavailable, with the reason, so the federation's tool list follows it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

import anyio
import httpx2
from mcp import Client, types
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError
from mcp_types import CONNECTION_CLOSED, INVALID_REQUEST, REQUEST_TIMEOUT

from jumperless_mcp.multiboard.federation import BOARDS_TOOL
from jumperless_mcp.tooling import deferred
from jumperless_mcp.tooling.tool_context import Progress
from jumperless_mcp.tooling.tool_runner import ERROR_META, SUBSYSTEM_META, ToolFailure, error_details
from jumperless_mcp.tooling.tool_search import ToolText

log = logging.getLogger("jumperless_mcp.multiboard.federation")

HIDDEN_TOOLS = frozenset({BOARDS_TOOL, *deferred.META_TOOLS})
BACKOFF_START, BACKOFF_MAX = 0.5, 10.0  # seconds between reconnection attempts, doubling
KEEPALIVE = 5.0  # seconds between pings on an idle link (a dead remote is noticed within this)
BROKEN_LINK_WAIT = 1.0  # seconds a failed call waits for the session to say what broke
GOODBYE_TIMEOUT = 1.0  # seconds the session's DELETE may take when closing


class _Dropped(Exception):
    """The session is no longer usable (the remote restarted, stopped answering pings)."""


class RemoteBoard:
    """The boards of another jumperless-mcp server at `url` (`http(s)://host:port/mcp`), as one member."""

    def __init__(
        self, name: str, url: str, token: str | None, *, timeout: float = 10.0, read_only: bool = False
    ) -> None:
        self.name = name
        self.url = url
        self.kind = "remote"
        self.selector = url  # never the token
        self.timeout = timeout
        self.read_only = read_only
        self.tools = self
        self.on_change: Callable[[], None] | None = None
        self.keepalive = KEEPALIVE
        self.last_error: str | None = None
        self.last_latency_ms: float | None = None
        self._token = token
        self._tools: dict[str, types.Tool] = {}
        self._listed: set[str] = set()  # every name the remote listed, hidden ones included
        self._client: Client | None = None
        self._connected = anyio.Event()  # set while connected
        self._ended = anyio.Event()  # set when the current session has ended (and last_error says why)
        self._wake = anyio.Event()  # the session loop has something to do
        self._relist = False
        self._drop: str | None = None
        self._closing = False
        self._http_problem: str | None = None  # the last HTTP error status, which the SDK's errors do not carry
        self._task: asyncio.Task[None] | None = None
        self._attempted = anyio.Event()  # the first connection attempt is over (up or failed)

    def __repr__(self) -> str:
        return f"RemoteBoard({self.name!r}, {self.url!r})"

    # --- Member ------------------------------------------------------------------------------------
    async def start(self) -> None:
        """Start the background session and give the first attempt up to `timeout` seconds to connect.

        Clients that ignore tools/list_changed only ever see the first tool list, so it should hold the
        remote's tools when the remote is up. An unreachable remote is not an error: it is retried.
        """
        if self._task is None:
            self._closing = False
            self._attempted = anyio.Event()
            self._task = asyncio.get_running_loop().create_task(self._run(), name=f"remote board {self.name}")
            with anyio.move_on_after(self.timeout):
                await self._attempted.wait()

    async def aclose(self) -> None:
        """Close the session (saying goodbye to the remote when it is up) and stop reconnecting."""
        task, self._task = self._task, None
        if task is None:
            return
        self._closing = True
        if self.present():
            self._poke()
        else:
            task.cancel()
        with anyio.CancelScope(shield=True):
            done, _ = await asyncio.wait({task}, timeout=GOODBYE_TIMEOUT + 1.0)
            if not done:
                task.cancel()
                await asyncio.wait({task})
        self._set_down()

    def present(self) -> bool:
        return self._connected.is_set()

    def refresh_presence(self, hide_when_absent: bool) -> None:
        """Nothing to poll: the session task follows the connection, and its tools are unavailable while down."""

    async def wait_connected(self, timeout: float) -> None:
        """Wait until the session is up; TimeoutError saying why not after `timeout` seconds."""
        with anyio.move_on_after(timeout):
            await self._connected.wait()
            return
        raise TimeoutError(
            f"remote server {self.name} ({self.url}) not connected after {timeout:g} s: {self.last_error}"
        )

    async def health(self, ping: bool) -> dict[str, Any]:
        boards: list[Any] = []
        client = self._client
        answered = True
        if ping and client is not None:
            started = time.monotonic()
            try:
                with anyio.fail_after(self.timeout):
                    await client.session.send_ping()
                self.last_latency_ms = (time.monotonic() - started) * 1000
            except Exception as exc:
                answered = False
                self._note_problem(exc)
            if answered and BOARDS_TOOL in self._listed:
                try:
                    boards = await self._remote_boards(client)
                except Exception as exc:  # its boards stay unlisted; the link itself answered
                    self._note_problem(exc)
        up = self.present()
        return {
            "name": self.name,
            "kind": self.kind,
            "selector": self.selector,
            "present": up,
            "level": "healthy" if up and answered else "down",
            "firmware": None,
            "channel": "mcp-http",
            "latency_ms": self.last_latency_ms,
            "last_error": self.last_error,
            "boards": boards,
        }

    async def _remote_boards(self, client: Client) -> list[Any]:
        result = await client.call_tool(BOARDS_TOOL, {"ping": True}, read_timeout_seconds=self.timeout)
        found = (result.structured_content or {}).get("boards") if not result.is_error else None
        return found if isinstance(found, list) else []

    # --- ToolSource --------------------------------------------------------------------------------
    def tool_names(self) -> list[str]:
        return list(self._tools)

    def unavailable_reason(self, tool: str) -> str | None:
        if not self.present():
            return self._unreachable()
        if self.read_only and not self._read_only_tool(tool):
            return f"{tool} changes the board, and {self.name} is read-only in this server's config"
        return None

    def mcp_tool(self, tool: str) -> types.Tool:
        return self._tools[tool]

    def search_text(self, tool: str) -> ToolText:
        found = self._tools[tool]
        subsystem = (found.meta or {}).get(SUBSYSTEM_META, "remote")
        properties = found.input_schema.get("properties", {}) if isinstance(found.input_schema, dict) else {}
        params = tuple(
            (name, str(schema.get("description", "")) if isinstance(schema, dict) else "")
            for name, schema in properties.items()
        )
        return ToolText(tool, str(subsystem), found.description or "", params)

    async def call(
        self, tool: str, arguments: dict[str, Any] | None, progress: Progress | None = None
    ) -> types.CallToolResult:
        """Run the tool on the remote; its result comes back unchanged, a broken link as a retryable error.

        A remote that restarted has forgotten our session and did not run the call: after reconnecting, the
        call is sent once more.
        """
        result = await self._call_once(tool, arguments, progress)
        if result is not _FORGOTTEN:
            return result
        with anyio.move_on_after(self.timeout):
            await self._connected.wait()
        result = await self._call_once(tool, arguments, progress)
        if result is _FORGOTTEN:  # forgotten twice in a row: report it rather than loop
            return ToolFailure(self._unreachable(), "remote_unreachable", retryable=True).result()
        return result

    async def _call_once(
        self, tool: str, arguments: dict[str, Any] | None, progress: Progress | None
    ) -> types.CallToolResult:
        client = self._client
        reason = self.unavailable_reason(tool)
        if reason is not None or client is None:
            kind = "remote_unreachable" if client is None or not self.present() else "unavailable"
            return ToolFailure(
                reason or self._unreachable(), kind, retryable=kind == "remote_unreachable", details=_NOT_SENT
            ).result()

        async def forward(done: float, total: float | None, message: str | None) -> None:
            if progress is not None:
                await progress(done, total, message or "")

        limit = self.timeout + _tool_timeout(arguments)
        ended = self._ended
        started = time.monotonic()
        try:
            result = await client.call_tool(tool, arguments, read_timeout_seconds=limit, progress_callback=forward)
        except MCPError as exc:
            if exc.code == REQUEST_TIMEOUT:
                message = f"remote server {self.name} ({self.url}) did not answer {tool} within {limit:g} s"
                return ToolFailure(message, "remote_timeout", retryable=True).result()
            if not _link_broken(exc):
                message = f"remote server {self.name} ({self.url}) refused {tool}: {exc.error.message}"
                return ToolFailure(message, "remote_error").result()
            failure = await self._broken_link(exc, ended)
            return _FORGOTTEN if _forgotten(exc) else failure
        except (httpx2.HTTPError, OSError, anyio.BrokenResourceError, anyio.ClosedResourceError) as exc:
            return await self._broken_link(exc, ended)
        except RuntimeError as exc:  # a session closed under us, or a result not matching the tool's output schema
            if self._client is not client:
                return await self._broken_link(None, ended)
            message = f"remote server {self.name} ({self.url}) sent a bad result for {tool}: {exc}"
            return ToolFailure(message, "remote_error").result()
        self.last_latency_ms = (time.monotonic() - started) * 1000
        return _readable(result)

    async def _broken_link(self, exc: BaseException | None, ended: anyio.Event) -> types.CallToolResult:
        """The error for a call whose link broke, with the cause the session saw (it ends a moment later)."""
        if exc is not None:
            self._note_problem(exc)
        with anyio.move_on_after(BROKEN_LINK_WAIT):
            await ended.wait()
        return ToolFailure(self._unreachable(), "remote_unreachable", retryable=True).result()

    # --- the session -------------------------------------------------------------------------------
    def _unreachable(self) -> str:
        return f"remote server {self.name} ({self.url}) is unreachable: {self.last_error or 'not connected yet'}"

    def _read_only_tool(self, tool: str) -> bool:
        found = self._tools.get(tool)
        return found is not None and found.annotations is not None and found.annotations.read_only_hint is True

    def _poke(self) -> None:
        self._wake.set()

    def _changed(self) -> None:
        if self.on_change is not None:
            try:
                self.on_change()
            except Exception:  # the listener's bug must not take the session down
                log.exception("remote server %s: on_change failed", self.name)

    def _set_down(self) -> None:
        self._client = None
        self._ended.set()
        if self._connected.is_set():
            self._connected = anyio.Event()
            if self._closing:
                log.info("remote server %s (%s): closed", self.name, self.url)
            else:
                log.warning("remote server %s (%s) is down: %s", self.name, self.url, self.last_error)
            self._changed()

    def _note_problem(self, exc: BaseException) -> None:
        """Remember what went wrong; a broken link also ends the session, which then reconnects."""
        self.last_error = self._describe(exc)
        if self._client is not None and _link_broken(exc):
            self._drop = self.last_error
            self._poke()

    def _describe(self, exc: BaseException) -> str:
        leaf = _leaf(exc)
        if self._http_problem is not None and isinstance(leaf, MCPError):
            return self._http_problem
        if isinstance(leaf, MCPError) and _forgotten(leaf):
            return "the remote server restarted and no longer knows this session"
        if isinstance(leaf, MCPError):
            return leaf.error.message
        return f"{type(leaf).__name__}: {leaf}" if str(leaf) else type(leaf).__name__

    async def _on_response(self, response: httpx2.Response) -> None:
        status = response.status_code
        if status < 400:
            self._http_problem = None
        elif status == 401 or status == 403:
            self._http_problem = (
                f"HTTP {status} {response.reason_phrase}: the remote refused our bearer token "
                f"(check the token configured for {self.name})"
            )
        elif status >= 400 and status != 404:  # 404: a session the remote forgot (it restarted)
            self._http_problem = f"HTTP {status} {response.reason_phrase}"

    async def _on_message(self, message: Any) -> None:
        if isinstance(message, types.ToolListChangedNotification):
            self._relist = True
            self._poke()

    async def _run(self) -> None:
        """Keep a session open for as long as the member lives: connect, hold, and after a drop try again."""
        delay = BACKOFF_START
        while not self._closing:
            try:
                await self._session()
            except Exception as exc:
                previous, self.last_error = self.last_error, self._describe(exc)
                if not self.present():  # a failed connection attempt (a drop is logged by _set_down)
                    level = logging.DEBUG if previous == self.last_error else logging.WARNING
                    log.log(level, "remote server %s (%s) unreachable: %s", self.name, self.url, self.last_error)
            if self.present():
                delay = BACKOFF_START  # it was up: the first retry comes soon
            self._set_down()
            self._attempted.set()
            if self._closing:
                return
            await anyio.sleep(delay)
            delay = min(delay * 2, BACKOFF_MAX)

    async def _session(self) -> None:
        """One client session, from connecting to its end."""
        headers = {"Authorization": f"Bearer {self._token}"} if self._token else {}
        http = httpx2.AsyncClient(
            headers=headers,
            timeout=httpx2.Timeout(self.timeout, read=None),  # the event stream idles; requests have their own limits
            event_hooks={"response": [self._on_response]},
        )
        self._http_problem = None
        self._drop = None
        self._relist = False
        async with http:
            with anyio.CancelScope() as scope:
                transport = streamable_http_client(self.url, http_client=http)
                client = Client(
                    transport,
                    mode="legacy",
                    read_timeout_seconds=self.timeout,
                    message_handler=self._on_message,
                    cache=None,
                )
                async with client:
                    await self._list(client)
                    self._ended = anyio.Event()
                    self._client = client
                    self.last_error = None
                    self._connected.set()
                    log.info("remote server %s (%s): connected, %d tools", self.name, self.url, len(self._tools))
                    self._changed()
                    self._attempted.set()
                    try:
                        await self._hold(client)
                    except _Dropped as exc:
                        self.last_error = str(exc)
                        self._client = None
                        scope.cancel()  # no goodbye to a remote that stopped answering
                    finally:
                        self._client = None
                    scope.deadline = anyio.current_time() + GOODBYE_TIMEOUT  # bound the DELETE on the way out

    async def _hold(self, client: Client) -> None:
        """While the session is up: re-list on list_changed, ping when idle, leave on a drop or on close."""
        while not self._closing:
            with anyio.move_on_after(self.keepalive) as idle:
                await self._wake.wait()
            self._wake = anyio.Event()
            if self._drop is not None:
                raise _Dropped(self._drop)
            if self._closing:
                return
            if self._relist:
                self._relist = False
                await self._list(client)
                self._changed()
            elif idle.cancelled_caught:
                try:
                    with anyio.fail_after(self.timeout):
                        await client.session.send_ping()
                except TimeoutError:
                    raise _Dropped(f"no answer to a ping within {self.timeout:g} s") from None
                except MCPError as exc:
                    if _link_broken(exc):
                        raise _Dropped(self._describe(exc)) from None
                    raise

    async def _list(self, client: Client) -> None:
        """The remote's tools, without its `boards` tool and discovery meta-tools (this server has its own)."""
        listed: list[types.Tool] = []
        cursor: str | None = None
        while True:
            page = await client.list_tools(cursor=cursor)
            listed.extend(page.tools)
            cursor = page.next_cursor
            if cursor is None:
                break
        self._listed = {tool.name for tool in listed}
        self._tools = {tool.name: tool for tool in listed if tool.name not in HIDDEN_TOOLS}
        if not self._tools and self._listed & set(deferred.META_TOOLS):
            log.warning(
                "remote server %s (%s) lists only the discovery meta-tools, so its board tools cannot be federated; "
                "unset %s on the remote server",
                self.name,
                self.url,
                deferred.FORCE_ENV,
            )


_NOT_SENT = {"sent_to_board": False}
_FORGOTTEN = types.CallToolResult(content=[])  # marker: the remote forgot the session; reconnect and resend


def _readable(result: types.CallToolResult) -> types.CallToolResult:
    """A remote's result as this server sends its own: an error's details in `_meta`, never structured content.

    A remote running an older jumperless-mcp put them in structured content, which clients that check it
    against the tool's output schema reject; forwarding that unchanged would break them here too.
    """
    if not result.is_error:
        return result
    details = error_details(result)
    if result.structured_content is None and (result.meta or {}).get(ERROR_META) == details:
        return result
    meta = {**(result.meta or {}), ERROR_META: details}
    return types.CallToolResult(content=result.content, is_error=True, meta=meta)


def _tool_timeout(arguments: dict[str, Any] | None) -> float:
    """The tool's own `timeout` argument (blocking tools wait that long on a person), if any."""
    value = (arguments or {}).get("timeout")
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return float(value)
    return 0.0


def _link_broken(exc: BaseException) -> bool:
    """Whether the error means the session is gone (closed transport, a session the remote forgot)."""
    if isinstance(exc, MCPError):
        return exc.code == CONNECTION_CLOSED or _forgotten(exc)
    return not isinstance(exc, RuntimeError)


def _forgotten(exc: MCPError) -> bool:
    """The remote answered 404 for our session id: it restarted, and the request never ran."""
    return exc.code == INVALID_REQUEST and exc.error.message in ("Session not found", "Session terminated")


def _leaf(exc: BaseException) -> BaseException:
    """The first real error inside exception groups (the transport's task group wraps what went wrong)."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return exc
