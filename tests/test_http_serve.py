"""Streamable HTTP serving: the bearer token gate, DNS-rebinding protection and exposure checks, over real HTTP."""

from __future__ import annotations

import gc
import json
import logging
import socket
import tracemalloc
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import anyio
import httpx2
import pytest
from mcp import Client, types
from mcp.client.streamable_http import streamable_http_client
from mcp.server.session import ServerSession

from jumperless_mcp.bench.board import Board
from jumperless_mcp.emulator import VirtualBoard
from jumperless_mcp.serving.http_serve import BearerGate, check_exposure, is_loopback, serve_http
from jumperless_mcp.serving.server import JumperlessServer, build_server, federation_server
from jumperless_mcp.settings.config import Config, ConfigError
from jumperless_mcp.tooling.tool_directory import ToolDirectory

TOKEN = "correct-horse-battery-staple"
PROTOCOL = "2025-06-18"
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": PROTOCOL, "capabilities": {}, "clientInfo": {"name": "test", "version": "0"}},
}


def loopback_socket(port: int = 0) -> socket.socket:
    """A socket bound on loopback before the server starts (port 0: the OS picks one)."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    return sock


@asynccontextmanager
async def http_served(server: Any, token: str | None, sock: socket.socket | None = None) -> AsyncIterator[str]:
    """`server` over HTTP in this event loop; yields its URL; stops it (by cancelling) on the way out."""
    sock = sock or loopback_socket()
    urls: list[str] = []
    ready = anyio.Event()

    def on_ready(url: str) -> None:
        urls.append(url)
        ready.set()

    async with anyio.create_task_group() as group:
        group.start_soon(
            lambda: serve_http(server, "127.0.0.1", sock.getsockname()[1], token, sock=sock, on_ready=on_ready)
        )
        with anyio.fail_after(5):
            await ready.wait()
        yield urls[0]
        group.cancel_scope.cancel()


@asynccontextmanager
async def served_board(token: str | None = TOKEN) -> AsyncIterator[tuple[str, VirtualBoard, Any]]:
    """A virtual board behind our real MCP server, served over HTTP: (url, virtual board, server)."""
    with VirtualBoard("jumperlos") as vboard:
        async with Board(vboard.info(), timeout=5) as board:
            server, _ = build_server(board, Config(), environ={})
            async with http_served(server, token) as url:
                yield url, vboard, server


def authorized(token: str = TOKEN, **options: Any) -> httpx2.AsyncClient:
    return httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, **options)


def test_exposure_needs_a_long_enough_token_off_loopback() -> None:
    for host in ("127.0.0.1", "127.8.0.1", "::1", "[::1]", "localhost", "LOCALHOST"):
        assert is_loopback(host), host
        check_exposure(host, None)
    for host in ("0.0.0.0", "192.168.1.5", "::", "example.com", "localhost.example.com"):
        assert not is_loopback(host), host
        with pytest.raises(ConfigError) as refused:
            check_exposure(host, None)
        assert refused.value.parameter == "http_token"
        assert f"binding {host} exposes the board to the network" in str(refused.value)
        assert "JUMPERLESS_HTTP_TOKEN" in str(refused.value) and "config file" in str(refused.value)
        check_exposure(host, TOKEN)
    for host in ("0.0.0.0", "127.0.0.1"):
        with pytest.raises(ConfigError) as short:
            check_exposure(host, "hunter2")
        assert short.value.parameter == "http_token"
        assert "7 characters" in str(short.value) and "guessed" in str(short.value) and "16" in str(short.value)


async def test_serve_http_refuses_an_exposed_board_before_binding() -> None:
    with pytest.raises(ConfigError, match="http_token"):
        await serve_http(object(), "0.0.0.0", 0, None)


async def test_token_gate_rebinding_and_mcp_over_http(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="jumperless_mcp.http")
    async with served_board() as (url, vboard, _):
        port = int(url.rsplit(":", 1)[1].split("/")[0])
        assert url == f"http://127.0.0.1:{port}/mcp"
        initialize = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
        async with httpx2.AsyncClient() as anonymous:
            refused = await anonymous.post(url, json=initialize)
        assert refused.status_code == 401
        assert refused.headers["www-authenticate"].startswith("Bearer")
        assert refused.json()["error"] == "unauthorized" and "Bearer" in refused.json()["message"]
        async with authorized("not-the-right-token-at-all") as wrong:
            assert (await wrong.post(url, json=initialize)).status_code == 401
        async with authorized() as right:
            rebound = await right.post(url, json=initialize, headers={"Host": "evil.example"})
        assert rebound.status_code == 421  # DNS rebinding: a loopback server answers only loopback Host names

        async with (
            authorized(timeout=10) as http,
            Client(streamable_http_client(url, http_client=http), mode="legacy") as client,
        ):
            names = {tool.name for tool in (await client.list_tools()).tools}
            assert {"board_info", "connect", "dac_set"} <= names
            info = await client.call_tool("board_info", {})
            assert not info.is_error, info.content
            assert info.structured_content is not None and info.structured_content["family"] == "jumperlos"
            await client.call_tool("dac_set", {"channel": "DAC1", "voltage": 2.0})
            assert vboard.model.power["dac1"] == pytest.approx(2.0)

    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert url in logged and "token is required" in logged
    assert TOKEN not in logged
    async with httpx2.AsyncClient() as late:  # cancelled: the port no longer answers
        with pytest.raises(httpx2.ConnectError):
            await late.post(url, json=initialize)


async def test_gate_without_token_lets_requests_through() -> None:
    seen: list[str] = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        seen.append(scope["type"])
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=BearerGate(app, None))) as open_client:
        assert (await open_client.get("http://127.0.0.1/mcp")).text == "ok"
    gated = httpx2.ASGITransport(app=BearerGate(app, TOKEN))
    async with httpx2.AsyncClient(transport=gated) as anonymous:
        answer = await anonymous.get("http://127.0.0.1/mcp", headers={"Authorization": "Basic abc"})
        assert answer.status_code == 401 and json.loads(answer.text)["error"] == "unauthorized"
    async with authorized(transport=gated) as right:
        assert (await right.get("http://127.0.0.1/mcp")).text == "ok"
        lower = await right.get("http://127.0.0.1/mcp", headers={"Authorization": f"bearer {TOKEN}"})
        assert lower.text == "ok"  # the scheme is case-insensitive (RFC 9110)
        assert (await right.get("http://127.0.0.1/mcp", headers={"Authorization": TOKEN})).status_code == 401
    assert seen == ["http", "http", "http"]


async def test_serve_http_binds_its_own_port_and_says_when_busy() -> None:
    server = JumperlessServer("empty")
    urls: list[str] = []
    async with anyio.create_task_group() as group:
        group.start_soon(lambda: serve_http(server, "127.0.0.1", 0, None, on_ready=urls.append))
        await wait_until(lambda: bool(urls))
        port = int(urls[0].rsplit(":", 1)[1].split("/")[0])
        assert port > 0 and urls[0] == f"http://127.0.0.1:{port}/mcp"
        async with Client(urls[0], mode="legacy") as client:  # loopback without a token: no header needed
            assert client.server_info is not None and client.server_info.name == "empty"
            await client.session.send_ping()
        with pytest.raises(OSError, match=f"cannot listen on 127.0.0.1:{port}"):
            await serve_http(JumperlessServer("second"), "127.0.0.1", port, None)
        group.cancel_scope.cancel()


async def wait_until(condition: Any, timeout: float = 5.0) -> None:
    with anyio.fail_after(timeout):
        while not condition():
            await anyio.sleep(0.01)


class AnnouncedCatalog:
    """An empty tool list whose changes the test announces, as a federation does on hot-plug."""

    def __init__(self) -> None:
        self.directory = ToolDirectory([])
        self._listeners: list[Callable[[], Awaitable[None]]] = []

    def subscribe(self, listener: Callable[[], Awaitable[None]]) -> None:
        self._listeners.append(listener)

    async def announce(self) -> None:
        for listener in self._listeners:
            await listener()


def live_sessions() -> int:
    """ServerSession objects alive in this process: the server's sessions, whoever holds them."""
    gc.collect()
    return sum(isinstance(thing, ServerSession) for thing in gc.get_objects())


