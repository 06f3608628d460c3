"""The MCP server: the low-level SDK `Server`, answering from our own tool declarations.

`federation_server()` wires `tools/list` and `tools/call` to a federation's tool directory and tells
clients when it changes; `build_server()` is the one-board case. `serve_stdio()` and `serve_http()` open
the configured boards and serve them. Logs go to stderr: stdout is the wire in stdio mode.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import socket
import sys
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from mcp import types
from mcp.server import NotificationOptions, Server, ServerRequestContext
from mcp.server.request_state import RequestStateBoundary, RequestStateSecurity
from mcp.server.subscriptions import InMemorySubscriptionBus, ListenHandler, ResourcesListChanged, ToolsListChanged

from jumperless_mcp.bench.board import Board
from jumperless_mcp.multiboard.board_list import SINGLE_NAME, open_bench
from jumperless_mcp.multiboard.federation import Federation
from jumperless_mcp.multiboard.members import LocalMember
from jumperless_mcp.serving import completions, prompts
from jumperless_mcp.serving.asking import InputRequired, SessionAsker
from jumperless_mcp.serving.resources import Resources
from jumperless_mcp.serving.safe_shutdown import safe_keeping
from jumperless_mcp.serving.stdio_transport import stdio_streams
from jumperless_mcp.settings.config import Config, ConfigError
from jumperless_mcp.tooling import confirm, deferred
from jumperless_mcp.tooling.tool_directory import ToolDirectory
from jumperless_mcp.tooling.tool_runner import ToolRunner
from jumperless_mcp.tooling.tool_spec import ToolSpec
from jumperless_mcp.tools import ALL_TOOLS
from jumperless_mcp.version import __version__

log = logging.getLogger("jumperless_mcp.serving.server")

INSTRUCTIONS = """\
Jumperless V5 breadboards: these tools wire circuits in software (analog crossbar switches), set voltages
(DACs, rails), measure (ADCs, current sensors, ohmmeter, scope captures), drive GPIO/PWM, the waveform
generator, the OLED and the probe. Start with board_info. Nodes are rows 1-60 or names (D13, A0, TOP_RAIL,
GND, DAC0, ADC0, GPIO_1). connect reads back: check `ok`. Measure a node with measure_node (or connect it to
an ADC, then adc_read). An error of kind 'declined': the person said no; do not retry.
More:
- `boards` lists the boards with their health. With several boards each tool name starts with its board's
  name (bench_a_connect drives board bench-a); with one, the names are bare.
- Node names: D0-D13, A0-A7 (Arduino Nano header), TOP_RAIL, BOTTOM_RAIL, GND, DAC0, DAC1, ADC0-ADC4,
  ISENSE_PLUS/ISENSE_MINUS, GPIO_1-GPIO_8, UART_TX/UART_RX.
- The firmware refuses some bridges silently (rails, GND and DACs never share a net). dac_set sets a rail or
  DAC; dac_get is the setpoint, not a measurement.
- apply_netlist sets many bridges in one step with a dry run and rollback; snapshot_save/snapshot_restore
  put the board back after an experiment.
- Calls that energise (a rail or DAC beyond the confirm threshold, a large waveform), wipe (clear_connections,
  slot_switch, state_set, saving over a slot) or run code may first ask the person to confirm.
