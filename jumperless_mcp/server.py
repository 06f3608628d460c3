"""The MCP server: the low-level SDK `Server`, answering from our own tool declarations.

`build_server()` wires `tools/list` and `tools/call` to a `ToolRunner`; `serve_stdio()` opens the
board and serves one client on stdin/stdout. Logs go to stderr: stdout is the wire.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import AsyncIterator, Iterable, Mapping
from typing import Any

from mcp import types
from mcp.server import NotificationOptions, Server, ServerRequestContext
from mcp.server.stdio import stdio_server

from jumperless_mcp import __version__, deferred
from jumperless_mcp.board import Board
from jumperless_mcp.config import Config
from jumperless_mcp.errors import BoardNotFound, ConnectionProblem
from jumperless_mcp.tool_context import ServerMemory, ToolContext
from jumperless_mcp.tool_directory import ToolDirectory
from jumperless_mcp.tool_runner import ToolRunner
from jumperless_mcp.tool_spec import ToolSpec
from jumperless_mcp.tools import ALL_TOOLS

log = logging.getLogger("jumperless_mcp.server")

INSTRUCTIONS = """\
Tools for one Jumperless V5: a breadboard whose connections are analog crossbar switches, with DACs,
programmable rails, ADCs, current sensors, GPIO/PWM, a waveform generator, an OLED and a probe.
- Nodes are breadboard rows 1-60 or names: D0-D13, A0-A7 (Arduino Nano header), TOP_RAIL, BOTTOM_RAIL, GND,
  DAC0, DAC1, ADC0-ADC4, ISENSE_PLUS/ISENSE_MINUS, GPIO_1-GPIO_8, UART_TX/UART_RX.
- Start with board_info. connect/disconnect read the result back: check `ok`, the firmware refuses some
  bridges silently (rails, GND and DACs never share a net).
- To measure a node, connect it to an ADC (e.g. connect 11 to ADC0) then adc_read. Rails and DACs are set
  with dac_set; dac_get is the setpoint, not a measurement.
- apply_netlist sets many bridges in one step with a dry run and rollback; snapshot_save/snapshot_restore
  put the board back after an experiment.
- If the tool list shows only tools_search, tools_describe_many and tools_call (discovery mode), find tools
  with tools_search ("measure the voltage on row 12"), read their parameters with tools_describe_many and
  run them with tools_call; the tool names above are the same there.
"""


class JumperlessServer(Server[Any]):
    """Advertise tools.listChanged on every transport (the SDK's in-process paths skip run()'s options)."""

    def create_initialization_options(self, notification_options=None, experimental_capabilities=None, extensions=None):  # type: ignore[no-untyped-def, override]
        return super().create_initialization_options(
            notification_options or NotificationOptions(tools_changed=True), experimental_capabilities, extensions
        )


def build_server(
    board: Board,
    config: Config,
    tools: Iterable[ToolSpec] = ALL_TOOLS,
    environ: Mapping[str, str] | None = None,
) -> tuple[JumperlessServer, ToolRunner]:
    """A server for one board; `environ` (default os.environ) may force discovery mode."""
    runner = ToolRunner(tools, ToolContext(board, config, ServerMemory()))
    directory = ToolDirectory.single(runner, reserved=deferred.META_TOOLS)
    return directory_server(directory, environ), runner


def directory_server(directory: ToolDirectory, environ: Mapping[str, str] | None = None) -> JumperlessServer:
    """The MCP server for a tool directory: the full list or the discovery meta-tools, per client."""
    environ = os.environ if environ is None else environ
    forced = deferred.forced_by_env(environ)
    log.info("%s", deferred.describe_env(environ))
    meta = deferred.MetaTools(directory)

    async def on_list_tools(
        ctx: ServerRequestContext[Any], params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        mode, trigger = deferred.list_mode(ctx.session.client_capabilities, forced)
        log.info("tools/list in %s mode: %s", mode, trigger)
        tools = meta.tools() if mode is deferred.ListMode.DISCOVERY else directory.mcp_tools()
        return types.ListToolsResult(tools=tools)

    async def on_call_tool(ctx: ServerRequestContext[Any], params: types.CallToolRequestParams) -> types.CallToolResult:
        if meta.handles(params.name):
            return await meta.call(params.name, params.arguments, ctx.session.report_progress)
        return await directory.call(params.name, params.arguments, ctx.session.report_progress)

    return JumperlessServer(
        "jumperless-mcp",
        version=__version__,
        instructions=INSTRUCTIONS,
        on_list_tools=on_list_tools,
        on_call_tool=on_call_tool,
    )


def make_board(config: Config, target: str | None = None) -> Board:
    options: dict[str, object] = {}
    if config.parts:
        from jumperless_mcp.emulator.parts import load_parts

        options["parts"] = load_parts(config.parts)
    return Board(
        target if target is not None else config.port,
        timeout=config.timeout,
        eager=False,
        allow_python=config.allow_python,
        emulator_options=options,
    )


@contextlib.asynccontextmanager
async def open_board(config: Config) -> AsyncIterator[Board]:
    """The board to serve: connected if possible; a server with no board still starts and says why per call."""
    board = make_board(config)
    await board.start()
    try:
        await board.session.connect()
        log.info("serving %s (firmware %s, %s)", board.target.description, board.firmware, board.session.channel)
    except BoardNotFound as exc:
        if config.emulator_if_no_board and board.target.kind == "auto":
            log.warning("%s; serving the virtual board instead (emulator_if_no_board)", exc)
            await board.aclose()
            board = make_board(config, "emulator")
            await board.start()
            await board.session.connect()
        else:
            log.warning("no board yet (%s); tools will retry on each call", exc)
    except ConnectionProblem as exc:
        log.warning("board not reachable yet (%s); tools will retry on each call", exc)
    try:
        yield board
    finally:
        await board.aclose()  # also stops a virtual board


async def serve_stdio(config: Config) -> None:
    async with open_board(config) as board:
        server, runner = build_server(board, config)
        log.info("%d board tools offered; waiting for an MCP client on stdin", len(runner.offered()))
        async with stdio_server() as (read, write):
            with contextlib.redirect_stdout(sys.stderr):  # stray prints must never reach the wire
                await server.run(read, write, server.create_initialization_options())