async def test_closed_http_sessions_are_released_and_live_ones_still_hear_list_changes() -> None:
    """F7: 300 sessions opened and closed leave neither sessions nor memory behind; a live client is still told."""
    catalog = AnnouncedCatalog()
    server = federation_server(catalog, environ={})
    heard = anyio.Event()

    async def on_message(message: object) -> None:
        if isinstance(message, types.ToolListChangedNotification):
            heard.set()

    async with (
        http_served(server, None) as url,
        Client(url, mode="legacy", message_handler=on_message),
        httpx2.AsyncClient(headers={"Accept": "application/json, text/event-stream"}) as http,
    ):

        async def session() -> None:  # a whole client lifetime: handshake, then DELETE (the SDK client's close)
            opened = await http.post(url, json=INITIALIZE)
            headers = {"mcp-session-id": opened.headers["mcp-session-id"], "mcp-protocol-version": PROTOCOL}
            initialized = {"jsonrpc": "2.0", "method": "notifications/initialized"}
            assert (await http.post(url, json=initialized, headers=headers)).status_code == 202
            assert (await http.delete(url, headers=headers)).status_code in (200, 204)

        async def sessions(count: int, at_once: int = 20) -> None:  # concurrent: each waits on the network
            for _ in range(count // at_once):
                async with anyio.create_task_group() as group:
                    for _ in range(at_once):
                        group.start_soon(session)

        await sessions(20)  # warm caches (pydantic, httpx, logging) before measuring
        start = live_sessions()
        await sessions(200)
        tracemalloc.start()  # only over the last 100: tracing makes each session four times slower
        try:
            await sessions(100)
            assert live_sessions() == start, "closed sessions are still held"
            retained, _ = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert retained < 500_000, f"{retained / 100:.0f} bytes kept per closed session"
        await catalog.announce()
        with anyio.fail_after(5):
            await heard.wait()