- Resources (jumperless://...) hold the node map, each board's live state and short reference notes; prompts
  start guided workflows (measure, debug, build, characterise, health check).
- If the tool list shows only tools_search, tools_describe_many and tools_call (discovery mode), find tools
  with tools_search ("measure the voltage on row 12"), read their parameters with tools_describe_many and
  run them with tools_call; the tool names above are the same there. Tools listed without parameters
  (names mode): read them with tools_describe_many before calling.
"""


class Listeners:
    """The handshake-era clients to tell when the tool list changes, each dropped when its connection ends.

    Over HTTP every client is a new connection; a closed one must not stay here (each kept ~18 KB, F7).
    The SDK makes a new `ServerSession` per message, so a weak reference to one dies with its message;
    the entry is keyed by the session's connection instead, whose exit stack (unwound by the SDK when the
    connection closes) removes it. The SDK exposes the connection to lowlevel handlers only privately
    (`ServerSession._connection`, mcp 2.3); without it the session is kept until a send to it fails.
    """

    def __init__(self) -> None:
        self._sessions: dict[object, Any] = {}

    def __len__(self) -> int:
        return len(self._sessions)

    def add(self, session: Any) -> None:
        connection = getattr(session, "_connection", None)
        stack = getattr(connection, "exit_stack", None)
        key = connection if stack is not None else session
        if key in self._sessions:
            return
        self._sessions[key] = session
        if stack is not None:
            stack.callback(self._sessions.pop, key, None)

    async def tell(self, resources_too: bool = False) -> None:
        """notifications/tools/list_changed (and resources/list_changed) to each, on the connection-wide channel;
        drop those that fail."""
        for key, session in list(self._sessions.items()):
            try:
                await session.send_tool_list_changed()
                if resources_too:
                    await session.send_resource_list_changed()
            except Exception as exc:  # a client that went away
                log.debug("list_changed not delivered to a closed connection: %s", exc)
                self._sessions.pop(key, None)


NOTIFIES = NotificationOptions(tools_changed=True, resources_changed=True)  # the list_changed this server sends


class JumperlessServer(Server[Any]):
    """Advertise tools.listChanged on every transport (the SDK's in-process paths skip run()'s options).

    `server/discover` (2026-07-28) answers with the handshake's capabilities: the SDK would otherwise claim
    listChanged for every list served because subscriptions/listen exists, whatever is ever published.
    """

    listeners: Listeners  # set by federation_server

    def create_initialization_options(self, notification_options=None, experimental_capabilities=None, extensions=None):  # type: ignore[no-untyped-def, override]
        return super().create_initialization_options(
            notification_options or NOTIFIES, experimental_capabilities, extensions
        )

    def get_capabilities(
        self,
        notification_options: NotificationOptions | None = None,
        experimental_capabilities: dict[str, dict[str, Any]] | None = None,
        extensions: dict[str, dict[str, Any]] | None = None,
        *,
        protocol_version: str | None = None,  # ignored: both eras get the handshake's derivation
    ) -> types.ServerCapabilities:
        return super().get_capabilities(notification_options or NOTIFIES, experimental_capabilities, extensions)


def build_server(
    board: Board,
    config: Config,
    tools: Iterable[ToolSpec] = ALL_TOOLS,
    environ: Mapping[str, str] | None = None,
) -> tuple[JumperlessServer, ToolRunner]:
    """A server for one board; `environ` (default os.environ) may force discovery mode."""
    member = LocalMember(SINGLE_NAME, config, board=board, tools=tools)
    federation = Federation([member])
    if federation.rejected:
        raise ValueError(federation.rejected[SINGLE_NAME])
    return federation_server(federation, environ), member.runner


class Catalog(Protocol):
    """Where the server finds its tools: a federation, or a fixed directory."""

    directory: ToolDirectory

    def subscribe(self, listener: Callable[[], Awaitable[None]]) -> None: ...


@dataclass
class FixedCatalog:
    """A directory that never changes (tests, benchmarks)."""

    directory: ToolDirectory

    def subscribe(self, listener: Callable[[], Awaitable[None]]) -> None:
        return None


def directory_server(directory: ToolDirectory, environ: Mapping[str, str] | None = None) -> JumperlessServer:
    return federation_server(FixedCatalog(directory), environ)


def federation_server(catalog: Catalog, environ: Mapping[str, str] | None = None) -> JumperlessServer:
    """The MCP server for a catalog: the full list or the discovery meta-tools, per client.

    Each client's session from its `notifications/initialized` is kept while its connection lasts, so that
    a change of the tool list, which happens outside any request (a board unplugged), reaches it as
    notifications/tools/list_changed; 2026-era clients (no handshake) hear it through subscriptions/listen.
    """
    environ = os.environ if environ is None else environ
    forced = deferred.forced_by_env(environ)
    server_mode = deferred.server_list_mode(environ)  # JUMPERLESS_LIST_MODE: the same list for every client
    log.info("%s", deferred.describe_env(environ))
    meta = deferred.MetaTools(lambda: catalog.directory)
    clients = Listeners()
    bus = InMemorySubscriptionBus()

    async def on_list_tools(
        ctx: ServerRequestContext[Any], params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        mode, trigger = deferred.list_mode(ctx.session.client_capabilities, forced, server_mode)
        log.info("tools/list in %s mode: %s", mode, trigger)
        return types.ListToolsResult(tools=meta.listed(mode))

    async def on_call_tool(
        ctx: ServerRequestContext[Any], params: types.CallToolRequestParams
    ) -> types.CallToolResult | types.InputRequiredResult:
        with confirm.asking(SessionAsker(ctx, params)):  # a call that energises or wipes asks this client first
            try:
                if meta.handles(params.name):
                    result = await meta.call(params.name, params.arguments, ctx.session.report_progress)
                else:
                    result = await catalog.directory.call(params.name, params.arguments, ctx.session.report_progress)
                await resource_view.after_call(params.name, params.arguments, result)  # links, change notices
                return result
            except InputRequired as question:  # a 2026-07-28 client: it sends the call again with the answer
                return question.result

    async def on_initialized(ctx: ServerRequestContext[Any], params: types.NotificationParams) -> None:
        clients.add(ctx.session)

    async def tell_clients() -> None:
        resources_changed = resource_view.list_changed()  # per-board resources follow their board's tools
        await clients.tell(resources_changed)
        await bus.publish(ToolsListChanged())
        if resources_changed:
            await bus.publish(ResourcesListChanged())

    catalog.subscribe(tell_clients)
    resource_view = Resources(lambda: list(getattr(catalog, "members", [])), bus)
    resource_view.list_changed()  # the list as it starts
    server = JumperlessServer(
        "jumperless-mcp",
        version=__version__,
        instructions=INSTRUCTIONS,
        on_list_tools=on_list_tools,
        on_call_tool=on_call_tool,
        on_subscriptions_listen=ListenHandler(bus),
        **prompts.handlers(catalog),
        **completions.handlers(catalog, resource_view),  # completion/complete: prompt args, template variables
        **resource_view.handlers(),
        cache_hints=deferred.CACHE_HINTS,
    )
    server.add_notification_handler("notifications/initialized", types.NotificationParams, on_initialized)
    server.listeners = clients
    # seals the requestState of a confirmation question (serving/asking.py) and binds it to its call
    server.middleware.append(RequestStateBoundary(RequestStateSecurity.ephemeral(), default_audience=server.name))
    return server


def settle_heap() -> None:
    """Keep the garbage collector off what start-up built (modules, the catalog, every board's tools).

    A full collection walks every live object; with 8 boards a `tools/list` allocates enough to trigger
    several, each walking the whole start-up heap: 8 boards listed 5.4x slower than 4, not 2x. Objects
    made before this point live as long as the server, so they are frozen as they are (collecting first
    would cost ~50 ms of start-up to free a few kilobytes); then collection resumes for what comes after
    (the command line turns it off while it starts, `cli.run_serve`).
    """
    gc.freeze()
    gc.enable()


async def serve_stdio(
    config: Config, *, reload: Callable[[], Config] | None = None, config_path: Path | None = None
) -> None:
    """Serve every configured board to one MCP client on stdin/stdout."""
    deferred.server_list_mode(os.environ)  # a bad JUMPERLESS_LIST_MODE stops here, before any board is opened
    async with open_bench(config, reload=reload, config_path=config_path) as federation:
        server = federation_server(federation)
        async with safe_keeping(federation, config, track_clients=False) as keeper:  # on leaving: below; on exit
            if keeper is not None:
                server.middleware.insert(0, keeper)
            settle_heap()
            log.info("%d tools offered; waiting for an MCP client on stdin", len(federation.offered_names()))
            async with stdio_streams() as (read, write):
                with contextlib.redirect_stdout(sys.stderr):  # stray prints must never reach the wire
                    await server.run(read, write, server.create_initialization_options())
            if keeper is not None:
                await keeper.make_all_safe("the client closed stdin")


async def serve_http(
    config: Config,
    *,
    reload: Callable[[], Config] | None = None,
    config_path: Path | None = None,
    sock: socket.socket | None = None,
    on_ready: Callable[[str], None] | None = None,
) -> None:
    """Serve every configured board over Streamable HTTP at config.http (`/mcp`) until cancelled."""
    from jumperless_mcp.serving import http_serve

    address = config.http_address()
    if address is None:
        raise ConfigError("http", "no address to serve on", "HOST:PORT, e.g. 127.0.0.1:8765")
    host, port = address
    http_serve.check_exposure(host, config.http_token)  # before any board is opened
    deferred.server_list_mode(os.environ)  # so is a bad JUMPERLESS_LIST_MODE
    listener = sock
    if listener is None:  # bound before any board is opened too: a busy port is a start-up error
        try:
            listener = http_serve.listen(host, port)
        except OSError as exc:
            raise ConfigError("http", exc.strerror or str(exc), "a free port, or 0 for any free one") from None
    try:
        async with open_bench(config, reload=reload, config_path=config_path) as federation:
            server = federation_server(federation)
            async with safe_keeping(federation, config) as keeper:  # safe state when the last session ends, on exit
                if keeper is not None:
                    server.middleware.insert(0, keeper)
                settle_heap()
                await http_serve.serve_http(server, host, port, config.http_token, sock=listener, on_ready=on_ready)
    finally:
        if sock is None:
            listener.close()
