"""An MCP client talking to our server in-process, with the server's board on a real virtual board (pty)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from typing import Any

import anyio
import result_schemas
from mcp import Client, ClientSession, types
from mcp.server import Server
from mcp.shared.memory import create_client_server_memory_streams
from mcp_types.version import LATEST_HANDSHAKE_VERSION

from jumperless_mcp.bench.board import Board
from jumperless_mcp.emulator import VirtualBoard
from jumperless_mcp.serving.server import build_server
from jumperless_mcp.settings.config import Config
from jumperless_mcp.tooling.tool_runner import ToolRunner


@dataclass
class Harness:
    client: Client | ClientSession
    vboard: VirtualBoard  # the virtual board behind the pty: set probe touches, read the OLED, check state
    runner: ToolRunner
    board: Board

    async def result(self, name: str, /, **arguments: Any) -> types.CallToolResult:
        """Call a tool; its result, checked against the tool's listed output schema (tests/result_schemas.py)."""
        session = self.client.session if isinstance(self.client, Client) else self.client
        result = await self.client.call_tool(name, arguments)
        await result_schemas.check(session, name, arguments, result)
        return result

    async def ok(self, name: str, /, **arguments: Any) -> dict[str, Any]:
        """Call a tool that must succeed; its structured result."""
        result = await self.result(name, **arguments)
        text = result.content[0].text if result.content else ""
        assert not result.is_error, f"{name}({arguments}) failed: {text}"
        assert result.structured_content is not None
        return result.structured_content

    async def error(self, name: str, /, **arguments: Any) -> dict[str, Any]:
        """Call a tool that must fail; its error details from `_meta` (error, kind, retryable, ...)."""
        return result_schemas.error_details(await self.result(name, **arguments))

    async def tool_names(self) -> set[str]:
        return {tool.name for tool in (await self.client.list_tools()).tools}


@asynccontextmanager
async def serve(
    vboard: VirtualBoard,
    *,
    experimental: dict[str, dict[str, Any]] | None = None,
    environ: Mapping[str, str] | None = None,
    ports: Mapping[str, object] | None = None,
    **settings: Any,
) -> AsyncIterator[Harness]:
    """Our server on `vboard` with these Config settings, and an SDK client that did the initialize handshake.

    `experimental` is the client's experimental capabilities (e.g. {"x-deferred-tools": {}}); `environ` is the
    server's environment (empty by default, so the developer's YGG_MCP_FORCE_DEFERRED cannot leak in).
    `ports` is where the server finds the board (default: the board's pty paths; stable links for replugs).
    """
    config = Config(**settings).validated()
    board = Board(ports or vboard.info(), timeout=config.timeout, allow_python=config.allow_python)
    async with board:
        server, runner = build_server(board, config, environ=environ if environ is not None else {})
        if experimental is None:
            async with Client(server, mode="legacy") as client:
                yield Harness(client, vboard, runner, board)
        else:
            async with session_with_capabilities(server, experimental) as session:
                yield Harness(session, vboard, runner, board)


@asynccontextmanager
async def session_with_capabilities(
    server: Server[Any], experimental: dict[str, dict[str, Any]], message_handler: Any = None
) -> AsyncIterator[ClientSession]:
    """An in-memory client session whose `initialize` carries these experimental capabilities.

    The SDK's clients have no parameter for experimental capabilities, so this sends `initialize` itself and
    adopts the result (public ClientSession APIs only).
    """
    request = types.InitializeRequest(
        params=types.InitializeRequestParams(
            protocol_version=LATEST_HANDSHAKE_VERSION,
            capabilities=types.ClientCapabilities(experimental=experimental),
            client_info=types.Implementation(name="pytest", version="0"),
        )
    )
    streams = create_client_server_memory_streams()
    async with streams as ((client_read, client_write), (server_read, server_write)), anyio.create_task_group() as tg:
        options = server.create_initialization_options()
        tg.start_soon(lambda: server.run(server_read, server_write, options, raise_exceptions=True))
        async with ClientSession(client_read, client_write, message_handler=message_handler) as session:
            session.adopt(await session.send_request(request, types.InitializeResult))
            await session.send_notification(types.InitializedNotification())
            yield session
        tg.cancel_scope.cancel()


@contextmanager
def board_calls(h: Harness) -> Iterator[list[list[str]]]:
    """Every batch of statements the server sends to the board while inside the block."""
    session = h.board.session
    original = session.run
    sent: list[list[str]] = []

    async def run(statements: list[str], **kwargs: Any) -> Any:
        sent.append(list(statements))
        return await original(statements, **kwargs)

    session.run = run  # type: ignore[method-assign]
    try:
        yield sent
    finally:
        del session.run


@asynccontextmanager
async def two_board_server(tmp_path: Any) -> AsyncIterator[tuple[Server, VirtualBoard, VirtualBoard]]:
    """A server over two virtual boards, `bench-a` (JumperlOS) and `bench-b` (5.3.x), and the boards."""
    from jumperless_mcp.multiboard.federation import Federation
    from jumperless_mcp.multiboard.members import LocalMember
    from jumperless_mcp.serving.server import federation_server

    config = Config().validated()
    with (
        VirtualBoard("jumperlos", fs_dir=tmp_path / "a") as vboard_a,
        VirtualBoard("legacy", fs_dir=tmp_path / "b") as vboard_b,
    ):
        async with Board(vboard_a.info(), timeout=5) as a, Board(vboard_b.info(), timeout=5) as b:
            members = [LocalMember("bench-a", config, board=a), LocalMember("bench-b", config, board=b)]
            yield federation_server(Federation(members), environ={}), vboard_a, vboard_b
